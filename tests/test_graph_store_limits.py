"""The Graph Store Protocol within limits: the whole store is not a public read, and a body
whose parsing takes for ever is stopped in a worker (issue 12, items 3 and 13)."""

from __future__ import annotations

import time

import httpx
import pytest

from support.common import API_TOKEN, AUTH, assert_refused, copy_store
from support.servers import LiveServer

NESTED_RDFXML = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://ex.org/"><rdf:Description rdf:about="http://ex.org/a">'
    + "<ex:p><rdf:Description>" * 40000
    + "</rdf:Description></ex:p>" * 40000
    + "</rdf:Description></rdf:RDF>"
).encode()  # 1.9 MB; pyoxigraph takes ~7 s on it


@pytest.fixture(scope="module")
def gsp(api_store_template, tmp_path_factory):
    server = LiveServer(
        copy_store(api_store_template, tmp_path_factory.mktemp("gsp") / "store"),
        write_token=API_TOKEN,
        upload_timeout=1.0,
        max_request_bytes=5_000_000,
    )
    yield server
    server.stop()


def test_the_whole_store_at_once_needs_the_token(gsp):
    """Before: GET /graph-store?default dumped every quad for anyone, in the server's memory; 42
    such requests on a 520 k-quad store got the server killed."""
    for method in ("GET", "HEAD"):
        r = httpx.request(
            method, gsp.url + "/graph-store?default", headers={"accept": "application/n-triples"}, timeout=30
        )
        assert r.status_code == 401
    err = assert_refused(httpx.get(gsp.url + "/graph-store?default", timeout=30), 401, "unauthorized")
    assert "?graph=" in err["hint"] and "policykg export" in err["hint"]
    r = httpx.get(gsp.url + "/graph-store?default", headers={**AUTH, "accept": "application/n-triples"}, timeout=60)
    assert r.status_code == 200 and r.text.count("\n") == gsp.store.count()
    head = httpx.head(gsp.url + "/graph-store?default", headers={**AUTH, "accept": "application/n-triples"}, timeout=30)
    assert head.status_code == 200 and head.content == b""


def test_one_document_graph_is_still_a_public_read(gsp):
    doc = next(iter(gsp.store.documents())).iri
    r = httpx.get(
        gsp.url + "/graph-store", params={"graph": doc}, headers={"accept": "application/n-triples"}, timeout=30
    )
    assert r.status_code == 200 and r.text.count("\n") == len(list(gsp.store.quads(doc)))


def test_a_body_that_takes_too_long_to_parse_is_stopped_and_nothing_is_stored(gsp):
    before = gsp.store.count()
    started = time.monotonic()
    r = httpx.put(
        gsp.url + "/graph-store",
        params={"graph": "urn:x:nested"},
        content=NESTED_RDFXML,
        headers={**AUTH, "content-type": "application/rdf+xml"},
        timeout=60,
    )
    err = assert_refused(r, 422, "upload_timeout")
    assert "parsing the graph took longer than 1 s" in err["message"]
    assert time.monotonic() - started < 5
    assert gsp.store.count() == before
    # the server answers at once meanwhile and after, and takes a sane body
    assert httpx.get(gsp.url + "/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200
    r = httpx.put(
        gsp.url + "/graph-store",
        params={"graph": "urn:x:small"},
        content=b"<urn:a> <urn:b> <urn:c> .\n",
        headers={**AUTH, "content-type": "application/n-triples"},
        timeout=60,
    )
    assert r.status_code == 201
    r = httpx.delete(gsp.url + "/graph-store", params={"graph": "urn:x:small"}, headers=AUTH, timeout=30)
    assert r.status_code == 204 and gsp.store.count() == before
