"""Load: readers on a live server while a writer ingests, and every reply is checked.

A real server (uvicorn on 127.0.0.1 over an Oxigraph store on disk, ``support.servers.LiveServer``)
gets, at the same time:

* one writer uploading generated documents through ``POST /documents`` with the token — new
  ones, changed versions of stored ones, removals (``DELETE /graph-store``) and re-additions;
* eight readers mixing SPARQL SELECT and ASK, ``/api/documents`` (list, one, outline), a task
  (``/api/tasks``, ``/api/resource``, ``/api/neighbours``), a program, a division, ``/api/search``,
  ``/id/`` pages and the home page.

Each reply is held against what the writer had done by then (``support/load_scenario.py``'s
``History``): every document is absent or one whole version — the sha256, title, task, target
and triple counts that the extractor computes from that version's file — never a part of one,
never a mix of two, never older than a write the server had acknowledged before the request
was sent. The scenario is bounded in requests and in wall time; latencies are printed
(``-s``), not asserted. ``benchmarks/bench_load.py`` runs the same scenario bigger.

The remote case runs the same readers against ``policykg serve`` fronting a real
``oxigraph serve`` while ``policykg ingest`` (another process) writes into that server.

A tear between two reads of one reply needs a write to land in a gap of microseconds, which a
load run may or may not hit; so the fast tests put a write exactly there, in every route that
composes its reply of several reads (the home page, ``/api/neighbours``, ``/api/explore/node``
and ``/details``, ``/api/trace``), and find the reply read again. Without a server they hold the
other parts to the same promise: the checkpoints ``/sparql`` reads (taken without the write
lock) and the sequence lock itself, which neither starves a reader nor deadlocks two. (The label
index that follows writes graph by graph is tested in tests/test_label_index.py.)
"""

from __future__ import annotations

import html
import re
import threading

import httpx
import pytest

from policykg.api.rest import Neighbourhood
from policykg.graph import documents, neighbourhood, resources, trace
from policykg.graph.results import plural
from policykg.graph.store import OxigraphStore
from support import load_scenario as bench_load
from support.common import API_TOKEN, run_cli, store_version
from support.servers import LiveServer, OxigraphServer

DOCS, CHANGED, REMOVED = 24, 8, 4  # 24 + 8 + 4 + 4 + 4 = 44 writes
READERS, MAX_READS, DEADLINE_S = 8, 1500, 40.0


@pytest.fixture(scope="module")
def versions():
    """Two versions of each generated document (same file names, other content), with their expected sizes."""
    first, second = bench_load.corpus_versions(DOCS, seeds=(0, 1))
    changed = list(first)[:CHANGED]
    assert all(first[d].sizes() != second[d].sizes() for d in changed), "versions must differ to tell a mix"
    return first, second


# -- two reads of several typed queries each, beside bench_load's ----------------------------------


def _neighbourhood(store, iri: str) -> Neighbourhood:
    """What /api/neighbours answers about ``iri`` with its default parameters."""
    return Neighbourhood(resources.node_info(store, iri), neighbourhood.neighbours(store, iri))


def read_api_neighbours(c: httpx.Client, ctx, doc: str):
    """A task and its neighbours (node_info, then neighbours): both as one version shows them."""
    iri = bench_load._task_iri(ctx, doc)
    r = c.get(ctx.base + "/api/neighbours", params={"iri": iri})
    return r, bench_load._one_node(ctx, doc, iri, r, _neighbourhood, "/api/neighbours")


_HOME_COUNT = re.compile(r"<tr><td>(\w+)</td><td class=num>(\d+)</td></tr>")
_HOME_ROW = re.compile(
    r'<tr><td><a href="/id/doc/([^"]+)">(.*?)</a></td><td>.*?</td><td>.*?</td>'
    r"<td class=num>(\d+)</td><td class=num>(\d+)</td><td class=num>(\d+)</td></tr>"
)


def read_home(c: httpx.Client, ctx, _doc: str):
    """The home page: its counts (overview) add up to its table of documents (list_documents), and
    each row is one whole allowed version; every document not in the table is allowed absent."""
    r = c.get(ctx.base + "/")

    def check(t0: float, t1: float) -> list[str]:
        counts = {k: int(v) for k, v in _HOME_COUNT.findall(r.text)}
        rows = {
            doc: (html.unescape(title), int(sections), int(tasks), int(targets))
            for doc, title, sections, tasks, targets in _HOME_ROW.findall(r.text)
        }
        problems = [
            bench_load.match_version(ctx.history, doc, t0, t1, (title, tasks, targets, None), None, "home page")
            for doc, (title, _, tasks, targets) in rows.items()
        ]
        problems += [
            bench_load.check_seen(ctx.history, d, t0, t1, None, "home page")
            for d in ctx.history.doc_ids
            if d not in rows
        ]
        table = {
            "PolicyDocument": len(rows),
            "Section": sum(x[1] for x in rows.values()),
            "Task": sum(x[2] for x in rows.values()),
            "Target": sum(x[3] for x in rows.values()),
        }
        shown = {k: counts.get(k) for k in table}
        if shown != table or f"{plural(len(rows), 'document')}," not in r.text:
            problems.append(f"home page: counts {shown} above a table of {table}")
        return bench_load._problems(*problems)

    return r, check


