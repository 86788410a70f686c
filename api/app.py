"""The FastAPI application: SPARQL protocol, JSON API, pages — one JSON error envelope.

``create_app(settings)`` opens the store read-write (the server owns it), starts the
query workers (see :mod:`policykg.graph.query_runner`), prepares the upload worker (see
:class:`policykg.graph.uploads.UploadExtractor`) and mounts:

* ``/sparql`` (SPARQL 1.1 Protocol, read-only), ``/update`` and ``/graph-store`` (token);
* ``/api/...`` (typed JSON, OpenAPI at ``/openapi.json``, reference at ``/api/docs``)
  and ``POST /documents`` (upload, token);
* ``/`` , ``/query``, ``/search`` and ``/id/...`` (HTML pages; RDF by Accept or suffix);
* the network view's routes from ``policykg.viz.routes`` when that module exists.

Three layers guard every route: :class:`BodyLimits` caps request bodies and refuses
compressed ones before any route reads a byte, :class:`SecurityHeaders` puts ``nosniff`` and
a strict Content-Security-Policy on every response that sets none, and :class:`SecretFilter`
keeps the write token (and any credential) out of the logs. :class:`HeadAsGet` answers ``HEAD``
wherever ``GET`` is answered, and a 405 names in ``Allow`` every method the path takes.
Below them all, :class:`SparqlLane` takes ``GET`` and ``POST /sparql`` to its handler past the router.
``from_environment`` builds the app from ``POLICYKG_*`` variables for ``uvicorn --factory`` and other ASGI servers.

Why one module: it is the app's outer shell. Every layer that stands before the routes
(bodies, query strings, headers, errors answered below the routes, methods, logs) and
``create_app``, which stacks them in the order that makes them hold, answer with the one error
envelope (``error_body``); reading what reaches a route means reading them together. The routes
themselves live in ``rest.py``, ``sparql.py``, ``pages.py`` and ``uploads.py``.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import re
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from policykg import __version__
from policykg.errors import BadEncoding, PolicyKGError, QueryBusy, TooLarge, UnsupportedMediaType
from policykg.graph.iris import IriScheme
from policykg.graph.query_runner import make_runner
from policykg.graph.store import open_store
from policykg.ontology import PREFIXES
from policykg.settings import Settings, load_settings

log = logging.getLogger("policykg.api")
STATIC = Path(__file__).parent / "static"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_parameters",
    500: "internal_error",
}


def error_body(status: int, code: str, message: str, hint: str | None = None) -> dict:
    err = {"code": code, "message": message, "status": status}
    if hint:
        err["hint"] = hint
    return {"error": err}


# -- request bodies ---------------------------------------------------------------------------

#: Room for the multipart envelope (boundaries, part headers) around an upload of max_upload_bytes.
MULTIPART_SLACK = 64 * 1024


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if path == "/documents":
        return settings.max_upload_bytes + MULTIPART_SLACK
    if path == "/graph-store":
        return settings.max_upload_bytes
    return settings.max_request_bytes


class BodyLimits:
    """Cap every request body, and refuse compressed ones, before any route reads a byte.

    Routes read bodies in several ways (``request.body()``, Starlette's form parser), so the cap
    lives under all of them where no route can forget it. A declared ``Content-Length`` over
    the cap is answered at once without reading the body; a chunked body is counted as it
    streams and stopped at the cap. Either way: 413. ``Content-Encoding`` (gzip, deflate, br)
    is refused with 415 rather than inflated: no decompression, so no decompression bomb.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            await _answer(
                UnsupportedMediaType(
                    f"Content-Encoding {encoding!r} is not accepted", hint="send the body uncompressed"
                ),
                scope,
                receive,
                send,
            )
            return
        limit = body_limit(self.settings, scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _answer(_too_large(limit), scope, receive, send)
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)  # the route's handler turns it into the 413 envelope
            return message

        await self.app(scope, capped, send)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"the request body is larger than {limit} bytes, the cap for this route",
        hint="see max_request_bytes and max_upload_bytes in docs/settings.md",
    )


