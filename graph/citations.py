"""Citations resolved across documents: a title a document cites that is itself in the store.

A task (or a document's preamble) cites a title in 《》; the graph holds it as a
``pkg:Regulation`` the part ``pkg:mentions``. When a document in the store carries that title,
the citing part and its document get ``dcterms:references`` to it. Titles are compared without
《》, quote marks and blanks, with one kind of bracket and dash, and without the issuer that
opens a title before 关于; a notice that issues a plan (…印发《X》的通知) is found under X too.

The links live in a named graph of their own, ``<base>links/citations``, rebuilt from the whole
store after every ingest and removal (:func:`resolve_citations`): the order in which documents
arrive does not matter, and a removed document takes its links with it. A store without any
link has no such graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

from policykg.graph.sparql_params import iri, sparql
from policykg.ontology import DCTERMS

if TYPE_CHECKING:
    from policykg.graph.store import GraphStore

#: Where the links are kept, under the base of the documents' IRIs.
CITATIONS_PATH = "links/citations"

_DOCUMENT_TITLES = """
SELECT ?d ?title WHERE { GRAPH ?d { ?d a pkg:PolicyDocument ; dcterms:title ?title } }"""

# A part and the regulation titles it mentions; a document's own mentions have no source above it.
_CITED_TITLES = """
SELECT DISTINCT ?d ?part ?title WHERE {
  GRAPH ?d { ?d a pkg:PolicyDocument . ?part pkg:mentions ?r }
  ?r a pkg:Regulation ; rdfs:label ?title .
}"""

_MARKS = re.compile(r"[《》〈〉“”\"'‘’「」『』\s\u3000]")
_DASHES = re.compile(r"[—–－~～至]+")
_ISSUER = re.compile(r"^[^关]{2,40}?(?=关于)")
_ISSUED_WITHIN = re.compile(r"(?:印发|转发|颁布|发布)《([^《》]{4,200})》")


def title_key(title: str) -> str:
    """The form two spellings of one title share: 《》, quotes and blanks dropped, （）→(), dashes →-."""
    key = _MARKS.sub("", title).replace("（", "(").replace("）", ")")
    key = _DASHES.sub("-", key)
    return _ISSUER.sub("", key)


def document_keys(title: str) -> set[str]:
    """The keys a document is found under: its title, and the plan a notice issues (印发《X》)."""
    keys = {title_key(title)}
    keys.update(title_key(m.group(1)) for m in _ISSUED_WITHIN.finditer(title))
    return {k for k in keys if len(k) >= 4}


def citation_links(store: GraphStore) -> list[tuple[str, str]]:
    """(citing part or document, cited document) pairs, sorted; a document never cites itself."""
    index: dict[str, set[str]] = {}
    for row in store.query(_DOCUMENT_TITLES):
        for key in document_keys(row["title"].value):
            index.setdefault(key, set()).add(row["d"].value)
    links: set[tuple[str, str]] = set()
    for row in store.query(_CITED_TITLES):
        citing_doc, part = row["d"].value, row["part"].value
        for cited in index.get(title_key(row["title"].value), ()):
            if cited != citing_doc:
                links.add((part, cited))
                links.add((citing_doc, cited))
    return sorted(links)


def citations_graph(document_iri: str) -> str:
    """The links graph of the store that holds ``document_iri`` (``<base>doc/<id>``)."""
    base = document_iri[: document_iri.rindex("/doc/") + 1] if "/doc/" in document_iri else document_iri
    return base + CITATIONS_PATH


def resolve_citations(store: GraphStore, graph: str) -> int:
    """Rebuild the links graph ``graph`` from the whole store; the number of links it now holds.

    ``graph`` is ``<base>links/citations`` (:func:`citations_graph` of any document IRI). The
    store is written only when the links differ from those it holds, so running it again (an
    ingest of nothing new) changes nothing, and a run after an interrupted one repairs them.
    """
    links = citation_links(store)
    held = {
        (r["a"].value, r["b"].value)
        for r in store.query(
            sparql("SELECT ?a ?b WHERE { GRAPH $g { ?a <http://purl.org/dc/terms/references> ?b } }", g=iri(graph)).text
        )
    }
    if set(links) == held:
        return len(links)
    if links:
        store.replace_graph(graph, list(_quads(graph, links)))
    else:
        store.update(sparql("DROP SILENT GRAPH $g", g=iri(graph)).text)
    return len(links)


def _quads(graph: str, links: Iterable[tuple[str, str]]) -> Iterable[ox.Quad]:
    g = ox.NamedNode(graph)
    references = ox.NamedNode(DCTERMS + "references")
    for citing, cited in links:
        yield ox.Quad(ox.NamedNode(citing), references, ox.NamedNode(cited), g)
