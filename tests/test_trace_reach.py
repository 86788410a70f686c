"""The trace follows everything the graph states (issue 14): successors from the programme
registry, the units that lead and support each task, targets' baselines and bindingness, the
documents a task cites; and the other way round, what one task rests on (``policykg rests-on``,
``/api/rests-on``). On a store two real documents were ingested into, through the real pipeline."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from policykg.cli.render import rests_on_tree, trace_tree
from policykg.errors import NotFoundError
from policykg.graph.reverse_trace import rests_on
from policykg.graph.trace import REGISTRY, trace
from policykg.viz.network_json import rests_on_json, trace_json
from support.common import run_cli, store_of_texts

BASE = "https://w3id.org/policykg/id/"
PKG = "https://w3id.org/policykg/ontology#"
PLAN = BASE + "doc/plan"
CITED = BASE + "doc/cited"
CITED_TITLE = "昆明市义务教育薄弱环节改善与能力提升实施方案"
SUCCESSOR = "义务教育薄弱环节改善与能力提升"

CITED_TEXT = f"""{CITED_TITLE}
一、主要任务
1.改善办学条件。到2020年，全市义务教育学校标准化建设达标率从80%提高到95%。
"""
PLAN_TEXT = f"""寻甸县2021年教育工作要点
一、重点任务
1.推进薄弱学校改造。依托全面改薄项目，按照《{CITED_TITLE}》要求，新建教学楼3栋。（牵头单位：县教育体育局；配合单位：县财政局、县发展改革局）
2.巩固改薄成果。继续实施“{SUCCESSOR}”，改造运动场5个。（县教育体育局牵头，县住房城乡建设局配合）
3.加强校舍安全。县教育体育局要定期排查校舍隐患。（县教育体育局牵头，县应急管理局配合）
4.实施第三期学前教育行动计划。学前三年毛入园率从85%提高到92%以上。（责任单位：县教育体育局）主要指标如下：
序号
主要指标
2020年现状
2025年目标
指标属性
1
普惠性幼儿园覆盖率（%）
70
85
约束性
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return store_of_texts(tmp_path_factory.mktemp("reach"), {"cited": CITED_TEXT, "plan": PLAN_TEXT})


@pytest.fixture(scope="module")
def store(store_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_path, read_only=True)


def quoted(store, ev: dict) -> str:
    """The characters at the evidence's offsets in the document's stored text."""
    found = store.query(f"SELECT ?t WHERE {{ <{ev['document']}> <https://w3id.org/policykg/ontology#text> ?t }}")
    return next(iter(found))["t"].value[ev["start"] : ev["end"]]


def child(node: dict, label: str) -> dict:
    return next(c for c in node["children"] if c["label"] == label)


def task_node(data: dict, number: str) -> dict:
    def walk(n):
        yield n
        for c in n["children"]:
            yield from walk(c)

    return next(
        n for n in walk(data["tree"]) if n["kind"] == "task" and not n.get("ref") and n["details"]["number"] == number
    )


def test_a_trace_follows_a_successor_with_the_registry_as_its_source(store):
    data = trace_json(trace(store, "全面改薄"))
    successor = child(data["tree"], SUCCESSOR)
    assert successor["kind"] == "program" and successor["edge"] == "successorOf"
    assert successor["relation"] == "is continued by" and successor["basis"] == REGISTRY
    assert successor["evidence"] is None  # the registry says so, not a sentence
    [edge] = [e for e in data["edges"] if e["kind"] == "successorOf"]
    assert (edge["source"], edge["target"]) == (BASE + "program/yiwu-jiaoyu-boruo-huanjie", data["program"]["iri"])
    assert edge["basis"] == REGISTRY and edge["evidence"] is None
    # the successor's own tasks are part of the reach
    assert [c["details"]["number"] for c in successor["children"] if c["kind"] == "task"] == ["2"]
    assert "[is continued by] program 义务教育薄弱环节改善与能力提升  (programme registry)" in trace_tree(
        trace(store, "全面改薄")
    )
    # and from the successor, the program it continues
    back = trace_json(trace(store, SUCCESSOR))
    older = child(back["tree"], "全面改薄")
    assert older["relation"] == "continues" and older["basis"] == REGISTRY
    assert "1" in {n.get("number") for n in back["nodes"] if n["kind"] == "task"}


