"""Hostile SPARQL against a real ``policykg serve`` process: refused or stopped, never obeyed.

The server runs as a user starts it (``policykg serve`` in its own process on 127.0.0.1,
over a copy of the API store, configured by ``POLICYKG_*`` variables) and is spoken to
over HTTP. Every hostile request must come back as the JSON error envelope with the
right status and no Python traceback; then the next ordinary query must still get the
right answer. A loopback listener stands in for "the web": SERVICE, LOAD, FROM and
friends pointed at it must never open a single connection. The server (``served``), the
listener (``web``) and the checks run after each test (``unharmed``, ``untouched``) are
conftest fixtures, shared with ``test_request_limits.py`` and ``test_auth.py``.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlencode

import httpx
import pytest

from support.common import AUTH, FORM_TYPE, QUERY_TYPE, SERVER_ENV, UPDATE_TYPE, assert_refused
from support.servers import COUNT_TASKS, assert_serves

pytestmark = pytest.mark.remote

QUERY_TIMEOUT = float(SERVER_ENV["POLICYKG_QUERY_TIMEOUT"])


def ask(server, query: str, how: str = "get", **kw) -> httpx.Response:
    """``query`` sent by GET, form POST or direct POST."""
    if how == "get":
        return httpx.get(server.url + "/sparql", params={"query": query}, timeout=30, **kw)
    if how == "form":
        return httpx.post(server.url + "/sparql", data={"query": query}, timeout=30, **kw)
    return httpx.post(server.url + "/sparql", content=query.encode(), headers=QUERY_TYPE, timeout=30, **kw)


def update(server, text: str, *, path: str = "/update", form: bool = False) -> httpx.Response:
    """``text`` as an update with the right token, direct or as a form."""
    if form:
        return httpx.post(server.url + path, data={"update": text}, headers=AUTH, timeout=30)
    return httpx.post(server.url + path, content=text.encode(), headers={**UPDATE_TYPE, **AUTH}, timeout=30)


# -- SERVICE, FROM, LOAD: nothing leaves the machine -------------------------------------------


def assert_forbidden(r: httpx.Response, word: str) -> None:
    """Refused as a forbidden query (400), the message naming ``word``."""
    err = assert_refused(r, 400, "forbidden_query")
    assert word in err["message"]


SERVICE = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "inside OPTIONAL": "SELECT * WHERE {{ ?t a pkg:Task OPTIONAL {{ SERVICE <{url}> {{ ?t ?p ?o }} }} }}",
    "in a subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
    "inside FILTER EXISTS": "SELECT * WHERE {{ ?t a pkg:Task FILTER EXISTS {{ SERVICE <{url}> {{ ?t ?p ?o }} }} }}",
    "inside FILTER NOT EXISTS": "ASK {{ ?t a pkg:Task FILTER NOT EXISTS {{ SERVICE SILENT <{url}> {{ ?t ?p ?o }} }} }}",
    "inside MINUS": "SELECT * WHERE {{ ?t a pkg:Task MINUS {{ SERVICE <{url}> {{ ?t ?p ?o }} }} }}",
    "in a UNION branch": "SELECT * WHERE {{ {{ ?t a pkg:Task }} UNION {{ SERVICE <{url}> {{ ?t ?p ?o }} }} }}",
    "with a variable": "SELECT * WHERE {{ VALUES ?x {{ <{url}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
    "with a bound variable, silent": 'SELECT * WHERE {{ BIND(IRI("{url}") AS ?x) SERVICE SILENT ?x {{ ?s ?p ?o }} }}',
    "to a file: IRI": "SELECT * WHERE {{ SERVICE <file:///etc/passwd> {{ ?s ?p ?o }} }}",
    "keyword written as \\u escapes": "SELECT * WHERE {{ \\u0053\\u0045RVICE <{url}> {{ ?s ?p ?o }} }}",
    "mixed case": "SELECT * WHERE {{ sErViCe <{url}> {{ ?s ?p ?o }} }}",
    "in CONSTRUCT": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "in DESCRIBE": "DESCRIBE ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("form", SERVICE, ids=list(SERVICE))
def test_service_anywhere_is_refused_before_any_connection(served, web, unharmed, form):
    """SERVICE in every position a query can hold it, sent every way a query can come."""
    query = SERVICE[form].format(url=f"http://127.0.0.1:{web.port}/sparql")
    for how in ("get", "form", "direct"):
        assert_forbidden(ask(served, query, how), "SERVICE")
        assert_serves(served)


FROM = {
    "FROM a URL": "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "FROM NAMED a URL": "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "FROM a file: IRI": "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    "FROM NAMED a file: IRI": "ASK FROM NAMED <file:///etc/passwd> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "FROM a prefixed file: name": "PREFIX f: <file:///etc/> SELECT * FROM f:passwd WHERE {{ ?s ?p ?o }}",
    "FROM a relative IRI against BASE": "BASE <{url}> SELECT * FROM <data.ttl> WHERE {{ ?s ?p ?o }}",
    "FROM in CONSTRUCT": "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}",
}


@pytest.mark.parametrize("form", FROM, ids=list(FROM))
def test_from_outside_the_store_is_refused_before_any_connection(served, web, unharmed, form):
    query = FROM[form].format(url=f"http://127.0.0.1:{web.port}/g")
    for how in ("get", "direct"):
        assert_forbidden(ask(served, query, how), "never fetches")


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_protocol_graph_parameters_never_fetch(served, web, unharmed, param):
    """default-graph-uri / named-graph-uri naming a URL or a file select an empty graph (the
    W3C protocol tests expect 2xx); nothing is fetched or read."""
    query = (
        "SELECT * WHERE { ?s ?p ?o }" if param == "default-graph-uri" else "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    )
    for target in (f"http://127.0.0.1:{web.port}/g.ttl", "file:///etc/passwd"):
        r = httpx.get(served.url + "/sparql", params={"query": query, param: target}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == []
        assert "root:" not in r.text


LOAD = {
    "LOAD a URL": "LOAD <{url}>",
    "LOAD SILENT into a graph": "LOAD SILENT <{url}> INTO GRAPH <http://example.org/hostile-load>",
    "LOAD a file: IRI": "LOAD <file:///etc/passwd>",
    "LOAD a file: IRI into a graph": "LOAD <file:///etc/passwd> INTO GRAPH <http://example.org/hostile-load>",
    "LOAD after another operation": "CLEAR SILENT GRAPH <http://example.org/none> ; LOAD <{url}>",
    "LOAD written as \\u escapes": "\\u004COAD <{url}>",
}


@pytest.mark.parametrize("form", LOAD, ids=list(LOAD))
def test_load_is_refused_even_with_the_write_token(served, web, untouched, form):
    """LOAD on /update (direct and form) and as update= on /sparql, all with a valid token."""
    text = LOAD[form].format(url=f"http://127.0.0.1:{web.port}/data.ttl")
    for r in (update(served, text), update(served, text, form=True), update(served, text, path="/sparql", form=True)):
        assert_forbidden(r, "LOAD")


def test_update_with_service_or_using_a_url_makes_no_connection(served, web, untouched):
    url = f"http://127.0.0.1:{web.port}/g"
    target = "http://example.org/hostile-using"
    r = update(served, f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert_refused(r, 400, "forbidden_query")
    # USING only selects graphs of the store: a URL there selects nothing and is never fetched
    r = update(served, f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} USING <{url}> WHERE {{ ?s ?p ?o }}")
    assert r.status_code == 204, r.text
    r = httpx.post(
        served.url + "/update",
        params={"using-graph-uri": url},
        headers={**UPDATE_TYPE, **AUTH},
        content=f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}".encode(),
        timeout=30,
    )
    assert r.status_code == 204, r.text


# -- one reading: what the guard checks is what Oxigraph runs -----------------------------------
# Each of these read one way to the guard before issue 12 and another way to Oxigraph, which
# called the listener (or, in an isolated worker, failed with a 500). The guard now reads a text
# as Oxigraph's grammar does and the endpoint runs the guard's canonical text, never the client's.

READ_TWO_WAYS = {
    "SERVICE glued to a prefixed name": "PREFIX : <{url}> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}",
    "SERVICE SILENT glued to a prefixed name": "PREFIX : <{url}> SELECT * {{ SERVICESILENT:x {{ ?s ?p ?o }} }}",
    "a prefix named SERVICE and something": "PREFIX SERVICEx: <urn:x:> PREFIX x: <{url}> "
    "SELECT * {{ SERVICEx:y {{ ?s ?p ?o }} }}",
    "< as less-than before a #": "PREFIX : <{url}> SELECT * {{ FILTER(?a<?b)SERVICE:x#>\n{{ ?s ?p ?o }} }}",
    "\\u0022 in a string": 'SELECT * {{ BIND("\\u0022" AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }} # "',
    "\\u005C in a string": 'SELECT * {{ BIND("\\u005C" AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }} # "',
}


@pytest.mark.parametrize("form", READ_TWO_WAYS, ids=list(READ_TWO_WAYS))
def test_a_service_only_oxigraph_saw_is_refused_before_any_connection(served, web, unharmed, form):
    """Issue 12, item 1: a keyword glued to a prefixed name, ``<`` as less-than, ``\\u`` escapes
    that the old guard decoded outside strings."""
    query = READ_TWO_WAYS[form].format(url=f"http://127.0.0.1:{web.port}/sparql/")
    for how in ("get", "form", "direct"):
        assert_forbidden(ask(served, query, how), "SERVICE")


def test_from_glued_to_a_prefixed_name_is_refused(served, web, unharmed):
    """``FROM:g`` is FROM then ``:g`` to Oxigraph: refused with a message saying so, as a dataset
    outside the store would be."""
    r = ask(served, f"PREFIX : <http://127.0.0.1:{web.port}/> SELECT * FROM:g {{ ?s ?p ?o }}", "direct")
    err = assert_refused(r, 400, "bad_query")
    assert "FROM" in err["message"]


def test_load_glued_to_a_prefixed_name_is_refused_even_with_the_write_token(served, web, untouched):
    """``PREFIX : <…> LOAD:x.ttl`` made the server process itself fetch the URL."""
    text = f"PREFIX : <http://127.0.0.1:{web.port}/> LOAD:x.ttl"
    for r in (update(served, text), update(served, text, form=True)):
        assert_forbidden(r, "LOAD")


def _graph_values(served, graph: str) -> list[str]:
    r = httpx.get(
        served.url + "/sparql", params={"query": f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}, timeout=30
    )
    assert r.status_code == 200, r.text
    return sorted(b["o"]["value"] for b in r.json()["results"]["bindings"])


def test_an_update_runs_as_oxigraph_reads_it_not_a_decoded_copy(served, web, untouched):
    """Issue 12, item 5: ``/update`` ran the guard's ``\\u``-decoded copy, where ``\\u0022`` closed the
    string and a DROP GRAPH hidden inside it ran. Oxigraph reads one string holding the DROP."""
    victim, target = "http://example.org/hostile-victim", "http://example.org/hostile-note"
    assert update(served, f"INSERT DATA {{ GRAPH <{victim}> {{ <urn:a> <urn:b> <urn:c> }} }}").status_code == 204
    try:
        text = (
            f'INSERT DATA {{ GRAPH <{target}> {{ <urn:a> <urn:note> "x\\u0022 }} }} ; DROP GRAPH <{victim}> ; '
            f'INSERT DATA {{ GRAPH <{target}> {{ <urn:a> <urn:b> \\u0022y" }} }}'
        )
        r = update(served, text)
        assert r.status_code == 204, r.text
        assert _graph_values(served, victim) == ["urn:c"], "the DROP hidden in a string ran"
        assert _graph_values(served, target) == [
            f'x" }} }} ; DROP GRAPH <{victim}> ; INSERT DATA {{ GRAPH <{target}> {{ <urn:a> <urn:b> "y'
        ]
    finally:
        update(served, f"DROP SILENT GRAPH <{victim}> ; DROP SILENT GRAPH <{target}>")


def test_an_escaped_backslash_is_stored_as_a_backslash(served, web, untouched):
    """``"a\\u005Cnb"`` is a, backslash, n, b (what ``\\u005C`` yields is not read again); the
    decoded copy stored a newline."""
    target = "http://example.org/hostile-backslash"
    try:
        r = update(served, f'INSERT DATA {{ GRAPH <{target}> {{ <urn:a> <urn:note> "a\\u005Cnb" }} }}')
        assert r.status_code == 204, r.text
        assert _graph_values(served, target) == ["a\\nb"]
    finally:
        update(served, f"DROP SILENT GRAPH <{target}>")


# -- nesting and chains that would crash a parser ----------------------------------------------

DEEP = {
    "10 000 nested groups": "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000,
    "5 000 nested OPTIONALs": "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL{?s ?p ?o " * 5_000 + "}" * 5_001,
    "10 000 nested brackets in a FILTER": "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "10 000 negations": "ASK { FILTER(" + "!" * 10_000 + "true) }",
    "3 000 nested subqueries": "SELECT * WHERE " + "{ SELECT * WHERE " * 3_000 + "{ ?s ?p ?o }" + " }" * 3_000,
    "3 000 nested quoted triples": "ASK { ?s ?p "
    + "<< <http://a> <http://b> " * 3_000
    + "<http://c>"
    + " >>" * 3_000
    + " }",
}


@pytest.mark.parametrize("form", DEEP, ids=list(DEEP))
def test_deeply_nested_query_is_refused_before_a_worker_reads_it(served, unharmed, form):
    """Oxigraph's parser overflows its stack a few thousand levels down (a crash, not an error):
    the guard counts the nesting first and answers 400 at once."""
    started = time.monotonic()
    err = assert_refused(ask(served, DEEP[form], "direct"), 400, "query_too_complex")
    assert "nested" in err["message"]
    assert time.monotonic() - started < 2.0


DEEP_UPDATES = {
    "10 000 nested blank nodes": "INSERT DATA { GRAPH <http://example.org/deep> { <http://a> <http://b> "
    + "[ <http://c> " * 10_000
    + "1"
    + " ]" * 10_000
    + " } }",
    "10 000 nested collections": "INSERT DATA { GRAPH <http://example.org/deep> { <http://a> <http://b> "
    + "( " * 10_000
    + "1"
    + " )" * 10_000
    + " } }",
    "10 000 nested groups in WHERE": "INSERT { GRAPH <http://example.org/deep> { ?s ?p ?o } } WHERE "
    + "{" * 10_000
    + " ?s ?p ?o "
    + "}" * 10_000,
}


@pytest.mark.parametrize("form", DEEP_UPDATES, ids=list(DEEP_UPDATES))
def test_deeply_nested_update_is_refused_and_the_server_lives(served, untouched, form):
    """Updates run in the server process itself: one of these used to kill it (SIGSEGV)."""
    assert_refused(update(served, DEEP_UPDATES[form]), 400, "query_too_complex")


def test_a_query_chained_thousands_long_costs_a_worker_not_the_server(served, unharmed):
    """12 000 UNION branches are not nested, but Oxigraph's planner recurses over them and
    overflows: the worker dies, the client gets 400, a fresh worker takes the next query."""
    query = "SELECT * WHERE { {} " + "UNION{} " * 12_000 + "}"
    err = assert_refused(ask(served, query, "direct"), 400, "query_too_complex")
    assert "crashed the worker" in err["message"]


CHAINED_UPDATES = {
    "20 000 UNION branches": "INSERT { GRAPH <http://example.org/chain> { ?s ?p ?o } } WHERE { {} "
    + "UNION {} " * 20_000
    + "}",
    "20 000 FILTERs after an operation that fails on an empty store": "DROP GRAPH "
    "<https://w3id.org/policykg/id/doc/xundian-2018> ; "
    "INSERT { GRAPH <http://example.org/chain> { ?s ?p ?o } } WHERE { ?s ?p ?o " + "FILTER(true) " * 20_000 + "}",
}


@pytest.mark.parametrize("form", CHAINED_UPDATES, ids=list(CHAINED_UPDATES))
def test_an_update_chained_thousands_long_is_tried_in_a_worker_first(served, untouched, form):
    """The same overflow in an update would kill the server (updates run in it): each update is
    first parsed and planned on an empty store in a worker, where the crash is harmless."""
    assert_refused(update(served, CHAINED_UPDATES[form]), 400, "query_too_complex")


def test_an_update_too_big_to_plan_is_stopped_at_the_time_limit(served, untouched):
    """3 000 triple patterns in a WHERE: Oxigraph's planner alone runs for minutes."""
    where = " ".join(f"?s{i} <http://example.org/p> ?o{i} ." for i in range(3_000))
    started = time.monotonic()
    err = assert_refused(update(served, f"DELETE {{ ?s0 ?p ?o0 }} WHERE {{ {where} }}"), 400, "query_too_complex")
    assert "could not even be planned" in err["message"]
    assert time.monotonic() - started < QUERY_TIMEOUT + 3.0


