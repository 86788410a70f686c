"""Memory, reply size, checkpoints and /health: the server stays up and says the truth.

Issue 12 (hardening, round two): an anonymous 818-byte query doubling a string returned
537 MB and took its worker to 3.6 GB; a sort of a cross join took one to 5 GB; two failed
checkpoints left /sparql answering 503 until a restart while /health said ok; a full disk
kept refusing writes after space returned; checkpoint folders of crashed servers stayed.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from support.common import SERVER_ENV, SERVER_MEMORY, assert_refused, copy_store, run_cli, serve
from support.servers import POLICYKG, LiveServer, assert_serves

MEMORY = 400_000_000  # a worker's cap in these tests: far below what the bombs below need
REPLY = 20_000  # bytes: the reply cap in these tests

#: 16 characters doubled 27 times: a 2 GB string, built inside the query engine.
DOUBLING = (
    'SELECT (STRLEN(?a27) AS ?n) { BIND("abcdefghijklmnop" AS ?a0) '
    + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(27))
    + " }"
)
#: The issue's sort of a cross join, one pattern wider so that the API store is big enough.
SORTED_JOIN = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?f ?i LIMIT 1"


@pytest.fixture(scope="module")
def capped(api_store_template, tmp_path_factory):
    env = {
        **SERVER_ENV,
        "POLICYKG_QUERY_MEMORY": str(MEMORY),
        "POLICYKG_MAX_REPLY_BYTES": str(REPLY),
        "POLICYKG_QUERY_TIMEOUT": "20",
    }
    server = serve(api_store_template, tmp_path_factory.mktemp("capped"), env=env, memory=SERVER_MEMORY, digest=False)
    yield server
    server.stop()


def _ask(server, query: str, accept: str = "application/sparql-results+json") -> httpx.Response:
    return httpx.post(server.url + "/sparql", data={"query": query}, headers={"accept": accept}, timeout=60)


@pytest.mark.parametrize("query", [DOUBLING, SORTED_JOIN], ids=["doubled-string", "sorted-cross-join"])
def test_a_query_that_needs_more_memory_than_a_worker_may_take_is_stopped(capped, query):
    r = _ask(capped, query)
    err = assert_refused(r, 503, "query_memory")
    assert "0.4 GB of memory" in err["message"] and "query_memory" in err["hint"]
    assert capped.peak_rss_kb() < 400_000, "the server process itself grew"
    assert_serves(capped)  # the worker was replaced; the next query is answered
    assert "a query worker died" in capped.log()  # the operator reads why


def test_a_reply_is_cut_at_max_reply_bytes_and_says_so(capped):
    r = _ask(capped, "SELECT ?s ?p ?o { ?s ?p ?o }")
    assert r.status_code == 200 and r.headers["x-policykg-truncated"] == "true"
    assert len(r.content) <= REPLY
    body = r.json()  # still one whole JSON document
    assert body["truncated"] is True and 10 < len(body["results"]["bindings"]) == int(r.headers["x-policykg-rows"])
    r = _ask(capped, "SELECT ?s ?p ?o { ?s ?p ?o }", accept="text/csv")
    assert r.status_code == 200 and r.headers["x-policykg-truncated"] == "true" and len(r.content) <= REPLY
    assert (
        r.text.endswith("\r\n") and len(list(csv.reader(io.StringIO(r.text)))) == int(r.headers["x-policykg-rows"]) + 1
    )


def test_a_reply_that_is_one_giant_value_comes_back_empty_and_truncated(capped):
    giant = (
        'SELECT ?a16 { BIND("abcdefghijklmnop" AS ?a0) '
        + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(16))
        + " }"
    )  # 1 MB
    r = _ask(capped, giant)
    assert r.status_code == 200 and r.headers["x-policykg-truncated"] == "true"
    assert r.json()["results"]["bindings"] == [] and len(r.content) < 200


FORMULAS = (
    'SELECT ?f ?at ?text ?neg ?num { BIND("=HYPERLINK(\\"http://x.example/\\",\\"click\\")" AS ?f) '
    'BIND("@SUM(A1:A9)" AS ?at) BIND("plain, with a comma" AS ?text) BIND("-5" AS ?neg) BIND(-7 AS ?num) }'
)


def test_csv_and_tsv_cells_that_would_start_a_spreadsheet_formula_are_defused(served):
    r = httpx.post(served.url + "/sparql", data={"query": FORMULAS}, headers={"accept": "text/csv"}, timeout=30)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[1] == [
        '\'=HYPERLINK("http://x.example/","click")',
        "'@SUM(A1:A9)",
        "plain, with a comma",
        "-5",
        "-7",
    ]  # numbers stay numbers
    r = httpx.post(
        served.url + "/sparql", data={"query": FORMULAS}, headers={"accept": "text/tab-separated-values"}, timeout=30
    )
    cells = r.text.splitlines()[1].split("\t")
    assert cells[0].startswith("\"'=HYPERLINK") and cells[1] == '"\'@SUM(A1:A9)"'
    assert cells[3] == '"-5"' and cells[4].startswith('"-7"^^')  # numbers stay numbers


def test_policykg_query_writes_csv_through_the_same_defused_serializer(sample_store_path):
    proc = run_cli("query", "--store", str(sample_store_path), "--format", "csv", FORMULAS, check=True)
    row = next(csv.reader(io.StringIO(proc.stdout.decode().splitlines()[1])))
    assert row[:2] == ['\'=HYPERLINK("http://x.example/","click")', "'@SUM(A1:A9)"] and row[3:] == ["-5", "-7"]
    table = run_cli("query", "--store", str(sample_store_path), FORMULAS, check=True).stdout.decode()
    assert table.rstrip().endswith("(1 row)")


# -- checkpoints and /health ------------------------------------------------------------------


@pytest.fixture()
def live(api_store_template, tmp_path):
    server = LiveServer(copy_store(api_store_template, tmp_path / "store"), query_workers=2)
    yield server
    server.stop()


def test_failed_checkpoints_lose_no_worker_and_health_tells_the_truth(live, monkeypatch):
    """Before: the checkpoint was taken before the worker's try, so each failure kept one worker
    out of the pool; two failures (a full disk) and /sparql said 503 until a restart while
    /health said ok."""
    ask = lambda: httpx.get(live.url + "/sparql", params={"query": "ASK {}"}, timeout=30)  # noqa: E731
    assert ask().status_code == 200
    real = live.store.checkpoint

    def full_disk(path):
        raise OSError("IO error: No space left on device: While appending to file")

    monkeypatch.setattr(live.store, "checkpoint", full_disk)
    for _ in range(3):  # more failures than there are workers
        live.app.state.runner.mark_dirty()
        err = assert_refused(ask(), 503, "store_error")
        assert "checkpoint" in err["message"] and "No space left" in err["message"]
    health = httpx.get(live.url + "/health", timeout=10)
    assert health.status_code == 503 and health.json()["ok"] is False
    assert any("checkpoint failed" in p for p in health.json()["problems"])
    monkeypatch.setattr(live.store, "checkpoint", real)
    for _ in range(4):  # every worker is back
        assert ask().status_code == 200
    health = httpx.get(live.url + "/health", timeout=10)
    assert health.status_code == 200 and health.json() == {**health.json(), "ok": True, "problems": []}


def test_checkpoints_left_by_a_dead_server_are_removed_at_start(api_store_template, tmp_path):
    store = copy_store(api_store_template, tmp_path / "store")
    dead_pid = _a_dead_pid()
    stale = tmp_path / f".store.snapshots-{dead_pid}-abc123"
    older = tmp_path / ".store.snapshots-q1w2e3r4"  # an older version's name, without a pid
    alive = tmp_path / f".store.snapshots-{os.getpid()}-live01"  # a live process's: kept
    other = tmp_path / ".other.snapshots-12-x"  # another store's: not ours
    for folder in (stale, older, alive, other):
        (folder / "gen-1").mkdir(parents=True)
    server = LiveServer(store)
    try:
        assert httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
        assert not stale.exists() and not older.exists()
        assert alive.exists() and other.exists()
    finally:
        server.stop()


def _a_dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_store_whose_disk_filled_up_takes_writes_again_once_space_returns(tmp_path):
    """RocksDB keeps a failed write's error: before, every later write failed with "the disk is
    full" until the server was restarted, although space had come back."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and `unshare -m` for a private small tmpfs")
    script = textwrap.dedent("""
        import sys, os
        import pyoxigraph as ox
        from policykg.graph.store import OxigraphStore
        from policykg.errors import StoreUnavailableError
        mnt = sys.argv[1]
        store = OxigraphStore(mnt + "/store")
        def doc(n, size):
            g = f"https://w3id.org/policykg/id/doc/d{n}"
            return g, [ox.Quad(ox.NamedNode(f"urn:s{n}-{i}"), ox.NamedNode("urn:p"), ox.Literal("x" * size),
                               ox.NamedNode(g)) for i in range(200)]
        store.replace_graph(*doc(0, 100))
        with open(mnt + "/filler", "wb") as f:
            try:
                f.write(b"\\0" * 200_000_000)
            except OSError:
                pass
        try:
            store.replace_graph(*doc(1, 2000))
            print("no error")
        except StoreUnavailableError as exc:
            print("full:", exc.message)
        try:
            store.replace_graph(*doc(2, 10))
            print("still full: no error")
        except StoreUnavailableError as exc:
            print("still full:", exc.message)
        os.unlink(mnt + "/filler")
        store.replace_graph(*doc(3, 10))
        print("graphs:", len([q for q in store._store.quads_for_pattern(None, None, None, ox.NamedNode("https://w3id.org/policykg/id/doc/d3"))]))
    """)
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(
        [
            unshare,
            "-m",
            "sh",
            "-c",
            'mount -t tmpfs -o size=80m tmpfs "$1" || exit 97; "$2" -c "$3" "$1"',
            "sh",
            str(mnt),
            sys.executable,
            script,
        ],
        capture_output=True,
        timeout=180,
    )
    if proc.returncode == 97:
        pytest.skip("cannot mount a tmpfs here")
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert "full: cannot write graph" in out and "the disk is full" in out, out
    assert "still full: cannot write graph" in out and "the disk is still full" in out, out
    assert "graphs: 200" in out, out


