"""Ingests killed on purpose, and what the store must hold afterwards.

A generated corpus (:mod:`support.generate_corpus`) with what a clean ingest makes of it,
document by document; ``policykg ingest -v`` killed (or its remote store killed) after it
reported a number of documents stored; and the checks that the store holds whole documents
only. Shared by ``test_faults.py`` (an embedded store) and ``test_faults_remote.py`` (a
remote one).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from policykg.graph.ingest import extract_document, ingest_corpus
from policykg.graph.iris import IriScheme
from policykg.graph.sources import list_sources
from policykg.graph.store import OxigraphStore, orphan_entity_graphs
from support import generate_corpus
from support.common import quads_of
from support.servers import POLICYKG

_STORED_LINE = re.compile(r"^(?:added|replaced) +.* -> <([^>]+)>$", re.M)
_WRITE_LINE = re.compile(rb"^(?:added|replaced) .*\n", re.M)
_SUMMARY = re.compile(r"(\d+) added, (\d+) replaced, (\d+) unchanged, (\d+) failed")


# -- the corpus and what a clean ingest makes of it ---------------------------------------------
@dataclass(frozen=True)
class Corpus:
    folder: Path
    own: dict[str, frozenset[str]]  # document graph -> its quads (N-Quads lines)
    shared: dict[str, frozenset[str]]  # document graph -> what it adds to shared entities' graphs
    clean: frozenset[str]  # every quad of a clean one-shot ingest of the folder


def _lines(quads) -> frozenset[str]:
    """Quads as N-Quads lines, after a trip through a store (its canonical literal forms)."""
    mem = ox.Store()
    mem.extend(quads)
    return frozenset(mem.dump(format=ox.RdfFormat.N_QUADS).decode().splitlines())


def _by_graph(lines) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in lines:
        out.setdefault(line[line.rindex("<") + 1 : line.rindex(">")], set()).add(line)
    return out


def make_corpus(folder: Path, count: int, seed: int) -> Corpus:
    generate_corpus.generate(folder, count, seed=seed)
    own, shared = {}, {}
    for src in list_sources([folder]):
        ex = extract_document(src.path.read_bytes(), src.name)
        quads = list(ox.parse(ex.nquads, format=ox.RdfFormat.N_QUADS))
        own[ex.graph] = _lines(q for q in quads if q.graph_name.value == ex.graph)
        shared[ex.graph] = _lines(q for q in quads if q.graph_name.value != ex.graph)
    clean = OxigraphStore(None)
    report = ingest_corpus(clean, [folder], IriScheme(), workers=1)
    assert not report.failed
    return Corpus(folder, own, shared, quads_of(clean))


def check_whole(store, corpus: Corpus) -> set[str]:
    """Assert the store holds whole documents of ``corpus`` only; return their graphs."""
    everything = quads_of(store)
    graphs = _by_graph(everything)
    docs = {d.iri for d in store.documents()}
    assert docs <= corpus.own.keys(), f"documents that are not in the corpus: {sorted(docs - corpus.own.keys())}"
    for g in sorted(docs):
        assert graphs[g] == corpus.own[g], f"half a document: {g} has {len(graphs[g])} of {len(corpus.own[g])} quads"
        missing = corpus.shared[g] - everything
        assert not missing, f"{g} is stored but {len(missing)} quads it adds to its entities are not"
    partial = {g for g in graphs if g in corpus.own and g not in docs}
    assert not partial, f"graphs of documents that never became whole: {sorted(partial)}"
    assert orphan_entity_graphs(store) == [], "entity graphs no document reaches"
    assert everything <= corpus.clean, "quads a clean ingest does not make"
    return docs


def check_whole_on_disk(path: Path, corpus: Corpus) -> set[str]:
    """Open the store read-write (a lock left behind would fail here) and check it."""
    store = OxigraphStore(path)
    try:
        return check_whole(store, corpus)
    finally:
        store.close()


def summary(stderr: str) -> dict[str, int]:
    m = _SUMMARY.search(stderr)
    assert m, stderr[-2000:]
    return dict(zip(["added", "replaced", "unchanged", "failed"], map(int, m.groups()), strict=True))


# -- killing an ingest ---------------------------------------------------------------------------
def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _running(pids: set[int]) -> set[int]:
    """The processes among ``pids`` still running (a zombie waits for its reaper, it runs no more)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def left_running(pids: set[int], timeout: float = 10.0) -> set[int]:
    """The processes among ``pids`` still running after waiting up to ``timeout`` seconds for them to end."""
    deadline = time.monotonic() + timeout
    while _running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _running(pids)


@dataclass
class Run:
    returncode: int
    stderr: str
    reported: set[str]  # document graphs the ingest said were stored
    leftovers: set[int]  # its helper processes (forkserver, workers) still running after it died


def ingest_and_kill(
    store: str, folder: Path, *, workers: int, after: int, delay: float, batch_bytes: int | None = None, kill=None
) -> Run:
    """`policykg ingest -v` until it has stored ``after`` documents, ``delay`` seconds more, then SIGKILL.

    ``kill`` (default: the ingest itself) is what gets the SIGKILL, e.g. a remote store's server.
    """
    env = {**os.environ}
    if batch_bytes:
        env["POLICYKG_INGEST_BATCH_BYTES"] = str(batch_bytes)
    proc = subprocess.Popen(
        [POLICYKG, "ingest", "--store", store, "-j", str(workers), "-v", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    fd = proc.stderr.fileno()  # read unbuffered: every byte read is in `err`
    err = b""
    while len(_WRITE_LINE.findall(err)) < after:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        err += chunk
    time.sleep(delay)
    helpers = descendants(proc.pid)
    (kill or proc.kill)()
    # Read what it wrote before dying. Orphaned helpers holding the pipe would keep it open: bounded.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            err += chunk
    proc.stderr.close()
    returncode = proc.wait(60)
    leftovers = left_running(helpers)
    text = err.decode("utf-8", "replace")
    return Run(returncode, text, set(_STORED_LINE.findall(text)), leftovers)
