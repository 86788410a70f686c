"""Network analytics: the typed projection, trace, path, rankings (graph/projection.py, graph/trace.py)."""

from __future__ import annotations

import json

import pytest

from policykg.errors import NotFoundError
from policykg.graph import trace as tr
from policykg.graph.projection import EdgeKind, NodeKind, project
from support.common import run_cli
from support.network_fixture import HOSTILE, fixture_store

BASE = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def store():
    return fixture_store()


def test_projection_is_typed(store):
    g = project(store)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {k.value for k in NodeKind} - {"organization", "regulation"}
    assert g.nodes[BASE + "program/三名工程"]["label"] == "三名工程"
    assert len(g.nodes[BASE + "program/三名工程"]["documents"]) == 2  # one IRI across documents
    assert g.has_edge(BASE + "program/名校建设工程", BASE + "program/三名工程", key="partOf")
    assert g.has_edge(BASE + "doc/kunming-2017/task/7", BASE + "program/名校建设工程", key="mentions")
    assert {k for *_, k in g.edges(keys=True)} <= {k.value for k in EdgeKind}
    # no provenance nodes leak in
    assert not any("/span/" in n or "/mention/" in n for n in g.nodes)
    only = project(store, node_kinds=[NodeKind.PROGRAM], edge_kinds=[EdgeKind.PART_OF])
    assert only.number_of_edges() == 4 and all(d["kind"] == "program" for _, d in only.nodes(data=True))


def test_resolve_by_label_altlabel_iri_and_errors(store):
    assert tr.resolve(store, "三名工程").iri == BASE + "program/三名工程"
    assert tr.resolve(store, "全面改薄计划").iri == BASE + "program/全面改薄"  # altLabel
    assert tr.resolve(store, BASE + "program/三名工程").label == "三名工程"
    assert tr.resolve(store, "寻甸").kind == "division"  # short name
    with pytest.raises(NotFoundError):
        tr.resolve(store, "不存在的工程")
    assert tr.resolve(store, "全面改").label == "全面改薄"  # umbrella of its sub-project
    with pytest.raises(NotFoundError, match="ambiguous"):
        tr.resolve(store, "名", [NodeKind.PROGRAM])


def test_trace_reaches_parts_tasks_targets_divisions_with_quotes(store):
    t = tr.trace(store, "三名工程")
    data = t.to_json()
    parts = [c for c in data["tree"]["children"] if c["kind"] == "program"]
    assert [p["label"] for p in parts] == ["名校建设工程", "名师培养工程", "名长建设工程"]
    assert all(p["relation"] == "has part" and p["evidence"]["quote"] == p["label"] for p in parts)
    tasks = {(n["document"].rsplit("/", 1)[-1], n["number"]) for n in t.by_kind("task")}
    assert tasks == {("kunming-2017", "7"), ("kunming-2017", "8"), ("kunming-2017", "9"), ("xundian-2018", "1")}
    targets = {n["indicator_label"] for n in t.by_kind("target")}
    assert {"新增优质学校", "选派名师到先进发达地区研修学习", "每年选送名校长到国内外研修"} <= targets
    assert [d["label"] for d in t.by_kind("division")] == ["寻甸回族彝族自治县"]
    for e in data["edges"]:
        assert e["evidence"] and e["evidence"]["quote"], e
        ev = e["evidence"]
        # the quote is cut out of the stored text at its offsets
        text = store.query(f"SELECT ?t WHERE {{ <{ev['document']}> <https://w3id.org/policykg/ontology#text> ?t }}")
        assert next(iter(text))["t"].value[ev["start"] : ev["end"]] == ev["quote"]
    task7 = next(n for n in t.root.walk() if n.iri.endswith("kunming-2017/task/7"))
    assert task7.evidence.quote == "名校建设工程" and "实施名校建设工程" in task7.evidence.context
    tree = tr.render_tree(t)
    assert "[has part] program 名长建设工程" in tree and "task 8 实施名师培养工程" in tree
    assert "“新增优质学校11所。”" in tree


def test_trace_subproject(store):
    t = tr.trace(store, "全面改薄")
    names = [c["label"] for c in t.to_json()["tree"]["children"] if c["kind"] == "program"]
    assert names == ["全面改薄——中小学教育信息化建设项目"]
    assert sorted(n["number"] for n in t.by_kind("task")) == ["19", "20"]
    with pytest.raises(NotFoundError):
        tr.trace(store, "寻甸")  # a division is not a program


