"""Writing documents: the SPARQL Updates both stores run, so that replacing or removing a
document means the same quads in the embedded store and behind a SPARQL server.

Replacing a document's graph is one update (``DROP GRAPH`` then ``INSERT DATA``,
:func:`replace_update`); removing it drops its graph and the shared entity graphs no other
document reaches (:func:`removal_graphs`, :func:`orphan_entity_graphs`), also in one update.
One request, one transaction: a crash leaves the old document or the new one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from policykg.errors import StoreError
from policykg.graph.iris import SHARED_KINDS
from policykg.graph.sparql_params import iri, joined, ntriples, sparql
from policykg.graph.store.protocol import GraphStore

_DOCUMENT_GRAPHS = "SELECT ?g WHERE { GRAPH ?g { ?g a <https://w3id.org/policykg/ontology#PolicyDocument> } }"
_GRAPH_LINKS = "SELECT DISTINCT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o FILTER(isIRI(?o)) } }"


def orphan_entity_graphs(store: GraphStore, *, removing: str | None = None) -> list[str]:
    """Shared-entity graphs that no document graph reaches, directly or through other entities.

    Works on any store with ``query``; only graphs named like a policykg entity
    (``…/program/…``, ``…/division/…`` …) are candidates, so a server's own graphs are safe.
    ``removing``: a document graph to count as gone already.
    """

    docs = {r["g"].value for r in store.query(_DOCUMENT_GRAPHS)} - {removing}
    refs: dict[str, set[str]] = {}
    for r in store.query(_GRAPH_LINKS):
        if r["g"].value != removing:
            refs.setdefault(r["g"].value, set()).add(r["o"].value)
    entity_graphs = {g for g in set(refs) - docs if any("/" + kind in g for kind in SHARED_KINDS)}
    reached: set[str] = set()
    frontier = [o for d in docs for o in refs.get(d, ()) if o in entity_graphs]
    while frontier:
        e = frontier.pop()
        if e not in reached:
            reached.add(e)
            frontier.extend(o for o in refs.get(e, ()) if o in entity_graphs)
    return sorted(entity_graphs - reached)


def removal_graphs(store: GraphStore, graph: str) -> list[str]:
    """What removing a document drops: its graph and the entity graphs only it reached."""
    return [graph, *orphan_entity_graphs(store, removing=graph)]


def drop_update(graphs: Sequence[str]) -> str:
    return joined((sparql("DROP SILENT GRAPH $g", g=iri(g)) for g in graphs), " ;\n").text


def removal_update(store: GraphStore, graph: str) -> str:
    """One SPARQL Update that drops a document's graph and the entity graphs only it reached.

    One request, one transaction: a crash leaves the document with its entities, or neither.
    """
    return drop_update(removal_graphs(store, graph))


def replace_update(graph: str, quads: Sequence[ox.Quad]) -> str:
    """One SPARQL Update that makes ``graph`` hold its quads and adds the others to their graphs.

    ``DROP`` and ``INSERT DATA`` in one request are one transaction in Oxigraph (embedded or
    server), Fuseki and GraphDB: a crash or an error leaves the old document or the new one.
    """
    by_graph: dict[str, list[ox.Triple]] = {}
    for q in quads:
        if not isinstance(q.graph_name, ox.NamedNode):
            raise StoreError(f"a quad for {graph} is outside any named graph")
        by_graph.setdefault(q.graph_name.value, []).append(q.triple)
    # N-Triples is valid SPARQL triple syntax; serialized in Rust, one call per graph.
    inserts = joined(
        (sparql("GRAPH $g {\n$triples}", g=iri(name), triples=ntriples(triples)) for name, triples in by_graph.items())
    )
    return sparql("DROP SILENT GRAPH $graph ;\nINSERT DATA {\n$inserts\n}", graph=iri(graph), inserts=inserts).text
