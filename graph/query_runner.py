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
tells whether that worked on this machine.

Updates run in the server process (it owns the read-write store), but only after
:meth:`QueryRunner.check_update` has parsed and run them on an empty in-memory store
in a worker: Oxigraph's parser and planner recurse per nesting level and per group
element, and a hostile update (20 000 ``UNION`` branches, 10 000 triple patterns) would
otherwise overflow the server's stack and kill it. In a worker it kills only the worker.

:class:`RemoteQueryRunner` does the same job for a store behind a SPARQL server.
Queries reach either only after :mod:`policykg.graph.sparql_guard` let them through.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape as _xml_escape

from policykg.errors import (PolicyKGError, QueryBusy, QueryError, QueryTimeoutError, QueryTooComplex, StoreError,
                             StoreTimeoutError)


# -- result serialization (row-capped) -----------------------------------------

def _term_json(term) -> dict:
    import pyoxigraph as ox
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    # RDF-star triple term
    return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                         "predicate": _term_json(term.predicate),
                                         "object": _term_json(term.object)}}


def _term_xml(term) -> str:
    import pyoxigraph as ox
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml_escape(term.language)}">{_xml_escape(term.value)}</literal>'
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f'<literal datatype="{_xml_escape(term.datatype.value)}">{_xml_escape(term.value)}</literal>'
        return f"<literal>{_xml_escape(term.value)}</literal>"
    return (f"<triple><subject>{_term_xml(term.subject)}</subject><predicate>{_term_xml(term.predicate)}</predicate>"
            f"<object>{_term_xml(term.object)}</object></triple>")


def _csv_cell(term) -> str:
    import pyoxigraph as ox
    if term is None:
        return ""
    v = f"_:{term.value}" if isinstance(term, ox.BlankNode) else (term.value if hasattr(term, "value") else str(term))
    if any(c in v for c in ',"\r\n'):
        v = '"' + v.replace('"', '""') + '"'
    return v


def _tsv_cell(term) -> str:
    return "" if term is None else str(term)  # pyoxigraph's str() is the N-Triples / Turtle form


