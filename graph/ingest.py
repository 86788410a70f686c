"""Ingest: files, folders and archives into the store, one named graph per document.

Small inputs and large corpora go through the same steps:

1. **List** the inputs (:mod:`policykg.graph.sources`, which also reads their bytes): files,
   folders (searched recursively) and archives
   (``.zip``, ``.tar.gz``/``.tgz``/``.tar``), in a stable order. An archive over the limits of
   :class:`~policykg.loaders.limits.ArchiveBudget` (too many entries, or unpacking to far
   more than its own size) is refused whole, by name, before any member is read; a file or
   member over ``max_document_bytes`` is refused by name before it is read.
2. **Skip** what is already stored: the parent reads each file's bytes, hashes
   them and compares with the sha256 stored for that document's graph (all
   hashes are read from the store in one query). Unchanged documents are never
   extracted again, so an interrupted ingest resumes where it stopped.
3. **Extract** in worker processes (``workers``): bytes in, serialized N-Quads
   plus a few counts out. A file that fails is reported by name; the rest go on.
4. **Load** in the parent, in input order: new documents are stored many at a time
   (``ingest_batch_bytes``, :meth:`GraphStore.add_documents`: Oxigraph's bulk loader under a
   journal in the embedded store, one N-Quads POST through the Graph Store Protocol in a remote
   one) on a writer thread, while the workers extract the next ones; a changed document
   replaces its graph in one atomic swap (:meth:`GraphStore.replace_graph`).

What survives a crash (SIGKILL, the OOM killer, a server that goes away):

* The store holds whole documents only, each with what it says about its shared entities: a
  bulk load cut short is undone when the embedded store is next opened
  (:mod:`policykg.graph.store.journal`). Each document's ``pkg:sha256`` quad (its seal) is
  stored last, also for stores that load one graph per request (see
  :mod:`policykg.graph.store.remote`): cut short, such a graph never looks complete to step 2.
* ``progress`` hears of a document only once its batch is stored: a document
  reported ``added`` is in the store even if the process dies the next instant.
* Extraction workers end themselves when the ingest process is gone, instead of
  waiting for work forever (:class:`policykg.graph.workers.ProcessPool` starts, watches and
  replaces them, and holds Ctrl+C back while the pool changes state).
* A store that refuses every write (disk full, read-only, server gone) stops the
  ingest with one :class:`~policykg.errors.StoreUnavailableError`; running the same
  command again resumes after the last stored document.

Why one module: steps 2 to 4 are one pipeline. The window of documents in flight, the batch
held back until it is stored and the outcomes released in input order only make sense
together, and this module is what the forkserver preloads into every worker
(``policykg.graph.ingest``), so the workers' code stays beside the pipeline that feeds them.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from policykg.errors import PolicyKGError, StoreUnavailableError
from policykg.graph.build import document_graph, document_quads
from policykg.graph.citations import CITATIONS_PATH, resolve_citations
from policykg.graph.iris import IriScheme
from policykg.graph.sources import Source, list_sources, read_sources
from policykg.graph.store import GraphStore, NewDocument
from policykg.graph.workers import ProcessPool
from policykg.loaders.extract import document_id, extract_bytes, extract_path
from policykg.loaders.records import DocumentRecord


@dataclass
class DocumentOutcome:
    source: str
    graph: str | None = None
    status: str = "added"  # added | replaced | unchanged | failed
    triples: int = 0  # in the document's own graph: what `list` and the pages count
    shared: int = 0  # what it adds to the shared entity graphs (programs, divisions, …)
    sections: int = 0
    tasks: int = 0
    programs: int = 0
    divisions: int = 0
    targets: int = 0
    error: str | None = None
    bytes: int = 0


@dataclass
class IngestReport:
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def bytes(self) -> int:
        return sum(o.bytes for o in self.outcomes)


# -- 3. extraction (runs in worker processes) --------------------------------
@dataclass
class Extracted:
    """What a worker sends back: the document's graph as N-Quads, its seal apart, and a few counts."""

    graph: str
    sha256: str
    body: bytes  # N-Quads of every quad but the seal
    seal: bytes  # the document's pkg:sha256 quad (see DocumentGraph.sealed)
    triples: int
    shared: int
    sections: int
    tasks: int
    programs: int
    divisions: int
    targets: int

    @property
    def nquads(self) -> bytes:
        """The whole graph, the seal last."""
        return self.body + self.seal

    def new_document(self) -> NewDocument:
        return NewDocument(self.graph, self.sha256, self.body, self.seal)


_WORKER_IRIS: IriScheme | None = None


