"""``POST /documents``: a document uploaded with the token, extracted in a worker process under a
time limit (:class:`UploadExtractor`) and stored in one transaction. Graph Store bodies are parsed
by the same workers (:mod:`policykg.api.sparql`)."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import APIRouter, Request

from policykg.api.pools import api_thread
from policykg.errors import InputError, PolicyKGError, StoreError, TooLarge, UploadBusy, UploadTimeout
from policykg.graph.iris import IriScheme

if TYPE_CHECKING:
    from policykg.loaders.records import DocumentRecord

log = logging.getLogger("policykg.api")
router = APIRouter(tags=["api"])


def _run_job(job: tuple):
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


def _extract_main(conn) -> None:  # runs in a spawned process
    """Run each job received (:func:`_run_job`); answer ``("ok", result)``, ``("error", the
    PolicyKGError)`` or ``("failed", what went wrong)`` (a parser bug, reported as a 500)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server ends its workers; Ctrl+C is its to handle
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the server is gone
            return
        if job is None:
            return
        try:
            conn.send(("ok", _run_job(job)))
        except PolicyKGError as exc:
            conn.send(("error", exc))
        except Exception as exc:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))


class _ExtractWorker:
    def __init__(self, ctx) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_extract_main, args=(child,), daemon=True, name="policykg-upload-worker")
        self.process.start()
        child.close()
        try:
            ready = self.conn.poll(60) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise StoreError("the upload worker process did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class UploadExtractor:
    """Uploaded documents are extracted in worker processes (spawned on first use, ``workers`` of
    them), each within ``timeout`` seconds.

    Extraction is CPU-bound Python: in a thread of the server it held the GIL and starved every
    reader while it ran, and nothing could stop a document that took for ever. In a worker it
    competes only for a core; one that outlives ``timeout`` is stopped by killing its worker (a
    fresh one is started in the background), and a document that crashes a parser kills only the
    worker. Nothing is written before extraction ends, so a stopped upload leaves the store as it
    was. Blocking: call from a thread.
    """

    def __init__(self, timeout: float, workers: int = 1) -> None:
        self.timeout = timeout
        self.workers = max(1, workers)
        self._ctx = multiprocessing.get_context("spawn")  # no copy of the server's open store or threads
        self._slots = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._idle: list[_ExtractWorker] = []
        self.closed = False

    def extract(self, data: bytes, name: str) -> DocumentRecord:
        return self._run(("document", data, name), name, "extracting the document")

    def parse_graph(self, body: bytes, media: str, graph: str) -> list:
        """A Graph Store body parsed in a worker under the same time limit: a parser that takes for
        ever on a hostile body (2 MB of nested RDF/XML took 28 s in the server) is stopped."""
        import pyoxigraph as ox

        nquads = self._run(("graph", body, media, graph), f"the body for <{graph}>", "parsing the graph")
        return list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))

    def _run(self, job: tuple, name: str, doing: str):
        if not self._slots.acquire(timeout=self.timeout):
            raise UploadBusy(
                f"the server is busy: no upload worker came free within {self.timeout:g} s", hint="try again shortly"
            )
        try:
            worker = self._take()
            try:
                worker.conn.send(job)
            except OSError:  # it died while idle (out of memory, killed): not this document's fault
                self._discard(worker)
                worker = self._take()
                worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                self._discard(worker)
                raise UploadTimeout(
                    f"{name}: {doing} took longer than {self.timeout:g} s "
                    f"(upload_timeout) and was stopped; nothing was stored",
                    hint="split the document, or ask the operator for a longer upload_timeout",
                )
            try:
                kind, value = worker.conn.recv()
            except (EOFError, OSError):
                self._discard(worker)
                raise InputError(f"{name}: {doing} crashed the process doing it; nothing was stored") from None
            self._keep(worker)
        finally:
            self._slots.release()
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise RuntimeError(f"{doing} ({name}) failed in the upload worker: {value}")

    def _take(self) -> _ExtractWorker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _ExtractWorker(self._ctx)

    def _keep(self, worker: _ExtractWorker) -> None:
        with self._lock:
            if not self.closed and len(self._idle) < self.workers:
                self._idle.append(worker)
                return
        worker.kill()

    def _discard(self, worker: _ExtractWorker) -> None:
        """Kill ``worker`` and start its replacement in the background (the next upload finds it ready)."""
        worker.kill()

        def replace() -> None:
            try:
                self._keep(_ExtractWorker(self._ctx))
            except Exception as exc:
                log.warning("could not start an upload worker: %s", exc)

        if not self.closed:
            threading.Thread(target=replace, daemon=True, name="policykg-upload-worker-start").start()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


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