@pytest.fixture()
def reads(monkeypatch):
    """bench_load's mix of reads, plus the two above for the time of the test."""
    monkeypatch.setitem(bench_load.READS, "/api/neighbours (a task)", read_api_neighbours)
    monkeypatch.setitem(bench_load.READS, "/ (home page)", read_home)
    monkeypatch.setattr(bench_load, "MAY_BE_ABSENT", bench_load.MAY_BE_ABSENT | {"/api/neighbours (a task)"})


@pytest.fixture()
def live(tmp_path):
    server = LiveServer(tmp_path / "store", write_token=API_TOKEN, query_timeout=20.0, max_rows=10_000)
    yield server
    server.stop()


def _report(name: str, samples: list, wall: float) -> None:
    s = bench_load.summary(samples, wall)
    print(
        f"\n{name}: {s['requests']} requests in {s['seconds']:.1f}s ({s['per_s']:.0f}/s), "
        f"p50 {s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.0f} ms"
    )
    for kind, k in bench_load.by_kind(samples).items():
        print(
            f"  {kind:<38} {k['requests']:>5}  p50 {k['p50_ms']:7.1f}  p95 {k['p95_ms']:7.1f}  "
            f"p99 {k['p99_ms']:7.1f} ms"
        )


@pytest.mark.slow
def test_readers_see_only_whole_documents_while_a_writer_ingests(live, versions, reads):
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
    load, writer = bench_load.concurrent(
        ctx, writer, script, readers=READERS, max_reads=MAX_READS, deadline_s=DEADLINE_S
    )
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
    stored = {
        r["g"].value.rsplit("/", 1)[-1]: r["sha"].value
        for r in live.store.query("SELECT ?g ?sha WHERE { GRAPH ?g { ?g pkg:sha256 ?sha } }")
    }
    assert stored == {d: v.sha256 for d, v in final.items() if v is not None}


