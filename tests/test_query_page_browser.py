"""The query page (/query) in a real headless Chromium: the CodeMirror editor highlights and
completes the ontology's terms, results come right under it as a table (IRIs as short names
linking to their /id/ pages), a raw JSON view, a bar chart and a map of points; the examples are a
side menu; a ``/query?query=…`` link re-runs its query; hostile labels stay text; nothing is
fetched from beyond 127.0.0.1 and the console stays clean (issue 16).

One Chromium for the module (a fresh one per test costs a second each) over the hostile store:
the sample, the network fixture and the hostile document.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, quote, urlparse

import httpx
import pytest

from support.browser import MARKS, open_chromium, wait
from support.hostile_document import DOC_ID, HOSTILE_PROGRAMS, IRIS

pytestmark = MARKS

BASE = IRIS.base
SAMPLE_DOC = IRIS.document("kunming-2017-education-workplan")
#: Tasks per section of the sample: a label column and a number column.
SECTION_COUNTS = f"""SELECT ?section (COUNT(?task) AS ?tasks) WHERE {{
  ?s a pkg:Section ; rdfs:label ?section ; dcterms:isPartOf <{SAMPLE_DOC}> .
  ?task a pkg:Task ; dcterms:isPartOf ?s .
}} GROUP BY ?s ?section ORDER BY ?section"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = open_chromium(tmp_path_factory.mktemp("query-browser") / "profile")
    yield chromium
    chromium.quit()


@pytest.fixture()
def page(hostile_server, browser):
    """The browser at 1400×900, its logs emptied; after the test: no console error or CSP report,
    and every request it made went to the test server (or was a data: URI)."""
    browser.set_window_size(1400, 900)
    browser.get_log("browser")
    browser.get_log("performance")
    yield browser
    urls = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    assert urls, "no request recorded"
    assert [u for u in urls if not u.startswith((hostile_server.url + "/", "data:"))] == []
    console = browser.get_log("browser")
    # no error, and no Content-Security-Policy report at any level (the CSP allows what the page does)
    assert [e["message"] for e in console if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]] == []


def open_query(driver, url: str) -> None:
    driver.get(url)
    # the editor is up and the vocabulary it completes is in
    wait(driver, "return !!(window.pkgQuery && window.pkgQuery.editor && window.pkgQuery.terms > 0)")


def open_results(driver, url: str, query: str, view: str = "") -> None:
    """The page for a shared link to ``query``, once its results are shown."""
    open_query(driver, url + "/query?query=" + quote(query) + (f"&view={view}" if view else ""))
    wait(driver, "return window.pkgQuery.result !== null && !document.getElementById('views').hidden")


def editor_value(driver) -> str:
    return driver.execute_script("return window.pkgQuery.editor.getValue()")


def type_in_editor(driver, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, ".CodeMirror-lines").click()
    ActionChains(driver).send_keys(*keys).perform()


def shared_query(driver) -> str:
    return parse_qs(urlparse(driver.current_url).query)["query"][0]


