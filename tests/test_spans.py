"""Provenance: every span cuts exactly its quote out of the stored text, in every document."""

from __future__ import annotations

import pytest
import rdflib

from support.common import DATA, SAMPLE, run_cli

DOCS = [SAMPLE, *sorted(p for p in (DATA / "docs").iterdir() if p.suffix in {".txt", ".html", ".docx", ".pdf"})]

SPANS = """
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?span ?start ?end ?exact ?text WHERE {
  ?span oa:start ?start ; oa:end ?end ; oa:exact ?exact ; prov:wasDerivedFrom ?doc .
  ?doc pkg:text ?text .
}"""


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_span_cuts_its_quote_out_of_the_stored_text(doc):
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data=run_cli("extract", str(doc), "--format", "nquads", check=True).stdout, format="nquads")
    rows = list(ds.query(SPANS))
    assert len(rows) > 20
    for r in rows:
        assert str(r.text)[int(r.start) : int(r.end)] == str(r.exact), r.span


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_fact_has_evidence(doc):
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data=run_cli("extract", str(doc), "--format", "nquads", check=True).stdout, format="nquads")
    missing = list(
        ds.query("""
        PREFIX pkg: <https://w3id.org/policykg/ontology#>
        SELECT ?x WHERE { VALUES ?c { pkg:Section pkg:Task pkg:Target pkg:Mention } ?x a ?c .
                          FILTER NOT EXISTS { ?x pkg:evidence ?s } }""")
    )
    assert missing == []


def test_the_same_document_in_four_encodings_gives_identical_graphs(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    outputs = set()
    for name, data in {
        "utf8": text.encode("utf-8"),
        "bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "gb18030": text.encode("gb18030"),
        "utf16": text.encode("utf-16"),
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        path = folder / SAMPLE.name  # same file name: the document id comes from it
        path.write_bytes(data)
        nq = run_cli("extract", str(path), "--format", "nquads", check=True).stdout
        # The graphs differ only in what they record about the bytes: sha256 and encoding.
        kept = b"".join(
            line + b"\n"
            for line in nq.splitlines()
            if b"ontology#sha256>" not in line and b"ontology#encoding>" not in line
        )
        outputs.add(kept)
    assert len(outputs) == 1


TASK_QUOTES = """
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?task ?start ?end ?own ?text ?exact WHERE {
  ?task a pkg:Task ; pkg:text ?own ; pkg:evidence ?span ; prov:wasDerivedFrom ?doc .
  ?span oa:start ?start ; oa:end ?end . OPTIONAL { ?span oa:exact ?exact }
  ?doc pkg:text ?text .
}"""


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_long_texts_are_stored_once_and_still_cut_out_of_the_document(doc):
    """A task's span is a position only: its characters live in the document's pkg:text (and
    the task's own pkg:text, equal to them), not a third time in oa:exact."""
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data=run_cli("extract", str(doc), "--format", "nquads", check=True).stdout, format="nquads")
    rows = list(ds.query(TASK_QUOTES))
    assert rows
    for r in rows:
        assert r.exact is None, r.task
        assert str(r.text)[int(r.start) : int(r.end)] == str(r.own), r.task
    body_quotes = list(
        ds.query("""
        PREFIX oa: <http://www.w3.org/ns/oa#>
        PREFIX pkg: <https://w3id.org/policykg/ontology#>
        SELECT ?e WHERE { ?d a pkg:PolicyDocument ; pkg:evidence ?s . ?s oa:exact ?e }""")
    )
    assert body_quotes == []


def test_the_builders_nquads_are_what_pyoxigraph_writes_for_hostile_text(sample_record):
    """The builder writes N-Quads text itself: every control character, quote and backslash in a
    value must come out as pyoxigraph's serializer writes it, and parse back to the same value."""
    import dataclasses

    import pyoxigraph as ox

    from policykg.graph.build import document_graph

    hostile = "".join(chr(c) for c in range(0x80)) + "\u2028\u0085\ufeff😀 标题"
    record = dataclasses.replace(sample_record, title=hostile, source=hostile)
    built = document_graph(record)
    quads = built.quads()
    assert built.nquads() == ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    titles = [q.object.value for q in quads if q.predicate.value == "http://purl.org/dc/terms/title"]
    assert titles == [hostile]
    assert built.own + built.shared == len(quads)
    assert built.nquads(sha256_last=True).rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b" ")[1] == (
        b"<https://w3id.org/policykg/ontology#sha256>"
    )
