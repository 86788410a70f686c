"""A typed projection of the RDF graph into networkx.

The RDF graph holds everything (spans, mentions, literals); analytics want the
entity network only. :func:`project` reads it through the store's SPARQL
interface and returns a ``networkx.MultiDiGraph`` whose nodes are resources of
the public classes and whose edges are the public links between them:

* node attributes: ``kind`` (see :mod:`policykg.graph.kinds`), ``label``, ``graphs``
  (the named graphs that describe it) and ``documents`` (the documents it belongs
  to or that link to it: shared entities live in named graphs of their own);
* edge attributes: ``kind`` (an :class:`EdgeKind` value), ``graphs``.

Mentions, selectors and literals are not nodes: they are evidence, looked up
for the few edges a result shows (see :mod:`policykg.graph.paths`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from policykg.graph.kinds import CLASS_KINDS, CLASSES, EDGE_PREDICATES, PREDICATE_EDGES, EdgeKind
from policykg.graph.read import rows
from policykg.graph.sparql_params import iris, sparql
from policykg.graph.store import GraphStore
from policykg.graph.store.cache import StoreStateCache


def project(
    store: GraphStore,
    *,
    node_kinds: Iterable[str] | None = None,
    edge_kinds: Iterable[EdgeKind] | None = None,
    graphs: Iterable[str] | None = None,
    with_labels: bool = True,
) -> nx.MultiDiGraph:
    """The typed entity network of the store (or of some documents' graphs).

    ``node_kinds`` and ``edge_kinds`` restrict what is projected (default: all);
    an edge is kept only when both its ends are projected nodes.
    """
    kinds = set(node_kinds) if node_kinds is not None else set(CLASSES)
    ekinds = set(edge_kinds) if edge_kinds is not None else set(EdgeKind)
    graph_filter = list(graphs) if graphs is not None else None
    g: nx.MultiDiGraph = nx.MultiDiGraph()

    classes = iris(CLASSES[k] for k in kinds)
    in_graphs = sparql("VALUES ?g { $graphs }", graphs=iris(graph_filter)) if graph_filter else sparql("")
    for r in rows(
        store,
        sparql(
            "SELECT ?s ?c ?g WHERE { VALUES ?c { $classes } $in_graphs GRAPH ?g { ?s a ?c } }",
            classes=classes,
            in_graphs=in_graphs,
        ),
    ):
        s, c, gr = r["s"].value, r["c"].value, r["g"].value
        attrs = g.nodes.get(s)
        if attrs is None:
            g.add_node(s, kind=CLASS_KINDS[c], label=None, graphs={gr})
        else:
            attrs["graphs"].add(gr)
    if with_labels and g.number_of_nodes():
        for r in rows(
            store,
            sparql(
                "SELECT ?s ?l WHERE { VALUES ?c { $classes } $in_graphs GRAPH ?g { ?s a ?c ; rdfs:label ?l } }",
                classes=classes,
                in_graphs=in_graphs,
            ),
        ):
            node = g.nodes.get(r["s"].value)
            if node is not None and node["label"] is None:
                node["label"] = r["l"].value

    predicates = [EDGE_PREDICATES[k] for k in ekinds]
    if predicates:
        seen: dict[tuple[str, str, str], dict[str, Any]] = {}
        for r in rows(
            store,
            sparql(
                "SELECT ?s ?p ?o ?g WHERE { VALUES ?p { $predicates } $in_graphs GRAPH ?g { ?s ?p ?o } }",
                predicates=iris(predicates),
                in_graphs=in_graphs,
            ),
        ):
            s, o = r["s"].value, r["o"].value
            if s not in g or o not in g:
                continue
            kind = PREDICATE_EDGES[r["p"].value].value
            key = (s, kind, o)
            data = seen.get(key)
            if data is None:
                g.add_edge(s, o, key=kind, kind=kind, graphs={r["g"].value})
                seen[key] = g.edges[s, o, kind]
            else:
                data["graphs"].add(r["g"].value)
    # the documents a node belongs to: its own graph when that is a document's, and the
    # documents whose links reach it (shared entities live in graphs of their own)
    docs = {n for n, d in g.nodes(data=True) if d["kind"] == "PolicyDocument"}
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
