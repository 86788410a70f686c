"""The FastAPI application (first cut: the SPARQL endpoint)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from policykg.errors import PolicyKGError
from policykg.graph.store import open_store
from policykg.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="policykg", version="0.1.0")
    store = open_store(settings.store)
    app.state.store = store
    app.state.settings = settings

    @app.exception_handler(PolicyKGError)
    async def _error(_request: Request, exc: PolicyKGError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status)

    async def _run(query: str) -> Response:
        from policykg.graph.results import render_result

        body = render_result(store.query(query), "json")
        return Response(body, media_type="application/sparql-results+json")

    @app.get("/sparql")
    async def sparql_get(query: str) -> Response:
        return await _run(query)

    @app.post("/sparql")
    async def sparql_post(request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/sparql-query"):
            return await _run((await request.body()).decode("utf-8"))
        form = await request.form()
        return await _run(str(form.get("query", "")))

    return app
