"""Tracing a program: everything it reaches through ``pkg:partOf``, ``pkg:dependsOn`` and ``pkg:successorOf``.

Its sub-programs (and the programs it depends on or that depend on it, the programs it continues
or that continue it), the tasks that name any of them, those tasks' targets (with their
baselines), the divisions in scope, the units that lead or support them and the documents they
cite, each edge with the quote it was read from (or, for a successor, the programme registry as
its source), as a tree (:class:`TraceNode`) and as nodes and edges. The network view and the
terminal render a :class:`Trace`; they live in :mod:`policykg.viz` and :mod:`policykg.cli`.
What a task rests on, the other way round, is :mod:`policykg.graph.reverse_trace`.

Why one module: a trace is one walk — the programs reached decide which tasks are read, the
tasks decide the targets, divisions, leads and citations, and every edge carries the quote of
the same read — so the queries and the tree they build change together; the parts other reads
need (evidence, namings, citations) already live in their own modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from policykg.graph.citations import document_keys, title_key
from policykg.graph.evidence import DocumentTexts, Evidence, Naming, namings, own_evidence, parts_naming
from policykg.graph.kinds import CLASS_KINDS, EdgeKind, local_name
from policykg.graph.read import consistent, integer, rows, text
from policykg.graph.search import resolve
from policykg.graph.sparql_params import iri, iris, sparql
from policykg.ontology import PKG

#: Default of the ``max_trace_nodes`` setting: one trace gathers at most this many nodes.
MAX_TRACE_NODES = 2000
#: The basis of a link the text does not state: the programme registry (docs/programs-registry.md).
REGISTRY = "registry"


@dataclass(frozen=True)
class PartFacts:
    """Where a task, section or document stands."""

    number: str | None
    ordinal: int | None
    document: str | None
    document_title: str | None
    section: str | None


@dataclass(frozen=True)
class TargetFacts:
    """What a target asks for (the value as written in the store)."""

    indicator: str | None
    indicator_label: str | None
    value: str | None
    unit: str | None
    comparator: str | None
    deadline: str | None
    baseline: str | None = None  # the value the target starts from (从85%提高到92%: 85)
    bindingness: str | None = None  # Binding (约束性) or Anticipatory (预期性)


@dataclass
class TraceNode:
    """A node of the trace's tree, reached from its parent by ``edge``."""

    iri: str
    kind: str
    label: str | None
    edge: EdgeKind | None = None
    relation: str | None = None  # the edge as read from the parent ("has part", "is named in" …)
    evidence: Evidence | None = None
    facts: PartFacts | TargetFacts | None = None
    children: list[TraceNode] = field(default_factory=list)
    ref: bool = False  # drawn in full elsewhere in the tree
    basis: str | None = None  # REGISTRY: the edge comes from the programme registry, not a quote

    def walk(self) -> Iterator[TraceNode]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class TraceEdge:
    source: str
    target: str
    kind: EdgeKind
    evidence: Evidence | None
    basis: str | None = None  # REGISTRY: from the programme registry, not a quote


@dataclass
class Trace:
    root: TraceNode
    #: every node reached, once: where the tree first shows it
    nodes: dict[str, TraceNode]
    edges: list[TraceEdge]
    part_of: list[TraceNode] = field(default_factory=list)  # umbrella programs of the root, for context
    #: the reach was cut at ``max_nodes`` (what is kept is what lies nearest the program)
    truncated: bool = False
    max_nodes: int = 0

    def by_kind(self, kind: str) -> list[TraceNode]:
        return [n for n in self.nodes.values() if n.kind == kind]

    def counts(self, *, root: bool = True) -> dict[str, int]:
        """Nodes reached by kind, kinds in the order first reached (``root=False``: without the root)."""
        out: dict[str, int] = {}
        for n in self.nodes.values():
            if root or n is not self.root:
                out[n.kind] = out.get(n.kind, 0) + 1
        return out


