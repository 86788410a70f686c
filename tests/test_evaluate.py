"""policykg.graph.evaluate agrees with the reference scorer, figure for figure.

The reference (``shared/tools/score_extraction.py``) is copied verbatim into
``tests/data/reference_scorer.py``; these tests load that copy, score the same
hand-made graphs with both, and compare every count, every missed and extra item,
the printed table and the JSON object.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDFS, XSD

from policykg.graph.evaluate import (
    COMPARATORS,
    EvaluationReport,
    load_graph,
    norm,
    norm_unit,
    same_name,
    same_value,
    score_files,
    score_graph,
)

# rdflib's Dataset warns about its own deprecated internals on every quad.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:NTSerializer always uses UTF-8:UserWarning")]

DATA = Path(__file__).resolve().parent / "data"
GOLD_DIR = DATA / "gold"
GOLDS = sorted(GOLD_DIR.glob("*.gold.json"))
PKG = Namespace("https://w3id.org/policykg/ontology#")
ID = Namespace("https://w3id.org/policykg/id/test/")


def _load_reference():
    spec = importlib.util.spec_from_file_location("reference_scorer", DATA / "reference_scorer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


REF = _load_reference()


def run_reference(graph_path: Path, gold_path: Path, *flags: str) -> str:
    """What the reference prints for `score_extraction.py GRAPH GOLD [flags]`."""
    out = io.StringIO()
    argv = sys.argv
    sys.argv = ["score_extraction.py", str(graph_path), str(gold_path), *flags]
    try:
        with contextlib.redirect_stdout(out):
            assert REF.main() == 0
    finally:
        sys.argv = argv
    return out.getvalue()


# -- building graphs by hand --------------------------------------------------------
def gold_graph(gold: dict, *, optional: bool = True) -> Graph:
    """The graph an ideal extractor would make of an annotation (optional items too, if asked)."""
    g = Graph()
    section_of = {tn: s["ordinal"] for s in gold["sections"] for tn in s.get("tasks", [])}
    for s in gold["sections"]:
        node = ID[f"section-{s['ordinal']}"]
        g.add((node, RDF.type, PKG.Section))
        g.add((node, PKG.ordinal, Literal(s["ordinal"])))
        g.add((node, RDFS.label, Literal(s["title"])))
    for t in gold["tasks"]:
        node = ID[f"task-{t['ordinal']}"]
        g.add((node, RDF.type, PKG.Task))
        g.add((node, PKG.ordinal, Literal(t["ordinal"])))
        g.add((node, RDFS.label, Literal(t["title"])))
        if t["ordinal"] in section_of:
            g.add((node, DCTERMS.isPartOf, ID[f"section-{section_of[t['ordinal']]}"]))

    def program(name: str) -> URIRef:
        node = ID[f"program-{norm(name)}"]
        g.add((node, RDF.type, PKG.Program))
        g.add((node, RDFS.label, Literal(name)))
        return node

    for p in gold["programs"]:
        if p.get("optional") and not optional:
            continue
        node = program(p["name"])
        for tn in p.get("tasks", []):
            g.add((ID[f"task-{tn}"], PKG.mentions, node))
        if p.get("part_of"):
            g.add((node, PKG.partOf, program(p["part_of"])))

    def division(code: str) -> URIRef:
        node = ID[f"division-{code}"]
        g.add((node, RDF.type, PKG.AdministrativeDivision))
        g.add((node, PKG.adminCode, Literal(code)))
        return node

    for d in gold["divisions"]:
        if d.get("optional") and not optional:
            continue
        for tn in d["tasks"]:
            g.add((ID[f"task-{tn}"], PKG.mentions, division(d["adcode"])))
    for r in gold.get("regulations", []):
        if r.get("optional") and not optional:
            continue
        node = ID[f"regulation-{norm(r['name'])}"]
        g.add((node, RDF.type, PKG.Regulation))
        g.add((node, RDFS.label, Literal(f"《{r['name']}》")))
    for i, x in enumerate(gold["targets"]):
        if x.get("optional") and not optional:
            continue
        add_target(g, x["task"], x.get("value"), x.get("unit"),
                   COMPARATORS.get(x.get("comparator")), x.get("divisions", ()), key=f"g{i}")
    return g


def add_target(g: Graph, task: int, value, unit=None, comparator: str | None = None, divisions=(), *, key: str):
    node = ID[f"target-{key}"]
    g.add((ID[f"task-{task}"], PKG.hasTarget, node))
    g.add((node, RDF.type, PKG.Target))
    if isinstance(value, (list, tuple)):
        g.add((node, PKG.minValue, Literal(str(value[0]), datatype=XSD.decimal)))
        g.add((node, PKG.maxValue, Literal(str(value[1]), datatype=XSD.decimal)))
    elif value is not None:
        g.add((node, PKG.value, Literal(str(value), datatype=XSD.decimal)))
    if unit is not None:
        g.add((node, PKG.unit, Literal(unit)))
    if comparator:
        g.add((node, PKG.comparator, PKG[comparator]))
    for code in divisions:
        d = ID[f"division-{code}"]
        g.add((d, PKG.adminCode, Literal(code)))
        g.add((node, PKG.appliesTo, d))
    return node


def add_task(g: Graph, ordinal: int, title: str, section: int | None = None):
    node = ID[f"task-{ordinal}"]
    g.add((node, RDF.type, PKG.Task))
    g.add((node, PKG.ordinal, Literal(ordinal)))
    g.add((node, RDFS.label, Literal(title)))
    if section is not None:
        g.add((node, DCTERMS.isPartOf, ID[f"section-{section}"]))
    return node


SMALL_GOLD = {
    "document": {"title": "测试", "issued": "2017-03-31", "city_adcode": "530100"},
    "sections": [{"ordinal": 1, "title": "以立德树人为根本,深入推进素质教育", "tasks": [1, 2]},
                 {"ordinal": 2, "title": "全面实施“三名工程”", "tasks": [3]}],
    "tasks": [{"ordinal": 1, "section": 1, "label": "1.", "title": "全面加强学校体育教育"},
              {"ordinal": 2, "section": 1, "label": "2.", "title": "普及提升学前教育"},
              {"ordinal": 3, "section": 2, "label": "3.", "title": "实施名校建设工程"}],
    "programs": [{"name": "三名工程", "tasks": []},
                 {"name": "名校建设工程", "aliases": [], "tasks": [3], "part_of": "三名工程"},
                 {"name": "阳光亮眼计划", "aliases": ["阳光亮眼"], "tasks": [1]},
                 {"name": "国培计划", "tasks": [2]},
                 {"name": "两学一做", "tasks": [2], "optional": True}],
    "divisions": [{"adcode": "530100", "name": "昆明市", "tasks": [1, 3]},
                  {"adcode": "530129", "name": "寻甸回族彝族自治县", "aliases": ["寻甸"], "tasks": [2]},
                  {"adcode": "530000", "name": "云南省", "tasks": [1], "optional": True}],
    "regulations": [{"name": "幼儿园工作规程", "tasks": [2]}, {"name": "宪法", "tasks": [3], "optional": True}],
    "targets": [
        {"task": 2, "indicator": "学前三年毛入园率", "value": 99, "unit": "%", "comparator": ">="},
        {"task": 2, "indicator": "新增省一级示范幼儿园", "value": 3, "unit": "所", "comparator": "="},
        {"task": 2, "indicator": "新创建示范高中", "value": [3, 5], "unit": "所", "comparator": "between"},
        {"task": 3, "indicator": "选派名师", "value": 100, "unit": "人", "comparator": "="},
        {"task": 3, "indicator": "招生", "value": 37000, "unit": "人", "comparator": ">="},
        {"task": 3, "indicator": "县区", "value": 6, "unit": "个", "comparator": "=", "divisions": ["530129"]},
        {"task": 1, "indicator": "每天锻炼", "value": 1, "unit": "小时", "comparator": ">=", "optional": True},
        {"task": 2, "indicator": "脱贫摘帽", "value": None, "divisions": ["530129"], "optional": True},
        {"task": 1, "indicator": "建团率", "value": 100, "unit": "%", "comparator": ">="},
    ],
}


def messy_graph() -> Graph:
    """A graph with every kind of hit, miss and extra the scorer knows about."""
    g = Graph()
    for n, title in ((1, "以立德树人为根本，深入推进素质教育"), (2, "全面实施三名工程"), (3, "多余的部分")):
        s = ID[f"section-{n}"]
        g.add((s, RDF.type, PKG.Section))
        g.add((s, PKG.ordinal, Literal(n)))
        g.add((s, RDFS.label, Literal(title)))
    add_task(g, 1, "全面加强学校体育教育", 1)
    add_task(g, 2, "普及提升学前教育。", 1)       # wrong title (full stop kept)
    add_task(g, 3, "实施名校建设工程", 1)          # wrong section
    add_task(g, 4, "多出来的任务", 3)
    progs = {}
    for label in ("名校建设", "“三名”工程", "三名工程", "阳光亮眼", "国培计划", "两学一做", "不存在的行动"):
        node = ID[f"p-{len(progs)}"]
        progs[label] = node
        g.add((node, RDF.type, PKG.Program))
        g.add((node, RDFS.label, Literal(label)))
    g.add((progs["名校建设"], PKG.partOf, progs["三名工程"]))
    g.add((progs["阳光亮眼"], PKG.partOf, progs["国培计划"]))
    for tn, label in ((3, "名校建设"), (1, "阳光亮眼"), (3, "国培计划"), (2, "两学一做"), (4, "不存在的行动")):
        g.add((ID[f"task-{tn}"], PKG.mentions, progs[label]))
    for tn, code in ((1, "530100"), (1, "530000"), (2, "530129"), (4, "530114")):
        d = ID[f"division-{code}"]
        g.add((d, PKG.adminCode, Literal(code)))
        g.add((ID[f"task-{tn}"], PKG.mentions, d))
    for i, label in enumerate(("《幼儿园工作规程》", "宪法", "未知条例")):
        g.add((ID[f"r-{i}"], RDF.type, PKG.Regulation))
        g.add((ID[f"r-{i}"], RDFS.label, Literal(label)))
    add_target(g, 2, 99, "％", "AtLeast", key="a")           # full-width percent sign
    add_target(g, 2, 3, "所", "AtLeast", key="b")            # wrong comparator
    add_target(g, 2, (3, 5), "所", "Between", key="c")       # a range
    add_target(g, 3, 100, "名", "Exactly", key="d")          # 名 counts people
    add_target(g, 3, 37000, "人次", None, key="e")           # 人次 folds with 人; no comparator
    add_target(g, 3, 6, "个", "Exactly", ["530129", "530114"], key="f")
    add_target(g, 3, 6, "个", "Exactly", key="g")            # a duplicate: one to one, so an extra
    add_target(g, 1, 1, "小时", "AtLeast", key="h")          # optional in gold
    add_target(g, 2, None, None, None, ["530129"], key="i")  # no value: not scored as a target
    add_target(g, 4, 2017, "年", "Exactly", key="j")        # a date taken for a target
    return g


def assert_agree(graph: Graph, gold: dict, tmp_path: Path, *, fmt: str = "nt") -> EvaluationReport:
    """Score with both and compare everything the reference computes and prints."""
    gold_path = tmp_path / "gold.json"
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    graph_path = tmp_path / f"graph.{fmt}"
    graph.serialize(graph_path, format={"nt": "nt", "ttl": "turtle", "nq": "nquads", "trig": "trig"}[fmt])

    report = score_graph(graph, gold)
    ref_rows = REF.score(REF.load_graph(str(graph_path)), gold)
    assert list(report.rows) == list(ref_rows)
    for name, ref in ref_rows.items():
        mine = report.rows[name]
        assert (mine.tp, mine.fp, mine.fn) == (ref.tp, ref.fp, ref.fn), name
        assert Counter(map(repr, mine.misses)) == Counter(map(repr, ref.misses)), name
        assert Counter(map(repr, mine.extras)) == Counter(map(repr, ref.extras)), name
        assert mine.prf() == ref.prf(), name

    # The printed table, exactly; with details, the same lines under each row.
    assert report.format() == run_reference(graph_path, gold_path)
    assert _blocks(report.format(details=True)) == _blocks(run_reference(graph_path, gold_path, "--details"))
    # The JSON object, exactly (floats included).
    assert report.to_json() == json.loads(run_reference(graph_path, gold_path, "--json"))
    # Reading the file the reference's way gives the same figures.
    assert score_files(graph_path, gold_path).to_json() == report.to_json()
    return report


def _blocks(text: str) -> list[tuple[str, Counter]]:
    """A detailed table as (row line, multiset of its detail lines): the order of set items is arbitrary."""
    out: list[tuple[str, Counter]] = []
    for line in text.splitlines():
        if line.startswith("    "):
            out[-1][1][line] += 1
        else:
            out.append((line, Counter()))
    return out


# -- agreement with the reference -----------------------------------------------------
def test_perfect_small_graph(tmp_path):
    report = assert_agree(gold_graph(SMALL_GOLD), SMALL_GOLD, tmp_path)
    assert report.overall == 1.0
    assert report.format().splitlines()[-1] == "overall: 1.000"


def test_messy_graph(tmp_path):
    report = assert_agree(messy_graph(), SMALL_GOLD, tmp_path)
    assert 0 < report.overall < 1
    t = report["targets"]
    # 99 ％, 3 所, [3,5] 所, 100 名, 37000 人次, one 6 个 match; the 2nd 6 个 and 2017 年 are extras.
    assert (t.tp, t.fp, t.fn) == (6, 2, 1)
    assert t.misses == [(1, 100, "%", "建团率")]
    assert sorted(t.extras) == [(3, 6.0, "个", "Exactly"), (4, 2017.0, "年", "Exactly")]
    cp = report.comparators
    assert (cp.tp, cp.fn) == (4, 2)            # 3 所 AtLeast and 37000 without comparator are wrong
    assert report.comparator_accuracy == pytest.approx(4 / 6)
    assert (report["target scope"].tp, report["target scope"].fp) == (1, 1)
    # One to one: “三名”工程 takes 三名工程, so a second node spelled 三名工程 is an extra.
    assert (report["programs"].tp, report["programs"].extras) == (4, ["三名工程", "不存在的行动"])
    assert report["program part-of"].extras == [("阳光亮眼计划", "国培计划")]
    assert report["regulations"].extras == ["未知条例"]
    assert report["division mentions"].extras == [(4, "530114")]


def test_empty_graph(tmp_path):
    report = assert_agree(Graph(), SMALL_GOLD, tmp_path)
    assert report["sections"].recall == 0.0 and report["sections"].precision == 0.0
    assert report.comparator_accuracy == 1.0       # nothing matched, nothing to judge


def test_empty_gold_and_graph(tmp_path):
    gold = {"sections": [], "tasks": [], "programs": [], "divisions": [], "targets": []}
    report = assert_agree(Graph(), gold, tmp_path)
    assert report.overall == 1.0


@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name.split(".")[0])
def test_annotations_score_perfectly_against_themselves(gold_path, tmp_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    assert assert_agree(gold_graph(gold), gold, tmp_path).overall == 1.0
    # Without the optional items nothing required is lost either.
    assert assert_agree(gold_graph(gold, optional=False), gold, tmp_path).overall == 1.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name.split(".")[0])
def test_agreement_on_damaged_graphs(gold_path, seed, tmp_path):
    """Drop, rename and add facts at random; both scorers must still agree."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    rng = random.Random(f"{gold_path.name}-{seed}")
    g = gold_graph(gold)
    triples = sorted(g, key=lambda t: tuple(map(str, t)))
    for triple in rng.sample(triples, k=len(triples) // 5):
        g.remove(triple)
    labels = sorted(o for o in g.objects(None, RDFS.label))
    for label in rng.sample(labels, k=min(5, len(labels))):
        for s in list(g.subjects(RDFS.label, label)):
            g.set((s, RDFS.label, Literal(str(label) + rng.choice(["计划", "工程", "。", "x"]))))
    comparators = sorted(set(COMPARATORS.values()))
    for i in range(8):
        task = rng.choice([t["ordinal"] for t in gold["tasks"]])
        value = rng.choice([1, 3, 99, 100, [3, 5], 37000])
        add_target(g, task, value, rng.choice(["%", "人", "名", "所", "个", None]), rng.choice(comparators + [None]),
                   rng.sample(["530100", "330523", "321023", "360700"], k=rng.randint(0, 1)), key=f"x{i}")
    assert_agree(g, gold, tmp_path, fmt=rng.choice(["nt", "ttl"]))


def test_dataset_with_named_graphs(tmp_path):
    """A Dataset whose triples sit in named graphs is read as their union, as the reference reads an .nq file."""
    ds = Dataset()
    graph = ds.graph(URIRef("https://w3id.org/policykg/id/graph/doc-1"))
    for triple in messy_graph():
        graph.add(triple)
    gold_path = tmp_path / "gold.json"
    gold_path.write_text(json.dumps(SMALL_GOLD, ensure_ascii=False), encoding="utf-8")
    nq = tmp_path / "graph.nq"
    ds.serialize(nq, format="nquads")
    assert not ds.default_union
    assert score_graph(ds, SMALL_GOLD).format(details=False) == run_reference(nq, gold_path)
    assert score_graph(load_graph(nq), SMALL_GOLD).to_json() == score_graph(messy_graph(), SMALL_GOLD).to_json()


# -- report -----------------------------------------------------------------------
def test_report_layout_and_json():
    report = score_graph(messy_graph(), SMALL_GOLD)
    lines = report.format().splitlines()
    assert lines[0].split() == ["fact", "prec", "recall", "F1", "tp", "fp", "fn"]
    assert lines[-1].startswith("overall: 0.") and len(lines[-1]) == len("overall: 0.000")
    assert len(lines) == 1 + 11 + 1
    assert any(line.startswith("target comparators") and "(4/6)" in line for line in lines)
    detailed = report.format(details=True)
    assert "    missed: (1, 100, '%', '建团率')" in detailed.splitlines()
    data = report.to_json()
    assert set(data) == {*report.rows, "comparator accuracy", "overall"}
    assert data["overall"] == report.overall
    assert set(data["targets"]) == {"precision", "recall", "f1"}
    with_details = json.loads(json.dumps(report.to_json(details=True), ensure_ascii=False))
    assert with_details["details"]["targets"]["misses"] == [[1, 100, "%", "建团率"]]


# -- matching rules ----------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("“阳光亮眼”计划", "阳光亮眼计划"),
    ("阳光亮眼", "阳光亮眼计划"),
    ("名校建设工程", "名校建设"),
    ("一村一幼", "“一村一幼”项目"),
    ("平安交通", "平安交通活动"),
    ("义务教育均衡发展领导挂钩联系", "义务教育均衡发展领导挂钩联系制度"),
    ("学前教育改革发展", "学前教育改革发展行动计划"),
    ("《幼儿园工作规程》", "幼儿园工作规程"),
    ("以立德树人为根本，深入推进素质教育", "以立德树人为根本,深入推进素质教育"),
    ("乡村振兴战略规划（2018－2022年）", "乡村振兴战略规划(2018-2022年)"),
    ("千村示范、万村整治 工程", "“千村示范、万村整治”工程"),
])
def test_same_name(a, b):
    assert same_name(a, b) and same_name(b, a)


