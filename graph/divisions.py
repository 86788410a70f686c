"""Reads of administrative divisions: one division with everything scoped to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.kinds import local_name
from policykg.graph.read import Ref, consistent, decimal, linked, rows, text, values_of
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
    targets: list[TargetInfo]  # targets scoped to it or to a division within it
    tasks: list[Ref]  # tasks that mention it


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
        targets_where(store, sparql("?t pkg:appliesTo/pkg:within* $d .", d=node), limit=1000),
        linked(store, sparql("?x pkg:mentions $d ; a pkg:Task .", d=node)),
    )