@pytest.mark.slow
@pytest.mark.remote
def test_readers_see_only_whole_documents_while_the_cli_ingests_into_a_remote_store(versions, reads, tmp_path):
    """`policykg ingest` into a real `oxigraph serve` (changed documents by PUT, new ones in bulk POSTs of
    one document each) while `policykg serve` in front of the same server answers 8 readers (the reads of
    one snapshot): every reply shows each document absent or one whole version, and every reply after
    the ingest — of every kind — the new state."""
    first, second = versions
    ids = list(first)
    old, new = ids[: DOCS // 2], ids[DOCS // 2 :]
    uploads = [second[d] for d in old[:CHANGED]] + [first[d] for d in new]
    before = bench_load.write_corpus(tmp_path / "before", [first[d] for d in old])
    after_dir = bench_load.write_corpus(tmp_path / "after", uploads)
    oxigraph = OxigraphServer(tmp_path / "oxigraph")
    server = None
    try:
        store = oxigraph.url
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
                result.append(
                    run_cli(
                        "ingest",
                        "--store",
                        store,
                        "-q",
                        "--workers",
                        "1",
                        str(after_dir),
                        env={"POLICYKG_INGEST_BATCH_BYTES": "1"},
                    )
                )
                if result[0].returncode == 0:
                    for op in ops:
                        history.done(op)
            finally:
                finished.set()

        writer = threading.Thread(target=ingest, name="policykg-ingest")
        # Only reads of one snapshot: a reply of several queries has no common view on a store
        # that another process writes (the embedded store's sequence lock is in this process).
        load = bench_load.ReadLoad(
            ctx,
            readers=READERS,
            max_requests=MAX_READS,
            deadline_s=DEADLINE_S,
            until=finished.is_set,
            kinds=bench_load.ONE_SNAPSHOT_READS,
        )
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
        oxigraph.stop()


# -- a write between the reads of one reply ----------------------------------------------------


@pytest.fixture(scope="module")
def torn(versions, tmp_path_factory):
    """A server over the first versions, a document whose second version changes a program's
    tasks, and that program's name."""
    first, second = versions
    server = LiveServer(tmp_path_factory.mktemp("torn") / "store")
    for v in first.values():
        store_version(server.store, v)
    doc, program = next(
        (d, first[d].facts.names[e])
        for d in first
        for e, tasks in first[d].facts.mentioned_by.items()
        if "/program/" in e
        and e in first[d].facts.names
        and tasks
        and second[d].facts.mentioned_by.get(e) not in (None, tasks)
    )
    yield server, doc, program
    server.stop()


@pytest.mark.parametrize(
    "path, between",
    [
        ("/", (documents, "list_documents")),  # counts (overview), then the table
        ("/api/neighbours", (neighbourhood, "neighbours")),  # the node, then its neighbours
        ("/api/explore/node", (neighbourhood, "node_cards")),  # neighbour groups, then the nodes' labels
        ("/api/explore/details", (resources, "own_evidence")),  # the node's card, then its quote
        ("/api/trace", (trace, "_part_facts")),  # the program's tasks, then what each task is
    ],
    ids=lambda x: x if isinstance(x, str) else x[1],
)
def test_a_reply_of_several_reads_shows_the_state_after_a_write_that_came_between(
    torn, versions, monkeypatch, path, between
):
    """A document is replaced between two of the reads a reply is made of: the reply is read again and
    equals the reply to a request sent after the write — never the first reads' version of the
    document beside the later reads' version."""
    server, doc, program = torn
    first, second = versions
    iri = f"{server.settings.base_iri}doc/{doc}"
    params = {"/": {}, "/api/trace": {"program": program}, "/api/neighbours": {"iri": iri}}.get(
        path, {"iri": iri + "/task/1"}
    )  # the title beside the parts
    module, name = between
    read = getattr(module, name)
    writes = []

    def write_first(*args, **kwargs):
        if not writes:
            writes.append(store_version(server.store, second[doc]))
        return read(*args, **kwargs)

    def get() -> str:
        r = httpx.get(server.url + path, params=params, timeout=30)
        assert r.status_code == 200, r.text[:300]
        return r.text

    try:
        before = get()
        monkeypatch.setattr(module, name, write_first)
        during = get()
        monkeypatch.undo()
        after = get()
    finally:
        store_version(server.store, first[doc])
    assert writes, f"{name} was not called: the write came between no reads"
    assert before != after, "the two versions look the same here: the test would prove nothing"
    assert during == after


# -- the parts, without a server ---------------------------------------------------------------


def _whole_documents(store: OxigraphStore, first: dict, second: dict) -> list[str]:
    """Documents of ``store`` that are not exactly one version (sha256, title, tasks, targets, triples)."""
    problems = []
    for r in store.query(bench_load.DOCUMENTS_SPARQL):
        doc = r["g"].value.rsplit("/", 1)[-1]
        seen = (
            r["title"].value if r["title"] else None,
            int(r["nt"].value if r["nt"] else 0),
            int(r["ng"].value if r["ng"] else 0),
            int(r["n"].value),
        )
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
        store_version(store, v)
    changed = list(first)[:CHANGED]
    stop = threading.Event()

    def writer() -> None:
        k = 0
        while not stop.is_set():
            store_version(store, (second if k % 2 == 0 else first)[changed[k % len(changed)]])
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
        t = threading.Thread(
            target=store.update,
            args=(f"INSERT DATA {{ GRAPH <http://x/g> {{ <http://x/a> <http://x/b> {len(writes)} }} }}",),
        )
        writes.append(t)
        t.start()
        t.join(0.3)
        return store.count()

    assert store.read_consistently(read, attempts=2) == 2, "two writes interrupted it, the third waited"
    assert [t.is_alive() for t in writes[:2]] == [False, False]
    writes[2].join(5)
    assert store.count() == 3, "the write held off went through afterwards"


def test_a_read_holding_writes_off_and_a_read_it_waits_for_both_end():
    """Two reads out of attempts: the first holds the write lock and waits for the second (as a read
    that needs the label index waits for the reader building it); the second does not wait for the
    lock the first holds — it reads while writes are held off — so both end, neither deadlocks."""
    store = OxigraphStore(None)
    holding, second_done, results = threading.Event(), threading.Event(), {}

    def first() -> bool:
        holding.set()
        return second_done.wait(10)

    thread = threading.Thread(target=lambda: results.update(first=store.read_consistently(first, attempts=0)))
    thread.start()
    assert holding.wait(10)
    results["second"] = store.read_consistently(store.count, attempts=0)
    second_done.set()
    thread.join(10)
    assert results == {"first": True, "second": 0}, "the first read waited in vain: the second was stuck"
