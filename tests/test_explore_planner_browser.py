"""A planner's task in /explore, in a real headless Chromium (issue 16).

From the home page, find 全面改薄, trace it and read the counties and targets it reaches — in at
most five interactions — then check the view's parts: the site header, the starting points, the
completion, the hierarchy and its outline, the CSV, the side panel, the colours kept on
selection, the URL, a phone's screen, and that nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from decimal import Decimal
from urllib.parse import quote, urlsplit

import pytest

from support.browser import MARKS, severe, wait
from support.network_fixture import (
    DIVISIONS,
    _mention,
    _section,
    _span,
    _task,
    kunming_record,
    other_record,
)
from support.servers import LiveServer

pytestmark = MARKS

BASE = "https://w3id.org/policykg/id/"

#: A county plan whose tasks carry 全面改薄 to two counties (the network fixture's own mention
#: of 全面改薄 reaches no county).
COUNTY = """昆明市2019年全面改薄工作要点
一、推进全面改薄
1.完成全面改薄项目学校建设。呈贡区完成改薄项目学校12所。
2.以全面改薄改善寻甸县乡村学校办学条件。寻甸县改造薄弱学校校舍面积不少于3万平方米。
"""

#: What the trace of 全面改薄 reaches: the counties, and the targets (indicator, as the outline writes them).
COUNTIES = {"呈贡区", "寻甸回族彝族自治县"}
TARGETS = {"target 完成改薄项目学校 = 12所", "target 改造薄弱学校校舍面积 ≥ 3万平方米", "target 小学班额 ≤ 45人"}


def county_record():
    from policykg.loaders.records import (
        Comparator,
        DocumentRecord,
        EntityKind,
        PartRef,
        ProgramRecord,
        TargetRecord,
    )

    t = COUNTY
    T = PartRef.task
    doc = DocumentRecord(
        doc_id="kunming-2019-gaibo",
        source="kunming-2019-gaibo.txt",
        sha256="2" * 64,
        media_type="text/plain",
        encoding="utf-8",
        text=t,
        title="昆明市2019年全面改薄工作要点",
        jurisdiction="530100",
    )
    doc.sections = [_section(t, 1, "一", "推进全面改薄", None)]
    doc.tasks = [_task(t, 1, "完成全面改薄项目学校建设", 1), _task(t, 2, "以全面改薄改善寻甸县乡村学校办学条件", 1)]
    doc.programs = {"全面改薄": ProgramRecord("全面改薄", alt_labels={"全面改薄计划"})}
    doc.divisions = {k: DIVISIONS[k] for k in ("530100", "530114", "530129")}
    P, D = EntityKind.PROGRAM, EntityKind.DIVISION
    doc.mentions = [
        _mention(t, P, "全面改薄", "全面改薄", PartRef.section(1), after="一、"),
        _mention(t, P, "全面改薄", "全面改薄", T(1), after="1."),
        _mention(t, D, "530114", "呈贡区", T(1), after="1."),
        _mention(t, P, "全面改薄", "全面改薄", T(2), after="2."),
        _mention(t, D, "530129", "寻甸县", T(2), after="2."),
        _mention(t, D, "530100", "昆明市", PartRef.document()),
    ]
    doc.targets = [
        TargetRecord(
            T(1),
            "完成改薄项目学校",
            _span(t, "完成改薄项目学校12所"),
            value=Decimal(12),
            unit="所",
            comparator=Comparator.EXACTLY,
            divisions=["530114"],
        ),
        TargetRecord(
            T(2),
            "改造薄弱学校校舍面积",
            _span(t, "改造薄弱学校校舍面积不少于3万平方米"),
            value=Decimal(3),
            unit="万平方米",
            comparator=Comparator.AT_LEAST,
            divisions=["530129"],
        ),
    ]
    return doc


def planner_store(path):
    """The network fixture's two documents and the county plan above, on disk at ``path``."""
    from policykg.graph.build import document_quads
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore

    store = OxigraphStore(path)
    iris = IriScheme()
    for rec in (kunming_record(), other_record(), county_record()):
        store.replace_graph(iris.graph(rec.doc_id), document_quads(rec, iris), rec.sha256)
    store.flush()
    store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("planner") / "store"
    planner_store(path)
    srv = LiveServer(path)
    yield srv.url
    srv.stop()


def ready(driver) -> None:
    """Until the view has started, no request is under way and the canvas has drawn it."""
    wait(driver, "return document.body.getAttribute('data-ready') === '1'")


