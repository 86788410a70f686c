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


def _with_sample(store) -> Path:
    """Ingest the sample into ``store``, close it and return its folder (for read-only reopening)."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme

    report = ingest_files(store, [SAMPLE], IriScheme())
    assert not report.failed, report.failed
    store.flush()
    path = store.path
    store.close()
    return path


@pytest.fixture(scope="session")
def sample_record():
    from policykg.loaders.extract import extract_path

    return extract_path(SAMPLE)


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """A store on disk holding the sample document, built once per session. Treat as read-only."""
    from policykg.graph.store import OxigraphStore

    return _with_sample(OxigraphStore(tmp_path_factory.mktemp("sample-store") / "store"))


@pytest.fixture(scope="session")
def sample_store(sample_store_path):
    """The sample store opened read-only: share it, never write to it."""
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(sample_store_path, read_only=True)


@pytest.fixture()
def empty_store(tmp_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(tmp_path / "store")


# -- the API: a real store and a real server (uvicorn on 127.0.0.1) ----------------------------

API_TOKEN = "test-write-token"


def build_api_store(path: Path) -> Path:
    """The sample document plus the network fixture (programs, targets, divisions, a hostile label)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from network_fixture import fixture_store


    return _with_sample(fixture_store(path))


@pytest.fixture(scope="session")
def api_store_template(tmp_path_factory) -> Path:
    """A store folder to copy; never opened by a server itself."""
    return build_api_store(tmp_path_factory.mktemp("api-store") / "store")


def copy_store(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    (dest / "LOCK").unlink(missing_ok=True)
    return dest


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving ``create_app`` in a thread on a free loopback port."""

    def __init__(self, store_path: Path, **settings) -> None:
        import threading

        import uvicorn

        from policykg.api.app import create_app
        from policykg.settings import load_settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = load_settings(environ={}, store=str(store_path), port=self.port, **settings)
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")
        self.thread.start()
        import time

        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    @property
    def store(self):
        return self.app.state.store

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.app.state.runner.close()


@pytest.fixture(scope="session")
def api_server(api_store_template, tmp_path_factory):
    """A live server over a copy of the API store: token set, 3 s query limit, 200-row cap.

    Tests that write must use their own graph IRIs and clean up after themselves.
    """
    path = copy_store(api_store_template, tmp_path_factory.mktemp("api-live") / "store")
    server = LiveServer(path, write_token=API_TOKEN, query_timeout=3.0, max_rows=200, max_request_bytes=200_000,
                        max_upload_bytes=2_000_000)
    yield server
    server.stop()
