"""Network analytics over the store: trace a program, explain a connection, rank.

Everything here reads through :class:`policykg.graph.store.GraphStore` (SPARQL)
and the networkx projection of :mod:`policykg.graph.projection`, and returns
plain dataclasses / JSON-ready dicts that the CLI, the API and the viz render.

* :func:`trace` — everything a program reaches through ``pkg:partOf`` and
  ``pkg:dependsOn``: sub-programs, the tasks that name any of them, their targets
  and the divisions in scope, each edge with its evidence quote.
* :func:`shortest_path` — the shortest explanation of how two entities connect.
* :func:`rankings` — most connected programs, divisions with most targets,
  indicators shared across documents.
* :func:`search`, :func:`node_details`, :func:`neighbourhood` — the reads the
  interactive view needs (search box, side panel, expanding a node with large
  neighbour groups summarised).
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

import networkx as nx

from policykg.errors import NotFoundError, PolicyKGError, QueryError
from policykg.graph.projection import (
    CLASS_KIND, EDGE_PHRASES, ENTITY_KINDS, KIND_CLASS, KIND_PREDICATE, PREDICATE_KIND, PROJECTIONS,
    EdgeKind, NodeKind, _values,
)
# Every IRI and name given by a caller enters SPARQL through iri_ref / lit (terms built by
# pyoxigraph), never pasted into the text.
from policykg.graph.queries import ENTITY_CLASSES, bounded_int, iri_ref, label_index, lit, shown
from policykg.graph.store import GraphStore
from policykg.ontology import DCTERMS, OA, PKG, PROV, RDF, RDFS, SKOS

_PROGRAM = PKG + "Program"
_TASK = PKG + "Task"
_SECTION = PKG + "Section"
_LABEL = RDFS + "label"
_ALT = SKOS + "altLabel"


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------
def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s“”\"'‘’「」《》]", "", text)


def _q(store: GraphStore, sparql: str) -> list:
    """Run a query and take all its rows at once (pyoxigraph results must not outlive their thread)."""
    return list(store.query(sparql))


def _v(row, name: str) -> str | None:
    term = row[name]
    return None if term is None else term.value


def _among(var: str, iris: Iterable[str]) -> str:
    """``FILTER(?var IN (…))``: for a variable the query does not start from. Oxigraph starts
    from a ``VALUES`` block, so ``VALUES ?c {classes}`` read every typed node of the store
    (100 ms+ at 10^5 nodes) where the filter costs nothing."""
    return f"FILTER(?{var} IN (" + ", ".join(iri_ref(i) for i in iris) + "))"


def _kind_of_classes(classes: Iterable[str]) -> str | None:
    for c in classes:
        k = CLASS_KIND.get(c)
        if k is not None:
            return k.value
    return None


_SENTENCE_END = "。；;！!？?\n"


def _context(text: str | None, start: int, end: int, width: int = 60) -> str | None:
    """The sentence around ``text[start:end]``, cut to about ``width`` characters each side."""
    if not text or end > len(text):
        return None
    a = start
    while a > 0 and text[a - 1] not in _SENTENCE_END and start - a < width:
        a -= 1
    b = end
    while b < len(text) and text[b] not in _SENTENCE_END and b - end < width:
        b += 1
    if b < len(text) and text[b] in "。；;！!？?":
        b += 1
    return ("…" if a > 0 and text[a - 1] not in _SENTENCE_END else "") + text[a:b] + \
        ("…" if b < len(text) and text[b - 1] not in _SENTENCE_END and text[b] not in _SENTENCE_END else "")


@dataclass(frozen=True)
class Evidence:
    """Where an edge was read: the quote (oa:exact) and its place in the document's text."""

    quote: str
    document: str | None = None
    start: int | None = None
    end: int | None = None
    context: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"quote": self.quote, "document": self.document, "start": self.start, "end": self.end,
                "context": self.context}


class _Texts:
    """Documents' pkg:text, fetched once each, to cut quote contexts."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._texts: dict[str, str | None] = {}

    def get(self, doc: str | None) -> str | None:
        if not doc:
            return None
        if doc not in self._texts:
            rows = list(_q(self.store, f"SELECT ?t WHERE {{ {iri_ref(doc)} <{PKG}text> ?t }} LIMIT 1"))
            self._texts[doc] = rows[0]["t"].value if rows else None
        return self._texts[doc]

    def evidence(self, quote: str | None, doc: str | None, start: str | int | None,
                 end: str | int | None) -> Evidence | None:
        if quote is None:
            return None
        s = int(start) if start is not None else None
        e = int(end) if end is not None else None
        ctx = _context(self.get(doc), s, e) if s is not None and e is not None else None
        return Evidence(quote, doc, s, e, ctx)


def _own_evidence(store: GraphStore, texts: _Texts, iris: Iterable[str]) -> dict[str, Evidence]:
    """pkg:evidence → oa:exact of each resource (task, section, target)."""
    iris = list(dict.fromkeys(iris))
    if not iris:
        return {}
    rows = _q(store, f"""
        SELECT ?s ?exact ?start ?end ?doc WHERE {{ {_values("s", iris)}
          ?s <{PKG}evidence> ?sp . ?sp <{OA}exact> ?exact ; <{OA}start> ?start ; <{OA}end> ?end .
          OPTIONAL {{ ?sp <{PROV}wasDerivedFrom> ?doc }} }}""")
    out: dict[str, Evidence] = {}
    for r in rows:
        s = r["s"].value
        if s not in out:
            ev = texts.evidence(_v(r, "exact"), _v(r, "doc"), _v(r, "start"), _v(r, "end"))
            if ev:
                out[s] = ev
    return out


@dataclass
class _MentionRow:
    entity: str
    part: str
    part_kind: str | None
    evidence: Evidence | None


def _mention_pairs(store: GraphStore, entities: list[str], part_classes: Iterable[str] = (_TASK, _SECTION),
                   part_values: str = "") -> dict[tuple[str, str], str]:
    """(entity, part) -> the part's class, for each part (task, section) that names an entity."""
    if not entities:
        return {}
    found: dict[tuple[str, str], str] = {}
    for r in _q(store, f"""
        SELECT DISTINCT ?e ?part ?cls WHERE {{ {_values("e", entities)} {part_values}
          ?part <{PKG}mentions> ?e . ?part a ?cls . {_among("cls", part_classes)} }}"""):
        found.setdefault((r["e"].value, r["part"].value), r["cls"].value)
    return found


