"""A division's profile (issue 15, item 4): the documents that govern it, its targets, the programs
that reach it, a map among its neighbours and, on a province, its counties shaded by targets —
drawn from cnmaps' boundaries, offline, and checked in headless Chromium."""

from __future__ import annotations

import re

import pytest

from policykg.api.maps import HIGHLIGHT, NONE, choropleth, place_map
from policykg.graph.divisions import county_counts, division_chain, get_division
from support.browser import MARKS, severe, wait
from support.common import copy_store, store_of_texts
from support.servers import AppClient, LiveServer

PLANS = {
    "kunming-2018": (
        "昆明市2018年教育工作要点\n一、重点任务\n"
        "1.实施名校建设工程。新增优质学校15所，全市学前三年毛入园率达到90%以上。\n2.加强师资。培训教师。\n"
    ),
    "xundian-2018": (
        "寻甸县2018年教育工作要点\n一、重点任务\n"
        "1.推进全面改薄。实施全面改薄工程，学前三年毛入园率达到80%以上。\n2.加强师资。培训教师。\n"
    ),
    "qujing-2018": (
        "曲靖市2018年教育工作要点\n一、重点任务\n"
        "1.发展学前教育。全市学前三年毛入园率达到88%。\n2.支持会泽县、宣威市建设示范幼儿园。\n"
    ),
}
XUNDIAN = "寻甸回族彝族自治县"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return store_of_texts(
        tmp_path_factory.mktemp("place"),
        PLANS,
    )


@pytest.fixture(scope="module")
def store(store_path):
    from policykg.graph.store import OxigraphStore

    return OxigraphStore(store_path, read_only=True)


def test_a_city_has_its_plans_targets_and_programs_and_those_of_its_counties(store):
    city = get_division(store, "530100")
    assert [d.label for d in city.documents] == ["昆明市2018年教育工作要点"]
    assert sorted(t.value for t in city.targets) == [15.0, 80.0, 90.0]  # its plan's, and 寻甸县's
    assert {p.label for p in city.programs} >= {"名校建设工程", "全面改薄工程"}
    assert {d.label for d in get_division(store, "530381").named_in} == {"曲靖市2018年教育工作要点"}  # 宣威市
    county = get_division(store, "530129")
    assert [t.value for t in county.targets] == [80.0]
    assert "名校建设工程" not in {p.label for p in county.programs}
    assert division_chain(store, "530129") == [("云南省", "Province"), ("昆明市", "Prefecture"), (XUNDIAN, "County")]


def test_counts_by_division_within_a_province(store):
    counts = {c.division.label: c.targets for c in county_counts(store, "530000")}
    assert counts["昆明市"] == 3 and counts[XUNDIAN] == 1 and counts["曲靖市"] == 1


def test_the_map_draws_the_division_among_its_neighbours():
    county = place_map([("云南省", "Province"), ("昆明市", "Prefecture"), (XUNDIAN, "County")])
    assert county is not None and len(county.shapes) == 14  # the counties of 昆明市
    (lit,) = [s for s in county.shapes if s.highlighted]
    assert lit.name == XUNDIAN and lit.fill == HIGHLIGHT and lit.path.startswith("M")
    province = place_map([("云南省", "Province")])
    assert province is not None and len(province.shapes) == 34  # the provinces of China
    assert place_map([("不存在省", "Province")]) is None


def test_a_choropleth_shades_counties_by_their_count():
    shaded = choropleth("云南省", {XUNDIAN: 1, "五华区": 4}, "targets")
    assert shaded is not None and len(shaded.shapes) == 129
    fills = {s.name: s.fill for s in shaded.shapes}
    assert fills["宜良县"] == NONE and fills[XUNDIAN] != NONE and fills["五华区"] != fills[XUNDIAN]
    assert [what for _, what in shaded.legend] == [
        "targets: none",
        "targets: 1",
        "targets: 2",
        "targets: 3",
        "targets: 4",
    ]


def test_the_place_page(store_path, tmp_path):
    app = AppClient(copy_store(store_path, tmp_path / "store"))
    try:
        page = app.get("/place/530129").text
        assert page.count('data-highlighted="true"') == 1 and f'data-name="{XUNDIAN}"' in page
        assert "寻甸县2018年教育工作要点" in page
        province = app.get("/place/530000").text
        assert 'id="choropleth"' in province and province.count("<path") == 34 + 129
        assert app.get("/place/999999").status_code == 404
        assert "/place/530129" in app.get("/id/division/530129", headers={"accept": "text/html"}).text
    finally:
        app.close()


def test_the_maps_draw_in_a_browser(store_path, driver, tmp_path):
    srv = LiveServer(copy_store(store_path, tmp_path / "store"))
    try:
        driver.get(srv.url + "/place/530000")
        wait(driver, "return document.querySelector('#choropleth path')")
        boxes = driver.execute_script(
            "return ['#place-map', '#choropleth'].map(function (id) {"
            " var b = document.querySelector(id).getBBox(); return [b.width, b.height]; })"
        )
        assert all(w > 100 and h > 100 for w, h in boxes), boxes  # drawn, not collapsed
        assert severe(driver) == []
    finally:
        srv.stop()


for _mark in MARKS:  # the browser test only
    test_the_maps_draw_in_a_browser = _mark(test_the_maps_draw_in_a_browser)


def test_a_program_page_maps_the_counties_its_tasks_name(tmp_path):
    """A planner's question on a program's page: where does it reach? The counties its tasks name
    are shaded by how many tasks name them, on the map of their province."""
    path = store_of_texts(
        tmp_path,
        {
            "qujing-2019": (
                "曲靖市2019年教育工作要点\n一、重点任务\n"
                "1.实施全面改薄工程。支持会泽县、宣威市改造薄弱学校。\n"
                "2.推进全面改薄工程验收，支持宣威市建设学校。\n3.加强师资。培训教师。\n"
            )
        },
    )
    app = AppClient(path)
    try:
        program = app.get("/api/programs/全面改薄工程").json()
        page = app.get("/id/" + program["iri"].split("/id/", 1)[1], headers={"accept": "text/html"}).text
        assert 'id="program-map"' in page and "Counties of 云南省" in page
        shades = {name: fill for fill, name in re.findall(r'fill="(#[0-9a-f]{6})"[^>]*data-name="([^"]+)"', page)}
        assert len(shades) == 129  # the counties of 云南省
        assert NONE != shades["会泽县"] != shades["宣威市"] != NONE, "宣威市 is named by two tasks, 会泽县 by one"
        assert shades["宜良县"] == NONE
    finally:
        app.close()
