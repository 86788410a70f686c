"""The SPARQL 1.1 Protocol at ``/sparql`` (read-only), updates at ``/update`` and the
Graph Store HTTP Protocol at ``/graph-store`` (writes need the bearer token).

Body size caps and the refusal of compressed bodies are applied to every route by
:class:`policykg.api.app.BodyLimits` before a route reads a byte; here, parameters are
read strictly (UTF-8, well-formed percent-escapes) so a broken request is a 400 that
says what is wrong, never a silently mangled query.

Why one module: the three W3C protocols behind one endpoint (query, update, Graph Store)
read requests the same way (strict parameters and forms, media types, ``check_token`` for
writes) and answer through the same guard, runner and error envelope; each alone is too small
to stand apart, and docs/api.md describes them as one SPARQL endpoint.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import re
from collections import OrderedDict
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from policykg.api.conneg import RDF_TYPES, RESULT_TYPES, negotiate, prefers_html
from policykg.api.pools import sparql_thread
from policykg.errors import (
    AuthError,
    BadEncoding,
    NotAcceptable,
    QueryBusy,
    QueryError,
    QueryTooComplex,
    TooLarge,
    UnsupportedMediaType,
    WritesDisabled,
)
from policykg.graph import sparql_guard
from policykg.graph.sparql_params import iri
from policykg.graph.store import RDF_FORMATS
from policykg.ontology import PREFIXES

router = APIRouter()


FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
#: Queries up to this size are read by the guard on the event loop (about 30–120 µs, no more than
#: a hop to a thread costs); longer ones on a thread of the SPARQL pool, so that reading one never
#: holds up other requests for long.
INLINE_GUARD_BYTES = 1024


def _media(request: Request) -> tuple[str, dict[str, str]]:
    raw = request.headers.get("content-type", "")
    parts = [p.strip() for p in raw.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].lower(), params


def utf8_text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadEncoding(
            f"the {what} is not UTF-8: byte 0x{data[exc.start]:02X} at offset {exc.start} cannot be decoded",
            hint="send SPARQL as UTF-8 (GBK or GB18030 text must be converted first)",
        ) from None


_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def parse_form(data: bytes, what: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` pairs, strictly: bytes that are not UTF-8, a ``%`` without two hex digits or
    escapes that do not spell UTF-8 are a 400, where ``urllib`` would keep the ``%`` or put U+FFFD
    in the query."""
    raw = utf8_text(data, what)
    broken = _BROKEN_ESCAPE.search(raw)
    if broken:
        raise BadEncoding(
            f"the {what} has a broken percent-escape {raw[broken.start() : broken.start() + 3]!r} "
            f"at offset {broken.start()}",
            hint="a literal % is written %25",
        )
    try:
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadEncoding(
            f"the percent-escapes in the {what} do not decode as UTF-8",
            hint="percent-encode the UTF-8 bytes of the text",
        ) from None


async def protocol_params(request: Request, operation: str) -> dict[str, list[str]]:
    """All protocol parameters of a request: the URL's, plus a form body's, plus a direct body."""
    params: dict[str, list[str]] = {}
    for k, v in parse_form(request.scope.get("query_string", b""), "URL's query string"):
        params.setdefault(k, []).append(v)
    if request.method == "GET":
        return params
    media, mparams = _media(request)
    direct = QUERY_TYPE if operation == "query" else UPDATE_TYPE
    charset = mparams.get("charset")
    if media == FORM:
        for k, v in parse_form(await request.body(), "form body"):
            params.setdefault(k, []).append(v)
    elif media == direct:
        if charset and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"{direct} must be sent as UTF-8, not {charset}")
        text = utf8_text(await request.body(), "request body")
        if operation in params:
            raise QueryError(f"a direct POST carries the {operation} in its body, not also in the URL")
        params[operation] = [text]
    elif not media:
        raise UnsupportedMediaType(f"a POST needs a Content-Type: {FORM} or {direct}")
    else:
        raise UnsupportedMediaType(f"unsupported request media type {media!r}; use {FORM} or {direct}")
    return params


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise QueryError(f"give exactly one {name} parameter, not {len(values)}")
    return values[0] if values else None


