"""The FastAPI application: SPARQL protocol, JSON API, pages — one JSON error envelope.

``create_app(settings)`` opens the store read-write (the server owns it), starts the
query workers (see :mod:`policykg.graph.query_runner`) and mounts:

* ``/sparql`` (SPARQL 1.1 Protocol, read-only), ``/update`` and ``/graph-store`` (token);
* ``/api/...`` (typed JSON, OpenAPI at ``/openapi.json``, reference at ``/api/docs``)
  and ``POST /documents`` (upload, token);
* ``/`` , ``/query``, ``/search`` and ``/id/...`` (HTML pages; RDF by Accept or suffix);
* the network view's routes from ``policykg.viz.routes`` when that module exists.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from policykg import __version__
from policykg.errors import PolicyKGError
from policykg.graph.query_runner import make_runner
from policykg.graph.store import open_store
from policykg.ontology import PREFIXES
from policykg.settings import Settings

log = logging.getLogger("policykg.api")
STATIC = Path(__file__).parent / "static"

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "request_too_large",
               415: "unsupported_media_type", 422: "invalid_parameters", 500: "internal_error"}


def error_body(status: int, code: str, message: str, hint: str | None = None) -> dict:
    err = {"code": code, "message": message, "status": status}
    if hint:
        err["hint"] = hint
    return {"error": err}


def _viz_router():
    try:
        if importlib.util.find_spec("policykg.viz.routes") is None:
            return None
    except (ImportError, ValueError):
        return None
    return importlib.import_module("policykg.viz.routes").router


def create_app(settings: Settings, *, store=None, workers: int | None = None) -> FastAPI:
    """The application over ``settings.store`` (or an already open ``store``)."""
    store = store if store is not None else open_store(settings.store)
    runner = make_runner(store, workers=workers or settings.query_workers, timeout=settings.query_timeout,
                         max_rows=settings.max_rows, snapshot_dir=settings.snapshot_dir or None,
                         prefixes=PREFIXES)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:
            runner.close()

    app = FastAPI(title="policykg", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="SPARQL 1.1 Protocol, a typed JSON API and pages over a knowledge graph of Chinese "
                              "policy documents. Errors always come as one JSON envelope: "
                              '`{"error": {"code", "message", "status", "hint"?}}`.')
    app.state.store = store
    app.state.settings = settings
    app.state.runner = runner

    @app.exception_handler(PolicyKGError)
    async def _error(_request: Request, exc: PolicyKGError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Bearer realm="policykg"'} if exc.http_status == 401 else None
        return JSONResponse(error_body(exc.http_status, exc.code, exc.message, exc.hint),
                            status_code=exc.http_status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc.detail)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', []))}: {e.get('msg')}" for e in exc.errors())
        return JSONResponse(error_body(400, "invalid_parameters", problems), status_code=400)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body(500, "internal_error", f"{type(exc).__name__}: the server failed"),
                            status_code=500)

    if settings.cors:
        # Read-only cross-origin use: no credentials, and no Authorization header, so a
        # browser page elsewhere can query but never write.
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Accept"], allow_credentials=False,
                           expose_headers=["X-PolicyKG-Truncated", "X-PolicyKG-Rows", "X-PolicyKG-Max-Rows"])

    from policykg.api import pages, rest, sparql

    app.include_router(sparql.router)
    app.include_router(rest.router)
    app.include_router(rest.upload_router)
    viz = _viz_router()
    if viz is not None:
        app.include_router(viz)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", tags=["meta"], summary="Liveness and the safety settings in force")
    async def health() -> dict:
        return {"ok": True, "version": __version__, "query_timeout": settings.query_timeout,
                "max_rows": settings.max_rows, "query_workers": runner.size,
                "worker_network_isolated": runner.network_isolated, "writes_enabled": bool(settings.write_token)}

    return app
