"""What a task rests on: the trace the other way round, from one task.

The programs and tasks it depends on (``pkg:dependsOn``, followed on: what they depend on, the
umbrella a program is ``pkg:partOf``, the program it continues, ``pkg:successorOf``), the
programs it only names (``pkg:mentions``, followed on the same way), the documents it and the
tasks it rests on cite (``dcterms:references``), and the units that lead and support each task
(``pkg:ledBy``, ``pkg:supportedBy``). Each edge carries the quote it was read from: a dependency
the words that make it one (依托X, 以X为抓手), a named program its Mention, a unit its Mention in
the task, a citation the title as the task writes it; a successor link has the programme
registry as its source. The answer is a :class:`~policykg.graph.trace.Trace` rooted at the task, so the
terminal, the network view and the API render it as they render a program's trace.
"""

from __future__ import annotations

from typing import Any

from policykg.graph.evidence import DocumentTexts, Evidence, namings, own_evidence
from policykg.graph.kinds import CLASS_KINDS, EdgeKind
from policykg.graph.read import consistent, rows, text
from policykg.graph.search import resolve
from policykg.graph.sparql_params import iri, iris, sparql
from policykg.graph.trace import (
    MAX_TRACE_NODES,
    REGISTRY,
    Trace,
    TraceEdge,
    TraceNode,
    _part_facts,
    attach_citations,
    attach_leads,
)

#: What a node rests on, by how the store links them: (edge, relation, the reached node is the edge's source).
_RESTS_ON = {
    "dependsOn": (EdgeKind.DEPENDS_ON, "depends on", False),
    "partOf": (EdgeKind.PART_OF, "is part of", False),
    "continues": (EdgeKind.SUCCESSOR_OF, "continues", False),
    "names": (EdgeKind.MENTIONS, "names", False),
}


@consistent
def rests_on(store: Any, task: str, *, max_nodes: int = MAX_TRACE_NODES) -> Trace:
    """What ``task`` (an IRI, or a task's title) rests on, as a tree rooted at the task.

    Breadth-first from the task: the programs and tasks it ``pkg:dependsOn``, then the programs
    it names, and on from each of them (a program's umbrella and the program it continues too); then, for the task and
    every task reached, its leads and supporting units and the documents it cites. At most
    ``max_nodes`` nodes, nearest first; past the cap the answer says ``truncated``.
    NotFoundError when no task has that IRI or title.
    """
    max_nodes = max(1, max_nodes)
    start = resolve(store, task, ["Task"])
    texts = DocumentTexts(store)
    facts = _part_facts(store, [start.iri]).get(start.iri)
    root = TraceNode(start.iri, "Task", start.label, facts=facts.facts if facts else None)
    nodes: dict[str, TraceNode] = {root.iri: root}
    edges: list[TraceEdge] = []
    tasks: dict[str, TraceNode] = {root.iri: root}
    queue, truncated = [root.iri], False
    while queue:
        here = queue.pop(0)
        reached = _rested_on(store, here)
        cues = _cues(store, texts, here, [n for n, rel, *_ in reached if rel == "dependsOn"])
        named = [n for n, rel, *_ in reached if rel == "names"]
        quotes = {m.entity: m.evidence for m in namings(store, texts, named, parts=[here]) if m.evidence}
        for n, rel, cls, label in reached:
            if n in nodes:
                continue
            if len(nodes) >= max_nodes:
                truncated = True
                break
            kind, relation, _ = _RESTS_ON[rel]
            basis = REGISTRY if kind is EdgeKind.SUCCESSOR_OF else None
            ev = cues.get(n) if kind is EdgeKind.DEPENDS_ON else quotes.get(n) if kind is EdgeKind.MENTIONS else None
            node = TraceNode(n, cls, label, kind, relation, ev, basis=basis)
            nodes[here].children.append(node)
            nodes[n] = node
            edges.append(TraceEdge(here, n, kind, ev, basis))
            if cls == "Task":
                tasks[n] = node
            queue.append(n)
    if len(tasks) > 1:
        found = _part_facts(store, [t for t in tasks if t != root.iri])
        for t, node in tasks.items():
            if t in found:
                node.facts = found[t].facts
    truncated = attach_leads(store, texts, tasks, nodes, edges, max_nodes) or truncated
    truncated = attach_citations(store, texts, tasks, nodes, edges, max_nodes) or truncated
    return Trace(root, nodes, edges, [], truncated, max_nodes)


def _rested_on(store: Any, node: str) -> list[tuple[str, str, str, str | None]]:
    """(node, link, kind, label) of what ``node`` rests on directly, by link then label."""
    found = rows(
        store,
        sparql(
            """
        SELECT DISTINCT ?n ?rel ?c ?l WHERE {
          { $x pkg:dependsOn ?n BIND("dependsOn" AS ?rel) }
          UNION { $x pkg:partOf ?n BIND("partOf" AS ?rel) }
          UNION { $x pkg:successorOf ?n BIND("continues" AS ?rel) }
          UNION { $x a pkg:Task ; pkg:mentions ?n . ?n a pkg:Program BIND("names" AS ?rel) }
          ?n a ?c . FILTER(?c IN (pkg:Task, pkg:Program)) OPTIONAL { ?n rdfs:label ?l } }""",
            x=iri(node),
        ),
    )
    out = {(r["n"].value, r["rel"].value): (CLASS_KINDS[r["c"].value], text(r["l"])) for r in found}
    return sorted(
        ((n, rel, cls, label) for (n, rel), (cls, label) in out.items()),
        key=lambda x: (list(_RESTS_ON).index(x[1]), x[3] or x[0], x[0]),
    )


def _cues(store: Any, texts: DocumentTexts, subject: str, objects: list[str]) -> dict[str, Evidence]:
    """What ``subject`` depends on -> the quote that says so: the cue of the reified statement
    (依托全面改薄), else, for a task, its own text."""
    if not objects:
        return {}
    statements = {
        r["st"].value: r["o"].value
        for r in rows(
            store,
            sparql(
                """
        SELECT ?st ?o WHERE { VALUES ?o { $objects }
          ?st a rdf:Statement ; rdf:subject $s ; rdf:predicate pkg:dependsOn ; rdf:object ?o } ORDER BY ?st""",
                objects=iris(objects),
                s=iri(subject),
            ),
        )
    }
    spans = own_evidence(store, texts, [subject, *statements])
    out: dict[str, Evidence] = {}
    for statement, o in statements.items():
        if statement in spans:
            out.setdefault(o, spans[statement])
    own = spans.get(subject)  # a program has none: only its statements' cues, if any
    return {o: ev for o in objects if (ev := out.get(o) or own) is not None}
