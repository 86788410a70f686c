"""Tidy tables (``policykg table``, ``/api/tables``, ``policykg.graph.fact_tables``) and the network
as GraphML/GEXF (``policykg export -f graphml|gexf``): the rows are the facts of the documents,
checked against the sample's annotation and the document's own text, not against a snapshot."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pandas as pd
import pytest

from policykg.graph.fact_tables import TABLE_NAMES, fact_table, table_bytes
from policykg.graph.iris import IriScheme
from policykg.graph.projection import project
from support.common import SAMPLE_GOLD, run_cli, store_of_texts
from support.servers import AppClient

IRIS = IriScheme()
SAMPLE_DOC = IRIS.document("kunming-2017-education-workplan")
PLAN = """寻甸县2021年教育工作要点
一、重点任务
1.推进薄弱学校改造。依托全面改薄项目，新建教学楼3栋。（牵头单位：县教育体育局；配合单位：县财政局）
2.加强校舍安全。学前三年毛入园率从85%提高到92%以上。
"""


def _text(store, document: str) -> str:
    found = store.query(f"SELECT ?t WHERE {{ <{document}> <https://w3id.org/policykg/ontology#text> ?t }}")
    return next(iter(found))["t"].value


@pytest.fixture(scope="module")
def plan_store(tmp_path_factory):
    """A store with one small plan that states a dependency, units and a baseline."""
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_of_texts(tmp_path_factory.mktemp("tables"), {"plan": PLAN}), read_only=True)


def test_the_sample_as_tables_matches_its_annotation(sample_store):
    gold = json.loads(SAMPLE_GOLD.read_text(encoding="utf-8"))
    (doc,) = fact_table(sample_store, "documents").records()
    assert (doc["document"], doc["division_code"], doc["sections"], doc["tasks"]) == (SAMPLE_DOC, "530100", 5, 28)
    tasks = fact_table(sample_store, "tasks").records()
    assert [(t["ordinal"], t["title"]) for t in tasks] == [(t["ordinal"], t["title"]) for t in gold["tasks"]]
    in_section = {t: s["ordinal"] for s in gold["sections"] for t in s["tasks"]}
    assert {t["ordinal"]: t["section_ordinal"] for t in tasks} == in_section
    targets = fact_table(sample_store, "targets").records()
    assert doc["targets"] == len(targets)
    wanted = {
        (t["task"], t["value"], t["unit"])
        for t in gold["targets"]
        if t.get("value") is not None and not t.get("optional")
    }
    got = {(int(r["task"].rsplit("/", 1)[1]), r["value"], r["unit"]) for r in targets if r["value"] is not None}
    assert wanted <= got


@pytest.mark.parametrize("name", ["targets", "mentions"])
def test_every_quote_is_the_text_at_its_offsets(sample_store, name):
    text = _text(sample_store, SAMPLE_DOC)
    records = fact_table(sample_store, name).records()
    assert records
    for r in records:
        assert text[r["start"] : r["end"]] == r["quote"], r


def test_dependencies_responsibilities_and_baselines(plan_store):
    plan = IRIS.document("plan")
    (dep,) = fact_table(plan_store, "dependencies").records()
    assert (dep["source"], dep["source_kind"], dep["program_label"], dep["cue"]) == (
        plan + "/task/1",
        "Task",
        "全面改薄",
        "依托",
    )
    assert _text(plan_store, plan)[dep["start"] : dep["end"]] == dep["quote"]
    roles = {(r["task"], r["role"], r["unit_label"]) for r in fact_table(plan_store, "responsibilities").records()}
    assert roles == {(plan + "/task/1", "ledBy", "县教育体育局"), (plan + "/task/1", "supportedBy", "县财政局")}
    rate = [r for r in fact_table(plan_store, "targets").records() if r["indicator"] == "学前三年毛入园率"]
    assert [(r["value"], r["baseline"], r["comparator"]) for r in rate] == [(92.0, 85.0, "AtLeast")]


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_format_holds_the_same_rows(plan_store, name):
    table = fact_table(plan_store, name)
    as_text = [["" if c is None else str(c) for c in r] for r in table.rows]
    rows = list(csv.reader(io.StringIO(table_bytes(table, "csv").decode("utf-8"))))
    assert rows[0] == list(table.columns) and rows[1:] == as_text
    assert json.loads(table_bytes(table, "json")) == table.records()
    parquet = pd.read_parquet(io.BytesIO(table_bytes(table, "parquet")))
    assert list(parquet.columns) == list(table.columns) and len(parquet) == len(table.rows)
    excel = pd.read_excel(io.BytesIO(table_bytes(table, "xlsx")), sheet_name=name)
    assert list(excel.columns) == list(table.columns) and len(excel) == len(table.rows)


def test_the_cli_writes_tables_and_the_network(sample_store_path, tmp_path):
    out = run_cli("table", "tasks", "--store", str(sample_store_path), check=True).stdout.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 28 and rows[0]["title"] == "科学谋划教育事业发展"
    book = tmp_path / "targets.xlsx"
    run_cli("table", "targets", "-f", "xlsx", "-o", str(book), "--store", str(sample_store_path), check=True)
    assert len(pd.read_excel(book)) == len(fact_table_of(sample_store_path, "targets").rows)
    bad = run_cli("table", "budgets", "--store", str(sample_store_path))
    assert bad.returncode == 2 and "budgets" in bad.stderr.decode()

    graphml, gexf = tmp_path / "net.graphml", tmp_path / "net.gexf"
    for path in (graphml, gexf):
        run_cli("export", "-f", path.suffix[1:], "-o", str(path), "--store", str(sample_store_path), check=True)
    from policykg.graph.store import OxigraphStore

    projected = project(OxigraphStore(sample_store_path, read_only=True))
    for g in (nx.read_graphml(graphml), nx.read_gexf(gexf)):
        assert set(g.nodes) == set(projected.nodes)
        assert g.number_of_edges() == projected.number_of_edges()
    assert nx.read_graphml(graphml).nodes[IRIS.program("三名工程")]["label"] == "三名工程"
    again = tmp_path / "again.gexf"
    run_cli("export", "-f", "gexf", "-o", str(again), "--store", str(sample_store_path), check=True)
    assert again.read_bytes() == gexf.read_bytes()  # one store, one file


def fact_table_of(path, name):
    from policykg.graph.store import OxigraphStore

    return fact_table(OxigraphStore(path, read_only=True), name)


def test_the_api_serves_each_table_as_a_file(sample_store_path):
    app = AppClient(sample_store_path)
    try:
        r = app.get("/api/tables/targets")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert 'filename="targets.csv"' in r.headers["content-disposition"]
        assert len(list(csv.DictReader(io.StringIO(r.text)))) == len(fact_table(app.store, "targets").rows)
        r = app.get("/api/tables/tasks", params={"format": "parquet"})
        assert r.status_code == 200 and len(pd.read_parquet(io.BytesIO(r.content))) == 28
        r = app.get("/api/tables/budgets")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = app.get("/api/tables/tasks", params={"format": "sav"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_parameters"
    finally:
        app.close()
