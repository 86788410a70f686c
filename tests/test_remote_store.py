"""The remote store against a real Oxigraph server that these tests start on 127.0.0.1.

The same contract tests run on the embedded store, so both stores are held to
one behaviour: replace on re-ingest, unchanged on the same bytes, remove, union
queries, bulk loads, resumable corpus ingest.
"""

from __future__ import annotations

import httpx
import pytest

from policykg.graph.store import OxigraphStore, open_store
from policykg.graph.store.remote import RemoteStore, endpoints, query_form
from policykg.settings import load_settings
from support.common import run_cli
from support.servers import LiveServer, OxigraphServer, free_port
from support.store_contract import SAMPLE, StoreContract


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    server.stop()


@pytest.mark.remote
class TestOxigraphServer(StoreContract):
    @pytest.fixture()
    def store(self, oxigraph_server):
        store = open_store(oxigraph_server.url, settings=load_settings(environ={}))
        assert isinstance(store, RemoteStore)
        store.update("DROP ALL")
        yield store
        store.close()


class TestEmbedded(StoreContract):
    @pytest.fixture()
    def store(self, tmp_path):
        return OxigraphStore(tmp_path / "store")


@pytest.mark.remote
def test_cli_ingest_query_remove_through_a_remote_store(oxigraph_server, tmp_path):
    url = oxigraph_server.url
    RemoteStore(url).update("DROP ALL")
    proc = run_cli("ingest", "--store", url, "--workers", "1", str(SAMPLE))
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"1 added" in proc.stderr
    again = run_cli("ingest", "--store", url, str(SAMPLE))
    assert b"1 unchanged" in again.stderr
    out = run_cli("query", "--store", url, "-f", "csv", "SELECT (COUNT(?t) AS ?n) WHERE { ?t a pkg:Task }", check=True)
    assert int(out.stdout.decode().split()[-1]) > 0
    listed = run_cli("list", "--store", url, "--json", check=True)
    assert b"kunming-2017-education-workplan" in listed.stdout
    removed = run_cli("remove", "--store", url, SAMPLE.name, check=True)
    assert b"removed" in removed.stderr
    assert RemoteStore(url).count() == 0
    missing = run_cli("remove", "--store", url, "no-such-doc")
    assert missing.returncode == 1 and b"no document" in missing.stderr


def test_an_unreachable_server_is_a_store_error_not_a_traceback():
    proc = run_cli("query", "--store", f"http://127.0.0.1:{free_port()}/query", "ASK {}")
    assert proc.returncode == 1
    assert b"cannot reach the SPARQL server" in proc.stderr and b"Traceback" not in proc.stderr


def test_endpoint_derivation():
    ox = endpoints("http://127.0.0.1:7878/query")
    assert (ox.update, ox.gsp, ox.union_param) == (
        "http://127.0.0.1:7878/update",
        "http://127.0.0.1:7878/store",
        "union-default-graph",
    )
    assert endpoints("http://h:7878").query == "http://h:7878/query"
    v = endpoints("http://h:8890/sparql")
    assert (v.update, v.gsp, v.union_param) == ("http://h:8890/sparql", "http://h:8890/sparql-graph-crud", None)
    g = endpoints("http://h:7200/repositories/kg")
    assert (g.update, g.gsp) == (
        "http://h:7200/repositories/kg/statements",
        "http://h:7200/repositories/kg/rdf-graphs/service",
    )
    f = endpoints("http://h:3030/ds", gsp_url="http://h:3030/ds/data", union="param")
    assert (f.query, f.update, f.gsp, f.union_param) == (
        "http://h:3030/ds",
        "http://h:3030/ds",
        "http://h:3030/ds/data",
        "union-default-graph",
    )
    s = load_settings(environ={"POLICYKG_REMOTE_GSP_URL": "http://x/gsp", "POLICYKG_REMOTE_UNION": "server"})
    store = open_store("http://h:7878/query", settings=s)
    assert (store.endpoints.gsp, store.endpoints.union_param) == ("http://x/gsp", None)


def test_query_form_ignores_iris_strings_and_comments():
    assert (
        query_form("# SELECT in a comment\nPREFIX a: <http://x/ASK#>\nCONSTRUCT { ?s ?p 'SELECT' } WHERE {}")
        == "CONSTRUCT"
    )
    assert query_form("ask { }") == "ASK"


@pytest.mark.remote
def test_two_api_processes_serve_one_remote_graph(oxigraph_server):
    """`policykg serve` can front a remote store: two servers answer from the same graph."""
    url = oxigraph_server.url
    RemoteStore(url).update("DROP ALL")
    run_cli("ingest", "--store", url, "--workers", "1", str(SAMPLE), check=True)
    servers = [LiveServer(url), LiveServer(url)]
    try:
        for server in servers:
            resp = httpx.post(
                server.url + "/sparql",
                data={"query": "SELECT (COUNT(?t) AS ?n) WHERE { ?t a pkg:Task }"},
                headers={"Accept": "text/csv"},
                timeout=30,
            )
            assert resp.status_code == 200 and resp.text.split()[-1] == "28"
            page = httpx.get(server.url + "/api/search", params={"q": "三名工程"}, timeout=30)
            assert page.status_code == 200 and "三名工程" in page.text
            # The guard still refuses outbound requests before they reach the remote server.
            bad = httpx.post(
                server.url + "/sparql",
                timeout=30,
                data={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
            )
            assert bad.status_code == 400
    finally:
        for server in servers:
            server.stop()
    RemoteStore(url).update("DROP ALL")
