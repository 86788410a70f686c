"""The `policykg` command abused the way a user's machine abuses it: odd input trees, odd store
paths, two processes on one store, Ctrl+C and SIGTERM, and output that must stay readable.

Everything runs the real entry point against real stores on disk. Each test names what it tries.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.common import SAMPLE, quads_on_disk, run_cli, serve
from support.ingest_faults import Corpus, check_whole_on_disk, descendants, left_running, make_corpus, summary
from support.servers import POLICYKG, store_digest, with_default_signals

SAMPLE_BYTES = SAMPLE.read_bytes()
FAST = 10  # seconds: what "does not hang" means here


def _err(proc: subprocess.CompletedProcess) -> str:
    text = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in text and 'File "' not in text, text[-3000:]
    assert "b'" not in text and 'b"' not in text, text  # no Python repr of bytes
    return text


def _documents(store: Path) -> set[str]:
    proc = run_cli("list", "--json", "--store", str(store), check=True)
    return {d["iri"].rsplit("/", 1)[-1] for d in json.loads(proc.stdout)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    # A long folder name makes each progress line of ``ingest -v`` ~350 bytes: see _hold_at_a_full_pipe.
    return make_corpus(tmp_path_factory.mktemp("abuse") / ("corpus-" + "long-folder-name-" * 9), 60, seed=5)


# -- input trees ----------------------------------------------------------------------------------


def test_a_fifo_a_socket_or_a_device_named_txt_never_hangs_the_ingest(tmp_path):
    """A named pipe given by name was opened blocking and waited for a writer for ever; found in a
    folder, pipes, sockets and devices named like documents were skipped without a word."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SAMPLE_BYTES)
    os.mkfifo(folder / "pipe.txt")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(folder / "sock.txt"))
        for args in (
            ["ingest", "--store", str(tmp_path / "a"), str(folder / "pipe.txt")],
            ["extract", str(folder / "pipe.txt")],
        ):
            proc = subprocess.run([POLICYKG, *args], capture_output=True, timeout=FAST)
            assert proc.returncode == 1
            assert "pipe.txt: a named pipe (FIFO) that nothing was written to" in _err(proc)
        proc = subprocess.run(
            [POLICYKG, "ingest", "--store", str(tmp_path / "b"), str(folder)], capture_output=True, timeout=FAST
        )
    err = _err(proc)
    assert proc.returncode == 1
    assert re.search(r"failed +\S*pipe\.txt: a named pipe \(FIFO\), not a file; not read", err), err
    assert re.search(r"failed +\S*sock\.txt: a socket, not a file; not read", err), err
    assert _documents(tmp_path / "b") == {"good"}