def _mentions_of(store: GraphStore, texts: _Texts, entities: Iterable[str],
                 part_classes: Iterable[str] = (_TASK, _SECTION), parts: Iterable[str] | None = None) -> list[_MentionRow]:
    """Parts (tasks, sections) that name each entity, with the first Mention's quote.

    Two inner joins that start from the entities (an OPTIONAL for the quote made Oxigraph
    read every Mention of the store: 4 s at 10^5 nodes); ``parts`` restricts to some parts.
    """
    entities = list(dict.fromkeys(entities))
    if not entities:
        return []
    part_list = list(dict.fromkeys(parts)) if parts is not None else None
    if part_list is not None and not part_list:
        return []
    part_values = _values("part", part_list) if part_list is not None else ""
    found = _mention_pairs(store, entities, part_classes, part_values)
    if not found:
        return []
    quotes: dict[tuple[str, str], tuple[int, Any]] = {}
    for r in _q(store, f"""
        SELECT ?e ?part ?exact ?start ?end ?doc WHERE {{ {_values("e", entities)} {part_values}
          ?m <{PKG}mentionOf> ?e ; <{PKG}mentionIn> ?part ; <{PKG}evidence> ?sp .
          ?sp <{OA}exact> ?exact ; <{OA}start> ?start ; <{OA}end> ?end .
          OPTIONAL {{ ?sp <{PROV}wasDerivedFrom> ?doc }} }}"""):
        key = (r["e"].value, r["part"].value)
        if key not in found:
            continue
        start = int(_v(r, "start") or 1 << 60)
        if key not in quotes or quotes[key][0] > start:
            quotes[key] = (start, r)
    out = []
    for key, cls in found.items():
        q = quotes.get(key)
        ev = texts.evidence(_v(q[1], "exact"), _v(q[1], "doc"), _v(q[1], "start"), _v(q[1], "end")) if q else None
        out.append((q[0] if q else 1 << 60, _MentionRow(key[0], key[1], CLASS_KIND[cls].value, ev)))
    return [row for _, row in sorted(out, key=lambda x: (x[1].part, x[0]))]


# ---------------------------------------------------------------------------
# resolving names
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolved:
    iri: str
    kind: str
    label: str | None


_RESOLVE_ORDER = [k.value for k in (NodeKind.PROGRAM, NodeKind.DIVISION, NodeKind.INDICATOR,
                                    NodeKind.ORGANIZATION, NodeKind.REGULATION, NodeKind.DOCUMENT,
                                    NodeKind.SECTION, NodeKind.TASK, NodeKind.TARGET)]


def _describe(store: GraphStore, iri: str) -> Resolved | None:
    ref = iri_ref(iri)
    rows = list(_q(store, f"SELECT ?c ?l WHERE {{ {ref} a ?c . OPTIONAL {{ {ref} <{_LABEL}> ?l }} }}"))
    kind = _kind_of_classes(r["c"].value for r in rows)
    if kind is None:
        return None
    label = next((r["l"].value for r in rows if r["l"] is not None), None)
    return Resolved(iri, kind, label)


def resolve(store: GraphStore, name: str, kinds: Iterable[NodeKind | str] | None = None) -> Resolved:
    """A node named by IRI, rdfs:label or skos:altLabel (exact, then normalised, then unique substring)."""
    name = name.strip()
    if not name:
        raise PolicyKGError("give a name or an IRI")
    wanted = [NodeKind(k).value for k in kinds] if kinds else list(_RESOLVE_ORDER)
    # Something that looks like an IRI is looked up as one first; but a name may look like an
    # IRI too ("javascript:alert(1)行动" is a program's label in the hostile-input tests), so
    # an IRI that names nothing is then tried as an exact name.
    looks_like_iri = bool(re.match(r"^[a-z][a-z0-9+.-]*:", name, re.I)) and not any(c in name for c in ' <>"')
    if looks_like_iri:
        try:
            found = _describe(store, name)
        except QueryError:  # not a valid IRI after all
            found = None
        if found is not None and found.kind in wanted:
            return found
    # An exact name is one lookup in the store's object index (no label index to build) …
    classes = [KIND_CLASS[NodeKind(k)] for k in wanted]
    rows = _q(store, f"""
        SELECT DISTINCT ?s ?c ?l WHERE {{
          {{ ?s <{_LABEL}> {lit(name)} }} UNION {{ ?s <{_ALT}> {lit(name)} }}
          ?s a ?c . {_among("c", classes)} OPTIONAL {{ ?s <{_LABEL}> ?l }} }}""")
    hits = _rank_hits([(r["s"].value, CLASS_KIND[r["c"].value].value, _v(r, "l")) for r in rows], wanted)
    if not hits and looks_like_iri:
        raise NotFoundError(f"no {' or '.join(wanted)} with IRI {shown(name)}")
    if not hits:
        # … normalised and substring matches (quote marks, spaces, width, case ignored) read the
        # cached label index of graph.queries (a CONTAINS filter over every label of the union
        # took seconds at 10^5 nodes).
        index = label_index(store)
        needle = _norm(name)
        exact, partial = [], []
        for k in index.matching(name.lower()[:2] or name):
            x = _norm(index.texts[k])
            items = _index_hits(index, k, wanted)
            if x == needle:
                exact.extend(items)
            elif needle in x:
                partial.extend(items)
        hits = _rank_hits(exact, wanted)
        if not hits:
            partial = _rank_hits(partial, wanted)
            if len(partial) > 1:
                partial = _umbrella(store, partial, needle) or partial
            if len(partial) == 1:
                hits = partial
            elif partial:
                names = ", ".join(f"{lbl or iri}" for iri, _k, lbl in partial[:8])
                raise NotFoundError(f"{shown(name)!r} is ambiguous: {names}" + (" …" if len(partial) > 8 else ""),
                                    hint="give the full name or the IRI")
    if not hits:
        raise NotFoundError(f"nothing named {shown(name)!r} in the store",
                            hint="check the spelling, or list names with: policykg rank")
    iri, kind, label = hits[0]
    return Resolved(iri, kind, label)


def _index_hits(index, k: int, wanted: list[str]) -> list[tuple[str, str, str | None]]:
    """(iri, kind, label) of label-index entry ``k``, once per wanted kind the node has."""
    iri = index.iris[k]
    out = []
    for cls_name in index.node_kinds.get(iri, ()):
        kind = CLASS_KIND[ENTITY_CLASSES[cls_name]].value
        if kind in wanted:
            out.append((iri, kind, index.labels.get(iri)))
    return out


_PROGRAM_SUFFIXES = ("计划", "工程", "项目", "行动", "活动")