#: How a program reached from another is linked to it: (edge, relation, it is the edge's source).
_PROGRAM_LINKS = {
    "part": (EdgeKind.PART_OF, "has part", True),
    "dependsOn": (EdgeKind.DEPENDS_ON, "depends on", False),
    "neededBy": (EdgeKind.DEPENDS_ON, "is needed by", True),
    "successor": (EdgeKind.SUCCESSOR_OF, "is continued by", True),
    "predecessor": (EdgeKind.SUCCESSOR_OF, "continues", False),
}
#: Relations whose reached program is the edge's source.
_CHILD_IS_SOURCE = {relation for _, relation, is_source in _PROGRAM_LINKS.values() if is_source}


@consistent
def trace(store: Any, program: str, *, max_programs: int = 500, max_nodes: int = MAX_TRACE_NODES) -> Trace:
    """Everything a program reaches through pkg:partOf, pkg:dependsOn and pkg:successorOf, with
    evidence for each edge.

    At most ``max_nodes`` nodes, nearest first: sub-programs, predecessors and successors in
    breadth-first order, then the parts that name them or depend on them (by program), then the
    tasks' targets and divisions, the units that lead and support them, the documents they cite
    (``dcterms:references``). A successor link comes from the programme registry, not the text:
    it has no quote, and says so (``basis`` is :data:`REGISTRY`). Past the
    cap the trace says ``truncated``: a program named in every task of a large store would
    otherwise cost seconds of CPU and megabytes of JSON per request. A part named with several
    programs is drawn in full under the most specific one.
    """
    max_nodes = max(1, max_nodes)
    start = resolve(store, program, ["Program"])
    texts = DocumentTexts(store)
    root = TraceNode(start.iri, "Program", start.label)
    nodes: dict[str, TraceNode] = {root.iri: root}
    edges: list[TraceEdge] = []

    # 1. programs reached through partOf (sub-programs) and dependsOn (both ways)
    order, pending, truncated = _programs(store, root, nodes, min(max_programs, max_nodes))
    programs = {n: nodes[n] for n in order}
    part_of = [
        TraceNode(r["u"].value, "Program", text(r["l"]), EdgeKind.PART_OF, "is part of")
        for r in rows(
            store,
            sparql(
                "SELECT DISTINCT ?u ?l WHERE { $root pkg:partOf ?u . OPTIONAL { ?u rdfs:label ?l } }",
                root=iri(root.iri),
            ),
        )
    ]

    # 2. parts that name them (tasks expanded, sections as context); tasks depending on them.
    # Only their IRIs are read first; the parts kept, nearest program first, fill the node budget.
    dependents = rows(
        store,
        sparql(
            """
        SELECT DISTINCT ?p ?t ?dir WHERE { VALUES ?p { $programs } ?t a pkg:Task .
          { ?t pkg:dependsOn ?p BIND("in" AS ?dir) } UNION { ?p pkg:dependsOn ?t BIND("out" AS ?dir) } }""",
            programs=iris(order),
        ),
    )
    depending: dict[str, set[str]] = {}
    for r in dependents:
        depending.setdefault(r["p"].value, set()).add(r["t"].value)
    candidates = _parts_in_order(store, order, depending)
    kept, parts, cut = _keep_parts(store, candidates, nodes, max_nodes - len(nodes))
    truncated = truncated or cut
    mentions = namings(store, texts, order, parts=list(kept)) if kept else []
    links: list[tuple[str, str, EdgeKind, str, Evidence | None]] = []  # (program, part, edge, relation, evidence)
    for m in mentions:
        links.append((m.entity, m.part, EdgeKind.MENTIONS, "is named in", m.evidence))
    for r in dependents:
        if r["t"].value in kept:
            relation = "is needed by" if r["dir"].value == "in" else "depends on"
            links.append((r["p"].value, r["t"].value, EdgeKind.DEPENDS_ON, relation, None))

    part_iris = list(dict.fromkeys(link[1] for link in links))
    own = own_evidence(store, texts, part_iris)
    # A dependency is quoted by the words that make it one (依托X, 以X为抓手: the reified
    # statement's span); else, where the store has no such statement, by the task's own text.
    cues = _dependency_cues(store, texts, order)
    links = [
        (p, t, k, rel, ev or (cues.get((t, p)) or own.get(t) if k is EdgeKind.DEPENDS_ON else None))
        for p, t, k, rel, ev in links
    ]

    # evidence of program -> program edges: a mention of the child (preferably one quoting the parent)
    by_entity: dict[str, list[Naming]] = {}
    for m in mentions:
        by_entity.setdefault(m.entity, []).append(m)

    def first_seen(node: str) -> tuple[str, int]:
        """Sub-programs in the order the text first names them."""
        seen = [m.evidence for m in by_entity.get(node, []) if m.evidence]
        return min(((e.document or "", e.start) for e in seen), default=("~", 0))

    for pn in programs.values():
        pn.children.sort(key=lambda c: first_seen(c.iri))
    order = [order[0]] + sorted(order[1:], key=lambda i: (first_seen(i), i))
    for src, dst, kind, relation in pending:
        child = src if relation in _CHILD_IS_SOURCE else dst
        if kind is EdgeKind.SUCCESSOR_OF:  # the registry says so, not a sentence
            programs[child].basis = REGISTRY
            edges.append(TraceEdge(src, dst, kind, None, REGISTRY))
            continue
        other_label = nodes[dst if child == src else src].label or ""
        named = by_entity.get(child, [])
        pick = next((m for m in named if m.evidence and other_label and other_label in m.evidence.context), None)
        pick = (
            pick
            or next((m for m in named if m.evidence and m.part_kind == "Task"), None)
            or next((m for m in named if m.evidence), None)
        )
        ev = pick.evidence if pick else None
        programs[child].evidence = ev
        edges.append(TraceEdge(src, dst, kind, ev))

    # sort links by document order so the tree reads like the text
    def part_key(part: str) -> tuple[str, int, int, str]:
        found = parts.get(part, _UNKNOWN_PART)
        return (found.facts.document or "", 0 if found.kind == "Section" else 1, found.facts.ordinal or 0, part)

    rank = {node: i for i, node in enumerate(order)}  # (order.index per link was quadratic)
    links.sort(key=lambda link: (rank[link[0]], part_key(link[1])))
    if len(links) > 2 * max_nodes:  # a few parts each named by hundreds of programs
        links, truncated = links[: 2 * max_nodes], True
    # a part named with several programs is drawn in full under the most specific one
    owner: dict[str, int] = {}
    for prog, part, *_ in links:
        owner[part] = max(owner.get(part, -1), rank[prog])
    tasks: dict[str, TraceNode] = {}
    for prog, part, kind, relation, ev in links:
        found = parts.get(part, _UNKNOWN_PART)
        part_kind = found.kind
        node = TraceNode(part, part_kind, found.label, kind, relation, ev, found.facts)
        edges.append(TraceEdge(prog, part, kind, ev) if relation == "depends on" else TraceEdge(part, prog, kind, ev))
        if part in tasks or owner[part] != rank[prog] or (part_kind == "Section" and part in nodes):
            node.ref = True
        elif part_kind == "Task":
            tasks[part] = node
        nodes.setdefault(part, node)
        programs[prog].children.append(node)

    # 3. targets of the tasks, and divisions in scope; who leads them; what they cite
    truncated = _targets_and_divisions(store, texts, tasks, nodes, edges, max_nodes) or truncated
    truncated = attach_leads(store, texts, tasks, nodes, edges, max_nodes) or truncated
    truncated = attach_citations(store, texts, tasks, nodes, edges, max_nodes) or truncated
    return Trace(root, nodes, edges, part_of, truncated, max_nodes)


