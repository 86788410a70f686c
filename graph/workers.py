"""Worker processes: started with their limits and signals, supervised, killed and replaced.

Three parts of policykg do work in processes of their own, each for a reason a thread cannot
meet: a pyoxigraph query cannot be interrupted (its time limit is kept by killing the process),
a hostile query or document can crash a parser (it takes a worker down, never the server), and
extraction is CPU-bound Python (in a thread it holds the GIL and starves every reader). This
module is how all of them start, watch and end such processes:

* :class:`WorkerPool` — up to ``size`` spawned workers, each answering one job at a time over a
  pipe (:class:`Worker`): the SPARQL query workers (:mod:`policykg.graph.query_runner`) and the
  upload workers (:mod:`policykg.graph.uploads`). A job has a time limit; a worker that outlives
  it is killed (:class:`WorkerTimeout`), one that dies names why from its last words on stderr
  (:class:`WorkerDied`), and either is replaced in the background.
* :class:`ProcessPool` — a forkserver process pool for throughput: the ingest's extraction
  (:mod:`policykg.graph.ingest`). Its workers end themselves when the ingest process is gone,
  and a pool broken by a dying worker is replaced.

Signals: every worker ignores Ctrl+C (SIGINT reaches the whole process group; the parent ends
its workers itself, and a worker printing its own KeyboardInterrupt is noise); an ingest worker
ignores SIGTERM too (a worker killed halfway through sending a result left the pool waiting).
The parent holds Ctrl+C and SIGTERM back while a process pool changes state
(:func:`signals_held`).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import select
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from policykg.errors import StoreError

log = logging.getLogger("policykg.workers")


# -- in a worker ------------------------------------------------------------------------------


def isolate_network() -> bool:
    """Move this process into an empty network namespace (only loopback, down). Best effort."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
        if libc.unshare(CLONE_NEWNET) == 0:
            return True
        return libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0
    except Exception:
        return False


class Retire(Exception):
    """Raised by a job handler: send ``reply``, then end this worker (its state cannot be trusted,
    e.g. after a MemoryError); the parent sees the reply and replaces the worker."""

    def __init__(self, reply: Any) -> None:
        super().__init__("retire")
        self.reply = reply


def _serve(conn, handle: Callable[[Any], Any], isolate: bool, memory: int, stderr_path: str | None) -> None:  # spawned
    """A pool worker's life: quiet signals, stderr to a file, no network, a memory limit, then
    ``handle(job)`` for each job received until ``None`` or the parent is gone."""
    # Ctrl+C in a terminal reaches the whole process group; the parent ends its workers itself,
    # so a worker printing its own KeyboardInterrupt traceback would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if stderr_path:
        # The last words of a worker that dies (Rust's "memory allocation of N bytes failed", a
        # stack overflow) go to a file the parent reads to name the cause, then logs.
        try:
            fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:
            return  # the pool was closed while this worker started (its folder is gone): no job will come
        os.dup2(fd, 2)
        os.close(fd)
    isolated = isolate_network() if isolate else False
    if memory:
        # RLIMIT_DATA, not RLIMIT_AS: it counts what jobs allocate (heap, anonymous maps) and not
        # a store's file mappings or reserved address space, which say nothing of memory used.
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    conn.send({"ready": True, "isolated": isolated, "pid": os.getpid()})
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if job is None:
            return
        try:
            reply = handle(job)
        except Retire as retire:
            conn.send(retire.reply)
            return
        conn.send(reply)


# -- one worker, from the parent ----------------------------------------------------------------


class WorkerTimeout(Exception):
    """The job outlived its time limit; the worker is to be killed."""


class WorkerDied(Exception):
    """The worker died: before it took the job (``sent`` False) or while doing it."""

    def __init__(self, last_words: str, exitcode: int | None, *, sent: bool) -> None:
        super().__init__(last_words or f"exit {exitcode}")
        self.last_words = last_words
        self.exitcode = exitcode
        self.sent = sent


class PoolBusy(Exception):
    """No worker came free within the wait."""


