"""Where to start browsing an empty network view: the most named programs and the documents.

Cheaper than :func:`policykg.graph.rankings.rankings` (which needs the networkx projection,
seconds to build at 10^5 nodes): one aggregate over the links that point at a program
(``pkg:mentions``, ``pkg:partOf``, ``pkg:dependsOn``), cached per state of the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.graph.documents import document_titles
from policykg.graph.read import Ref, rows, text
from policykg.graph.sparql_params import count, sparql
from policykg.graph.store.cache import StoreStateCache

#: Programs kept in the cache (the view asks for fewer).
_KEPT = 50


@dataclass(frozen=True)
class ProgramStart:
    iri: str
    label: str | None
    links: int  # distinct tasks, sections, documents and programs naming it, part of it or built on it


@dataclass(frozen=True)
class StartingPoints:
    programs: list[ProgramStart]
    documents: list[Ref]


def _read(store: Any) -> StartingPoints:
    found = rows(
        store,
        sparql(
            """
SELECT ?p (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?x) AS ?n) WHERE {
  { ?x pkg:mentions ?p } UNION { ?x pkg:partOf ?p } UNION { ?x pkg:dependsOn ?p }
  ?p a pkg:Program .
  OPTIONAL { ?p rdfs:label ?l }
} GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT $limit""",
            limit=count(_KEPT),
        ),
    )
    programs = [ProgramStart(r["p"].value, text(r["label"]), int(r["n"].value)) for r in found]
    return StartingPoints(programs, document_titles(store))


_CACHE: StoreStateCache[StartingPoints] = StoreStateCache(_read)


def starting_points(store: Any, *, programs: int = 12, documents: int = 30) -> StartingPoints:
    """The ``programs`` most linked programs (most first) and the first ``documents`` documents."""
    got = _CACHE.get(store)
    return StartingPoints(got.programs[: max(0, programs)], got.documents[: max(0, documents)])