def test_a_link_out_of_the_folder_is_refused_by_name_and_a_link_loop_costs_nothing(tmp_path):
    """A downloaded corpus holding `notes.txt -> ~/private/notes.txt` pulled the private file into
    a store that is then served; links to folders (and so loops) are not followed."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_bytes(SAMPLE_BYTES)
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_bytes(SAMPLE_BYTES)
    (folder / "notes.txt").symlink_to(private / "secret.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "loop").symlink_to(".")
    (folder / "away").symlink_to(private)
    (folder / "alias.txt").symlink_to("good.txt")  # inside the folder: the same file, read once
    proc = subprocess.run(
        [POLICYKG, "ingest", "--store", str(tmp_path / "store"), str(folder)], capture_output=True, timeout=60
    )
    err = _err(proc)
    assert proc.returncode == 1
    assert f"notes.txt: a link to {private / 'secret.txt'}, outside the folder" in err
    assert "zero.txt: a link to /dev/zero, outside the folder" in err
    assert summary(err) == {"added": 1, "replaced": 0, "unchanged": 0, "failed": 2}
    assert _documents(tmp_path / "store") == {"good"}
    # Named on the command line, a link is the user's choice and is read.
    run_cli("ingest", "--store", str(tmp_path / "store"), str(folder / "notes.txt"), check=True)
    assert _documents(tmp_path / "store") == {"good", "notes"}


def test_an_unreadable_file_and_folder_are_named(tmp_path):
    """A file without read permission fails by name; a folder that cannot be listed is named
    instead of silently costing every document in it."""
    if os.geteuid() == 0:
        pytest.skip("running as root: permissions do not stop root from reading")
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "good.txt").write_bytes(SAMPLE_BYTES)
    (folder / "secret.txt").write_bytes(SAMPLE_BYTES)
    (folder / "locked" / "inside.txt").write_bytes(SAMPLE_BYTES)
    (folder / "secret.txt").chmod(0)
    (folder / "locked").chmod(0)
    try:
        proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(folder))
    finally:
        (folder / "locked").chmod(0o755)
    err = _err(proc)
    assert proc.returncode == 1
    assert "secret.txt: cannot read the file: Permission denied" in err
    assert "locked: cannot list the folder: Permission denied" in err
    assert _documents(tmp_path / "store") == {"good"}


def test_two_files_with_one_document_id_do_not_replace_each_other(tmp_path):
    """`a/plan.txt` and `b/plan.txt` (different texts) map to one document id: the second silently
    replaced the first, exit 0, and every rerun swapped them back."""
    (tmp_path / "in" / "a").mkdir(parents=True)
    (tmp_path / "in" / "b").mkdir()
    (tmp_path / "in" / "a" / "plan.txt").write_bytes(SAMPLE_BYTES)
    (tmp_path / "in" / "b" / "plan.txt").write_bytes(
        SAMPLE_BYTES[: len(SAMPLE_BYTES) // 2].decode("utf-8", "ignore").encode("utf-8")
    )
    (tmp_path / "in" / "a" / "copy.txt").write_bytes(SAMPLE_BYTES)  # same bytes, another name: its own document
    store = tmp_path / "store"
    for _ in range(2):
        proc = run_cli("ingest", "--store", str(store), str(tmp_path / "in"))
        err = _err(proc)
        assert proc.returncode == 1
        assert re.search(r"failed +\S*b/plan\.txt: \S*a/plan\.txt, also in this run, has the same document id", err)
        assert summary(err)["replaced"] == 0
    assert _documents(store) == {"plan", "copy"}


def test_a_path_given_twice_is_read_once(tmp_path):
    """`ingest dir dir/a.txt dir` read every file again and counted it again ("4 unchanged")."""
    folder = tmp_path / "in"
    (folder / "plan.txt").mkdir(parents=True)  # a folder named like a document is a folder
    (folder / "a.txt").write_bytes(SAMPLE_BYTES)
    (folder / "plan.txt" / "c.txt").write_bytes(SAMPLE_BYTES)
    proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(folder), str(folder / "a.txt"), str(folder))
    assert summary(_err(proc)) == {"added": 2, "replaced": 0, "unchanged": 0, "failed": 0}


@pytest.mark.slow
def test_5000_tiny_files_are_stored_at_hundreds_per_second_with_sane_progress(tmp_path):
    """A corpus of 5 000 tiny files: no per-file overhead explosion, a handful of stderr lines."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5000):
        (folder / f"d{i:05d}.txt").write_text(
            f"关于第{i}号工作的通知\n一、新增优质学校{i % 50 + 1}所。\n", encoding="utf-8"
        )
    started = time.perf_counter()
    proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(folder))
    took = time.perf_counter() - started
    err = _err(proc)
    assert summary(err) == {"added": 5000, "replaced": 0, "unchanged": 0, "failed": 0}
    assert took < 40, took  # about 5 s here
    assert len(err.splitlines()) < 20, err[:2000]  # no line per document past 100 of them


# -- the store path -------------------------------------------------------------------------------


