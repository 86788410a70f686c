"""A program through time: the documents that name it, by year and place, and its lineage.

Researchers ask which plans took a program up and when it gave way to its successor.
:func:`timeline` answers for one program (named by IRI, label or short name): each document
that names it (in a task, a section or its own text), with the year it was issued, the place
it governs, how many of its tasks name the program and how it first writes it; the
program's parts and umbrella, the programs it continues and those that continue it, each of
those with its own first and last year in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.graph.read import Ref, consistent, integer, linked, rows, text
from policykg.graph.search import resolve
from policykg.graph.sparql_params import iri, iris, sparql


@dataclass(frozen=True)
class TimelineEntry:
    document: Ref
    issued: str | None
    year: int | None
    place: Ref | None  # the division the document governs
    tasks: int  # how many of its tasks name the program
    quote: str | None  # how the document first writes it (its first mention's characters)


@dataclass(frozen=True)
class LineageStep:
    program: Ref
    first_year: int | None  # the first and last year a document in the store names it
    last_year: int | None


@dataclass(frozen=True)
class Timeline:
    program: Ref
    entries: list[TimelineEntry]  # by year, then document
    part_of: list[Ref]
    parts: list[Ref]
    predecessors: list[LineageStep]  # the programs it continues (pkg:successorOf), and theirs
    successors: list[LineageStep]  # the programs that continue it, and theirs


@consistent
def timeline(store: Any, program: str) -> Timeline:
    root = resolve(store, program, ["Program"])
    node = iri(root.iri)
    # Per document: how many tasks name it and where it is first named (one grouped pass), then
    # that first mention's characters and the document's metadata, joined in the same query.
    found = rows(
        store,
        sparql(
            """
SELECT ?doc ?title ?issued ?place ?placel ?tasks ?exact WHERE {
  { SELECT ?doc (COUNT(DISTINCT ?task) AS ?tasks) (MIN(?start) AS ?first) WHERE {
      ?m pkg:mentionOf $p ; prov:wasDerivedFrom ?doc ; pkg:evidence/oa:start ?start .
      OPTIONAL { ?m pkg:mentionIn ?task . ?task a pkg:Task } } GROUP BY ?doc }
  OPTIONAL { ?m2 pkg:mentionOf $p ; prov:wasDerivedFrom ?doc ; pkg:evidence ?e . ?e oa:start ?first ; oa:exact ?exact }
  OPTIONAL { ?doc dcterms:title ?title } OPTIONAL { ?doc dcterms:issued ?issued }
  OPTIONAL { ?doc dcterms:spatial ?place OPTIONAL { ?place rdfs:label ?placel } }
} ORDER BY ?doc ?exact""",
            p=node,
        ),
    )
    entries: dict[str, TimelineEntry] = {}
    for r in found:
        doc = r["doc"].value
        if doc in entries:  # a second title, place or quote: the first (sorted) reading stands
            continue
        issued = text(r["issued"])
        entries[doc] = TimelineEntry(
            Ref(doc, text(r["title"]), "PolicyDocument"),
            issued,
            int(issued[:4]) if issued and issued[:4].isdigit() else None,
            Ref(r["place"].value, text(r["placel"]), "AdministrativeDivision") if r["place"] else None,
            integer(r["tasks"]) or 0,
            text(r["exact"]),
        )
    ordered = sorted(entries.values(), key=lambda e: (e.year is None, e.year or 0, e.document.iri))
    return Timeline(
        root,
        ordered,
        linked(store, sparql("$p pkg:partOf ?x .", p=node)),
        linked(store, sparql("?x pkg:partOf $p .", p=node)),
        _lineage(store, _merged(linked(store, sparql("$p pkg:successorOf+ ?x .", p=node)), _registry_line(root, -1))),
        _lineage(store, _merged(linked(store, sparql("?x pkg:successorOf+ $p .", p=node)), _registry_line(root, +1))),
    )


def _registry_line(root: Ref, direction: int) -> list[Ref]:
    """The programs before (-1) or after (+1) a registered program in the programme registry's
    succession, whether or not a document of the store names them (the registry is the source
    of every pkg:successorOf)."""
    from policykg.loaders.registry_match import active_matcher

    prefix, _, program_id = root.iri.rpartition("/")
    registry = active_matcher().registry
    if program_id not in registry:
        return []
    out: list[Ref] = []
    frontier = [program_id]
    while frontier:
        current = frontier.pop(0)
        if direction < 0:
            older = registry.by_id[current].successor_of
            nxt = [older] if older else []
        else:
            nxt = [p.id for p in registry.successors(current)]
        for other in nxt:
            if all(r.iri != f"{prefix}/{other}" for r in out):
                out.append(Ref(f"{prefix}/{other}", registry.by_id[other].name, "Program"))
                frontier.append(other)
    return out


def _merged(in_store: list[Ref], from_registry: list[Ref]) -> list[Ref]:
    seen = {r.iri for r in in_store}
    return in_store + [r for r in from_registry if r.iri not in seen]


def _lineage(store: Any, programs: list[Ref]) -> list[LineageStep]:
    if not programs:
        return []
    years = {
        r["p"].value: (integer(r["first"]), integer(r["last"]))
        for r in rows(
            store,
            sparql(
                """
SELECT ?p (MIN(YEAR(?issued)) AS ?first) (MAX(YEAR(?issued)) AS ?last) WHERE {
  VALUES ?p { $programs } ?m pkg:mentionOf ?p ; prov:wasDerivedFrom ?doc . ?doc dcterms:issued ?issued
} GROUP BY ?p""",
                programs=iris(p.iri for p in programs),
            ),
        )
    }
    steps = [LineageStep(p, *years.get(p.iri, (None, None))) for p in programs]
    return sorted(steps, key=lambda s: (s.first_year is None, s.first_year or 0, s.program.iri))
