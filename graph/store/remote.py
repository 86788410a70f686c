"""A remote store: any SPARQL 1.1 Query + Update + Graph Store Protocol endpoint.

``RemoteStore`` offers the same methods as :class:`policykg.graph.store.embedded.OxigraphStore`
and returns the same pyoxigraph result objects, so the CLI, the API and the viz
work unchanged in front of an Oxigraph server, Virtuoso, Apache Jena Fuseki or
GraphDB.

Writes, and how atomic they are:

* ``replace_graph`` is ONE SPARQL Update: ``DROP SILENT GRAPH <doc>`` and one
  ``INSERT DATA`` holding the document's graph and what its shared entities say
  about themselves (the same text the embedded store runs). A server that runs
  an update request as one transaction (Oxigraph, Fuseki, GraphDB) leaves the
  old document or the new one, whatever happens mid-request. Not a GSP ``PUT``:
  the Oxigraph server runs a ``PUT`` as a clear and then a load, two commits, so
  a crash between them lost the document. Same sha256 -> nothing is sent.
  Virtuoso compiles an ``INSERT DATA`` of a thousand triples into too much SQL
  (error SP031), so there the entity graphs are POSTed first and the document's
  graph then replaced by one GSP ``PUT`` (a delete and an insert in one request):
  a crash between the two leaves entity additions no document reaches yet, which
  the next ingest of the document, or a ``remove``, puts right.
* ``load`` (bulk upload of many new documents) is ONE ``POST`` of an N-Quads
  (or TriG) body holding every graph, to the GSP endpoint (Oxigraph, Fuseki) or
  to ``/statements`` (GraphDB, RDF4J): one transaction on those servers. Servers
  that take no dataset body (Virtuoso) get one ``POST <gsp>?graph=`` of N-Triples
  per graph instead, the shared entities' graphs first and each document's graph
  last with its ``pkg:sha256`` last, so an interrupted upload never leaves a
  document that looks complete to the next ingest. Never a request per triple.
* ``remove_graph`` is one SPARQL Update of ``DROP SILENT GRAPH``s: the document's
  graph and the entity graphs only it reached.

A server that cannot be reached, times out, answers 5xx or refuses access raises
:class:`~policykg.errors.StoreUnavailableError` naming the URL: an ingest stops there.

How the three URLs are derived from the store URL is in :func:`endpoints`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from policykg.errors import QueryError, StoreError, StoreTimeoutError, StoreUnavailableError
from policykg.graph import sparql_params
from policykg.graph.store.embedded import OxigraphStore
from policykg.graph.store.protocol import (
    DOCUMENTS_QUERY,
    LoadResult,
    NewDocument,
    checked_iri,
    document_summaries,
)
from policykg.graph.store.updates import orphan_entity_graphs, removal_update, replace_update
from policykg.ontology import PKG, PREFIXES

_RDF_MEDIA = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_RESULTS_MEDIA = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
_SHA256 = ox.NamedNode(PKG + "sha256")
_UPLOAD_MEDIA = {
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "ntriples": "application/n-triples",
    "turtle": "text/turtle",
}


@dataclass(frozen=True)
class Endpoints:
    query: str
    update: str
    gsp: str
    bulk: str | None  # where a whole dataset (N-Quads/TriG, many graphs) can be POSTed; None: per graph
    union_param: str | None  # query-string flag that makes the default graph the union of all graphs
    update_replace: bool = True  # a replace is one SPARQL Update; False: entity POSTs, then one GSP PUT


def endpoints(url: str, *, update_url: str | None = None, gsp_url: str | None = None, union: str = "auto") -> Endpoints:
    """The query, update, GSP and bulk-upload URLs for a store URL, by the URL's path:

    * ``/query`` or nothing (Oxigraph server, ``oxigraph serve``): update ``/update``,
      GSP and bulk upload ``/store``;
    * ``/sparql`` (Virtuoso): update the same URL, GSP ``/sparql-graph-crud``, bulk
      upload one graph per request (Virtuoso takes no dataset body);
    * ``/repositories/ID`` (GraphDB, RDF4J): update and bulk upload ``…/ID/statements``,
      GSP ``…/ID/rdf-graphs/service``;
    * anything else (e.g. a Fuseki dataset root ``http://host:3030/ds``, which answers
      all three): the same URL for everything.

    ``update_url`` and ``gsp_url`` (settings ``remote_update_url``, ``remote_gsp_url``)
    override the derived ones. ``union``: ``auto`` adds Oxigraph's
    ``union-default-graph`` flag to queries for Oxigraph-style URLs, ``param`` always,
    ``server`` never (the server's default graph is already the union: Virtuoso,
    GraphDB, Fuseki with ``unionDefaultGraph``).
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/")

    def at(new_path: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))

    oxigraph_style = False
    bulk: str | None = ""  # "": the GSP URL
    if path == "" or path.endswith("/query"):
        base = path[: -len("/query")] if path.endswith("/query") else path
        q, u, g = at(base + "/query"), at(base + "/update"), at(base + "/store")
        if parts.query:
            q += "?" + parts.query
        oxigraph_style = True
    elif path.endswith("/sparql"):
        base = path[: -len("/sparql")]
        q, u, g = url, url, at(base + "/sparql-graph-crud")
        bulk = None  # Virtuoso answers a dataset POST with 200 and a help page, loading nothing
    elif re.search(r"/repositories/[^/]+$", path):
        q, u, g = url, at(path + "/statements"), at(path + "/rdf-graphs/service")
        bulk = u  # RDF4J/GraphDB: POST N-Quads/TriG to /statements adds quads with their graphs
    else:
        q = u = g = url
    if union not in {"auto", "param", "server"}:
        raise StoreError(f"remote_union must be auto, param or server, not {union!r}")
    union_param = "union-default-graph" if union == "param" or (union == "auto" and oxigraph_style) else None
    gsp = gsp_url or g
    # bulk is None exactly for Virtuoso, which also refuses big INSERT DATA updates (see the module doc).
    return Endpoints(q, update_url or u, gsp, gsp if bulk == "" else bulk, union_param, update_replace=bulk is not None)


