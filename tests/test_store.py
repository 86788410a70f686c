"""The embedded store: named graphs per document, atomic replace, union queries."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pyoxigraph as ox
import pytest

from policykg.errors import QueryError, StoreError
from policykg.graph.build import document_quads
from policykg.graph.ingest import ingest_files, ingest_record
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore
from support.common import SAMPLE

G = "https://example.org/g/"


def _quads(graph: str, n: int, tag: str = "v") -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    return [
        ox.Quad(
            ox.NamedNode(f"https://example.org/s/{i}"),
            ox.NamedNode("https://example.org/p"),
            ox.Literal(f"{tag}{i}"),
            g,
        )
        for i in range(n)
    ]


def _graph_size(store: OxigraphStore, graph: str) -> int:
    return len(list(store.quads(graph)))


def test_ingest_puts_a_document_in_its_own_named_graph(empty_store, sample_record):
    outcome = ingest_record(empty_store, sample_record, IriScheme())
    assert outcome.status == "added"
    assert [d.iri for d in empty_store.documents()] == [IriScheme().graph(sample_record.doc_id)]
    # Nothing in the default graph: every triple is in the document's graph or a shared entity's.
    assert len(list(empty_store._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))) == 0
    assert _graph_size(empty_store, outcome.graph) > 1000


def test_shared_entities_appear_once_in_the_union_across_documents(empty_store, sample_record):
    """Two documents naming the same program: its label comes back once, not once per document."""
    import dataclasses

    ingest_record(empty_store, sample_record, IriScheme())
    twin = dataclasses.replace(sample_record, doc_id="twin", sha256="0" * 64)
    ingest_record(empty_store, twin, IriScheme())
    rows = list(empty_store.query('SELECT ?l WHERE { ?p a pkg:Program ; rdfs:label ?l FILTER(?l = "三名工程") }'))
    assert len(rows) == 1
    assert len(empty_store.documents()) == 2
    # Removing one document keeps what the other still uses; removing both leaves nothing.
    empty_store.remove_graph(IriScheme().graph("twin"))
    assert len(list(empty_store.query('SELECT ?p WHERE { ?p rdfs:label "三名工程" }'))) == 1
    empty_store.remove_graph(IriScheme().graph(sample_record.doc_id))
    assert empty_store.count() == 0


def test_same_bytes_twice_changes_nothing(empty_store, sample_record):
    first = ingest_record(empty_store, sample_record, IriScheme())
    before = sorted(map(str, empty_store.quads()))
    second = ingest_record(empty_store, sample_record, IriScheme())
    assert (first.status, second.status) == ("added", "unchanged")
    assert sorted(map(str, empty_store.quads())) == before


def test_reingest_replaces_the_graph_instead_of_adding_to_it(empty_store):
    empty_store.replace_graph(G + "a", _quads(G + "a", 50, "old"), sha256="1")
    result = empty_store.replace_graph(G + "a", _quads(G + "a", 20, "new"), sha256="2")
    assert result.replaced and not result.unchanged
    values = {q.object.value for q in empty_store.quads(G + "a")}
    assert len(values) == 20 and all(v.startswith("new") for v in values)


def test_a_failing_load_leaves_the_old_graph_untouched(empty_store):
    empty_store.replace_graph(G + "a", _quads(G + "a", 10, "old"))
    # The last quad is in the default graph, where nothing of a document may go.
    bad = _quads(G + "a", 10, "new") + [ox.Quad(ox.NamedNode(G + "s"), ox.NamedNode(G + "p"), ox.Literal("x"))]
    with pytest.raises(StoreError):
        empty_store.replace_graph(G + "a", bad)
    assert {q.object.value for q in empty_store.quads(G + "a")} == {f"old{i}" for i in range(10)}
    assert empty_store.count() == 10


@pytest.mark.slow
def test_a_crash_midway_never_leaves_half_a_document(tmp_path):
    """Kill a process while it swaps a large graph back and forth; the graph is always whole."""
    path = tmp_path / "store"
    script = textwrap.dedent(f"""
        import pyoxigraph as ox, sys
        from policykg.graph.store import OxigraphStore
        store = OxigraphStore({str(path)!r})
        g = ox.NamedNode({G + "big"!r})
        def quads(n, tag):
            return [ox.Quad(ox.NamedNode(f"https://example.org/s/{{i}}"), ox.NamedNode("https://example.org/p"),
                            ox.Literal(f"{{tag}}{{i}}"), g) for i in range(n)]
        a, b = quads(30000, "a"), quads(20000, "b")
        i = 0
        while True:
            store.replace_graph({G + "big"!r}, a if i % 2 else b)
            if i == 0:
                print("ready", flush=True)
            i += 1
    """)
    sizes = set()
    for delay in (0.05, 0.2, 0.35):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = OxigraphStore(path)
        tags = "".join(sorted({q.object.value[0] for q in store.quads(G + "big")}))
        size = _graph_size(store, G + "big")
        del store
        assert (size, tags) in {(30000, "a"), (20000, "b")}, f"half a document: {size} quads {tags}"
        sizes.add(size)


def test_queries_see_the_union_of_documents(empty_store):
    empty_store.replace_graph(G + "a", _quads(G + "a", 3, "a"))
    empty_store.replace_graph(G + "b", _quads(G + "b", 2, "b"))
    rows = list(empty_store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
    assert int(rows[0]["n"].value) == 5
    # A query can still ask for one document's graph.
    rows = list(empty_store.query("SELECT ?o WHERE { ?s ?p ?o }", default_graphs=[G + "b"]))
    assert sorted(r["o"].value for r in rows) == ["b0", "b1"]


def test_remove_graph_deletes_one_document_only(empty_store):
    empty_store.replace_graph(G + "a", _quads(G + "a", 3))
    empty_store.replace_graph(G + "b", _quads(G + "b", 2))
    assert empty_store.remove_graph(G + "a") is True
    assert empty_store.remove_graph(G + "a") is False
    assert empty_store.count() == 2


def test_bad_sparql_is_a_query_error_not_a_crash(sample_store):
    with pytest.raises(QueryError):
        sample_store.query("SELECT WHERE {")


def test_the_store_persists_on_disk(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore(path)
    ingest_files(store, [SAMPLE], IriScheme())
    n = store.count()
    store.flush()
    del store
    reopened = OxigraphStore(path, read_only=True)
    assert reopened.count() == n > 0


def test_document_quads_are_deterministic(sample_record):
    first = [str(q) for q in document_quads(sample_record)]
    second = [str(q) for q in document_quads(sample_record)]
    assert first == second


def test_a_second_writer_gets_a_friendly_error(tmp_path):
    path = tmp_path / "store"
    holder = OxigraphStore(path)
    with pytest.raises(StoreError) as err:
        OxigraphStore(path)
    assert "store" in str(err.value)
    del holder