def test_the_editor_highlights_and_completes_the_ontology(hostile_server, page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from policykg.api.pages import query_vocabulary

    open_query(page, hostile_server.url + "/query")
    keywords = page.execute_script(
        "return [...document.querySelectorAll('.CodeMirror .cm-keyword')].map(e => e.textContent)"
    )
    assert "SELECT" in keywords and "WHERE" in keywords
    page.execute_script("window.pkgQuery.editor.setValue(''); window.pkgQuery.editor.focus()")

    # typing a prefix and its colon opens the list of that prefix's terms, read from the ontology
    type_in_editor(page, "SELECT * WHERE { ?t a pkg:")
    offered = wait(
        page,
        "var l = document.querySelectorAll('.CodeMirror-hints li span');"
        "return l.length ? [...l].map(e => e.textContent) : null",
    )
    pkg_terms = [t["name"] for t in query_vocabulary()["terms"] if t["name"].startswith("pkg:")]
    assert offered == pkg_terms and {"pkg:Task", "pkg:hasTarget", "pkg:AtLeast"} <= set(offered)
    ActionChains(page).send_keys(Keys.ESCAPE).perform()
    wait(page, "return !document.querySelector('.CodeMirror-hints')")

    # Ctrl+Space completes what is typed; Enter takes the choice
    ActionChains(page).send_keys("Ta").key_down(Keys.CONTROL).send_keys(Keys.SPACE).key_up(Keys.CONTROL).perform()
    offered = wait(
        page,
        "var l = document.querySelectorAll('.CodeMirror-hints li span');"
        "return l.length ? [...l].map(e => e.textContent) : null",
    )
    assert offered == ["pkg:Target", "pkg:Task"]
    ActionChains(page).send_keys(Keys.DOWN, Keys.ENTER).perform()
    assert editor_value(page) == "SELECT * WHERE { ?t a pkg:Task"
    # a bare word offers the prefixes
    ActionChains(page).send_keys(" }\n", "dc").key_down(Keys.CONTROL).send_keys(Keys.SPACE).key_up(
        Keys.CONTROL
    ).perform()
    offered = wait(
        page,
        "var l = document.querySelectorAll('.CodeMirror-hints li span');"
        "return l.length ? [...l].map(e => e.textContent) : null",
    )
    assert offered == ["dcterms:"]
    ActionChains(page).send_keys(Keys.ESCAPE).perform()


def test_run_shows_the_table_under_the_editor_with_linked_short_names(hostile_server, page):
    from selenium.webdriver.common.by import By

    query = (
        f"SELECT ?task ?comparator WHERE {{ ?task a pkg:Task ; pkg:ordinal 12 ; pkg:hasTarget ?t ; "
        f"dcterms:isPartOf+ <{SAMPLE_DOC}> . ?t pkg:comparator ?comparator }} ORDER BY ?comparator"
    )
    open_query(page, hostile_server.url + "/query")
    page.execute_script("window.pkgQuery.editor.setValue(arguments[0])", query)
    page.find_element(By.ID, "run").click()
    wait(page, "return document.querySelectorAll('#results table td').length > 0")
    top, bottom, height = page.execute_script(
        "return [document.querySelector('#results table').getBoundingClientRect().top,"
        " document.querySelector('.CodeMirror').getBoundingClientRect().bottom, window.innerHeight]"
    )
    assert bottom < top < min(height, 900)  # right under the editor, in the first screen
    # Run put the query in the URL
    assert shared_query(page) == query

    task = IRIS.task("kunming-2017-education-workplan", 12)
    links = page.find_elements(By.CSS_SELECTOR, "#results td.iri a")
    assert {a.text for a in links} == {task[len(BASE) :]}
    assert all(a.get_attribute("href") == hostile_server.url + "/id/" + task[len(BASE) :] for a in links)
    comparators = {td.text for td in page.find_elements(By.CSS_SELECTOR, "#results tbody td:nth-child(2)")}
    assert comparators and all(c.startswith("pkg:") for c in comparators) and "pkg:AtLeast" in comparators
    # the link leads to the task's page
    href = links[0].get_attribute("href")
    assert httpx.get(href, headers={"accept": "text/html"}).status_code == 200
    links[0].click()
    wait(page, "return location.pathname.indexOf('/id/') === 0 && document.readyState === 'complete'")
    assert page.find_element(By.TAG_NAME, "h1").text


def test_chart_and_raw_views(hostile_server, page):
    from selenium.webdriver.common.by import By

    open_results(page, hostile_server.url, SECTION_COUNTS)
    shown = page.execute_script(
        "return [...document.querySelectorAll('#views button')].filter(b => !b.hidden).map(b => b.dataset.view)"
    )
    assert shown == ["table", "raw", "chart"]  # no map: no coordinates, no division
    rows = page.execute_script(
        "return window.pkgQuery.result.rows.map(r => [r.section.value, parseInt(r.tasks.value)])"
    )
    assert len(rows) == 5 and sum(n for _, n in rows) == 28  # the sample's 5 sections, 28 tasks
    page.find_element(By.CSS_SELECTOR, "#views button[data-view=chart]").click()
    wait(page, "return document.querySelectorAll('#view-chart svg rect').length > 0")
    bars = page.execute_script(
        "return [...document.querySelectorAll('#view-chart svg .bar')].map(g =>"
        " [g.querySelector('title').textContent, g.querySelector('rect').getBoundingClientRect().width])"
    )
    assert [title for title, _ in bars] == [f"{label}: {n}" for label, n in rows]
    widest = max(rows, key=lambda r: r[1])
    assert max(bars, key=lambda b: b[1])[0] == f"{widest[0]}: {widest[1]}"
    assert "view=chart" in page.current_url  # the view is part of the link

    page.find_element(By.CSS_SELECTOR, "#views button[data-view=raw]").click()
    raw = json.loads(wait(page, "var p = document.querySelector('#view-raw pre'); return p && p.textContent"))
    assert raw["head"]["vars"] == ["section", "tasks"] and len(raw["results"]["bindings"]) == 5
    assert page.find_element(By.ID, "view-chart").is_displayed() is False


def test_map_view_places_divisions_by_their_codes(hostile_server, page):
    from selenium.webdriver.common.by import By

    query = (
        "SELECT ?county ?code WHERE { ?d pkg:level pkg:County ; rdfs:label ?county ; pkg:adminCode ?code }"
        " ORDER BY ?code"
    )
    open_results(page, hostile_server.url, query, view="map")
    codes = page.execute_script("return window.pkgQuery.result.rows.map(r => r.code.value)")
    assert len(codes) >= 6
    wait(page, "return document.querySelectorAll('#view-map svg circle').length > 0")
    places = page.execute_script(
        "return [...document.querySelectorAll('#view-map svg a')].map(a => a.getAttribute('href'))"
    )
    assert sorted(places) == sorted(f"/place/{c}" for c in codes)
    note = page.find_element(By.CSS_SELECTOR, "#view-map .view-note").text
    from policykg.api.maps import available

    if available():  # the points lie on the provinces' boundaries, drawn from cnmaps offline
        provinces = page.execute_script(
            "return [...document.querySelectorAll('#view-map svg path.province title')].map(t => t.textContent)"
        )
        assert "云南省" in provinces and "boundaries (cnmaps)" in note, (provinces, note)
    else:
        assert "no background map" in note and "maps extra" in note


def test_a_shared_link_reruns_and_run_changes_the_link(hostile_server, page):
    from selenium.webdriver.common.by import By

    first = "SELECT ?doc ?title WHERE { ?doc a pkg:PolicyDocument ; dcterms:title ?title } ORDER BY ?title"
    open_results(page, hostile_server.url, first)
    assert editor_value(page) == first
    assert page.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert page.find_element(By.ID, "share").get_attribute("href") == page.current_url

    second = "SELECT ?s WHERE { ?s a pkg:Section } ORDER BY ?s LIMIT 2"
    page.execute_script("window.pkgQuery.editor.setValue(arguments[0])", second)
    page.find_element(By.ID, "run").click()
    wait(page, "return document.querySelectorAll('#results tbody tr').length === 2")
    assert shared_query(page) == second
    # the changed link opens the second query, run
    page.get("about:blank")
    open_results(page, hostile_server.url, second)
    assert len(page.find_elements(By.CSS_SELECTOR, "#results tbody tr")) == 2


def test_the_examples_are_a_side_menu_that_loads_into_the_editor(hostile_server, page):
    from selenium.webdriver.common.by import By

    from policykg.api.pages import EXAMPLES

    open_query(page, hostile_server.url + "/query")
    side, editor = page.execute_script(
        "var a = document.querySelector('aside.query-side').getBoundingClientRect(),"
        " e = document.querySelector('.CodeMirror').getBoundingClientRect();"
        "return [[a.left, a.right, a.top], [e.left, e.right, e.top, e.bottom]]"
    )
    assert side[1] <= editor[0] and side[2] < editor[3]  # beside the editor, at its left
    buttons = page.find_elements(By.CSS_SELECTOR, "aside button.example")
    assert [b.text for b in buttons] == [title for title, _, _ in EXAMPLES]
    title, _, text = EXAMPLES[1]
    buttons[1].click()
    assert editor_value(page) == text
    wait(page, "return document.querySelectorAll('#results tbody tr').length > 0")
    assert shared_query(page) == text


def test_hostile_labels_show_as_text(hostile_server, page):
    """Labels that are markup, in the table (as values and as the label of an IRI) and in the
    chart: read back literally, nothing runs, no element is added."""
    from selenium.webdriver.common.by import By

    doc = IRIS.document(DOC_ID)
    query = f"""SELECT ?section (COUNT(?task) AS ?tasks) WHERE {{
  ?s a pkg:Section ; rdfs:label ?section ; dcterms:isPartOf <{doc}> . ?task dcterms:isPartOf ?s .
}} GROUP BY ?s ?section ORDER BY ?section"""
    open_results(page, hostile_server.url, query, view="chart")
    wait(page, "return document.querySelectorAll('#view-chart svg rect').length > 0")
    titles = page.execute_script(
        "return [...document.querySelectorAll('#view-chart svg title')].map(t => t.textContent)"
    )
    assert "</script><script>window.__pwned=2</script>: 2" in titles
    page.find_element(By.CSS_SELECTOR, "#views button[data-view=table]").click()
    cells = [td.text for td in page.find_elements(By.CSS_SELECTOR, "#view-table td")]
    assert '"><svg onload=window.__pwned=3>' in cells

    assert_inert(page, "chart and table")
    assert page.execute_script("return document.querySelectorAll('svg').length") == 1  # the chart, no other

    programs = 'SELECT ?p ?pLabel WHERE { ?p a pkg:Program ; rdfs:label ?pLabel FILTER(CONTAINS(?pLabel, "<")) }'
    open_results(page, hostile_server.url, programs)
    link = page.find_element(By.CSS_SELECTOR, "#results td.iri a[href*='onerror']")
    assert link.text == HOSTILE_PROGRAMS[0]  # the IRI shown by its label, as text
    assert_inert(page, "labelled IRIs")
    assert page.execute_script("return document.querySelectorAll('svg').length") == 0  # no chart for this one


def assert_inert(driver, where: str) -> None:
    """No alert open, no payload flag set, no element or attribute a payload would add."""
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - raises unless an alert() is open
    assert driver.execute_script("return typeof window.__pwned") == "undefined", where
    injected = "img, b, iframe, [onerror], [onload], [onmouseover], main script"
    assert driver.execute_script(f"return document.querySelectorAll('{injected}').length") == 0, where


def test_the_page_fits_a_phone(hostile_server, page):
    page.set_window_size(390, 844)
    query = "SELECT ?t ?l WHERE { ?t a pkg:Task ; rdfs:label ?l ; pkg:hasTarget ?g } ORDER BY ?t LIMIT 8"
    open_results(page, hostile_server.url, query)
    wait(page, "return document.querySelectorAll('#results td').length > 0")
    wide, screen, editor, table = page.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.querySelector('.CodeMirror').getBoundingClientRect().right,"
        " document.querySelector('#view-table').getBoundingClientRect().right]"
    )
    assert wide <= screen and editor <= screen and table <= screen, (wide, screen, editor, table)
    # the examples come after the results on a phone
    assert page.execute_script(
        "return document.querySelector('aside.query-side').getBoundingClientRect().top >"
        " document.querySelector('#results').getBoundingClientRect().top"
    )