#: The role of a unit, as its link and as it reads from the task.
_ROLES = {"lead": (EdgeKind.LED_BY, "led by"), "support": (EdgeKind.SUPPORTED_BY, "supported by")}


def attach_leads(
    store: Any,
    texts: DocumentTexts,
    tasks: dict[str, TraceNode],
    nodes: dict[str, TraceNode],
    edges: list[TraceEdge],
    max_nodes: int,
) -> bool:
    """Hang the units that lead (``pkg:ledBy``) and support (``pkg:supportedBy``) each of ``tasks``
    under it, leads first, each quoted by its Mention in the task (the bracket or sentence that
    names it) where the store has one; whether the node cap cut any."""
    if not tasks:
        return False
    found = [
        (r["t"].value, r["role"].value, r["o"].value, text(r["l"]))
        for r in rows(
            store,
            sparql(
                """
        SELECT DISTINCT ?t ?role ?o ?l WHERE { VALUES ?t { $tasks }
          { ?t pkg:ledBy ?o BIND("lead" AS ?role) } UNION { ?t pkg:supportedBy ?o BIND("support" AS ?role) }
          OPTIONAL { ?o rdfs:label ?l } }""",
                tasks=iris(tasks),
            ),
        )
    ]
    if not found:
        return False
    quotes = _unit_quotes(store, texts, list(tasks), list({o for *_, o, _ in found}))

    def order(row: tuple[str, str, str, str | None]) -> tuple[str, int, int, str]:
        t, role, o, label = row
        ev = quotes.get((t, o))
        return (t, list(_ROLES).index(role), ev.start if ev else 1 << 60, label or o)

    truncated = False
    for t, role, o, label in sorted(found, key=order):
        if o not in nodes and len(nodes) >= max_nodes:
            truncated = True
            continue
        kind, relation = _ROLES[role]
        ev = quotes.get((t, o))
        unit = TraceNode(o, "Organization", label, kind, relation, ev)
        tasks[t].children.append(unit)
        nodes.setdefault(o, unit)
        edges.append(TraceEdge(t, o, kind, ev))
    return truncated


