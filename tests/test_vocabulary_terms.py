"""A closed vocabulary: every ``pkg:`` term the code spells is declared in ontology/policykg.ttl.

The code names ontology terms in several ways: ``pkg:Task`` in SPARQL text, ``{PKG}Task`` and
``PKG + "Task"`` in f-strings and concatenations, ``_p(PKG, "Task")`` in the graph builder,
``PKG.Task`` and ``PKG["Task"]`` through an rdflib ``Namespace``, and the whole IRI. A misspelt
term (``pkg:hasTraget``) still parses, runs and matches nothing; here it fails a test instead.
Terms the code builds from data (comparators, division levels) are checked in test_ontology.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph

from policykg.ontology import ONTOLOGY_FILE, PKG

REPO = Path(__file__).resolve().parent.parent
#: The package's folders (see [tool.setuptools] package-dir in pyproject.toml).
PACKAGE_DIRS = ("policykg", "graph", "loaders", "api", "viz", "cli", "ontology")
#: Source that can name a term: Python, and the pages' own scripts and markup (not vendored code).
SOURCE_SUFFIXES = {".py", ".js", ".html", ".rq"}

_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
TERM_PATTERNS = (
    re.compile(r"(?<![\w.-])pkg:" + _NAME),  # SPARQL and Turtle prefixed names
    re.compile(r"\{PKG\}" + _NAME),  # f"<{PKG}Task>"
    re.compile(r"\bPKG\s*\+\s*[\"']" + _NAME),  # PKG + "Task"
    re.compile(r"\b_p\(\s*PKG\s*,\s*[\"']" + _NAME),  # _p(PKG, "Task")
    re.compile(r"\bPKG\.(?!startswith\b|term\b)" + _NAME),  # Namespace attribute: PKG.Task
    re.compile(r"\bPKG\[\s*[\"']" + _NAME),  # Namespace item: PKG["Task"]
    re.compile(re.escape(PKG) + _NAME),  # the whole IRI
)


def terms_in(text: str) -> set[str]:
    """The local names of the ``pkg:`` terms ``text`` spells, in any of the ways above."""
    return {m.group(1) for pattern in TERM_PATTERNS for m in pattern.finditer(text)}


def declared_terms() -> set[str]:
    graph = Graph().parse(ONTOLOGY_FILE, format="turtle")
    return {str(s)[len(PKG) :] for s in graph.subjects(RDF.type, None) if str(s).startswith(PKG)}


def source_files() -> list[Path]:
    files = []
    for folder in PACKAGE_DIRS:
        for path in sorted((REPO / folder).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "vendor" not in path.parts and "__pycache__" not in path.parts:
                files.append(path)
    return files


def undeclared(files: list[Path], declared: set[str], root: Path = REPO) -> dict[str, list[str]]:
    """Each undeclared term -> the files (relative to ``root``) that spell it."""
    found: dict[str, list[str]] = {}
    for path in files:
        for term in terms_in(path.read_text(encoding="utf-8")) - declared:
            found.setdefault(term, []).append(str(path.relative_to(root)))
    return found


@pytest.fixture(scope="module")
def declared() -> set[str]:
    terms = declared_terms()
    assert {"PolicyDocument", "Task", "hasTarget", "AtLeast"} <= terms  # the ontology still parses as expected
    return terms


def test_every_term_the_code_spells_is_declared(declared):
    files = source_files()
    assert len({t for f in files for t in terms_in(f.read_text(encoding="utf-8"))}) > 30  # the scan still sees them
    assert undeclared(files, declared) == {}, "pkg: terms used in code but not declared in ontology/policykg.ttl"


def test_the_scan_finds_terms_however_they_are_spelled():
    text = (
        'q = "SELECT ?t WHERE { ?t a pkg:Task ; pkg:hasTarget ?g }"\n'
        'f"<{PKG}Section>"; PKG + "ordinal"; _p(PKG, "mentions"); PKG.partOf; PKG["within"]\n'
        "<https://w3id.org/policykg/ontology#evidence>\n"
    )
    assert terms_in(text) == {"Task", "hasTarget", "Section", "ordinal", "mentions", "partOf", "within", "evidence"}


def test_not_terms_are_not_read_as_terms():
    assert terms_in('PREFIXES = {"pkg": PKG}\nif iri.startswith(PKG): ...\nmy_pkg:x npm-pkg:y') == set()


@pytest.mark.parametrize(
    "spelling",
    [
        "SELECT ?t WHERE { ?t a pkg:Taks }",
        'store.query(f"SELECT ?t WHERE {{ ?t a <{PKG}Taks> }}")',
        'ox.NamedNode(PKG + "Taks")',
        'self.add(node, A, _p(PKG, "Taks"))',
        "g.value(s, PKG.Taks)",
        'g.value(s, PKG["Taks"])',
        "<https://w3id.org/policykg/ontology#Taks>",
    ],
)
def test_a_misspelt_term_fails(tmp_path, declared, spelling):
    """The scan over a file with one misspelling (Taks for Task) names the term and the file."""
    bad = tmp_path / "bad.py"
    bad.write_text(f"# a module\n{spelling}\n", encoding="utf-8")
    assert undeclared([bad], declared, root=tmp_path) == {"Taks": ["bad.py"]}
