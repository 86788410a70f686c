"""One indicator across documents, places and years: every target that measures it.

A researcher asks how a city's 学前三年毛入园率 moved from 2016 to 2020. :func:`compare` gathers
each target on the indicator (named by IRI, label or any spelling the indicator registry
knows) with its document, issuer, place, year, value, comparator, baseline, deadline and the
sentence it was read from. Its place is the division the goal is scoped to
(``pkg:appliesTo``), else the division the document governs (``dcterms:spatial``); its year
is its deadline's, else the year the document was issued. ``place`` keeps the targets whose
place lies in that division (itself or within it), ``year_from``/``year_to`` a span of years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.read import Ref, consistent, decimal, rows, text
from policykg.graph.sparql_params import count, iri, iris, joined, literal, shown, sparql
from policykg.loaders.indicators_registry import bundled_registry

#: How many targets one comparison reads at most.
MAX_TARGETS = 5000


@dataclass(frozen=True)
class ComparedTarget:
    target: str
    document: Ref
    issuer: str | None
    issued: str | None
    place: Ref | None  # the division it is scoped to, else the one its document governs
    year: int | None  # its deadline's year, else its document's
    value: float | None
    min_value: float | None
    max_value: float | None
    unit: str | None
    comparator: str | None
    baseline: float | None
    deadline: str | None
    task: Ref | None
    quote: str | None


@dataclass(frozen=True)
class Comparison:
    indicator: Ref
    spellings: list[str]  # every label the indicator has in the store
    targets: list[ComparedTarget]  # by place, then year
    truncated: bool


def resolve_indicator(store: Any, name: str) -> list[str]:
    """The indicator nodes ``name`` means: an IRI, or a label or alternative label, or any
    spelling the indicator registry lists for a registered indicator."""
    if name.startswith(("http://", "https://")):
        nodes = [name]
    else:
        spellings = {name}
        registered = bundled_registry().lookup(name)
        if registered is not None:
            spellings.update(registered.spellings)
        found = rows(
            store,
            sparql(
                "SELECT DISTINCT ?i WHERE { VALUES ?l { $labels } ?i a pkg:Indicator . "
                "{ ?i rdfs:label ?l } UNION { ?i skos:altLabel ?l } } ORDER BY ?i",
                labels=joined((literal(v) for v in sorted(spellings)), " "),
            ),
        )
        nodes = [r["i"].value for r in found]
    if not nodes or not rows(
        store, sparql("SELECT ?i WHERE { VALUES ?i { $nodes } ?i a pkg:Indicator } LIMIT 1", nodes=iris(nodes))
    ):
        raise NotFoundError(f"no indicator {shown(name)}", hint="give its label as a plan writes it, or its IRI")
    return nodes


@consistent
def compare(
    store: Any,
    indicator: str,
    *,
    place: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
) -> Comparison:
    nodes = resolve_indicator(store, indicator)
    found = rows(
        store,
        sparql(
            """
SELECT ?t ?doc ?doct ?issuer ?issued ?scoped ?scopedl ?governed ?governedl ?value ?min ?max ?unit ?cmp ?base
       ?deadline ?task ?taskl ?quote