def _worker_init(base_iri: str) -> None:
    """Each extraction worker's start (after :class:`~policykg.graph.workers.ProcessPool` has
    made it deaf to Ctrl+C and SIGTERM and set it to end when the ingest process is gone)."""
    global _WORKER_IRIS
    _WORKER_IRIS = IriScheme(base_iri)


def extract_document(data: bytes, name: str, iris: IriScheme | None = None) -> Extracted:
    """Bytes to a serialized named graph; the ``pkg:sha256`` quad is put last."""
    iris = iris or _WORKER_IRIS or IriScheme()
    doc = extract_bytes(data, name)
    built = document_graph(doc, iris)
    body, seal = built.sealed()
    return Extracted(
        graph=built.graph,
        sha256=doc.sha256,
        body=body,
        seal=seal,
        triples=built.own,
        shared=built.shared,
        sections=len(doc.sections),
        tasks=len(doc.tasks),
        programs=len(doc.programs),
        divisions=len(doc.divisions),
        targets=len(doc.targets),
    )


def _counts(quads: list[ox.Quad], graph: str) -> dict[str, int]:
    """Quads in the document's own graph (``triples``) and in shared entity graphs (``shared``)."""
    own = sum(1 for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == graph)
    return {"triples": own, "shared": len(quads) - own}


def _extract_task(data: bytes, name: str) -> Extracted | str:
    """Never raises: a failure comes back as its message, so one bad file stops nothing."""
    try:
        return extract_document(data, name)
    except PolicyKGError as exc:
        return str(exc)
    except Exception as exc:  # an extractor bug on one odd file must not stop a corpus
        return f"{name}: extraction failed ({type(exc).__name__}: {exc})"


# -- 4. loading (in the parent) ------------------------------------------------
def stored_hashes(store: GraphStore) -> dict[str, str]:
    """graph IRI -> stored sha256 ("" if none) for every named graph in the store: two queries."""
    from policykg.graph.store import OxigraphStore

    # `GRAPH ?g {}` lists graphs without reading them in Oxigraph; other servers need a pattern.
    listing = (
        "SELECT ?g WHERE { GRAPH ?g { } }"
        if isinstance(store, OxigraphStore)
        else "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    known = {r["g"].value: "" for r in store.query(listing) if r["g"] is not None}
    for r in store.query("SELECT ?g ?sha WHERE { GRAPH ?g { ?g <https://w3id.org/policykg/ontology#sha256> ?sha } }"):
        known[r["g"].value] = r["sha"].value
    return known


class _Loader:
    """Writes extracted documents: new ones in bulk batches, changed ones by atomic replace.

    A batch is written on a thread of its own while the next one gathers, so extraction goes on
    during the write (pyoxigraph lets go of the GIL while it loads). One batch is written at a
    time, in input order; :attr:`stored` counts the batches known to be in the store.
    """

    def __init__(self, store: GraphStore, known: dict[str, str], batch_bytes: int) -> None:
        self.store = store
        self.known = known
        self.batch_bytes = batch_bytes
        self.pending: list[tuple[DocumentOutcome, Extracted]] = []
        self.pending_size = 0
        # a store that takes new documents in bulk (both of ours) takes them in batches
        self.bulk: Callable[[list[NewDocument]], object] | None = getattr(store, "add_documents", None)
        self.submitted = 0  # batches handed to the writer
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="policykg-store-writer")
        self._writing: tuple[Future, list[tuple[DocumentOutcome, Extracted]]] | None = None

    @property
    def stored(self) -> int:
        """Batches in the store (written whole, or after failing whole, one document at a time)."""
        return self.submitted - (self._writing is not None)

    @property
    def gathering(self) -> int:
        """The batch an outcome finished now waits for: the one gathering, else the last handed on."""
        return self.submitted + 1 if self.pending else self.submitted

    def add(self, outcome: DocumentOutcome, ex: Extracted) -> None:
        outcome.graph = ex.graph
        if self.known.get(ex.graph) == ex.sha256:
            outcome.status = "unchanged"
            return
        if ex.graph in self.known or self.bulk is None:
            self.flush()
            self.wait()  # one writer at a time
            self._replace(outcome, ex)
            return
        outcome.status = "added"
        self.known[ex.graph] = ex.sha256
        self.pending.append((outcome, ex))
        self.pending_size += len(ex.body)
        if self.pending_size >= self.batch_bytes:
            self.flush()

    def _replace(self, outcome: DocumentOutcome, ex: Extracted) -> None:
        try:
            quads = list(ox.parse(ex.nquads, format=ox.RdfFormat.N_QUADS)) if ex.nquads else []
            result = self.store.replace_graph(ex.graph, quads, sha256=ex.sha256)
        except StoreUnavailableError:
            raise  # the store's fault, not the document's: the ingest stops
        except (PolicyKGError, OSError, SyntaxError, ValueError) as exc:
            outcome.status, outcome.error = "failed", f"{outcome.source}: could not store the document: {exc}"
            return
        outcome.status = "unchanged" if result.unchanged else "replaced" if result.replaced else "added"
        self.known[ex.graph] = ex.sha256

    def flush(self) -> None:
        """Hand the batch gathered so far to the writer (after the one before it is written)."""
        if not self.pending:
            return
        assert self.bulk is not None, "only a bulk-loading store holds documents back"
        batch, self.pending, self.pending_size = self.pending, [], 0
        self.wait()
        self._writing = (self._writer.submit(self.bulk, [ex.new_document() for _, ex in batch]), batch)
        self.submitted += 1

    def poll(self) -> None:
        """Take note of a batch whose write has ended, without waiting."""
        if self._writing is not None and self._writing[0].done():
            self.wait()

    def wait(self) -> None:
        """Wait for the batch being written; if it failed as a whole, store its documents one by one."""
        if self._writing is None:
            return
        future, batch = self._writing
        self._writing = None
        try:
            future.result()
        except StoreUnavailableError:
            raise
        except (PolicyKGError, OSError, SyntaxError, ValueError):
            # The store took none of it (add_documents undoes a failed batch): one by one names the culprit.
            for outcome, ex in batch:
                self.known.pop(ex.graph, None)
                self._replace(outcome, ex)

    def close(self) -> None:
        """Let the write under way end (its outcome is not reported) and stop the writer thread."""
        self._writer.shutdown(wait=True)