# -- recognizing the query form ---------------------------------------------
_NOISE = re.compile(
    r'<[^<>"{}|^`\\\s]*>|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*'
)
_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)


def query_form(sparql: str) -> str:
    """``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``: the first form keyword outside IRIs, strings and comments."""
    m = _FORM.search(_NOISE.sub(" ", sparql))
    if not m:
        raise QueryError("not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE)")
    return m.group(1).upper()


def _prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def _holds_triples(graph: str) -> str:
    return sparql_params.sparql("ASK { GRAPH $g { ?s ?p ?o } }", g=sparql_params.iri(graph)).text


class RemoteStore:
    """A store behind SPARQL 1.1 Query/Update and the Graph Store Protocol, over HTTP."""

    def __init__(
        self,
        url: str,
        *,
        update_url: str | None = None,
        gsp_url: str | None = None,
        union: str = "auto",
        timeout: float = 60.0,
        read_only: bool = False,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self.endpoints = endpoints(url, update_url=update_url, gsp_url=gsp_url, union=union)
        self.read_only = read_only
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0))
        self._dataset_post = self.endpoints.bulk is not None  # False once the server refuses a dataset body
        self._prologue = _prologue()

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # -- HTTP --------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise StoreTimeoutError(
                f"the SPARQL server at {url} did not answer in time",
                hint="raise remote_timeout, or check the server's load",
            ) from None
        except httpx.HTTPError as exc:
            raise StoreUnavailableError(
                f"cannot reach the SPARQL server at {url}: {exc}",
                hint="is the server running? check --store / POLICYKG_STORE",
            ) from None

    @staticmethod
    def _fail(resp: httpx.Response, what: str, *, query: bool = False) -> None:
        if resp.is_success:
            return
        detail = resp.text.strip().replace("\n", " ")[:500]
        msg = f"{what} failed: HTTP {resp.status_code} from {resp.request.url}: {detail}"
        if query and resp.status_code == 400:
            raise QueryError(msg)
        # The server's trouble or a refusal of every write, not this request's content.
        if resp.status_code >= 500 or resp.status_code in {401, 403}:
            raise StoreUnavailableError(msg)
        raise StoreError(msg)

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"the remote store {self.url} was opened read-only")

    # -- reading -----------------------------------------------------------
    def query(self, sparql: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()):
        """Run a query; SELECT/ASK give pyoxigraph ``QuerySolutions``/``QueryBoolean``,
        CONSTRUCT/DESCRIBE a list of ``Triple``."""
        form = query_form(sparql)
        # The form-encoded POST of the SPARQL protocol: every server takes it.
        body: dict[str, list[str] | str] = {"query": self._prologue + sparql}
        params: dict[str, str] = {}
        if default_graphs:
            body["default-graph-uri"] = [checked_iri(g) for g in default_graphs]
        elif self.endpoints.union_param:
            params[self.endpoints.union_param] = ""
        if named_graphs:
            body["named-graph-uri"] = [checked_iri(g) for g in named_graphs]
        accept = (
            "application/n-triples, text/turtle;q=0.5"
            if form in {"CONSTRUCT", "DESCRIBE"}
            else "application/sparql-results+json, application/sparql-results+xml;q=0.5"
        )
        resp = self._send("POST", self.endpoints.query, params=params, data=body, headers={"Accept": accept})
        self._fail(resp, "SPARQL query", query=True)
        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if form in {"CONSTRUCT", "DESCRIBE"}:
                rdf = _RDF_MEDIA.get(ctype, ox.RdfFormat.N_TRIPLES)
                return [t if isinstance(t, ox.Triple) else t.triple for t in ox.parse(resp.content, format=rdf)]
            results = _RESULTS_MEDIA.get(ctype, ox.QueryResultsFormat.JSON)
            return ox.parse_query_results(resp.content, format=results)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"unreadable answer ({ctype}) from {self.endpoints.query}: {exc}") from None

    def _select(self, sparql: str) -> list[ox.QuerySolution]:
        return list(self.query(sparql))

    def graph_sha256(self, graph: str) -> str | None:
        rows = self._select(
            sparql_params.sparql(
                "SELECT ?sha WHERE { GRAPH $g { $g pkg:sha256 ?sha } } LIMIT 1", g=sparql_params.iri(graph)
            ).text
        )
        return rows[0]["sha"].value if rows else None

    def _exists(self, graph: str) -> bool:
        return bool(self.query(_holds_triples(graph)))

    def documents(self):
        return document_summaries(self.query(DOCUMENTS_QUERY))

    def contains_graph(self, graph: str) -> bool:
        return bool(self.query(_holds_triples(graph)))

    def graphs(self) -> list[str]:
        return [r["g"].value for r in self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]

    def _get_graph(self, graph: str) -> bytes:
        resp = self._send(
            "GET", self.endpoints.gsp, params={"graph": checked_iri(graph)}, headers={"Accept": "application/n-triples"}
        )
        if resp.status_code == 404:
            return b""
        self._fail(resp, f"reading graph {graph}")
        return resp.content

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        for g in [graph] if graph else self.graphs():
            node = ox.NamedNode(g)
            for t in ox.parse(self._get_graph(g), format=ox.RdfFormat.N_TRIPLES):
                yield ox.Quad(t.subject, t.predicate, t.object, node)

    def dump(self, fmt: str, graph: str | None = None, output: str | Path | None = None) -> bytes:
        """An export, assembled graph by graph through the GSP (portable across servers); into
        the file ``output`` when given."""

        local = OxigraphStore(None)
        for g in [graph] if graph else self.graphs():
            data = self._get_graph(g)
            if data:
                local._store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
        return local.dump(fmt, graph, output)

    def count(self) -> int:
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value) if rows else 0

    # -- writing -----------------------------------------------------------
    def replace_graph(self, graph: str, quads: Sequence[ox.Quad], sha256: str | None = None):
        """Make ``graph`` hold exactly its quads and add the others (shared entities' own graphs)
        to their graphs, in one SPARQL Update request: all of it or nothing (see the module doc)."""

        self._writable()
        if not all(isinstance(q.graph_name, ox.NamedNode) for q in quads):
            raise StoreError(f"a quad for {graph} is outside any named graph")
        stored = self.graph_sha256(graph)
        if sha256 is not None and stored == sha256:
            return LoadResult(graph, len(quads), replaced=False, unchanged=True)
        existed = stored is not None or self._exists(graph)
        if self.endpoints.update_replace:
            self.update(replace_update(graph, quads))
        else:
            self._replace_by_gsp(graph, quads)
        return LoadResult(graph, len(quads), replaced=existed, unchanged=False)

    def _replace_by_gsp(self, graph: str, quads: Sequence[ox.Quad]) -> None:
        """Entity graphs first (idempotent additions), then the document's graph in one GSP PUT."""
        g = ox.NamedNode(graph)
        own = [q.triple for q in quads if q.graph_name == g]
        shared = [q for q in quads if q.graph_name != g]
        if shared:
            self.load(ox.serialize(shared, format=ox.RdfFormat.N_QUADS) or b"", "nquads")
        resp = self._send(
            "PUT",
            self.endpoints.gsp,
            params={"graph": checked_iri(graph)},
            content=ox.serialize(own, format=ox.RdfFormat.N_TRIPLES) if own else b"",
            headers={"Content-Type": "application/n-triples"},
        )
        self._fail(resp, f"replacing graph {graph}")

    def add_documents(self, docs: Sequence[NewDocument]) -> None:
        """New documents in one bulk upload (:meth:`load`), each one's seal after its other quads."""
        if docs:
            self.load(b"".join(doc.body + doc.seal for doc in docs), "nquads")

    def load(self, data: bytes, fmt: str = "nquads") -> None:
        """Bulk upload: add a serialized dataset (many graphs) in one request when the server allows it."""
        self._writable()
        if fmt not in {"nquads", "trig"}:
            raise StoreError(f"bulk load takes nquads or trig, not {fmt}")
        if self._dataset_post and self.endpoints.bulk is not None:
            resp = self._send("POST", self.endpoints.bulk, content=data, headers={"Content-Type": _UPLOAD_MEDIA[fmt]})
            if resp.is_success:
                return
            if resp.status_code not in {400, 404, 405, 406, 415, 501}:
                self._fail(resp, "bulk upload")
            self._dataset_post = False  # this server wants one graph per request
        by_graph: dict[str, list[ox.Triple]] = {}
        documents: set[str] = set()
        rdf_format = ox.RdfFormat.N_QUADS if fmt == "nquads" else ox.RdfFormat.TRIG
        for q in ox.parse(data, format=rdf_format):
            if not isinstance(q.graph_name, ox.NamedNode):
                raise StoreError("bulk upload: a quad in the default graph; every document lives in a named graph")
            by_graph.setdefault(q.graph_name.value, []).append(q.triple)
            if q.predicate == _SHA256:
                documents.add(q.graph_name.value)
        # Entity graphs first, documents (sha256 last in each) after: cut short, the upload leaves
        # no document that looks complete while what it says about its entities is missing.
        for g, triples in sorted(by_graph.items(), key=lambda item: item[0] in documents):
            resp = self._send(
                "POST",
                self.endpoints.gsp,
                params={"graph": g},
                content=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                headers={"Content-Type": "application/n-triples"},
            )
            self._fail(resp, f"uploading graph {g}")

    def remove_graph(self, graph: str) -> bool:
        """Drop one document's graph, the shared entity graphs no document uses any more, and
        the citation links to and from it."""
        from policykg.graph.citations import citations_graph, resolve_citations

        self._writable()
        if not self._exists(graph):
            return False
        self.update(removal_update(self, graph))
        resolve_citations(self, citations_graph(graph))
        return True

    def orphan_entity_graphs(self) -> list[str]:

        return orphan_entity_graphs(self)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._writable()
        if base_iri:
            sparql = sparql_params.sparql("BASE $base\n", base=sparql_params.iri(base_iri)).text + sparql
        resp = self._send("POST", self.endpoints.update, data={"update": self._prologue + sparql})
        self._fail(resp, "SPARQL update", query=True)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self._client.close()
