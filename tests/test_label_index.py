"""The label index behind search_labels and resolve (graph/label_index.py, graph/search.py): ranking, and
invalidation on writes."""

import random

import pyoxigraph as ox
import pytest

from policykg.graph import label_index, search
from policykg.graph.iris import IriScheme
from policykg.graph.search import resolve, search_labels
from policykg.graph.store import OxigraphStore
from policykg.viz.network_json import search_json
from support import load_scenario
from support.common import store_version

PKG = "https://w3id.org/policykg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def _program(name: str, graph: str) -> list[ox.Quad]:
    s, g = ox.NamedNode(f"http://x/program/{name}"), ox.NamedNode(graph)
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return [
        ox.Quad(g, a, ox.NamedNode(PKG + "PolicyDocument"), g),
        ox.Quad(s, a, ox.NamedNode(PKG + "Program"), g),
        ox.Quad(s, ox.NamedNode(RDFS + "label"), ox.Literal(name), g),
    ]


def test_ranking_exact_prefix_contains_and_kinds():
    s = OxigraphStore(None)
    s.update(
        'INSERT DATA { GRAPH <http://x/g> { <http://x/a> a pkg:Program ; rdfs:label "新建名校工程" . '
        '<http://x/b> a pkg:Program ; rdfs:label "名校建设工程" ; skos:altLabel "名校" . '
        '<http://x/c> a pkg:Task ; rdfs:label "名校建设" . <http://x/d> rdfs:label "名校 (untyped)" } }'
    )
    hits = search_labels(s, "名校")
    assert [h.iri for h in hits] == ["http://x/b", "http://x/c", "http://x/a"]  # exact, prefix, contains
    assert hits[0].exact and hits[0].matched == "名校" and hits[0].label == "名校建设工程"
    assert [h.kind for h in search_labels(s, "名校", ["Task"])] == ["Task"]
    # the network view's search box: named things first
    assert [h["iri"] for h in search_json("名校建", search_labels(s, "名校建"))] == ["http://x/b", "http://x/c"]
    assert resolve(s, "名校").iri == "http://x/b"


def test_index_follows_writes():
    s = OxigraphStore(None)
    assert search_labels(s, "工程") == []
    s.replace_graph("http://x/doc1", _program("甲工程", "http://x/doc1"))
    assert [h.label for h in search_labels(s, "工程")] == ["甲工程"]
    s.replace_graph("http://x/doc2", _program("乙工程", "http://x/doc2"))
    assert [h.label for h in search_labels(s, "工程")] == ["乙工程", "甲工程"]
    s.update(
        'DELETE DATA { GRAPH <http://x/doc2> { <http://x/program/乙工程> rdfs:label "乙工程" } } ;'
        'INSERT DATA { GRAPH <http://x/doc2> { <http://x/program/乙工程> rdfs:label "丙工程" } }'
    )
    assert [h.label for h in search_labels(s, "工程")] == ["丙工程", "甲工程"]
    s.remove_graph("http://x/doc1")
    assert [h.label for h in search_labels(s, "工程")] == ["丙工程"]
    assert resolve(s, "丙工程").iri == "http://x/program/乙工程"


@pytest.fixture(scope="module")
def versions():
    """Two versions of 10 generated documents (support/load_scenario.py), same file names, other content."""
    return load_scenario.corpus_versions(10, seeds=(0, 1))


def test_search_after_each_upload_or_removal_finds_what_a_fresh_index_finds(versions, monkeypatch):
    """/api/search's label index is updated after a write by reading only the graphs written. After
    each of 40 random uploads (either version), removals and SPARQL updates, searches give the
    same hits as an index read from scratch — and only the SPARQL updates read everything again."""
    first, second = versions
    store = OxigraphStore(None)
    docs = list(first)
    full_reads = []
    graph_facts = label_index.graph_facts

    def counted(s, graphs):
        full_reads.append(graphs is None)
        return graph_facts(s, graphs)

    monkeypatch.setattr(label_index, "graph_facts", counted)
    rnd = random.Random(0)
    updates = 0
    for step in range(40):
        doc, roll = rnd.choice(docs), rnd.random()
        if roll < 0.2:
            store.remove_graph(IriScheme().graph(doc))
        elif roll < 0.25:
            updates += 1
            store.update(
                f"INSERT DATA {{ GRAPH <http://x/extra> {{ <http://x/p{step}> a pkg:Program ; "
                f'rdfs:label "额外工程{step}" }} }}'
            )
        else:
            store_version(store, rnd.choice((first, second))[doc])
        for text in ("工程", "教育", "发展", "市"):
            updated = search_labels(store, text, limit=200)
            fresh = label_index.LabelIndex(graph_facts(store, None))
            with monkeypatch.context() as m:
                m.setattr(search, "label_index", lambda s, fresh=fresh: fresh)
                assert updated == search_labels(store, text, limit=200), f"step {step}, {text!r}"
    assert full_reads.count(True) == 1 + updates, "everything read again only at the start and after SPARQL updates"
    assert full_reads.count(False) > 20, "the uploads and removals were followed graph by graph"
