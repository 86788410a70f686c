"""Load: readers on a live server while a writer ingests, and every reply is checked.

A real server (uvicorn on 127.0.0.1 over an Oxigraph store on disk, the conftest ``LiveServer``)
gets, at the same time:

* one writer uploading generated documents through ``POST /documents`` with the token — new
  ones, changed versions of stored ones, removals (``DELETE /graph-store``) and re-additions;
* eight readers mixing SPARQL SELECT and ASK, ``/api/documents`` (list, one, outline),
  ``/api/search`` and ``/id/`` pages.

Each reply is held against what the writer had done by then (``benchmarks/bench_load.py``'s
``History``): every document is absent or one whole version — the sha256, title, task, target
and triple counts that the extractor computes from that version's file — never a part of one,
never a mix of two, never older than a write the server had acknowledged before the request
was sent. The scenario is bounded in requests and in wall time; latencies are printed
(``-s``), not asserted. ``benchmarks/bench_load.py`` runs the same scenario bigger.

The remote case runs the same readers against ``policykg serve`` fronting a real
``oxigraph serve`` while ``policykg ingest`` (another process) writes into that server.

The fast tests below hold the parts that make this work to the same promise without a server:
the checkpoints ``/sparql`` reads (taken without the write lock), the sequence lock that makes a
reply of several queries one view, and the label index that follows writes graph by graph.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import threading

import httpx
import pytest

from conftest import API_TOKEN, REPO, LiveServer, run_cli
from policykg.graph import queries as q
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore

_spec = importlib.util.spec_from_file_location("bench_load", REPO / "benchmarks" / "bench_load.py")
bench_load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = bench_load
_spec.loader.exec_module(bench_load)

DOCS, CHANGED, REMOVED = 24, 8, 4  # 24 + 8 + 4 + 4 + 4 = 44 writes
READERS, MAX_READS, DEADLINE_S = 8, 1500, 40.0


@pytest.fixture(scope="module")
def versions():
    """Two versions of each generated document (same file names, other content), with their expected sizes."""
    first, second = bench_load.corpus_versions(DOCS, seeds=(0, 1))
    changed = list(first)[:CHANGED]
    assert all(first[d].sizes() != second[d].sizes() for d in changed), "versions must differ to tell a mix"
    return first, second


@pytest.fixture()
def live(tmp_path):
    server = LiveServer(tmp_path / "store", write_token=API_TOKEN, query_timeout=20.0, max_rows=10_000)
    yield server
    server.stop()


def _report(name: str, samples: list, wall: float) -> None:
    s = bench_load.summary(samples, wall)
    print(f"\n{name}: {s['requests']} requests in {s['seconds']:.1f}s ({s['per_s']:.0f}/s), "
          f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.0f} ms")
    for kind, k in bench_load.by_kind(samples).items():
        print(f"  {kind:<38} {k['requests']:>5}  p50 {k['p50_ms']:7.1f}  p95 {k['p95_ms']:7.1f}  "
              f"p99 {k['p99_ms']:7.1f} ms")


@pytest.mark.slow
def test_readers_see_only_whole_documents_while_a_writer_ingests(live, versions):
    """8 readers × SPARQL/API/pages during 44 uploads, removals and re-uploads: no failed request,
    every document absent or one whole version, none older than an acknowledged write."""
    first, second = versions
    history = bench_load.History({d: None for d in first})
    ctx = bench_load.ReadContext(live.url, history, base_iri=live.settings.base_iri)
    script = bench_load.mixed_script(first, second, changed=CHANGED, removed=REMOVED)
    with httpx.Client(timeout=60) as c:
        warm = bench_load.one_read(c, ctx, "SPARQL ASK", history.doc_ids[0])
    assert warm.problem is None, warm.problem  # the query workers are up before the clock runs

    writer = bench_load.Writer(live.url, API_TOKEN, history, base_iri=live.settings.base_iri)
    load, writer = bench_load.concurrent(ctx, writer, script, readers=READERS, max_reads=MAX_READS,
                                         deadline_s=DEADLINE_S)
    _report("readers while the writer ingests", load.samples, load.wall)
    _report("writer", writer.samples, writer.wall)

    assert bench_load.problems(writer.samples) == []
    assert len(writer.samples) == len(script), "the writer finished within the deadline"
    found = bench_load.problems(load.samples)
    assert found == [], f"{len(found)} of {len(load.samples)} reads went wrong, e.g.:\n" + "\n".join(found[:10])
    kinds = {s.kind for s in load.samples}
    assert kinds == set(bench_load.READS), f"every kind of read ran: missing {set(bench_load.READS) - kinds}"
    assert len(load.samples) >= 4 * READERS, "the readers really ran alongside the writer"

    # After the last acknowledged write every reader sees the final state, and the store holds it.
    final = {w.doc_id: w.state for w in script}
    after = bench_load.ReadLoad(ctx, readers=2, max_requests=2 * len(bench_load.READS), deadline_s=20)
    assert bench_load.problems(after.run()) == []
    stored = {r["g"].value.rsplit("/", 1)[-1]: r["sha"].value for r in live.store.query(
        "SELECT ?g ?sha WHERE { GRAPH ?g { ?g pkg:sha256 ?sha } }")}
    assert stored == {d: v.sha256 for d, v in final.items() if v is not None}


@pytest.mark.slow
@pytest.mark.remote
def test_readers_see_only_whole_documents_while_the_cli_ingests_into_a_remote_store(versions, tmp_path):
    """`policykg ingest` into a real `oxigraph serve` (changed documents by PUT, new ones in bulk POSTs of
    one document each) while `policykg serve` in front of the same server answers 8 readers (the reads of
    one snapshot): every reply shows each document absent or one whole version, and every reply after
    the ingest — of every kind — the new state."""
    from test_remote_store import OXIGRAPH, start_oxigraph

    if OXIGRAPH is None:
        pytest.skip("the `oxigraph` server binary is missing (it is in policykg's [test] extra)")
    first, second = versions
    ids = list(first)
    old, new = ids[:DOCS // 2], ids[DOCS // 2:]
    uploads = [second[d] for d in old[:CHANGED]] + [first[d] for d in new]
    before, after_dir = tmp_path / "before", tmp_path / "after"
    for folder, docs in ((before, [first[d] for d in old]), (after_dir, uploads)):
        folder.mkdir()
        for v in docs:
            (folder / v.name).write_bytes(v.data)
    proc, base = start_oxigraph(tmp_path / "oxigraph")
    server = None
    try:
        store = base + "/query"
        run_cli("ingest", "--store", store, "-q", str(before), check=True)
        server = LiveServer(store, query_timeout=20.0, max_rows=10_000)
        history = bench_load.History({d: first[d] if d in old else None for d in ids})
        ctx = bench_load.ReadContext(server.url, history, base_iri=server.settings.base_iri)
        finished = threading.Event()
        result: list = []

        def ingest() -> None:
            # One CLI run writes every document: each may be in either state until the process exits.
            ops = [history.begin(v.doc_id, v) for v in uploads]
            try:
                result.append(run_cli("ingest", "--store", store, "-q", "--workers", "1", str(after_dir),
                                      env={"POLICYKG_INGEST_BATCH_BYTES": "1"}))
                if result[0].returncode == 0:
                    for op in ops:
                        history.done(op)
            finally:
                finished.set()

        writer = threading.Thread(target=ingest, name="policykg-ingest")
        # Only reads of one snapshot: a reply of several queries has no common view on a store
        # that another process writes (the embedded store's sequence lock is in this process).
        load = bench_load.ReadLoad(ctx, readers=READERS, max_requests=MAX_READS, deadline_s=DEADLINE_S,
                                   until=finished.is_set, kinds=bench_load.ONE_SNAPSHOT_READS)
        writer.start()
        load.run()
        writer.join(DEADLINE_S)
        _report("readers while `policykg ingest` writes to the Oxigraph server", load.samples, load.wall)

        assert result and result[0].returncode == 0, result and result[0].stderr.decode(errors="replace")
        found = bench_load.problems(load.samples)
        assert found == [], f"{len(found)} of {len(load.samples)} reads went wrong, e.g.:\n" + "\n".join(found[:10])
        assert len(load.samples) >= 2 * READERS, "the readers really ran alongside the ingest"
        final = bench_load.ReadLoad(ctx, readers=2, max_requests=2 * len(bench_load.READS), deadline_s=20)  # all
        assert bench_load.problems(final.run()) == []
    finally:
        if server is not None:
            server.stop()
        proc.terminate()
        proc.wait(10)



# -- the parts, without a server ---------------------------------------------------------------

def _store_version(store: OxigraphStore, v) -> None:
    store.replace_graph(IriScheme().graph(v.doc_id), list(v.quads), v.sha256)


def _whole_documents(store: OxigraphStore, first: dict, second: dict) -> list[str]:
    """Documents of ``store`` that are not exactly one version (sha256, title, tasks, targets, triples)."""
    problems = []
    for r in store.query(bench_load.DOCUMENTS_SPARQL):
        doc = r["g"].value.rsplit("/", 1)[-1]
        seen = (r["title"].value if r["title"] else None, int(r["nt"].value if r["nt"] else 0),
                int(r["ng"].value if r["ng"] else 0), int(r["n"].value))
        if not any(v.sha256 == r["sha"].value and v.sizes() == seen for v in (first[doc], second[doc])):
            problems.append(f"{doc}: {r['sha'].value[:8]} with title/tasks/targets/triples {seen}")
    return problems


def test_checkpoints_taken_while_documents_are_replaced_hold_each_document_whole(versions, tmp_path):
    """/sparql reads RocksDB checkpoints taken without the store's write lock, while a writer
    replaces documents back and forth: every checkpoint holds each document as one whole version
    (sha256, title, tasks, targets and triples of the same version), never half a write."""
    first, second = versions
    store = OxigraphStore(tmp_path / "store")
    for v in first.values():
        _store_version(store, v)
    changed = list(first)[:CHANGED]
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            _store_version(store, (second if k % 2 == 0 else first)[changed[k % len(changed)]])
            k += 1

    thread = threading.Thread(target=writer, name="writer")
    thread.start()
    overlapped = 0
    try:
        for n in range(40):
            before = store.generation
            store.checkpoint(tmp_path / f"checkpoint-{n}")
            overlapped += store.generation != before or before % 2
            copy = OxigraphStore(tmp_path / f"checkpoint-{n}", read_only=True)
            assert _whole_documents(copy, first, second) == [], f"checkpoint {n}"
            assert len(list(copy.query(bench_load.DOCUMENTS_SPARQL))) == DOCS
            copy.close()
            if overlapped >= 5:
                break
    finally:
        stop.set()
        thread.join(30)
    assert overlapped, "no checkpoint was taken while a write was under way: the test proved nothing"


def test_a_reply_of_several_queries_is_read_again_when_a_write_came_between():
    """A typed read composed of several queries (a task with its targets, a program with its
    tasks…) is retried when a write happened during it, so it never mixes two states."""
    store = OxigraphStore(None)
    seen = []

    def read() -> tuple[int, int]:
        a = store.count()
        if not seen:  # a write between the two queries of the first attempt
            store.update("INSERT DATA { GRAPH <http://x/g> { <http://x/a> <http://x/b> 1 } }")
        b = store.count()
        seen.append((a, b))
        return a, b

    assert store.read_consistently(read) == (1, 1)
    assert seen == [(0, 1), (1, 1)]


def test_a_read_that_writes_keep_interrupting_finally_holds_them_off():
    """When writes come during every attempt, the read runs once more holding the write lock: it
    ends (no reader starves) and the write waits for it, then goes through."""
    store = OxigraphStore(None)
    writes: list[threading.Thread] = []

    def read() -> int:
        t = threading.Thread(target=store.update, args=(f"INSERT DATA {{ GRAPH <http://x/g> {{ <http://x/a> "
                                                        f"<http://x/b> {len(writes)} }} }}",))
        writes.append(t)
        t.start()
        t.join(0.3)
        return store.count()

    assert store.read_consistently(read, attempts=2) == 2, "two writes interrupted it, the third waited"
    assert [t.is_alive() for t in writes[:2]] == [False, False]
    writes[2].join(5)
    assert store.count() == 3, "the write held off went through afterwards"


def test_search_after_each_upload_or_removal_finds_what_a_fresh_index_finds(versions, monkeypatch):
    """/api/search's label index is updated after a write by reading only the graphs written. After
    each of 40 random uploads (either version), removals and SPARQL updates, searches give the
    same hits as an index read from scratch — and only the SPARQL updates read everything again."""
    first, second = versions
    store = OxigraphStore(None)
    docs = list(first)[:10]
    full_reads = []
    graph_facts = q.graph_facts

    def counted(s, graphs):
        full_reads.append(graphs is None)
        return graph_facts(s, graphs)

    monkeypatch.setattr(q, "graph_facts", counted)
    rnd = random.Random(0)
    updates = 0
    for step in range(40):
        doc, roll = rnd.choice(docs), rnd.random()
        if roll < 0.2:
            store.remove_graph(IriScheme().graph(doc))
        elif roll < 0.25:
            updates += 1
            store.update(f'INSERT DATA {{ GRAPH <http://x/extra> {{ <http://x/p{step}> a pkg:Program ; '
                         f'rdfs:label "额外工程{step}" }} }}')
        else:
            _store_version(store, rnd.choice((first, second))[doc])
        for text in ("工程", "教育", "发展", "市"):
            updated = q.search_labels(store, text, limit=200)
            fresh = q.LabelIndex(graph_facts(store, None))
            with monkeypatch.context() as m:
                m.setattr(q, "label_index", lambda s: fresh)
                assert updated == q.search_labels(store, text, limit=200), f"step {step}, {text!r}"
    assert full_reads.count(True) == 1 + updates, "everything read again only at the start and after SPARQL updates"
    assert full_reads.count(False) > 20, "the uploads and removals were followed graph by graph"
