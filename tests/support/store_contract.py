"""The store contract: what every GraphStore must do, embedded or remote.

A test module subclasses :class:`StoreContract` and provides a ``store`` fixture
that yields an EMPTY store; the same tests then run against the embedded
Oxigraph store, an Oxigraph server, Virtuoso …
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.errors import QueryError
from policykg.graph.build import document_quads
from policykg.graph.ingest import ingest_corpus
from policykg.graph.iris import IriScheme
from policykg.loaders.extract import extract_bytes
from support.common import SAMPLE

IRIS = IriScheme()
PKG_DOC = "https://w3id.org/policykg/ontology#PolicyDocument"


def _doc(data: bytes, name: str):
    doc = extract_bytes(data, name)
    return IRIS.graph(doc.doc_id), document_quads(doc, IRIS), doc.sha256


def _v1() -> bytes:
    return SAMPLE.read_bytes()


def _v2() -> bytes:
    # A changed edition: the last third of the text is gone, one line is new.
    data = SAMPLE.read_text(encoding="utf-8")
    return (data[: len(data) * 2 // 3] + "\n附件：第二版修订说明。\n").encode("utf-8")


def _own(quads, graph: str) -> list:
    """The quads of one document's own graph (shared entities live in graphs of their own)."""
    return [q for q in quads if q.graph_name.value == graph]


def _canonical(quads) -> set[str]:
    """Quads compared by value: stores may keep numeric literals in canonical form (Oxigraph) or not."""
    mem = ox.Store()
    mem.extend(quads)
    return {str(q) for q in mem}


class StoreContract:
    """Mix into a ``Test…`` class that defines a ``store`` fixture giving an empty store."""

    def test_replace_on_reingest(self, store):
        g, q1, sha1 = _doc(_v1(), "plan.txt")
        _, q2, sha2 = _doc(_v2(), "plan.txt")
        base = store.count()  # a server may hold graphs of its own (Virtuoso's system graphs)
        first = store.replace_graph(g, q1, sha256=sha1)
        assert (first.replaced, first.unchanged) == (False, False)
        second = store.replace_graph(g, q2, sha256=sha2)
        assert (second.replaced, second.unchanged) == (True, False)
        assert _canonical(store.quads(g)) == _canonical(_own(q2, g)), _diff(store, g, _own(q2, g))  # no v1 left
        assert store.graph_sha256(g) == sha2
        everything = _canonical(x for x in ox.parse(store.dump("nquads"), format=ox.RdfFormat.N_QUADS))
        assert _canonical(q2) <= everything  # the shared entities' graphs hold what v2 says
        assert store.count() >= base + len(_canonical(q2))

    def test_same_bytes_is_unchanged(self, store):
        g, q1, sha1 = _doc(_v1(), "plan.txt")
        store.replace_graph(g, q1, sha256=sha1)
        before = store.count()
        again = store.replace_graph(g, q1, sha256=sha1)
        assert again.unchanged and not again.replaced
        assert store.count() == before

    def test_remove(self, store):
        ga, qa, sa = _doc(_v1(), "a.txt")
        gb, qb, sb = _doc(_v2(), "b.txt")
        base = store.count()
        store.replace_graph(ga, qa, sha256=sa)
        store.replace_graph(gb, qb, sha256=sb)
        assert store.remove_graph(ga) is True
        assert store.remove_graph(ga) is False
        assert [d.iri for d in store.documents() if d.iri.startswith(IRIS.base)] == [gb]
        assert not list(store.quads(ga))
        assert _canonical(qb) <= _canonical(x for x in ox.parse(store.dump("nquads"), format=ox.RdfFormat.N_QUADS))
        assert not store.orphan_entity_graphs()
        assert store.graph_sha256(ga) is None
        # Removing the last document leaves the store as it was, entity graphs included.
        assert store.remove_graph(gb) is True
        assert store.count() == base

    def test_union_queries_see_every_document(self, store):
        for data, name in ((_v1(), "a.txt"), (_v2(), "b.txt")):
            g, q, sha = _doc(data, name)
            store.replace_graph(g, q, sha256=sha)
        rows = list(store.query("SELECT ?d WHERE { ?d a pkg:PolicyDocument } ORDER BY ?d"))
        assert [r["d"].value for r in rows] == [IRIS.document("a"), IRIS.document("b")]
        # Shared entities merge across graphs in the union.
        n = list(store.query("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pkg:Program }"))[0]["n"]
        assert int(n.value) > 0
        # One graph only, by name.
        only_a = list(store.query("SELECT ?d WHERE { ?d a pkg:PolicyDocument }", default_graphs=[IRIS.graph("a")]))
        assert [r["d"].value for r in only_a] == [IRIS.document("a")]
        assert bool(store.query("ASK { GRAPH ?g { ?d a pkg:PolicyDocument } }"))
        triples = list(store.query(f"CONSTRUCT {{ ?d a <{PKG_DOC}> }} WHERE {{ ?d a <{PKG_DOC}> }}"))
        assert len(triples) == 2

    def test_bulk_load_many_documents_in_one_call(self, store):
        body, expected = b"", {}
        for data, name in ((_v1(), "a.txt"), (_v2(), "b.txt")):
            g, q, sha = _doc(data, name)
            body += ox.serialize(q, format=ox.RdfFormat.N_QUADS)
            expected[g] = (sha, len(_own(q, g)))
        store.load(body, "nquads")
        docs = {d.iri: d for d in store.documents() if d.iri.startswith(IRIS.base)}
        assert {g: (d.sha256, d.triples) for g, d in docs.items()} == expected

    def test_bad_query_is_a_query_error(self, store):
        with pytest.raises(QueryError):
            store.query("SELECT WHERE {")

    def test_dump_round_trips(self, store):
        g, q, sha = _doc(_v1(), "a.txt")
        store.replace_graph(g, q, sha256=sha)
        dumped = _canonical(
            x
            for x in ox.parse(store.dump("nquads"), format=ox.RdfFormat.N_QUADS)
            if x.graph_name.value.startswith(IRIS.base)
        )  # not a server's own graphs
        assert dumped == _canonical(q)  # the document's graph and its entities' graphs

    def test_corpus_ingest_and_resume(self, store, tmp_path):
        folder = tmp_path / "corpus"
        folder.mkdir()
        (folder / "a.txt").write_bytes(_v1())
        (folder / "b.txt").write_bytes(_v2())
        (folder / "broken.txt").write_bytes(b"\x00\x01\x02garbage\x00" * 50)
        report = ingest_corpus(store, [folder], IRIS)
        assert [(Path(o.source).name, o.status) for o in report.outcomes] == [
            ("a.txt", "added"),
            ("b.txt", "added"),
            ("broken.txt", "failed"),
        ]
        assert "broken.txt" in report.failed[0].error
        again = ingest_corpus(store, [folder], IRIS)
        assert [o.status for o in again.outcomes] == ["unchanged", "unchanged", "failed"]
        (folder / "a.txt").write_bytes(_v2())
        third = ingest_corpus(store, [folder / "a.txt"], IRIS)
        assert third.outcomes[0].status == "replaced"
        assert store.graph_sha256(IRIS.graph("a")) == store.graph_sha256(IRIS.graph("b"))


def _diff(store, graph, quads) -> str:  # debugging aid for assertion messages
    have = _canonical(store.quads(graph))
    want = _canonical(quads)
    return f"missing {sorted(want - have)[:3]} extra {sorted(have - want)[:3]} ({len(have)} vs {len(want)})"
