"""``POST /documents``: a document uploaded with the token, extracted in a worker process under a
time limit (:class:`policykg.graph.uploads.UploadExtractor`, running :func:`upload_job`) and
stored in one transaction. Graph Store bodies are parsed by the same workers
(:mod:`policykg.api.sparql`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request

from policykg.api.pools import api_thread
from policykg.errors import PolicyKGError, TooLarge
from policykg.graph.iris import IriScheme

router = APIRouter(tags=["api"])


def upload_job(job: tuple):  # in an upload worker (policykg.graph.uploads.UploadExtractor)
    """One parsing job of an upload worker: ``("document", data, name)`` → a DocumentRecord;
    ``("graph", body, media type, graph IRI)`` → the graph's N-Quads (a Graph Store body)."""
    if job[0] == "graph":
        import pyoxigraph as ox

        from policykg.api.sparql import parse_graph

        _, body, media, graph = job
        return ox.serialize(parse_graph(body, media, graph), format=ox.RdfFormat.N_QUADS) or b""
    from policykg.loaders.extract import extract_bytes

    _, data, name = job
    return extract_bytes(data, name)


@dataclass(frozen=True)
class UploadResult:
    iri: str
    status: str  # added | replaced | unchanged
    source: str
    triples: int
    sections: int
    tasks: int
    programs: int
    divisions: int
    targets: int


@router.post(
    "/documents",
    response_model=UploadResult,
    status_code=201,
    summary="Ingest one document (token): multipart field `file`, or the raw bytes with ?name=",
)
async def upload(request: Request, name: str | None = None):
    """Extracts the document (in a worker process, within `upload_timeout` seconds: past it 422 and
    nothing stored) and replaces its named graph in one transaction (atomic: a failure leaves the
    store as it was). Needs `Authorization: Bearer <token>`."""
    from policykg.api.sparql import check_token
    from policykg.graph.ingest import ingest_record

    check_token(request)
    settings = request.app.state.settings
    ctype = request.headers.get("content-type", "")
    # The body as a whole is capped by BodyLimits (policykg.api.app) while it streams in.
    if ctype.lower().startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=8)
        f = form.get("file")
        if f is None or isinstance(f, str):
            raise PolicyKGError(
                "no multipart field named 'file' holds a document (is the body cut short?)",
                hint="curl -F file=@document.txt …",
            )
        data = await f.read()
        name = name or f.filename
    else:
        data = await request.body()
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"the upload is larger than {settings.max_upload_bytes} bytes")
    if not name:
        raise PolicyKGError("name the document: ?name=file.txt (the name gives its id and format)")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    store = request.app.state.store
    doc = await api_thread(request.app.state.extractor.extract, data, name)
    try:
        outcome = await api_thread(ingest_record, store, doc, IriScheme(settings.base_iri))
    finally:
        request.app.state.runner.mark_dirty()
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse

    result = UploadResult(
        outcome.graph or "",
        outcome.status,
        name,
        outcome.triples,
        outcome.sections,
        outcome.tasks,
        outcome.programs,
        outcome.divisions,
        outcome.targets,
    )
    return JSONResponse(
        jsonable_encoder(result),
        status_code=200 if outcome.status == "unchanged" else 201,
        headers={
            "Location": quote("/id/" + result.iri[len(settings.base_iri) :], safe="/%-._~")
            if result.iri.startswith(settings.base_iri)
            else quote(result.iri, safe=":/%-._~")
        },
    )
