"""The network view's JSON, made from the typed reads of :mod:`policykg.graph`.

What ``/api/explore/*``, ``/api/trace``, ``/api/rests-on``, ``/api/path``, ``/api/rankings`` and
``policykg trace|rests-on|path|rank --json`` answer. Kinds are written as the view's words (``program``,
``division``: :data:`policykg.graph.kinds.WORDS`), a quote as ``{quote, document, start, end,
context}``, a neighbour group by its key ``edge|direction|word``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from policykg.errors import QueryError
from policykg.graph.evidence import Evidence
from policykg.graph.kinds import ENTITY_KINDS, WORD_KINDS, WORDS, EdgeKind, local_name, prefixed
from policykg.graph.neighbourhood import NeighbourGroup
from policykg.graph.paths import PathResult
from policykg.graph.rankings import Rankings
from policykg.graph.read import Ref
from policykg.graph.resources import NodeCard, NodeDetails
from policykg.graph.search import LabelHit
from policykg.graph.sparql_params import shown
from policykg.graph.trace import PartFacts, Trace, TraceEdge, TraceNode
from policykg.ontology import DCTERMS, PKG, RDF, RDFS, SKOS
from policykg.viz.edge_words import edge_label, property_words

#: A property shown longer than this is cut in the side panel (a document's whole text).
_LONG = {PKG + "text": 300}
#: Values shown per property in the side panel.
_VALUES_SHOWN = 20
_ENTITY_WORDS = {WORDS[k] for k in ENTITY_KINDS}


def word(kind: str | None) -> str | None:
    return None if kind is None else WORDS.get(kind, kind)


def evidence_json(ev: Evidence | None) -> dict[str, Any] | None:
    if ev is None:
        return None
    return {"quote": ev.exact, "document": ev.document, "start": ev.start, "end": ev.end, "context": ev.context}


def ref_json(ref: Ref) -> dict[str, Any]:
    return {"iri": ref.iri, "kind": word(ref.kind), "label": ref.label}


def card_json(card: NodeCard) -> dict[str, Any]:
    return {
        "iri": card.iri,
        "kind": word(card.kind),
        "label": card.label,
        "documents": card.documents,
        "section": card.section,
    }


# -- search -------------------------------------------------------------------------------------


def search_kinds(words: list[str] | None) -> list[str] | None:
    """The kinds the view's words name; QueryError for a word it does not know."""
    unknown = [w for w in words or () if w not in WORD_KINDS]
    if unknown:
        raise QueryError(f"unknown kind {shown(unknown[0])!r}; use {', '.join(sorted(WORD_KINDS))}")
    return [WORD_KINDS[w] for w in words] if words else None


def search_json(text: str, hits: list[LabelHit]) -> list[dict[str, Any]]:
    """The search box's hits: programs and other named things before the sections and tasks
    that contain the words, exact names first."""
    out = [{"iri": h.iri, "kind": word(h.kind), "label": h.label, "match": h.matched} for h in hits]
    out.sort(key=lambda r: (r["match"] != text and r["label"] != text, r["kind"] not in _ENTITY_WORDS))
    return out


# -- one node and its neighbours ----------------------------------------------------------------


def details_json(details: NodeDetails) -> dict[str, Any]:
    """The side panel: the card, properties by local name (values as text) and quotes."""
    props: dict[str, list[str]] = {}
    for p in details.properties:
        if p.predicate == RDF + "type":
            continue
        value = p.value.iri if p.value.iri is not None else p.value.literal or ""
        cut = _LONG.get(p.predicate)
        if cut is not None and len(value) > cut:
            value = value[:cut] + "…"
        values = props.setdefault(local_name(p.predicate), [])
        if len(values) < _VALUES_SHOWN:
            values.append(value)
    quotes = []
    for q in details.quotes:
        via: dict[str, Any] = (
            {"via": "evidence"}
            if q.part is None
            else {"via": "mention", "part": q.part.iri, "part_label": q.part.label}
        )
        quotes.append({**via, **(evidence_json(q.evidence) or {})})
    return {
        **card_json(details.card),
        "properties": props,
        "groups": property_groups(details),
        "quotes": quotes,
    }


