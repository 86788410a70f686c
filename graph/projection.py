"""A typed projection of the RDF graph into networkx.

The RDF graph holds everything (spans, mentions, literals); analytics want the
entity network only. :func:`project` reads it through the store's SPARQL
interface and returns a ``networkx.MultiDiGraph`` whose nodes are resources of
the public classes and whose edges are the public links between them:

* node attributes: ``kind`` (a :class:`NodeKind` value), ``label``, ``graphs``
  (the named graphs that describe it) and ``documents`` (the documents it belongs
  to or that link to it: shared entities live in named graphs of their own);
* edge attributes: ``kind`` (an :class:`EdgeKind` value), ``graphs``.

Mentions, selectors and literals are not nodes: they are evidence, looked up
for the few edges a result shows (see :mod:`policykg.graph.trace`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import networkx as nx

from policykg.graph.queries import iri_ref
from policykg.graph.store import GraphStore
from policykg.graph.store_cache import StoreStateCache
from policykg.ontology import DCTERMS, ORG, PKG, RDFS


class NodeKind(StrEnum):
    DOCUMENT = "document"
    SECTION = "section"
    TASK = "task"
    PROGRAM = "program"
    TARGET = "target"
    INDICATOR = "indicator"
    DIVISION = "division"
    ORGANIZATION = "organization"
    REGULATION = "regulation"


class EdgeKind(StrEnum):
    IS_PART_OF = "isPartOf"  # Task -> Section -> PolicyDocument
    MENTIONS = "mentions"  # Task/Section/Document -> Program/Division/Organization/Regulation
    PART_OF = "partOf"  # Program -> Program
    DEPENDS_ON = "dependsOn"  # Program/Task -> Program/Task
    HAS_TARGET = "hasTarget"  # Task -> Target
    APPLIES_TO = "appliesTo"  # Target -> Division
    WITHIN = "within"  # Division -> Division
    INDICATOR = "indicator"  # Target -> Indicator
    SPATIAL = "spatial"  # Document -> Division it governs
    PUBLISHER = "publisher"  # Document -> Organization


#: class IRI -> node kind
CLASS_KIND: dict[str, NodeKind] = {
    PKG + "PolicyDocument": NodeKind.DOCUMENT,
    PKG + "Section": NodeKind.SECTION,
    PKG + "Task": NodeKind.TASK,
    PKG + "Program": NodeKind.PROGRAM,
    PKG + "Target": NodeKind.TARGET,
    PKG + "Indicator": NodeKind.INDICATOR,
    PKG + "AdministrativeDivision": NodeKind.DIVISION,
    ORG + "Organization": NodeKind.ORGANIZATION,
    PKG + "Regulation": NodeKind.REGULATION,
}
KIND_CLASS: dict[NodeKind, str] = {v: k for k, v in CLASS_KIND.items()}

#: predicate IRI -> edge kind
PREDICATE_KIND: dict[str, EdgeKind] = {
    DCTERMS + "isPartOf": EdgeKind.IS_PART_OF,
    PKG + "mentions": EdgeKind.MENTIONS,
    PKG + "partOf": EdgeKind.PART_OF,
    PKG + "dependsOn": EdgeKind.DEPENDS_ON,
    PKG + "hasTarget": EdgeKind.HAS_TARGET,
    PKG + "appliesTo": EdgeKind.APPLIES_TO,
    PKG + "within": EdgeKind.WITHIN,
    PKG + "indicator": EdgeKind.INDICATOR,
    DCTERMS + "spatial": EdgeKind.SPATIAL,
    DCTERMS + "publisher": EdgeKind.PUBLISHER,
}
KIND_PREDICATE: dict[EdgeKind, str] = {v: k for k, v in PREDICATE_KIND.items()}

#: How a reading of an edge is written for people (forward, inverse).
EDGE_PHRASES: dict[EdgeKind, tuple[str, str]] = {
    EdgeKind.IS_PART_OF: ("is part of", "has part"),
    EdgeKind.MENTIONS: ("names", "is named in"),
    EdgeKind.PART_OF: ("is part of", "has part"),
    EdgeKind.DEPENDS_ON: ("depends on", "is needed by"),
    EdgeKind.HAS_TARGET: ("states target", "is a target of"),
    EdgeKind.APPLIES_TO: ("applies to", "is the scope of"),
    EdgeKind.WITHIN: ("lies within", "contains"),
    EdgeKind.INDICATOR: ("measures", "is measured by"),
    EdgeKind.SPATIAL: ("governs", "is governed by"),
    EdgeKind.PUBLISHER: ("is published by", "publishes"),
}

#: Kinds shared across documents (one IRI each): things people name.
ENTITY_KINDS = (NodeKind.PROGRAM, NodeKind.DIVISION, NodeKind.INDICATOR, NodeKind.ORGANIZATION, NodeKind.REGULATION)


def _values(var: str, iris: Iterable[str]) -> str:
    """``VALUES ?var { … }`` of IRIs, each a term built by pyoxigraph (never pasted text)."""
    return f"VALUES ?{var} {{ " + " ".join(iri_ref(i) for i in iris) + " }"


def kind_of(classes: Iterable[str]) -> NodeKind | None:
    """The node kind of a resource from its rdf:types (None: not a public class)."""
    for c in classes:
        k = CLASS_KIND.get(c)
        if k is not None:
            return k
    return None


def project(
    store: GraphStore,
    *,
    node_kinds: Iterable[NodeKind] | None = None,
    edge_kinds: Iterable[EdgeKind] | None = None,
    graphs: Iterable[str] | None = None,
    with_labels: bool = True,
) -> nx.MultiDiGraph:
    """The typed entity network of the store (or of some documents' graphs).

    ``node_kinds`` and ``edge_kinds`` restrict what is projected (default: all);
    an edge is kept only when both its ends are projected nodes.
    """
    kinds = set(node_kinds) if node_kinds is not None else set(NodeKind)
    ekinds = set(edge_kinds) if edge_kinds is not None else set(EdgeKind)
    graph_filter = list(graphs) if graphs is not None else None
    g: nx.MultiDiGraph = nx.MultiDiGraph()

    classes = [KIND_CLASS[k] for k in kinds]
    gvalues = _values("g", graph_filter) if graph_filter else ""
    rows = list(
        store.query(f"""
        SELECT ?s ?c ?g WHERE {{ {_values("c", classes)} {gvalues} GRAPH ?g {{ ?s a ?c }} }}""")
    )
    for r in rows:
        s, c, gr = r["s"].value, r["c"].value, r["g"].value
        attrs = g.nodes.get(s)
        if attrs is None:
            g.add_node(s, kind=CLASS_KIND[c].value, label=None, graphs={gr})
        else:
            attrs["graphs"].add(gr)
    if with_labels and g.number_of_nodes():
        rows = list(
            store.query(f"""
            SELECT ?s ?l WHERE {{ {_values("c", classes)} {gvalues} GRAPH ?g {{ ?s a ?c ; <{RDFS}label> ?l }} }}""")
        )
        for r in rows:
            node = g.nodes.get(r["s"].value)
            if node is not None and node["label"] is None:
                node["label"] = r["l"].value

    preds = [KIND_PREDICATE[k] for k in ekinds]
    if preds:
        rows = list(
            store.query(f"""
            SELECT ?s ?p ?o ?g WHERE {{ {_values("p", preds)} {gvalues} GRAPH ?g {{ ?s ?p ?o }} }}""")
        )
        seen: dict[tuple[str, str, str], dict] = {}
        for r in rows:
            s, o = r["s"].value, r["o"].value
            if s not in g or o not in g:
                continue
            kind = PREDICATE_KIND[r["p"].value].value
            key = (s, kind, o)
            data = seen.get(key)
            if data is None:
                g.add_edge(s, o, key=kind, kind=kind, graphs={r["g"].value})
                seen[key] = g.edges[s, o, kind]
            else:
                data["graphs"].add(r["g"].value)
    # the documents a node belongs to: its own graph when that is a document's, and the
    # documents whose links reach it (shared entities live in graphs of their own)
    docs = {n for n, d in g.nodes(data=True) if d["kind"] == NodeKind.DOCUMENT.value}
    for _, d in g.nodes(data=True):
        d["documents"] = {x for x in d["graphs"] if x in docs}
    for s_, o_, d in g.edges(data=True):
        for gr in d["graphs"]:
            if gr in docs:
                g.nodes[s_]["documents"].add(gr)
                g.nodes[o_]["documents"].add(gr)
    return g


# One projection per store, rebuilt after a write (counting quads to notice a change cost
# 0.4 s per call at 3·10^6 quads; the store's write counter costs nothing).
PROJECTIONS: StoreStateCache[nx.MultiDiGraph] = StoreStateCache(lambda store: project(store))
