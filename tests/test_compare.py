"""One indicator across documents, places and years (issue 15, item 2): ``policykg compare``,
``/api/compare`` and the ``/compare`` page with its chart, on plans of two cities and a county
over five years. Expectations are the values the plans state, written out by hand."""

from __future__ import annotations

import json

import pytest

from policykg.errors import NotFoundError
from policykg.graph.compare import compare
from support.browser import MARKS, severe, wait
from support.common import copy_store, run_cli, store_of_texts
from support.servers import AppClient, LiveServer

PLANS = {
    "kunming-2016": ("昆明市2016年教育工作要点", "到2016年底，全市学前三年毛入园率达到85%以上。"),
    "kunming-2018": ("昆明市2018年教育工作要点", "到2018年底，全市学前三年毛入园率达到90%以上。"),
    "kunming-2020": ("昆明市2020年教育工作要点", "到2020年，全市学前三年毛入园率达到95%以上。"),
    "qujing-2018": ("曲靖市2018年教育工作要点", "到2018年底，全市学前三年毛入园率达到88%。"),
    "xundian-2018": ("寻甸县2018年教育工作要点", "到2018年底，全县学前三年毛入园率达到80%以上。"),
}
KUNMING, QUJING, XUNDIAN = "昆明市", "曲靖市", "寻甸回族彝族自治县"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return store_of_texts(
        tmp_path_factory.mktemp("compare"),
        {
            name: f"{title}\n一、重点任务\n1.发展学前教育。{goal}\n2.加强师资。培训教师。\n"
            for name, (title, goal) in PLANS.items()
        },
    )


@pytest.fixture(scope="module")
def store(store_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_path, read_only=True)


def _facts(comparison) -> list[tuple]:
    return [(t.place.label, t.year, t.value, t.unit, t.comparator) for t in comparison.targets]


def test_every_target_on_the_indicator_by_place_and_year(store):
    found = compare(store, "学前三年毛入园率")
    assert _facts(found) == [  # by place (its code: 530100, 530129, 530300), then year
        (KUNMING, 2016, 85.0, "%", "AtLeast"),
        (KUNMING, 2018, 90.0, "%", "AtLeast"),
        (KUNMING, 2020, 95.0, "%", "AtLeast"),
        (XUNDIAN, 2018, 80.0, "%", "AtLeast"),
        (QUJING, 2018, 88.0, "%", "AtLeast"),  # 达到 is at least
    ]
    assert (found.total, found.offset) == (5, 0)
    first = found.targets[0]
    assert first.document.label == "昆明市2016年教育工作要点" and first.deadline == "2016-12-31"
    assert first.quote == "全市学前三年毛入园率达到85%以上"


def test_a_place_keeps_itself_and_what_lies_within_it_and_years_bound(store):
    assert [f[:3] for f in _facts(compare(store, "学前三年毛入园率", place="昆明市"))] == [
        (KUNMING, 2016, 85.0),
        (KUNMING, 2018, 90.0),
        (KUNMING, 2020, 95.0),
        (XUNDIAN, 2018, 80.0),
    ]
    page = compare(store, "学前三年毛入园率", offset=1, limit=2)
    assert [f[:2] for f in _facts(page)] == [(KUNMING, 2018), (KUNMING, 2020)] and page.total == 5
    assert [f[:3] for f in _facts(compare(store, "学前三年毛入园率", place="530300", year_from=2017))] == [
        (QUJING, 2018, 88.0)
    ]
    assert [f[1] for f in _facts(compare(store, "学前三年毛入园率", year_from=2017, year_to=2019))] == [2018] * 3
    with pytest.raises(NotFoundError, match="no indicator"):
        compare(store, "学前四年毛入园率")
    with pytest.raises(NotFoundError, match="no division"):
        compare(store, "学前三年毛入园率", place="不存在市")


def test_the_cli_and_the_api_give_the_same_targets(store_path, tmp_path):
    out = run_cli("compare", "学前三年毛入园率", "--place", "昆明市", "--json", "--store", str(store_path), check=True)
    cli = json.loads(out.stdout)
    assert [(t["place"]["label"], t["year"], t["value"]) for t in cli["targets"]][:2] == [
        (KUNMING, 2016, 85.0),
        (KUNMING, 2018, 90.0),
    ]
    text = run_cli("compare", "学前三年毛入园率", "--store", str(store_path), check=True).stdout.decode()
    assert "(5 targets)" in text and "全市学前三年毛入园率达到95%以上" in text
    missing = run_cli("compare", "学前四年毛入园率", "--store", str(store_path))
    assert missing.returncode == 1 and "no indicator" in missing.stderr.decode()

    app = AppClient(copy_store(store_path, tmp_path / "store"))
    try:
        api = app.get("/api/compare", params={"indicator": "学前三年毛入园率", "place": "昆明市"}).json()
        assert api["targets"] == cli["targets"]
        assert app.get("/api/compare", params={"indicator": "学前四年毛入园率"}).status_code == 404
        assert app.get("/api/compare", params={"indicator": "学前三年毛入园率", "from": "soon"}).status_code == 400
        page = app.get("/compare", params={"indicator": "学前三年毛入园率", "from": "2017"})
        assert page.status_code == 200 and page.text.count("<circle") == 4  # 2018 (three places) and 2020
        assert app.get("/compare", params={"indicator": "<script>alert(1)</script>"}).text.count("<script>") == 0
    finally:
        app.close()


def test_the_chart_draws_a_line_per_place_in_a_browser(store_path, driver, tmp_path):
    srv = LiveServer(copy_store(store_path, tmp_path / "store"))
    try:
        driver.get(srv.url + "/compare?indicator=学前三年毛入园率")
        wait(driver, "return document.querySelector('#chart')")
        lines = driver.execute_script(
            "return Array.from(document.querySelectorAll('#chart g.place')).map(function (g) {"
            " return [g.getAttribute('data-place'), g.querySelectorAll('circle').length,"
            " g.querySelector('polyline').getBBox().width]; })"
        )
        assert sorted((p, n) for p, n, _ in lines) == [(XUNDIAN, 1), (KUNMING, 3), (QUJING, 1)]
        assert all(w > 0 for p, n, w in lines if n > 1)  # a line over the years, drawn
        tips = driver.execute_script(
            "return Array.from(document.querySelectorAll('#chart circle title'))"
            ".map(function (t) { return t.textContent; })"
        )
        assert any("全市学前三年毛入园率达到95%以上" in t for t in tips)
        assert severe(driver) == []
    finally:
        srv.stop()


for _mark in MARKS:  # the browser test only: the others need no Chromium
    test_the_chart_draws_a_line_per_place_in_a_browser = _mark(test_the_chart_draws_a_line_per_place_in_a_browser)