class Worker:
    """One spawned worker process running :func:`_serve`, and the pipe to it."""

    def __init__(
        self, ctx, handle: Callable[[Any], Any], *, name: str, isolate: bool, memory: int, stderr_path: str | None
    ) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.stderr_path = stderr_path
        self.process = ctx.Process(
            target=_serve, args=(child, handle, isolate, memory, stderr_path), daemon=True, name=name
        )
        self.process.start()
        child.close()
        try:
            hello = self.conn.recv() if self.conn.poll(60) else {}
        except (EOFError, OSError):
            hello = {}
        if not hello.get("ready"):
            self.kill()
            raise StoreError(f"a {name} process did not start")
        self.isolated = bool(hello.get("isolated"))
        #: what the worker has open, for its owner (a query worker's checkpoint)
        self.reading: str | None = None

    def ask(self, job: Any, timeout: float) -> Any:
        """Send ``job`` and wait up to ``timeout`` seconds for the reply."""
        try:
            self.conn.send(job)
        except OSError:  # it died while idle (out of memory, killed)
            raise self._died(sent=False) from None
        try:
            if not self.conn.poll(timeout):
                raise WorkerTimeout
            return self.conn.recv()
        except (EOFError, OSError):
            raise self._died(sent=True) from None

    def _died(self, *, sent: bool) -> WorkerDied:
        self.process.join(5)
        return WorkerDied(self.last_words(), self.process.exitcode, sent=sent)

    def last_words(self) -> str:
        """The end of what a dead worker wrote to its stderr (empty if nothing)."""
        if not self.stderr_path:
            return ""
        try:
            with open(self.stderr_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 4096))
                return f.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(5)
        except Exception:
            pass
        try:
            self.conn.close()
        except Exception:
            pass
        if self.stderr_path:
            try:
                os.unlink(self.stderr_path)
            except OSError:
                pass


class WorkerPool:
    """Up to ``size`` workers answering ``handle(job)``, one job each at a time.

    :meth:`take` waits up to its ``wait`` for one of the ``size`` places and gives an idle worker,
    or starts one there and then (spawned: no copy of the parent's open store or threads);
    :meth:`give` returns it; :meth:`retire` kills it and starts its replacement in the background,
    so the caller answers at once. ``last_words``: each worker's stderr goes to a file, read when
    it dies. Blocking: call from threads.
    """

    def __init__(
        self,
        handle: Callable[[Any], Any],
        size: int,
        *,
        name: str,
        isolate: bool = False,
        memory: int = 0,
        last_words: bool = False,
    ) -> None:
        self.handle = handle
        self.size = max(1, size)
        self.name = name
        self.isolate = isolate
        #: RLIMIT_DATA of each worker, 0 for none
        self.memory = memory
        self._last_words = last_words
        self._stderr_root: str | None = None
        self._ctx = multiprocessing.get_context("spawn")
        self._places = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._all: list[Worker] = []
        self._idle: list[Worker] = []
        self.closed = False

    @property
    def workers(self) -> list[Worker]:
        """The live workers (idle or busy)."""
        with self._lock:
            return list(self._all)

    def start(self) -> None:
        """Start all ``size`` workers now instead of one by one as jobs come."""
        for _ in range(self.size):
            self._keep(self._spawn())

    def _spawn(self) -> Worker:
        if self._last_words and self._stderr_root is None:
            self._stderr_root = tempfile.mkdtemp(prefix="policykg-workers-")
        stderr_path = None
        if self._stderr_root is not None:
            fd, stderr_path = tempfile.mkstemp(prefix="worker-", suffix=".stderr", dir=self._stderr_root)
            os.close(fd)
        worker = Worker(  # spawning is slow: not under the lock
            self._ctx, self.handle, name=self.name, isolate=self.isolate, memory=self.memory, stderr_path=stderr_path
        )
        with self._lock:
            self._all.append(worker)
        return worker

    def take(self, wait: float) -> Worker:
        """A worker of one's own until :meth:`give` or :meth:`retire`; :class:`PoolBusy` when all
        ``size`` are busy for ``wait`` seconds."""
        if not self._places.acquire(timeout=wait):
            raise PoolBusy
        try:
            with self._lock:
                if self.closed:
                    raise StoreError(f"the {self.name} pool is closed")
                if self._idle:
                    return self._idle.pop()
            return self._spawn()
        except BaseException:
            self._places.release()
            raise

    def give(self, worker: Worker) -> None:
        """Back to the pool, ready for the next job."""
        self._places.release()
        self._keep(worker)

    def _keep(self, worker: Worker) -> None:
        with self._lock:
            if not self.closed and len(self._all) <= self.size:
                self._idle.append(worker)
                return
            if worker in self._all:  # one too many (a replacement met a worker started on demand)
                self._all.remove(worker)
        worker.kill()

    def retire(self, worker: Worker) -> None:
        """Kill ``worker`` and start its replacement in the background."""
        self._places.release()
        threading.Thread(target=self._replace, args=(worker,), daemon=True, name=f"{self.name}-start").start()

    def _replace(self, dead: Worker) -> None:
        dead.kill()
        with self._lock:
            if dead in self._all:
                self._all.remove(dead)
            if self.closed:
                return
        try:
            self._keep(self._spawn())
        except Exception as exc:
            # tried again on the next job; the pool shrinks meanwhile (a pool closed meanwhile
            # needs no replacement, and the worker could not start because its folder is gone)
            if not self.closed:
                log.warning("could not start a %s: %s", self.name, exc)

    def alive(self) -> int:
        return sum(1 for w in self.workers if w.process.is_alive())

    def close(self) -> None:
        with self._lock:
            self.closed = True
            workers, self._all, self._idle = self._all, [], []
        for w in workers:
            try:
                w.conn.send(None)
            except Exception:
                pass
            w.kill()
        if self._stderr_root is not None:
            shutil.rmtree(self._stderr_root, ignore_errors=True)
            self._stderr_root = None


