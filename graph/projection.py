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
    # Gathered in plain dicts, then handed to networkx at once: adding 3·10^5 edges one by one,
    # each looked up again through networkx's views, was a third of a 10^5-node projection.
    nodes: dict[str, dict[str, Any]] = {}

    classes = iris(CLASSES[k] for k in kinds)
    in_graphs = sparql("VALUES ?g { $graphs }", graphs=iris(graph_filter)) if graph_filter else sparql("")
    for s, c, gr in rows(
        store,
        sparql(
            "SELECT ?s ?c ?g WHERE { VALUES ?c { $classes } $in_graphs GRAPH ?g { ?s a ?c } }",
            classes=classes,
            in_graphs=in_graphs,
        ),
    ):
        attrs = nodes.get(s.value)
        if attrs is None:
            nodes[s.value] = {"kind": CLASS_KINDS[c.value], "label": None, "graphs": {gr.value}}
        else:
            attrs["graphs"].add(gr.value)
    if with_labels and nodes:
        for s, label in rows(
            store,
            sparql(
                "SELECT ?s ?l WHERE { VALUES ?c { $classes } $in_graphs GRAPH ?g { ?s a ?c ; rdfs:label ?l } }",
                classes=classes,
                in_graphs=in_graphs,
            ),
        ):
            node = nodes.get(s.value)
            if node is not None and node["label"] is None:
                node["label"] = label.value

    edges: dict[tuple[str, str, str], set[str]] = {}  # (subject, kind, object) -> its graphs
    predicates = [EDGE_PREDICATES[k] for k in ekinds]
    if predicates:
        edge_kind = {iri: kind.value for iri, kind in PREDICATE_EDGES.items()}
        for s, p, o, gr in rows(
            store,
            sparql(
                "SELECT ?s ?p ?o ?g WHERE { VALUES ?p { $predicates } $in_graphs GRAPH ?g { ?s ?p ?o } }",
                predicates=iris(predicates),
                in_graphs=in_graphs,
            ),
        ):
            if s.value not in nodes or o.value not in nodes:
                continue
            key = (s.value, edge_kind[p.value], o.value)
            found = edges.get(key)
            if found is None:
                edges[key] = {gr.value}
            else:
                found.add(gr.value)
    # the documents a node belongs to: its own graph when that is a document's, and the
    # documents whose links reach it (shared entities live in graphs of their own)
    docs = {n for n, d in nodes.items() if d["kind"] == "PolicyDocument"}
    for d in nodes.values():
        d["documents"] = {x for x in d["graphs"] if x in docs}
    for (s_, _, o_), in_graphs_of_edge in edges.items():
        for gr in in_graphs_of_edge:
            if gr in docs:
                nodes[s_]["documents"].add(gr)
                nodes[o_]["documents"].add(gr)
    # In sorted order, never the order the store answered in (it follows the order of the
    # VALUES classes, a set's): networkx breaks ties by insertion order, so a path of equal
    # weight chosen among several must be the same on every run and every machine.
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    g.add_nodes_from(sorted(nodes.items()))
    for s_, kind, o_ in sorted(edges):
        g.add_edge(s_, o_, key=kind, kind=kind, graphs=edges[s_, kind, o_])
    return g


# One projection per store, rebuilt after a write (counting quads to notice a change cost
# 0.4 s per call at 3·10^6 quads; the store's write counter costs nothing).
PROJECTIONS: StoreStateCache[nx.MultiDiGraph] = StoreStateCache(lambda store: project(store))
