"""The worker pool under the query runner and the upload extractor, closed while it replaces a
worker: what users would see is a stray traceback on the server's stderr at shutdown."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from policykg.graph.workers import WorkerPool


def test_closing_while_a_worker_is_replaced_prints_nothing(capfd):
    # A worker retired after a timeout is replaced in the background; `serve` stopping at that
    # moment closes the pool and removes the folder of the workers' last words. The replacement,
    # still starting, must end quietly rather than print a traceback about that folder.
    pool = WorkerPool(repr, 1, name="policykg-test-worker", last_words=True)
    try:
        first = pool.take(wait=30)
        folder = Path(first.stderr_path).parent
        pool.retire(first)
        # Close once the replacement has its last-words file, before its process has opened it.
        deadline = time.monotonic() + 60
        while len([p for p in folder.iterdir() if p.name != Path(first.stderr_path).name]) < 1:
            assert time.monotonic() < deadline, "no replacement began within 60 s"
            time.sleep(0.001)
    finally:
        pool.close()
    deadline = time.monotonic() + 60
    while any(t.name == "policykg-test-worker-start" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the replacement is still starting after 60 s"
        time.sleep(0.05)
    assert pool.workers == []
    err = capfd.readouterr().err
    assert "Traceback" not in err and "could not start" not in err, err
