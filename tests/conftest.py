"""Shared fixtures: a small real graph built once per session, paths to test data, and the
servers the API tests talk to.

Everything here is real: the store is an Oxigraph database on disk, built by the
same code path as ``policykg ingest``; servers listen on 127.0.0.1 (see ``servers.py``).
Helpers that are ideas of their own live beside this file: ``servers.py`` (servers and what
they answer), ``browser.py`` (a real headless Chromium), ``hostile_document.py`` (a document
whose names are payloads), ``ingest_faults.py`` (ingests killed on purpose) and
``network_fixture.py``. Test modules import from these and from here, never from each other.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx
import pytest

# POLICYKG and LiveServer are imported from here by many test modules
from servers import POLICYKG, Listener, LiveServer, Served, assert_serves, store_digest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = REPO / "samples" / "kunming-2017-education-workplan.txt"
SAMPLE_GOLD = DATA / "gold" / "kunming-2017-education-workplan.gold.json"


def run_cli(
    *args: str, input: bytes | None = None, env: dict | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    """Run the real ``policykg`` entry point as a user would."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([POLICYKG, *args], input=input, capture_output=True, env=full_env, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"policykg {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}"
        )
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


def quads_of(store) -> frozenset[str]:
    """Every quad of an open store as N-Quads lines: equal sets mean the same store, quad for quad."""
    return frozenset(store.dump("nquads").decode().splitlines())


def quads_on_disk(path: Path) -> frozenset[str]:
    """:func:`quads_of` the store folder at ``path``, opened read-write (so a lock left behind or a
    corrupt store fails here) and closed again."""
    from policykg.graph.store import OxigraphStore

    store = OxigraphStore(path)
    try:
        return quads_of(store)
    finally:
        store.close()


@pytest.fixture(scope="session")
def api_server(api_store_template, tmp_path_factory):
    """A live server over a copy of the API store: token set, 3 s query limit, 200-row cap.

    Tests that write must use their own graph IRIs and clean up after themselves.
    """
    path = copy_store(api_store_template, tmp_path_factory.mktemp("api-live") / "store")
    server = LiveServer(
        path,
        write_token=API_TOKEN,
        query_timeout=3.0,
        max_rows=200,
        max_request_bytes=200_000,
        max_upload_bytes=2_000_000,
    )
    yield server
    server.stop()


def benchmark_module(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` as a module (the benchmarks folder is not a package)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def store_version(store, version) -> None:
    """Write one generated version of a document (``bench_load.Version``) as an upload would: its
    graph replaced, its shared entities added to, in one transaction."""
    from policykg.graph.iris import IriScheme

    store.replace_graph(IriScheme().graph(version.doc_id), list(version.quads), version.sha256)


# -- a `policykg serve` process per test module, for hostile requests --------------------------

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
QUERY_TYPE = {"content-type": "application/sparql-query"}
UPDATE_TYPE = {"content-type": "application/sparql-update"}
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}
#: The served process's settings: the token, a short time limit, small body caps.
SERVER_ENV = {
    "POLICYKG_WRITE_TOKEN": API_TOKEN,
    "POLICYKG_QUERY_TIMEOUT": "1.5",
    "POLICYKG_MAX_ROWS": "100000",
    "POLICYKG_MAX_REQUEST_BYTES": "300000",
    "POLICYKG_MAX_UPLOAD_BYTES": "1000000",
    "POLICYKG_MAX_QUERY_BYTES": "100000",
}
#: The served process's address space: a memory bomb that gets through fails its test instead
#: of taking the machine down.
SERVER_MEMORY = 3_000_000_000


def serve(template: Path, folder: Path, **kw) -> Served:
    """``policykg serve`` over a fresh copy of ``template`` in ``folder`` (its log beside it)."""
    return Served(copy_store(template, folder / "store"), folder / "server.log", **kw)


@pytest.fixture(scope="module")
def served(api_store_template, tmp_path_factory):
    """``policykg serve`` over a copy of the API store with :data:`SERVER_ENV`, one per test module."""
    server = serve(api_store_template, tmp_path_factory.mktemp("served"), env=SERVER_ENV, memory=SERVER_MEMORY)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def web():
    """A loopback listener standing in for the web; no test may make it see a connection."""
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture()
def unharmed(served, web):
    """Checked after the test: the listener saw no connection, the server answers right."""
    hits = web.hits
    yield
    time.sleep(0.02)  # a connection the server opened would have been accepted by now
    assert web.hits == hits, "the server opened a connection to the listener"
    assert_serves(served)


@pytest.fixture()
def untouched(served, unharmed):
    """For tests that try to write: also the same quads, triple for triple, as when the server
    started (every test leaves the store as it found it)."""
    yield
    assert store_digest(served) == served.digest


def assert_refused(r: httpx.Response, status: int, code: str | None = None) -> dict:
    """The one JSON error envelope with ``status`` (and ``code``), and no traceback."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text and 'File "' not in r.text
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["status"] == status and err["message"], err
    if code is not None:
        assert err["code"] == code, err
    return err


# -- the hostile document (hostile_document.py) --------------------------------------------------


@pytest.fixture(scope="session")
def hostile_store_template(api_store_template, tmp_path_factory) -> Path:
    """The API store plus the hostile document; a folder to copy, never opened by a server itself."""
    from hostile_document import build_hostile_store

    return build_hostile_store(api_store_template, tmp_path_factory.mktemp("hostile") / "store")


@pytest.fixture(scope="module")
def hostile_server(hostile_store_template, tmp_path_factory):
    """A live server over a copy of the hostile store (5 s query limit), one per test module."""
    srv = LiveServer(
        copy_store(hostile_store_template, tmp_path_factory.mktemp("hostile-live") / "store"), query_timeout=5.0
    )
    yield srv
    srv.stop()


# -- a real Chromium (browser.py) ------------------------------------------------------------------


@pytest.fixture()
def driver(tmp_path):
    """Headless Chromium for one test, with a fresh profile (modules using it carry ``browser.MARKS``)."""
    from browser import open_chromium

    chromium = open_chromium(tmp_path / "profile")
    yield chromium
    chromium.quit()
