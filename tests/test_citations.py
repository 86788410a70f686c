"""Citations resolved across documents: a cited title that is a stored document links to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from policykg.graph.citations import document_keys, title_key
from policykg.graph.ingest import ingest_corpus, ingest_files
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore

PLAN = (
    "某市教育局关于印发《某市学前教育三年行动计划（2021—2023年）》的通知\n"
    "各县区教育局：\n现将《某市学前教育三年行动计划（2021—2023年）》印发给你们，请认真贯彻落实。\n"
    "一、总体目标\n1.扩大资源。新建幼儿园10所。\n2.提高质量。学前三年毛入园率达到90%。\n"
)
WORKPLAN = (
    "某市教育局2022年工作要点\n一、学前教育\n"
    "1.扩大普惠资源。按照《某市学前教育三年行动计划(2021-2023年)》要求，新建幼儿园5所。\n"
    "2.加强督导。落实《幼儿园工作规程》。\n二、义务教育\n3.推进均衡。完善机制。\n"
)
REFERENCES = "http://purl.org/dc/terms/references"


def _links(store: OxigraphStore) -> set[tuple[str, str]]:
    rows = store.query(f"SELECT ?a ?b WHERE {{ GRAPH ?g {{ ?a <{REFERENCES}> ?b }} }}")
    return {(r["a"].value.rsplit("/id/", 1)[1], r["b"].value.rsplit("/id/", 1)[1]) for r in rows}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    plan, workplan = tmp_path / "plan.txt", tmp_path / "workplan.txt"
    plan.write_text(PLAN, encoding="utf-8")
    workplan.write_text(WORKPLAN, encoding="utf-8")
    return plan, workplan


def test_titles_compare_without_marks_issuers_brackets_or_dashes():
    cited = title_key("《某市学前教育三年行动计划(2021-2023年)》")
    assert cited == title_key("某市学前教育三年行动计划（2021—2023年）")
    assert title_key("某市教育局关于加强督导的通知") == title_key("关于加强督导的通知")
    # a notice is found under the plan it issues too
    assert title_key("某市学前教育三年行动计划（2021—2023年）") in document_keys(PLAN.splitlines()[0])


@pytest.mark.parametrize("order", ["cited first", "citing first"])
def test_a_citation_links_the_citing_task_and_document_to_the_cited_document(tmp_path, files, order):
    plan, workplan = files
    store = OxigraphStore(tmp_path / "store")
    iris = IriScheme()
    for f in (plan, workplan) if order == "cited first" else (workplan, plan):
        ingest_files(store, [f], iris)
    assert _links(store) == {("doc/workplan/task/1", "doc/plan"), ("doc/workplan", "doc/plan")}
    # 《幼儿园工作规程》 is no document of the store: it stays a regulation, unlinked
    store.remove_graph(iris.graph("plan"))
    assert _links(store) == set()
    assert not store.contains_graph(IriScheme().base + "links/citations")


def test_a_corpus_ingest_resolves_citations_once_at_the_end(tmp_path, files):
    store = OxigraphStore(tmp_path / "store")
    report = ingest_corpus(store, [files[0].parent], IriScheme(), workers=1)
    assert report.count("added") == 2
    assert _links(store) == {("doc/workplan/task/1", "doc/plan"), ("doc/workplan", "doc/plan")}
    # ingesting the same documents again changes nothing
    before = sorted(str(q) for q in store.quads())
    ingest_corpus(store, [files[0].parent], IriScheme(), workers=1)
    assert sorted(str(q) for q in store.quads()) == before


def test_an_ingest_with_nothing_new_repairs_links_an_interrupted_one_left_out(tmp_path, files):
    """A run killed after storing its documents but before the links: running it again adds them."""
    store = OxigraphStore(tmp_path / "store")
    ingest_corpus(store, [files[0].parent], IriScheme(), workers=1)
    store.update(f"DROP GRAPH <{IriScheme().base}links/citations>")  # as if killed before the links
    report = ingest_corpus(store, [files[0].parent], IriScheme(), workers=1)
    assert report.count("unchanged") == 2
    assert _links(store) == {("doc/workplan/task/1", "doc/plan"), ("doc/workplan", "doc/plan")}