@pytest.mark.parametrize("a, b", [
    ("名校建设工程", "名师培养工程"),
    ("国培计划", "国培计划计划计划"),     # one suffix only
    ("三名工程", "名工程"),
    ("阳光亮眼计划", "阳光亮眼规划"),     # 规划 is not a program word
    ("校校通工程", "校校通计划"),          # different suffixes are different names
])
def test_different_names(a, b):
    assert not same_name(a, b)


def test_norm_drops_quotes_brackets_and_space():
    assert norm(" 《“十三五”现代综合交通运输体系发展规划》 ") == "十三五现代综合交通运输体系发展规划"
    assert norm("「双证书」『制度』") == "双证书制度"
    assert norm("ＡＢＣ１２３") == "ABC123"


def test_ranges():
    assert same_value((3.0, 5.0), [3, 5])
    assert not same_value((3.0, 5.0), [3, 6])
    assert not same_value(3.0, [3, 5])              # a number is not a range
    assert not same_value((3.0, 5.0), 3)            # nor a range a number
    assert not same_value((3.0, None), [3, 5])      # a half-open range matches nothing
    assert not same_value(None, 3)
    assert same_value(2700000000.0 + 1, 2700000000)  # relative tolerance 1e-6
    assert same_value(99.0000001, 99)
    assert not same_value(99.001, 99)


