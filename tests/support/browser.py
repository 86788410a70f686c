"""A real headless Chromium (Debian ``chromium`` + ``chromedriver``) for the browser tests, and the
waits they share. conftest's ``driver`` fixture opens one per test with :func:`open_chromium`.

The ``/explore`` helpers (:func:`idle`, :func:`click_node`, :func:`node_ids`) read the page's
``window.pkgExplore`` hook; :func:`click_node` is a real mouse click on the node's place on the canvas.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

#: For a browser test module: the ``browser`` marker, and a skip where Chromium is missing.
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian chromium at {CHROMIUM}"),
]


def open_chromium(profile: Path):
    """Headless Chromium with a fresh profile, no background traffic, and the browser console and
    network log kept (``driver.get_log("browser")`` / ``("performance")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,900",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, script: str, timeout: float = 15.0, *args):
    """The first truthy value of ``script`` (polled), or fail after ``timeout`` seconds."""
    end = time.time() + timeout
    while time.time() < end:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {script}")


def idle(driver) -> None:
    """Until /explore is ready and has no request or layout under way."""
    wait(driver, "return window.pkgExplore && window.pkgExplore.ready && window.pkgExplore.isIdle()")
    time.sleep(0.1)
    wait(driver, "return window.pkgExplore.isIdle()")


def node_ids(driver) -> set[str]:
    return set(driver.execute_script("return window.pkgExplore.nodes.getIds()"))


def click_node(driver, iri: str) -> None:
    """A real mouse click on the node's place on the /explore canvas; waits until it is selected."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver.execute_script("var n = window.pkgExplore.network; n.stopSimulation(); n.fit({animation: false});")
    time.sleep(0.1)
    pos = driver.execute_script(
        "var n = window.pkgExplore.network; return n.canvasToDOM(n.getPosition(arguments[0]));", iri
    )
    canvas = driver.find_element(By.CSS_SELECTOR, "#net canvas")
    w, h = canvas.size["width"], canvas.size["height"]
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(pos["x"] - w / 2), int(pos["y"] - h / 2)
    ).click().perform()
    wait(driver, "return window.pkgExplore.network.getSelectedNodes()[0] === arguments[0]", 10, iri)
    idle(driver)


def severe(driver) -> list[str]:
    """The browser console's errors so far."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