def test_a_store_path_that_is_a_file_or_a_folder_of_other_things_is_refused_and_left_alone(tmp_path):
    """A file as --store gave "[Errno 17] File exists: 'x'"; a folder of other files got RocksDB's
    files written in among them; a store that does not exist gave RocksDB's CURRENT error."""
    afile = tmp_path / "notes"
    afile.write_text("mine\n")
    proc = run_cli("ingest", "--store", str(afile), str(SAMPLE))
    assert proc.returncode == 1 and f"the store at {afile}: it is a file, not a store folder" in _err(proc)
    assert afile.read_text() == "mine\n"
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "readme.md").write_text("mine\n")
    proc = run_cli("ingest", "--store", str(folder), str(SAMPLE))
    assert proc.returncode == 1
    assert "the folder is not a store and holds other files (readme.md)" in _err(proc)
    assert sorted(p.name for p in folder.iterdir()) == ["readme.md"]
    for command in (["list"], ["query", "ASK {}"], ["export"]):
        proc = run_cli(*command, "--store", str(tmp_path / "missing"))
        assert proc.returncode == 1 and f"Error: no store at {tmp_path / 'missing'}" in _err(proc)
        assert not (tmp_path / "missing").exists()
    # A new store under folders that do not exist yet is made, parents and all.
    run_cli("ingest", "--store", str(tmp_path / "new" / "deeper" / "store"), str(SAMPLE), check=True)


def test_a_store_held_by_another_process_is_refused_at_once_naming_its_pid(tmp_path):
    """The second writer fails fast (not waits), names the holder's pid and command, and changes
    nothing; the holder's writes are whole; readers still read."""
    store = tmp_path / "store"
    run_cli("ingest", "--store", str(store), str(SAMPLE), check=True)
    before = quads_on_disk(store)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom policykg.graph.store import "
            "OxigraphStore\ns = OxigraphStore(sys.argv[1])\nprint('open', flush=True)\n"
            "time.sleep(60)",
            str(store),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"open\n"
        other = tmp_path / "other.txt"
        other.write_bytes(SAMPLE_BYTES)
        started = time.perf_counter()
        proc = run_cli("ingest", "--store", str(store), str(other))
        assert time.perf_counter() - started < FAST
        err = _err(proc)
        assert proc.returncode == 1
        assert f"it is in use by another process (pid {holder.pid}: " in err, err
        assert "stop it" in err
        assert _documents(store) == {"kunming-2017-education-workplan"}  # read-only readers still read
    finally:
        holder.kill()
        holder.wait(10)
    assert quads_on_disk(store) == before


def test_ingest_into_a_store_that_serve_holds_points_at_the_upload_api(api_store_template, tmp_path):
    server = serve(api_store_template, tmp_path, env={})
    try:
        proc = run_cli("ingest", "--store", str(tmp_path / "store"), str(SAMPLE))
        err = _err(proc)
        assert proc.returncode == 1
        assert f"in use by another process (pid {server.proc.pid}: policykg serve)" in err, err
        assert "POST /documents" in err
        assert store_digest(server) == server.digest
    finally:
        server.stop()


# -- signals --------------------------------------------------------------------------------------


def _hold_at_a_full_pipe(stream) -> None:
    """Shrink the child's stderr pipe to one page, so the ingest cannot finish before the signal.

    The test stops reading after three ``added`` lines; the ingest then blocks writing its
    progress once a page (4 KiB, about a dozen lines) is unread: it is still mid-corpus when
    the signal comes however fast the machine is. Without this a quick run stored all 60
    documents before the signal arrived, and the outcome depended on the machine's load.
    """
    import fcntl

    fcntl.fcntl(stream.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)


