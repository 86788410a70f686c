"""What changed between two plans (issue 15, item 5): ``policykg diff``, ``/api/diff`` and the
``/diff`` page. A generated pair whose changes are written out by hand; real successive plans of
one issuer are in tests/data/successive/ when found (see its README)."""

from __future__ import annotations

import json

import pytest

from policykg.errors import NotFoundError
from policykg.graph.plan_diff import diff, similarity
from support.common import copy_store, run_cli
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
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    folder = tmp_path_factory.mktemp("diff")
    (folder / "kunming-2017.txt").write_text(EARLIER, encoding="utf-8")
    (folder / "kunming-2018.txt").write_text(LATER, encoding="utf-8")
    store = OxigraphStore(folder / "store")
    ingest_files(store, [folder / "kunming-2017.txt", folder / "kunming-2018.txt"], IriScheme())
    del store
    return folder / "store"


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
