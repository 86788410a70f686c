"""Reads of administrative divisions: one division with everything scoped to it, and counts by the
divisions within it (for a choropleth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.kinds import local_name
from policykg.graph.read import Ref, consistent, decimal, integer, linked, rows, text, values_of
from policykg.graph.sparql_params import iri, literal, shown, sparql
from policykg.graph.targets import TargetInfo, targets_where
from policykg.ontology import SKOS


@dataclass(frozen=True)
class DivisionDetail:
    iri: str
    code: str
    label: str | None
    alt_labels: list[str]
    level: str | None
    within: Ref | None
    children: list[Ref]
    lat: float | None
    long: float | None
    documents: list[Ref]  # documents that govern it (dcterms:spatial)
    named_in: list[Ref]  # documents whose text names it (a Mention of it)
    targets: list[TargetInfo]  # targets scoped to it or within it, and the unscoped goals of the
    # plans that govern it or a division within it (a plan's goal is its own place's)
    tasks: list[Ref]  # tasks that mention it
    programs: list[Ref]  # programs that reach it: named by the tasks that mention it, whose
    # targets are scoped to it or within it, or of the plans that govern it or a division within it


@consistent
def get_division(store: Any, code: str) -> DivisionDetail:
    found = rows(
        store,
        sparql(
            """SELECT ?d ?label ?level ?up ?upl ?lat ?long WHERE {
  ?d pkg:adminCode $code . OPTIONAL { ?d rdfs:label ?label } OPTIONAL { ?d pkg:level ?level }
  OPTIONAL { ?d pkg:within ?up OPTIONAL { ?up rdfs:label ?upl } }
  OPTIONAL { ?d geo:lat ?lat } OPTIONAL { ?d geo:long ?long } } LIMIT 1""",
            code=literal(code),
        ),
    )
    if not found:
        raise NotFoundError(f"no division with code {shown(code)}")
    r = found[0]
    division = r["d"].value
    node = iri(division)
    return DivisionDetail(
        division,
        code,
        text(r["label"]),
        values_of(store, division, SKOS + "altLabel"),
        local_name(r["level"].value) if r["level"] is not None else None,
        Ref(r["up"].value, text(r["upl"]), "AdministrativeDivision") if r["up"] is not None else None,
        linked(store, sparql("?x pkg:within $d .", d=node)),
        decimal(r["lat"]),
        decimal(r["long"]),
        linked(store, sparql("?x dcterms:spatial $d ; a pkg:PolicyDocument .", d=node)),
        linked(store, sparql("?_m pkg:mentionOf $d ; prov:wasDerivedFrom ?x . ?x a pkg:PolicyDocument .", d=node)),
        targets_where(
            store,
            sparql(
                "{ ?t pkg:appliesTo/pkg:within* $d } UNION { ?t prov:wasDerivedFrom/dcterms:spatial/pkg:within* $d "
                "FILTER NOT EXISTS { ?t pkg:appliesTo ?_any } }",
                d=node,
            ),
            limit=1000,
        ),
        linked(store, sparql("?x pkg:mentions $d ; a pkg:Task .", d=node)),
        linked(
            store,
            sparql(
                "{ ?_t pkg:mentions $d } UNION { ?_t pkg:hasTarget/pkg:appliesTo/pkg:within* $d } "
                "UNION { ?_t prov:wasDerivedFrom/dcterms:spatial/pkg:within* $d } "
                "?_t a pkg:Task ; pkg:mentions ?x . ?x a pkg:Program .",
                d=node,
            ),
        ),
    )


@dataclass(frozen=True)
class DivisionCount:
    division: Ref
    targets: int  # its targets, as get_division counts them
    programs: int  # programs named by the tasks that name it


def county_counts(store: Any, code: str) -> list[DivisionCount]:
    """Each division within the one of ``code`` (at any depth) with how many targets are its and
    how many programs the tasks naming it name; by code."""
    node = iri(_division_iri(store, code))
    found = rows(
        store,
        sparql(
            """SELECT ?x ?l ?code (COUNT(DISTINCT ?t) AS ?targets) (COUNT(DISTINCT ?p) AS ?programs) WHERE {
                 ?x pkg:within+ $d ; pkg:adminCode ?code . OPTIONAL { ?x rdfs:label ?l }
                 OPTIONAL { ?t a pkg:Target .
                   { ?t pkg:appliesTo/pkg:within* ?x } UNION
                   { ?t prov:wasDerivedFrom/dcterms:spatial/pkg:within* ?x
                     FILTER NOT EXISTS { ?t pkg:appliesTo ?_a } } }
                 OPTIONAL { ?task pkg:mentions ?x ; a pkg:Task ; pkg:mentions ?p . ?p a pkg:Program }
               } GROUP BY ?x ?l ?code ORDER BY ?code""",
            d=node,
        ),
    )
    return [
        DivisionCount(
            Ref(r["x"].value, text(r["l"]), "AdministrativeDivision"),
            integer(r["targets"]) or 0,
            integer(r["programs"]) or 0,
        )
        for r in found
    ]


def _division_iri(store: Any, code: str) -> str:
    found = rows(store, sparql("SELECT ?d WHERE { ?d pkg:adminCode $code } LIMIT 1", code=literal(code)))
    if not found:
        raise NotFoundError(f"no division with code {shown(code)}")
    return str(found[0]["d"].value)


def division_chain(store: Any, code: str) -> list[tuple[str, str]]:
    """(label, level) of the division of ``code`` and of every division it lies in, the province
    first (``level`` a local name: Province, Prefecture, County)."""
    node = iri(_division_iri(store, code))
    found = rows(
        store,
        sparql(
            """SELECT ?a ?l ?level (COUNT(?up) AS ?depth) WHERE {
                 $d pkg:within* ?a . ?a rdfs:label ?l ; pkg:level ?level . OPTIONAL { ?a pkg:within+ ?up }
               } GROUP BY ?a ?l ?level ORDER BY ?depth""",
            d=node,
        ),
    )
    return [(r["l"].value, local_name(r["level"].value)) for r in found]


@dataclass(frozen=True)
class ProgramCounties:
    """Where a program reaches on a map: the province most of its counties lie in, and each of
    those counties (official name) with how many tasks name both the program and the county or
    a place within it."""

    province: str
    tasks_by_county: dict[str, int]


def program_counties(store: Any, program: str) -> ProgramCounties | None:
    """The counties the tasks naming ``program`` name, in the province where most of them lie
    (a map shows one province); None when those tasks name no county."""
    found = rows(
        store,
        sparql(
            """SELECT ?prov ?county (COUNT(DISTINCT ?task) AS ?n) WHERE {
                 ?task a pkg:Task ; pkg:mentions $p , ?d . ?d a pkg:AdministrativeDivision ; pkg:within* ?c .
                 ?c pkg:level pkg:County ; rdfs:label ?county ; pkg:within+ ?p2 .
                 ?p2 pkg:level pkg:Province ; rdfs:label ?prov
               } GROUP BY ?prov ?county ORDER BY ?prov ?county""",
            p=iri(program),
        ),
    )
    by_province: dict[str, dict[str, int]] = {}
    for r in found:
        by_province.setdefault(r["prov"].value, {})[r["county"].value] = integer(r["n"]) or 0
    if not by_province:
        return None
    # The province with the most counties; ties go to the first by name, so the map is stable.
    province = min(by_province, key=lambda name: (-len(by_province[name]), name))
    return ProgramCounties(province, by_province[province])
