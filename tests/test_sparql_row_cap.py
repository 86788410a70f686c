"""A SELECT without a LIMIT of its own runs with ``LIMIT max_rows + 1`` and pyoxigraph writes its
JSON: the rows, the cut and the ``truncated`` flag must be those of the row-by-row writer."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from policykg.graph.query_runner import evaluate
from policykg.graph.sparql_guard import inspect

EX = "http://example.org/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """Twelve items in one graph, with Chinese, language-tagged and typed values, and an OPTIONAL gap."""
    s = ox.Store()
    g = ox.NamedNode(EX + "g")
    for i in range(12):
        item = ox.NamedNode(f"{EX}item/{i:02d}")
        s.add(ox.Quad(item, ox.NamedNode(EX + "n"), ox.Literal(str(i), datatype=XSD_INTEGER), g))
        s.add(ox.Quad(item, ox.NamedNode(EX + "label"), ox.Literal(f'第{i}项 "引号"\n', language="zh"), g))
        if i % 3:
            s.add(ox.Quad(item, ox.NamedNode(EX + "note"), ox.Literal(f"note {i}"), g))
    return s


def run(store: ox.Store, query: str, **options) -> dict:
    """The query as the endpoint runs it: the guard's reading, then evaluate()."""
    info = inspect(query, {"ex": EX})
    return evaluate(
        store,
        info.text,
        fmt="json",
        limit=info.limit if info.form == "SELECT" else None,
        limit_slot=info.limit_slot,
        **options,
    )


def row_by_row(store: ox.Store, query: str, **options) -> dict:
    """The same query written by the Python writer (no LIMIT slot): the expected answer."""
    info = inspect(query, {"ex": EX})
    return evaluate(store, info.text, fmt="json", **options)


def bindings(reply: dict) -> list[dict]:
    return json.loads(reply["body"])["results"]["bindings"]


ORDERED = (
    "SELECT ?item ?n ?label ?note WHERE { ?item ex:n ?n ; ex:label ?label OPTIONAL { ?item ex:note ?note } } "
    "ORDER BY ?n"
)


# -- the guard's reading ---------------------------------------------------------------------


def test_limit_slot_is_read_only_for_a_select_without_a_top_level_limit():
    # The slot is where "LIMIT n" can go: at the end, or before the trailing VALUES clause.
    assert inspect("SELECT * WHERE { ?s ?p ?o }", {}).limit_slot == ("SELECT * WHERE { ?s ?p ?o }", "")
    head, tail = inspect("SELECT ?s { ?s ?p ?o } ORDER BY ?s VALUES ?s { <http://e/a> }", {}).limit_slot
    assert head.endswith("ORDER BY ?s") and tail.startswith("VALUES ?s")
    # A subquery's LIMIT caps the subquery only: the query as a whole still gets a slot.
    assert inspect("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 3 } } OFFSET 1", {}).limit_slot is not None
    # Its own LIMIT (one or two of them), another query form, an update: no slot.
    for text in (
        "SELECT * { ?s ?p ?o } LIMIT 5",
        "SELECT * { ?s ?p ?o } LIMIT 5 LIMIT 6",
        "ASK { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "DESCRIBE <http://e/a>",
    ):
        assert inspect(text, {}).limit_slot is None, text
    assert inspect("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }", {}).limit_slot is None


def test_a_limit_in_the_slot_makes_a_query_oxigraph_runs(store):
    # Text placed into the slot must still be one valid query, VALUES clause and prologue included.
    info = inspect("PREFIX x: <http://example.org/> SELECT ?item { ?item x:n ?n } ORDER BY ?n VALUES ?n { 1 2 3 }", {})
    head, tail = info.limit_slot
    rows = list(store.query(f"{head} LIMIT 2 {tail}", use_default_graph_as_union=True))
    assert [r["item"].value for r in rows] == [EX + "item/01", EX + "item/02"]


# -- evaluate -------------------------------------------------------------------------------


def test_under_the_cap_pyoxigraph_writes_the_same_rows(store):
    fast, slow = run(store, ORDERED, max_rows=50), row_by_row(store, ORDERED, max_rows=50)
    assert fast["body"].startswith(b'{"head":{"vars":')  # pyoxigraph's compact JSON: the fast way ran
    assert bindings(fast) == bindings(slow) and len(bindings(fast)) == 12
    assert (fast["rows"], fast["truncated"]) == (slow["rows"], slow["truncated"]) == (12, False)
    assert "truncated" not in json.loads(fast["body"])


def test_over_the_cap_the_reply_is_cut_and_says_so(store):
    fast, slow = run(store, ORDERED, max_rows=5), row_by_row(store, ORDERED, max_rows=5)
    assert bindings(fast) == bindings(slow) == bindings(run(store, ORDERED, max_rows=50))[:5]
    assert (fast["rows"], fast["truncated"]) == (slow["rows"], slow["truncated"]) == (5, True)
    assert json.loads(fast["body"])["truncated"] is True


def test_exactly_at_the_cap_is_not_cut(store):
    reply = run(store, ORDERED, max_rows=12)
    assert (reply["rows"], reply["truncated"], len(bindings(reply))) == (12, False, 12)


def test_a_trailing_values_clause_is_capped_too(store):
    query = "SELECT ?item ?n WHERE { ?item ex:n ?n } ORDER BY DESC(?n) VALUES ?n { 1 2 3 4 5 6 7 }"
    fast = run(store, query, max_rows=3)
    assert [b["n"]["value"] for b in bindings(fast)] == ["7", "6", "5"]
    assert (fast["rows"], fast["truncated"]) == (3, True)


def test_past_the_byte_cap_it_is_cut_row_by_row_as_before(store):
    # Over max_bytes the query runs again as sent and the row-by-row writer cuts it.
    fast, slow = run(store, ORDERED, max_rows=50, max_bytes=900), row_by_row(store, ORDERED, max_rows=50, max_bytes=900)
    assert fast == slow
    assert fast["truncated"] is True and 0 < fast["rows"] < 12 and len(fast["body"]) <= 900


def test_other_result_formats_keep_the_row_cap(store):
    # Only JSON goes the fast way; the other writers still stop at max_rows.
    info = inspect(ORDERED, {"ex": EX})
    for fmt in ("xml", "csv", "tsv"):
        reply = evaluate(store, info.text, fmt=fmt, max_rows=4, limit_slot=info.limit_slot)
        assert (reply["rows"], reply["truncated"]) == (4, True), fmt


# -- through the endpoint --------------------------------------------------------------------


def test_endpoint_caps_an_unlimited_select_with_a_values_clause(api_app):
    # api_app's row cap is 200; the VALUES clause keeps 3 task ordinals, one row each per document.
    query = (
        "SELECT ?task ?o WHERE { ?task a <https://w3id.org/policykg/ontology#Task> ; "
        "<https://w3id.org/policykg/ontology#ordinal> ?o } ORDER BY ?o ?task VALUES ?o { 1 2 3 }"
    )
    r = api_app.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert rows and {b["o"]["value"] for b in rows} <= {"1", "2", "3"}
    assert r.headers["x-policykg-rows"] == str(len(rows)) and "x-policykg-truncated" not in r.headers


def test_endpoint_cut_reply_matches_the_cap(api_app):
    r = api_app.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    body = r.json()
    assert len(body["results"]["bindings"]) == 200 and body["truncated"] is True
    assert (r.headers["x-policykg-rows"], r.headers["x-policykg-truncated"]) == ("200", "true")