#: The side panel's groups, in order: (key, heading); a property goes to the first that takes it.
PANEL_GROUPS = (
    ("names", "名称 Names"),
    ("links", "关联 Links"),
    ("values", "取值 Values"),
    ("source", "来源 Source"),
    ("type", "类型 Type"),
)
_NAMES = {RDFS + "label", SKOS + "altLabel", DCTERMS + "title"}
_SOURCE = {PKG + "text", PKG + "evidence", DCTERMS + "source"}


def _panel_group(predicate: str, is_node: bool) -> str:
    if predicate == RDF + "type":
        return "type"
    if predicate in _NAMES:
        return "names"
    if predicate in _SOURCE:
        return "source"
    return "links" if is_node else "values"


def property_groups(details: NodeDetails) -> list[dict[str, Any]]:
    """The side panel's properties, grouped and labelled: ``[{key, heading, properties: [{predicate,
    name, words, values: [{text, iri?, node?}]}]}]``. A value that is a node of the view (an IRI
    with a label) has ``node: true`` (the panel focuses it); another IRI is written as its
    prefixed name (``pkg:Exactly``) and keeps ``iri`` (the panel links it to its page)."""
    grouped: dict[str, dict[str, dict[str, Any]]] = {key: {} for key, _ in PANEL_GROUPS}
    for p in details.properties:
        v = p.value
        is_node = v.iri is not None and v.label is not None
        entry = grouped[_panel_group(p.predicate, is_node)].setdefault(
            p.predicate,
            {"predicate": p.predicate, "name": p.name, "words": property_words(p.predicate), "values": []},
        )
        if len(entry["values"]) >= _VALUES_SHOWN:
            entry["truncated"] = True
            continue
        if v.iri is not None:
            value: dict[str, Any] = {"text": v.label or prefixed(v.iri), "iri": v.iri}
            if is_node:
                value["node"] = True
        else:
            text = v.literal or ""
            cut = _LONG.get(p.predicate)
            if cut is not None and len(text) > cut:
                text = text[:cut] + "…"
            value = {"text": text}
        entry["values"].append(value)
    return [
        {"key": key, "heading": heading, "properties": sorted(grouped[key].values(), key=lambda e: e["name"])}
        for key, heading in PANEL_GROUPS
        if grouped[key]
    ]


def group_key(g: NeighbourGroup) -> str:
    return f"{g.edge}|{g.direction}|{WORDS[g.kind]}"


def parse_group_key(key: str) -> tuple[EdgeKind, str, str]:
    """(link, direction, kind) of a group key; QueryError for anything else."""
    try:
        edge, direction, kind_word = key.split("|")
        group = (EdgeKind(edge), direction, WORD_KINDS[kind_word])
    except (ValueError, KeyError):
        raise QueryError(f"not a neighbour group: {shown(key)!r}") from None
    if direction not in ("out", "in"):
        raise QueryError(f"not a neighbour group: {shown(key)!r}")
    return group


def group_json(g: NeighbourGroup) -> dict[str, Any]:
    return {
        "key": group_key(g),
        "edge": str(g.edge),
        "direction": g.direction,
        "kind": WORDS[g.kind],
        "count": g.count,
        "shown": len(g.nodes),
        "nodes": [card_json(n) for n in g.nodes],
    }


def groups_json(groups: list[NeighbourGroup]) -> list[dict[str, Any]]:
    """The groups, smallest first (then by key): the order the view places them in around the node."""
    return sorted((group_json(g) for g in groups), key=lambda g: (g["count"], g["key"]))


# -- trace, path, rankings ------------------------------------------------------------------------


def facts_json(node: TraceNode) -> dict[str, Any]:
    """What a trace node says beyond its kind and label: a part's place (what is set of it), a
    target's indicator and value (what is known of it)."""
    if node.facts is None:
        return {}
    facts = asdict(node.facts)
    if isinstance(node.facts, PartFacts):
        return {k: v for k, v in facts.items() if v}
    return {k: v for k, v in facts.items() if v is not None}


