"""Evaluate public SPARQL with a time limit that really stops the work, and a row cap.

:class:`QueryRunner` evaluates queries in a small pool of worker processes. A
pyoxigraph query cannot be interrupted inside a thread, so a query that outlives
its time limit is stopped by killing its worker (a fresh one replaces it). The
server process owns the read-write store; workers read a RocksDB checkpoint of it
(hard links, ~1 ms to make) opened read-only, because opening the live folder
read-only while another process writes it is undefined behaviour in Oxigraph. A
new checkpoint is taken lazily after each write, so workers see every committed
write. Workers also try to drop their network access (a private network
namespace) as a second line of defence; :attr:`QueryRunner.network_isolated`
tells whether that worked on this machine. The endpoint hands a query over from its event loop
(:meth:`QueryRunner.run_async`): the job goes to an idle worker and the reply is awaited on the
loop, under the same time limit, with no thread held or woken for it.

Updates run in the server process (it owns the read-write store), but only after
:meth:`QueryRunner.check_update` has parsed and run them on an empty in-memory store
in a worker: Oxigraph's parser and planner recurse per nesting level and per group
element, and a hostile update (20 000 ``UNION`` branches, 10 000 triple patterns) would
otherwise overflow the server's stack and kill it. In a worker it kills only the worker.

:class:`RemoteQueryRunner` does the same job for a store behind a SPARQL server.
Queries reach either only after :mod:`policykg.graph.sparql_guard` let them through.

The worker processes themselves — started spawned with their memory limit and without network,
killed at the deadline, replaced when they die, their last words read from stderr — are
:class:`policykg.graph.workers.WorkerPool`'s; this module says what a worker does with a job
(:func:`_answer`) and what each way of ending means for the query.

Why one module: the checkpoints the workers read and the runner that hands out jobs are one
mechanism (a checkpoint is collected only once no worker reads it, and a worker killed at its
deadline lets its checkpoint go), and what a worker's reply or death means is the runner's;
:class:`RemoteQueryRunner` sits beside it because both answer the one interface
:func:`make_runner` chooses between.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from policykg.errors import (
    IsolationUnavailable,
    PolicyKGError,
    QueryBusy,
    QueryError,
    QueryMemoryError,
    QueryTimeoutError,
    QueryTooComplex,
    StoreError,
    StoreTimeoutError,
)
from policykg.graph.results import native_json, serialize_result
from policykg.graph.sparql_params import iri, sparql
from policykg.graph.workers import PoolBusy, Retire, Worker, WorkerDied, WorkerPool, WorkerTimeout

log = logging.getLogger("policykg.query")


def evaluate(
    store,
    query: str,
    *,
    fmt: str,
    max_rows: int,
    max_bytes: int | None = None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    prefixes: dict[str, str] | None = None,
    base_iri: str | None = None,
    query_dataset: bool = False,
    limit: int | None = None,
    limit_slot: tuple[str, str] | None = None,
) -> dict:
    """Run one query on a pyoxigraph store and serialize at most ``max_rows`` results and
    ``max_bytes`` bytes.

    A JSON SELECT is written by pyoxigraph (several times faster than row by row in Python) when
    its rows are known to stay near the cap: ``limit``, the SELECT's own top-level LIMIT (the
    guard's reading), is within ``max_rows``; or the query has none, and ``limit_slot`` (the
    guard's canonical text cut where a top-level LIMIT goes) lets it run with ``LIMIT max_rows +
    1``, the extra row telling that the reply was cut. Past ``max_bytes`` the query runs again as
    sent and is cut row by row."""
    import pyoxigraph as ox

    kwargs: dict = {}  # no prefixes: the guard's canonical text spells every IRI out (see sparql_guard)
    if base_iri:
        kwargs["base_iri"] = base_iri
    if default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    elif not query_dataset or named_graphs:
        # The store's default graph is the union of the document graphs, unless the query
        # states its own dataset (FROM / FROM NAMED) and the protocol does not override it.
        kwargs["use_default_graph_as_union"] = True
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    elif default_graphs:
        kwargs["named_graphs"] = []  # a protocol dataset with only default graphs has no named graphs
    native = fmt == "json" and ((limit is not None and limit <= max_rows) or limit_slot is not None)
    text = query
    if native and limit_slot is not None:
        head, tail = limit_slot
        text = f"{head} LIMIT {max_rows + 1} {tail}"
    try:
        result = store.query(text, **kwargs)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if native and isinstance(result, ox.QuerySolutions):
        whole = native_json(result, max_bytes=max_bytes, max_rows=max_rows)
        if whole is not None:
            return whole
        result = store.query(query, **kwargs)  # past the byte cap: again, as sent, cut row by row
    return serialize_result(result, fmt=fmt, max_rows=max_rows, max_bytes=max_bytes, prefixes=prefixes)


def check_update(
    update: str, patterns: Sequence[str], *, prefixes: dict[str, str] | None = None, base_iri: str | None = None
) -> dict:
    """Parse ``update`` and run it, then each of its WHERE ``patterns`` (ASK queries), on an empty
    in-memory store. Only a syntax error is reported: the empty store lacks the real graphs, so
    other errors say nothing about the real run. What this is for is the crash that a parser or
    planner stack overflow would cause here rather than in the server."""
    import pyoxigraph as ox

    scratch = ox.Store()
    kwargs: dict = {"prefixes": prefixes or {}}
    if base_iri:
        kwargs["base_iri"] = base_iri
    try:
        scratch.update(update, **kwargs)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    except Exception:
        pass  # e.g. DROP GRAPH of a graph only the real store has; later operations still get planned below
    for ask in patterns:
        try:
            scratch.query(ask, **kwargs)
        except Exception:
            pass
    return {"kind": "checked"}


# -- in a query worker (graph/workers.py starts, limits and supervises it) ------------------------

#: The checkpoint this worker has open: (its folder, the store), kept from one query to the next.
_open: list = [None, None]


def _answer(job: dict) -> dict:  # in a query worker
    """One job of a query worker: a query on the checkpoint it names, or an update to dry-run."""
    import pyoxigraph as ox

    try:
        if "update" in job:
            out = check_update(job["update"], job["patterns"], prefixes=job["prefixes"], base_iri=job.get("base_iri"))
        else:
            if job["snapshot"] != _open[0]:
                _open[1] = None
                _open[1] = ox.Store.read_only(job["snapshot"])
                _open[0] = job["snapshot"]
            out = evaluate(
                _open[1],
                job["query"],
                fmt=job["fmt"],
                max_rows=job["max_rows"],
                max_bytes=job.get("max_bytes"),
                default_graphs=job["default_graphs"],
                named_graphs=job["named_graphs"],
                prefixes=job["prefixes"],
                base_iri=job.get("base_iri"),
                query_dataset=job.get("query_dataset", False),
                limit=job.get("limit"),
                limit_slot=job.get("limit_slot"),
            )
        return {"ok": True, **out}
    except MemoryError:
        # Python's own allocations hit the limit (Rust's abort the process instead): the heap
        # may be in pieces, so this worker answers and ends (its owner replaces it).
        _open[:] = [None, None]
        raise Retire(
            {
                "ok": False,
                "code": QueryMemoryError.code,
                "memory": True,
                "status": 503,
                "message": "the query needed more memory than a query worker may take",
            }
        ) from None
    except PolicyKGError as exc:
        return {"ok": False, "code": exc.code, "message": exc.message, "status": exc.http_status}
    except Exception as exc:  # an evaluation error (type error in a function, I/O …)
        return {
            "ok": False,
            "code": "query_failed",
            "message": f"{type(exc).__name__}: {exc}",
            "status": 400 if isinstance(exc, (ValueError, TypeError)) else 500,
        }


def _snapshot_prefixes(store_path: Path, snapshot_dir: str | None) -> list[tuple[Path, str]]:
    """The (folder, name prefix) pairs where this store's checkpoint folders go, in order of choice:
    ``snapshot_dir``, else beside the store (same file system, so a checkpoint is hard links),
    else the system temp folder (a checkpoint there is a copy)."""
    if snapshot_dir:
        return [(Path(snapshot_dir), "policykg-snapshots-")]
    return [
        (store_path.resolve().parent, f".{store_path.name}.snapshots-"),
        (Path(tempfile.gettempdir()), "policykg-snapshots-"),
    ]


def _snapshot_root(store_path: Path, snapshot_dir: str | None) -> Path:
    """A new checkpoint folder, named after the process that owns it (``…snapshots-<pid>-…``) so
    that one left by a crash can be told from one in use (:func:`remove_stale_snapshots`)."""
    last: OSError | None = None
    for folder, prefix in _snapshot_prefixes(store_path, snapshot_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=folder))
        except OSError as exc:
            last = exc
    raise StoreError(f"cannot make a folder for query checkpoints: {last}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_snapshots(store_path: Path, snapshot_dir: str | None) -> list[Path]:
    """Remove checkpoint folders of this store whose owning process is gone (a crash or a kill
    -9 leaves them; each holds hard links that keep deleted store files on disk). Returns them."""
    removed = []
    for folder, prefix in _snapshot_prefixes(store_path, snapshot_dir):
        try:
            candidates = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.is_dir()]
        except OSError:
            continue
        for path in candidates:
            owner = path.name[len(prefix) :].split("-", 1)[0]
            if owner.isdigit() and _alive(int(owner)):
                continue  # this server's, or another live one's
            if not owner.isdigit() and not prefix.startswith("."):
                # An older version's folder without a pid in a shared folder: it may be another
                # store's. Beside the store it can only be this store's, and the store's
                # single-writer lock (held by the caller) says no other server of it runs.
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


#: Replies up to this size are read on the event loop (their bytes are in the socket or on their
#: way, a copy of well under a millisecond); longer ones in a thread, so the loop never waits on one.
INLINE_REPLY_BYTES = 256 * 1024


class _QueryPool(WorkerPool):
    def take_idle(self) -> Worker | None:
        """An idle worker of one's own at once, or None: never waits for a place, never starts a
        worker (both would block the event loop that calls this)."""
        if not self._places.acquire(blocking=False):
            return None
        with self._lock:
            if not self.closed and self._idle:
                return self._idle.pop()
        self._places.release()
        return None


def _settle_once(future: asyncio.Future, value: object) -> None:
    if not future.done():
        future.set_result(value)


def _reply_size(fd: int) -> int:
    """The length a ``multiprocessing`` message waiting on the socket ``fd`` announces (its first 4
    bytes, peeked, not read), or a size past :data:`INLINE_REPLY_BYTES` when that cannot be told
    (its header not all there, a worker gone, a pipe rather than a socket)."""
    # A socket object over the connection's own descriptor, let go of (detach) rather than closed.
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0, fileno=fd)
    try:
        head = peer.recv(4, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return INLINE_REPLY_BYTES + 1
    finally:
        peer.detach()
    if len(head) < 4:
        return INLINE_REPLY_BYTES + 1
    size = struct.unpack("!i", head)[0]
    return size if size >= 0 else INLINE_REPLY_BYTES + 1  # -1: a length of 8 bytes follows


class QueryRunner:
    """Time-limited, row-capped query evaluation in killable worker processes."""

    def __init__(
        self,
        store,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        max_rows: int = 10000,
        snapshot_dir: str | None = None,
        isolate_network: bool = True,
        prefixes: dict[str, str] | None = None,
        queue_wait: float | None = None,
        max_bytes: int | None = None,
        memory: int = 0,
    ) -> None:
        self.store = store
        self.timeout = timeout
        #: most bytes of one reply (rows past it are cut, the reply flagged truncated)
        self.max_bytes = max_bytes
        #: RLIMIT_DATA of each worker, 0 for none
        self.memory = memory
        #: how long a query waits for a free worker before QueryBusy (its own time limit starts after)
        self.queue_wait = timeout if queue_wait is None else queue_wait
        self._deadlines: dict[int, float] = {}  # id(worker) -> when its current job is stopped
        self.max_rows = max_rows
        self.prefixes = dict(prefixes or {})
        self._isolate = isolate_network
        self._snapshot_dir = snapshot_dir
        self._snap_root: Path | None = None
        self._gen = itertools.count(1)
        self._snap_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._current: str | None = None
        self._dirty = True
        self.size = max(1, workers)
        self._pool = _QueryPool(
            _answer, self.size, name="policykg-query-worker", isolate=isolate_network, memory=memory, last_words=True
        )
        self.timeouts = 0
        #: why the last checkpoint failed, None once one succeeds (for /health)
        self.checkpoint_error: str | None = None
        self.started = False
        self.closed = False
        #: whether every worker runs without network access (None until the workers start)
        self.network_isolated: bool | None = None
        import atexit

        atexit.register(self.close)

    def start(self) -> None:
        """Start the workers (done on the first query, so an app that never runs SPARQL spawns nothing)."""
        with self._start_lock:
            if self.started:
                return
            if self.closed:
                raise StoreError("the query runner is closed")
            if getattr(self.store, "path", None) is None:
                raise StoreError("SPARQL over HTTP needs an on-disk store (this one is in memory)")
            for stale in remove_stale_snapshots(Path(self.store.path), self._snapshot_dir):
                log.warning("removed %s: query checkpoints a stopped server left behind", stale)
            self._pool.start()
            self.network_isolated = all(w.isolated for w in self._pool.workers)
            if self._isolate and not self.network_isolated:
                log.warning(
                    "query workers could not drop their network access (unshare refused, e.g. by a "
                    "container's seccomp profile): only the query guard keeps public queries off the network"
                )
            self.started = True

    # snapshots
    def mark_dirty(self) -> None:
        """Call after every write: the next query reads a fresh checkpoint."""
        self._dirty = True

    @property
    def _all(self) -> list[Worker]:
        """The live workers (the tests check that a killed one was replaced)."""
        return self._pool.workers

    def snapshot(self, worker: Worker | None = None) -> str:
        """The checkpoint of the latest write (taken now if there was a write since the last one).

        ``worker`` is marked as reading it before the lock is let go: marked any later, another
        query's checkpoint could collect this one in the gap, and the worker would open a folder
        that is gone (a 500). Every read and write of ``worker.reading`` that collecting depends
        on happens under ``_snap_lock``; a worker started meanwhile reads nothing yet."""
        with self._snap_lock:
            if self._snap_root is None:
                self._snap_root = _snapshot_root(Path(self.store.path), self._snapshot_dir)
            if self._dirty or self._current is None:
                path = self._snap_root / f"gen-{next(self._gen)}"
                self._dirty = False
                # One point in time, each write whole or not at all (OxigraphStore.checkpoint); a write
                # that ends while it is taken marks the runner dirty again (_dirty was cleared first).
                try:
                    self.store.checkpoint(path)
                except BaseException:
                    # The next query tries again: never the previous checkpoint, which lacks the write.
                    self._dirty = True
                    shutil.rmtree(path, ignore_errors=True)
                    raise
                self._current = str(path)
                self._collect()
            if worker is not None:
                worker.reading = self._current
            return self._current

    def _collect(self) -> None:
        """Remove the checkpoints no worker reads. Call with ``_snap_lock`` held."""
        if self._snap_root is None:  # no checkpoint taken yet
            return
        in_use = {w.reading for w in self._pool.workers} | {self._current}
        for child in self._snap_root.iterdir():
            if str(child) not in in_use:
                shutil.rmtree(child, ignore_errors=True)

    def _query_job(
        self,
        query: str,
        *,
        fmt: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
        base_iri: str | None = None,
        query_dataset: bool = False,
        limit: int | None = None,
        limit_slot: tuple[str, str] | None = None,
    ) -> dict:
        return {
            "query": query,
            "fmt": fmt,
            "max_rows": max_rows or self.max_rows,
            "max_bytes": self.max_bytes,
            "default_graphs": list(default_graphs),
            "named_graphs": list(named_graphs),
            "prefixes": self.prefixes if fmt == "turtle" else None,  # only Turtle is written with them
            "base_iri": base_iri,
            "query_dataset": query_dataset,
            "limit": limit,
            "limit_slot": limit_slot,
        }

    def run(self, query: str, *, fmt: str, timeout: float | None = None, **options: Any) -> dict:
        """Blocking: evaluate in a worker, kill it at the deadline. Call from a thread. ``options``:
        ``default_graphs``, ``named_graphs``, ``max_rows``, ``base_iri``, ``query_dataset``,
        ``limit`` and ``limit_slot`` (the guard's readings of a SELECT, see :func:`evaluate`)."""
        job = self._query_job(query, fmt=fmt, **options)
        return self._call(job, self.timeout if timeout is None else timeout, "query", wait=self.queue_wait)

    async def run_async(
        self, query: str, *, fmt: str, to_thread: Callable[..., Awaitable[Any]], **options: Any
    ) -> dict:
        """:meth:`run` from the event loop, with the same time limit, row cap and errors.

        The job goes to an idle worker and its reply is awaited on the loop: no thread is held
        while the query runs, and none is woken to hand it over. What would block the loop goes
        to a thread through ``to_thread`` instead: starting the workers, a checkpoint after a
        write, a large reply, a worker that died; and the whole query when no worker is idle
        (:meth:`run` then waits for one, or starts one, in that thread)."""
        if not self.started:
            await to_thread(self.start)
        job = self._query_job(query, fmt=fmt, **options)
        worker = self._pool.take_idle()
        if worker is None:
            return await to_thread(self._call, job, self.timeout, "query", wait=self.queue_wait)
        deadline = time.monotonic() + self.timeout
        self._deadlines[id(worker)] = deadline
        try:
            snapshot = self._snapshot_if_ready(worker)
            if snapshot is None:
                await self._take_snapshot(worker, job, to_thread)
            else:
                job["snapshot"] = snapshot
            return await self._ask_async(worker, job, deadline, to_thread)
        finally:
            self._deadlines.pop(id(worker), None)

    def _snapshot_if_ready(self, worker: Worker) -> str | None:
        """The current checkpoint, marked as read by ``worker``, when that needs neither a new
        checkpoint nor a wait for the lock (see :meth:`snapshot`); else None."""
        if self._dirty or self._current is None or not self._snap_lock.acquire(blocking=False):
            return None
        try:
            if self._dirty or self._current is None:
                return None
            worker.reading = self._current
            self.checkpoint_error = None
            return self._current
        finally:
            self._snap_lock.release()

    async def _take_snapshot(self, worker: Worker, job: dict, to_thread: Callable[..., Awaitable[Any]]) -> None:
        try:
            job["snapshot"] = await to_thread(self.snapshot, worker)
            self.checkpoint_error = None
        except BaseException as exc:
            raise self._checkpoint_failed(worker, exc) from None

    async def _ask_async(
        self, worker: Worker, job: dict, deadline: float, to_thread: Callable[..., Awaitable[Any]]
    ) -> dict:
        loop = asyncio.get_running_loop()
        conn = worker.conn
        try:
            conn.send(job)  # a few hundred bytes into an idle worker's socket: no wait
        except OSError:  # it died while idle
            raise await self._death(worker, to_thread, sent=False) from None
        # True when the reply is there to read, False at the deadline: whichever comes first.
        answered: asyncio.Future[bool] = loop.create_future()
        fd = conn.fileno()
        loop.add_reader(fd, _settle_once, answered, True)
        timer = loop.call_later(max(0.0, deadline - time.monotonic()), _settle_once, answered, False)
        try:
            in_time = await answered
            if in_time:
                if _reply_size(fd) <= INLINE_REPLY_BYTES:
                    reply = conn.recv()
                else:  # a long reply is read off the loop
                    reply = await to_thread(conn.recv)
        except (EOFError, OSError):
            raise await self._death(worker, to_thread, sent=True) from None
        except BaseException:
            # Cancelled with the job under way: the worker's next reply would be this job's.
            self._pool.retire(worker)
            raise
        finally:
            timer.cancel()
            loop.remove_reader(fd)
        if not in_time:
            raise self._timed_out(worker, self.timeout, "query")
        return self._settle(worker, reply, "query")

    async def _death(self, worker: Worker, to_thread: Callable[..., Awaitable[Any]], *, sent: bool) -> Exception:
        await to_thread(worker.process.join, 5)
        return self._died(worker, WorkerDied(worker.last_words(), worker.process.exitcode, sent=sent), "query")

    def check_update(self, update: str, patterns: Sequence[str] = (), *, base_iri: str | None = None) -> None:
        """Blocking: parse and dry-run ``update`` and its WHERE ``patterns`` in a worker (see the module
        notes); raise if that fails to parse, crashes the worker or outlives the time limit."""
        try:
            self._call(
                {"update": update, "patterns": list(patterns), "prefixes": self.prefixes, "base_iri": base_iri},
                self.timeout,
                "update",
            )
        except QueryTimeoutError:
            raise QueryTooComplex(
                f"this update could not even be planned within {self.timeout:g} s", hint="split it into smaller updates"
            ) from None

    def retry_after(self) -> int:
        """Whole seconds until a worker surely comes free: the nearest deadline of a running job."""
        now = time.monotonic()
        soonest = min(list(self._deadlines.values()), default=now + 1)  # list(): one step under the GIL
        return max(1, int(soonest - now + 0.999))

    def _call(self, job: dict, limit: float, what: str, *, wait: float | None = None) -> dict:
        if not self.started:
            self.start()
        wait = limit if wait is None else wait
        try:
            worker = self._pool.take(wait)
        except PoolBusy:
            raise QueryBusy(
                f"the server is busy: every query worker stayed busy for {wait:g} s",
                retry_after=self.retry_after(),
                hint="try again after Retry-After seconds",
            ) from None
        # The time limit counts from here: a query that waited for a worker still gets all of it
        # (counted from arrival, one that got a worker late was killed, worker and all, at once).
        deadline = time.monotonic() + limit
        self._deadlines[id(worker)] = deadline
        try:
            return self._on(worker, job, deadline, limit, what)
        finally:
            self._deadlines.pop(id(worker), None)

    def _on(self, worker: Worker, job: dict, deadline: float, limit: float, what: str) -> dict:
        if "query" in job:
            try:
                job["snapshot"] = self.snapshot(worker)
                self.checkpoint_error = None
            except BaseException as exc:
                raise self._checkpoint_failed(worker, exc) from None
        try:
            reply = worker.ask(job, max(0.0, deadline - time.monotonic()))
        except WorkerTimeout:
            raise self._timed_out(worker, limit, what) from None
        except WorkerDied as died:
            raise self._died(worker, died, what) from None
        return self._settle(worker, reply, what)

    def _checkpoint_failed(self, worker: Worker, exc: BaseException) -> BaseException:
        """The worker did nothing: it goes back, or a failed checkpoint (a full disk) would take a
        worker out of the pool for good, and two would leave none. Returns what to raise."""
        self._pool.give(worker)
        self.checkpoint_error = str(exc).split("\n")[0]
        if isinstance(exc, OSError):
            return StoreError(
                f"cannot take a checkpoint of the store for this query: {exc}",
                hint="free disk space beside the store (or set snapshot_dir)",
            )
        return exc

    def _timed_out(self, worker: Worker, limit: float, what: str) -> QueryTimeoutError:
        self.timeouts += 1
        self._pool.retire(worker)
        return QueryTimeoutError(
            f"the {what} ran longer than {limit:g} s and was stopped",
            hint="add LIMIT, narrow the patterns, or ask the operator for a longer query_timeout",
        )

    def _died(self, worker: Worker, died: WorkerDied, what: str) -> QueryMemoryError | QueryTooComplex:
        # The worker died: out of memory (Rust aborts when an allocation fails) or a stack
        # overflow in the parser or planner (a query nested or chained thousands deep).
        words = died.last_words
        self._pool.retire(worker)
        if words:
            log.warning("a query worker died (exit %s): %s", died.exitcode, words[-500:])
        if "memory allocation" in words or "MemoryError" in words or "out of memory" in words.lower():
            return self._memory_error(what)
        return QueryTooComplex(
            f"this {what} crashed the worker process that read it; it is probably nested "
            "or chained too deeply (thousands of groups, UNIONs or patterns)",
            hint="split it into smaller queries",
        )

    def _settle(self, worker: Worker, reply: dict, what: str) -> dict:
        """What a worker's reply means: the result, or the error it names."""
        if reply.get("memory"):
            self._pool.retire(worker)
            raise self._memory_error(what)
        self._pool.give(worker)
        if not reply.get("ok"):
            err = QueryError(reply.get("message", "query failed"))
            err.code = reply.get("code", "bad_query")
            err.http_status = int(reply.get("status", 400))
            raise err
        return reply

    def health(self) -> list[str]:
        """What keeps this runner from answering queries now, in words (empty: nothing)."""
        problems = []
        if self.started:
            if self._pool.alive() == 0:
                problems.append(f"no query worker is running (of {self.size})")
        if self.checkpoint_error:
            problems.append(f"the last query checkpoint failed: {self.checkpoint_error}")
        return problems

    def _memory_error(self, what: str) -> QueryMemoryError:
        return QueryMemoryError(
            f"the {what} needed more than {self.memory / 1e9:g} GB of memory and was stopped",
            hint="add LIMIT, avoid building huge strings or sorting huge joins, or ask the "
            "operator for a larger query_memory",
        )

    def close(self) -> None:
        self.closed = True
        self._pool.close()
        if self._snap_root is not None:
            shutil.rmtree(self._snap_root, ignore_errors=True)
            self._snap_root = None


class RemoteQueryRunner:
    """Query evaluation for a store behind a SPARQL server (``RemoteStore``).

    The server evaluates, so there is no worker to kill: the time limit is the
    HTTP client's timeout (the request is abandoned and the API answers 503),
    and operators should also set the server's own query timeout (docs/scale.md).
    Outbound requests are still refused by :func:`guard_query` before a query
    leaves this process.
    """

    size = 0
    network_isolated = None
    started = True
    timeouts = 0

    def __init__(
        self,
        store,
        *,
        timeout: float = 30.0,
        max_rows: int = 10000,
        prefixes: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.prefixes = dict(prefixes or {})

    def start(self) -> None:
        return None

    def mark_dirty(self) -> None:
        return None

    def health(self) -> list[str]:
        return []

    def check_update(self, update: str, patterns: Sequence[str] = (), *, base_iri: str | None = None) -> None:
        return None  # the remote server parses updates in its own process

    def run(
        self,
        query: str,
        *,
        fmt: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
        timeout: float | None = None,
        base_iri: str | None = None,
        query_dataset: bool = False,
        limit: int | None = None,
        limit_slot: tuple[str, str] | None = None,
    ) -> dict:
        if base_iri:
            query = sparql("BASE $base\n", base=iri(base_iri)).text + query
        try:
            result = self.store.query(query, default_graphs=default_graphs, named_graphs=named_graphs)
        except StoreTimeoutError:
            self.timeouts += 1
            raise QueryTimeoutError(f"the SPARQL server did not answer within {self.timeout:g} s") from None
        return serialize_result(
            result, fmt=fmt, max_rows=max_rows or self.max_rows, max_bytes=self.max_bytes, prefixes=self.prefixes
        )

    async def run_async(
        self, query: str, *, fmt: str, to_thread: Callable[..., Awaitable[Any]], **options: Any
    ) -> dict:
        """:meth:`run` in a thread from ``to_thread``: the HTTP request to the server blocks."""
        return await to_thread(self.run, query, fmt=fmt, **options)

    def close(self) -> None:
        return None


_isolation_available: bool | None = None


def network_isolation_available() -> bool:
    """Whether a process on this machine can drop its network access as query workers do
    (asked once per process, of a short-lived child)."""
    global _isolation_available
    if _isolation_available is None:
        import subprocess
        import sys

        probe = (
            "import sys; from policykg.graph.workers import isolate_network; sys.exit(0 if isolate_network() else 1)"
        )
        try:
            # -P: the probe imports policykg from its installation, never from the current folder.
            done = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, timeout=60)
            _isolation_available = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _isolation_available = False
    return _isolation_available


def make_runner(
    store,
    *,
    workers: int,
    timeout: float,
    max_rows: int,
    snapshot_dir: str | None,
    prefixes: dict[str, str],
    queue_wait: float | None = None,
    max_bytes: int | None = None,
    memory: int = 0,
    allow_unisolated: bool = True,
):
    """Worker processes over a checkpoint for the embedded store; direct calls for a remote one.

    Unless ``allow_unisolated``, refuse (StoreError) where workers could not drop their network
    access: then only the guard would keep a public query off the network.
    """
    from policykg.graph.store.remote import RemoteStore

    if isinstance(store, RemoteStore):
        return RemoteQueryRunner(store, timeout=timeout, max_rows=max_rows, prefixes=prefixes, max_bytes=max_bytes)
    if not allow_unisolated and not network_isolation_available():
        raise IsolationUnavailable(
            "query workers cannot drop their network access on this machine (unshare is refused, e.g. by a "
            "container's seccomp profile), so only the query guard would keep public queries off the network",
            hint="allow unshare (CLONE_NEWNET/CLONE_NEWUSER) for the server, or start it anyway with "
            "POLICYKG_ALLOW_UNISOLATED_WORKERS=1",
        )
    return QueryRunner(
        store,
        workers=workers,
        timeout=timeout,
        max_rows=max_rows,
        snapshot_dir=snapshot_dir,
        prefixes=prefixes,
        queue_wait=queue_wait,
        max_bytes=max_bytes,
        memory=memory,
    )