# -- runaway queries ------------------------------------------------------------------------------

RUNAWAY = {
    "join of four unbound patterns": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    "property path over everything": "SELECT (COUNT(*) AS ?n) WHERE { "
    "?s (<http://example.org/p>|!<http://example.org/p>)* "
    "?o . ?o (<http://example.org/p>|!<http://example.org/p>)* ?x }",
}


@pytest.mark.parametrize("form", RUNAWAY, ids=list(RUNAWAY))
def test_runaway_query_is_stopped_at_the_time_limit_and_the_next_is_served(served, unharmed, form):
    started = time.monotonic()
    err = assert_refused(ask(served, RUNAWAY[form]), 503, "query_timeout")
    elapsed = time.monotonic() - started
    assert QUERY_TIMEOUT - 0.1 <= elapsed < QUERY_TIMEOUT + 3.0, elapsed
    assert f"{QUERY_TIMEOUT:g} s" in err["message"]


# -- size -----------------------------------------------------------------------------------------


def test_a_query_over_max_query_bytes_is_413_before_it_is_read(served, unharmed):
    huge = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 120_000  # under max_request_bytes, over max_query_bytes
    for how in ("form", "direct"):
        err = assert_refused(ask(served, huge, how), 413, "request_too_large")
        assert "100000 bytes" in err["message"]


