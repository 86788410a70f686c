"""Faults: an ingest killed (SIGKILL) at seeded random points, a full disk, a read-only store.

Everything is real: the `policykg` command in a subprocess, an Oxigraph store on disk, the
kernel's own limits (RLIMIT_FSIZE, a small tmpfs, a read-only mount or folder). After every
fault the store opens, holds whole documents only (each equal to what extraction makes of
its file, with what it says about its shared entities, and no orphan entity graph), nothing
the ingest reported as stored is missing, and the same command run again completes the
corpus: the store then equals a clean one-shot ingest, quad for quad.

The remote store going away mid-ingest is in ``test_faults_remote.py``; both use the helpers
in ``ingest_faults.py``.
"""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from support.common import copy_store, quads_on_disk, run_cli
from support.ingest_faults import Corpus, check_whole_on_disk, ingest_and_kill, make_corpus, summary
from support.servers import POLICYKG


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    """80 generated work plans (UTF-8, GB18030, UTF-16, HTML), about 330 kB of N-Quads each."""
    return make_corpus(tmp_path_factory.mktemp("faults") / "corpus", 80, seed=21)


def _kill_and_check(
    store: Path, corpus: Corpus, *, workers: int, after: int, delay: float, batch_bytes: int | None
) -> set[str]:
    run = ingest_and_kill(str(store), corpus.folder, workers=workers, after=after, delay=delay, batch_bytes=batch_bytes)
    assert run.returncode in (-signal.SIGKILL, 0), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert not run.leftovers, f"processes left running after the ingest was killed: {run.leftovers}"
    stored = check_whole_on_disk(store, corpus)
    assert run.reported <= stored, f"reported as stored, then lost: {sorted(run.reported - stored)}"
    return stored


def _rerun_completes(path: Path, corpus: Corpus, stored: set[str]) -> None:
    proc = run_cli("ingest", "--store", str(path), "-j", "2", str(corpus.folder))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert summary(proc.stderr.decode())["unchanged"] == len(stored)  # nothing stored is redone
    final = quads_on_disk(path)
    assert final == corpus.clean, f"{len(final ^ corpus.clean)} quads differ from a clean ingest"


def test_sigkill_mid_write_with_workers_leaves_whole_documents_and_a_rerun_completes(corpus, tmp_path):
    """SIGKILL the ingest (2 workers, a transaction every ~2 documents) while it writes, once."""
    rng = random.Random(7)
    store = tmp_path / "store"
    stored = _kill_and_check(
        # A short delay: the ingest of the other 50-odd documents takes well under a second now.
        store,
        corpus,
        workers=2,
        after=rng.randint(8, 30),
        delay=rng.uniform(0, 0.03),
        batch_bytes=700_000,
    )
    assert 0 < len(stored) < len(corpus.own), "the kill missed the writes: move it"
    _rerun_completes(store, corpus, stored)


@pytest.mark.slow
def test_sigkill_at_seeded_random_points_then_a_rerun_completes(corpus, tmp_path):
    """Kill one ingest after another, each resuming the last: while it reads and extracts, mid-write
    (small and default batches, 1 and 2 workers) and while it finishes (flush, summary). Every
    time the store opens with whole documents only, and the last rerun completes the corpus."""
    rng = random.Random(2024)
    store = tmp_path / "store"
    total = len(corpus.own)
    stored: set[str] = set()
    plans = [  # (workers, batch bytes, documents this run stores before the kill; None: all it has left)
        (1, None, 0),  # no write reported: reading, extracting, the first 16 MB transaction
        (2, 400_000, rng.randint(2, 6)),  # a transaction every document or two
        (1, 400_000, rng.randint(2, 6)),
        (2, 1_500_000, rng.randint(2, 6)),
        (2, 1_000_000, None),  # every document reported: the kill lands in the end (flush, count, summary)
    ]
    counts = []
    for workers, batch, after in plans:
        before = stored
        # Mid-write kills follow the report closely: an ingest stores ~50 documents a second, so
        # a longer pause lets it finish the corpus on a fast machine and the kill cuts nothing.
        delay = rng.uniform(0.2, 1.0) if after == 0 else rng.uniform(0.0, 0.05)
        after = total - len(stored) if after is None else after
        stored = _kill_and_check(store, corpus, workers=workers, after=after, delay=delay, batch_bytes=batch)
        assert before <= stored, "a killed rerun lost documents an earlier run stored"
        counts.append(len(stored))
    assert sum(0 < n < total for n in counts) >= 3, f"too few kills cut the corpus short: {counts}"
    _rerun_completes(store, corpus, stored)


# -- a full disk ---------------------------------------------------------------------------------
def _file_size_limit(limit: int):
    def apply() -> None:
        # The kernel then fails the write with EFBIG, as a full disk fails it with ENOSPC,
        # instead of killing the process with SIGXFSZ.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture()
def sample_copy(sample_store_path, tmp_path) -> tuple[Path, frozenset[str]]:
    """A writable copy of the sample store, and its quads."""
    path = copy_store(sample_store_path, tmp_path / "store")
    return path, quads_on_disk(path)