def test_shortest_path_explains_with_quotes(store):
    p = tr.shortest_path(store, "名师培养工程", "寻甸回族彝族自治县")
    labels = [s.target["label"] for s in p.steps]
    assert labels[0] == "三名工程" and labels[-1] == "寻甸回族彝族自治县"
    assert p.steps[0].relation == "is part of" and p.steps[0].forward
    assert all(s.evidence for s in p.steps)
    j = p.to_json()
    assert j["length"] == len(p.steps) and j["nodes"][0]["label"] == "名师培养工程"
    assert tr.shortest_path(store, "三名工程", "三名工程").steps == []
    assert "step" in p.render()


def test_rankings(store):
    r = tr.rankings(store, 5)
    assert r["programs"][0]["label"] == "三名工程" and r["programs"][0]["documents"] == 2
    div = {d["label"]: d for d in r["divisions"]}
    assert div["寻甸回族彝族自治县"]["targets"] == 2 and div["寻甸回族彝族自治县"]["direct"] == 2
    assert div["昆明市"]["targets"] == 2 and div["昆明市"]["direct"] == 0  # rolled up from its counties
    assert [(i["label"], i["documents"]) for i in r["indicators"]] == [("新增优质学校", 2)]


def test_search_neighbourhood_and_details(store):
    hits = tr.search(store, "三名")
    assert hits[0]["label"] == "三名工程"
    assert tr.search(store, "onerror")[0]["label"] == HOSTILE
    nb = tr.neighbourhood(store, BASE + "program/三名工程", group_limit=2)
    parts = next(g for g in nb["groups"] if g["key"] == "partOf|in|program")
    assert parts["count"] == 3 and parts["shown"] == 2
    more = tr.neighbourhood(store, BASE + "program/三名工程", group_limit=2, group="partOf|in|program", offset=2)
    assert [g["shown"] for g in more["groups"]] == [1]
    d = tr.node_details(store, BASE + "doc/kunming-2017/task/8")
    assert d["quotes"][0]["quote"].startswith("8.实施名师培养工程") and d["section"].endswith("section/1")
    d = tr.node_details(store, BASE + "program/名师培养工程")
    assert d["quotes"][0]["quote"] == "名师培养工程" and d["quotes"][0]["context"] == "8.实施名师培养工程。"


# -- on the real sample, through the real CLI ------------------------------------------
def test_cli_trace_sanming_on_sample(sample_store_path):
    out = run_cli("trace", "三名工程", "--store", str(sample_store_path), check=True).stdout.decode()
    for part in ("名校建设工程", "名师培养工程", "名长建设工程"):
        assert f"[has part] program {part}" in out
    for n in ("7", "8", "9"):
        assert f"task {n} " in out
    assert "[states target] target" in out and "“" in out
    data = json.loads(run_cli("trace", "三名工程", "--json", "--store", str(sample_store_path), check=True).stdout)
    assert {n["number"] for n in data["nodes"] if n["kind"] == "task"} == {"7", "8", "9"}
    assert all(e["evidence"] for e in data["edges"])


def test_cli_trace_quanmian_gaibao_on_sample(sample_store_path):
    out = run_cli("trace", "全面改薄", "--store", str(sample_store_path), check=True).stdout.decode()
    assert "[has part] program 全面改薄——中小学教育信息化建设项目" in out
    assert "task 19 " in out and "task 20 " in out


def test_cli_path_rank_and_errors(sample_store_path):
    s = str(sample_store_path)
    out = run_cli("path", "名师培养工程", "三名工程", "--store", s, check=True).stdout.decode()
    assert "[is part of]" in out
    data = json.loads(run_cli("rank", "--json", "--store", s, check=True).stdout)
    assert set(data) == {"programs", "divisions", "indicators"} and data["programs"]
    assert "Most connected programs" in run_cli("rank", "--store", s, check=True).stdout.decode()
    bad = run_cli("trace", "没有这个工程", "--store", s)
    assert bad.returncode == 1 and b"Error:" in bad.stderr and b"Traceback" not in bad.stderr


def test_cli_trace_stops_at_the_max_trace_nodes_setting(sample_store_path):
    """`policykg trace` honours the same cap as /api/trace, and says the tree was cut."""
    full = json.loads(run_cli("trace", "三名工程", "--json", "--store", str(sample_store_path), check=True).stdout)
    assert not full.get("truncated") and len(full["nodes"]) > 3
    cut = run_cli(
        "trace",
        "三名工程",
        "--json",
        "--store",
        str(sample_store_path),
        env={"POLICYKG_MAX_TRACE_NODES": "3"},
        check=True,
    )
    cut = json.loads(cut.stdout)
    assert cut["truncated"] and len(cut["nodes"]) == 3
    tree = run_cli(
        "trace", "三名工程", "--store", str(sample_store_path), env={"POLICYKG_MAX_TRACE_NODES": "3"}, check=True
    )
    assert "cut at 3 nodes" in tree.stdout.decode()
