"""How a value enters SPARQL (graph/sparql_params.py): bound to a ``$name`` as a term pyoxigraph built."""

from __future__ import annotations

import pytest

from policykg.errors import QueryError
from policykg.graph.sparql_params import MAX_COUNT, count, iri, iris, joined, literal, number, one_of, sparql


def test_values_are_bound_as_terms():
    q = sparql(
        "SELECT ?l WHERE { $node rdfs:label $name } LIMIT $limit",
        node=iri("http://x/a"),
        name=literal('"} UNION { ?s ?p ?o } #'),
        limit=count(5),
    )
    assert q.text == 'SELECT ?l WHERE { <http://x/a> rdfs:label "\\"} UNION { ?s ?p ?o } #" } LIMIT 5'
    assert (
        sparql(
            "VALUES ?x { $xs } FILTER(?c IN ($cs))",
            xs=iris(["http://x/a", "http://x/b"]),
            cs=one_of(["http://x/c", "http://x/d"]),
        ).text
        == "VALUES ?x { <http://x/a> <http://x/b> } FILTER(?c IN (<http://x/c>, <http://x/d>))"
    )
    # a name used twice, a fragment bound into a query, a "$" inside a term left alone
    fragment = sparql("?t pkg:unit $unit .", unit=literal("$limit"))
    assert (
        sparql("{ $f } UNION { $f }", f=fragment).text == '{ ?t pkg:unit "$limit" . } UNION { ?t pkg:unit "$limit" . }'
    )
    assert joined([fragment, sparql("?t a pkg:Target .")], " ").text == '?t pkg:unit "$limit" . ?t a pkg:Target .'


def test_what_cannot_be_a_term_is_refused():
    for bad in ("x> } DROP ALL {", "no scheme", "http://x/a b", 'http://x/"', ""):
        with pytest.raises(QueryError, match="not a valid IRI"):
            iri(bad)
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(QueryError, match="finite number"):
            number(bad, "min_value")
    assert number(2.5).text == '"2.5"^^<http://www.w3.org/2001/XMLSchema#double>'
    assert (count(-3).text, count(10**30).text) == ("0", str(MAX_COUNT))


def test_every_name_is_bound_to_a_term():
    with pytest.raises(TypeError, match="unbound"):
        sparql("SELECT * { $node ?p ?o }")
    with pytest.raises(TypeError, match="unused"):
        sparql("SELECT * { ?s ?p ?o }", node=iri("http://x/a"))
    with pytest.raises(TypeError, match="not to a term"):
        sparql("SELECT * { $node ?p ?o }", node="<http://x/a>")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        joined(["?s ?p ?o"])  # type: ignore[list-item]