# -- a process pool for throughput (the ingest) ----------------------------------------------

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signals_held(*, ignore: bool = False) -> Iterator[None]:
    """Ctrl+C and SIGTERM held back while a process pool changes state, then delivered.

    ``concurrent.futures`` is not safe to interrupt: a KeyboardInterrupt raised inside
    ``submit`` or ``shutdown`` left the pool waiting for ever for a thread it had not started.
    ``ignore``: drop them instead, for the moment a helper process is started (a process started
    with a signal ignored keeps it ignored; a handler of ours would not survive the exec).
    Only the main thread has signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    keep = signal.SIG_IGN if ignore else (lambda signum, frame: caught.append(signum))
    saved = {sig: signal.signal(sig, keep) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        if caught:
            signal.raise_signal(caught[0])


@contextmanager
def _safe_path() -> Iterator[None]:
    """Start a child Python without the current folder on its import path (PYTHONSAFEPATH).

    The forkserver runs ``python -c …``, which puts the current folder first: run from the
    parent of a clone (a folder holding a folder named ``policykg``), its workers imported that
    folder as a namespace package and failed ("cannot import name '__version__' from 'policykg'").
    """
    saved = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = saved


def _pool_worker_init(parent: int, init: Callable[..., None] | None, initargs: tuple) -> None:
    # Ctrl+C and `kill` of the process group reach the workers too. The parent decides: it
    # stops submitting, and the pool ends its workers. A worker killed by the signal itself
    # could die halfway through sending a result, and the pool would wait for the rest for ever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True, name="pool-watch").start()
    if init is not None:
        init(*initargs)


def _exit_when_gone(pid: int) -> None:
    """End this worker once the parent ``pid`` is gone.

    A killed parent (SIGKILL, OOM killer) shuts no pool down: its workers would wait for
    work forever, and keep the forkserver and the resource tracker alive with them.
    """
    try:
        fd = os.pidfd_open(pid)  # readable once the process has ended; immune to pid reuse
    except (AttributeError, OSError):  # not Linux >= 5.3, or already gone: poll
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass  # it exists, under another user
            time.sleep(1.0)
    else:
        select.select([fd], [], [])
    os._exit(1)


class ProcessPool:
    """``workers`` forkserver processes (started on the first :meth:`submit`) that preload
    ``preload`` and run ``init(*initargs)`` once each; a pool broken by a dying worker is
    replaced (:meth:`reset`). Every change of state holds Ctrl+C and SIGTERM back."""

    def __init__(
        self, workers: int, *, preload: list[str], init: Callable[..., None] | None = None, initargs: tuple = ()
    ) -> None:
        self.workers = max(1, workers)
        self.preload = preload
        self.init = init
        self.initargs = initargs
        self.executor: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self.executor is None:
            # forkserver: workers never inherit the parent's open database or its threads.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(self.preload)
            with signals_held(ignore=True), _safe_path():
                # Started deaf to Ctrl+C: a forkserver interrupted while it imported the preloaded
                # modules printed a KeyboardInterrupt traceback. The parent ends it.
                multiprocessing.forkserver.ensure_running()
            self.executor = ProcessPoolExecutor(
                self.workers,
                mp_context=ctx,
                initializer=_pool_worker_init,
                initargs=(os.getpid(), self.init, self.initargs),
            )
        return self.executor

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """``fn(*args)`` in a worker; a pool already broken is replaced first."""
        with signals_held():
            try:
                return self._executor().submit(fn, *args)
            except BrokenProcessPool:
                self.reset()
                return self._executor().submit(fn, *args)

    def reset(self) -> None:
        """Drop a broken pool (a worker died); the next :meth:`submit` starts a fresh one."""
        if self.executor is not None:
            with signals_held():
                self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = None

    def close(self) -> None:
        """Cancel what has not started and wait for the jobs under way."""
        if self.executor is not None:
            with signals_held():
                self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