def test_a_url_too_long_for_the_http_layer_is_a_plain_400(served, unharmed):
    """Past ~64 kB a request line is refused by uvicorn itself (before our code): a short plain
    400, and the server goes on."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(b"GET /sparql?query=ASK%7B%7D%23" + b"x" * 300_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert b"Traceback" not in reply


# -- doubled parameters ---------------------------------------------------------------------------


def test_two_queries_are_400_however_they_come(served, untouched):
    q = "ASK {}"
    url = served.url + "/sparql"
    cases = [
        httpx.get(url, params=[("query", q), ("query", q)]),
        httpx.post(url, params={"query": q}, data={"query": q}),
        httpx.post(url, content=urlencode([("query", q), ("query", q)]), headers=FORM_TYPE),
        httpx.post(url, params={"query": q}, content=q.encode(), headers=QUERY_TYPE),
        httpx.post(url, data={"query": q, "update": "CLEAR ALL"}, headers=AUTH),
    ]
    for r in cases:
        assert_refused(r, 400, "bad_query")


def test_two_updates_are_400_and_change_nothing(served, untouched):
    text = "INSERT DATA { GRAPH <http://example.org/doubled> { <http://a> <http://b> <http://c> } }"
    r = httpx.post(
        served.url + "/update", content=urlencode([("update", text), ("update", text)]), headers={**FORM_TYPE, **AUTH}
    )
    assert_refused(r, 400, "bad_query")
    r = httpx.post(
        served.url + "/update", params={"update": text}, content=text.encode(), headers={**UPDATE_TYPE, **AUTH}
    )
    assert_refused(r, 400, "bad_query")


def test_an_update_by_get_is_refused_even_with_the_token(served, untouched):
    r = httpx.get(served.url + "/sparql", params={"update": "DROP ALL"}, headers=AUTH)
    err = assert_refused(r, 400, "bad_query")
    assert "POST" in err["message"]


def test_two_default_graphs_are_legal_and_merged(served):
    docs = ["https://w3id.org/policykg/id/doc/xundian-2018", "https://w3id.org/policykg/id/doc/kunming-2017"]
    counts = [
        int(
            httpx.get(served.url + "/sparql", params={"query": COUNT_TASKS, "default-graph-uri": d}).json()["results"][
                "bindings"
            ][0]["n"]["value"]
        )
        for d in docs
    ]
    r = httpx.get(served.url + "/sparql", params=[("query", COUNT_TASKS)] + [("default-graph-uri", d) for d in docs])
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == sum(counts) and min(counts) >= 2


# -- bytes that are not UTF-8 ---------------------------------------------------------------------

QUERY_ZH = 'SELECT ?s WHERE { ?s rdfs:label "实施三名工程" }'


def test_a_gbk_query_body_is_400_naming_the_byte(served, untouched):
    r = httpx.post(served.url + "/sparql", content=QUERY_ZH.encode("gbk"), headers=QUERY_TYPE)
    err = assert_refused(r, 400, "bad_encoding")
    assert "not UTF-8" in err["message"] and "offset" in err["message"]
    r = httpx.post(served.url + "/update", content=QUERY_ZH.encode("gbk"), headers={**UPDATE_TYPE, **AUTH})
    assert_refused(r, 400, "bad_encoding")


def test_a_declared_other_charset_is_415_naming_it(served, unharmed):
    r = httpx.post(
        served.url + "/sparql",
        content=QUERY_ZH.encode("gbk"),
        headers={"content-type": "application/sparql-query; charset=GBK"},
    )
    err = assert_refused(r, 415, "unsupported_media_type")
    assert "gbk" in err["message"]


BAD_ESCAPES = {
    "GBK bytes percent-encoded": "query=" + "".join(f"%{b:02X}" for b in QUERY_ZH.encode("gbk")),
    "raw GBK bytes": None,  # the body itself is GBK
    "a % without hex digits": "query=ASK%20%7B%7D%G1",
    "a % at the end": "query=ASK%20%7B%7D%",
    "half a UTF-8 sequence": "query=ASK%20%7B%7D%23%E5%AE",
}


@pytest.mark.parametrize("case", BAD_ESCAPES, ids=list(BAD_ESCAPES))
def test_a_broken_form_body_or_url_is_400_with_a_readable_reason(served, unharmed, case):
    """Where urllib would silently put U+FFFD into the query (or keep a stray %), the server says
    what is wrong with the bytes."""
    raw = BAD_ESCAPES[case]
    body = QUERY_ZH.encode("gbk") if raw is None else raw.encode("latin-1")
    if raw is None:
        body = b"query=" + body
    r = httpx.post(served.url + "/sparql", content=body, headers=FORM_TYPE)
    err = assert_refused(r, 400, "bad_encoding")
    assert "UTF-8" in err["message"] or "percent-escape" in err["message"]
    if raw is not None:  # the same bytes in the URL's query string
        r = httpx.get(served.url + "/sparql?" + raw)
        assert_refused(r, 400, "bad_encoding")


# -- protocol parameters that are pasted into text ----------------------------------------------

INJECTED_IRIS = [
    "http://a> } ; DROP ALL ; INSERT DATA { <http://x",
    "http://a/\\u003E WHERE {} ; DROP ALL #",
    "http://a/\u0022} UNION {",
    "http://a/\n DROP ALL",
    "http://a/ } UNION { ?s ?p ?o }",
]


@pytest.mark.parametrize("iri", INJECTED_IRIS)
def test_graph_parameters_are_iris_never_query_text(served, untouched, iri):
    """using-graph-uri is written into the update text: anything but an IRI is a 400 first."""
    text = "INSERT { GRAPH <http://example.org/inj> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    for name in ("using-graph-uri", "using-named-graph-uri"):
        r = httpx.post(
            served.url + "/update", params={name: iri}, content=text.encode(), headers={**UPDATE_TYPE, **AUTH}
        )
        assert_refused(r, 400, "bad_query")
    for name in ("default-graph-uri", "named-graph-uri"):
        assert_refused(httpx.get(served.url + "/sparql", params={"query": "ASK {}", name: iri}), 400, "bad_query")
    r = httpx.put(
        served.url + "/graph-store",
        params={"graph": iri},
        headers={"content-type": "text/turtle", **AUTH},
        content=b"<http://a> <http://b> <http://c> .",
    )
    assert_refused(r, 400, "bad_query")


def test_the_server_never_hit_an_unhandled_error(served):
    """Last in this file: nothing above made the server log a traceback (a 500) or die."""
    assert_serves(served)
    assert "Traceback" not in served.log(), served.log()[-3000:]