def test_a_trace_names_who_leads_and_supports_each_task_with_the_words_that_say_so(store):
    data = trace_json(trace(store, "全面改薄"))
    task1 = task_node(data, "1")
    units = [(c["relation"], c["label"]) for c in task1["children"] if c["kind"] == "organization"]
    assert units == [("led by", "县教育体育局"), ("supported by", "县财政局"), ("supported by", "县发展改革局")]
    lead = child(task1, "县教育体育局")
    assert lead["edge"] == "ledBy" and lead["evidence"]["quote"] == "县教育体育局"
    assert quoted(store, lead["evidence"]) == "县教育体育局" and "牵头单位" in lead["evidence"]["context"]
    task2 = task_node(data, "2")
    assert [(c["edge"], c["label"]) for c in task2["children"] if c["kind"] == "organization"] == [
        ("ledBy", "县教育体育局"),
        ("supportedBy", "县住房城乡建设局"),
    ]
    assert data["counts"]["organization"] == 4  # one node per unit, however many tasks it leads
    kinds = {(e["kind"], e["target"].rsplit("/", 1)[-1]) for e in data["edges"]}
    assert ("ledBy", "寻甸回族彝族自治县教育体育局") in kinds and ("supportedBy", "寻甸回族彝族自治县财政局") in kinds
    tree = trace_tree(trace(store, "全面改薄"))
    assert "[led by] organization 县教育体育局" in tree and "[supported by] organization 县财政局" in tree


def test_a_unit_is_quoted_by_the_words_that_give_its_role(store):
    """The task names the unit in its sentence too; the quote is the bracket that makes it the lead."""
    task = rests_on(store, "加强校舍安全")
    lead = next(c for c in task.root.children if c.relation == "led by")
    assert lead.label == "县教育体育局" and lead.evidence.exact == "县教育体育局"
    assert lead.evidence.context == "（县教育体育局牵头，县应急管理局配合）"


def test_targets_in_a_trace_carry_their_baseline_and_bindingness(store):
    t = trace(store, "第三期学前教育行动计划")
    data = trace_json(t)
    targets = {n["indicator_label"]: n for n in data["nodes"] if n["kind"] == "target"}
    rate = targets["学前三年毛入园率"]
    assert (float(rate["value"]), float(rate["baseline"]), rate["comparator"]) == (92, 85, "AtLeast")
    assert "bindingness" not in rate  # the text does not label it
    table = targets["普惠性幼儿园覆盖率"]
    assert (float(table["value"]), float(table["baseline"]), table["bindingness"]) == (85, 70, "Binding")
    tree = trace_tree(t)
    assert "target 学前三年毛入园率 ≥ 92% (from 85%)" in tree
    assert "target 普惠性幼儿园覆盖率 = 85% (from 70%) [binding 约束性]" in tree


def test_a_trace_shows_the_documents_a_task_cites(store):
    data = trace_json(trace(store, "全面改薄"))
    cited = child(task_node(data, "1"), CITED_TITLE)
    assert (cited["iri"], cited["kind"], cited["edge"], cited["relation"]) == (CITED, "document", "references", "cites")
    assert CITED_TITLE in cited["evidence"]["quote"] and quoted(store, cited["evidence"]) == cited["evidence"]["quote"]
    assert any(e["kind"] == "references" and e["target"] == CITED for e in data["edges"])
    assert f"[cites] document {CITED_TITLE}  <{CITED}>" in trace_tree(trace(store, "全面改薄"))


