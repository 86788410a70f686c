"""Uploaded documents and Graph Store bodies, read in worker processes under a time limit.

Extraction is CPU-bound Python: in a thread of the server it held the GIL and starved every
reader while it ran, and nothing could stop a document that took for ever. In a worker
(:class:`policykg.graph.workers.WorkerPool`) it competes only for a core; one that outlives
the time limit is stopped by killing its worker (a fresh one is started in the background), and
a document that crashes a parser kills only the worker. Nothing is written before extraction
ends, so a stopped upload leaves the store as it was.

What a job is (a document to extract, a body to parse) is the caller's: the API hands its job
function to :class:`UploadExtractor` (``policykg.api.uploads.upload_job``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policykg.errors import InputError, PolicyKGError, UploadBusy, UploadTimeout
from policykg.graph.workers import PoolBusy, WorkerDied, WorkerPool, WorkerTimeout

if TYPE_CHECKING:
    from policykg.loaders.records import DocumentRecord


def _answer(run: Callable[[tuple], Any], job: tuple) -> tuple[str, Any]:  # in an upload worker
    """``("ok", run(job))``, ``("error", the PolicyKGError)`` or ``("failed", what went wrong)``
    (a parser bug, reported as a 500)."""
    try:
        return ("ok", run(job))
    except PolicyKGError as exc:
        return ("error", exc)
    except Exception as exc:
        return ("failed", f"{type(exc).__name__}: {exc}")


class UploadExtractor:
    """Uploaded documents are extracted in worker processes (spawned on first use, ``workers`` of
    them), each within ``timeout`` seconds. ``run``: what a worker does with a job, a function
    of its module (``("document", data, name)`` gives a DocumentRecord, ``("graph", body,
    media type, graph IRI)`` the graph's N-Quads). Blocking: call from a thread."""

    def __init__(self, timeout: float, run: Callable[[tuple], Any], workers: int = 1) -> None:
        self.timeout = timeout
        self.workers = max(1, workers)
        self._pool = WorkerPool(functools.partial(_answer, run), self.workers, name="policykg-upload-worker")

    def extract(self, data: bytes, name: str) -> DocumentRecord:
        return self._run(("document", data, name), name, "extracting the document")

    def parse_graph(self, body: bytes, media: str, graph: str) -> list:
        """A Graph Store body parsed in a worker under the same time limit: a parser that takes for
        ever on a hostile body (2 MB of nested RDF/XML took 28 s in the server) is stopped."""
        import pyoxigraph as ox

        nquads = self._run(("graph", body, media, graph), f"the body for <{graph}>", "parsing the graph")
        return list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))

    def _run(self, job: tuple, name: str, doing: str):
        for attempt in (1, 2):
            try:
                worker = self._pool.take(self.timeout)
            except PoolBusy:
                raise UploadBusy(
                    f"the server is busy: no upload worker came free within {self.timeout:g} s",
                    hint="try again shortly",
                ) from None
            try:
                kind, value = worker.ask(job, self.timeout)
            except WorkerTimeout:
                self._pool.retire(worker)
                raise UploadTimeout(
                    f"{name}: {doing} took longer than {self.timeout:g} s "
                    f"(upload_timeout) and was stopped; nothing was stored",
                    hint="split the document, or ask the operator for a longer upload_timeout",
                ) from None
            except WorkerDied as died:
                self._pool.retire(worker)
                if not died.sent and attempt == 1:
                    continue  # it died while idle (out of memory, killed): not this document's fault
                raise InputError(f"{name}: {doing} crashed the process doing it; nothing was stored") from None
            self._pool.give(worker)
            break
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise RuntimeError(f"{doing} ({name}) failed in the upload worker: {value}")

    def close(self) -> None:
        self._pool.close()
