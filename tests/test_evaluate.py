"""policykg.graph.evaluate agrees with the reference scorer, figure for figure.

The reference (``shared/tools/score_extraction.py``) is copied verbatim into
``tests/data/reference_scorer.py``; these tests load that copy, score the same
hand-made graphs with both, and compare every count, every missed and extra item,
the printed table and the JSON object. The annotation format is version 2: the
annotations of tests/data/gold/ have no responsibilities, dependencies, baselines
or bindingness, so those rows are exercised by the version-2 annotations of the
tuned unseen documents and by ``V2_GOLD`` below.
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
    ACCURACY_ROWS,
    BINDINGNESS,
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
from support.common import SAMPLE, SAMPLE_GOLD, run_cli

# rdflib's Dataset warns about its own deprecated internals on every quad.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:NTSerializer always uses UTF-8:UserWarning"),
]

DATA = Path(__file__).resolve().parent / "data"
GOLD_DIR = DATA / "gold"
TUNED = DATA / "unseen" / "tuned"  # version-2 annotations; never tests/data/unseen/locked/
GOLDS = sorted(GOLD_DIR.glob("*.gold.json")) + sorted(TUNED.glob("*.gold.json"))
PKG = Namespace("https://w3id.org/policykg/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
ID = Namespace("https://w3id.org/policykg/id/test/")


def _load_reference():
    spec = importlib.util.spec_from_file_location("reference_scorer", DATA / "reference_scorer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
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

    programs: dict[str, URIRef] = {}

    def program(name: str) -> URIRef:
        node = programs[name] = ID[f"program-{norm(name)}"]
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
        add_target(
            g,
            x["task"],
            x.get("value"),
            x.get("unit"),
            COMPARATORS.get(x.get("comparator")),
            x.get("divisions", ()),
            key=f"g{i}",
            indicator=x.get("indicator"),
            baseline=x.get("baseline"),
            binding=BINDINGNESS.get(x.get("binding")),
        )
    for x in gold.get("responsibilities", []):
        if x.get("optional") and not optional:
            continue
        add_responsibility(g, x["task"], x["org"], x["role"])
    for x in gold.get("dependencies", []):
        # `on` is a program of the annotation; an optional one may have been left out.
        if (x.get("optional") and not optional) or x["on"] not in programs:
            continue
        source = ID[f"task-{x['task']}"] if "task" in x else programs.get(x["program"])
        if source is not None:
            g.add((source, PKG.dependsOn, programs[x["on"]]))
    return g


def add_target(
    g: Graph,
    task: int,
    value,
    unit=None,
    comparator: str | None = None,
    divisions=(),
    *,
    key: str,
    indicator: str | None = None,
    baseline=None,
    binding: str | None = None,
):
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
    if indicator:
        ind = ID[f"indicator-{norm(indicator)}"]
        g.add((ind, RDF.type, PKG.Indicator))
        g.add((ind, RDFS.label, Literal(indicator)))
        g.add((node, PKG.indicator, ind))
    if baseline is not None:
        g.add((node, PKG.baseline, Literal(str(baseline), datatype=XSD.decimal)))
    if binding:
        g.add((node, PKG.bindingness, PKG[binding]))
    return node


def add_responsibility(g: Graph, task: int, org: str, role: str) -> URIRef:
    """Task `task` pkg:ledBy ("lead") or pkg:supportedBy ("support") an organization labelled `org`."""
    node = ID[f"org-{norm(org)}"]
    g.add((node, RDF.type, ORG.Organization))
    g.add((node, RDFS.label, Literal(org)))
    g.add((ID[f"task-{task}"], PKG.ledBy if role == "lead" else PKG.supportedBy, node))
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
    "sections": [
        {"ordinal": 1, "title": "以立德树人为根本,深入推进素质教育", "tasks": [1, 2]},
        {"ordinal": 2, "title": "全面实施“三名工程”", "tasks": [3]},
    ],
    "tasks": [
        {"ordinal": 1, "section": 1, "label": "1.", "title": "全面加强学校体育教育"},
        {"ordinal": 2, "section": 1, "label": "2.", "title": "普及提升学前教育"},
        {"ordinal": 3, "section": 2, "label": "3.", "title": "实施名校建设工程"},
    ],
    "programs": [
        {"name": "三名工程", "tasks": []},
        {"name": "名校建设工程", "aliases": [], "tasks": [3], "part_of": "三名工程"},
        {"name": "阳光亮眼计划", "aliases": ["阳光亮眼"], "tasks": [1]},
        {"name": "国培计划", "tasks": [2]},
        {"name": "两学一做", "tasks": [2], "optional": True},
    ],
    "divisions": [
        {"adcode": "530100", "name": "昆明市", "tasks": [1, 3]},
        {"adcode": "530129", "name": "寻甸回族彝族自治县", "aliases": ["寻甸"], "tasks": [2]},
        {"adcode": "530000", "name": "云南省", "tasks": [1], "optional": True},
    ],
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
    add_task(g, 2, "普及提升学前教育。", 1)  # wrong title (full stop kept)
    add_task(g, 3, "实施名校建设工程", 1)  # wrong section
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
    add_target(g, 2, 99, "％", "AtLeast", key="a")  # full-width percent sign
    add_target(g, 2, 3, "所", "AtLeast", key="b")  # wrong comparator
    add_target(g, 2, (3, 5), "所", "Between", key="c")  # a range
    add_target(g, 3, 100, "名", "Exactly", key="d")  # 名 counts people
    add_target(g, 3, 37000, "人次", None, key="e")  # 人次 folds with 人; no comparator
    add_target(g, 3, 6, "个", "Exactly", ["530129", "530114"], key="f")
    add_target(g, 3, 6, "个", "Exactly", key="g")  # a duplicate: one to one, so an extra
    add_target(g, 1, 1, "小时", "AtLeast", key="h")  # optional in gold
    add_target(g, 2, None, None, None, ["530129"], key="i")  # no value: not scored as a target
    add_target(g, 4, 2017, "年", "Exactly", key="j")  # a date taken for a target
    return g


def assert_agree(graph: Graph, gold: dict, tmp_path: Path, *, fmt: str = "nt", ties: bool = False) -> EvaluationReport:
    """Score with both and compare everything the reference computes and prints.

    Where two predicted targets fit a gold target equally well (same task, value, unit and
    indicator likeness), the reference takes the first its query yields, so which one is
    taken follows the order the store yields triples in. Both scorers are therefore held
    to the same figures on the same file; the graph in memory, whose store may yield
    another order, must give the very same report too unless the caller built such
    ``ties``, and then the same counts of every fact and of judged targets.
    """
    gold_path = tmp_path / "gold.json"
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    graph_path = tmp_path / f"graph.{fmt}"
    graph.serialize(graph_path, format={"nt": "nt", "ttl": "turtle", "nq": "nquads", "trig": "trig"}[fmt])

    report = score_files(graph_path, gold_path)  # the graph as the reference reads it
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

    # The graph in memory.
    in_memory = score_graph(graph, gold)
    assert list(in_memory.rows) == list(report.rows)
    if not ties:
        assert in_memory.to_json() == report.to_json()
    for name, row in report.rows.items():
        mine = in_memory.rows[name]
        if ties and name in ACCURACY_ROWS:
            assert mine.tp + mine.fn == row.tp + row.fn, name
            continue
        assert (mine.tp, mine.fp, mine.fn) == (row.tp, row.fp, row.fn), name
        assert Counter(map(repr, mine.misses)) == Counter(map(repr, row.misses)), name
        if not ties:
            assert Counter(map(repr, mine.extras)) == Counter(map(repr, row.extras)), name
    return in_memory


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
    assert (cp.tp, cp.fn) == (4, 2)  # 3 所 AtLeast and 37000 without comparator are wrong
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
    assert report.comparator_accuracy == 1.0  # nothing matched, nothing to judge


def test_empty_gold_and_graph(tmp_path):
    gold = {"sections": [], "tasks": [], "programs": [], "divisions": [], "targets": []}
    report = assert_agree(Graph(), gold, tmp_path)
    assert report.overall == 1.0


@pytest.mark.parametrize("gold_path", GOLDS, ids=lambda p: p.name.split(".")[0])
def test_annotations_score_perfectly_against_themselves(gold_path, tmp_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    assert assert_agree(gold_graph(gold), gold, tmp_path).overall == 1.0
    # Without the optional items nothing required is lost either — except where an optional and a
    # required target share (task, value, unit): the reference matches the one graph target to
    # whichever gold target comes first, and may leave the required one unmatched (henan-2026,
    # task 13: 10个 twice). assert_agree still holds the two scorers to the same figure.
    report = assert_agree(gold_graph(gold, optional=False), gold, tmp_path)
    shared = _optional_and_required_share_a_key(gold)
    assert report.overall == 1.0 or (shared and report.overall >= 0.99), report.overall


def _optional_and_required_share_a_key(gold: dict) -> bool:
    def key(t: dict) -> tuple:
        return (t.get("task"), json.dumps(t.get("value")), t.get("unit"))

    optional = {key(t) for t in gold.get("targets", []) if t.get("optional")}
    return any(key(t) in optional for t in gold.get("targets", []) if not t.get("optional"))


# Six damaged graphs per annotation of tests/data/gold/, two per (larger) tuned one.
DAMAGED = [(path, seed) for path in GOLDS for seed in range(2 if path.parent == TUNED else 6)]


@pytest.mark.parametrize("gold_path, seed", DAMAGED, ids=[f"{p.name.split('.')[0]}-{s}" for p, s in DAMAGED])
def test_agreement_on_damaged_graphs(gold_path, seed, tmp_path):
    """Drop, rename and add facts at random; both scorers must still agree.

    The annotation is given baselines and bindingness at random first (no file has them
    yet), and the added facts include targets that copy a gold one's (task, value, unit)
    under another indicator, responsibilities and dependencies.
    """
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    rng = random.Random(f"{gold_path.name}-{seed}")
    for x in gold["targets"]:
        if x.get("value") is not None and rng.random() < 0.4:
            x["baseline"] = rng.choice([0.5, 1, 60, 35000])
        if x.get("value") is not None and rng.random() < 0.4:
            x["binding"] = rng.choice(sorted(BINDINGNESS))
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
        add_target(
            g,
            task,
            value,
            rng.choice(["%", "人", "名", "所", "个", None]),
            rng.choice(comparators + [None]),
            rng.sample(["530100", "330523", "321023", "360700"], k=rng.randint(0, 1)),
            key=f"x{i}",
        )
    valued = [x for x in gold["targets"] if x.get("value") is not None and x.get("task") is not None]
    indicators = sorted({x.get("indicator") or "" for x in valued} | {"无关指标"})
    for i, x in enumerate(rng.sample(valued, k=min(4, len(valued)))):
        add_target(
            g,
            x["task"],
            x["value"],
            x.get("unit"),
            rng.choice(comparators + [None]),
            key=f"y{i}",
            indicator=rng.choice(indicators),
            baseline=rng.choice([None, 1, 60, 35000]),
            binding=rng.choice([None, *sorted(BINDINGNESS.values())]),
        )
    orgs = sorted({n for o in gold.get("organizations", []) for n in [o["name"], *o.get("aliases", [])]} | {"未知单位"})
    tasks = [t["ordinal"] for t in gold["tasks"]]
    for _ in range(4):
        add_responsibility(g, rng.choice(tasks), rng.choice(orgs), rng.choice(["lead", "support"]))
    programs = sorted(g.subjects(RDF.type, PKG.Program))
    for _ in range(3 if programs else 0):
        source = rng.choice([ID[f"task-{rng.choice(tasks)}"], rng.choice(programs)])
        g.add((source, PKG.dependsOn, rng.choice(programs)))
    assert_agree(g, gold, tmp_path, fmt=rng.choice(["nt", "ttl"]), ties=True)


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
    # A version-1 annotation: no responsibilities, dependencies, baselines or bindingness rows.
    assert len(lines) == 1 + 11 + 1
    assert list(report.rows)[-1] == "target scope"
    assert any(line.startswith("target comparators") and "(4/6)" in line for line in lines)
    detailed = report.format(details=True)
    assert "    missed: (1, 100, '%', '建团率')" in detailed.splitlines()
    data = report.to_json()
    # Accuracy rows are reported as accuracies only, not as precision/recall/F1.
    assert set(data) == {*report.f1_rows, "comparator accuracy", "overall"}
    assert "target comparators" not in data
    assert data["overall"] == report.overall
    assert set(data["targets"]) == {"precision", "recall", "f1"}
    with_details = json.loads(json.dumps(report.to_json(details=True), ensure_ascii=False))
    assert with_details["details"]["targets"]["misses"] == [[1, 100, "%", "建团率"]]


# -- version 2: responsibilities, dependencies, baselines, bindingness -------------------
V2_GOLD = {
    **SMALL_GOLD,
    "organizations": [
        {"name": "市教育局", "aliases": ["昆明市教育局"], "tasks": [1, 2, 3]},
        {"name": "市财政局", "tasks": [3]},
        {"name": "市体育局", "tasks": [1]},
    ],
    "responsibilities": [
        {"task": 1, "org": "市体育局", "role": "lead"},
        {"task": 1, "org": "市教育局", "role": "support"},
        {"task": 2, "org": "市教育局", "role": "lead"},
        {"task": 3, "org": "市教育局", "role": "lead"},
        {"task": 3, "org": "市财政局", "role": "support"},
        {"task": 3, "org": "各县区政府", "role": "support", "optional": True},
    ],
    "dependencies": [
        {"task": 3, "on": "三名工程", "cue": "依托"},
        {"program": "阳光亮眼计划", "on": "国培计划", "cue": "以…为抓手"},
        {"task": 2, "on": "国培计划", "cue": "结合", "optional": True},
    ],
    "targets": [
        {**SMALL_GOLD["targets"][0], "baseline": 95, "binding": "binding"},
        {**SMALL_GOLD["targets"][1], "baseline": 1, "binding": "anticipatory"},
        SMALL_GOLD["targets"][2],
        {**SMALL_GOLD["targets"][3], "binding": "anticipatory"},
        *SMALL_GOLD["targets"][4:6],
        {**SMALL_GOLD["targets"][6], "baseline": 0.5},  # optional: not judged
        *SMALL_GOLD["targets"][7:],
    ],
}


def messy_v2_graph() -> Graph:
    """messy_graph() with hits, misses and extras of every version-2 row."""
    g = messy_graph()
    # Targets a (99 ％), b (3 所) and d (100 名) match gold targets that give a baseline or bindingness.
    g.add((ID["target-a"], PKG.baseline, Literal("95", datatype=XSD.decimal)))  # right
    g.add((ID["target-a"], PKG.bindingness, PKG.Binding))  # right
    g.add((ID["target-b"], PKG.baseline, Literal("2", datatype=XSD.decimal)))  # wrong; bindingness missing
    g.add((ID["target-d"], PKG.bindingness, PKG.Binding))  # wrong
    g.add((ID["target-h"], PKG.baseline, Literal("7", datatype=XSD.decimal)))  # optional target
    add_responsibility(g, 1, "市体育局", "lead")  # hit
    add_responsibility(g, 1, "市教育局", "lead")  # wrong role: an extra, and the support row a miss
    add_responsibility(g, 2, "昆明市教育局", "lead")  # hit through the alias
    add_responsibility(g, 3, "“市教育局”", "lead")  # hit: quote marks do not matter
    add_responsibility(g, 3, "各县区政府", "support")  # optional
    add_responsibility(g, 4, "未知单位", "lead")  # extra
    # Programs of messy_graph: p-0 名校建设, p-1 “三名”工程, p-2 三名工程 (unmatched), p-3 阳光亮眼, p-4 国培计划,
    # p-6 不存在的行动.
    g.add((ID["task-3"], PKG.dependsOn, ID["p-1"]))  # hit: “三名”工程 is 三名工程
    g.add((ID["p-3"], PKG.dependsOn, ID["p-4"]))  # hit: 阳光亮眼 is 阳光亮眼计划
    g.add((ID["task-2"], PKG.dependsOn, ID["p-4"]))  # optional
    g.add((ID["task-4"], PKG.dependsOn, ID["p-6"]))  # extra
    g.add((ID["p-0"], PKG.dependsOn, ID["p-2"]))  # extra, on a program the annotation does not match
    return g


def test_perfect_v2_graph(tmp_path):
    report = assert_agree(gold_graph(V2_GOLD), V2_GOLD, tmp_path)
    assert report.overall == 1.0
    assert list(report.rows)[-4:] == ["target baselines", "target bindingness", "responsibilities", "dependencies"]
    assert report.accuracies == {"target comparators": 1.0, "target baselines": 1.0, "target bindingness": 1.0}
    report = assert_agree(gold_graph(V2_GOLD, optional=False), V2_GOLD, tmp_path)
    assert report.overall == 1.0


def test_messy_v2_graph(tmp_path):
    report = assert_agree(messy_v2_graph(), V2_GOLD, tmp_path)
    r = report["responsibilities"]
    assert (r.tp, r.fp, r.fn) == (3, 2, 2)
    assert r.misses == [(1, "市教育局", "support"), (3, "市财政局", "support")]
    assert r.extras == [(1, "市教育局", "lead"), (4, "未知单位", "lead")]
    d = report["dependencies"]
    assert (d.tp, d.fp, d.fn) == (2, 2, 0)
    assert d.extras == [("program", "名校建设工程", "三名工程"), ("task", 4, "不存在的行动")]
    base, bind = report["target baselines"], report["target bindingness"]
    assert (base.tp, base.fn, base.misses) == (1, 1, [(2, 3, "baseline", 1, 2.0)])
    assert (bind.tp, bind.fn) == (1, 2)
    assert sorted(bind.misses) == [(2, 3, "anticipatory", None), (3, 100, "anticipatory", "Binding")]
    # overall: the mean of 12 F1 figures and 3 accuracies.
    f1s = [v.f1 for v in report.f1_rows.values()]
    assert len(f1s) == 12
    assert report.overall == pytest.approx((sum(f1s) + 4 / 6 + 1 / 2 + 1 / 3) / 15)
    # The table: an accuracy line for each, and `wrong:` lines under them with --details.
    lines = report.format(details=True).splitlines()
    assert any(line.startswith("target baselines") and "(1/2)" in line for line in lines)
    assert any(line.startswith("target bindingness") and "(1/3)" in line for line in lines)
    assert "    wrong:  (2, 3, 'baseline', 1, 2.0)" in lines
    assert "    missed: (3, '市财政局', 'support')" in lines
    assert "    extra:  ('task', 4, '不存在的行动')" in lines
    # JSON: the F1 rows, then the accuracies by their reference keys.
    data = report.to_json()
    assert list(data)[-4:] == ["comparator accuracy", "baselines accuracy", "bindingness accuracy", "overall"]
    assert data["baselines accuracy"] == 0.5 and set(data["responsibilities"]) == {"precision", "recall", "f1"}
    assert "target baselines" not in data and "target bindingness" not in data
    details = json.loads(json.dumps(report.to_json(details=True), ensure_ascii=False))["details"]
    assert details["target baselines"]["misses"] == [[2, 3, "baseline", 1, 2.0]]
    assert details["dependencies"]["extras"] == [["program", "名校建设工程", "三名工程"], ["task", 4, "不存在的行动"]]


def test_v2_rows_only_when_the_gold_file_can_judge_them(tmp_path):
    """Empty lists still give rows; baselines and bindingness need a matched gold target that gives one."""
    gold = {**SMALL_GOLD, "responsibilities": [], "dependencies": []}
    report = assert_agree(messy_v2_graph(), gold, tmp_path)
    assert "responsibilities" in report.rows and "dependencies" in report.rows
    assert "target baselines" not in report.rows and "target bindingness" not in report.rows
    assert report["responsibilities"].precision == 0.0  # every predicted row is an extra
    # A baseline on a gold target that nothing matches is not judged either.
    gold = {**SMALL_GOLD, "targets": [{"task": 9, "value": 1, "unit": "个", "comparator": "=", "baseline": 0}]}
    assert "target baselines" not in assert_agree(messy_v2_graph(), gold, tmp_path).rows


def test_same_value_targets_match_by_indicator(tmp_path):
    """Two predicted targets share (task, value, unit): the indicator decides, not the order of the graph."""
    gold = {
        "sections": [],
        "tasks": [{"ordinal": 1, "title": "t"}],
        "programs": [],
        "divisions": [],
        "targets": [
            {"task": 1, "indicator": "新增省级示范幼儿园", "value": 3, "unit": "所", "comparator": "="},
            {
                "task": 1,
                "indicator": "新创建示范高中",
                "value": 3,
                "unit": "所",
                "comparator": ">=",
                "binding": "binding",
            },
        ],
    }
    for keys in (("1", "2"), ("2", "1")):
        g = Graph()
        add_task(g, 1, "t")
        add_target(g, 1, 3, "所", "AtLeast", key=keys[0], indicator="新创建省级示范性高中", binding="Binding")
        add_target(g, 1, 3, "所", "Exactly", key=keys[1], indicator="新增示范幼儿园")
        report = assert_agree(g, gold, tmp_path)
        assert report.comparator_accuracy == 1.0 and report.accuracies["target bindingness"] == 1.0


def test_cli_json_reports_v2_rows(tmp_path):
    """`policykg evaluate --json` on a version-2 annotation: the responsibilities and dependencies rows,
    figure for figure what the reference scorer gives on the graph `policykg extract` writes."""
    document, gold = TUNED / "anhui-2022-trade-notice.txt", TUNED / "anhui-2022-trade-notice.gold.json"
    ours = json.loads(run_cli("evaluate", str(document), str(gold), "--json", check=True).stdout)
    for row in ("responsibilities", "dependencies"):
        assert set(ours[row]) == {"precision", "recall", "f1"}, row
    assert list(ours)[-4:] == ["responsibilities", "dependencies", "comparator accuracy", "overall"]
    graph = tmp_path / "graph.nq"
    graph.write_bytes(run_cli("extract", str(document), "--format", "nquads", check=True).stdout)
    assert ours == json.loads(run_reference(graph, gold, "--json"))
    # An annotation without those lists gives neither row.
    v1 = json.loads(run_cli("evaluate", str(SAMPLE), str(SAMPLE_GOLD), "--json", check=True).stdout)
    assert "responsibilities" not in v1 and "dependencies" not in v1


# -- matching rules ----------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [
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
    ],
)
def test_same_name(a, b):
    assert same_name(a, b) and same_name(b, a)


@pytest.mark.parametrize(
    "a, b",
    [
        ("名校建设工程", "名师培养工程"),
        ("国培计划", "国培计划计划计划"),  # one suffix only
        ("三名工程", "名工程"),
        ("阳光亮眼计划", "阳光亮眼规划"),  # 规划 is not a program word
        ("校校通工程", "校校通计划"),  # different suffixes are different names
    ],
)
def test_different_names(a, b):
    assert not same_name(a, b)


def test_norm_drops_quotes_brackets_and_space():
    assert norm(" 《“十三五”现代综合交通运输体系发展规划》 ") == "十三五现代综合交通运输体系发展规划"
    assert norm("「双证书」『制度』") == "双证书制度"
    assert norm("ＡＢＣ１２３") == "ABC123"


def test_ranges():
    assert same_value((3.0, 5.0), [3, 5])
    assert not same_value((3.0, 5.0), [3, 6])
    assert not same_value(3.0, [3, 5])  # a number is not a range
    assert not same_value((3.0, 5.0), 3)  # nor a range a number
    assert not same_value((3.0, None), [3, 5])  # a half-open range matches nothing
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
    gold = {
        "sections": [],
        "tasks": [],
        "programs": [],
        "divisions": [],
        "targets": [
            {"task": 1, "value": 120, "unit": "人", "comparator": "="},
            {"task": 1, "value": 5000, "unit": "人次", "comparator": "="},
            {"task": 1, "value": 3, "unit": "所", "comparator": "="},
        ],
    }
    g = Graph()
    add_task(g, 1, "t")
    add_target(g, 1, 120, "名", "Exactly", key="1")
    add_target(g, 1, 5000, "人", "Exactly", key="2")
    add_target(g, 1, 3, "个", "Exactly", key="3")  # 个 is not 所
    t = score_graph(g, gold)["targets"]
    assert (t.tp, t.fp, t.fn) == (2, 1, 1)


def test_optional_items_neither_count_nor_penalise():
    gold = {
        "sections": [],
        "tasks": [{"ordinal": 1, "title": "t"}],
        "divisions": [],
        "programs": [{"name": "两学一做", "tasks": [1], "optional": True}],
        "targets": [{"task": 1, "value": 1, "unit": "小时", "comparator": ">=", "optional": True}],
    }
    g = Graph()
    add_task(g, 1, "t")
    assert score_graph(g, gold).overall == 1.0
    g.add((ID.p, RDF.type, PKG.Program))
    g.add((ID.p, RDFS.label, Literal("“两学一做”")))
    g.add((ID["task-1"], PKG.mentions, ID.p))
    add_target(g, 1, 1, "小时", "AtMost", key="1")
    report = score_graph(g, gold)
    assert report.overall == 1.0 and report.comparators.tp + report.comparators.fn == 0