# -- the whole ingest ------------------------------------------------------------
def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def ingest_corpus(
    store: GraphStore,
    paths: Iterable[str | Path] | None,
    iris: IriScheme,
    *,
    sources: list[Source] | None = None,
    workers: int = 1,
    progress: Callable[[DocumentOutcome], None] | None = None,
    batch_bytes: int | None = None,
) -> IngestReport:
    """Ingest every document in ``paths`` (files, folders, archives); see the module docstring.

    ``progress`` is called once per document, in input order, after it is stored or skipped.
    ``batch_bytes`` defaults to the ``ingest_batch_bytes`` setting. Raises
    :class:`~policykg.errors.StoreUnavailableError` if the store stops taking writes.
    """
    started = time.perf_counter()
    if sources is None:
        sources = list_sources(paths or [])
    if batch_bytes is None:
        from policykg.settings import load_settings

        batch_bytes = load_settings().ingest_batch_bytes
    report = IngestReport()
    known = stored_hashes(store)
    loader = _Loader(store, known, batch_bytes)
    window: deque[tuple[DocumentOutcome, Future | Extracted | str | None, bytes | None, str]] = deque()
    pool = _Pool(workers, iris.base)
    # Outcomes in input order, each with the batch it waits for: "added" must mean stored.
    held: deque[tuple[int, DocumentOutcome]] = deque()
    claimed: dict[str, tuple[str, str]] = {}  # graph -> (label, sha256) of the first file of this run with it

    def release() -> None:
        loader.poll()
        while held and held[0][0] <= loader.stored:
            outcome = held.popleft()[1]
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)

    def finish(outcome: DocumentOutcome, result: Extracted | str | None) -> None:
        if isinstance(result, str):
            outcome.status, outcome.error = "failed", result
        elif isinstance(result, Extracted):
            for name in ("triples", "shared", "sections", "tasks", "programs", "divisions", "targets"):
                setattr(outcome, name, getattr(result, name))
            loader.add(outcome, result)
        held.append((loader.gathering, outcome))
        release()

    def drain(limit: int) -> None:
        while len(window) > limit:
            outcome, job, data, name = window.popleft()
            finish(outcome, pool.result(job, data, name))

    try:
        for src, data, error in read_sources(sources):
            outcome = DocumentOutcome(source=src.label, bytes=len(data) if data else 0)
            if data is None:  # read_sources gives the bytes or an error
                outcome.status, outcome.error = "failed", error
                window.append((outcome, error, None, src.name))
            else:
                sha = hashlib.sha256(data).hexdigest()
                try:
                    graph = iris.graph(document_id(src.label))  # the label's file name is src.name
                except PolicyKGError as exc:  # a name that makes no id: this file fails, the others go on
                    outcome.status, outcome.error = "failed", exc.message
                    window.append((outcome, outcome.error, None, src.name))
                    continue
                first = claimed.setdefault(graph, (src.label, sha))
                if first[1] != sha:
                    # Two different files, one document id (it comes from the file name): the
                    # second would replace the first, and every rerun swap them back.
                    outcome.status, outcome.error = (
                        "failed",
                        (
                            f"{src.label}: {first[0]}, also in this run, has the same document id <{graph}> "
                            "(ids come from file names); rename one of them"
                        ),
                    )
                    window.append((outcome, outcome.error, None, src.name))
                elif known.get(graph) == sha:
                    outcome.status, outcome.graph = "unchanged", graph
                    window.append((outcome, None, None, src.name))
                else:
                    window.append((outcome, pool.submit(data, src.name), data, src.name))
            drain(pool.window)
        drain(0)
        loader.flush()
        loader.wait()
        release()
        # Links to and from what arrived, whatever the order it arrived in; also after a run with
        # nothing new, so that an ingest killed before this step is repaired by running it again.
        resolve_citations(store, iris.base + CITATIONS_PATH)
    except StoreUnavailableError as exc:
        stored = report.count("added") + report.count("replaced")
        raise StoreUnavailableError(
            f"ingest stopped: {exc.message}\n  {stored} document(s) were stored in this run before it",
            hint=(exc.hint + "; " if exc.hint else "") + "then run the same command again: stored documents "
            "are skipped, the rest are stored",
        ) from None
    finally:
        loader.close()
        pool.close()
    report.seconds = time.perf_counter() - started
    return report


