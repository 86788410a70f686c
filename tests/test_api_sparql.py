"""/sparql against a live uvicorn server: negotiation, errors, safety, real clients."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from support.common import API_TOKEN, copy_store
from support.servers import COUNT_TASKS, task_count

pytestmark = pytest.mark.remote


def get(server, **kw):
    headers = kw.pop("headers", {})
    return httpx.get(server.url + "/sparql", params=kw, headers=headers, timeout=30)


def post(server, path="/sparql", **kw):
    return httpx.post(server.url + path, timeout=30, **kw)


def direct(server, query: str) -> list[tuple[str, ...]]:
    """The same query run directly on the server's store (the expected answer)."""
    rows = server.store.query(query)
    return [tuple(t.value if t is not None else None for t in r) for r in rows]


def expected_tasks(server) -> int:
    return int(direct(server, COUNT_TASKS)[0][0])


# -- protocol ---------------------------------------------------------------------------


def test_get_form_post_and_direct_post_agree(api_server):
    a = get(api_server, query=COUNT_TASKS).json()
    b = post(api_server, data={"query": COUNT_TASKS}).json()
    c = post(api_server, content=COUNT_TASKS.encode(), headers={"content-type": "application/sparql-query"}).json()
    assert a == b == c
    assert int(a["results"]["bindings"][0]["n"]["value"]) == expected_tasks(api_server) >= 8


