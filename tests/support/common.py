"""Paths to the test data, the real ``policykg`` command, stores copied and compared, and the
settings and headers of the servers the tests start. Everything is real: stores are Oxigraph
databases on disk, built by the same code path as ``policykg ingest``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from support.servers import POLICYKG, Served

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
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


def with_sample(store) -> Path:
    """Ingest the sample into ``store``, close it and return its folder (for read-only reopening)."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme

    report = ingest_files(store, [SAMPLE], IriScheme())
    assert not report.failed, report.failed
    store.flush()
    path = store.path
    store.close()
    return path


# -- the API: a real store and a real server (uvicorn on 127.0.0.1) ----------------------------

API_TOKEN = "test-write-token"


def build_api_store(path: Path) -> Path:
    """The sample document plus the network fixture (programs, targets, divisions, a hostile label)."""
    from support.network_fixture import fixture_store

    return with_sample(fixture_store(path))


def store_of_texts(folder: Path, texts: dict[str, str]) -> Path:
    """A store in ``folder`` holding one document per ``name -> text`` (written as ``name.txt`` and
    ingested through the real pipeline, in the mapping's order); the store's path, closed."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    paths = []
    for name, text in texts.items():
        path = folder / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    store = OxigraphStore(folder / "store")
    ingest_files(store, paths, IriScheme())
    store.close()
    return folder / "store"


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


def store_version(store, version) -> None:
    """Write one generated version of a document (``load_scenario.Version``) as an upload would: its
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