@pytest.mark.parametrize(
    "sig, code, word",
    [(signal.SIGINT, 130, "Interrupted"), (signal.SIGTERM, 143, "Stopped")],
    ids=["ctrl-c", "sigterm"],
)
@pytest.mark.slow
def test_a_signal_mid_ingest_stops_it_in_one_line_with_whole_documents_and_no_workers(
    corpus, tmp_path, sig, code, word
):
    """Ctrl+C reaches the whole process group (workers and forkserver too). Before: SIGTERM left
    exit -15 and a resource_tracker warning; a signal inside the process pool's own calls left it
    waiting for ever, and one during the forkserver's start printed its KeyboardInterrupt."""
    store = tmp_path / "store"
    command = [POLICYKG, "ingest", "--store", str(store), "-j", "2", "-v", str(corpus.folder)]
    proc = subprocess.Popen(
        with_default_signals(command), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    _hold_at_a_full_pipe(proc.stderr)
    err = b""
    while err.count(b"\nadded") < 3:  # workers running, some documents stored
        chunk = os.read(proc.stderr.fileno(), 65536)
        assert chunk, err.decode()
        err += chunk
    helpers = descendants(proc.pid)
    assert helpers, "no worker processes"
    os.killpg(proc.pid, sig)
    err += proc.stderr.read()
    assert proc.wait(FAST) == code
    text = _err(subprocess.CompletedProcess([], code, b"", err))
    last = text.rstrip().splitlines()[-1]
    assert re.fullmatch(
        rf"{word} after storing \d+ of 60 document\(s\) whole; run the same command again "
        r"to store the rest\.",
        last,
    ), text[-1500:]
    assert not left_running(helpers, FAST), "worker processes left running"
    check_whole_on_disk(store, corpus)
    rerun = run_cli("ingest", "--store", str(store), "-j", "2", str(corpus.folder), check=True)
    _err(rerun)
    assert quads_on_disk(store) == corpus.clean


def test_ctrl_c_stops_serve_without_a_traceback_and_removes_its_snapshots(api_store_template, tmp_path):
    server = serve(api_store_template, tmp_path, env={})
    snapshots = lambda: [p for p in (tmp_path).iterdir() if "snapshots" in p.name]  # noqa: E731
    assert snapshots(), "a query made no snapshot folder"  # Served asked its queries already
    os.killpg(server.proc.pid, signal.SIGINT)
    server.proc.wait(15)
    log = server.log()
    assert not snapshots()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-3000:]


# -- output hygiene -------------------------------------------------------------------------------

COMMANDS = [
    "ingest",
    "remove",
    "extract",
    "query",
    "export",
    "list",
    "validate",
    "evaluate",
    "serve",
    "trace",
    "path",
    "rank",
    "viz",
]


def test_every_command_has_help():
    for command in [[], *([c] for c in COMMANDS)]:
        proc = run_cli(*command, "--help", check=True)
        assert b"Usage: policykg" in proc.stdout


def test_everyday_mistakes_are_one_line_not_a_traceback(sample_store_path, tmp_path):
    """A query file in GBK and an --output into a missing folder printed tracebacks."""
    gbk = tmp_path / "q.rq"
    gbk.write_bytes("SELECT * { ?s rdfs:label '教育' }".encode("gbk"))
    proc = run_cli("query", "--store", str(sample_store_path), "--file", str(gbk))
    assert proc.returncode == 1 and f"Error: {gbk}: not UTF-8 text (byte " in _err(proc)
    missing = tmp_path / "nowhere" / "out.nq"
    proc = run_cli("export", "--store", str(sample_store_path), "-o", str(missing))
    assert proc.returncode == 1 and f"Error: No such file or directory: {missing}" in _err(proc)


def test_a_damaged_archive_is_named_without_python_class_names(tmp_path):
    """A fake .zip was refused as "cannot open the archive: BadZipFile: File is not a zip file"."""
    (tmp_path / "bundle.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "bundle.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    proc = run_cli(
        "ingest", "--store", str(tmp_path / "store"), str(tmp_path / "bundle.zip"), str(tmp_path / "bundle.tar.gz")
    )
    err = _err(proc)
    assert proc.returncode == 1 and err.count("cannot open the archive: ") == 2, err
    assert not re.search(r"\b(BadZipFile|ReadError|TarError|OSError|EOFError)\b", err), err