#: The server's base URL for each way of reaching it (scheme, Host header, address, root path):
#: working it out costs a URL parse per request. At most :data:`BASES_KEPT`, since the Host
#: header is the client's to choose.
_bases: dict[tuple, str] = {}
BASES_KEPT = 64


def endpoint_url(request: Request, path: str = "sparql") -> str:
    scope = request.scope
    server = scope.get("server")
    key = (
        scope.get("scheme"),
        request.headers.get("host"),
        tuple(server) if server else None,  # a list under some servers and test clients
        scope.get("app_root_path", scope.get("root_path", "")),
    )
    base = _bases.get(key)
    if base is None:
        base = str(request.base_url).rstrip("/")
        if len(_bases) < BASES_KEPT:
            _bases[key] = base
    return base + "/" + path


# -- queries ---------------------------------------------------------------------------


async def run_query(request: Request, query: str, params: dict[str, list[str]]) -> Response:
    app = request.app
    store = app.state.store
    cap = app.state.settings.max_query_bytes
    size = len(query.encode("utf-8"))
    if size > cap:
        raise TooLarge(
            f"the query is {size} bytes; this endpoint reads queries up to {cap} bytes",
            hint="move long VALUES lists into the store, or ask the operator for a larger max_query_bytes",
        )
    base = endpoint_url(request)
    # Reading a query costs a few µs a token: a short query is read right here (a thread hop costs
    # more than reading it), a long one off the event loop, so other requests go on meanwhile.
    # What runs is the guard's canonical text (info.text), never the client's: one reading.
    # (Behind a remote store the guard's graph check is a request: never on the event loop.)
    if size <= INLINE_GUARD_BYTES and app.state.query_slots is not None:
        info = _read_query(query, base)
        sparql_guard.check_query(info, graph_exists=store.contains_graph)
    else:
        info = await sparql_thread(
            sparql_guard.guard_query, query, graph_exists=store.contains_graph, default_prefixes=PREFIXES, base_iri=base
        )
    chosen = _result_type(request.headers.get("accept"), info.form)
    if chosen is None:
        raise NotAcceptable(
            "none of the Accept media types fits a " + (info.form or "query") + " result",
            hint="offered: " + ", ".join(m for m, _ in _offers(info.form)),
        )
    media, fmt = chosen
    default_graphs = [g for g in params.get("default-graph-uri", []) if g]
    named_graphs = [g for g in params.get("named-graph-uri", []) if g]
    for g in default_graphs + named_graphs:
        # A malformed IRI is a 400, not a worker error. An IRI of no graph here selects an empty
        # graph (the W3C protocol tests expect 2xx for that); it is never fetched.
        iri(g)
    runner = app.state.runner
    slots = await take_query_slot(app)
    try:
        reply = await runner.run_async(
            info.text,
            fmt=fmt,
            to_thread=sparql_thread,
            default_graphs=default_graphs,
            named_graphs=named_graphs,
            base_iri=base,
            query_dataset=bool(info.from_graphs or info.from_named),
            limit=info.limit if info.form == "SELECT" else None,
            limit_slot=info.limit_slot,
        )
    finally:
        if slots is not None:
            slots.release()
    headers = {"Vary": "Accept", "X-PolicyKG-Rows": str(reply["rows"])}
    if reply["truncated"]:
        headers["X-PolicyKG-Truncated"] = "true"
        headers["X-PolicyKG-Max-Rows"] = str(runner.max_rows)
    ctype = media if not media.startswith("text/") else media + "; charset=utf-8"
    return Response(reply["body"], media_type=ctype, headers=headers)