# -- workers that cannot drop their network access -----------------------------------------------

#: Runs argv[1:] under a seccomp filter that refuses unshare(2) with EPERM, as a container's
#: default profile does (libseccomp through ctypes; the filter survives exec).
_NO_UNSHARE = textwrap.dedent("""
    import ctypes, errno, os, sys
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(0x7FFF0000)  # SCMP_ACT_ALLOW
    nr = lib.seccomp_syscall_resolve_name(b"unshare")
    assert lib.seccomp_rule_add(ctx, 0x00050000 | errno.EPERM, nr, 0) == 0  # SCMP_ACT_ERRNO(EPERM)
    assert lib.seccomp_load(ctx) == 0
    os.execv(sys.argv[1], sys.argv[1:])
""")


def _libseccomp() -> bool:
    import ctypes.util

    try:
        import ctypes

        ctypes.CDLL("libseccomp.so.2")
        return True
    except OSError:
        return bool(ctypes.util.find_library("seccomp"))


@pytest.mark.skipif(not _libseccomp(), reason="libseccomp is not installed")
def test_serve_refuses_to_start_where_workers_cannot_drop_their_network_unless_allowed(api_store_template, tmp_path):
    store = copy_store(api_store_template, tmp_path / "store")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
    command = [sys.executable, "-c", _NO_UNSHARE, POLICYKG, "serve", "--store", str(store), "--port", "1"]
    proc = subprocess.run(command, capture_output=True, timeout=120, env=env)
    err = proc.stderr.decode()
    assert proc.returncode == 1, err[-2000:]
    assert "query workers cannot drop their network access" in err and "POLICYKG_ALLOW_UNISOLATED_WORKERS=1" in err
    assert "Traceback" not in err and "Serving" not in err

    log = tmp_path / "serve.log"
    port_env = {**env, "POLICYKG_ALLOW_UNISOLATED_WORKERS": "1"}
    shimmed = _ShimmedServed(store, log, env=port_env)
    try:
        health = httpx.get(shimmed.url + "/health", timeout=10).json()
        assert health["worker_network_isolated"] is False
        assert "could not drop their network access" in shimmed.log()
    finally:
        shimmed.stop()


class _ShimmedServed:
    """``policykg serve`` under the no-unshare filter, with unisolated workers allowed."""

    def __init__(self, store: Path, log: Path, *, env: dict[str, str]) -> None:
        import time

        from support.servers import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _NO_UNSHARE, POLICYKG, "serve", "--store", str(store), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log()
            try:
                if httpx.get(self.url + "/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        import signal

        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)
