"""Reads of targets: the quantified goals of tasks, filtered, and the page-then-details read of them
that tasks, programs and divisions use too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import QueryError
from policykg.graph.kinds import local_name
from policykg.graph.read import Page, Ref, consistent, decimal, rows, text
from policykg.graph.sparql_params import Sparql, count, iri, iris, joined, literal, number, shown, sparql
from policykg.ontology import PKG

COMPARATORS = ("AtLeast", "AtMost", "Exactly", "Approximately", "Between", "IncreaseBy", "DecreaseBy")


@dataclass(frozen=True)
class TargetInfo:
    iri: str
    label: str | None
    indicator: Ref | None
    value: float | None
    min_value: float | None
    max_value: float | None
    unit: str | None
    comparator: str | None
    deadline: str | None
    period: str | None
    baseline: float | None  # the value it starts from (从80%提高到90%: 80)
    bindingness: str | None  # "Binding" (约束性) or "Anticipatory" (预期性), as the plan labels it
    divisions: list[Ref]
    task: Ref | None
    document: Ref | None


def targets_where(store: Any, where: Sparql, *, offset: int = 0, limit: int = 100) -> list[TargetInfo]:
    """The targets ``?t`` that the pattern ``where`` matches, by document and task, one page."""
    # Page first, then details: the matching targets with their task and document only,
    # sorted here, and the detail query for one page. Grouping and sorting every matching
    # target with all its details took 6 s for a program named by 48 000 tasks.
    keys = {
        (text(r["doc"]), text(r["task"]), r["t"].value)
        for r in rows(
            store,
            sparql(
                """
SELECT DISTINCT ?t ?task ?doc WHERE { ?t a pkg:Target . $where
  OPTIONAL { ?task pkg:hasTarget ?t } OPTIONAL { ?t prov:wasDerivedFrom ?doc } }""",
                where=where,
            ),
        )
    }
    ordered = sorted(keys, key=lambda k: (k[0] is not None, k[0] or "", k[1] is not None, k[1] or "", k[2]))
    page = list(dict.fromkeys(t for _, _, t in ordered[int(offset) : int(offset) + int(limit)]))
    if not page:
        return []
    found = rows(
        store,
        sparql(
            """
SELECT ?t ?label ?ind ?indl ?value ?min ?max ?unit ?cmp ?deadline ?period ?base ?binding ?task ?taskl ?doc ?docl
  (GROUP_CONCAT(DISTINCT STR(?div); separator="\\u001f") AS ?divs)
  (GROUP_CONCAT(DISTINCT CONCAT(STR(?div), "\\u001e", COALESCE(?divl, "")); separator="\\u001f") AS ?divls) WHERE {
  ?t a pkg:Target . VALUES ?t { $page }
  OPTIONAL { ?t rdfs:label ?label }
  OPTIONAL { ?t pkg:indicator ?ind OPTIONAL { ?ind rdfs:label ?indl } }
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:minValue ?min } OPTIONAL { ?t pkg:maxValue ?max }
  OPTIONAL { ?t pkg:unit ?unit } OPTIONAL { ?t pkg:comparator ?cmp } OPTIONAL { ?t pkg:deadline ?deadline }
  OPTIONAL { ?t pkg:period ?period } OPTIONAL { ?t pkg:baseline ?base } OPTIONAL { ?t pkg:bindingness ?binding }
  OPTIONAL { ?task pkg:hasTarget ?t OPTIONAL { ?task rdfs:label ?taskl } }
  OPTIONAL { ?t prov:wasDerivedFrom ?doc OPTIONAL { ?doc dcterms:title ?docl } }
  OPTIONAL { ?t pkg:appliesTo ?div OPTIONAL { ?div rdfs:label ?divl } }
} GROUP BY ?t ?label ?ind ?indl ?value ?min ?max ?unit ?cmp ?deadline ?period ?base ?binding ?task ?taskl ?doc ?docl
ORDER BY ?doc ?task ?t LIMIT $limit""",
            page=iris(page),
            limit=count(limit),
        ),
    )
    out = []
    for r in found:
        divs = []
        if r["divls"] is not None and r["divls"].value:
            for item in r["divls"].value.split("\u001f"):
                d, _, label = item.partition("\u001e")
                divs.append(Ref(d, label or None, "AdministrativeDivision"))
        out.append(
            TargetInfo(
                r["t"].value,
                text(r["label"]),
                Ref(r["ind"].value, text(r["indl"]), "Indicator") if r["ind"] is not None else None,
                decimal(r["value"]),
                decimal(r["min"]),
                decimal(r["max"]),
                text(r["unit"]),
                local_name(r["cmp"].value) if r["cmp"] is not None else None,
                text(r["deadline"]),
                text(r["period"]),
                decimal(r["base"]),
                local_name(r["binding"].value) if r["binding"] is not None else None,
                divs,
                Ref(r["task"].value, text(r["taskl"]), "Task") if r["task"] is not None else None,
                Ref(r["doc"].value, text(r["docl"]), "PolicyDocument") if r["doc"] is not None else None,
            )
        )
    return out


@consistent
def find_targets(
    store: Any,
    *,
    indicator: str | None = None,
    division: str | None = None,
    comparator: str | None = None,
    document: str | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[TargetInfo]:
    """Targets filtered by indicator (IRI or label substring), division (IRI or admin code,
    including divisions within it), comparator (local name), document IRI and value range."""
    parts = []
    if indicator:
        if indicator.startswith(("http://", "https://")):
            parts.append(sparql("?t pkg:indicator $indicator .", indicator=iri(indicator)))
        else:
            parts.append(
                sparql("?t pkg:indicator/rdfs:label ?_il . FILTER(CONTAINS(?_il, $text))", text=literal(indicator))
            )
    if division:
        if division.startswith(("http://", "https://")):
            parts.append(sparql("?t pkg:appliesTo/pkg:within* $division .", division=iri(division)))
        else:
            parts.append(
                sparql("?t pkg:appliesTo/pkg:within* ?_dv . ?_dv pkg:adminCode $code .", code=literal(division))
            )
    if comparator:
        if comparator not in COMPARATORS:
            raise QueryError(f"unknown comparator {shown(comparator)!r}; use one of {', '.join(COMPARATORS)}")
        parts.append(sparql("?t pkg:comparator $comparator .", comparator=iri(PKG + comparator)))
    if document:
        parts.append(sparql("?t prov:wasDerivedFrom $document .", document=iri(document)))
    if min_value is not None or max_value is not None:
        parts.append(sparql("?t pkg:value ?_v ."))
        if min_value is not None:
            parts.append(sparql("FILTER(?_v >= $min)", min=number(min_value, "min_value")))
        if max_value is not None:
            parts.append(sparql("FILTER(?_v <= $max)", max=number(max_value, "max_value")))
    where = joined(parts)
    total = int(
        rows(store, sparql("SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a pkg:Target . $where }", where=where))[0][
            "n"
        ].value
    )
    return Page(targets_where(store, where, offset=offset, limit=limit), total, offset, limit)
