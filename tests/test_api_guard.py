"""The SPARQL guard reads queries as a parser does: checked against rdflib's SPARQL parser."""

from __future__ import annotations

import pytest

from policykg.errors import ForbiddenQueryError, QueryError
from policykg.graph.sparql_guard import add_using, guard_query, guard_update, inspect
from policykg.ontology import PREFIXES

CORPUS = [
    "SELECT * WHERE { SERVICE <http://x.example/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://x.example/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://x.example/> SELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x.example/> { }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://x.example/> { }" }',
    "SELECT * WHERE { ?s ?p 'FROM <http://x.example/>' }",
    'SELECT * WHERE { ?s ?p """a "" SERVICE <http://x.example/> {} """ }',
    "SELECT * WHERE { ?s ?p '''it's SERVICE''' }",
    "PREFIX ex: <http://x.example/> SELECT ?service WHERE { ?service ex:from ex:load }",
    "SELECT * WHERE { <http://x.example/#SERVICE> ?p ?o }",
    "SELECT * FROM <http://x.example/g> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://x.example/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "PREFIX ex: <http://x.example/> SELECT * FROM ex:g FROM NAMED ex:h WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) }",
    "SELECT * WHERE { ?s ?p ?o . OPTIONAL { SERVICE <http://x.example/> { ?o ?q ?r } } }",
    'ASK { FILTER(REGEX("SERVICE", "^S")) }',
    "CONSTRUCT { ?s ?p ?o } FROM <http://x.example/g> WHERE { ?s ?p ?o }",
    "DESCRIBE <http://x.example/a>",
]


def _rdflib_view(query: str) -> tuple[bool, list[str], list[str]]:
    """(has SERVICE, FROM graphs, FROM NAMED graphs) as rdflib's parser sees them."""
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    tree = parseQuery(query)
    service = False
    default: list[str] = []
    named: list[str] = []
    prologue = {}
    for decl in tree[0]:
        if getattr(decl, "name", "") == "PrefixDecl":
            prologue[decl["prefix"] or ""] = str(decl["iri"])

    def resolve(v) -> str:
        if isinstance(v, CompValue) and v.name == "pname":
            return prologue.get(v["prefix"] or "", "") + (v.get("localname") or "")
        return str(v)

    def walk(node) -> None:
        nonlocal service
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                service = True
            if node.name == "DatasetClause":
                if "default" in node:
                    default.append(resolve(node["default"]))
                if "named" in node:
                    named.append(resolve(node["named"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)
        elif hasattr(node, "asList"):
            for v in node:
                walk(v)

    walk(tree)
    return service, default, named


@pytest.mark.parametrize("query", CORPUS)
def test_guard_agrees_with_rdflib(query):
    info = inspect(query)
    assert (info.service, info.from_graphs, info.from_named) == _rdflib_view(query)


def test_forms_and_updates():
    assert inspect("PREFIX a: <x:> BASE <http://b/> SELECT * {}").form == "SELECT"
    assert inspect("ASK {}").form == "ASK"
    assert inspect("# SELECT\nCONSTRUCT WHERE { ?s ?p ?o }").form == "CONSTRUCT"
    assert inspect("INSERT DATA { <a> <b> <c> }").is_update
    with pytest.raises(QueryError):
        guard_query("DELETE WHERE { ?s ?p ?o }", graph_exists=lambda g: True)


def test_codepoint_escapes_are_decoded_first():
    with pytest.raises(ForbiddenQueryError):
        guard_query(r"SELECT * WHERE { \u0053ERVICE <http://x.example/> { } }", graph_exists=lambda g: True)
    with pytest.raises(ForbiddenQueryError):
        guard_query(r"SELECT * \U00000046ROM <http://x.example/> { }", graph_exists=lambda g: False)


def test_from_needs_a_local_graph():
    local = {"https://w3id.org/policykg/id/doc/a"}
    guard_query("SELECT * FROM <https://w3id.org/policykg/id/doc/a> {}", graph_exists=local.__contains__)
    with pytest.raises(ForbiddenQueryError):
        guard_query("SELECT * FROM <http://evil.example/data.ttl> {}", graph_exists=local.__contains__)
    with pytest.raises(ForbiddenQueryError):
        guard_query("BASE <http://evil.example/> SELECT * FROM NAMED <data.ttl> {}", graph_exists=local.__contains__)
    with pytest.raises(ForbiddenQueryError):
        guard_query("SELECT * FROM pkg:x {}", graph_exists=local.__contains__, default_prefixes=PREFIXES)


def test_load_is_refused_in_updates():
    with pytest.raises(ForbiddenQueryError):
        guard_update("LOAD <http://x.example/a.ttl>")
    with pytest.raises(ForbiddenQueryError):
        guard_update("CLEAR ALL ; load silent <http://x.example/a.ttl> INTO GRAPH <http://g>")
    guard_update('INSERT DATA { <http://a> <http://b> "LOAD <http://x.example/>" }')


def test_using_parameters_go_before_each_modify_where():
    text = (
        "CLEAR ALL ; INSERT DATA { GRAPH <http://g> { <http://a> a <http://b> } } ;\n"
        "INSERT { GRAPH <http://h> { ?s a <http://c> } } WHERE { ?s a <http://b> } ;\n"
        "DELETE WHERE { ?a ?b ?c }"
    )
    out = add_using(inspect(text), ["http://g"], ["http://n"])
    assert out.count("USING <http://g> USING NAMED <http://n> WHERE { ?s a") == 1
    assert "DELETE WHERE" in out
    with pytest.raises(QueryError):
        add_using(inspect("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"), ["http://g"], [])