def tree_json(node: TraceNode) -> dict[str, Any]:
    out: dict[str, Any] = {"iri": node.iri, "kind": word(node.kind), "label": node.label}
    if node.edge:
        out["edge"] = str(node.edge)
        out["relation"] = node.relation
        out["evidence"] = evidence_json(node.evidence)
        if node.basis:
            out["basis"] = node.basis
    details = facts_json(node)
    if details:
        out["details"] = details
    if node.ref:
        out["ref"] = True
    out["children"] = [tree_json(c) for c in node.children]
    return out


def edge_json(e: TraceEdge) -> dict[str, Any]:
    out = {"source": e.source, "target": e.target, "kind": str(e.kind), "evidence": evidence_json(e.evidence)}
    if e.basis:  # "registry": the link comes from the programme registry, not a quote
        out["basis"] = e.basis
    return out


def _nodes_json(t: Trace) -> list[dict[str, Any]]:
    return [{"iri": n.iri, "kind": word(n.kind), "label": n.label, **facts_json(n)} for n in t.nodes.values()]


def trace_json(t: Trace) -> dict[str, Any]:
    """``{program, partOf, counts, tree, nodes, edges, truncated, max_nodes}``."""
    return {
        "program": {"iri": t.root.iri, "label": t.root.label},
        "partOf": [tree_json(p) for p in t.part_of],
        "counts": {word(k): n for k, n in t.counts().items()},
        "tree": tree_json(t.root),
        "nodes": _nodes_json(t),
        "edges": [edge_json(e) for e in t.edges],
        "truncated": t.truncated,
        "max_nodes": t.max_nodes,
    }


def rests_on_json(t: Trace) -> dict[str, Any]:
    """What a task rests on: ``{task, counts, tree, nodes, edges, truncated, max_nodes}``."""
    return {
        "task": {"iri": t.root.iri, "label": t.root.label, **facts_json(t.root)},
        "counts": {word(k): n for k, n in t.counts(root=False).items()},
        "tree": tree_json(t.root),
        "nodes": _nodes_json(t),
        "edges": [edge_json(e) for e in t.edges],
        "truncated": t.truncated,
        "max_nodes": t.max_nodes,
    }


#: The columns of a trace's CSV (``/api/explore/trace.csv``), one row per link.
TRACE_CSV_COLUMNS = (
    "from",
    "from_kind",
    "from_label",
    "link",
    "link_words",
    "to",
    "to_kind",
    "to_label",
    "quote",
    "document",
    "start",
    "end",
    "basis",
)


def trace_csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The header and one row per link of a trace's JSON (:func:`trace_json`, :func:`rests_on_json`),
    in the order the trace found them."""
    nodes = {n["iri"]: n for n in data["nodes"]}
    out: list[list[Any]] = [list(TRACE_CSV_COLUMNS)]
    for e in data["edges"]:
        a, b = nodes.get(e["source"], {}), nodes.get(e["target"], {})
        ev = e.get("evidence") or {}
        out.append(
            [
                e["source"],
                a.get("kind") or "",
                a.get("label") or "",
                e["kind"],
                edge_label(e["kind"]),
                e["target"],
                b.get("kind") or "",
                b.get("label") or "",
                ev.get("quote") or "",
                ev.get("document") or "",
                "" if ev.get("start") is None else ev["start"],
                "" if ev.get("end") is None else ev["end"],
                e.get("basis") or "",
            ]
        )
    return out


def path_json(p: PathResult) -> dict[str, Any]:
    """``{from, to, length, cost, nodes, steps}``."""
    return {
        "from": ref_json(p.start),
        "to": ref_json(p.end),
        "length": len(p.steps),
        "cost": p.cost,
        "nodes": [ref_json(n) for n in p.nodes()],
        "steps": [
            {
                "from": ref_json(s.source),
                "to": ref_json(s.target),
                "kind": str(s.kind),
                "forward": s.forward,
                "relation": s.relation,
                "evidence": evidence_json(s.evidence),
            }
            for s in p.steps
        ],
    }


def rankings_json(r: Rankings) -> dict[str, list[dict[str, Any]]]:
    """``{programs, divisions, indicators}``."""
    return asdict(r)