def test_what_a_task_rests_on(store):
    found = rests_on(store, PLAN + "/task/1")
    data = rests_on_json(found)
    assert data["task"]["iri"] == PLAN + "/task/1" and data["task"]["number"] == "1"
    program = child(data["tree"], "全面改薄")
    assert (program["edge"], program["relation"]) == ("dependsOn", "depends on")
    assert program["evidence"]["quote"] == "依托全面改薄"  # the cue, not the task's whole text
    assert quoted(store, program["evidence"]) == "依托全面改薄"
    assert [(c["relation"], c["label"]) for c in data["tree"]["children"][1:]] == [
        ("led by", "县教育体育局"),
        ("supported by", "县财政局"),
        ("supported by", "县发展改革局"),
        ("cites", CITED_TITLE),
    ]
    assert data["counts"] == {"program": 1, "organization": 3, "document": 1}
    assert all(e["source"] == PLAN + "/task/1" for e in data["edges"])
    # a task that names a successor rests on it, and through the registry on the program it continues
    named = rests_on_json(rests_on(store, "巩固改薄成果"))
    successor = child(named["tree"], SUCCESSOR)
    assert successor["relation"] == "names" and SUCCESSOR in successor["evidence"]["quote"]
    older = child(successor, "全面改薄")
    assert older["relation"] == "continues" and older["basis"] == REGISTRY and older["evidence"] is None
    with pytest.raises(NotFoundError):
        rests_on(store, "全面改薄")  # a program is not a task


def test_rests_on_stops_at_the_node_cap(store):
    cut = rests_on(store, PLAN + "/task/1", max_nodes=3)
    assert cut.truncated and len(cut.nodes) == 3
    assert cut.root.children[0].label == "全面改薄"  # nearest first: what it depends on


def test_a_task_that_rests_on_nothing_says_so(store):
    alone = rests_on(store, "改善办学条件")  # the cited plan's task: no dependency, unit or citation
    assert alone.root.iri.startswith(CITED + "/task/") and alone.root.children == [] and not alone.truncated
    assert rests_on_tree(alone).splitlines()[-1] == "rests on: nothing"
    assert rests_on_json(alone)["counts"] == {}


def test_cli_rests_on(store_path):
    s = str(store_path)
    out = run_cli("rests-on", PLAN + "/task/1", "--store", s, check=True).stdout.decode()
    assert out.startswith("task 1 推进薄弱学校改造")
    assert "[depends on] program 全面改薄" in out and "[led by] organization 县教育体育局" in out
    assert f"[cites] document {CITED_TITLE}  <{CITED}>" in out
    assert out.rstrip().endswith("rests on: 1 document, 3 organizations, 1 program")
    data = json.loads(run_cli("rests-on", "推进薄弱学校改造", "--json", "--store", s, check=True).stdout)
    assert data["task"]["iri"] == PLAN + "/task/1" and data["counts"]["organization"] == 3
    bad = run_cli("rests-on", PLAN + "/task/99", "--store", s)
    assert bad.returncode == 1 and b"Error:" in bad.stderr and b"Traceback" not in bad.stderr
    help_text = run_cli("rests-on", "--help", check=True).stdout.decode()
    assert "What TASK rests on" in help_text and "--json" in help_text


def test_api_rests_on_beside_trace(store, tmp_path):
    from policykg.api.app import create_app
    from policykg.settings import load_settings

    app = create_app(load_settings(store=str(tmp_path / "unused")), store=store)
    with TestClient(app) as client:
        r = client.get("/api/rests-on", params={"task": PLAN + "/task/1"})
        assert r.status_code == 200
        data = r.json()
        assert data["task"]["label"] == "推进薄弱学校改造" and data["counts"]["document"] == 1
        assert len(data["vis"]["nodes"]) == len(data["nodes"]) and all("x" in n for n in data["vis"]["nodes"])
        assert {e["kind"] for e in data["vis"]["edges"]} == {"dependsOn", "ledBy", "supportedBy", "references"}
        missing = client.get("/api/rests-on", params={"task": PLAN + "/task/99"})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert client.get("/api/rests-on").status_code == 400  # same envelope as /api/trace
        traced = client.get("/api/trace", params={"program": "全面改薄"}).json()
        vis_kinds = {n["kind"] for n in traced["vis"]["nodes"]}
        assert {"organization", "document", "program", "task"} <= vis_kinds
        assert {"successorOf", "ledBy", "references"} <= {e["kind"] for e in traced["vis"]["edges"]}


