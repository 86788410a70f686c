"""The embedded store: an Oxigraph database on disk (RocksDB), or in memory.

Each document lives in its own named graph (its IRI); queries see the union of
all graphs. Replacing a document's graph is one SPARQL Update (``DROP GRAPH``
then ``INSERT DATA``, :mod:`.updates`), which Oxigraph applies in a single transaction: a crash
or an error leaves either the old graph or the new one, never half of either.
Ingesting the same bytes again is a no-op, detected by the stored sha256. New documents in
bulk (:meth:`OxigraphStore.add_documents`, what ``policykg ingest`` writes) go through Oxigraph's
bulk loader under a journal (:mod:`.journal`): a load cut short is undone when the store is next
opened, so it too leaves whole documents only.

A store that cannot be written at all (disk full, read-only, file size limit, locked)
raises :class:`~policykg.errors.StoreUnavailableError` naming the folder and the
reason in words; the failed transaction leaves nothing behind.

Its writes are counted (``generation``), which gives readers one consistent state across
several queries (:meth:`OxigraphStore.read_consistently`, a sequence lock) and derived values
what changed since they were read (:meth:`OxigraphStore.changed_graphs`, :mod:`.cache`).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from policykg.errors import QueryError, StoreError, StoreUnavailableError
from policykg.graph.store.disk import check_store_folder, io_error
from policykg.graph.store.journal import clear_journal, read_journal, write_journal
from policykg.graph.store.protocol import (
    DATASET_FORMATS,
    DOCUMENTS_QUERY,
    RDF_FORMATS,
    DocumentSummary,
    LoadResult,
    NewDocument,
    checked_iri,
    document_summaries,
)
from policykg.graph.store.updates import drop_update, orphan_entity_graphs, removal_graphs, replace_update
from policykg.ontology import PKG, PREFIXES

T = TypeVar("T")

#: Writes remembered by :meth:`OxigraphStore.changed_graphs`; a derived value older than that is rebuilt.
CHANGE_LOG = 1024
#: Free bytes on the store's file system before a store whose write failed is reopened: less,
#: and the next write fails at once with the same clear error (the store stays readable).
REOPEN_FREE_BYTES = 64_000_000


class _Stale(Exception):
    """A read that a write began or ended during: its answer may mix two states, so read again."""


class OxigraphStore:
    """The embedded store: a RocksDB-backed Oxigraph database in a folder."""

    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser() if path is not None else None
        self._write_lock = threading.Lock()
        #: Bumped by every write through this object (replace, remove, update, load): readers
        #: that cache something derived from the store (the label index of ``graph.label_index``,
        #: the networkx projection) key it by this instead of counting the quads. Odd while a
        #: write is under way (it is bumped before and after), which :meth:`read_consistently`
        #: uses as a sequence lock.
        self.generation = 0
        #: (generation after the write, the named graphs it wrote or None for "any"), newest last:
        #: lets a derived value re-read only what changed (:meth:`changed_graphs`).
        self._changes: deque[tuple[int, frozenset[str] | None]] = deque(maxlen=CHANGE_LOG)
        self._reading = threading.local()
        self._write_failed = False  # a write failed: reopen before the next (see _writing)
        #: why the last write failed, None once a write succeeds (for /health)
        self.write_error: str | None = None
        if self.path is not None:
            check_store_folder(self.path, read_only=read_only)
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                if read_journal(self.path):
                    _undo_before_reading(self.path)
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except OSError as exc:
            raise io_error(self.path, "open", exc) from None
        if self.path is not None and not read_only:
            self._undo_interrupted_load()

    @contextmanager
    def _writing(self, doing: str, graphs: Iterable[str] | None = None) -> Iterator[None]:
        """One write (of ``graphs``, None: any): the generation is odd while it runs and the change
        is logged before it turns even again; a failing disk becomes a clear error."""
        if self._write_failed:
            self._reopen(doing)
        self.generation += 1
        try:
            yield
        except OSError as exc:
            # RocksDB keeps a failed write's error (a full disk) and refuses every later write
            # until the database is opened again, even after space returns: remember to.
            self._write_failed = self.path is not None
            error = io_error(self.path, doing, exc)
            self.write_error = error.message
            raise error from None
        else:
            self.write_error = None
        finally:
            # A failed write is logged too: it may have changed nothing, re-reading is harmless.
            self._changes.append((self.generation + 1, None if graphs is None else frozenset(graphs)))
            self.generation += 1

    def _reopen(self, doing: str) -> None:
        """Open the database again after a failed write, once there is room (call holding the
        write lock). Readers that come in the moment between get a 503, never a wrong answer."""
        assert self.path is not None
        free = shutil.disk_usage(self.path).free
        if free < REOPEN_FREE_BYTES:
            raise StoreUnavailableError(
                f"cannot {doing} the store at {self.path}: the disk is still full ({free // 1_000_000} MB free)",
                hint="free some space; the store is reopened by itself on the next write once there is room",
            )
        old, self._store = self._store, _Reopening(self.path)  # type: ignore[assignment]
        del old  # the database closes when the last reference (a query under way) lets go
        deadline = time.monotonic() + 10
        while True:
            try:
                self._store = ox.Store(str(self.path))
                break
            except OSError as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise io_error(self.path, "reopen", exc) from None
                time.sleep(0.05)  # a reader still holds the old database
        self._write_failed = False
        self._undo_interrupted_load()  # the failed write may have been a bulk load

    def changed_graphs(self, since: int) -> set[str] | None:
        """The named graphs written after generation ``since`` — None when that is not known (a
        SPARQL update or a load may write anywhere, or the log no longer reaches back that far).

        Only complete at an even generation (no write under way): call it inside
        :meth:`read_consistently`.
        """
        changes = list(self._changes)
        out: set[str] = set()
        if since == self.generation:
            return out
        if not changes or since < changes[0][0] - 2:  # the oldest write logged began at its generation - 2
            return None
        for after, graphs in changes:
            if after > since:
                if graphs is None:
                    return None
                out |= graphs
        return out

    def read_consistently(self, read: Callable[[], T], *, attempts: int = 3) -> T:
        """``read()`` — several queries — as if it were one snapshot of the store.

        Each Oxigraph query reads one RocksDB snapshot, but a reply composed of several queries
        could mix two versions of a document written in between (tests/test_load.py saw counts of
        one version beside the size of another). pyoxigraph offers no snapshot that spans queries,
        so this is a sequence lock on :attr:`generation`: the read counts if no write began or
        ended while it ran, and is tried again otherwise; after ``attempts`` it runs holding the
        write lock (writes wait for one read, readers never wait for ever). Nested calls run
        inside the outer one. ``read`` must return plain values, not lazy query results.

        A read never waits for the write lock while another reader holds it for its last attempt
        (that reader may be waiting for something this one holds, such as the build lock of a
        derived value in :mod:`policykg.graph.store.cache`: both would wait for ever); it reads
        optimistically instead, which succeeds while writes are held off.
        """
        if getattr(self._reading, "active", False):
            return read()
        self._reading.active = True
        try:
            for _ in range(attempts):
                before = self.generation
                if before % 2:  # a write is under way: wait for it, then read
                    self._until_write_ends(before)
                    continue
                try:
                    return self._try_read(read, before)
                except _Stale:
                    continue
            while not self._write_lock.acquire(timeout=0.05):
                before = self.generation
                if before % 2 == 0:  # the lock is held, but by no write: by another reader's last attempt
                    try:
                        return self._try_read(read, before)
                    except _Stale:
                        continue
            try:
                return read()
            finally:
                self._write_lock.release()
        finally:
            self._reading.active = False

    def _try_read(self, read: Callable[[], T], before: int) -> T:
        """``read()`` if no write began or ended while it ran (``before``: the generation it
        started at); :class:`_Stale` if one did."""
        try:
            value = read()
        except Exception:
            if self.generation == before:
                raise
            raise _Stale from None  # e.g. "no such document" from a half-seen write: look again
        if self.generation != before:
            raise _Stale
        return value

    def _until_write_ends(self, generation: int) -> None:
        """Wait for the write under way at ``generation`` (odd) to end; not for whoever takes the
        write lock next (a reader's last attempt may be the one waiting for this thread)."""
        while self.generation == generation:
            if self._write_lock.acquire(timeout=0.05):
                self._write_lock.release()
                return

    # -- writing -----------------------------------------------------------
    def graph_sha256(self, graph: str) -> str | None:
        node = ox.NamedNode(graph)
        for q in self._store.quads_for_pattern(node, ox.NamedNode(PKG + "sha256"), None, node):
            return q.object.value if isinstance(q.object, ox.Literal) else None
        return None

    def add_documents(self, docs: Sequence[NewDocument]) -> None:
        """Store new documents (none of their graphs is in the store) all at once, whole.

        On disk they go through Oxigraph's bulk loader, several times faster than a transaction,
        under the journal of :mod:`.journal`: their graphs are recorded first, their seals
        (``pkg:sha256`` quads) are loaded only once every body is in, and a load cut short (a
        crash, SIGKILL) is undone the next time the store is opened. While it runs, a query may see
        part of the batch: this is for a process that holds the store alone (``policykg
        ingest``); the server stores each upload in one transaction. In memory: one transaction.

        Data that does not parse raises :class:`~policykg.errors.StoreError` after what of the
        batch got in is removed again.
        """
        if not docs:
            return
        for doc in docs:
            checked_iri(doc.graph)
        if self.path is None:
            self.load(b"".join(doc.body + doc.seal for doc in docs), "nquads")
            return
        with self._write_lock:
            with self._writing("load documents into"):
                write_journal(self.path, [(doc.graph, doc.sha256) for doc in docs])
                try:
                    # lenient: the IRIs are IriScheme's (a checked base plus letters, digits and
                    # %-escapes) and the literals escaped as pyoxigraph does (tests/test_spans.py);
                    # N-Quads syntax is still checked. 1.1-1.2x faster.
                    self._store.bulk_load(b"".join(doc.body for doc in docs), format=ox.RdfFormat.N_QUADS, lenient=True)
                    # The seals by the bulk loader too: a transaction leaves them in RocksDB's
                    # memtable, which the next batch's bulk load must flush into small files that
                    # compaction then merges with ever more of the store (10^4 documents: 59 s of
                    # writing instead of 40). Cut short, this leaves some documents sealed, each
                    # whole since every body is in, and the others to be undone.
                    self._store.bulk_load(b"".join(doc.seal for doc in docs), format=ox.RdfFormat.N_QUADS, lenient=True)
                except (SyntaxError, ValueError) as exc:
                    error: Exception | None = exc
                else:
                    error = None
                    clear_journal(self.path)
            if error is not None:
                self._undo_interrupted_load()
                raise StoreError(f"could not load {len(docs)} document(s): {error}")

    def _undo_interrupted_load(self) -> None:
        """Finish what a bulk load cut short left (see :mod:`.journal`): drop the graphs of its
        documents that were never sealed, then the entity graphs no document reaches any more."""
        assert self.path is not None
        entries = read_journal(self.path)
        torn = [graph for graph, sha256 in entries if self.graph_sha256(graph) != sha256]
        if torn:
            with self._writing("undo an interrupted load in"):
                self._store.update(drop_update(torn))
                orphans = orphan_entity_graphs(self)
                if orphans:
                    self._store.update(drop_update(orphans))
        clear_journal(self.path)

    def replace_graph(self, graph: str, quads: Sequence[ox.Quad], sha256: str | None = None) -> LoadResult:
        """Make ``graph`` hold exactly its quads, and add the others to their graphs, atomically.

        ``quads`` in ``graph`` replace its content. Quads in other named graphs
        (the shared entities' own graphs, see :mod:`policykg.graph.build`) are
        added to them: entity descriptions are the same in every document, so
        adding is idempotent. Both happen in one SPARQL Update, one transaction.
        """
        g = ox.NamedNode(checked_iri(graph))
        with self._write_lock:
            existed = self._store.contains_named_graph(g)
            if sha256 is not None and existed and self.graph_sha256(graph) == sha256:
                return LoadResult(graph, len(quads), replaced=False, unchanged=True)
            if not all(isinstance(q.graph_name, ox.NamedNode) for q in quads):
                raise StoreError(f"a quad for {graph} is outside any named graph")
            written = {graph, *(q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode))}
            with self._writing(f"write graph {graph} to", written):
                if not existed:
                    # A new document: one atomic extend, one transaction like the update below
                    # without writing and parsing SPARQL text (1.8x faster per quad).
                    self._store.extend(quads)
                else:
                    try:
                        self._store.update(replace_update(graph, quads))
                    except SyntaxError as exc:
                        raise StoreError(f"could not write graph {graph}: {exc}") from None
        return LoadResult(graph, len(quads), replaced=existed, unchanged=False)

    def remove_graph(self, graph: str) -> bool:
        """Drop one document's graph, the shared entity graphs no document uses any more, and
        the citation links to and from it."""
        from policykg.graph.citations import citations_graph, resolve_citations

        g = ox.NamedNode(checked_iri(graph))
        with self._write_lock:
            if not self._store.contains_named_graph(g):
                return False
            drops = removal_graphs(self, graph)
            with self._writing(f"remove graph {graph} from", drops):
                self._store.update(drop_update(drops))
        resolve_citations(self, citations_graph(graph))
        return True

    def orphan_entity_graphs(self) -> list[str]:
        return orphan_entity_graphs(self)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        with self._write_lock, self._writing("update"):
            try:
                if base_iri:
                    self._store.update(sparql, prefixes=PREFIXES, base_iri=base_iri)
                else:
                    self._store.update(sparql, prefixes=PREFIXES)
            except SyntaxError as exc:
                raise QueryError(f"SPARQL update syntax error: {exc}") from None

    def contains_graph(self, graph: str) -> bool:
        """Whether ``graph`` is a named graph of the store."""
        return self._store.contains_named_graph(ox.NamedNode(checked_iri(graph)))

    def checkpoint(self, path: str | Path) -> None:
        """A consistent read-only copy of the store at ``path`` (RocksDB checkpoint: hard links, fast).

        ``path`` must not exist yet. The API's query workers open such copies read-only.

        Taken without the write lock: a write and a checkpoint need not wait for each other.
        RocksDB makes a checkpoint of a running database one point in time across its column
        families (it flushes the memtables and copies the WAL covering the checkpoint), and
        Oxigraph commits each transaction (every write here is one) as one atomic write batch,
        so a checkpoint holds each write whole or not at all. A write that ends after the
        checkpoint began may be missing from it: the caller takes a new checkpoint after every
        acknowledged write (``QueryRunner.mark_dirty``). tests/test_load.py checks this.
        """
        if self.path is None:
            raise StoreError("an in-memory store has no on-disk checkpoint")
        if self._write_failed:  # a checkpoint flushes, which the failed write's error refuses too
            with self._write_lock:
                if self._write_failed:
                    self._reopen(f"checkpoint (to {path})")
        try:
            self._store.backup(str(path))
        except OSError as exc:
            self._write_failed = True
            raise io_error(self.path, f"checkpoint (to {path})", exc) from None

    def load(self, data: bytes, fmt: str) -> None:
        """Load a serialized dataset in one transaction (e.g. an export): all of it or nothing."""
        with self._write_lock, self._writing("load data into"):
            self._store.load(data, format=RDF_FORMATS[fmt])

    # -- reading -----------------------------------------------------------
    def query(self, sparql: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()):
        kwargs: dict = {"prefixes": PREFIXES}
        if default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(checked_iri(g)) for g in default_graphs]
        else:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(checked_iri(g)) for g in named_graphs]
        try:
            return self._store.query(sparql, **kwargs)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from None

    def query_default_graph(self, sparql: str):
        """``sparql`` over the store's own default graph alone: triples written outside any named
        graph (by a SPARQL update), which :meth:`query` reads only as part of the union."""
        return self._store.query(sparql, prefixes=PREFIXES, default_graph=ox.DefaultGraph())

    def documents(self) -> list[DocumentSummary]:
        rows = self._store.query(DOCUMENTS_QUERY)
        assert isinstance(rows, ox.QuerySolutions)  # a SELECT
        return document_summaries(rows)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return iter(self._store.quads_for_pattern(None, None, None, g))

    def dump(self, fmt: str, graph: str | None = None, output: str | Path | None = None) -> bytes:
        """The store (or one graph) serialized; written straight into the file ``output`` when
        given (then nothing is returned and the whole dump is never held in memory)."""
        rdf_format = RDF_FORMATS[fmt]
        out = str(output) if output is not None else None
        if graph is not None:
            return self._store.dump(out, format=rdf_format, from_graph=ox.NamedNode(graph)) or b""
        if fmt in DATASET_FORMATS:
            return self._store.dump(out, format=rdf_format) or b""
        # A triple format: the union of all graphs, each triple once.
        triples = self._store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(triples, ox.QueryTriples)  # a CONSTRUCT
        return ox.serialize(triples, out, format=rdf_format, prefixes=PREFIXES if fmt == "turtle" else None) or b""

    def count(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        try:
            self._store.flush()
        except OSError as exc:
            raise io_error(self.path, "flush", exc) from None

    def close(self) -> None:
        # pyoxigraph closes the database when the object is collected.
        self._store = None  # type: ignore[assignment]


def _undo_before_reading(path: Path) -> None:
    """Before a read-only open: undo a bulk load cut short, unless a writer holds the store (then
    the journal is that writer's own load under way, and the reader sees what is there)."""
    try:
        OxigraphStore(path).close()  # opening read-write undoes it
    except StoreUnavailableError:
        pass


class _Reopening:
    """Stands in for the database while it is opened again: every use is a 503."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __getattr__(self, name: str):
        raise StoreUnavailableError(
            f"the store at {self.path} is being reopened after a failed write", hint="try again in a moment"
        )

    def __len__(self) -> int:
        raise StoreUnavailableError(f"the store at {self.path} is being reopened after a failed write")
