"""/sparql's fast lane (the handler reached past the router, the guard's kept readings, a query
handed to an idle worker from the event loop): each shortcut must leave what users see as it was."""

from __future__ import annotations

import time

import httpx
import pytest

from support.common import API_TOKEN, assert_refused
from support.servers import COUNT_TASKS, task_count

pytestmark = pytest.mark.remote

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def get(server, query: str, **kw) -> httpx.Response:
    return httpx.get(server.url + "/sparql", params={"query": query}, timeout=30, **kw)


def update(server, text: str) -> None:
    r = httpx.post(server.url + "/update", data={"update": text}, headers=AUTH, timeout=30)
    assert r.status_code == 204, r.text


def test_a_kept_reading_still_asks_the_store_for_its_from_graph(api_server):
    # The guard keeps its reading of a short query, never the answer to "is this FROM graph in
    # the store?": the same text is refused, allowed, then refused again as the graph comes and goes.
    graph = "http://example.org/lane-from"
    query = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}"
    refused = get(api_server, query)
    assert_refused(refused, 400, "forbidden_query")
    update(api_server, f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/a> <http://example.org/b> 1 }} }}")
    try:
        allowed = get(api_server, query)
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["results"]["bindings"][0]["n"]["value"] == "1"
    finally:
        update(api_server, f"DROP GRAPH <{graph}>")
    again = get(api_server, query)
    assert_refused(again, 400, "forbidden_query")


def test_a_subquery_limit_does_not_lift_the_row_cap(api_server):
    # Only the query's own top-level LIMIT bounds its rows; api_server cuts at 200.
    r = get(api_server, "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } LIMIT 500 } }")
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 200
    assert (r.headers["x-policykg-truncated"], r.headers["x-policykg-max-rows"]) == ("true", "200")


def test_an_own_limit_above_the_cap_is_cut_to_it_and_one_below_is_whole(api_server):
    over = get(api_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 500")
    assert len(over.json()["results"]["bindings"]) == 200 and over.json()["truncated"] is True
    under = get(api_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 7")
    assert len(under.json()["results"]["bindings"]) == 7 and "x-policykg-truncated" not in under.headers
    assert under.headers["x-policykg-rows"] == "7"


def test_head_answers_as_get_does_without_a_body(api_server):
    for query in (COUNT_TASKS, "SELEC nothing"):
        got = get(api_server, query)
        head = httpx.head(api_server.url + "/sparql", params={"query": query}, timeout=30)
        assert head.status_code == got.status_code and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/csv, application/sparql-results+json;q=0.9", "text/csv"),
        ("application/sparql-results+json;q=0.5, text/csv;q=0.9", "text/csv"),
        ("text/csv;q=0.1, application/sparql-results+xml", "application/sparql-results+xml"),
        (
            "application/sparql-results+xml;q=0.2, application/sparql-results+json;q=0.8",
            "application/sparql-results+json",
        ),
    ],
)
def test_the_type_chosen_is_the_one_preferred_whatever_the_order(api_server, accept, media):
    # The chosen type is kept per Accept header: asking in another order must not get a stale one.
    for _ in range(2):
        r = get(api_server, COUNT_TASKS, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media


def test_a_query_given_up_by_its_client_frees_its_slot(api_server):
    # Clients that hang up on a long query (more of them than there are workers) must not leave
    # the endpoint with no worker: the next query is answered, within the 3 s limit plus a
    # worker's restart, and counts right.
    runner = api_server.app.state.runner
    for _ in range(runner.size + 1):
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(api_server.url + "/sparql", params={"query": RUNAWAY}, timeout=0.5)
    started = time.monotonic()
    assert task_count(api_server) > 0
    assert time.monotonic() - started < 30
