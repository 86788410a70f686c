"""What every store offers (:class:`GraphStore`), what it answers with, and what both stores share.

The embedded store (:mod:`.embedded`) and the remote one (:mod:`.remote`) satisfy
:class:`GraphStore`; the CLI, the API and the viz use only this. Both list their documents with
the same query (:data:`DOCUMENTS_QUERY`, :func:`document_summaries`), refuse the same malformed
graph IRIs (:func:`checked_iri`) and serialize to the same formats (:data:`RDF_FORMATS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import pyoxigraph as ox

from policykg.errors import QueryError

T = TypeVar("T")

RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
# Formats that can hold named graphs; the others flatten the union.
DATASET_FORMATS = {"nquads", "trig", "jsonld"}


@dataclass(frozen=True)
class DocumentSummary:
    iri: str
    title: str | None
    issued: str | None
    source: str | None
    sha256: str | None
    triples: int


@dataclass(frozen=True)
class LoadResult:
    graph: str
    triples: int
    replaced: bool  # an older version of the document was replaced
    unchanged: bool  # the same bytes were already stored: nothing was written


@dataclass(frozen=True)
class NewDocument:
    """A document for :meth:`GraphStore.add_documents`: its graph as N-Quads, seal apart, as
    :meth:`policykg.graph.build.DocumentGraph.sealed` writes them (the embedded store's bulk load
    trusts their IRIs)."""

    graph: str  # the document's named graph, not in the store yet
    sha256: str  # of the file it was read from
    body: bytes  # every quad but the seal: the document's graph and what it adds to shared entities
    seal: bytes  # its ``pkg:sha256`` quad, stored last: a document without it is not whole


class GraphStore(Protocol):
    """What every store offers; the CLI, the API and the viz use only this."""

    def add_documents(self, docs: Sequence[NewDocument]) -> None: ...
    def replace_graph(self, graph: str, quads: Sequence[ox.Quad], sha256: str | None = None) -> LoadResult: ...
    def remove_graph(self, graph: str) -> bool: ...
    def contains_graph(self, graph: str) -> bool: ...
    def graph_sha256(self, graph: str) -> str | None: ...
    def query(self, sparql: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()): ...
    def update(self, sparql: str) -> None: ...
    def documents(self) -> list[DocumentSummary]: ...
    def dump(self, fmt: str, graph: str | None = None, output: str | Path | None = None) -> bytes: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


# Full IRIs: run by pyoxigraph itself too, without the predeclared prefixes.
DOCUMENTS_QUERY = """
SELECT ?g ?title ?issued ?source ?sha (COUNT(*) AS ?n) WHERE {
  GRAPH ?g {
    ?g a <https://w3id.org/policykg/ontology#PolicyDocument> .
    ?s ?p ?o .
    OPTIONAL { ?g <http://purl.org/dc/terms/title> ?title }
    OPTIONAL { ?g <http://purl.org/dc/terms/issued> ?issued }
    OPTIONAL { ?g <http://purl.org/dc/terms/source> ?source }
    OPTIONAL { ?g <https://w3id.org/policykg/ontology#sha256> ?sha }
  }
} GROUP BY ?g ?title ?issued ?source ?sha ORDER BY ?g
"""


def document_summaries(rows: Iterable[ox.QuerySolution]) -> list[DocumentSummary]:
    """The rows of :data:`DOCUMENTS_QUERY` as summaries."""
    return [
        DocumentSummary(
            iri=r["g"].value,
            title=_v(r["title"]),
            issued=_v(r["issued"]),
            source=_v(r["source"]),
            sha256=_v(r["sha"]),
            triples=int(r["n"].value),
        )
        for r in rows
    ]


def _v(term) -> str | None:
    return None if term is None else term.value


def checked_iri(value: str) -> str:
    """``value``, refused as a :class:`~policykg.errors.QueryError` if it cannot be an IRI."""
    if any(c in value for c in '<>"{}|^`\\ \n'):
        raise QueryError(f"not a valid IRI: {value!r}")
    return value


def read_consistently(store: GraphStore, read: Callable[[], T]) -> T:
    """``read()`` under one consistent view of ``store`` where the store can give one (the
    embedded store: :meth:`.embedded.OxigraphStore.read_consistently`); else simply ``read()``: a
    store behind a SPARQL server is written by other processes, each query there is its own snapshot."""
    method = getattr(store, "read_consistently", None)
    return method(read) if method is not None else read()