def _offers(form: str | None) -> list[tuple[str, str]]:
    """The (media type, format) pairs a result of this query form is offered in."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return RDF_TYPES
    return [o for o in RESULT_TYPES if form != "ASK" or o[1] in ("json", "xml")]


#: What :func:`_result_type` chose for each Accept header and query form met: at most
#: :data:`ACCEPTS_KEPT`, since the header is the client's to choose.
_accepts: dict[tuple[str | None, str | None], tuple[str, str] | None] = {}
ACCEPTS_KEPT = 256


def _result_type(accept: str | None, form: str | None) -> tuple[str, str] | None:
    """The negotiated (media type, format) of a result, None when nothing offered fits."""
    key = (accept, form)
    if key in _accepts:
        return _accepts[key]
    chosen = negotiate(accept, _offers(form))
    if len(_accepts) < ACCEPTS_KEPT:
        _accepts[key] = chosen
    return chosen


#: How many short queries' readings :func:`_read_query` keeps.
READINGS_KEPT = 256
_readings: OrderedDict[tuple[str, str], sparql_guard.Inspection] = OrderedDict()


def _read_query(query: str, base: str) -> sparql_guard.Inspection:
    """The guard's reading of a short query (:func:`policykg.graph.sparql_guard.inspect`), kept for
    the :data:`READINGS_KEPT` texts read last: pages, dashboards and scripts send the same queries
    again and again, and reading one costs more than the rest of the request's own work. A reading
    depends only on the text, the endpoint's fixed prefixes and the base IRI, which make the key;
    the checks that ask the store (FROM graphs) run on every request all the same. Called on the
    event loop only, so the cache needs no lock."""
    key = (query, base)
    info = _readings.get(key)
    if info is not None:
        _readings.move_to_end(key)
        return info
    info = sparql_guard.inspect(query, PREFIXES, base_iri=base)
    # The tokens serve updates (USING clauses, WHERE patterns), not queries: not kept.
    _readings[key] = dataclasses.replace(info, tokens=[])
    if len(_readings) > READINGS_KEPT:
        _readings.popitem(last=False)
    return info


async def take_query_slot(app) -> asyncio.Semaphore | None:
    """Take one of ``query_workers`` slots for a query, to be released (``.release()`` on what
    this returns) when it has run; wait for one at most ``query_queue_wait`` seconds, then 503
    ``server_busy`` with Retry-After. None behind a remote store: its server queues.

    A query waiting for a worker inside the runner would hold a thread of the pool that the JSON
    API, the pages and the network view share (40 threads): forty runaway queries made every
    ``/api`` request wait up to ``query_timeout``. Waiting here costs a coroutine, not a thread.
    """
    slots: asyncio.Semaphore | None = app.state.query_slots
    if slots is None:
        return None
    runner = app.state.runner
    try:
        if slots.locked():
            await asyncio.wait_for(slots.acquire(), runner.queue_wait)
        else:
            await slots.acquire()  # a slot is free: taken at once, no timer needed
    except TimeoutError:
        raise QueryBusy(
            f"the server is busy: every query worker stayed busy for {runner.queue_wait:g} s",
            retry_after=runner.retry_after(),
            hint="try again after Retry-After seconds",
        ) from None
    return slots


@router.get(
    "/sparql",
    tags=["sparql"],
    operation_id="sparql_get",
    summary="SPARQL 1.1 Protocol query by GET, or the Service Description without a query",
)
@router.post(
    "/sparql",
    tags=["sparql"],
    operation_id="sparql_post",
    summary="SPARQL 1.1 Protocol query by form POST or direct POST (read-only)",
)
async def sparql(request: Request) -> Response:
    """Query by GET (`?query=`), form POST or direct POST (`application/sparql-query`).

    `default-graph-uri` / `named-graph-uri` select graphs of the store; other
    parameters are ignored. Without a query, GET returns the Service Description.
    Results are negotiated by `Accept`; a result cut at the row cap carries
    `X-PolicyKG-Truncated: true`.
    """
    media, _ = _media(request)
    if request.method == "POST" and media in (UPDATE_TYPE,):
        return await _update_via_query_endpoint(request)
    params = await protocol_params(request, "query")
    if "update" in params:
        if "query" in params:
            raise QueryError("a request carries either a query or an update, not both")
        if request.method == "GET":
            raise QueryError("an update must be POSTed: GET never changes the store")
        return await _update_via_query_endpoint(request, params)
    query = _one(params, "query")
    if query is None:
        if request.method == "POST":
            raise QueryError("no query given: send query=… or a body of type application/sparql-query")
        return service_description(request)
    return await run_query(request, query, params)


async def _update_via_query_endpoint(request: Request, params: dict[str, list[str]] | None = None) -> Response:
    check_token(request)  # the public endpoint is read-only; a valid token may still update here
    if params is None:
        params = await protocol_params(request, "update")
    return await run_update(request, params)


# -- service description ------------------------------------------------------------------

_FORMATS = {
    "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
    "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
    "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
    "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
    "turtle": "http://www.w3.org/ns/formats/Turtle",
    "ntriples": "http://www.w3.org/ns/formats/N-Triples",
    "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
    "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
}


def service_description_turtle(request: Request) -> str:
    settings = request.app.state.settings
    url = endpoint_url(request)
    formats = " , ".join(f"<{v}>" for v in _FORMATS.values())
    lines = [
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"<{url}> a sd:Service ;",
        f"  sd:endpoint <{url}> ;",
        "  sd:supportedLanguage sd:SPARQL11Query ;",
        # The default graph is the union of the document graphs: really enabled, so listed.
        # sd:BasicFederatedQuery (SERVICE) and sd:DereferencesURIs are NOT enabled and not listed.
        "  sd:feature sd:UnionDefaultGraph ;",
        f"  sd:resultFormat {formats} ;",
        '  dcterms:title "policykg SPARQL endpoint (read-only)" ;',
        f'  dcterms:description "Read-only. Queries stop after {settings.query_timeout:g} s; at most '
        f"{settings.max_rows} results are returned (then X-PolicyKG-Truncated: true). SERVICE, LOAD and FROM "
        f'with graphs outside the store are refused." ;',
        "  sd:defaultDataset [ a sd:Dataset ;",
        "      sd:defaultGraph [ a sd:Graph ] ] .",
    ]
    return "\n".join(lines) + "\n"


SD_OFFERS = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/x-turtle", "turtle"),
    ("text/plain", "ntriples"),
    ("application/xml", "rdfxml"),
    ("application/json", "jsonld"),
]


def service_description(request: Request) -> Response:
    accept = request.headers.get("accept")
    if prefers_html(accept, SD_OFFERS):
        return RedirectResponse("/query", status_code=303)
    chosen = negotiate(accept, SD_OFFERS)
    if chosen is None:
        raise NotAcceptable("the service description is offered as Turtle, N-Triples, JSON-LD or RDF/XML")
    media, fmt = chosen
    ttl = service_description_turtle(request)
    if fmt == "turtle":
        body = ttl.encode()
    else:
        triples = list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))
        body = ox.serialize(triples, format=RDF_FORMATS[fmt]) or b""
    ctype = media if not media.startswith("text/") else media + "; charset=utf-8"
    return Response(body, media_type=ctype, headers={"Vary": "Accept"})


# -- updates (token) -----------------------------------------------------------------------

#: Query parameters people put tokens in. Never read as credentials (URLs end up in logs,
#: browser history and Referer headers); seeing one only changes the hint.
TOKEN_PARAMS = ("token", "access_token", "write_token", "auth", "authorization", "key", "api_key")


def check_token(request: Request) -> None:
    """The one place a write is let in: ``Authorization: Bearer <write_token>``, compared in
    constant time. Without a configured token every write is refused (403)."""
    token = request.app.state.settings.write_token
    if not token:
        raise WritesDisabled(
            "writes are disabled on this server (it was started without a write token)",
            hint="the operator enables them with POLICYKG_WRITE_TOKEN",
        )
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    # Compare digests, not the strings: equal lengths, so the time taken says nothing about
    # the token's length either.
    if not given or not hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(token.encode()).digest()
    ):
        in_url = any(k.lower() in TOKEN_PARAMS for k in request.query_params)
        raise AuthError(
            "a valid bearer token is required to change the store",
            hint="send Authorization: Bearer <token>"
            + ("; a token in the URL is never accepted (URLs are logged)" if in_url else ""),
        )


async def run_update(request: Request, params: dict[str, list[str]]) -> Response:
    app = request.app
    if "query" in params:
        raise QueryError("a request carries either a query or an update, not both")
    text = _one(params, "update")
    if text is None:
        raise QueryError("no update given: send update=… or a body of type application/sparql-update")
    info = await sparql_thread(
        sparql_guard.guard_update, text, default_prefixes=PREFIXES, base_iri=endpoint_url(request)
    )
    using = [g for g in params.get("using-graph-uri", []) if g]
    using_named = [g for g in params.get("using-named-graph-uri", []) if g]
    for g in using + using_named:
        iri(g)
    # The guard's canonical text (with the protocol's USING clauses), never the client's: one reading.
    text = sparql_guard.add_using(info, using, using_named)
    # Updates run in this process, which a parser stack overflow would kill: try it in a worker first.
    await sparql_thread(
        app.state.runner.check_update, text, sparql_guard.where_patterns(info), base_iri=endpoint_url(request)
    )
    store = app.state.store
    try:
        await sparql_thread(store.update, text, base_iri=endpoint_url(request))
    finally:
        app.state.runner.mark_dirty()
    return Response(status_code=204)


@router.post("/update", tags=["sparql"], summary="SPARQL 1.1 Update (needs the bearer token)", status_code=204)
async def update(request: Request) -> Response:
    """Form POST (`update=`) or direct POST (`application/sparql-update`), with
    `using-graph-uri` / `using-named-graph-uri`. `Authorization: Bearer <token>` is required."""
    check_token(request)
    params = await protocol_params(request, "update")
    return await run_update(request, params)


# -- Graph Store HTTP Protocol --------------------------------------------------------------

_PARSE_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def _target_graph(request: Request) -> str | None:
    q = request.query_params
    graphs = q.getlist("graph")
    if len(graphs) > 1 or (graphs and "default" in q):
        raise QueryError("give either ?graph=<iri> or ?default")
    if graphs:
        iri(graphs[0])
        return graphs[0]
    if "default" in q:
        return None
    raise QueryError("the Graph Store Protocol needs ?graph=<iri> or ?default")


@router.get("/graph-store", tags=["sparql"], summary="Graph Store Protocol: read a graph (?graph=<iri> or ?default)")
@router.head("/graph-store", tags=["sparql"], operation_id="graph_store_head", include_in_schema=False)
async def graph_store_get(request: Request) -> Response:
    graph = _target_graph(request)
    store = request.app.state.store
    chosen = negotiate(request.headers.get("accept"), RDF_TYPES)
    if chosen is None:
        raise NotAcceptable("graphs are offered as Turtle, N-Triples, JSON-LD or RDF/XML")
    media, fmt = chosen
    if graph is None:
        # The whole store at once is an export, not a public read: 42 anonymous requests for it
        # on a 520 k-quad store got the server killed for memory.
        try:
            check_token(request)
        except (AuthError, WritesDisabled):
            raise AuthError(
                "reading the whole store at once (?default) needs the bearer token",
                hint="read one document with ?graph=<its IRI> (see /api/documents), query /sparql "
                "with LIMIT, or export with `policykg export`",
            ) from None
    elif not store.contains_graph(graph):
        from policykg.errors import NotFoundError

        raise NotFoundError(f"no graph {graph}")
    ctype = media if not media.startswith("text/") else media + "; charset=utf-8"
    if request.method == "HEAD":
        return Response(b"", media_type=ctype)
    return await _dump_response(request, store, fmt, graph, ctype)


async def _dump_response(request: Request, store, fmt: str, graph: str | None, ctype: str) -> Response:
    """A graph (or the whole store) written to a temporary file and streamed from it: the
    server never holds a whole dump in memory, and one whole-store dump runs at a time."""
    import os
    import tempfile

    from starlette.background import BackgroundTask
    from starlette.responses import FileResponse

    state = request.app.state
    lock = getattr(state, "whole_dump_lock", None)
    if lock is None:  # made on the event loop's thread: no race
        lock = state.whole_dump_lock = asyncio.Lock()
    if graph is None and lock.locked():
        raise QueryBusy(
            "another export of the whole store is under way", retry_after=10, hint="try again when it has finished"
        )
    fd, path = tempfile.mkstemp(prefix="policykg-dump-")
    os.close(fd)
    try:
        if graph is None:
            async with lock:
                await sparql_thread(store.dump, fmt, None, path)
        else:
            await sparql_thread(store.dump, fmt, graph, path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(path, media_type=ctype, background=BackgroundTask(os.unlink, path))


@router.put(
    "/graph-store",
    tags=["sparql"],
    operation_id="graph_store_put",
    summary="Graph Store Protocol: replace a named graph (token)",
)
@router.post(
    "/graph-store",
    tags=["sparql"],
    operation_id="graph_store_post",
    summary="Graph Store Protocol: add to a named graph (token)",
)
@router.delete(
    "/graph-store",
    tags=["sparql"],
    operation_id="graph_store_delete",
    summary="Graph Store Protocol: delete a named graph (token)",
)
async def graph_store_write(request: Request) -> Response:
    check_token(request)
    graph = _target_graph(request)
    if graph is None:
        raise QueryError("writes must name a graph (?graph=<iri>): the default graph is the union of documents")
    store = request.app.state.store
    runner = request.app.state.runner
    if request.method == "DELETE":
        removed = await sparql_thread(store.remove_graph, graph)
        runner.mark_dirty()
        if not removed:
            from policykg.errors import NotFoundError

            raise NotFoundError(f"no graph {graph}")
        return Response(status_code=204)
    media, _ = _media(request)
    fmt = _PARSE_FORMATS.get(media)
    if fmt is None:
        raise UnsupportedMediaType(
            f"cannot read {media or 'a body without Content-Type'}; use one of {', '.join(_PARSE_FORMATS)}"
        )
    body = await request.body()

    # Parsed in an upload worker under upload_timeout: nested RDF/XML took 28 s in this process.
    new = await sparql_thread(request.app.state.extractor.parse_graph, body, media, graph)

    def write() -> bool:
        nonlocal new
        existed = store.contains_graph(graph)
        if request.method == "POST" and existed:
            new = list(store.quads(graph)) + new
        store.replace_graph(graph, new)
        return existed

    try:
        existed = await sparql_thread(write)
    finally:
        runner.mark_dirty()
    return Response(status_code=204 if existed else 201)


_JSON_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def parse_graph(body: bytes, media: str, graph: str) -> list[ox.Quad]:
    """The triples of a Graph Store body of type ``media``, as quads in ``graph``; 400 for what
    cannot be parsed or what would hurt the parser. Runs in an upload worker (api.uploads)."""
    fmt = _PARSE_FORMATS[media]
    if fmt == ox.RdfFormat.RDF_XML and b"<!ENTITY" in body:
        # Entities nest: 600 bytes of declarations expand to gigabytes (the "billion laughs").
        raise QueryError(
            "RDF/XML with entity declarations (<!ENTITY …>) is not accepted",
            hint="expand the entities, or send Turtle or N-Triples",
        )
    if fmt == ox.RdfFormat.JSON_LD:
        _refuse_deep_json(body)
    g = ox.NamedNode(graph)
    try:
        return [
            ox.Quad(t.subject, t.predicate, t.object, g)
            for t in ox.parse(body, format=fmt, base_iri=graph, without_named_graphs=True)
        ]
    except (SyntaxError, ValueError) as exc:
        raise QueryError(f"cannot parse the graph: {exc}") from None


def _refuse_deep_json(body: bytes) -> None:
    """The JSON-LD parser recurses per nested object and overflows the stack a few thousand
    levels down (a crash, not an error): refuse past the guard's nesting limit."""
    depth = 0
    for m in _JSON_NESTING.finditer(body):
        c = m.group(0)
        if c in (b"{", b"["):
            depth += 1
            if depth > sparql_guard.MAX_NESTING:
                raise QueryTooComplex(f"the JSON-LD is nested more than {sparql_guard.MAX_NESTING} levels deep")
        elif c in (b"}", b"]"):
            depth -= 1
