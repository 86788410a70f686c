"""How a value enters SPARQL (graph/sparql_params.py): bound to a ``$name`` as a term pyoxigraph
built — and no other way anywhere in the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from policykg.errors import QueryError
from policykg.graph.sparql_params import MAX_COUNT, count, iri, iris, joined, literal, number, one_of, sparql

REPO = Path(__file__).resolve().parent.parent
#: The folders of the package (see [tool.setuptools] package-dir in pyproject.toml).
PACKAGE = ("policykg", "graph", "loaders", "api", "viz", "cli", "ontology")


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


# -- no other way into query text ---------------------------------------------------------------

#: Text that reads as SPARQL: a keyword with a group or a variable, or a triple pattern.
_KEYWORD = re.compile(
    r"\b(BASE|SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|DROP|CLEAR|WHERE|VALUES|FILTER|OPTIONAL|"
    r"UNION|BIND|GRAPH|LIMIT|OFFSET)\b"
)
_GROUP_OR_VARIABLE = re.compile(r"[{(<]|[?$][A-Za-z_]")
_TRIPLE = re.compile(r"[?$][A-Za-z_]\w*\s+(a\b|[?$][A-Za-z_]|[A-Za-z]*:[A-Za-z]|<)|<[a-z]+://[^>\s]*>\s+[?<$]")


def looks_like_sparql(text: str) -> bool:
    return bool(_KEYWORD.search(text) and _GROUP_OR_VARIABLE.search(text) or _TRIPLE.search(text))


def _text(node: ast.AST) -> str | None:
    """The constant text of a string literal, or of the fixed parts of an f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return None


def pasted_values(source: str) -> list[tuple[int, str]]:
    """(line, how) of every place ``source`` puts a value into SPARQL text other than by binding it."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and looks_like_sparql(_text(node) or ""):
            found.add((node.lineno, "an f-string"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
            for side in (node.left, node.right):
                text = _text(side)
                if text is not None and looks_like_sparql(text):
                    found.add((node.lineno, "%" if isinstance(node.op, ast.Mod) else "+"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            text = _text(node.func.value)
            if node.func.attr in ("format", "replace", "join") and text is not None and looks_like_sparql(text):
                found.add((node.lineno, f".{node.func.attr}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Sparql":
            found.add((node.lineno, "a Sparql made outside sparql_params"))
    return sorted(found)


def test_the_scan_finds_each_way_of_pasting():
    pasted = """
q1 = f"SELECT ?l WHERE {{ <{iri}> rdfs:label ?l }}"
q2 = "SELECT ?l WHERE { <%s> rdfs:label ?l }" % iri
q3 = "SELECT ?l WHERE { <{}> rdfs:label ?l }".format(iri)
q4 = "SELECT ?l WHERE { <" + iri + "> rdfs:label ?l }"
q5 = f"?t pkg:indicator {ref} ."
q6 = Sparql("ASK { ?s ?p ?o }")
"""
    assert [how for _, how in pasted_values(pasted)] == [
        "an f-string",
        "%",
        ".format",
        "+",
        "an f-string",
        "a Sparql made outside sparql_params",
    ]
    bound = """
q = sparql("SELECT ?l WHERE { $node rdfs:label ?l }", node=iri(x))
message = f"{fmt} does not fit a SELECT or ASK query; use table, csv, tsv or json"
"""
    assert pasted_values(bound) == []


#: The one place query text is written back from what a client sent: the guard puts a client's
#: own BASE, as the client wrote it (resolved and checked there), into the canonical text of the
#: client's own query; binding it would turn a relative IRI the client may write into an error.
CLIENT_TEXT = {("graph/sparql_guard.py", 'self.prologue.append(f"BASE <{iri}>")')}


def test_no_value_is_pasted_into_sparql_anywhere_in_the_package():
    """Every query the package writes binds its values (sparql_params): an f-string, ``%``,
    ``.format`` or ``+`` that builds query text, or a Sparql made elsewhere, fails here."""
    offenders = []
    for folder in PACKAGE:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name == "sparql_params.py":
                continue
            source = path.read_text(encoding="utf-8")
            lines = source.splitlines()
            where = str(path.relative_to(REPO))
            for line, how in pasted_values(source):
                if (where, lines[line - 1].strip()) not in CLIENT_TEXT:
                    offenders.append(f"{where}:{line}: {how}")
    assert offenders == [], "values pasted into SPARQL text:\n" + "\n".join(offenders)
