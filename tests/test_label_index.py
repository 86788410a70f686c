"""The label index behind search_labels / trace.search / trace.resolve: ranking and invalidation on writes."""

import pyoxigraph as ox

from policykg.graph import queries as q
from policykg.graph import trace as tr
from policykg.graph.store import OxigraphStore

PKG = "https://w3id.org/policykg/ontology#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def _program(name: str, graph: str) -> list[ox.Quad]:
    s, g = ox.NamedNode(f"http://x/program/{name}"), ox.NamedNode(graph)
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return [ox.Quad(g, a, ox.NamedNode(PKG + "PolicyDocument"), g), ox.Quad(s, a, ox.NamedNode(PKG + "Program"), g),
            ox.Quad(s, ox.NamedNode(RDFS + "label"), ox.Literal(name), g)]


def test_ranking_exact_prefix_contains_and_kinds():
    s = OxigraphStore(None)
    s.update('INSERT DATA { GRAPH <http://x/g> { <http://x/a> a pkg:Program ; rdfs:label "新建名校工程" . '
             '<http://x/b> a pkg:Program ; rdfs:label "名校建设工程" ; skos:altLabel "名校" . '
             '<http://x/c> a pkg:Task ; rdfs:label "名校建设" . <http://x/d> rdfs:label "名校 (untyped)" } }')
    hits = q.search_labels(s, "名校")
    assert [h.iri for h in hits] == ["http://x/b", "http://x/c", "http://x/a"]  # exact, prefix, contains
    assert hits[0].exact and hits[0].matched == "名校" and hits[0].label == "名校建设工程"
    assert [h.kind for h in q.search_labels(s, "名校", ["Task"])] == ["Task"]
    assert [h["iri"] for h in tr.search(s, "名校建")] == ["http://x/b", "http://x/c"]  # named things first
    assert tr.resolve(s, "名校").iri == "http://x/b"


def test_index_follows_writes():
    s = OxigraphStore(None)
    assert q.search_labels(s, "工程") == []
    s.replace_graph("http://x/doc1", _program("甲工程", "http://x/doc1"))
    assert [h.label for h in q.search_labels(s, "工程")] == ["甲工程"]
    s.replace_graph("http://x/doc2", _program("乙工程", "http://x/doc2"))
    assert [h.label for h in q.search_labels(s, "工程")] == ["乙工程", "甲工程"]
    s.update('DELETE DATA { GRAPH <http://x/doc2> { <http://x/program/乙工程> rdfs:label "乙工程" } } ;'
             'INSERT DATA { GRAPH <http://x/doc2> { <http://x/program/乙工程> rdfs:label "丙工程" } }')
    assert [h.label for h in q.search_labels(s, "工程")] == ["丙工程", "甲工程"]
    s.remove_graph("http://x/doc1")
    assert [h.label for h in q.search_labels(s, "工程")] == ["丙工程"]
    assert tr.resolve(s, "丙工程").iri == "http://x/program/乙工程"