def _umbrella(store: GraphStore, hits: list[tuple[str, str, str | None]], needle: str) -> list:
    """Of several partial matches, the one that is clearly meant: the name plus a program
    word (全面改薄 -> 全面改薄计划), or the umbrella every other match is part of."""
    suffixed = [h for h in hits if h[2] and _norm(h[2]) in {needle + s for s in _PROGRAM_SUFFIXES}]
    if len(suffixed) == 1:
        return suffixed
    iris = [h[0] for h in hits]
    # pkg:partOf+ among the hits, as a closure in Python over one-step queries (a property
    # path with both ends open reads the whole union)
    parents: dict[str, set[str]] = {}
    asked: set[str] = set()
    frontier = set(iris)
    while frontier and len(asked) < 5000:
        asked |= frontier
        for r in _q(store, f"SELECT DISTINCT ?a ?b WHERE {{ {_values('a', sorted(frontier))} ?a <{PKG}partOf> ?b }}"):
            parents.setdefault(r["a"].value, set()).add(r["b"].value)
        frontier = {b for a in frontier for b in parents.get(a, ())} - asked
    below: dict[str, set[str]] = {}
    for a in iris:
        seen: set[str] = set()
        todo = list(parents.get(a, ()))
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(parents.get(b, ()))
        for b in seen:
            below.setdefault(b, set()).add(a)
    for h in hits:
        if _norm(h[2] or "").startswith(needle) and below.get(h[0], set()) >= set(iris) - {h[0]}:
            return [h]
    return []


def _rank_hits(hits: list[tuple[str, str, str | None]], wanted: list[str]) -> list[tuple[str, str, str | None]]:
    seen: dict[str, tuple[str, str, str | None]] = {}
    for h in hits:
        seen.setdefault(h[0], h)
    return sorted(seen.values(), key=lambda h: (wanted.index(h[1]) if h[1] in wanted else 99, h[0]))


# ---------------------------------------------------------------------------
# trace
# ---------------------------------------------------------------------------
@dataclass
class TraceNode:
    iri: str
    kind: str
    label: str | None
    edge: str | None = None  # edge kind from the parent in the tree
    relation: str | None = None  # the edge as read from the parent ("has part", "is named in" …)
    evidence: Evidence | None = None
    details: dict[str, Any] = field(default_factory=dict)
    children: list["TraceNode"] = field(default_factory=list)
    ref: bool = False  # already shown elsewhere in the tree

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"iri": self.iri, "kind": self.kind, "label": self.label}
        if self.edge:
            out["edge"] = self.edge
            out["relation"] = self.relation
            out["evidence"] = self.evidence.to_json() if self.evidence else None
        if self.details:
            out["details"] = self.details
        if self.ref:
            out["ref"] = True
        out["children"] = [c.to_json() for c in self.children]
        return out

    def walk(self) -> Iterable["TraceNode"]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class TraceEdge:
    source: str
    target: str
    kind: str
    evidence: Evidence | None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind,
                "evidence": self.evidence.to_json() if self.evidence else None}


@dataclass
class Trace:
    root: TraceNode
    nodes: dict[str, dict[str, Any]]
    edges: list[TraceEdge]
    part_of: list[TraceNode] = field(default_factory=list)  # umbrella programs of the root, for context
    #: the reach was cut at ``max_nodes`` (what is kept is what lies nearest the program)
    truncated: bool = False
    max_nodes: int = 0

    def by_kind(self, kind: str) -> list[dict[str, Any]]:
        return [n for n in self.nodes.values() if n["kind"] == kind]

    def to_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for n in self.nodes.values():
            counts[n["kind"]] = counts.get(n["kind"], 0) + 1
        return {
            "program": {"iri": self.root.iri, "label": self.root.label},
            "partOf": [p.to_json() for p in self.part_of],
            "counts": counts,
            "tree": self.root.to_json(),
            "nodes": list(self.nodes.values()),
            "edges": [e.to_json() for e in self.edges],
            "truncated": self.truncated,
            "max_nodes": self.max_nodes,
        }


def _fmt_value(d: dict[str, Any]) -> str:
    cmp = {"AtLeast": "≥", "AtMost": "≤", "Exactly": "=", "Approximately": "≈", "IncreaseBy": "+",
           "DecreaseBy": "−", "Between": "between"}.get(d.get("comparator") or "", "")
    value = d.get("value")
    if value is None:
        return ""
    v = value.rstrip("0").rstrip(".") if "." in value else value
    return f" {cmp} {v}{d.get('unit') or ''}".replace("  ", " ")


