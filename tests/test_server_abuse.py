"""Abuse of the running server beyond hostile SPARQL: exhaustion, unbounded reach, HTTP edge cases.

Everything runs against ``policykg serve`` in its own process (``support.common.serve``) on 127.0.0.1,
with one query worker, a short ``query_timeout`` and queue wait, and a tiny ``max_trace_nodes``,
so each limit is reached in well under a second of real work.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.common import REPO, SERVER_ENV, SERVER_MEMORY, assert_refused, serve
from support.servers import assert_serves

#: A four-way cross join over the whole store: runs until its worker is killed.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: More runaways than the pool of threads that the JSON API and the pages share (40).
FLOOD = 45
DOC = "/id/doc/kunming-2017-education-workplan"


@pytest.fixture(scope="module")
def busy(api_store_template, tmp_path_factory):
    env = {
        **SERVER_ENV,
        "POLICYKG_QUERY_WORKERS": "1",
        "POLICYKG_QUERY_TIMEOUT": "4",
        "POLICYKG_QUERY_QUEUE_WAIT": "0.5",
        "POLICYKG_MAX_TRACE_NODES": "3",
    }
    server = serve(api_store_template, tmp_path_factory.mktemp("abuse"), env=env, memory=SERVER_MEMORY)
    yield server
    server.stop()


def _timed_get(url: str, **kw) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    r = httpx.get(url, timeout=30, **kw)
    return r, time.monotonic() - start


def test_runaway_queries_beyond_the_workers_leave_the_api_pages_and_a_cheap_query_answering(busy):
    """45 runaway joins at once on one query worker: one runs until query_timeout (4 s), the
    others get 503 server_busy with Retry-After after the 0.5 s queue wait, and meanwhile the
    JSON API, /health, /explore and a cheap query answer within a second and a half (before, the
    waiting queries held every server thread and the API waited for query_timeout)."""
    replies: list[httpx.Response] = []

    def runaway() -> None:
        replies.append(httpx.get(busy.url + "/sparql", params={"query": RUNAWAY}, timeout=60))

    threads = [threading.Thread(target=runaway) for _ in range(FLOOD)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # every runaway has arrived and is running or waiting
    for path in ("/api/documents", "/health", "/explore", DOC):
        r, took = _timed_get(busy.url + path)
        assert r.status_code == 200 and took < 1.5, (path, r.status_code, took)
    r, took = _timed_get(busy.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert took < 1.5, took
    if r.status_code != 200:
        assert_refused(r, 503, "server_busy")
        assert int(r.headers["retry-after"]) >= 1
    for t in threads:
        t.join(30)
    codes = sorted(r.json()["error"]["code"] for r in replies)
    assert codes.count("query_timeout") >= 1 and set(codes) <= {"query_timeout", "server_busy"}, codes
    for r in replies:
        err = assert_refused(r, 503)
        if err["code"] == "server_busy":
            assert 1 <= int(r.headers["retry-after"]) <= 5, r.headers
    assert_serves(busy)


#: One route of each kind: page, API, SPARQL, service description, network view, static, schema.
GET_ROUTES = [
    "/",
    "/health",
    "/api/documents",
    "/api/overview",
    DOC,
    DOC + ".ttl",
    "/query",
    "/explore",
    "/sparql?query=ASK%7B%7D",
    "/graph-store?default",
    "/api/trace?program=%E4%B8%89%E5%90%8D%E5%B7%A5%E7%A8%8B",
    "/static/style.css",
    "/openapi.json",
    "/api/docs",
    "/id/doc/no-such-document",
    "/no-such-route",
]


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_answers_wherever_get_does_with_the_same_status_and_headers_and_no_body(busy, path):
    """HEAD is what link checkers and `curl -I` send (and HTTP requires it): every route answered
    it with 405 before."""
    get = httpx.get(busy.url + path, timeout=30)
    head = httpx.head(busy.url + path, timeout=30)
    assert head.status_code == get.status_code, (path, head.status_code, get.status_code)
    assert head.content == b""
    for name in ("content-type", "content-security-policy", "x-content-type-options"):
        assert head.headers.get(name) == get.headers.get(name), (path, name)


@pytest.mark.parametrize(
    "path,allow",
    [
        ("/", "GET, HEAD"),
        ("/api/documents", "GET, HEAD"),
        (DOC, "GET, HEAD"),
        ("/sparql", "GET, HEAD, POST"),
        ("/update", "POST"),
        ("/documents", "POST"),
        ("/graph-store?default", "DELETE, GET, HEAD, POST, PUT"),
        ("/static/style.css", "GET, HEAD"),
    ],
)
def test_a_method_a_route_does_not_take_is_405_in_the_envelope_naming_every_method_it_does(busy, path, allow):
    """Starlette's 405 named only the first route of the path: ``Allow: POST`` for /sparql (which
    takes GET too), ``Allow: HEAD`` for /graph-store."""
    for method in ("PATCH", "TRACE", "OPTIONS") + (("PUT", "DELETE") if "graph-store" not in path else ()):
        r = httpx.request(method, busy.url + path, timeout=30)
        assert_refused(r, 405, "method_not_allowed")
        assert r.headers["allow"] == allow, (method, path, r.headers.get("allow"))


def test_a_trace_stops_at_max_trace_nodes_and_says_so(busy, sample_store):
    """A program whose reach is larger than max_trace_nodes (3 here) gives at most 3 nodes, nearest
    the program first, flagged truncated, over HTTP and in the terminal rendering."""
    from policykg.cli.render import trace_tree
    from policykg.graph.trace import trace

    r = httpx.get(busy.url + "/api/trace", params={"program": "三名工程"}, timeout=30)
    assert r.status_code == 200, r.text[:300]
    data = r.json()
    assert data["truncated"] is True and data["max_nodes"] == 3
    assert 1 <= len(data["nodes"]) <= 3 and len(data["vis"]["nodes"]) <= 3
    assert data["nodes"][0]["label"] == "三名工程"
    whole = trace(sample_store, "三名工程")
    assert not whole.truncated and len(whole.nodes) > 3
    cut = trace(sample_store, "三名工程", max_nodes=3)
    assert cut.truncated and len(cut.nodes) <= 3 and set(cut.nodes) <= set(whole.nodes)
    assert "cut at 3 nodes" in trace_tree(cut)


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


EDGE_CASES = [
    "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/style.css%00.js",
    "/id/%2e%2e/%2e%2e/etc/passwd",
    "/id/doc/%00",
    DOC + "%00.ttl",
    DOC + ".nope",
    DOC + "..ttl",
    DOC + "?format=nope",
    "/api/documents/%00",
    "/api/programs/%00",
    "/api/documents?offset=9223372036854775808",
    "/api/tasks?offset=99999999999999999999&limit=1000",
    "/api/documents?limit=0",
    "/api/documents?limit=1001",
    "/api/documents?offset=-1",
    "/api/documents/kunming-2017-education-workplan/text?offset=99999999999999999999",
    "/api/targets?min_value=nan",
    "/api/targets?min_value=1e400",
    "/api/explore/node?iri=x&x=nan",
    "/api/explore/node?iri=https%3A%2F%2Fw3id.org%2Fpolicykg%2Fid%2Fprogram%2F%E4%B8%89&offset=9223372036854775808",
    "/api/tasks/x/99999999999999999999999",
    "/api/divisions/%EF%BC%95%EF%BC%93%EF%BC%90%EF%BC%91%EF%BC%90%EF%BC%90",
    "/api/search?q=%ED%A0%80",
    "/api/rankings?limit=1000",
    "/sparql?query=ASK%7B%7D&format=nope",
]


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*;q=abc",
        ";;;,,,",
        "\x01",
        "text/turtle;q=0, */*;q=0",
        ",".join([f"text/html;q=0.{i % 9}" for i in range(1500)]),
    ],
)
def test_traversal_nul_extreme_numbers_and_broken_accept_headers_never_fail_or_leak_a_path(busy, accept):
    """Path traversal (plain and percent-encoded) on /static and /id/, encoded NULs, offsets past
    2^63, nan and 1e400, fullwidth digits, lone surrogates, unknown suffixes and formats, under
    malformed Accept headers: a 2xx, a 404 or another 4xx in the envelope; never a 500, a traceback,
    or a path of the server's machine (its store folder, the code's folder)."""
    store = str(Path(busy.log_path).parent)
    headers = {"accept": accept} if accept is not None else {}
    for path in EDGE_CASES:
        r = httpx.get(busy.url + path, headers=headers, timeout=30)
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        for leak in (store, str(REPO), "site-packages", "Traceback", "root:"):
            assert leak not in r.text, (path, leak)
        if r.status_code >= 400 and r.headers["content-type"].startswith("application/json"):
            assert_refused(r, r.status_code)


def test_http_1_0_without_host_and_absolute_uris_are_served_locally(busy):
    """An HTTP/1.0 request without Host, and an absolute URI naming another site, are answered by
    this server as its own paths; nothing is fetched and nothing fails."""
    reply = _raw(busy.port, b"GET /api/documents HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    reply = _raw(
        busy.port, b"GET http://elsewhere.invalid/no-such-route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 404"), reply[:200]
    assert_serves(busy)


@pytest.mark.parametrize("query", ["q=%FF", "q=%E4%B8", "q=100%", "q=%zz", "iri=%C0%AF"])
@pytest.mark.parametrize("path", ["/api/search", "/api/neighbours", "/", "/explore"])
def test_a_query_string_that_is_not_percent_encoded_utf8_is_400_on_every_route(busy, path, query):
    """Starlette would read ``?q=%FF`` as U+FFFD and keep a stray ``%``: a search for a question nobody
    asked. Every route reads its URL parameters as strictly as /sparql does."""
    err = assert_refused(httpx.get(f"{busy.url}{path}?{query}", timeout=30), 400, "bad_encoding")
    assert "query string" in err["message"]
    assert httpx.get(busy.url + "/api/search", params={"q": "三名工程"}, timeout=30).json()
