"""What changed between two plans (issue 15, item 5): ``policykg diff``, ``/api/diff`` and the
``/diff`` page. A generated pair whose changes are written out by hand; real successive plans of
one issuer are in tests/data/successive/ when found (see its README)."""

from __future__ import annotations

import json

import pytest

from policykg.errors import NotFoundError
from policykg.graph.plan_diff import diff, similarity
from support.common import DATA, copy_store, run_cli, store_of_texts
from support.servers import AppClient

EARLIER = """昆明市2017年教育工作要点
一、重点任务
1.实施名校建设工程。新增优质学校11所，学前三年毛入园率达到95%以上。
2.推进标准化建设。新增标准化学校5所。
3.加强校园安全。开展安全检查。
4.发展职业教育。中职学校招生3万人。
"""
LATER = """昆明市2018年教育工作要点
一、重点任务
1.深入实施名校建设工程。新增优质学校15所，学前三年毛入园率达到97%以上。
2.加强校园安全管理。开展安全检查，排查隐患。
3.实施智慧教育工程。建设智慧校园100所。
4.发展职业教育。中职学校招生2.5万人。
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return store_of_texts(
        tmp_path_factory.mktemp("diff"),
        {"kunming-2017": EARLIER, "kunming-2018": LATER},
    )


@pytest.fixture(scope="module")
def store(store_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_path, read_only=True)


def test_tasks_matched_added_and_dropped(store):
    d = diff(store, "kunming-2017", "kunming-2018")
    assert [(m.a.label, m.b.label) for m in d.matched] == [
        ("实施名校建设工程", "深入实施名校建设工程"),
        ("加强校园安全", "加强校园安全管理"),
        ("发展职业教育", "发展职业教育"),
    ]
    assert all(0.5 <= m.score <= 1 for m in d.matched) and d.matched[2].score == 1.0
    assert [r.label for r in d.added] == ["实施智慧教育工程"]
    assert [r.label for r in d.dropped] == ["推进标准化建设"]


def test_programs_and_targets_with_both_quotes(store):
    d = diff(store, "昆明市2017年教育工作要点", "kunming-2018")
    assert [p.label for p in d.programs_started] == ["智慧教育工程"] and d.programs_ended == []
    assert "名校建设工程" in {p.label for p in d.programs_kept}
    changes = {t.indicator.label: (t.change, t.a.quote if t.a else None, t.b.quote if t.b else None) for t in d.targets}
    assert changes["学前三年毛入园率"] == ("raised", "学前三年毛入园率达到95%以上", "学前三年毛入园率达到97%以上")
    assert changes["新增优质学校"] == ("raised", "新增优质学校11所", "新增优质学校15所")
    assert changes["新增标准化学校"] == ("dropped", "新增标准化学校5所", None)
    assert changes["建设智慧校园"] == ("new", None, "建设智慧校园100所")
    assert changes["中职学校招生"][0] == "lowered"  # 3万人 → 2.5万人
    with pytest.raises(NotFoundError):
        diff(store, "kunming-2017", "kunming-2019")


def test_how_alike_two_tasks_read():
    assert similarity("发展职业教育", "中职招生", "发展职业教育", "中职招生") == 1.0
    assert similarity("推进标准化建设", "新增标准化学校", "实施智慧教育工程", "建设智慧校园") < 0.5


def test_the_cli_the_api_and_the_page(store_path, tmp_path):
    text = run_cli("diff", "kunming-2017", "kunming-2018", "--store", str(store_path), check=True).stdout.decode()
    assert "raised   学前三年毛入园率: 学前三年毛入园率达到95%以上  →  学前三年毛入园率达到97%以上" in text
    assert "added    实施智慧教育工程" in text
    cli = json.loads(run_cli("diff", "kunming-2017", "kunming-2018", "--json", "--store", str(store_path)).stdout)
    app = AppClient(copy_store(store_path, tmp_path / "store"))
    try:
        assert app.get("/api/diff", params={"a": "kunming-2017", "b": "kunming-2018"}).json() == cli
        assert app.get("/api/diff", params={"a": "kunming-2017", "b": "nope"}).status_code == 404
        page = app.get("/diff", params={"a": "kunming-2017", "b": "kunming-2018"}).text
        assert page.count('<tr class="raised">') == 2 and page.count('<tr class="added">') == 1
    finally:
        app.close()


# -- real successive plans of one issuer (tests/data/successive/README.md) -------------------------

SUCCESSIVE = DATA / "successive"
#: (earlier, later, matched task pairs at least, of the hand-written expectations)
REAL_PAIRS = [
    ("china-2024-general-govreport", "china-2025-general-govreport", 10),
    ("china-2023-general-govreport", "china-2024-general-govreport", 5),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    store = OxigraphStore(tmp_path_factory.mktemp("reports") / "store")
    ingest_files(store, sorted(SUCCESSIVE.glob("*.txt")), IriScheme())
    return store


@pytest.mark.parametrize("a, b, at_least", REAL_PAIRS)
def test_real_successive_reports_against_the_hand_written_changes(reports, a, b, at_least):
    """The expectations were written from the texts alone, before the diff existed (the README
    says how). Task pairs: every pair found is one of them, and at least ``at_least`` are found;
    programs: the started and ended ones written down are found (the list is not exhaustive);
    targets: each written-down change whose two sentences both became targets is found."""
    pair = f"china-{a.split('-')[1]}-{b.split('-')[1]}-general-govreport"
    expected = json.loads((SUCCESSIVE / f"{pair}.expected.json").read_text(encoding="utf-8"))
    d = diff(reports, a, b)
    found = {(m.a.label, m.b.label) for m in d.matched}
    wanted = {(m["a_title"], m["b_title"]) for m in expected["matched_tasks"]}
    assert found <= wanted, f"pairs the plans do not make: {found - wanted}"
    assert len(found) >= at_least
    started, ended = {p.label for p in d.programs_started}, {p.label for p in d.programs_ended}
    missed = [p for p in expected["programs_started"] if p.strip("“”") not in {s.strip("“”") for s in started}]
    missed += [p for p in expected["programs_ended"] if p not in ended]
    assert len(missed) <= 1, missed
    ours = {(t.a.quote if t.a else None, t.b.quote if t.b else None): t.change for t in d.targets}
    for t in expected["targets_changed"]:
        got = ours.get((t["a_quote"], t["b_quote"]))
        if got is not None:  # both sentences read as targets: the change must be the one written down
            same_number_new_comparator = t["change"] == "kept" and t["a_comparator"] != t["b_comparator"]
            assert got == t["change"] or (same_number_new_comparator and got == "changed"), (t, got)
