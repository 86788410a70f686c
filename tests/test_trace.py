"""Network analytics: the typed projection, names, trace, path, rankings, and the reads of the
network view (graph/projection.py, search.py, trace.py, paths.py, rankings.py, neighbourhood.py,
resources.py), as the view's JSON (viz/network_json.py) and the terminal (cli/render.py) show them."""

from __future__ import annotations

import json

import pytest

from policykg.cli.render import path_steps, trace_tree
from policykg.errors import NotFoundError
from policykg.graph.kinds import CLASSES, EdgeKind
from policykg.graph.neighbourhood import neighbour_groups
from policykg.graph.paths import shortest_path
from policykg.graph.projection import project
from policykg.graph.rankings import rankings
from policykg.graph.resources import node_details
from policykg.graph.search import resolve, search_labels
from policykg.graph.trace import trace
from policykg.viz.network_json import (
    details_json,
    groups_json,
    parse_group_key,
    path_json,
    rankings_json,
    search_json,
    trace_json,
)
from support.common import run_cli
from support.network_fixture import HOSTILE, fixture_store

BASE = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def store():
    return fixture_store()


def view_search(store, text: str) -> list[dict]:
    """What the network view's search box answers."""
    return search_json(text, search_labels(store, text))


def test_projection_is_typed(store):
    g = project(store)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == set(CLASSES) - {"Organization", "Regulation"}
    assert g.nodes[BASE + "program/三名工程"]["label"] == "三名工程"
    assert len(g.nodes[BASE + "program/三名工程"]["documents"]) == 2  # one IRI across documents
    assert g.has_edge(BASE + "program/名校建设工程", BASE + "program/三名工程", key="partOf")
    assert g.has_edge(BASE + "doc/kunming-2017/task/7", BASE + "program/名校建设工程", key="mentions")
    assert {k for *_, k in g.edges(keys=True)} <= {k.value for k in EdgeKind}
    # no provenance nodes leak in
    assert not any("/span/" in n or "/mention/" in n for n in g.nodes)
    only = project(store, node_kinds=["Program"], edge_kinds=[EdgeKind.PART_OF])
    assert only.number_of_edges() == 4 and all(d["kind"] == "Program" for _, d in only.nodes(data=True))


def test_resolve_by_label_altlabel_iri_and_errors(store):
    assert resolve(store, "三名工程").iri == BASE + "program/三名工程"
    assert resolve(store, "全面改薄计划").iri == BASE + "program/全面改薄"  # altLabel
    assert resolve(store, BASE + "program/三名工程").label == "三名工程"
    assert resolve(store, "寻甸").kind == "AdministrativeDivision"  # short name
    with pytest.raises(NotFoundError):
        resolve(store, "不存在的工程")
    assert resolve(store, "全面改").label == "全面改薄"  # umbrella of its sub-project
    with pytest.raises(NotFoundError, match="ambiguous"):
        resolve(store, "名", ["Program"])


def test_trace_reaches_parts_tasks_targets_divisions_with_quotes(store):
    t = trace(store, "三名工程")
    data = trace_json(t)
    parts = [c for c in data["tree"]["children"] if c["kind"] == "program"]
    assert [p["label"] for p in parts] == ["名校建设工程", "名师培养工程", "名长建设工程"]
    assert all(p["relation"] == "has part" and p["evidence"]["quote"] == p["label"] for p in parts)
    tasks = {(n["document"].rsplit("/", 1)[-1], n["number"]) for n in data["nodes"] if n["kind"] == "task"}
    assert tasks == {("kunming-2017", "7"), ("kunming-2017", "8"), ("kunming-2017", "9"), ("xundian-2018", "1")}
    targets = {n["indicator_label"] for n in data["nodes"] if n["kind"] == "target"}
    assert {"新增优质学校", "选派名师到先进发达地区研修学习", "每年选送名校长到国内外研修"} <= targets
    assert [d["label"] for d in data["nodes"] if d["kind"] == "division"] == ["寻甸回族彝族自治县"]
    for e in data["edges"]:
        assert e["evidence"] and e["evidence"]["quote"], e
        ev = e["evidence"]
        # the quote is cut out of the stored text at its offsets
        text = store.query(f"SELECT ?t WHERE {{ <{ev['document']}> <https://w3id.org/policykg/ontology#text> ?t }}")
        assert next(iter(text))["t"].value[ev["start"] : ev["end"]] == ev["quote"]
    task7 = next(n for n in t.root.walk() if n.iri.endswith("kunming-2017/task/7"))
    assert task7.evidence.exact == "名校建设工程" and "实施名校建设工程" in task7.evidence.context
    tree = trace_tree(t)
    assert "[has part] program 名长建设工程" in tree and "task 8 实施名师培养工程" in tree
    assert "“新增优质学校11所。”" in tree