def error_response(exc: PolicyKGError) -> JSONResponse:
    """The JSON error envelope for ``exc``, with the headers its status calls for."""
    headers = {"WWW-Authenticate": 'Bearer realm="policykg"'} if exc.http_status == 401 else {}
    if isinstance(exc, QueryBusy) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(
        error_body(exc.http_status, exc.code, exc.message, exc.hint), status_code=exc.http_status, headers=headers
    )


async def _answer(exc: PolicyKGError, scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(exc)(scope, receive, send)


# -- the SPARQL endpoint's own lane ----------------------------------------------------------------


class SparqlLane:
    """``GET`` and ``POST /sparql`` go straight to their handler, past the router.

    Every layer above it still applies (body caps, the strict URL, CORS, JSON errors, HEAD, the
    security headers): it is the innermost. What the lane skips is the framework's per-route
    machinery (exception middleware, exit stack, route matching, dependency solving), which cost
    a quarter of the server's CPU for a light query. The handler's errors are answered as the
    exception handlers answer them: a :class:`PolicyKGError` with its envelope here, anything
    else rises to the app's last-resort handler as before. The routes stay registered: the
    OpenAPI description lists them, and an app mounted under a root path is served through them.
    """

    def __init__(self, app: ASGIApp) -> None:
        from policykg.api.sparql import sparql

        self.app = app
        self.handler = sparql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/sparql"
            or scope["method"] not in ("GET", "POST")
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        try:
            response = await self.handler(Request(scope, receive, send))
        except PolicyKGError as exc:
            response = error_response(exc)
        await response(scope, receive, send)


# -- query strings ------------------------------------------------------------------------------


class StrictQueryString:
    """Refuse a URL whose path or query string is not well-formed percent-encoded UTF-8: 400
    ``bad_encoding``.

    Starlette decodes ``?q=%FF`` to U+FFFD and keeps a stray ``%`` (uvicorn does the same to a
    path: ``/id/%FF``), so a JSON API search or a page would silently answer a question nobody
    asked. ``/sparql`` always read its parameters strictly (:func:`policykg.api.sparql.parse_form`);
    this applies the same rule to every route, and to the path (:func:`strict_path`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("query_string", b"") if scope["type"] == "http" else b""
        try:
            if scope["type"] == "http":
                strict_path(scope.get("raw_path") or b"")
            if raw:
                from policykg.api.sparql import parse_form

                parse_form(raw, "URL's query string")
        except PolicyKGError as exc:
            await _answer(exc, scope, receive, send)
            return
        await self.app(scope, receive, send)


_PATH_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def strict_path(raw_path: bytes) -> None:
    """The URL's path as the query string is read: a broken percent-escape or escapes that do not
    spell UTF-8 are 400 ``bad_encoding`` (uvicorn decodes ``/id/%FF`` to U+FFFD, and a page for
    an IRI nobody asked about, or a 404 naming it, is the answer to a question nobody asked)."""
    if b"%" not in raw_path:
        return
    broken = _PATH_ESCAPE.search(raw_path)
    if broken:
        escape = raw_path[broken.start() : broken.start() + 3].decode("latin-1")
        raise BadEncoding(
            f"the URL's path has a broken percent-escape {escape!r} at offset {broken.start()}",
            hint="a literal % is written %25",
        )
    try:
        unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise BadEncoding(
            "the percent-escapes in the URL's path do not decode as UTF-8",
            hint="percent-encode the UTF-8 bytes of the text",
        ) from None


# -- response headers ---------------------------------------------------------------------------

#: What every response carries unless it sets its own: no MIME sniffing (a JSON error that
#: echoes ``<script>`` is never read as HTML), and a policy under which a body a browser shows
#: anyway (JSON, an error, a static file, SPARQL results) may load, run or be framed by nothing.
#: HTML pages set their own, looser policy (``policykg.api.pages.SECURITY_HEADERS``).
DEFAULT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
_DEFAULT_RAW = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in DEFAULT_HEADERS.items()]


class SecurityHeaders:
    """Add :data:`DEFAULT_HEADERS` to every response that lacks them, whatever answered it
    (a route, an error handler, :class:`BodyLimits`, CORS, ``/static``). Pure ASGI: it touches
    only the ``http.response.start`` message, so streaming bodies pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _DEFAULT_RAW if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- errors answered below the routes -----------------------------------------------------------

#: The most bytes of a plain-text error kept as the envelope's message.
_PLAIN_ERROR_BYTES = 2000


class JsonErrors:
    """Turn a plain-text error (status 400 and up) into the JSON envelope, whoever wrote it.

    The exception handlers cover what a route raises; a few answers never pass through them:
    Starlette's ``FileResponse`` answers a bad ``Range`` on ``/static`` with a plain-text 400 or
    416 by itself. Here every ``text/plain`` error becomes ``{"error": {...}}`` with its text as
    the message and its other headers (``Content-Range``) kept. HTML error pages (a browser's 404
    under ``/id/``) are left alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        text = bytearray()

        async def send_json(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                ctype = Headers(raw=list(message.get("headers", []))).get("content-type", "")
                if message["status"] >= 400 and ctype.startswith("text/plain"):
                    held = message
                    return
            elif held is not None and message["type"] == "http.response.body":
                text.extend(message.get("body", b"")[: _PLAIN_ERROR_BYTES - len(text)])
                if message.get("more_body", False):
                    return
                status = held["status"]
                reason = text.decode("utf-8", "replace").strip() or HTTPStatus(status).phrase
                body = JSONResponse(error_body(status, _HTTP_CODES.get(status, "error"), reason)).body
                headers = [
                    (k, v) for k, v in held.get("headers", []) if k.lower() not in (b"content-type", b"content-length")
                ]
                headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({**held, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, send_json)


# -- methods ------------------------------------------------------------------------------------


class HeadAsGet:
    """Answer ``HEAD`` wherever ``GET`` is answered, with the same status and headers and no body.

    HTTP requires it of every server (RFC 9110 §9.1), and link checkers and ``curl -I`` send it;
    FastAPI routes a ``HEAD`` nowhere, so every page and API route answered 405. The request goes
    on as a ``GET`` and the body is dropped here, whatever the ASGI server below does about it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


def allowed_methods(app: FastAPI, scope: Scope) -> str:
    """Every method some route of ``scope``'s path answers (and HEAD with GET, see :class:`HeadAsGet`).

    Starlette's 405 names only the methods of the first route whose path matched, and one path is
    often several routes (``/sparql`` GET and POST, ``/graph-store`` HEAD, GET, PUT, POST, DELETE):
    its ``Allow: POST`` told a client that GET /sparql does not exist."""
    from starlette.routing import Match, Mount

    routes = [r for r in app.router.routes if not isinstance(r, Mount)]  # /static answers its own 405
    methods = {m for m in _METHODS if any(r.matches({**scope, "method": m})[0] == Match.FULL for r in routes)}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


# -- logs ----------------------------------------------------------------------------------------

_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s'\",]+")


def _hex_byte(byte: int, prefix: str) -> str:
    """A regex for one byte written as ``prefix`` and two hex digits, in either case."""
    return re.escape(prefix) + "".join(c if c.isdigit() else f"[{c.upper()}{c.lower()}]" for c in f"{byte:02x}")


def secret_pattern(secret: str) -> re.Pattern[str]:
    """The secret in every form a URL or a logged value can show it in: raw, percent-encoded
    (any character or all of them, either case of hex: ``quote``, ``quote_plus``, a browser's
    form), percent-encoded twice (``%252B``), a space as ``+``, and non-ASCII bytes as ``\\xNN``
    (a logged bytes repr). A token with ``+ / =`` sent as ``?whatever=a%2Bb%2Fc%3Dd`` is a
    different string from the token, so replacing the raw string alone let it into the log."""
    parts = []
    for ch in secret:
        data = ch.encode("utf-8")
        forms = [re.escape(ch), "".join(_hex_byte(b, "%") for b in data), "".join(_hex_byte(b, "%25") for b in data)]
        if ch == " ":
            forms.append(r"\+")
        if len(data) > 1:
            forms.append("".join(_hex_byte(b, "\\x") for b in data))
        parts.append("(?:" + "|".join(forms) + ")")
    return re.compile("".join(parts))


class SecretFilter(logging.Filter):
    """Take secrets out of log records: the write token wherever it appears and however it is
    encoded (:func:`secret_pattern`: redaction by value, whatever the parameter is called), any
    ``Bearer`` or ``Basic`` credential, and the values of token-like URL parameters (uvicorn's
    access log prints the whole URL; a token pasted there must not land in the log too)."""

    def __init__(self) -> None:
        super().__init__("policykg-secrets")
        self.secrets: dict[str, re.Pattern[str]] = {}
        from policykg.api.sparql import TOKEN_PARAMS

        # A name not glued to a word before it: "?token=", "&key=", and "b'token=" in a logged scope.
        self._in_url = re.compile(r"(?i)(?<![\w-])((?:" + "|".join(map(re.escape, TOKEN_PARAMS)) + r")=)[^&\s'\"]*")

    def scrub(self, text: str) -> str:
        for pattern in self.secrets.values():
            text = pattern.sub("***", text)
        return self._in_url.sub(r"\1***", _CREDENTIAL.sub(r"\1\2***", text))

    def _scrub_arg(self, arg: object) -> object:
        """Numbers stay numbers (``%d``); anything else is logged as its ``str``, so scrub that
        (uvicorn's trace level logs whole ASGI scopes, headers and query string included)."""
        if arg is None or isinstance(arg, (int, float)):
            return arg
        return self.scrub(str(arg))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.scrub(record.msg)
        if isinstance(record.args, tuple):  # uvicorn's access formatter unpacks the args: keep the shape
            record.args = tuple(self._scrub_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._scrub_arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
        return True


#: The loggers that can see a request line, a header or an error message. A filter on a logger
#: object survives uvicorn's logging setup (which replaces handlers), whatever runs first.
SCRUBBED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "policykg", "policykg.api")
_secret_filter: SecretFilter | None = None


def scrub_logs(token: str | None) -> SecretFilter:
    """Attach the one :class:`SecretFilter` to :data:`SCRUBBED_LOGGERS` and teach it ``token``."""
    global _secret_filter
    if _secret_filter is None:
        _secret_filter = SecretFilter()
        for name in SCRUBBED_LOGGERS:
            logging.getLogger(name).addFilter(_secret_filter)
    if token and token not in _secret_filter.secrets:
        _secret_filter.secrets[token] = secret_pattern(token)
    return _secret_filter


def _viz_router():
    try:
        if importlib.util.find_spec("policykg.viz.routes") is None:
            return None
    except (ImportError, ValueError):
        return None
    return importlib.import_module("policykg.viz.routes").router


def create_app(settings: Settings, *, store=None, workers: int | None = None) -> FastAPI:
    """The application over ``settings.store`` (or an already open ``store``)."""
    scrub_logs(settings.write_token)
    IriScheme(settings.base_iri)  # a base that makes no IRIs is refused at start-up, not per request
    store = store if store is not None else open_store(settings.store)
    runner = make_runner(
        store,
        workers=workers or settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        snapshot_dir=settings.snapshot_dir or None,
        prefixes=PREFIXES,
        queue_wait=settings.query_queue_wait,
        max_bytes=settings.max_reply_bytes,
        memory=settings.query_memory,
        allow_unisolated=settings.allow_unisolated_workers,
    )

    from policykg.api.uploads import upload_job
    from policykg.graph.uploads import UploadExtractor

    extractor = UploadExtractor(settings.upload_timeout, upload_job)  # its worker starts with the first upload

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            runner.close()
            extractor.close()

    app = FastAPI(
        title="policykg",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="SPARQL 1.1 Protocol, a typed JSON API and pages over a knowledge graph of Chinese "
        "policy documents. Errors always come as one JSON envelope: "
        '`{"error": {"code", "message", "status", "hint"?}}`.',
    )
    app.state.store = store
    app.state.settings = settings
    app.state.runner = runner
    # Public queries waiting for a worker wait here, on the event loop, not in a thread of the
    # pool the JSON API and the pages share (see policykg.api.sparql.take_query_slot).
    app.state.query_slots = asyncio.Semaphore(runner.size) if runner.size else None
    app.state.extractor = extractor

    @app.exception_handler(PolicyKGError)
    async def _error(_request: Request, exc: PolicyKGError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        message, hint = str(exc.detail), None
        if exc.status_code == 405 and (allow := allowed_methods(app, request.scope)):
            headers["Allow"] = allow
            message = f"{request.method} is not allowed on {request.url.path}; it takes {allow}"
        elif exc.status_code == 404 and message == "Not Found":  # no route (or no static file) by that path
            message, hint = f"nothing at {request.url.path}", "the routes are listed at /api/docs and in docs/api.md"
        return JSONResponse(
            error_body(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), message, hint),
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', []))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(error_body(400, "invalid_parameters", problems), status_code=400)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        # Starlette answers this from outside every middleware: the headers go on by hand.
        return JSONResponse(
            error_body(500, "internal_error", f"{type(exc).__name__}: the server failed"),
            status_code=500,
            headers=DEFAULT_HEADERS,
        )

    app.add_middleware(SparqlLane)  # added first, so innermost: below every layer that follows
    app.add_middleware(BodyLimits, settings=settings)
    app.add_middleware(StrictQueryString)
    if settings.cors:
        # Read-only cross-origin use: no credentials, and no Authorization header, so a
        # browser page elsewhere can query but never write.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept"],
            allow_credentials=False,
            expose_headers=["X-PolicyKG-Truncated", "X-PolicyKG-Rows", "X-PolicyKG-Max-Rows"],
        )
    app.add_middleware(JsonErrors)  # inside HeadAsGet: a HEAD's error has its headers, not a body
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: it also sees what the layers above answer

    from policykg.api import pages, rest, sparql, uploads

    app.include_router(sparql.router)
    app.include_router(rest.router)
    app.include_router(uploads.router)
    viz = _viz_router()
    if viz is not None:
        app.include_router(viz)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", tags=["meta"], summary="Whether the server can answer, and the safety settings in force")
    async def health() -> JSONResponse:
        """200 with ``"ok": true`` when queries and writes can be served; 503 with ``"ok": false``
        and the ``problems`` in words when not (no query worker left, a failed checkpoint, a failed
        write such as a full disk), so a load balancer or a monitor sees the truth."""
        problems = runner.health() + (
            [f"the last write failed: {store.write_error}"] if getattr(store, "write_error", None) else []
        )
        body = {
            "ok": not problems,
            "problems": problems,
            "version": __version__,
            "query_timeout": settings.query_timeout,
            "max_rows": settings.max_rows,
            "max_reply_bytes": settings.max_reply_bytes,
            "query_memory": settings.query_memory,
            "query_workers": runner.size,
            "worker_network_isolated": runner.network_isolated,
            "writes_enabled": bool(settings.write_token),
        }
        return JSONResponse(body, status_code=503 if problems else 200)

    return app


def from_environment() -> FastAPI:
    """The app from ``POLICYKG_*`` variables: ``uvicorn --factory policykg.api.app:from_environment``
    (for another ASGI server, or to choose uvicorn's own options such as ``--log-level``)."""
    return create_app(load_settings())