#: Words that give a unit its role (牵头单位：…, …牵头, …配合, 由…负责): its Mention there is the quote.
_ROLE_CUE = re.compile(r"牵头|负责|配合|协同|参与|协助|协办|主办|单位|部门")


def _unit_quotes(
    store: Any, texts: DocumentTexts, tasks: list[str], units: list[str]
) -> dict[tuple[str, str], Evidence]:
    """(task, unit) -> the unit's Mention in the task where its role is said (the bracket or the
    sentence with 牵头, 配合 …), else its first Mention there."""
    best: dict[tuple[str, str], tuple[bool, int, Evidence]] = {}
    for r in rows(
        store,
        sparql(
            """
        SELECT ?t ?o ?sp ?exact ?start ?end ?doc WHERE { VALUES ?o { $units } VALUES ?t { $tasks }
          ?m pkg:mentionOf ?o ; pkg:mentionIn ?t ; pkg:evidence ?sp .
          ?sp oa:exact ?exact ; oa:start ?start ; oa:end ?end . OPTIONAL { ?sp prov:wasDerivedFrom ?doc } }""",
            units=iris(units),
            tasks=iris(tasks),
        ),
    ):
        ev = texts.from_row(r)
        rank = (not _ROLE_CUE.search(ev.context), ev.start, ev)
        key = (r["t"].value, r["o"].value)
        if key not in best or rank[:2] < best[key][:2]:
            best[key] = rank
    return {key: ev for key, (*_, ev) in best.items()}


def attach_citations(
    store: Any,
    texts: DocumentTexts,
    parts: dict[str, TraceNode],
    nodes: dict[str, TraceNode],
    edges: list[TraceEdge],
    max_nodes: int,
) -> bool:
    """Hang the documents each of ``parts`` cites (``dcterms:references``: a title in 《》 that is a
    document in the store) under it, quoted by the title as the part writes it; whether the node
    cap cut any."""
    if not parts:
        return False
    found = [
        (r["p"].value, r["d"].value, text(r["title"]))
        for r in rows(
            store,
            sparql(
                """
        SELECT DISTINCT ?p ?d ?title WHERE { VALUES ?p { $parts } ?p dcterms:references ?d .
          OPTIONAL { ?d dcterms:title ?title } }""",
                parts=iris(parts),
            ),
        )
    ]
    if not found:
        return False
    # The quote of a citation: the part's Mention of the regulation whose title is the document's.
    cited = {
        (r["p"].value, r["r"].value): title_key(r["rl"].value)
        for r in rows(
            store,
            sparql(
                """
        SELECT DISTINCT ?p ?r ?rl WHERE { VALUES ?p { $parts } ?p pkg:mentions ?r .
          ?r a pkg:Regulation ; rdfs:label ?rl }""",
                parts=iris(parts),
            ),
        )
    }
    part_classes = [PKG + "Task", PKG + "Section", PKG + "PolicyDocument"]
    said = (
        {
            (m.part, cited[(m.part, m.entity)]): m.evidence
            for m in namings(store, texts, {r for _, r in cited}, part_classes, parts=list(parts))
            if m.evidence and (m.part, m.entity) in cited
        }
        if cited
        else {}
    )
    truncated = False
    for p, d, title in sorted(found, key=lambda x: (x[0], x[2] or "", x[1])):
        if d not in nodes and len(nodes) >= max_nodes:
            truncated = True
            continue
        keys = document_keys(title) if title else set()
        ev = next((said[(p, k)] for k in sorted(keys) if (p, k) in said), None)
        document = TraceNode(d, "PolicyDocument", title, EdgeKind.REFERENCES, "cites", ev)
        parts[p].children.append(document)
        nodes.setdefault(d, document)
        edges.append(TraceEdge(p, d, EdgeKind.REFERENCES, ev))
    return truncated