def serialize_solutions(variables: list[str], rows: list[list], fmt: str, *, truncated: bool = False) -> bytes:
    if fmt == "json":
        doc = {"head": {"vars": variables},
               "results": {"bindings": [{v: _term_json(t) for v, t in zip(variables, row) if t is not None}
                                        for row in rows]}}
        if truncated:
            doc["truncated"] = True  # extra member; clients ignore it, people and our UI read it
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        parts += [f'<variable name="{_xml_escape(v)}"/>' for v in variables]
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f'<binding name="{_xml_escape(v)}">{_term_xml(t)}</binding>'
                      for v, t in zip(variables, row) if t is not None]
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        if truncated:
            parts.insert(1, "<!-- truncated -->")
        return "".join(parts).encode("utf-8")
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in variables)] + ["\t".join(_tsv_cell(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise QueryError(f"unknown results format {fmt}")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f'<boolean>{"true" if value else "false"}</boolean></sparql>\n').encode()
    if fmt in ("csv", "tsv"):
        return (("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + ("true" if value else "false") + "\n").encode()
    raise QueryError(f"unknown results format {fmt}")


def evaluate(store, query: str, *, fmt: str, max_rows: int, default_graphs: Sequence[str] = (),
             named_graphs: Sequence[str] = (), prefixes: dict[str, str] | None = None,
             base_iri: str | None = None, query_dataset: bool = False) -> dict:
    """Run one query on a pyoxigraph store and serialize at most ``max_rows`` results."""
    import pyoxigraph as ox
    kwargs: dict = {"prefixes": prefixes or {}}
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
    try:
        result = store.query(query, **kwargs)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    return serialize_result(result, fmt=fmt, max_rows=max_rows, prefixes=prefixes)


def check_update(update: str, patterns: Sequence[str], *, prefixes: dict[str, str] | None = None,
                 base_iri: str | None = None) -> dict:
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


def serialize_result(result, *, fmt: str, max_rows: int, prefixes: dict[str, str] | None = None) -> dict:
    """A pyoxigraph query result as the protocol's body, cut at ``max_rows``."""
    import pyoxigraph as ox
    if isinstance(result, ox.QueryBoolean):
        return {"kind": "boolean", "body": serialize_boolean(bool(result), fmt), "rows": 1, "truncated": False}
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        solutions, truncated = _take(result, max_rows)
        rows = [[sol[v] for v in variables] for sol in solutions]
        return {"kind": "solutions", "body": serialize_solutions(variables, rows, fmt, truncated=truncated),
                "rows": len(rows), "truncated": truncated}
    triples, truncated = _take(result, max_rows)
    rdf_format = _RDF_OUT[fmt]
    body = ox.serialize(triples, format=rdf_format,
                        prefixes=prefixes if rdf_format == ox.RdfFormat.TURTLE else None)
    return {"kind": "graph", "body": body or b"", "rows": len(triples), "truncated": truncated}


def _take(results, limit: int) -> tuple[list, bool]:
    """At most ``limit`` items of ``results``, and whether there were more (one past the cap is
    read to tell, no further: the rest is never evaluated)."""
    taken = []
    for item in results:
        if len(taken) >= limit:
            return taken, True
        taken.append(item)
    return taken, False


class _RdfOut(dict):
    def __missing__(self, key):
        import pyoxigraph as ox
        table = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
        if key not in table:
            raise QueryError(f"unknown RDF format {key}")
        self[key] = table[key]
        return table[key]


_RDF_OUT = _RdfOut()


# -- worker processes ------------------------------------------------------------

def _isolate_network() -> bool:
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


def _worker_main(conn, isolate: bool) -> None:  # runs in a spawned process
    # Ctrl+C in a terminal reaches the whole process group; the server ends its workers itself,
    # so a worker printing its own KeyboardInterrupt traceback would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    isolated = _isolate_network() if isolate else False
    import pyoxigraph as ox
    conn.send({"ready": True, "isolated": isolated, "pid": os.getpid()})
    store = None
    store_path = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            if "update" in job:
                out = check_update(job["update"], job["patterns"], prefixes=job["prefixes"],
                                   base_iri=job.get("base_iri"))
            else:
                if job["snapshot"] != store_path:
                    store = None
                    store = ox.Store.read_only(job["snapshot"])
                    store_path = job["snapshot"]
                out = evaluate(store, job["query"], fmt=job["fmt"], max_rows=job["max_rows"],
                               default_graphs=job["default_graphs"], named_graphs=job["named_graphs"],
                               prefixes=job["prefixes"], base_iri=job.get("base_iri"),
                               query_dataset=job.get("query_dataset", False))
            conn.send({"ok": True, **out})
        except PolicyKGError as exc:
            conn.send({"ok": False, "code": exc.code, "message": exc.message, "status": exc.http_status})
        except Exception as exc:  # an evaluation error (type error in a function, I/O …)
            conn.send({"ok": False, "code": "query_failed", "message": f"{type(exc).__name__}: {exc}",
                       "status": 400 if isinstance(exc, (ValueError, TypeError)) else 500})


class _Worker:
    def __init__(self, ctx, isolate: bool) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker_main, args=(child, isolate), daemon=True,
                                   name="policykg-query-worker")
        self.process.start()
        child.close()
        hello = self.conn.recv() if self.conn.poll(60) else {}
        if not hello.get("ready"):
            self.kill()
            raise StoreError("a query worker did not start")
        self.isolated = bool(hello.get("isolated"))
        self.snapshot: str | None = None

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


def _snapshot_root(store_path: Path, snapshot_dir: str | None) -> Path:
    """Where checkpoints go: ``snapshot_dir``, else beside the store (same file system, so a
    checkpoint is hard links), else the system temp folder (a checkpoint there is a copy)."""
    if snapshot_dir:
        Path(snapshot_dir).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="policykg-snapshots-", dir=snapshot_dir))
    try:
        return Path(tempfile.mkdtemp(prefix=f".{store_path.name}.snapshots-", dir=store_path.resolve().parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix="policykg-snapshots-"))


class QueryRunner:
    """Time-limited, row-capped query evaluation in killable worker processes."""

    def __init__(self, store, *, workers: int = 2, timeout: float = 30.0, max_rows: int = 10000,
                 snapshot_dir: str | None = None, isolate_network: bool = True,
                 prefixes: dict[str, str] | None = None, queue_wait: float | None = None) -> None:
        import multiprocessing
        self.store = store
        self.timeout = timeout
        #: how long a query waits for a free worker before QueryBusy (its own time limit starts after)
        self.queue_wait = timeout if queue_wait is None else queue_wait
        self._deadlines: dict[int, float] = {}  # id(worker) -> when its current job is stopped
        self.max_rows = max_rows
        self.prefixes = dict(prefixes or {})
        self._ctx = multiprocessing.get_context("spawn")
        self._isolate = isolate_network
        self._snapshot_dir = snapshot_dir
        self._snap_root: Path | None = None
        self._gen = itertools.count(1)
        self._snap_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._current: str | None = None
        self._dirty = True
        self._all: list[_Worker] = []
        self._idle: "queue.Queue[_Worker]" = queue.Queue()
        self.size = max(1, workers)
        self.timeouts = 0
        self.crashes = 0
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
            for _ in range(self.size):
                self._add_worker()
            self.network_isolated = all(w.isolated for w in self._all)
            self.started = True

    # snapshots
    def mark_dirty(self) -> None:
        """Call after every write: the next query reads a fresh checkpoint."""
        self._dirty = True

    def snapshot(self, worker: _Worker | None = None) -> str:
        """The checkpoint of the latest write (taken now if there was a write since the last one).

        ``worker`` is marked as reading it before the lock is let go: marked any later, another
        query's checkpoint could collect this one in the gap, and the worker would open a folder
        that is gone (a 500). Every read and write of ``worker.snapshot`` and of ``_all`` that
        collecting depends on happens under ``_snap_lock``."""
        with self._snap_lock:
            if self._snap_root is None:
                self._snap_root = _snapshot_root(Path(self.store.path), self._snapshot_dir)
            if self._dirty or self._current is None:
                path = self._snap_root / f"gen-{next(self._gen)}"
                self._dirty = False
                # One point in time, each write whole or not at all (OxigraphStore.checkpoint); a write
                # that ends while it is taken marks the runner dirty again (_dirty was cleared first).
                self.store.checkpoint(path)
                self._current = str(path)
                self._collect()
            if worker is not None:
                worker.snapshot = self._current
            return self._current

    def _collect(self) -> None:
        """Remove the checkpoints no worker reads. Call with ``_snap_lock`` held."""
        in_use = {w.snapshot for w in self._all} | {self._current}
        for child in self._snap_root.iterdir():
            if str(child) not in in_use:
                shutil.rmtree(child, ignore_errors=True)

    # workers
    def _add_worker(self) -> None:
        w = _Worker(self._ctx, self._isolate)  # spawning takes a while: not under the lock
        with self._snap_lock:  # _collect iterates _all; a list changed under an iteration skips items
            self._all.append(w)
        self._idle.put(w)

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._snap_lock:
            if dead in self._all:
                self._all.remove(dead)
        if self.closed:
            return
        try:
            self._add_worker()
        except Exception:
            # try again on the next failure; the pool shrinks meanwhile
            pass

    def _replace_later(self, dead: _Worker) -> None:
        """Replace a killed or dead worker in the background: the caller answers at once."""
        threading.Thread(target=self._replace, args=(dead,), daemon=True).start()

    def run(self, query: str, *, fmt: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = (),
            max_rows: int | None = None, timeout: float | None = None, base_iri: str | None = None,
            query_dataset: bool = False) -> dict:
        """Blocking: evaluate in a worker, kill it at the deadline. Call from a thread."""
        job = {"query": query, "fmt": fmt, "max_rows": max_rows or self.max_rows,
               "default_graphs": list(default_graphs), "named_graphs": list(named_graphs),
               "prefixes": self.prefixes, "base_iri": base_iri, "query_dataset": query_dataset}
        return self._call(job, self.timeout if timeout is None else timeout, "query", wait=self.queue_wait)

    def check_update(self, update: str, patterns: Sequence[str] = (), *, base_iri: str | None = None) -> None:
        """Blocking: parse and dry-run ``update`` and its WHERE ``patterns`` in a worker (see the module
        notes); raise if that fails to parse, crashes the worker or outlives the time limit."""
        try:
            self._call({"update": update, "patterns": list(patterns), "prefixes": self.prefixes,
                        "base_iri": base_iri}, self.timeout, "update")
        except QueryTimeoutError:
            raise QueryTooComplex(f"this update could not even be planned within {self.timeout:g} s",
                                  hint="split it into smaller updates") from None

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
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            raise QueryBusy(f"the server is busy: every query worker stayed busy for {wait:g} s",
                            retry_after=self.retry_after(), hint="try again after Retry-After seconds") from None
        # The time limit counts from here: a query that waited for a worker still gets all of it
        # (counted from arrival, one that got a worker late was killed, worker and all, at once).
        deadline = time.monotonic() + limit
        self._deadlines[id(worker)] = deadline
        try:
            return self._on(worker, job, deadline, limit, what)
        finally:
            self._deadlines.pop(id(worker), None)

    def _on(self, worker: _Worker, job: dict, deadline: float, limit: float, what: str) -> dict:
        if "query" in job:
            job["snapshot"] = self.snapshot(worker)
        try:
            worker.conn.send(job)
            remaining = max(0.0, deadline - time.monotonic())
            if not worker.conn.poll(remaining):
                self.timeouts += 1
                self._replace_later(worker)
                raise QueryTimeoutError(f"the {what} ran longer than {limit:g} s and was stopped",
                                        hint="add LIMIT, narrow the patterns, or ask the operator for a longer "
                                             "query_timeout")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            # The worker died: a stack overflow in the parser or planner (a query nested or
            # chained thousands deep) kills the process instead of raising.
            self.crashes += 1
            self._replace_later(worker)
            raise QueryTooComplex(f"this {what} crashed the worker process that read it; it is probably nested "
                                  "or chained too deeply (thousands of groups, UNIONs or patterns)",
                                  hint="split it into smaller queries") from None
        self._idle.put(worker)
        if not reply.get("ok"):
            err = QueryError(reply.get("message", "query failed"))
            err.code = reply.get("code", "bad_query")
            err.http_status = int(reply.get("status", 400))
            raise err
        return reply

    def close(self) -> None:
        self.closed = True
        for w in list(self._all):
            try:
                w.conn.send(None)
            except Exception:
                pass
            w.kill()
        self._all.clear()
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
    crashes = 0

    def __init__(self, store, *, timeout: float = 30.0, max_rows: int = 10000,
                 prefixes: dict[str, str] | None = None) -> None:
        self.store = store
        self.timeout = timeout
        self.max_rows = max_rows
        self.prefixes = dict(prefixes or {})

    def start(self) -> None:
        return None

    def mark_dirty(self) -> None:
        return None

    def check_update(self, update: str, patterns: Sequence[str] = (), *, base_iri: str | None = None) -> None:
        return None  # the remote server parses updates in its own process

    def run(self, query: str, *, fmt: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = (),
            max_rows: int | None = None, timeout: float | None = None, base_iri: str | None = None,
            query_dataset: bool = False) -> dict:
        if base_iri:
            query = f"BASE <{base_iri}>\n" + query
        try:
            result = self.store.query(query, default_graphs=default_graphs, named_graphs=named_graphs)
        except StoreTimeoutError:
            self.timeouts += 1
            raise QueryTimeoutError(f"the SPARQL server did not answer within {self.timeout:g} s") from None
        return serialize_result(result, fmt=fmt, max_rows=max_rows or self.max_rows, prefixes=self.prefixes)

    def close(self) -> None:
        return None


def make_runner(store, *, workers: int, timeout: float, max_rows: int, snapshot_dir: str | None,
                prefixes: dict[str, str], queue_wait: float | None = None):
    """Worker processes over a checkpoint for the embedded store; direct calls for a remote one."""
    from policykg.graph.remote import RemoteStore

    if isinstance(store, RemoteStore):
        return RemoteQueryRunner(store, timeout=timeout, max_rows=max_rows, prefixes=prefixes)
    return QueryRunner(store, workers=workers, timeout=timeout, max_rows=max_rows, snapshot_dir=snapshot_dir,
                       prefixes=prefixes, queue_wait=queue_wait)
