"""Shared fixtures: a small real graph built once per session, and the servers the API tests
talk to. The helpers they are built from, and that test modules import, are in ``support/``
(see its ``__init__``); a test module never imports from here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

# Asserts in the helpers are rewritten too: their failures show the values compared.
pytest.register_assert_rewrite("support")

from support.common import (  # noqa: E402
    API_TOKEN,
    SAMPLE,
    SERVER_ENV,
    SERVER_MEMORY,
    build_api_store,
    copy_store,
    serve,
    with_sample,
)
from support.servers import AppClient, Listener, LiveServer, assert_serves, store_digest  # noqa: E402


@pytest.fixture(scope="session")
def sample_record():
    from policykg.loaders.extract import extract_path

    return extract_path(SAMPLE)


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory) -> Path:
    """A store on disk holding the sample document, built once per session. Treat as read-only."""
    from policykg.graph.store import OxigraphStore

    return with_sample(OxigraphStore(tmp_path_factory.mktemp("sample-store") / "store"))


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


@pytest.fixture(scope="session")
def api_store_template(tmp_path_factory) -> Path:
    """A store folder to copy; never opened by a server itself."""
    return build_api_store(tmp_path_factory.mktemp("api-store") / "store")


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


@pytest.fixture(scope="session")
def api_app(api_store_template, tmp_path_factory):
    """The app in process (an ASGI client) over a copy of the API store, set as :func:`api_server`
    is: for tests of what routes answer. Read-only: nothing may write through it."""
    path = copy_store(api_store_template, tmp_path_factory.mktemp("api-app") / "store")
    app = AppClient(path, write_token=API_TOKEN, query_timeout=3.0, max_rows=200, max_request_bytes=200_000)
    yield app
    app.close()


# -- a `policykg serve` process per test module, for hostile requests --------------------------


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


# -- the hostile document (support/hostile_document.py) -----------------------------------------


@pytest.fixture(scope="session")
def hostile_store_template(api_store_template, tmp_path_factory) -> Path:
    """The API store plus the hostile document; a folder to copy, never opened by a server itself."""
    from support.hostile_document import build_hostile_store

    return build_hostile_store(api_store_template, tmp_path_factory.mktemp("hostile") / "store")


@pytest.fixture(scope="module")
def hostile_server(hostile_store_template, tmp_path_factory):
    """A live server over a copy of the hostile store (5 s query limit), one per test module."""
    srv = LiveServer(
        copy_store(hostile_store_template, tmp_path_factory.mktemp("hostile-live") / "store"), query_timeout=5.0
    )
    yield srv
    srv.stop()


# -- a real Chromium (support/browser.py) ----------------------------------------------------------


@pytest.fixture()
def driver(tmp_path):
    """Headless Chromium for one test, with a fresh profile (modules using it carry ``support.browser.MARKS``)."""
    from support.browser import open_chromium

    chromium = open_chromium(tmp_path / "profile")
    yield chromium
    chromium.quit()