def _dependency_cues(store: Any, texts: DocumentTexts, programs: list[str]) -> dict[tuple[str, str], Evidence]:
    """(task, program) -> the span of the cue that makes the task depend on the program."""
    found = rows(
        store,
        sparql(
            """
        SELECT ?t ?p ?st WHERE { VALUES ?p { $programs }
          ?st a rdf:Statement ; rdf:subject ?t ; rdf:predicate pkg:dependsOn ; rdf:object ?p } ORDER BY ?st""",
            programs=iris(programs),
        ),
    )
    pairs = {r["st"].value: (r["t"].value, r["p"].value) for r in found}
    spans = own_evidence(store, texts, list(pairs))
    out: dict[tuple[str, str], Evidence] = {}
    for statement, pair in pairs.items():
        if statement in spans:
            out.setdefault(pair, spans[statement])
    return out


def _programs(
    store: Any, root: TraceNode, nodes: dict[str, TraceNode], cap: int
) -> tuple[list[str], list[tuple[str, str, EdgeKind, str]], bool]:
    """The programs ``root`` reaches, breadth-first, at most ``cap``: added to the tree and to
    ``nodes``; with the edges between them still to quote, and whether the cap cut the reach."""
    order = [root.iri]
    queue = [root.iri]
    pending: list[tuple[str, str, EdgeKind, str]] = []  # (source, target, edge, relation)
    truncated = False
    while queue and len(order) < cap:
        # One query per level of the walk (one per program took 1.5 s for a hub's 300 programs);
        # the level's programs are then taken in queue order, as one at a time would.
        level, queue = queue, []
        found: dict[str, list[tuple[str, str, str | None]]] = {}
        for r in rows(
            store,
            sparql(
                """
            SELECT DISTINCT ?p ?n ?rel ?l WHERE { VALUES ?p { $level }
              { ?n pkg:partOf ?p BIND("part" AS ?rel) }
              UNION { ?p pkg:dependsOn ?n BIND("dependsOn" AS ?rel) }
              UNION { ?n pkg:dependsOn ?p BIND("neededBy" AS ?rel) }
              UNION { ?n pkg:successorOf ?p BIND("successor" AS ?rel) }
              UNION { ?p pkg:successorOf ?n BIND("predecessor" AS ?rel) }
              ?n a pkg:Program . OPTIONAL { ?n rdfs:label ?l } }""",
                level=iris(level),
            ),
        ):
            found.setdefault(r["p"].value, []).append((r["n"].value, r["rel"].value, text(r["l"])))
        for i, p in enumerate(level):
            if len(order) >= cap:
                queue = level[i:] + queue  # programs not walked: the reach was cut
                break
            reached = sorted(set(found.get(p, [])), key=lambda x: (list(_PROGRAM_LINKS).index(x[1]), x[2] or x[0]))
            for n, rel, label in reached:
                if n in nodes:
                    continue
                if len(order) >= cap:
                    truncated = True
                    break
                kind, relation, child_is_source = _PROGRAM_LINKS[rel]
                node = TraceNode(n, "Program", label, kind, relation)
                nodes[p].children.append(node)
                nodes[n] = node
                order.append(n)
                queue.append(n)
                pending.append((n, p, kind, relation) if child_is_source else (p, n, kind, relation))
    return order, pending, truncated or bool(queue)