def test_unknown_parameters_are_ignored(api_server):
    r = get(api_server, query="ASK {}", format="json", output="json", results="json", foo="bar")
    assert r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.parametrize(
    "accept,media",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        (
            "application/sparql-results+xml;q=0.2, */*;q=0.1, application/sparql-results+json;q=0.3",
            "application/sparql-results+json",
        ),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
    ],
)
def test_select_negotiation(api_server, accept, media):
    r = get(api_server, query="SELECT ?t WHERE { ?t a pkg:Section } LIMIT 3", headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    assert "Accept" in r.headers.get("vary", "")


@pytest.mark.parametrize(
    "accept,media",
    [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/rdf+xml;q=0.4, application/ld+json;q=0.8", "application/ld+json"),
    ],
)
def test_construct_negotiation(api_server, accept, media):
    from rdflib import Graph

    q = "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a pkg:Section ; rdfs:label ?l }"
    r = get(api_server, query=q, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    fmt = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
    }[media]
    assert len(Graph().parse(data=r.content, format=fmt)) >= 5


def test_406_envelope(api_server):
    r = get(api_server, query="SELECT * WHERE { ?s ?p ?o } LIMIT 1", headers={"accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["error"]["code"] == "not_acceptable"
    r = get(api_server, query="CONSTRUCT WHERE { ?s ?p ?o }", headers={"accept": "text/csv"})
    assert r.status_code == 406


def test_errors_are_one_envelope(api_server):
    cases = [
        (post(api_server, content=b"ASK {}", headers={"content-type": "text/plain"}), 415),
        (
            post(
                api_server,
                content="ASK {}".encode("utf-16"),
                headers={"content-type": "application/sparql-query; charset=UTF-16"},
            ),
            415,
        ),
        (httpx.get(api_server.url + "/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D"), 400),
        (get(api_server, query="SELECT * WHERE {"), 400),
        (httpx.put(api_server.url + "/sparql", content=b"x"), 405),
        (httpx.get(api_server.url + "/api/documents/nope"), 404),
    ]
    for r, status in cases:
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"error"} and body["error"]["status"] == status and body["error"]["message"]


def test_request_size_cap(api_server):
    big = "ASK {} #" + "x" * 300_000
    r = post(api_server, content=big.encode(), headers={"content-type": "application/sparql-query"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"


def test_row_cap_is_visible(api_server):
    r = get(api_server, query="SELECT * WHERE { ?s ?p ?o }")
    assert r.status_code == 200
    assert r.headers["x-policykg-truncated"] == "true"
    body = r.json()
    assert len(body["results"]["bindings"]) == 200 and body["truncated"] is True
    small = get(api_server, query="SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert "x-policykg-truncated" not in small.headers


def test_cors_read_only(api_server):
    r = httpx.get(api_server.url + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    pre = httpx.options(
        api_server.url + "/update",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "authorization" not in pre.headers.get("access-control-allow-headers", "").lower()


def test_service_description_lists_only_enabled_features(api_server):
    from rdflib import Graph, Namespace, URIRef

    SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
    r = httpx.get(api_server.url + "/sparql", headers={"accept": "text/turtle"})
    g = Graph().parse(data=r.content, format="turtle")
    svc = URIRef(api_server.url + "/sparql")
    assert set(g.objects(svc, SD.feature)) == {SD.UnionDefaultGraph}
    assert set(g.objects(svc, SD.supportedLanguage)) == {SD.SPARQL11Query}
    # a browser asking for HTML gets the query page instead
    r = httpx.get(api_server.url + "/sparql", headers={"accept": "text/html,*/*;q=0.8"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/query"


# -- no outbound requests ---------------------------------------------------------------------


def test_service_load_from_make_no_request(api_server, web):
    hits = web.hits
    url = f"http://127.0.0.1:{web.port}/sparql"
    queries = [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",  # code-point escape
        f"SELECT * WHERE {{ # a comment\n SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"PREFIX r: <http://127.0.0.1:{web.port}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"ASK FROM <{url}> {{ }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"DESCRIBE <{url}> FROM <{url}>",
    ]
    for q in queries:
        for r in (
            get(api_server, query=q),
            post(api_server, content=q.encode(), headers={"content-type": "application/sparql-query"}),
        ):
            assert r.status_code == 400, (q, r.text)
            assert r.json()["error"]["code"] == "forbidden_query", q
    # LOAD is refused even with the write token
    for u in (f"LOAD <{url}>", f"LOAD SILENT <{url}> INTO GRAPH <http://x/g>"):
        r = post(
            api_server,
            "/update",
            content=u.encode(),
            headers={"content-type": "application/sparql-update", "Authorization": f"Bearer {API_TOKEN}"},
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "forbidden_query"
    time.sleep(0.3)
    assert web.hits == hits


def test_lookalikes_are_not_refused(api_server, web):
    """SERVICE / FROM / LOAD inside strings, comments, IRIs, prefixed names and variables are fine."""
    hits = web.hits
    url = f"http://127.0.0.1:{web.port}/x"
    queries = [
        f'SELECT ?service WHERE {{ BIND("SERVICE <{url}> {{}}" AS ?service) }}',
        f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT 1 # SERVICE <{url}> {{}} FROM <{url}>",
        "PREFIX ex: <http://example.org/> SELECT ?from WHERE { ?from ex:service ex:load } LIMIT 1",
        f"SELECT * WHERE {{ <{url}#SERVICE> ?p ?o }}",
        f"SELECT * WHERE {{ BIND('''multi\nline SERVICE <{url}> ''' AS ?x) }}",
    ]
    for q in queries:
        r = get(api_server, query=q)
        assert r.status_code == 200, (q, r.text)
    assert web.hits == hits


def test_from_a_local_graph_is_allowed(api_server):
    doc = "https://w3id.org/policykg/id/doc/xundian-2018"
    r = get(api_server, query=f"SELECT (COUNT(?t) AS ?n) FROM <{doc}> WHERE {{ ?t a pkg:Task }}")
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "2"


# -- time limit ---------------------------------------------------------------------------------


def test_runaway_query_is_stopped_and_the_next_is_served(api_server):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    started = time.monotonic()
    r = get(api_server, query=runaway)
    elapsed = time.monotonic() - started
    assert r.status_code == 503 and r.json()["error"]["code"] == "query_timeout"
    assert elapsed < 3.0 + 2.0, elapsed  # the 3 s limit, plus slack
    started = time.monotonic()
    assert task_count(api_server) == expected_tasks(api_server)
    assert time.monotonic() - started < 2.0
    # the worker that ran it was killed: no process keeps burning CPU
    runner = api_server.app.state.runner
    assert runner.timeouts >= 1
    # Its replacement starts in the background (a spawned Python: up to seconds on a loaded machine).
    deadline = time.monotonic() + 30
    while not (all(w.process.is_alive() for w in runner._all) and len(runner._all) == runner.size):
        assert time.monotonic() < deadline, f"{len(runner._all)} workers of {runner.size} after 30 s"
        time.sleep(0.05)


@pytest.mark.slow
def test_parallel_runaways_do_not_block_forever(api_server):
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with httpx.Client(timeout=30) as c:
        import concurrent.futures as cf

        with cf.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(c.get, api_server.url + "/sparql", params={"query": runaway}) for _ in range(3)]
            codes = [f.result().status_code for f in futures]
    assert set(codes) == {503}
    time.sleep(1.5)
    assert task_count(api_server) == expected_tasks(api_server)


# -- snapshots ----------------------------------------------------------------------------------


def test_a_checkpoint_handed_to_a_query_survives_a_write_and_another_query_in_between(sample_store_path, tmp_path):
    """Query A is handed the current checkpoint; before its worker reads it, a write lands and
    query B takes (and collects old) checkpoints. A must still get its answer, from the store as
    it was when A started; B sees the write. The pause comes right after ``snapshot()`` lets go of
    its lock, where a worker marked as reading only after that lost its checkpoint (a 500)."""
    from policykg.graph.query_runner import QueryRunner
    from policykg.graph.store import OxigraphStore

    store = OxigraphStore(copy_store(sample_store_path, tmp_path / "store"))
    runner = QueryRunner(store, workers=2, timeout=20)
    taken = runner.snapshot
    handed, resume = threading.Event(), threading.Event()

    def snapshot_then_pause(*args, **kwargs):
        path = taken(*args, **kwargs)
        if threading.current_thread().name == "query-a":
            handed.set()
            resume.wait(20)
        return path

    runner.snapshot = snapshot_then_pause
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    answers: dict[str, object] = {}

    def query_a() -> None:
        try:
            answers["a"] = runner.run(count, fmt="csv")["body"]
        except Exception as exc:
            answers["a"] = exc

    try:
        before = store.count()
        a = threading.Thread(target=query_a, name="query-a")
        a.start()
        assert handed.wait(60), "query A never got a checkpoint"
        store.update('INSERT DATA { GRAPH <http://example.org/race> { <http://example.org/s> rdfs:label "x" } }')
        runner.mark_dirty()
        b = runner.run(count, fmt="csv")["body"]
        resume.set()
        a.join(60)
        assert answers["a"] == f"n\r\n{before}\r\n".encode(), answers["a"]
        assert b == f"n\r\n{before + 1}\r\n".encode(), b
    finally:
        resume.set()
        runner.close()
        store.close()


# -- updates -----------------------------------------------------------------------------------

INSERT = 'INSERT DATA { GRAPH <http://example.org/api-test> { <http://example.org/a> rdfs:label "x" } }'


def test_update_without_token_is_refused_and_store_unchanged(api_server):
    before = api_server.store.count()
    attempts = [
        post(api_server, "/update", content=INSERT.encode(), headers={"content-type": "application/sparql-update"}),
        post(api_server, "/update", data={"update": INSERT}),
        post(
            api_server,
            "/update",
            content=INSERT.encode(),
            headers={"content-type": "application/sparql-update", "Authorization": "Bearer wrong"},
        ),
        post(api_server, data={"update": INSERT}),  # to the public endpoint
        post(api_server, content=INSERT.encode(), headers={"content-type": "application/sparql-update"}),
        httpx.put(
            api_server.url + "/graph-store",
            params={"graph": "http://example.org/api-test"},
            content=b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .",
            headers={"content-type": "application/n-triples"},
        ),
        httpx.delete(
            api_server.url + "/graph-store", params={"graph": "https://w3id.org/policykg/id/doc/xundian-2018"}
        ),
        post(api_server, "/documents", params={"name": "x.txt"}, content="一、标题\n1.任务。".encode()),
    ]
    for r in attempts:
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert api_server.store.count() == before
    assert get(api_server, query="ASK { <http://example.org/a> ?p ?o }").json()["boolean"] is False
    # and a query cannot smuggle an update
    r = get(api_server, query=INSERT)
    assert r.status_code == 400 and api_server.store.count() == before


def test_update_with_token_is_seen_by_the_next_query(api_server):
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    r = post(
        api_server, "/update", content=INSERT.encode(), headers={"content-type": "application/sparql-update", **auth}
    )
    assert r.status_code == 204, r.text
    try:
        assert get(api_server, query='ASK { <http://example.org/a> rdfs:label "x" }').json()["boolean"] is True
    finally:
        r = post(api_server, "/update", data={"update": "DROP GRAPH <http://example.org/api-test>"}, headers=auth)
        assert r.status_code == 204
    assert get(api_server, query="ASK { <http://example.org/a> ?p ?o }").json()["boolean"] is False


def test_graph_store_protocol(api_server):
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    g = "http://example.org/gsp-test"
    nt = b'<http://example.org/s> <http://example.org/p> "v" .\n'
    r = httpx.put(
        api_server.url + "/graph-store",
        params={"graph": g},
        content=nt,
        headers={"content-type": "application/n-triples", **auth},
    )
    assert r.status_code == 201
    r = httpx.post(
        api_server.url + "/graph-store",
        params={"graph": g},
        content=b'<http://example.org/s> <http://example.org/p> "w" .',
        headers={"content-type": "text/turtle", **auth},
    )
    assert r.status_code == 204
    r = httpx.get(api_server.url + "/graph-store", params={"graph": g}, headers={"accept": "application/n-triples"})
    assert r.status_code == 200 and r.text.count("\n") == 2
    r = httpx.delete(api_server.url + "/graph-store", params={"graph": g}, headers=auth)
    assert r.status_code == 204
    assert httpx.get(api_server.url + "/graph-store", params={"graph": g}).status_code == 404


# -- real clients -------------------------------------------------------------------------------

SECTIONS = (
    "PREFIX pkg: <https://w3id.org/policykg/ontology#>\n"
    "SELECT ?l WHERE { ?s a pkg:Section ; rdfs:label ?l } ORDER BY ?l"
)
DIVISIONS = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
SELECT ?code ?label WHERE { ?d a pkg:AdministrativeDivision ; pkg:adminCode ?code ; rdfs:label ?label }
ORDER BY ?code ?label"""


def test_sparqlwrapper(api_server):
    from SPARQLWrapper import CSV, JSON, POST, TURTLE, XML, SPARQLWrapper

    expected = [r[0] for r in direct(api_server, SECTIONS)]
    assert "实施三名工程" in expected
    sw = SPARQLWrapper(api_server.url + "/sparql")
    sw.setQuery(SECTIONS)
    sw.setReturnFormat(JSON)
    rows = sw.query().convert()["results"]["bindings"]
    assert [r["l"]["value"] for r in rows] == expected
    sw.setMethod(POST)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()
    assert len(doc.getElementsByTagName("result")) == len(expected)
    sw.setReturnFormat(CSV)
    lines = sw.query().convert().decode().splitlines()
    assert lines[0] == "l" and len(lines) == len(expected) + 1
    sw.setQuery("ASK { ?s a <https://w3id.org/policykg/ontology#Program> }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True
    sw.setQuery("CONSTRUCT WHERE { ?s a <https://w3id.org/policykg/ontology#Program> }")
    sw.setReturnFormat(TURTLE)
    from rdflib import Graph

    g = Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(g) == len(direct(api_server, "SELECT DISTINCT ?s WHERE { ?s a pkg:Program }")) >= 4


def test_rdflib_sparqlstore(api_server):
    from rdflib import Graph, URIRef
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(api_server.url + "/sparql", returnFormat="json")
    g = Graph(store)
    rows = [(str(code), str(label)) for code, label in g.query(DIVISIONS)]
    assert rows == direct(api_server, DIVISIONS)
    assert ("530129", "寻甸回族彝族自治县") in rows
    assert g.query("ASK { ?s a <https://w3id.org/policykg/ontology#Target> }").askAnswer is True
    prog = URIRef("https://w3id.org/policykg/id/program/名校建设工程")
    # the union default graph keeps one copy per document graph (bag semantics): compare as sets
    parents = set(g.objects(prog, URIRef("https://w3id.org/policykg/ontology#partOf")))
    assert parents == {URIRef("https://w3id.org/policykg/id/program/三名工程")}
    store.close()
