"""/explore and the standalone export in a real headless Chromium (Debian chromium + chromedriver)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.browser import MARKS, click_node, idle, node_ids, severe, wait
from support.network_fixture import HOSTILE, fixture_store
from support.servers import LiveServer

BASE = "https://w3id.org/policykg/id/"

pytestmark = MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server over the network fixture (two documents sharing programs, a hostile label)."""
    path = tmp_path_factory.mktemp("browser") / "store"
    store = fixture_store(path)
    store.flush()
    store.close()
    srv = LiveServer(path)
    yield srv.url
    srv.stop()


def test_search_expand_parts_tasks_and_quote(server, driver):
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore")
    idle(driver)
    box = driver.find_element(By.ID, "search")
    box.send_keys("三名工程")
    driver.find_element(By.ID, "search-go").click()
    first = wait(driver, "return document.querySelector('#results li button')")
    assert first.get_attribute("data-iri") == BASE + "program/三名工程"
    first.click()
    idle(driver)
    parts = [BASE + "program/" + p for p in ("名校建设工程", "名师培养工程", "名长建设工程")]
    assert set(parts) <= node_ids(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == "三名工程"

    # expand each part with a click on the canvas: its tasks appear
    for part in parts:
        click_node(driver, part)
    ids = node_ids(driver)
    for n in (7, 8, 9):
        assert f"{BASE}doc/kunming-2017/task/{n}" in ids
    assert f"{BASE}doc/xundian-2018/task/1" in ids

    # the side panel shows the task's source quote
    click_node(driver, f"{BASE}doc/kunming-2017/task/8")
    wait(driver, "return document.querySelector('#details [data-role=source-quote]')")
    quote = driver.find_element(By.CSS_SELECTOR, "#details [data-role=source-quote]").text
    assert "8.实施名师培养工程" in quote and "选派100位名师" in quote
    # expanding a task shows its target
    assert any("/target/" in i for i in node_ids(driver))

    # filters: hide tasks through the legend
    driver.find_element(By.CSS_SELECTOR, "#legend input[data-kind=task]").click()
    shown = driver.execute_script("return window.pkgExplore.network.body.data.nodes.getIds()")
    assert not any("/task/" in i for i in shown)

    # trace mode highlights the program's reach
    driver.find_element(By.ID, "trace-input").send_keys("全面改薄")
    driver.find_element(By.ID, "trace-go").click()
    idle(driver)
    assert "trace 全面改薄" in driver.find_element(By.ID, "status").text
    assert f"{BASE}doc/kunming-2017/task/20" in node_ids(driver)
    assert severe(driver) == []


def test_hostile_label_executes_nothing(server, driver):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore?q=onerror")
    idle(driver)
    btn = wait(driver, "return document.querySelector('#results li button')")
    assert HOSTILE in btn.text
    btn.click()
    idle(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == HOSTILE
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text  # raises unless an alert() is open
    # the API's page also starts from a resource (?focus=IRI)
    driver.get(server + "/explore?focus=" + BASE + "program/三名工程")
    idle(driver)
    assert BASE + "program/名长建设工程" in node_ids(driver)
    assert severe(driver) == []


def test_standalone_html_draws_offline(driver, tmp_path):
    from policykg.viz.export import write_standalone

    out = tmp_path / "network.html"
    write_standalone(fixture_store(), out)
    driver.get(Path(out).as_uri())
    wait(driver, "return window.__pkgDrawn === true")
    assert driver.execute_script("return window.pkgNetwork.body.data.nodes.length") > 20
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    assert Path(out).as_uri() in urls
    # chromium's own chrome:// pages aside, the page fetched nothing but itself and data: URIs
    external = [u for u in urls if not u.startswith(("file:", "data:", "chrome:", "chrome-extension:"))]
    assert external == [], external
    assert severe(driver) == []


def test_a_trace_cut_at_max_trace_nodes_says_so_in_the_status(driver, tmp_path):
    """A partial trace must not read as the whole reach: the status line says where it was cut."""
    from selenium.webdriver.common.by import By

    path = tmp_path / "store"
    store = fixture_store(path)
    store.flush()
    store.close()
    srv = LiveServer(path, max_trace_nodes=3)
    try:
        driver.get(srv.url + "/explore?trace=" + "三名工程")
        idle(driver)
        wait(driver, "return document.getElementById('status').textContent.indexOf('trace') === 0")
        text = driver.find_element(By.ID, "status").text
        assert "cut at the 3 nodes nearest it" in text and "max_trace_nodes" in text, text
        assert severe(driver) == []
    finally:
        srv.stop()


def test_what_a_task_rests_on_from_its_panel(server, driver):
    """A task's panel offers what it rests on: the programs it builds on or names light up."""
    from selenium.webdriver.common.by import By

    task = f"{BASE}doc/kunming-2017/task/8"
    driver.get(server + "/explore")
    idle(driver)
    driver.find_element(By.ID, "search").send_keys("名师培养工程")
    driver.find_element(By.ID, "search-go").click()
    wait(driver, "return document.querySelector('#results li button')").click()
    idle(driver)
    click_node(driver, BASE + "program/名师培养工程")  # its tasks appear
    click_node(driver, task)
    wait(driver, "return document.getElementById('rests-on-this')").click()
    wait(driver, "return document.getElementById('status').textContent.indexOf('rests on:') === 0")
    status = driver.find_element(By.ID, "status").text
    assert "program" in status, status
    lit = driver.execute_script(
        "var n = window.pkgExplore.network.body.data.nodes;"
        "return n.getIds().filter(function (id) { return n.get(id).borderWidth === 4; });"
    )
    assert task in lit and BASE + "program/名师培养工程" in lit
    assert severe(driver) == []


def test_query_results_appear_under_the_editor_in_the_first_screen(server, driver):
    """At 1400×900 the results of a shared query start within the first screen, right under the
    editor, not below the example gallery (issue 16)."""
    from urllib.parse import quote

    driver.get(server + "/query?query=" + quote("SELECT ?t WHERE { ?t a pkg:Task } LIMIT 5"))
    wait(driver, "return document.querySelectorAll('#results td').length > 0")
    top, height, editor = driver.execute_script(
        "return [document.querySelector('#results table').getBoundingClientRect().top, window.innerHeight,"
        " document.querySelector('#query').getBoundingClientRect().bottom]"
    )
    assert editor < top < height, (editor, top, height)
    assert severe(driver) == []


def test_pages_fit_a_phone(server, driver):
    """At 390×844 no page is wider than the screen: tables, charts and long IRIs scroll in their box."""
    from urllib.parse import quote

    driver.set_window_size(390, 844)
    pages = [
        "/",
        "/query?query=" + quote("SELECT ?t ?l WHERE { ?t a pkg:Task ; rdfs:label ?l } LIMIT 5"),
        "/id/program/" + quote("三名工程"),
        "/id/doc/kunming-2017",
        "/compare?indicator=" + quote("新增优质学校"),
        "/place/530129",
        "/api/docs",
    ]
    for path in pages:
        driver.get(server + path)
        wait(driver, "return document.readyState === 'complete'")
        if path.startswith("/query"):
            wait(driver, "return document.querySelectorAll('#results td').length > 0")
        wide, screen = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= screen, (path, wide, screen)
    assert severe(driver) == []


def test_the_url_keeps_the_view_so_it_can_be_shared(server, driver):
    """Trace a program, reopen the URL the page shows: the same trace comes back (issue 16)."""
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore")
    idle(driver)
    driver.find_element(By.ID, "trace-input").send_keys("三名工程")
    driver.find_element(By.ID, "trace-go").click()
    wait(driver, "return document.getElementById('status').textContent.indexOf('trace') === 0")
    shared = driver.current_url
    assert "trace=" in shared
    first = driver.find_element(By.ID, "status").text
    driver.get("about:blank")
    driver.get(shared)
    wait(driver, "return document.getElementById('status').textContent.indexOf('trace') === 0")
    assert driver.find_element(By.ID, "status").text == first
    driver.find_element(By.ID, "trace-clear").click()
    assert "trace=" not in driver.current_url
    click_node(driver, f"{BASE}program/三名工程")
    wait(driver, "return window.location.search.indexOf('focus=') >= 0")
    assert severe(driver) == []


def test_the_url_keeps_the_filters_too(server, driver):
    """Hide a kind, pick a document and a section: the URL says so, and opening it restores them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(server + "/explore?trace=" + "三名工程")
    idle(driver)
    driver.find_element(By.CSS_SELECTOR, '#legend input[data-kind="target"]').click()
    assert "hide=target" in driver.current_url
    targets_in_data = "return window.pkgExplore.nodes.get().filter(function (n) { return n.kind === 'target'; }).length"
    shown = "return document.querySelectorAll('#legend input:checked').length"
    docs = Select(driver.find_element(By.ID, "filter-doc"))
    doc = docs.options[1].get_attribute("value")
    docs.select_by_value(doc)
    wait(driver, "return document.getElementById('filter-section').options.length > 1")
    sections = Select(driver.find_element(By.ID, "filter-section"))
    section = sections.options[1].get_attribute("value")
    sections.select_by_value(section)
    shared = driver.current_url
    assert "trace=" in shared and "doc=" in shared and "section=" in shared, shared
    checked = driver.execute_script(shown)
    assert driver.execute_script(targets_in_data) > 0  # the trace has targets; hiding keeps them in the data
    driver.get("about:blank")
    driver.get(shared)
    idle(driver)
    assert not driver.find_element(By.CSS_SELECTOR, '#legend input[data-kind="target"]').is_selected()
    assert driver.execute_script(shown) == checked
    assert driver.find_element(By.ID, "filter-doc").get_attribute("value") == doc
    assert driver.find_element(By.ID, "filter-section").get_attribute("value") == section
    assert driver.find_element(By.ID, "status").text.startswith("trace")
    assert severe(driver) == []