def requests_made(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def assert_all_local(urls: list[str]) -> None:
    # chromium's own chrome:// pages aside (its new tab), every request went to the live server
    page = [u for u in urls if not u.startswith(("data:", "about:", "chrome:", "chrome-extension:"))]
    assert any(urlsplit(u).path == "/api/explore/config" for u in page)
    away = [u for u in page if urlsplit(u).hostname != "127.0.0.1"]
    assert away == [], away


def in_first_viewport(driver, selector: str) -> bool:
    return driver.execute_script(
        "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.top < window.innerHeight"
        " && r.left < window.innerWidth;",
        selector,
    )


def outline_lines(driver, kind: str) -> set[str]:
    return set(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('#outline-tree li[data-kind=' + arguments[0] + '] > a'))"
            ".map(function (a) { return a.textContent; });",
            kind,
        )
    )


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:  # the live server on 127.0.0.1
        return r.status, r.headers.get("content-type", ""), r.read()


def test_a_planner_traces_全面改薄_from_the_home_page_in_five_interactions(server, driver):
    """Home → Explore → type 全面改 (completion offers 全面改薄) → 薄 + Enter: the outline lists the
    counties and targets 全面改薄 reaches; one more click focuses a county."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(server + "/")
    interactions = 0
    driver.find_element(By.CSS_SELECTOR, "header nav a[href='/explore']").click()
    interactions += 1
    ready(driver)
    box = driver.find_element(By.ID, "trace-input")
    box.send_keys("全面改")
    interactions += 1
    wait(driver, "return document.querySelector('#trace-suggest option[value=\"全面改薄\"]')")
    box.send_keys("薄" + Keys.ENTER)
    interactions += 1
    wait(driver, "return !document.getElementById('outline').hidden")
    ready(driver)
    assert "trace=" in driver.current_url

    divisions = {line.removeprefix("division ") for line in outline_lines(driver, "division")}
    assert divisions == COUNTIES, divisions
    assert outline_lines(driver, "target") == TARGETS
    assert in_first_viewport(driver, "#outline-tree")

    # one more: a county's line focuses it on the canvas and in the side panel
    link = driver.find_element(By.CSS_SELECTOR, "#outline-tree li[data-kind=division] > a[data-iri$='530114']")
    link.click()
    interactions += 1
    wait(
        driver, "return window.pkgExplore.network.getSelectedNodes()[0] === arguments[0]", 10, BASE + "division/530114"
    )
    wait(driver, "return document.querySelector('#details .node-label').textContent === '呈贡区'")
    assert interactions <= 5
    assert severe(driver) == []
    assert_all_local(requests_made(driver))


def test_the_trace_is_a_hierarchy_left_to_right_with_chinese_and_english_link_words(server, driver):
    driver.get(server + "/explore?trace=" + quote("全面改薄"))
    ready(driver)
    wait(driver, "return window.pkgExplore.isHierarchical()")
    x = driver.execute_script(
        "var n = window.pkgExplore.network, out = {};"
        "window.pkgExplore.nodes.forEach(function (d) { out[d.id] = [d.kind, d.level, n.getPosition(d.id).x]; });"
        "return out;"
    )
    by_kind: dict[str, list[float]] = {}
    for kind, _level, px in x.values():
        by_kind.setdefault(kind, []).append(px)
    root = x[BASE + "program/全面改薄"][2]
    # program → sub-program → task → target → division, left to right
    assert root < min(by_kind["task"]) and max(by_kind["task"]) < min(by_kind["target"])
    assert max(by_kind["target"]) < min(by_kind["division"])
    (sub,) = [px for iri, (kind, _, px) in x.items() if kind == "program" and iri != BASE + "program/全面改薄"]
    assert root < sub < min(by_kind["task"])

    edges = driver.execute_script("return window.pkgExplore.edges.get()")
    words = {e["kind"]: e["label"] for e in edges}
    assert words["hasTarget"] == "设定目标 has target" and words["partOf"] == "隶属于 part of"
    assert words["appliesTo"] == "适用于 applies to" and words["mentions"] == "提到 mentions"
    assert min(e["font"]["size"] for e in edges) >= 12
    # on screen too: a small trace is not zoomed out below 12 px words
    scale = driver.execute_script("return window.pkgExplore.network.getScale()")
    assert min(e["font"]["size"] for e in edges) * scale >= 11.9, scale
    assert severe(driver) == []


def test_a_selected_node_keeps_the_colour_of_its_kind(server, driver):
    """A selected program stays a program's colour (vis-network's default highlight is pale blue)."""
    driver.get(server + "/explore?trace=" + quote("全面改薄"))
    ready(driver)
    colours = driver.execute_script(
        "var b = window.pkgExplore.network.body.nodes, out = {};"
        "window.pkgExplore.nodes.forEach(function (d) {"
        "  var c = b[d.id].options.color; out[d.id] = [d.kind, c.background, c.highlight.background]; });"
        "return out;"
    )
    legend = {k["kind"]: k["color"] for k in json.loads(get(server + "/api/explore/config")[2])["legend"]}
    for kind, background, highlight in colours.values():
        assert background == highlight == legend[kind], (kind, background, highlight)
    assert legend["program"] != legend["task"]
    assert severe(driver) == []


def test_the_outline_and_its_csv(server, driver):
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore?trace=" + quote("全面改薄"))
    ready(driver)
    assert in_first_viewport(driver, "#trace-csv")
    top = driver.find_element(By.CSS_SELECTOR, "#outline-tree > li > a").text
    assert top == "program 全面改薄"
    # a line per line of `policykg trace 全面改薄` (14), each linking to its node's view
    pairs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#outline-tree a')).map(function (a) {"
        " return [a.getAttribute('data-iri'), new URL(a.href).searchParams.get('focus')]; })"
    )
    assert len(pairs) == 14 and all(iri == focus for iri, focus in pairs), pairs
    tasks = outline_lines(driver, "task")
    assert "task 1 完成全面改薄项目学校建设  (昆明市2019年全面改薄工作要点)" in tasks
    href = driver.find_element(By.ID, "trace-csv").get_attribute("href")
    assert urlsplit(href).path == "/api/explore/trace.csv"
    status, ctype, body = get(href)
    assert status == 200 and ctype.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "from",
        "from_kind",
        "from_label",
        "link",
        "link_words",
        "to",
        "to_kind",
        "to_label",
        "quote",
        "document",
        "start",
        "end",
        "basis",
    ]
    applies = {(r["from_label"], r["to_label"]) for r in rows if r["link"] == "appliesTo"}
    assert ("完成改薄项目学校12所", "呈贡区") in applies
    row = next(r for r in rows if r["link"] == "appliesTo" and r["to_label"] == "呈贡区")
    assert row["quote"] == "完成改薄项目学校12所" and row["link_words"] == "适用于 applies to"
    assert severe(driver) == []


def test_header_and_starting_points_on_an_empty_view(server, driver):
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore")
    ready(driver)
    nav = driver.execute_script(
        "return Array.from(document.querySelectorAll('header.site a')).map(function (a) {"
        " return a.getAttribute('href'); });"
    )
    assert nav == ["/", "/", "/query", "/compare", "/api/docs", "/sparql", "/explore"]
    for href in set(nav):
        assert get(server + href)[0] == 200, href
    for selector in ("header.site .brand", "header.site a[href='/explore']", "#search", "#trace-input", "#trace-go"):
        assert in_first_viewport(driver, selector), selector
    assert in_first_viewport(driver, "#start-programs li a")
    programs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#start-programs a')).map(function (a) { return a.textContent; })"
    )
    assert programs[:2] == ["全面改薄", "三名工程"] or programs[:2] == ["三名工程", "全面改薄"], programs
    documents = driver.execute_script(
        "return Array.from(document.querySelectorAll('#start-documents a')).map(function (a) { return a.textContent; })"
    )
    assert set(documents) == {"昆明市2017年工作要点", "寻甸县2018年教育工作要点", "昆明市2019年全面改薄工作要点"}
    # the canvas stays large
    width, height = driver.execute_script(
        "var r = document.querySelector('#net canvas').getBoundingClientRect(); return [r.width, r.height];"
    )
    assert width >= 900 and height >= 600, (width, height)

    # a program starts its trace, a document opens it
    driver.find_element(
        By.CSS_SELECTOR,
        "#start-programs a[data-iri$='%E4%B8%89%E5%90%8D%E5%B7%A5%E7%A8%8B'], #start-programs a[data-iri$='三名工程']",
    ).click()
    wait(driver, "return !document.getElementById('outline').hidden")
    ready(driver)
    assert driver.find_element(By.ID, "start").is_displayed() is False
    assert "trace=" in driver.current_url
    driver.find_element(By.ID, "reset").click()
    wait(driver, "return !document.getElementById('start').hidden")
    driver.find_element(By.CSS_SELECTOR, "#start-documents a[data-iri$='kunming-2019-gaibo']").click()
    wait(
        driver,
        "return window.pkgExplore.network.getSelectedNodes()[0] === arguments[0]",
        10,
        BASE + "doc/kunming-2019-gaibo",
    )
    assert "focus=" in driver.current_url
    assert severe(driver) == []
    assert_all_local(requests_made(driver))


def test_completion_in_both_boxes_is_text(server, driver):
    from selenium.webdriver.common.by import By

    from support.network_fixture import HOSTILE

    driver.get(server + "/explore")
    ready(driver)
    driver.find_element(By.ID, "search").send_keys("三名")
    wait(driver, "return document.querySelector('#search-suggest option[value=\"三名工程\"]')")
    driver.find_element(By.ID, "trace-input").send_keys("名师")
    wait(driver, "return document.querySelectorAll('#trace-suggest option').length > 0")
    kinds = driver.execute_script(
        "return Array.from(document.querySelectorAll('#trace-suggest option')).map(function (o) {"
        " return o.getAttribute('data-iri'); })"
    )
    assert kinds and all("/program/" in k for k in kinds), kinds
    # a hostile name is an option's text, nothing more
    search = driver.find_element(By.ID, "search")
    search.clear()
    search.send_keys("onerror")
    wait(
        driver,
        "var want = arguments[0]; return Array.from(document.querySelectorAll('#search-suggest option'))"
        ".some(function (o) { return o.value === want; });",
        15,
        HOSTILE,
    )
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    assert severe(driver) == []


def test_the_side_panel_groups_labels_and_links_properties(server, driver):
    from selenium.webdriver.common.by import By

    task = BASE + "doc/kunming-2017/task/13"
    driver.get(server + "/explore?focus=" + quote(task, safe=""))
    ready(driver)
    wait(driver, "return document.querySelector('#details [data-group=links]')")
    groups = driver.execute_script(
        "return Array.from(document.querySelectorAll('#details [data-group] h3'))"
        ".map(function (h) { return h.textContent; })"
    )
    assert groups[:2] == ["名称 Names", "关联 Links"], groups
    heads = driver.execute_script(
        "return Array.from(document.querySelectorAll('#details [data-group=links] th'))"
        ".map(function (t) { return t.textContent; })"
    )
    assert "设定目标 has targetpkg:hasTarget" in heads and "提到 mentionspkg:mentions" in heads, heads
    # words break between words only; a long IRI may break anywhere
    assert (
        driver.execute_script("var s = getComputedStyle(document.querySelector('#details td')); return s.wordBreak;")
        == "normal"
    )
    assert (
        driver.execute_script("return getComputedStyle(document.querySelector('#details .iri')).overflowWrap")
        == "anywhere"
    )
    # its page
    page = driver.find_element(By.ID, "node-page").get_attribute("href")
    assert urlsplit(page).path == "/id/doc/kunming-2017/task/13"
    assert get(page)[0] == 200
    # a value that is a node focuses it
    driver.find_element(By.CSS_SELECTOR, "#details [data-group=links] a[data-iri$='division/530114']").click()
    wait(driver, "return document.querySelector('#details .node-label').textContent === '呈贡区'")
    wait(
        driver, "return window.pkgExplore.network.getSelectedNodes()[0] === arguments[0]", 10, BASE + "division/530114"
    )
    assert "focus=" in driver.current_url and "530114" in driver.current_url
    assert severe(driver) == []


def test_the_url_restores_the_view_and_a_phone_can_use_the_canvas(server, driver):
    driver.set_window_size(390, 844)
    driver.get(server + "/explore?trace=" + quote("全面改薄"))
    ready(driver)
    wait(driver, "return !document.getElementById('outline').hidden")
    assert outline_lines(driver, "target") == TARGETS
    width, height = driver.execute_script(
        "var r = document.querySelector('#net canvas').getBoundingClientRect(); return [r.width, r.height];"
    )
    assert width >= 300 and height >= 300, (width, height)
    wide, screen = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide <= screen, (wide, screen)
    assert in_first_viewport(driver, "#net canvas")
    assert severe(driver) == []


def test_a_big_trace_draws_the_nearest_nodes_and_says_so(server, driver, monkeypatch):
    """Above HIERARCHY_MAX_NODES the hierarchy draws the nodes nearest the program; the status says
    "showing N of M" and the outline still lists everything."""
    import policykg.viz.routes as routes

    monkeypatch.setattr(routes, "HIERARCHY_MAX_NODES", 5)
    driver.get(server + "/explore?trace=" + quote("全面改薄"))
    ready(driver)
    wait(driver, "return !document.getElementById('outline').hidden")
    status = driver.execute_script("return document.getElementById('status').textContent")
    assert "showing 5 of 12 nodes" in status, status
    assert driver.execute_script("return window.pkgExplore.nodes.length") == 5
    assert outline_lines(driver, "target") == TARGETS
    assert severe(driver) == []


def test_what_a_task_rests_on_is_a_hierarchy_too(server, driver):
    from selenium.webdriver.common.by import By

    task = BASE + "doc/kunming-2019-gaibo/task/1"
    driver.get(server + "/explore?rests=" + quote(task, safe=""))
    ready(driver)
    wait(driver, "return window.pkgExplore.isHierarchical()")
    x = driver.execute_script(
        "var n = window.pkgExplore.network; return [n.getPosition(arguments[0]).x, n.getPosition(arguments[1]).x];",
        task,
        BASE + "program/全面改薄",
    )
    assert x[0] < x[1], x  # the task left, the program it names right
    href = driver.find_element(By.ID, "trace-csv").get_attribute("href")
    assert urlsplit(href).path == "/api/explore/rests-on.csv"
    status, _, body = get(href)
    assert status == 200 and "全面改薄" in body.decode("utf-8")
    assert severe(driver) == []
