"""Shared fixtures: a small real graph built once per session, and paths to test data.

Everything here is real: the store is an Oxigraph database on disk, built by the
same code path as ``policykg ingest``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = REPO / "samples" / "kunming-2017-education-workplan.txt"
SAMPLE_GOLD = DATA / "gold" / "kunming-2017-education-workplan.gold.json"
POLICYKG = shutil.which("policykg", path=str(Path(sys.executable).parent)) or "policykg"


def run_cli(*args: str, input: bytes | None = None, env: dict | None = None,
            check: bool = False) -> subprocess.CompletedProcess:
    """Run the real ``policykg`` entry point as a user would."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([POLICYKG, *args], input=input, capture_output=True, env=full_env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"policykg {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


@pytest.fixture(scope="session")
def sample_record():
    from policykg.loaders.extract import extract_path

    return extract_path(SAMPLE)


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """A store on disk holding the sample document, built once per session. Treat as read-only."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    path = tmp_path_factory.mktemp("sample-store") / "store"
    store = OxigraphStore(path)
    report = ingest_files(store, [SAMPLE], IriScheme())
    assert not report.failed, report.failed
    store.flush()
    store.close()
    del store
    return path


@pytest.fixture(scope="session")
def sample_store(sample_store_path):
    """The sample store opened read-only: share it, never write to it."""
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(sample_store_path, read_only=True)


@pytest.fixture()
def empty_store(tmp_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(tmp_path / "store")