@pytest.mark.parametrize(
    ("query", "words", "rows"),
    [
        # the README runs them on the sample, which states no units, baselines or citations
        (
            "who-leads-what-rests-on-a-program.rq",
            ('"三名工程"', '"全面改薄"'),
            [["1", "推进薄弱学校改造", "全面改薄", "县教育体育局", "县财政局、县发展改革局"]],
        ),
        (
            "targets-starting-below.rq",
            ("< 90", "< 85"),  # 85 is not below 85
            [
                ["普惠性幼儿园覆盖率", "70", "85", "%", PKG + "Binding"],
                ["义务教育学校标准化建设达标率", "80", "95", "%", ""],
            ],
        ),
        (
            "tasks-citing-a-document.rq",
            ('"学前教育"', '"薄弱环节"'),
            [[CITED_TITLE, "寻甸县2021年教育工作要点", "1", "推进薄弱学校改造"]],
        ),
    ],
)
def test_the_planner_queries_answer_on_a_plan_that_states_it(store_path, tmp_path, query, words, rows):
    from support.common import REPO

    text = (REPO / "docs" / "queries" / query).read_text(encoding="utf-8")
    assert words[0] in text
    rq = tmp_path / query
    rq.write_text(text.replace(words[0], words[1]), encoding="utf-8")
    out = run_cli("query", "--store", str(store_path), "--file", str(rq), "--format", "json", check=True).stdout
    found = json.loads(out)["results"]["bindings"]
    names = json.loads(out)["head"]["vars"]
    got = [[b.get(v, {}).get("value", "") for v in names] for b in found]
    assert [row[: len(rows[0])] for row in got] == rows


def test_a_program_page_names_its_successors_the_tasks_that_build_on_it_and_their_leads(store):
    from policykg.graph.iris import IriScheme
    from policykg.graph.programs import get_program_named

    old = get_program_named(store, "全面改薄", IriScheme().program("全面改薄"))
    assert [r.label for r in old.successors] == [SUCCESSOR]
    assert [r.iri for r in old.dependent_tasks] == [PLAN + "/task/1"]
    assert {r.label for r in old.leads} == {"县教育体育局"}
    new = get_program_named(store, SUCCESSOR, IriScheme().program(SUCCESSOR))
    assert [r.iri for r in new.successor_of] == [old.iri]
    assert new.dependent_tasks == []


def test_targets_carry_their_baseline_and_bindingness(store):
    from policykg.graph.targets import find_targets

    found = {
        (t.indicator.label if t.indicator else None, t.value, t.baseline, t.bindingness)
        for t in find_targets(store).items
    }
    assert ("学前三年毛入园率", 92.0, 85.0, None) in found
    assert ("普惠性幼儿园覆盖率", 85.0, 70.0, "Binding") in found


def test_a_path_along_the_new_links_quotes_each_step(store):
    from policykg.graph.kinds import EdgeKind
    from policykg.graph.paths import shortest_path

    led = shortest_path(store, PLAN + "/task/1", BASE + "org/寻甸回族彝族自治县教育体育局")
    assert [s.kind for s in led.steps] == [EdgeKind.LED_BY]
    assert led.steps[0].evidence is not None and led.steps[0].evidence.exact == "县教育体育局"
    cites = shortest_path(store, PLAN + "/task/1", CITED)
    assert [s.kind for s in cites.steps] == [EdgeKind.REFERENCES]
    assert cites.steps[0].evidence is not None and CITED_TITLE in (cites.steps[0].evidence.exact or "")


def test_a_divisions_documents_are_documents_not_the_units_that_belong_to_it(store):
    from policykg.graph.divisions import get_division

    county = get_division(store, "530129")
    assert [d.iri for d in county.documents] == [PLAN]  # not 寻甸回族彝族自治县教育体育局 (dcterms:spatial too)
    units = store.query(
        "SELECT ?o WHERE { ?o a <http://www.w3.org/ns/org#Organization> ; "
        "<http://purl.org/dc/terms/spatial> <https://w3id.org/policykg/id/division/530129> }"
    )
    assert list(units)  # the units are there, and belong to the county
