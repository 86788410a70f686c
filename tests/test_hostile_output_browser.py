"""Hostile labels in a real headless Chromium: shown as text, nothing runs.

The payloads of the hostile document (tests/support/hostile_document.py) set ``window.__pwned`` or
call ``alert`` if they ever run. Chromium opens the /id/ pages, /explore (search the
hostile program, open it, expand it, hover its node, open the hostile document), the
query page with results holding the labels and a ``javascript:`` IRI, and the standalone
export of ``policykg viz``; each time no alert is open, ``window.__pwned`` is unset, the
label reads back literally and the console reports no Content-Security-Policy violation
(the policies allow exactly what the pages use).
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from support.browser import MARKS, click_node, idle, wait
from support.common import copy_store, run_cli
from support.hostile_document import DOC_ID, HOSTILE_PROGRAMS, IRIS

pytestmark = MARKS

TITLE = '某县2019年<img src=x onerror="window.__pwned=1">工作要点'
IMG_PROGRAM = HOSTILE_PROGRAMS[0]  # <img src=x onerror="window.__pwned=1">工程


def assert_nothing_ran(driver, where: str) -> None:
    """No alert open, no payload flag set, no element a payload would add, no CSP report."""
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - raises unless an alert() is open
    assert driver.execute_script("return typeof window.__pwned") == "undefined", where
    assert driver.execute_script("return document.querySelectorAll('img, svg, b[onmouseover]').length") == 0, where
    problems = [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]
    ]
    assert problems == [], (where, problems)


def _id_path(iri: str) -> str:
    return "/id/" + quote(iri[len(IRIS.base) :], safe="/%-._~")


def test_id_pages_show_hostile_labels_literally(hostile_server, driver):
    """The document, a section, a task and a program page: the heading reads back the exact label."""
    from selenium.webdriver.common.by import By

    pages = {
        IRIS.document(DOC_ID): TITLE,
        IRIS.section(DOC_ID, 1): "</script><script>window.__pwned=2</script>",
        IRIS.task(DOC_ID, 1): "<b onmouseover=alert(1)>加强</b>",
        IRIS.program(IMG_PROGRAM): IMG_PROGRAM,
        IRIS.program(HOSTILE_PROGRAMS[2]): HOSTILE_PROGRAMS[2],
    }
    for iri, label in pages.items():
        driver.get(hostile_server.url + _id_path(iri))
        assert driver.find_element(By.TAG_NAME, "h1").text == label
        assert_nothing_ran(driver, iri)
    # the document page quotes its hostile source lines as text
    driver.get(hostile_server.url + _id_path(IRIS.task(DOC_ID, 1)))
    assert '实施“<img src=x onerror="window.__pwned=1">”工程' in driver.find_element(By.CSS_SELECTOR, "blockquote").text
    assert_nothing_ran(driver, "task quote")


def test_explore_search_open_expand_and_hover_hostile_nodes(hostile_server, driver):
    """/explore: search "onerror", open the program, expand it, hover it, open the hostile document."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.get(hostile_server.url + "/explore")
    idle(driver)
    driver.find_element(By.ID, "search").send_keys("onerror")
    driver.find_element(By.ID, "search-go").click()
    first = wait(driver, "return document.querySelector('#results li button')")
    assert first.get_attribute("data-iri") == IRIS.program(IMG_PROGRAM)
    assert IMG_PROGRAM in first.text
    first.click()
    idle(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == IMG_PROGRAM
    assert any("/task/" in i for i in driver.execute_script("return window.pkgExplore.nodes.getIds()"))
    # hover the node on the canvas (vis-network's hover; no node has a popup title)
    iri = IRIS.program(IMG_PROGRAM)
    pos = driver.execute_script(
        "var n = window.pkgExplore.network; n.stopSimulation(); n.fit({animation: false});"
        "return n.canvasToDOM(n.getPosition(arguments[0]));",
        iri,
    )
    canvas = driver.find_element(By.CSS_SELECTOR, "#net canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(driver).move_to_element_with_offset(canvas, int(pos["x"] - w / 2), int(pos["y"] - h / 2)).perform()
    time.sleep(0.3)
    assert driver.execute_script(
        "return document.querySelectorAll('.vis-tooltip').length === 0 || "
        "Array.from(document.querySelectorAll('.vis-tooltip')).every(function (t) {"
        " return t.children.length === 0; })"
    )
    assert_nothing_ran(driver, "hover")
    # open the hostile document from its task: its sections' labels are hostile too
    driver.execute_script("return window.pkgExplore.open(arguments[0])", IRIS.document(DOC_ID))
    idle(driver)
    click_node(driver, IRIS.section(DOC_ID, 2))
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == '"><svg onload=window.__pwned=3>'
    labels = driver.execute_script("return window.pkgExplore.nodes.get().map(function (n) { return n.fullLabel; })")
    assert TITLE in labels and "</script><script>window.__pwned=2</script>" in labels
    assert_nothing_ran(driver, "explore")


def test_query_page_renders_results_as_text(hostile_server, driver):
    """A shared query link whose results hold the hostile labels and a javascript: IRI: text cells, no such link."""
    from selenium.webdriver.common.by import By

    query = (
        'SELECT ?l (IRI("javascript:window.__pwned=9") AS ?x) WHERE { ?p a pkg:Program ; rdfs:label ?l '
        'FILTER(CONTAINS(?l, "<")) } ORDER BY ?l'
    )
    driver.get(hostile_server.url + "/query?query=" + quote(query))
    wait(driver, "return document.querySelectorAll('#results td').length > 0")
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#results td")]
    assert IMG_PROGRAM in cells and "javascript:window.__pwned=9" in cells
    assert driver.execute_script("return document.querySelectorAll('#results a[href^=\"javascript\"]').length") == 0
    assert_nothing_ran(driver, "query page")


def test_standalone_export_of_the_hostile_document(hostile_store_template, driver, tmp_path):
    """policykg viz around the hostile document, opened from disk: it draws (its CSP hashes are right),
    and a click on the hostile program shows its label as text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    out = tmp_path / "hostile.html"
    store = copy_store(hostile_store_template, tmp_path / "store")
    run_cli("viz", "--focus", IRIS.document(DOC_ID), "--depth", "3", "-o", str(out), "--store", str(store), check=True)
    driver.get(out.as_uri())
    wait(driver, "return window.__pkgDrawn === true")
    iri = IRIS.program(IMG_PROGRAM)
    # a real click on the node: focus the view on it first so nothing overlaps it
    pos = driver.execute_script(
        "var n = window.pkgNetwork; n.stopSimulation();"
        "n.focus(arguments[0], {scale: 2, animation: false});"
        "return n.canvasToDOM(n.getPosition(arguments[0]));",
        iri,
    )
    canvas = driver.find_element(By.CSS_SELECTOR, "#net canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(pos["x"] - w / 2), int(pos["y"] - h / 2)
    ).click().perform()
    wait(driver, "return document.querySelector('#panel h3')")
    assert driver.find_element(By.CSS_SELECTOR, "#panel h3").text == IMG_PROGRAM
    assert driver.find_element(By.ID, "title").text.startswith(IRIS.document(DOC_ID))
    assert_nothing_ran(driver, "standalone export")