def _unchanged(path: Path, before: frozenset[str]) -> None:
    assert quads_on_disk(path) == before, "the store changed"  # it opens read-write: nothing corrupt, no lock left


def test_file_size_limit_stops_the_ingest_with_one_clear_error_and_changes_nothing(sample_copy, corpus, tmp_path):
    """A store write that hits the file size limit (`ulimit -f`, EFBIG) like a full disk."""
    path, before = sample_copy
    few = tmp_path / "few"
    few.mkdir()
    # Enough for a batch whose bulk-loaded file outgrows the limit (Oxigraph writes it compactly).
    for f in sorted(corpus.folder.iterdir())[:40]:
        shutil.copy(f, few)
    proc = subprocess.run(
        [POLICYKG, "ingest", "--store", str(path), "-j", "1", "-v", str(few)],
        capture_output=True,
        timeout=120,
        preexec_fn=_file_size_limit(600_000),
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert f"Error: ingest stopped: cannot load documents into the store at {path}" in err
    assert "file size limit" in err and "run the same command again" in err
    assert "Traceback" not in err
    assert not re.search(r"^(added|failed) ", err, re.M), "documents reported one by one for the store's fault"
    _unchanged(path, before)
    again = run_cli("ingest", "--store", str(path), str(few))
    assert again.returncode == 0 and summary(again.stderr.decode())["added"] == 40


def _in_mount_namespace(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``sh -c script`` in a private mount namespace, where it may mount what it likes.

    Root gets one with `unshare -m`; another user maps itself to root in a user namespace
    (`unshare -rm`). The test is skipped where neither is allowed (some CI sandboxes).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no `unshare` to make a private mount namespace")
    flags = "-m" if os.geteuid() == 0 else "-rm"
    proc = subprocess.run([unshare, flags, "sh", "-c", script, "sh", *args], capture_output=True, timeout=180)
    if proc.returncode == 97 or b"unshare:" in proc.stderr:
        pytest.skip(f"cannot mount in a private namespace here: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc


def test_disk_full_stops_the_ingest_with_one_clear_error_and_changes_nothing(sample_copy, corpus, tmp_path):
    """The store on a 4 MB tmpfs that fills up (ENOSPC) mid-ingest; reading still works on the full disk."""
    path, before = sample_copy
    mnt, out = tmp_path / "small-disk", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    script = """
        mount -t tmpfs -o size=4m tmpfs "$1" || exit 97
        cp -a "$2" "$1/store"
        "$4" ingest --store "$1/store" -j 1 "$5" 2> "$3/ingest.err"; echo $? > "$3/ingest.rc"
        "$4" list --store "$1/store" > "$3/list.out" 2>&1; echo $? > "$3/list.rc"
        cp -a "$1/store" "$3/after"  # the tmpfs vanishes with the namespace: keep what it held
    """
    _in_mount_namespace(script, str(mnt), str(path), str(out), POLICYKG, str(corpus.folder))
    err = (out / "ingest.err").read_text()
    assert (out / "ingest.rc").read_text().strip() == "1", err
    assert f"cannot load documents into the store at {mnt / 'store'}: the disk is full" in err
    assert "hint: free some space" in err and "Traceback" not in err
    assert not re.search(r"^(added|failed) ", err, re.M)
    assert (out / "list.rc").read_text().strip() == "0" and "kunming" in (out / "list.out").read_text()
    _unchanged(out / "after", before)


# -- a read-only store ---------------------------------------------------------------------------
def _read_only_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`policykg ARGS` with ``folder`` read-only: `chmod a-w` for a user; for root, whom chmod
    does not stop, a read-only bind mount of the folder in a private mount namespace."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p, mode in modes.items():
            p.chmod(mode & ~0o222)
        try:
            return run_cli(*args)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 97\nshift\nexec "$@"'
    return _in_mount_namespace(script, str(folder), POLICYKG, *args)


def _read_only_refusal(proc: subprocess.CompletedProcess, path: Path) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert f"Error: cannot open the store at {path}" in err
    assert "read-only" in err or "permission denied" in err, err
    assert "another policykg process" not in err, "a read-only folder is not a lock held by another process"
    assert "Traceback" not in err
    return err


def test_read_only_store_refuses_the_ingest_clearly_and_still_serves_reads(sample_copy, corpus):
    path, before = sample_copy
    doc = str(next(corpus.folder.iterdir()))
    _read_only_refusal(_read_only_run(path, "ingest", "--store", str(path), doc), path)
    listed = _read_only_run(path, "list", "--store", str(path))
    assert listed.returncode == 0 and b"kunming" in listed.stdout, listed.stderr.decode()
    _unchanged(path, before)


def test_store_folder_cannot_be_created_under_a_read_only_parent(corpus, tmp_path):
    parent = tmp_path / "read-only"
    parent.mkdir()
    path = parent / "new" / "store"
    doc = str(next(corpus.folder.iterdir()))
    _read_only_refusal(_read_only_run(parent, "ingest", "--store", str(path), doc), path)
    assert list(parent.iterdir()) == []