#: Documents read and handed to the workers ahead of the one being stored: bounds memory.
IN_FLIGHT_PER_WORKER = 8


class _Pool:
    """Extraction in-process (``workers <= 1``) or in a process pool (graph/workers.py), rebuilt
    if a worker dies."""

    def __init__(self, workers: int, base_iri: str) -> None:
        self.workers = max(1, workers)
        self.window = self.workers * IN_FLIGHT_PER_WORKER
        self.iris = IriScheme(base_iri)
        # The forkserver preloads this module (the workers' code) once for every worker.
        self.pool = ProcessPool(
            self.workers, preload=["policykg.graph.ingest"], init=_worker_init, initargs=(base_iri,)
        )

    def submit(self, data: bytes, name: str) -> Future | Extracted | str:
        if self.workers == 1:
            try:
                return extract_document(data, name, self.iris)
            except PolicyKGError as exc:
                return str(exc)
            except Exception as exc:
                return f"{name}: extraction failed ({type(exc).__name__}: {exc})"
        return self.pool.submit(_extract_task, data, name)

    def result(self, job, data: bytes | None, name: str) -> Extracted | str | None:
        if not isinstance(job, Future):
            return job  # extracted in-process, an error message, or None (skipped)
        try:
            return job.result()
        except BrokenProcessPool:
            # A worker died (crash, out of memory) on this or a neighbouring document:
            # retry this one alone in-process, then go on with a fresh pool.
            self.pool.reset()
            if data is None:
                return f"{name}: a worker process died"
            try:
                return extract_document(data, name, self.iris)
            except PolicyKGError as exc:
                return str(exc)
            except Exception as exc:
                return f"{name}: extraction failed ({type(exc).__name__}: {exc})"

    def close(self) -> None:
        """Cancel what has not started and wait for the extractions under way (seconds at most)."""
        self.pool.close()


# -- one document at a time (the API and tests use these) ---------------------
def ingest_record(store: GraphStore, doc: DocumentRecord, iris: IriScheme) -> DocumentOutcome:
    quads = document_quads(doc, iris)
    result = store.replace_graph(iris.graph(doc.doc_id), quads, sha256=doc.sha256)
    status = "unchanged" if result.unchanged else "replaced" if result.replaced else "added"
    if not result.unchanged:
        resolve_citations(store, iris.base + CITATIONS_PATH)
    counts = _counts(quads, result.graph)
    return DocumentOutcome(
        source=doc.source,
        graph=result.graph,
        status=status,
        triples=counts["triples"],
        shared=counts["shared"],
        sections=len(doc.sections),
        tasks=len(doc.tasks),
        programs=len(doc.programs),
        divisions=len(doc.divisions),
        targets=len(doc.targets),
    )


def ingest_files(
    store: GraphStore, files: list[Path], iris: IriScheme, progress: Callable[[Path], None] | None = None
) -> IngestReport:
    """Files one by one in this process (small inputs, tests); see :func:`ingest_corpus` for corpora."""
    report = IngestReport()
    for path in files:
        try:
            outcome = ingest_record(store, extract_path(path), iris)
        except StoreUnavailableError:
            raise  # every next document would fail the same way
        except PolicyKGError as exc:
            outcome = DocumentOutcome(source=str(path), status="failed", error=str(exc))
        report.outcomes.append(outcome)
        if progress:
            progress(path)
    return report