def render_tree(tr: Trace, *, width: int = 100) -> str:
    """The trace as an indented tree for the terminal, one line per node plus its quote."""
    lines: list[str] = []

    def label(n: TraceNode) -> str:
        if n.kind == "task":
            num = n.details.get("number")
            text = f"task {num} {n.label or ''}".strip()
            if n.details.get("document_title"):
                text += f"  ({n.details['document_title']})"
            return text
        if n.kind == "target":
            ind = n.details.get("indicator_label") or n.label or ""
            return f"target {ind}{_fmt_value(n.details)}"
        if n.kind == "section":
            return f"section {n.details.get('number') or ''} {n.label or ''}".strip()
        return f"{n.kind} {n.label or n.iri}"

    def quote(n: TraceNode) -> str:
        if not n.evidence:
            return ""
        q = n.evidence.context or n.evidence.quote
        q = q.replace("\n", " ")
        if len(q) > width:
            q = q[: width - 1] + "…"
        return f"“{q}”"

    def emit(n: TraceNode, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└── " if last else "├── ")
        rel = f"[{n.relation}] " if n.relation and not top else ""
        ref = "  (see above)" if n.ref else ""
        lines.append(f"{prefix}{branch}{rel}{label(n)}{ref}")
        child_prefix = prefix + ("" if top else ("    " if last else "│   "))
        q = quote(n)
        if q:
            lines.append(f"{child_prefix}{'│   ' if n.children else '    '}{q}")
        for i, c in enumerate(n.children):
            emit(c, child_prefix, i == len(n.children) - 1, False)

    emit(tr.root, "", True, True)
    for p in tr.part_of:
        lines.append(f"(part of {p.label or p.iri})")
    counts = tr.to_json()["counts"]
    if tr.truncated:
        lines.append(f"(cut at {tr.max_nodes} nodes, max_trace_nodes: the program reaches more)")
    lines.append("reach: " + ", ".join(f"{v} {k}{'s' if v != 1 else ''}" for k, v in sorted(counts.items())))
    return "\n".join(lines) + "\n"


#: Default of the ``max_trace_nodes`` setting: one trace gathers at most this many nodes.
MAX_TRACE_NODES = 2000


def trace(store: GraphStore, program: str, *, max_programs: int = 500, max_nodes: int = MAX_TRACE_NODES) -> Trace:
    """Everything a program reaches through pkg:partOf and pkg:dependsOn, with evidence for each edge.

    At most ``max_nodes`` nodes, nearest first: sub-programs in breadth-first order, then the parts
    that name them or depend on them (by program), then the tasks' targets and divisions. Past the
    cap the trace says ``truncated``: a program named in every task of a large store would
    otherwise cost seconds of CPU and megabytes of JSON per request.
    """
    max_nodes = max(1, max_nodes)
    truncated = False
    root_r = resolve(store, program, [NodeKind.PROGRAM])
    texts = _Texts(store)
    root = TraceNode(root_r.iri, "program", root_r.label)
    nodes: dict[str, dict[str, Any]] = {root.iri: {"iri": root.iri, "kind": "program", "label": root.label}}
    edges: list[TraceEdge] = []
    program_nodes: dict[str, TraceNode] = {root.iri: root}
    order = [root.iri]

    # 1. programs reached through partOf (sub-programs) and dependsOn (both ways)
    queue = [root.iri]
    pending_program_edges: list[tuple[str, str, str, str]] = []  # (tree parent, child, edge kind, relation)
    program_cap = min(max_programs, max_nodes)
    while queue and len(order) < program_cap:
        p = queue.pop(0)
        ref = iri_ref(p)
        rows = _q(store, f"""
            SELECT DISTINCT ?n ?rel ?l WHERE {{
              {{ ?n <{PKG}partOf> {ref} BIND("part" AS ?rel) }}
              UNION {{ {ref} <{PKG}dependsOn> ?n BIND("dependsOn" AS ?rel) }}
              UNION {{ ?n <{PKG}dependsOn> {ref} BIND("neededBy" AS ?rel) }}
              ?n a <{_PROGRAM}> . OPTIONAL {{ ?n <{_LABEL}> ?l }} }}""")
        found = sorted(((r["n"].value, r["rel"].value, _v(r, "l")) for r in rows),
                       key=lambda x: ({"part": 0, "dependsOn": 1, "neededBy": 2}[x[1]], x[2] or x[0]))
        for n, rel, lbl in found:
            if n in program_nodes:
                continue
            if len(order) >= program_cap:
                truncated = True
                break
            kind, relation = {"part": ("partOf", "has part"), "dependsOn": ("dependsOn", "depends on"),
                              "neededBy": ("dependsOn", "is needed by")}[rel]
            node = TraceNode(n, "program", lbl, kind, relation)
            program_nodes[p].children.append(node)
            program_nodes[n] = node
            nodes[n] = {"iri": n, "kind": "program", "label": lbl}
            order.append(n)
            queue.append(n)
            src, dst = (n, p) if rel in ("part", "neededBy") else (p, n)
            pending_program_edges.append((src, dst, kind, relation))

    # umbrella programs of the root (context only)
    part_of = [TraceNode(r["u"].value, "program", _v(r, "l"), "partOf", "is part of") for r in _q(store, f"""
        SELECT DISTINCT ?u ?l WHERE {{ {iri_ref(root.iri)} <{PKG}partOf> ?u . OPTIONAL {{ ?u <{_LABEL}> ?l }} }}""")]

    truncated = truncated or bool(queue)

    # 2. parts that name them (tasks expanded, sections as context); tasks depending on them.
    # Only their IRIs are read first; the parts kept, nearest program first, fill the node budget.
    bfs_rank = {iri: i for i, iri in enumerate(order)}
    pairs = _mention_pairs(store, order)
    dep_rows = _q(store, f"""
        SELECT DISTINCT ?p ?t ?dir WHERE {{ {_values("p", order)} ?t a <{_TASK}> .
          {{ ?t <{PKG}dependsOn> ?p BIND("in" AS ?dir) }} UNION {{ ?p <{PKG}dependsOn> ?t BIND("out" AS ?dir) }} }}""")
    candidates = sorted({(bfs_rank[e], part) for e, part in pairs} |
                        {(bfs_rank[r["p"].value], r["t"].value) for r in dep_rows})
    kept: dict[str, None] = {}
    for _, part in candidates:
        if part not in kept and part not in nodes:
            if len(kept) >= max_nodes - len(nodes):
                truncated = True
                break
            kept[part] = None
    mentions = _mentions_of(store, texts, order, parts=list(kept)) if kept else []
    dep_rows = [r for r in dep_rows if r["t"].value in kept]
    links: list[tuple[str, str, str, str, Evidence | None]] = []  # (program, part, kind, relation, ev)
    for m in mentions:
        links.append((m.entity, m.part, "mentions", "is named in", m.evidence))
    for r in dep_rows:
        rel = "is needed by" if r["dir"].value == "in" else "depends on"
        links.append((r["p"].value, r["t"].value, "dependsOn", rel, None))

    part_iris = list(dict.fromkeys(l[1] for l in links))
    part_info = _part_info(store, part_iris)
    own = _own_evidence(store, texts, part_iris)
    # dependsOn without a mention: the task's own text is the evidence
    links = [(p, t, k, rel, ev or (own.get(t) if k == "dependsOn" else None)) for p, t, k, rel, ev in links]

    # evidence of program -> program edges: a mention of the child (preferably one quoting the parent)
    by_entity: dict[str, list[_MentionRow]] = {}
    for m in mentions:
        by_entity.setdefault(m.entity, []).append(m)

    # sub-programs in the order the text first names them
    def first_seen(iri: str) -> tuple:
        evs = [m.evidence for m in by_entity.get(iri, []) if m.evidence]
        return min(((e.document or "", e.start or 0) for e in evs), default=("~", 0))

    for pn in program_nodes.values():
        pn.children.sort(key=lambda c: first_seen(c.iri))
    order = [order[0]] + sorted(order[1:], key=lambda i: (first_seen(i), i))
    for src, dst, kind, relation in pending_program_edges:
        child = src if relation in ("has part", "is needed by") else dst
        other = dst if child == src else src
        other_label = nodes[other]["label"] or ""
        cands = by_entity.get(child, [])
        pick = next((m for m in cands if m.evidence and other_label and other_label in (m.evidence.context or "")), None)
        pick = pick or next((m for m in cands if m.evidence and m.part_kind == "task"), None) or \
            next((m for m in cands if m.evidence), None)
        ev = pick.evidence if pick else None
        program_nodes[child].evidence = ev
        edges.append(TraceEdge(src, dst, kind, ev))

    # sort links by document order so the tree reads like the text
    def part_key(iri: str) -> tuple:
        info = part_info.get(iri, {})
        return (info.get("document") or "", 0 if info.get("kind") == "section" else 1, info.get("ordinal") or 0, iri)

    rank = {iri: i for i, iri in enumerate(order)}  # (order.index per link was quadratic)
    links.sort(key=lambda l: (rank[l[0]], part_key(l[1])))
    if len(links) > 2 * max_nodes:  # a few parts each named by hundreds of programs
        links, truncated = links[:2 * max_nodes], True
    # a part named with several programs is drawn in full under the most specific one
    owner: dict[str, int] = {}
    for prog, part, *_ in links:
        owner[part] = max(owner.get(part, -1), rank[prog])
    task_nodes: dict[str, TraceNode] = {}
    for prog, part, kind, relation, ev in links:
        info = part_info.get(part, {"kind": "task"})
        pkind = info.get("kind", "task")
        details = {k: info[k] for k in ("number", "ordinal", "document", "document_title", "section") if info.get(k)}
        node = TraceNode(part, pkind, info.get("label"), kind, relation, ev, details)
        edges.append(TraceEdge(part, prog, kind, ev) if relation != "depends on" else TraceEdge(prog, part, kind, ev))
        if part in task_nodes or owner[part] != rank[prog] or (pkind == "section" and part in nodes):
            node.ref = True
        elif pkind == "task":
            task_nodes[part] = node
        nodes.setdefault(part, {"iri": part, "kind": pkind, "label": info.get("label"), **details})
        program_nodes[prog].children.append(node)

    # 3. targets of the tasks, and divisions in scope
    task_list = list(task_nodes)
    for t_iri, target in _targets_of(store, texts, task_list):
        if len(nodes) >= max_nodes:
            truncated = True
            break
        tn = TraceNode(target["iri"], "target", target.get("label"), "hasTarget", "states target",
                       target.pop("evidence"), {k: v for k, v in target.items() if k not in ("iri", "label", "divisions")})
        task_nodes[t_iri].children.append(tn)
        nodes[tn.iri] = {"iri": tn.iri, "kind": "target", "label": tn.label, **tn.details}
        edges.append(TraceEdge(t_iri, tn.iri, "hasTarget", tn.evidence))
        for d_iri, d_label in target["divisions"]:
            if d_iri not in nodes and len(nodes) >= max_nodes:
                truncated = True
                continue
            tn.children.append(TraceNode(d_iri, "division", d_label, "appliesTo", "applies to", tn.evidence))
            nodes.setdefault(d_iri, {"iri": d_iri, "kind": "division", "label": d_label})
            edges.append(TraceEdge(tn.iri, d_iri, "appliesTo", tn.evidence))
    div_mentions = _q(store, f"""
        SELECT DISTINCT ?t ?d ?l WHERE {{ {_values("t", task_list)} ?t <{PKG}mentions> ?d .
          ?d a <{PKG}AdministrativeDivision> . OPTIONAL {{ ?d <{_LABEL}> ?l }} }}""") if task_list else []
    dm = [(r["t"].value, r["d"].value, _v(r, "l")) for r in div_mentions]
    if dm:
        ev_rows = {(m.part, m.entity): m.evidence for m in _mentions_of(store, texts, {d for _, d, _ in dm}, [_TASK])}
        for t_iri, d_iri, lbl in sorted(dm):
            if d_iri not in nodes and len(nodes) >= max_nodes:
                truncated = True
                continue
            ev = ev_rows.get((t_iri, d_iri))
            task_nodes[t_iri].children.append(TraceNode(d_iri, "division", lbl, "mentions", "names", ev))
            nodes.setdefault(d_iri, {"iri": d_iri, "kind": "division", "label": lbl})
            edges.append(TraceEdge(t_iri, d_iri, "mentions", ev))
    return Trace(root, nodes, edges, part_of, truncated, max_nodes)


def _part_info(store: GraphStore, parts: list[str]) -> dict[str, dict[str, Any]]:
    if not parts:
        return {}
    rows = _q(store, f"""
        SELECT ?p ?c ?l ?num ?ord ?doc ?title ?sec WHERE {{ {_values("p", parts)} ?p a ?c .
          {_among("c", [_TASK, _SECTION, PKG + "PolicyDocument"])}
          OPTIONAL {{ ?p <{_LABEL}> ?l }} OPTIONAL {{ ?p <{PKG}number> ?num }} OPTIONAL {{ ?p <{PKG}ordinal> ?ord }}
          OPTIONAL {{ ?p <{PROV}wasDerivedFrom> ?doc OPTIONAL {{ ?doc <{DCTERMS}title> ?title }} }}
          OPTIONAL {{ ?p <{DCTERMS}isPartOf> ?sec . ?sec a <{_SECTION}> }} }}""")
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = r["p"].value
        kind = CLASS_KIND[r["c"].value].value
        out[p] = {"kind": kind, "label": _v(r, "l"), "number": _v(r, "num"),
                  "ordinal": int(r["ord"].value) if r["ord"] is not None else None,
                  "document": _v(r, "doc") or (p if kind == "document" else None), "document_title": _v(r, "title"),
                  "section": _v(r, "sec")}
    return out


def _targets_of(store: GraphStore, texts: _Texts, tasks: list[str]) -> list[tuple[str, dict[str, Any]]]:
    if not tasks:
        return []
    rows = _q(store, f"""
        SELECT ?task ?t ?l ?ind ?il ?value ?unit ?cmp ?deadline ?d ?dl WHERE {{ {_values("task", tasks)}
          ?task <{PKG}hasTarget> ?t .
          OPTIONAL {{ ?t <{_LABEL}> ?l }}
          OPTIONAL {{ ?t <{PKG}indicator> ?ind OPTIONAL {{ ?ind <{_LABEL}> ?il }} }}
          OPTIONAL {{ ?t <{PKG}value> ?value }} OPTIONAL {{ ?t <{PKG}unit> ?unit }}
          OPTIONAL {{ ?t <{PKG}comparator> ?cmp }} OPTIONAL {{ ?t <{PKG}deadline> ?deadline }}
          OPTIONAL {{ ?t <{PKG}appliesTo> ?d OPTIONAL {{ ?d <{_LABEL}> ?dl }} }} }}""")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for r in rows:
        t = r["t"].value
        if t not in found:
            cmp = _v(r, "cmp")
            found[t] = (r["task"].value, {
                "iri": t, "label": _v(r, "l"), "indicator": _v(r, "ind"), "indicator_label": _v(r, "il"),
                "value": _v(r, "value"), "unit": _v(r, "unit"),
                "comparator": cmp.rsplit("#", 1)[-1] if cmp else None, "deadline": _v(r, "deadline"),
                "divisions": []})
        d = _v(r, "d")
        if d and all(d != x for x, _ in found[t][1]["divisions"]):
            found[t][1]["divisions"].append((d, _v(r, "dl")))
    ev = _own_evidence(store, texts, found)
    out = []
    for t, (task, data) in found.items():
        data["evidence"] = ev.get(t)
        data = {k: v for k, v in data.items() if v is not None or k == "evidence"}
        out.append((task, data))
    out.sort(key=lambda x: (x[0], x[1]["evidence"].start if x[1]["evidence"] and x[1]["evidence"].start is not None
                             else 0, x[1]["iri"]))
    return out


# ---------------------------------------------------------------------------
# shortest path
# ---------------------------------------------------------------------------
#: Cost of crossing an edge of each kind: semantic links are cheap, structure dearer,
#: and passing through a whole document (everything in it is "connected") dearest.
EDGE_WEIGHT = {
    EdgeKind.PART_OF.value: 1.0, EdgeKind.DEPENDS_ON.value: 1.0, EdgeKind.MENTIONS.value: 1.0,
    EdgeKind.HAS_TARGET.value: 1.0, EdgeKind.APPLIES_TO.value: 1.0, EdgeKind.INDICATOR.value: 1.0,
    EdgeKind.WITHIN.value: 1.0, EdgeKind.IS_PART_OF.value: 1.5, EdgeKind.SPATIAL.value: 2.0,
    EdgeKind.PUBLISHER.value: 2.0,
}
DOCUMENT_PENALTY = 3.0


def weighted_view(g: nx.MultiDiGraph) -> nx.Graph:
    """An undirected simple graph for path finding: the cheapest edge between each pair."""
    cached = g.graph.get("_weighted")
    if cached is not None:
        return cached
    u = nx.Graph()
    u.add_nodes_from(g.nodes)
    for s, o, kind in g.edges(keys=True):
        w = EDGE_WEIGHT.get(kind, 1.0)
        if g.nodes[s]["kind"] == "document" or g.nodes[o]["kind"] == "document":
            w += DOCUMENT_PENALTY
        old = u.get_edge_data(s, o)
        if old is None or old["weight"] > w:
            u.add_edge(s, o, weight=w, kind=kind, source=s, target=o)
    g.graph["_weighted"] = u
    return u


@dataclass
class PathStep:
    source: dict[str, Any]
    target: dict[str, Any]
    kind: str
    forward: bool  # the RDF edge points from source to target
    relation: str
    evidence: Evidence | None

    def to_json(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "kind": self.kind, "forward": self.forward,
                "relation": self.relation, "evidence": self.evidence.to_json() if self.evidence else None}


@dataclass
class PathResult:
    start: Resolved
    end: Resolved
    steps: list[PathStep]
    cost: float

    def to_json(self) -> dict[str, Any]:
        nodes = [self.steps[0].source] + [s.target for s in self.steps] if self.steps else \
            [{"iri": self.start.iri, "kind": self.start.kind, "label": self.start.label}]
        return {"from": self.start.__dict__, "to": self.end.__dict__, "length": len(self.steps), "cost": self.cost,
                "nodes": nodes, "steps": [s.to_json() for s in self.steps]}

    def render(self) -> str:
        if not self.steps:
            return f"{self.start.label or self.start.iri} is {self.end.label or self.end.iri}\n"
        lines = [f"{self.steps[0].source['kind']} {self.steps[0].source['label'] or self.steps[0].source['iri']}"]
        for s in self.steps:
            lines.append(f"  └─[{s.relation}]→ {s.target['kind']} {s.target['label'] or s.target['iri']}")
            if s.evidence:
                q = (s.evidence.context or s.evidence.quote).replace("\n", " ")
                lines.append(f"       “{q[:100]}{'…' if len(q) > 100 else ''}”")
        lines.append(f"{len(self.steps)} step{'s' if len(self.steps) != 1 else ''}")
        return "\n".join(lines) + "\n"


def edge_evidence(store: GraphStore, source: str, kind: str, target: str, texts: _Texts | None = None) -> Evidence | None:
    """The quote behind one RDF edge ``source --kind--> target``."""
    texts = texts or _Texts(store)
    if kind == EdgeKind.MENTIONS.value:
        for m in _mentions_of(store, texts, [target], [KIND_CLASS[NodeKind(k)] for k in ("task", "section", "document")],
                              parts=[source]):
            if m.part == source:
                return m.evidence
        return None
    if kind in (EdgeKind.HAS_TARGET.value,):
        return _own_evidence(store, texts, [target]).get(target)
    if kind in (EdgeKind.APPLIES_TO.value, EdgeKind.INDICATOR.value, EdgeKind.IS_PART_OF.value):
        return _own_evidence(store, texts, [source]).get(source)
    if kind in (EdgeKind.PART_OF.value, EdgeKind.DEPENDS_ON.value):
        own = _own_evidence(store, texts, [source]).get(source)
        if own:
            return own
        cands = [m for m in _mentions_of(store, texts, [source]) if m.evidence]
        return cands[0].evidence if cands else None
    return None


def shortest_path(store: GraphStore, a: str, b: str) -> PathResult:
    """The cheapest chain of public links between two named nodes, each step with its quote."""
    ra, rb = resolve(store, a), resolve(store, b)
    g = PROJECTIONS.get(store)
    u = weighted_view(g)
    for r in (ra, rb):
        if r.iri not in u:
            raise NotFoundError(f"{r.label or r.iri} is not in the network")
    try:
        cost, nodes = nx.single_source_dijkstra(u, ra.iri, rb.iri, weight="weight")
    except nx.NetworkXNoPath:
        raise NotFoundError(f"no connection between {ra.label or ra.iri} and {rb.label or rb.iri}") from None
    texts = _Texts(store)

    def info(n: str) -> dict[str, Any]:
        d = g.nodes[n]
        return {"iri": n, "kind": d["kind"], "label": d["label"]}

    steps = []
    for x, y in zip(nodes, nodes[1:]):
        e = u.edges[x, y]
        forward = e["source"] == x
        phrase = EDGE_PHRASES[EdgeKind(e["kind"])][0 if forward else 1]
        steps.append(PathStep(info(x), info(y), e["kind"], forward, phrase,
                              edge_evidence(store, e["source"], e["kind"], e["target"], texts)))
    return PathResult(ra, rb, steps, round(cost, 3))


# ---------------------------------------------------------------------------
# rankings
# ---------------------------------------------------------------------------
def rankings(store: GraphStore, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The rankings planners ask for."""
    limit = max(1, min(int(limit), 1000))
    g = PROJECTIONS.get(store)
    progs = []
    for n, d in g.nodes(data=True):
        if d["kind"] != "program":
            continue
        neigh: set[str] = set()
        tasks: set[str] = set()
        for _, o, k in g.out_edges(n, keys=True):
            neigh.add(o)
        for s, _, k in g.in_edges(n, keys=True):
            neigh.add(s)
            if k == "mentions" and g.nodes[s]["kind"] == "task":
                tasks.add(s)
        progs.append({"iri": n, "label": d["label"], "degree": len(neigh), "tasks": len(tasks),
                      "documents": len(d["documents"])})
    progs.sort(key=lambda x: (-x["degree"], -x["tasks"], x["label"] or x["iri"]))

    div_rows = _q(store, f"""
        SELECT ?d ?l (COUNT(DISTINCT ?t) AS ?total) (COUNT(DISTINCT ?direct) AS ?own) WHERE {{
          ?d a <{PKG}AdministrativeDivision> .
          ?t <{PKG}appliesTo> ?d2 . ?d2 <{PKG}within>* ?d .
          OPTIONAL {{ ?t <{PKG}appliesTo> ?d . BIND(?t AS ?direct) }}
          OPTIONAL {{ ?d <{_LABEL}> ?l }}
        }} GROUP BY ?d ?l ORDER BY DESC(?total) DESC(?own) ?l LIMIT {limit}""")
    divisions = [{"iri": r["d"].value, "label": _v(r, "l"), "targets": int(r["total"].value),
                  "direct": int(r["own"].value)} for r in div_rows]

    ind_rows = _q(store, f"""
        SELECT ?i ?l (COUNT(DISTINCT ?g) AS ?docs) (COUNT(DISTINCT ?t) AS ?targets) WHERE {{
          GRAPH ?g {{ ?t <{PKG}indicator> ?i }} OPTIONAL {{ ?i <{_LABEL}> ?l }}
        }} GROUP BY ?i ?l HAVING (COUNT(DISTINCT ?g) > 1) ORDER BY DESC(?docs) DESC(?targets) ?l LIMIT {limit}""")
    indicators = [{"iri": r["i"].value, "label": _v(r, "l"), "documents": int(r["docs"].value),
                   "targets": int(r["targets"].value)} for r in ind_rows]
    return {"programs": progs[:limit], "divisions": divisions, "indicators": indicators}


# ---------------------------------------------------------------------------
# reads for the interactive view
# ---------------------------------------------------------------------------
def search(store: GraphStore, text: str, kinds: Iterable[str] | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Nodes whose label or altLabel contains ``text``: exact matches, then names starting with
    it, then the others; named things (programs, divisions …) before parts; shorter names first.
    Reads the cached label index of :mod:`policykg.graph.queries`."""
    text = text.strip()
    if not text:
        return []
    wanted = {NodeKind(k).value for k in kinds} if kinds else {k.value for k in NodeKind}
    entity = {k.value for k in ENTITY_KINDS}
    index = label_index(store)
    best: dict[str, tuple] = {}
    low = text.lower()
    for k in index.matching(text):
        x = index.texts[k]
        xl = x.lower()
        for iri, kind, label in _index_hits(index, k, list(wanted)):
            score = (0 if xl == low else 1 if xl.startswith(low) else 2, 0 if kind in entity else 1, len(x))
            if iri not in best or best[iri][0] > score:
                best[iri] = (score, {"iri": iri, "kind": kind, "label": label or x, "match": x})
    top = heapq.nsmallest(max(1, limit), best.values(), key=lambda v: (v[0], v[1]["iri"]))
    return [v for _, v in top]


def nodes_info(store: GraphStore, iris: Iterable[str], *, max_documents: int = 50) -> dict[str, dict[str, Any]]:
    """Kind, label, documents and section of each node (what the view filters on).

    ``documents`` are the document graphs that type the node or that name it (pkg:mentions),
    at most ``max_documents``: a program named in every document costs one LIMITed query, not
    a scan of its 10^5 mentions.
    """
    iris = list(dict.fromkeys(iris))
    if not iris:
        return {}
    out: dict[str, dict[str, Any]] = {}
    entity = {k.value for k in ENTITY_KINDS}
    doc_class = f"<{PKG}PolicyDocument>"

    def add_doc(n: str, g: str) -> None:
        d = out.get(n)
        if d is not None and g not in d["documents"] and len(d["documents"]) < max_documents:
            d["documents"].append(g)

    for batch in (iris[i:i + 400] for i in range(0, len(iris), 400)):
        values = _values("n", batch)
        for r in _q(store, f"""SELECT ?n ?c ?l WHERE {{ {values} ?n a ?c . {_among("c", CLASS_KIND)}
                                 OPTIONAL {{ ?n <{_LABEL}> ?l }} }}"""):
            n = r["n"].value
            if n not in out:
                kind = CLASS_KIND[r["c"].value].value
                out[n] = {"iri": n, "kind": kind, "label": _v(r, "l"), "documents": [],
                          "section": n if kind == "section" else None}
        # the documents describing each node: the document graph that types it ...
        for r in _q(store, f"""SELECT DISTINCT ?n ?g WHERE {{ {values} GRAPH ?g {{ ?n a ?c }}
                                 GRAPH ?g {{ ?g a {doc_class} }} }}"""):
            add_doc(r["n"].value, r["g"].value)
        # ... and those naming it: few for parts, one LIMITed query per shared entity
        parts = [n for n in batch if n in out and out[n]["kind"] not in entity]
        if parts:
            for r in _q(store, f"""SELECT DISTINCT ?n ?g WHERE {{ {_values("n", parts)}
                                     GRAPH ?g {{ ?x <{PKG}mentions> ?n . ?g a {doc_class} }} }}"""):
                add_doc(r["n"].value, r["g"].value)
        for n in batch:
            if n in out and out[n]["kind"] in entity and len(out[n]["documents"]) < max_documents:
                for r in _q(store, f"""SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?x <{PKG}mentions> {iri_ref(n)} .
                                         ?g a {doc_class} }} }} LIMIT {max_documents}"""):
                    add_doc(n, r["g"].value)
        for r in _q(store, f"""SELECT ?n ?sec WHERE {{ {values} ?n <{DCTERMS}isPartOf> ?sec . ?sec a <{_SECTION}> }}"""):
            if r["n"].value in out:
                out[r["n"].value]["section"] = r["sec"].value
        for r in _q(store, f"""SELECT ?n ?sec WHERE {{ {values} ?task <{PKG}hasTarget> ?n .
                                 ?task <{DCTERMS}isPartOf> ?sec . ?sec a <{_SECTION}> }}"""):
            if r["n"].value in out:
                out[r["n"].value]["section"] = r["sec"].value
    return out


_HIDDEN = {PKG + "text"}


def node_details(store: GraphStore, iri: str, *, max_quotes: int = 3) -> dict[str, Any]:
    """Everything the side panel shows: kind, labels, properties, links and source quotes."""
    ref = iri_ref(iri)
    info = nodes_info(store, [iri]).get(iri)
    if info is None:
        raise NotFoundError(f"no node {shown(iri)}")
    props: dict[str, list[str]] = {}
    for r in _q(store, f"SELECT DISTINCT ?p ?o WHERE {{ {ref} ?p ?o }} LIMIT 500"):
        p, o = r["p"].value, r["o"]
        if p == RDF + "type":
            continue
        local = p.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        value = o.value
        if p in _HIDDEN and len(value) > 300:
            value = value[:300] + "…"
        props.setdefault(local, [])
        if len(props[local]) < 20:
            props[local].append(value)
    texts = _Texts(store)
    quotes = []
    own = _own_evidence(store, texts, [iri]).get(iri)
    if own:
        quotes.append({"via": "evidence", **own.to_json()})
    if info["kind"] in [k.value for k in ENTITY_KINDS]:
        rows = _q(store, f"""
            SELECT ?part ?pl ?exact ?start ?end ?doc WHERE {{ ?m <{PKG}mentionOf> {ref} ; <{PKG}mentionIn> ?part ;
              <{PKG}evidence> ?sp . ?sp <{OA}exact> ?exact ; <{OA}start> ?start ; <{OA}end> ?end .
              OPTIONAL {{ ?sp <{PROV}wasDerivedFrom> ?doc }} OPTIONAL {{ ?part <{_LABEL}> ?pl }} }} LIMIT {max_quotes * 4}""")
        seen = set()
        for r in rows:
            key = (_v(r, "doc"), _v(r, "start"))
            if key in seen or len(quotes) >= max_quotes:
                continue
            seen.add(key)
            ev = texts.evidence(_v(r, "exact"), _v(r, "doc"), _v(r, "start"), _v(r, "end"))
            quotes.append({"via": "mention", "part": r["part"].value, "part_label": _v(r, "pl"), **ev.to_json()})
    return {**info, "properties": props, "quotes": quotes}


@dataclass
class NeighbourGroup:
    edge: str
    direction: str  # "out": node --edge--> neighbour; "in": neighbour --edge--> node
    kind: str
    count: int
    nodes: list[dict[str, Any]]

    @property
    def key(self) -> str:
        return f"{self.edge}|{self.direction}|{self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "edge": self.edge, "direction": self.direction, "kind": self.kind,
                "count": self.count, "shown": len(self.nodes), "nodes": self.nodes}


def neighbourhood(store: GraphStore, iri: str, *, group_limit: int = 25, group: str | None = None,
                  offset: int = 0) -> dict[str, Any]:
    """A node and its neighbours grouped by (edge, direction, kind), at most ``group_limit`` per group.

    Counting is done in the store, so a program named by 100 000 tasks costs one
    aggregate and one page of ``group_limit`` rows. ``group`` (a group key) with
    ``offset`` pages through one group.
    """
    ref = iri_ref(iri)
    pvalues = _among("p", PREDICATE_KIND)
    cvalues = _among("c", CLASS_KIND)
    groups: list[NeighbourGroup] = []
    if group is None:
        # One aggregate per direction, each starting from the bound node (a UNION of both
        # directions made Oxigraph join the whole union: 1.2 s for a program named 48 000 times).
        for direction, pattern in (("out", f"{ref} ?p ?n"), ("in", f"?n ?p {ref}")):
            for r in _q(store, f"""SELECT ?p ?c (COUNT(DISTINCT ?n) AS ?k) WHERE {{ {pvalues} {pattern} .
                                     ?n a ?c . {cvalues} }} GROUP BY ?p ?c"""):
                groups.append(NeighbourGroup(PREDICATE_KIND[r["p"].value].value, direction,
                                             CLASS_KIND[r["c"].value].value, int(r["k"].value), []))
    else:
        # paging through one group: count that group only
        try:
            edge, direction, kind = group.split("|")
            pred, cls = KIND_PREDICATE[EdgeKind(edge)], KIND_CLASS[NodeKind(kind)]
        except ValueError:
            raise QueryError(f"not a neighbour group: {shown(group)!r}") from None
        if direction not in ("out", "in"):
            raise QueryError(f"not a neighbour group: {shown(group)!r}")
        pattern = f"{ref} <{pred}> ?n" if direction == "out" else f"?n <{pred}> {ref}"
        rows = _q(store, f"SELECT (COUNT(DISTINCT ?n) AS ?k) WHERE {{ {pattern} . ?n a <{cls}> }}")
        k = int(rows[0]["k"].value) if rows else 0
        if k:
            groups.append(NeighbourGroup(edge, direction, kind, k, []))
    groups.sort(key=lambda g: (g.count, g.key))
    limit = max(1, min(group_limit, 500))
    for g in groups:
        pred = KIND_PREDICATE[EdgeKind(g.edge)]
        cls = KIND_CLASS[NodeKind(g.kind)]
        pattern = f"{ref} <{pred}> ?n" if g.direction == "out" else f"?n <{pred}> {ref}"
        if g.count <= limit and offset == 0:
            q = f"SELECT DISTINCT ?n WHERE {{ {pattern} . ?n a <{cls}> }}"
        else:
            q = f"SELECT DISTINCT ?n WHERE {{ {pattern} . ?n a <{cls}> }} LIMIT {limit} OFFSET {bounded_int(offset)}"
        found = [r["n"].value for r in _q(store, q)]
        g.nodes = [{"iri": n} for n in found]
    info = nodes_info(store, [iri] + [n["iri"] for g in groups for n in g.nodes])
    for g in groups:
        g.nodes = sorted((info.get(n["iri"], {"iri": n["iri"], "kind": g.kind, "label": None}) for n in g.nodes),
                         key=lambda d: (d.get("section") or "", _natural(d["iri"]), d.get("label") or ""))
    return {"node": info.get(iri) or {"iri": iri, "kind": None, "label": None},
            "groups": [g.to_json() for g in groups]}


def _natural(s: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s))