def test_person_units():
    assert {norm_unit(u) for u in ("人", "名", "位", "人次")} == {"人"}
    assert norm_unit(None) == ""
    assert norm_unit("所") == "所"
    assert norm_unit("％") == "%"
    assert norm_unit("‰") == "‰"
    assert norm_unit("/10万") == "/10万"
    assert norm_unit("个百分点") == "个百分点"


def test_person_units_match_in_scoring():
    gold = {"sections": [], "tasks": [], "programs": [], "divisions": [],
            "targets": [{"task": 1, "value": 120, "unit": "人", "comparator": "="},
                        {"task": 1, "value": 5000, "unit": "人次", "comparator": "="},
                        {"task": 1, "value": 3, "unit": "所", "comparator": "="}]}
    g = Graph()
    add_task(g, 1, "t")
    add_target(g, 1, 120, "名", "Exactly", key="1")
    add_target(g, 1, 5000, "人", "Exactly", key="2")
    add_target(g, 1, 3, "个", "Exactly", key="3")      # 个 is not 所
    t = score_graph(g, gold)["targets"]
    assert (t.tp, t.fp, t.fn) == (2, 1, 1)


def test_optional_items_neither_count_nor_penalise():
    gold = {"sections": [], "tasks": [{"ordinal": 1, "title": "t"}], "divisions": [],
            "programs": [{"name": "两学一做", "tasks": [1], "optional": True}],
            "targets": [{"task": 1, "value": 1, "unit": "小时", "comparator": ">=", "optional": True}]}
    g = Graph()
    add_task(g, 1, "t")
    assert score_graph(g, gold).overall == 1.0
    g.add((ID.p, RDF.type, PKG.Program))
    g.add((ID.p, RDFS.label, Literal("“两学一做”")))
    g.add((ID["task-1"], PKG.mentions, ID.p))
    add_target(g, 1, 1, "小时", "AtMost", key="1")
    report = score_graph(g, gold)
    assert report.overall == 1.0 and report.comparators.tp + report.comparators.fn == 0
