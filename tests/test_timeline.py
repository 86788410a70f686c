"""A program through time (issue 15, item 3): ``policykg timeline``, ``/api/timeline`` and the
``/timeline`` page, on four plans of a county and its city over six years that name 全面改薄 and,
later, its successor. Expectations are what the plans say, written out by hand."""

from __future__ import annotations

import json

import pytest

from policykg.errors import NotFoundError
from policykg.graph.timeline import timeline
from support.common import copy_store, run_cli, store_of_texts
from support.servers import AppClient

PLANS = {
    "xundian-2015": (
        "寻甸县2015年教育工作要点",
        "1.推进全面改薄。实施全面改薄工程，改造校舍1万平方米。",
        "寻甸县教育局\n2015年3月1日",
    ),
    "kunming-2016": (
        "昆明市2016年教育工作要点",
        "1.推进全面改薄。全面完成全面改薄工程年度任务。",
        "昆明市教育局\n2016年2月1日",
    ),
    "xundian-2017": (
        "寻甸县2017年教育工作要点",
        "1.推进全面改薄。继续实施全面改薄工程，新建运动场5个。\n2.巩固成果。依托全面改薄工程完善设施。",
        "寻甸县教育局\n2017年3月1日",
    ),
    "xundian-2020": (
        "寻甸县2020年教育工作要点",
        "1.改善薄弱环节。推进“义务教育薄弱环节改善与能力提升”，改造学校10所。",
        "寻甸县教育局\n2020年3月1日",
    ),
}
XUNDIAN = "寻甸回族彝族自治县"
BASE = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return store_of_texts(
        tmp_path_factory.mktemp("timeline"),
        {
            name: f"{title}\n一、重点任务\n{tasks}\n9.加强师资。培训教师。\n{signature}\n"
            for name, (title, tasks, signature) in PLANS.items()
        },
    )


@pytest.fixture(scope="module")
def store(store_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_path, read_only=True)


def test_the_documents_that_name_it_by_year_and_place(store):
    found = timeline(store, "全面改薄")
    assert found.program.iri == BASE + "program/quanmian-gaibao"
    assert [(e.year, e.place.label, e.tasks, e.document.label) for e in found.entries] == [
        (2015, XUNDIAN, 1, "寻甸县2015年教育工作要点"),
        (2016, "昆明市", 1, "昆明市2016年教育工作要点"),
        (2017, XUNDIAN, 2, "寻甸县2017年教育工作要点"),
    ]
    assert all(e.quote == "全面改薄" for e in found.entries)


def test_its_successor_from_the_registry_with_the_years_documents_name_it(store):
    old = timeline(store, "全面改薄")
    assert [(s.program.iri, s.first_year, s.last_year) for s in old.successors] == [
        (BASE + "program/yiwu-jiaoyu-boruo-huanjie", 2020, 2020)
    ]
    assert old.predecessors == []
    new = timeline(store, "义务教育薄弱环节改善与能力提升")
    assert [(s.program.iri, s.first_year, s.last_year) for s in new.predecessors] == [
        (BASE + "program/quanmian-gaibao", 2015, 2017)
    ]
    assert [(e.year, e.place.label) for e in new.entries] == [(2020, XUNDIAN)]
    with pytest.raises(NotFoundError):
        timeline(store, "不存在工程")


def test_the_cli_the_api_and_the_page(store_path, tmp_path):
    text = run_cli("timeline", "全面改薄", "--store", str(store_path), check=True).stdout.decode()
    assert "2017  寻甸回族彝族自治县" in text and "continued by: 义务教育薄弱环节改善与能力提升 (2020–2020)" in text
    cli = json.loads(run_cli("timeline", "全面改薄", "--json", "--store", str(store_path), check=True).stdout)
    app = AppClient(copy_store(store_path, tmp_path / "store"))
    try:
        assert app.get("/api/timeline", params={"program": "全面改薄"}).json() == cli
        assert app.get("/api/timeline", params={"program": "不存在工程"}).status_code == 404
        page = app.get("/timeline", params={"program": "全面改薄"}).text
        assert page.count("<tr><td>20") == 3 and "Continued by" in page
        program_page = app.get("/id/program/quanmian-gaibao", headers={"accept": "text/html"}).text
        assert "/timeline?program=" in program_page
    finally:
        app.close()