WHERE {
  VALUES ?i { $nodes }
  ?t pkg:indicator ?i ; prov:wasDerivedFrom ?doc .
  OPTIONAL { ?doc dcterms:title ?doct } OPTIONAL { ?doc dcterms:issued ?issued }
  OPTIONAL { ?doc dcterms:publisher/rdfs:label ?issuer }
  # Both places, each with its label (a BIND of one of them before the label's OPTIONAL made
  # Oxigraph read every label of the store).
  OPTIONAL { ?t pkg:appliesTo ?scoped OPTIONAL { ?scoped rdfs:label ?scopedl } }
  OPTIONAL { ?doc dcterms:spatial ?governed OPTIONAL { ?governed rdfs:label ?governedl } }
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:minValue ?min } OPTIONAL { ?t pkg:maxValue ?max }
  OPTIONAL { ?t pkg:unit ?unit } OPTIONAL { ?t pkg:comparator ?cmp } OPTIONAL { ?t pkg:baseline ?base }
  OPTIONAL { ?t pkg:deadline ?deadline }
  OPTIONAL { ?task pkg:hasTarget ?t OPTIONAL { ?task rdfs:label ?taskl } }
  OPTIONAL { ?t pkg:evidence/oa:exact ?quote }
} ORDER BY ?t LIMIT $limit""",
            nodes=iris(nodes),
            limit=count(MAX_TARGETS + 1),
        ),
    )
    inside = _divisions_within(store, place) if place else None
    by_target: dict[str, ComparedTarget] = {}
    for r in found:
        t = r["t"].value
        if t in by_target:  # a second label or title: the first (sorted) reading stands
            continue
        if r["scoped"] is not None:
            place_ref: Ref | None = Ref(r["scoped"].value, text(r["scopedl"]), "AdministrativeDivision")
        elif r["governed"] is not None:
            place_ref = Ref(r["governed"].value, text(r["governedl"]), "AdministrativeDivision")
        else:
            place_ref = None
        if inside is not None and (place_ref is None or place_ref.iri not in inside):
            continue
        deadline, issued = text(r["deadline"]), text(r["issued"])
        year = _year(deadline) or _year(issued)
        if year_from is not None and (year is None or year < year_from):
            continue
        if year_to is not None and (year is None or year > year_to):
            continue
        by_target[t] = ComparedTarget(
            t,
            Ref(r["doc"].value, text(r["doct"]), "PolicyDocument"),
            text(r["issuer"]),
            issued,
            place_ref,
            year,
            decimal(r["value"]),
            decimal(r["min"]),
            decimal(r["max"]),
            text(r["unit"]),
            r["cmp"].value.rsplit("#", 1)[-1] if r["cmp"] else None,
            decimal(r["base"]),
            deadline,
            Ref(r["task"].value, text(r["taskl"]), "Task") if r["task"] else None,
            text(r["quote"]),
        )
    targets = sorted(
        by_target.values(),
        key=lambda c: (c.place.label or c.place.iri if c.place else "\uffff", c.year or 0, c.document.iri, c.target),
    )
    labels = rows(
        store,
        sparql(
            "SELECT DISTINCT ?l ?alt WHERE { VALUES ?i { $nodes } OPTIONAL { ?i rdfs:label ?l } "
            "OPTIONAL { ?i skos:altLabel ?alt } }",
            nodes=iris(nodes),
        ),
    )
    main = sorted({r["l"].value for r in labels if r["l"] is not None})
    spellings = sorted({*main, *(r["alt"].value for r in labels if r["alt"] is not None)})
    return Comparison(
        Ref(nodes[0], main[0] if main else None, "Indicator"),
        spellings,
        targets[:MAX_TARGETS],
        len(found) > MAX_TARGETS,
    )


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date and date[:4].isdigit() else None


def _divisions_within(store: Any, place: str) -> set[str]:
    """The division ``place`` names (an IRI, a 6-digit code or a name) and every one within it."""
    if place.startswith(("http://", "https://")):
        root = iri(place)
    else:
        code = place if place.isdigit() else None
        found = rows(
            store,
            sparql(
                "SELECT ?d WHERE { ?d a pkg:AdministrativeDivision . { ?d pkg:adminCode $v } "
                "UNION { ?d rdfs:label $v } UNION { ?d skos:altLabel $v } } ORDER BY ?d LIMIT 1",
                v=literal(code or place),
            ),
        )
        if not found:
            raise NotFoundError(f"no division {shown(place)}", hint="give its name (昆明市), code (530100) or IRI")
        root = iri(found[0]["d"].value)
    found = rows(store, sparql("SELECT DISTINCT ?d WHERE { ?d pkg:within* $root }", root=root))
    return {r["d"].value for r in found} | {root.text.strip("<>")}
