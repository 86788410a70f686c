"""The rankings planners ask for: the most connected programs, the divisions with the most
targets, the indicators measured in more than one document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.graph.projection import PROJECTIONS
from policykg.graph.read import rows, text
from policykg.graph.sparql_params import count, sparql


@dataclass(frozen=True)
class ProgramRank:
    iri: str
    label: str | None
    degree: int  # distinct neighbours in the projection
    tasks: int  # tasks naming it
    documents: int  # documents describing it


@dataclass(frozen=True)
class DivisionRank:
    iri: str
    label: str | None
    targets: int  # targets scoped to it or to a division within it
    direct: int  # targets scoped to it


@dataclass(frozen=True)
class IndicatorRank:
    iri: str
    label: str | None
    documents: int
    targets: int


@dataclass(frozen=True)
class Rankings:
    programs: list[ProgramRank]
    divisions: list[DivisionRank]
    indicators: list[IndicatorRank]


def rankings(store: Any, limit: int = 10) -> Rankings:
    limit = max(1, min(int(limit), 1000))
    g = PROJECTIONS.get(store)
    programs = []
    for n, d in g.nodes(data=True):
        if d["kind"] != "Program":
            continue
        neighbours = set(g.successors(n)) | set(g.predecessors(n))
        tasks = {s for s, _, k in g.in_edges(n, keys=True) if k == "mentions" and g.nodes[s]["kind"] == "Task"}
        programs.append(ProgramRank(n, d["label"], len(neighbours), len(tasks), len(d["documents"])))
    programs.sort(key=lambda x: (-x.degree, -x.tasks, x.label or x.iri))

    divisions = [
        DivisionRank(r["d"].value, text(r["l"]), int(r["total"].value), int(r["own"].value))
        for r in rows(
            store,
            sparql(
                """
        SELECT ?d ?l (COUNT(DISTINCT ?t) AS ?total) (COUNT(DISTINCT ?direct) AS ?own) WHERE {
          ?d a pkg:AdministrativeDivision .
          ?t pkg:appliesTo ?d2 . ?d2 pkg:within* ?d .
          OPTIONAL { ?t pkg:appliesTo ?d . BIND(?t AS ?direct) }
          OPTIONAL { ?d rdfs:label ?l }
        } GROUP BY ?d ?l ORDER BY DESC(?total) DESC(?own) ?l LIMIT $limit""",
                limit=count(limit),
            ),
        )
    ]
    indicators = [
        IndicatorRank(r["i"].value, text(r["l"]), int(r["docs"].value), int(r["targets"].value))
        for r in rows(
            store,
            sparql(
                """
        SELECT ?i ?l (COUNT(DISTINCT ?g) AS ?docs) (COUNT(DISTINCT ?t) AS ?targets) WHERE {
          GRAPH ?g { ?t pkg:indicator ?i } OPTIONAL { ?i rdfs:label ?l }
        } GROUP BY ?i ?l HAVING (COUNT(DISTINCT ?g) > 1) ORDER BY DESC(?docs) DESC(?targets) ?l LIMIT $limit""",
                limit=count(limit),
            ),
        )
    ]
    return Rankings(programs[:limit], divisions, indicators)