@dataclass(frozen=True)
class _Part:
    kind: str
    label: str | None
    facts: PartFacts


_UNKNOWN_PART = _Part("Task", None, PartFacts(None, None, None, None, None))


def _part_facts(store: Any, parts: list[str]) -> dict[str, _Part]:
    """Kind, label and place (number, ordinal, document, section) of each task, section or document."""
    if not parts:
        return {}
    found = rows(
        store,
        sparql(
            """
        SELECT ?p ?c ?l ?num ?ord ?doc ?title ?sec WHERE { VALUES ?p { $parts } ?p a ?c .
          FILTER(?c IN (pkg:Task, pkg:Section, pkg:PolicyDocument))
          OPTIONAL { ?p rdfs:label ?l } OPTIONAL { ?p pkg:number ?num } OPTIONAL { ?p pkg:ordinal ?ord }
          OPTIONAL { ?p prov:wasDerivedFrom ?doc OPTIONAL { ?doc dcterms:title ?title } }
          OPTIONAL { ?p dcterms:isPartOf ?sec . ?sec a pkg:Section } }""",
            parts=iris(parts),
        ),
    )
    out: dict[str, _Part] = {}
    for r in found:  # (the last row of a part wins)
        p = r["p"].value
        kind = CLASS_KINDS[r["c"].value]
        document = text(r["doc"]) or (p if kind == "PolicyDocument" else None)
        out[p] = _Part(
            kind, text(r["l"]), PartFacts(text(r["num"]), integer(r["ord"]), document, text(r["title"]), text(r["sec"]))
        )
    return out


def _parts_in_order(store: Any, order: list[str], depending: dict[str, set[str]]) -> Iterator[str]:
    """The parts that name each program of ``order`` or depend on it (``depending``), program by
    program, each program's in IRI order. Read lazily, a batch of programs at a time, the batches
    doubling: a hub program named by tens of thousands of parts is read alone, and the programs
    after it only if the node budget reaches them (few queries either way)."""
    at, size = 0, 1
    while at < len(order):
        batch = order[at : at + size]
        naming = parts_naming(store, batch)
        for program in batch:
            yield from sorted(naming.get(program, set()) | depending.get(program, set()))
        at, size = at + size, size * 2


#: Parts whose facts are read past the node budget: enough to tell whether the budget left one out.
_LOOKAHEAD = 256


def _keep_parts(
    store: Any, candidates: Iterable[str], nodes: dict[str, TraceNode], budget: int
) -> tuple[dict[str, None], dict[str, _Part], bool]:
    """The first ``budget`` tasks and sections among ``candidates`` (in their order) that are not
    ``nodes`` already, the facts read on the way, and whether the budget left one out. A document
    that names a program is no part of its trace. Facts are read a chunk at a time and only as far
    as the budget reaches (and ``candidates`` consumed as far): a hub program is named by tens of
    thousands of parts."""

    def fresh() -> Iterator[str]:
        seen: set[str] = set()
        for part in candidates:
            if part not in nodes and part not in seen:
                seen.add(part)
                yield part

    unread = fresh()
    kept: dict[str, None] = {}
    facts: dict[str, _Part] = {}
    while chunk := list(islice(unread, max(0, budget - len(kept)) + max(1, _LOOKAHEAD))):
        facts.update(_part_facts(store, chunk))
        for part in chunk:
            found = facts.get(part)
            if found is None or found.kind not in ("Task", "Section"):
                continue
            if len(kept) >= budget:
                return kept, facts, True
            kept[part] = None
    return kept, facts, False


@dataclass(frozen=True)
class _Target:
    task: str
    iri: str
    label: str | None
    facts: TargetFacts
    divisions: list[tuple[str, str | None]]
    evidence: Evidence | None


