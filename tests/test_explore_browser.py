"""/explore and the standalone export in a real headless Chromium (Debian chromium + chromedriver)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from network_fixture import HOSTILE, fixture_store

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BASE = "https://w3id.org/policykg/id/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from policykg.api.app import create_app
    from policykg.settings import load_settings

    path = tmp_path_factory.mktemp("browser") / "store"
    app = create_app(load_settings(store=str(path)), store=fixture_store(path))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)


@pytest.fixture()
def driver(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def _wait(driver, script: str, timeout: float = 15.0, *args):
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def _idle(driver):
    _wait(driver, "return window.pkgExplore && window.pkgExplore.ready && window.pkgExplore.isIdle()")
    time.sleep(0.1)
    _wait(driver, "return window.pkgExplore.isIdle()")


def _node_ids(driver) -> set[str]:
    return set(driver.execute_script("return window.pkgExplore.nodes.getIds()"))


def _click_node(driver, iri: str) -> None:
    """A real mouse click on the node's place on the canvas."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("var n = window.pkgExplore.network; n.stopSimulation(); n.fit({animation: false});")
    time.sleep(0.1)
    pos = driver.execute_script(
        "var n = window.pkgExplore.network; return n.canvasToDOM(n.getPosition(arguments[0]));", iri)
    canvas = driver.find_element(By.CSS_SELECTOR, "#net canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(driver).move_to_element_with_offset(canvas, int(pos["x"] - w / 2), int(pos["y"] - h / 2)) \
        .click().perform()
    _wait(driver, "return window.pkgExplore.network.getSelectedNodes()[0] === arguments[0]", 10, iri)
    _idle(driver)


def _severe(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_search_expand_parts_tasks_and_quote(server, driver):
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore")
    _idle(driver)
    box = driver.find_element(By.ID, "search")
    box.send_keys("三名工程")
    driver.find_element(By.ID, "search-go").click()
    first = _wait(driver, "return document.querySelector('#results li button')")
    assert first.get_attribute("data-iri") == BASE + "program/三名工程"
    first.click()
    _idle(driver)
    parts = [BASE + "program/" + p for p in ("名校建设工程", "名师培养工程", "名长建设工程")]
    assert set(parts) <= _node_ids(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == "三名工程"

    # expand each part with a click on the canvas: its tasks appear
    for part in parts:
        _click_node(driver, part)
    ids = _node_ids(driver)
    for n in (7, 8, 9):
        assert f"{BASE}doc/kunming-2017/task/{n}" in ids
    assert f"{BASE}doc/xundian-2018/task/1" in ids

    # the side panel shows the task's source quote
    _click_node(driver, f"{BASE}doc/kunming-2017/task/8")
    _wait(driver, "return document.querySelector('#details [data-role=source-quote]')")
    quote = driver.find_element(By.CSS_SELECTOR, "#details [data-role=source-quote]").text
    assert "8.实施名师培养工程" in quote and "选派100位名师" in quote
    # expanding a task shows its target
    assert any("/target/" in i for i in _node_ids(driver))

    # filters: hide tasks through the legend
    driver.find_element(By.CSS_SELECTOR, "#legend input[data-kind=task]").click()
    shown = driver.execute_script("return window.pkgExplore.network.body.data.nodes.getIds()")
    assert not any("/task/" in i for i in shown)

    # trace mode highlights the program's reach
    driver.find_element(By.ID, "trace-input").send_keys("全面改薄")
    driver.find_element(By.ID, "trace-go").click()
    _idle(driver)
    assert "trace 全面改薄" in driver.find_element(By.ID, "status").text
    assert f"{BASE}doc/kunming-2017/task/20" in _node_ids(driver)
    assert _severe(driver) == []


def test_hostile_label_executes_nothing(server, driver):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.get(server + "/explore?q=onerror")
    _idle(driver)
    btn = _wait(driver, "return document.querySelector('#results li button')")
    assert HOSTILE in btn.text
    btn.click()
    _idle(driver)
    assert driver.find_element(By.CSS_SELECTOR, "#details .node-label").text == HOSTILE
    assert driver.execute_script("return typeof window.__pwned") == "undefined"
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    # the API's page also starts from a resource (?focus=IRI)
    driver.get(server + "/explore?focus=" + BASE + "program/三名工程")
    _idle(driver)
    assert BASE + "program/名长建设工程" in _node_ids(driver)
    assert _severe(driver) == []


def test_standalone_html_draws_offline(driver, tmp_path):
    from policykg.viz.export import write_standalone

    out = tmp_path / "network.html"
    write_standalone(fixture_store(), out)
    driver.get(Path(out).as_uri())
    _wait(driver, "return window.__pkgDrawn === true")
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
    assert _severe(driver) == []