def test_trace_subproject(store):
    data = trace_json(trace(store, "全面改薄"))
    names = [c["label"] for c in data["tree"]["children"] if c["kind"] == "program"]
    assert names == ["全面改薄——中小学教育信息化建设项目"]
    assert sorted(n["number"] for n in data["nodes"] if n["kind"] == "task") == ["19", "20"]
    with pytest.raises(NotFoundError):
        trace(store, "寻甸")  # a division is not a program


def test_shortest_path_explains_with_quotes(store):
    p = shortest_path(store, "名师培养工程", "寻甸回族彝族自治县")
    labels = [s.target.label for s in p.steps]
    assert labels[0] == "三名工程" and labels[-1] == "寻甸回族彝族自治县"
    assert p.steps[0].relation == "is part of" and p.steps[0].forward
    assert all(s.evidence for s in p.steps)
    j = path_json(p)
    assert j["length"] == len(p.steps) and j["nodes"][0]["label"] == "名师培养工程"
    assert shortest_path(store, "三名工程", "三名工程").steps == []
    assert "step" in path_steps(p)


def test_rankings(store):
    r = rankings_json(rankings(store, 5))
    assert r["programs"][0]["label"] == "三名工程" and r["programs"][0]["documents"] == 2
    div = {d["label"]: d for d in r["divisions"]}
    assert div["寻甸回族彝族自治县"]["targets"] == 2 and div["寻甸回族彝族自治县"]["direct"] == 2
    assert div["昆明市"]["targets"] == 2 and div["昆明市"]["direct"] == 0  # rolled up from its counties
    assert [(i["label"], i["documents"]) for i in r["indicators"]] == [("新增优质学校", 2)]


def test_search_neighbourhood_and_details(store):
    hits = view_search(store, "三名")
    assert hits[0]["label"] == "三名工程"
    assert view_search(store, "onerror")[0]["label"] == HOSTILE
    nb = groups_json(neighbour_groups(store, BASE + "program/三名工程", group_limit=2).groups)
    parts = next(g for g in nb if g["key"] == "partOf|in|program")
    assert parts["count"] == 3 and parts["shown"] == 2
    group = parse_group_key("partOf|in|program")
    more = groups_json(neighbour_groups(store, BASE + "program/三名工程", group_limit=2, group=group, offset=2).groups)
    assert [g["shown"] for g in more] == [1]
    d = details_json(node_details(store, BASE + "doc/kunming-2017/task/8"))
    assert d["quotes"][0]["quote"].startswith("8.实施名师培养工程") and d["section"].endswith("section/1")
    d = details_json(node_details(store, BASE + "program/名师培养工程"))
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


def test_cli_path_is_the_same_on_every_run(sample_store_path):
    """Several paths of equal weight join 三名工程 and 禄劝县; the one shown must not change from
    run to run. (Python's string hashing differs per process: with the projection built in the
    order the store answered, these three seeds gave three different paths.)"""
    outs = {
        seed: run_cli(
            "path",
            "三名工程",
            "禄劝县",
            "--json",
            "--store",
            str(sample_store_path),
            env={"PYTHONHASHSEED": seed},
            check=True,
        ).stdout.decode()
        for seed in ("1", "2", "4")
    }
    assert len(set(outs.values())) == 1, outs
    assert json.loads(outs["1"])["steps"]


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


def test_a_dependency_edge_is_quoted_by_its_cue(tmp_path):
    """The trace quotes the words that make a task depend on a programme (依托全面改薄项目), not the
    task's whole text."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    plan = tmp_path / "plan.txt"
    plan.write_text(
        "某县教育局2018年工作要点\n一、重点任务\n1.改善办学条件。依托全面改薄项目，新建教学楼3栋，改造运动场5个。\n"
        "2.加强师资。实施乡村教师支持计划。\n",
        encoding="utf-8",
    )
    store = OxigraphStore(tmp_path / "store")
    ingest_files(store, [plan], IriScheme())
    found = trace(store, "全面改薄")
    quotes = [e.evidence.exact for e in found.edges if e.kind is EdgeKind.DEPENDS_ON and e.evidence]
    assert quotes == ["依托全面改薄"]