def _targets_of(store: Any, texts: DocumentTexts, tasks: list[str]) -> list[_Target]:
    """The targets of ``tasks`` with the divisions they apply to, by task and place in the text."""
    if not tasks:
        return []
    found: dict[str, tuple[str, str | None, TargetFacts, list[tuple[str, str | None]]]] = {}
    for r in rows(
        store,
        sparql(
            """
        SELECT ?task ?t ?l ?ind ?il ?value ?unit ?cmp ?deadline ?base ?bind ?d ?dl WHERE { VALUES ?task { $tasks }
          ?task pkg:hasTarget ?t .
          OPTIONAL { ?t rdfs:label ?l }
          OPTIONAL { ?t pkg:indicator ?ind OPTIONAL { ?ind rdfs:label ?il } }
          OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
          OPTIONAL { ?t pkg:comparator ?cmp } OPTIONAL { ?t pkg:deadline ?deadline }
          OPTIONAL { ?t pkg:baseline ?base } OPTIONAL { ?t pkg:bindingness ?bind }
          OPTIONAL { ?t pkg:appliesTo ?d OPTIONAL { ?d rdfs:label ?dl } } }""",
            tasks=iris(tasks),
        ),
    ):
        t = r["t"].value
        if t not in found:
            comparator, bindingness = text(r["cmp"]), text(r["bind"])
            facts = TargetFacts(
                text(r["ind"]),
                text(r["il"]),
                text(r["value"]),
                text(r["unit"]),
                local_name(comparator) if comparator else None,
                text(r["deadline"]),
                text(r["base"]),
                local_name(bindingness) if bindingness else None,
            )
            found[t] = (r["task"].value, text(r["l"]), facts, [])
        d = text(r["d"])
        divisions = found[t][3]
        if d and all(d != x for x, _ in divisions):
            divisions.append((d, text(r["dl"])))
    evidence = own_evidence(store, texts, found)
    out = [
        _Target(task, t, label, facts, divisions, evidence.get(t))
        for t, (task, label, facts, divisions) in found.items()
    ]
    out.sort(key=lambda x: (x.task, x.evidence.start if x.evidence else 0, x.iri))
    return out


def _targets_and_divisions(
    store: Any,
    texts: DocumentTexts,
    tasks: dict[str, TraceNode],
    nodes: dict[str, TraceNode],
    edges: list[TraceEdge],
    max_nodes: int,
) -> bool:
    """Hang the targets of ``tasks`` and the divisions in scope (a target's, a task's mention)
    under the tasks, while ``nodes`` holds fewer than ``max_nodes``; whether that cut any."""
    truncated = False
    for target in _targets_of(store, texts, list(tasks)):
        if len(nodes) >= max_nodes:
            truncated = True
            break
        tn = TraceNode(
            target.iri, "Target", target.label, EdgeKind.HAS_TARGET, "states target", target.evidence, target.facts
        )
        tasks[target.task].children.append(tn)
        nodes[tn.iri] = tn
        edges.append(TraceEdge(target.task, tn.iri, EdgeKind.HAS_TARGET, tn.evidence))
        for d, label in target.divisions:
            if d not in nodes and len(nodes) >= max_nodes:
                truncated = True
                continue
            division = TraceNode(d, "AdministrativeDivision", label, EdgeKind.APPLIES_TO, "applies to", tn.evidence)
            tn.children.append(division)
            nodes.setdefault(d, division)
            edges.append(TraceEdge(tn.iri, d, EdgeKind.APPLIES_TO, tn.evidence))
    named = (
        [
            (r["t"].value, r["d"].value, text(r["l"]))
            for r in rows(
                store,
                sparql(
                    """
        SELECT DISTINCT ?t ?d ?l WHERE { VALUES ?t { $tasks } ?t pkg:mentions ?d .
          ?d a pkg:AdministrativeDivision . OPTIONAL { ?d rdfs:label ?l } }""",
                    tasks=iris(tasks),
                ),
            )
        ]
        if tasks
        else []
    )
    if named:
        quotes = {
            (m.part, m.entity): m.evidence for m in namings(store, texts, {d for _, d, _ in named}, [PKG + "Task"])
        }
        for t, d, label in sorted(named, key=lambda x: (x[0], x[1], x[2] or "")):
            if d not in nodes and len(nodes) >= max_nodes:
                truncated = True
                continue
            ev = quotes.get((t, d))
            division = TraceNode(d, "AdministrativeDivision", label, EdgeKind.MENTIONS, "names", ev)
            tasks[t].children.append(division)
            nodes.setdefault(d, division)
            edges.append(TraceEdge(t, d, EdgeKind.MENTIONS, ev))
    return truncated
