"""Screenshots for the docs (docs/img/): the pages drawn in headless Chromium, as a user sees them.

    python scripts/screenshots.py

Builds a small store of real-looking plans (two cities and a county over five years, the data of
tests/test_compare.py), serves it on loopback and saves a screenshot of each chart and map: the
compare page, a county's place page and its province's choropleth; and, with the sample added,
a program's page, the query page and a trace in the network view (the README shows these). Needs Debian's chromium and
chromedriver, like the browser tests, and the maps extra.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

PLANS = {
    "kunming-2016": ("昆明市2016年教育工作要点", "到2016年底，全市学前三年毛入园率达到85%以上。"),
    "kunming-2018": ("昆明市2018年教育工作要点", "到2018年底，全市学前三年毛入园率达到90%以上。"),
    "kunming-2020": ("昆明市2020年教育工作要点", "到2020年，全市学前三年毛入园率达到95%以上。"),
    "qujing-2018": ("曲靖市2018年教育工作要点", "到2018年底，全市学前三年毛入园率达到88%。"),
    "xundian-2018": ("寻甸县2018年教育工作要点", "到2018年底，全县学前三年毛入园率达到80%以上。"),
}


def main() -> None:
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.store import OxigraphStore
    from support.browser import open_chromium, wait
    from support.servers import LiveServer

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for name, (title, goal) in PLANS.items():
            path = folder / f"{name}.txt"
            path.write_text(
                f"{title}\n一、重点任务\n1.发展学前教育。{goal}\n2.加强师资。培训教师。\n", encoding="utf-8"
            )
            paths.append(path)
        paths.append(REPO / "samples" / "kunming-2017-education-workplan.txt")
        store = OxigraphStore(folder / "store")
        ingest_files(store, paths, IriScheme())
        store.close()
        server = LiveServer(folder / "store")
        driver = open_chromium(folder / "profile")
        try:
            driver.set_window_size(1000, 900)
            for path, ready, name in (
                ("/compare?indicator=学前三年毛入园率", "#chart", "compare.png"),
                ("/place/530129", "#place-map", "place.png"),
                ("/place/530000", "#choropleth", "choropleth.png"),
                ("/id/program/三名工程", "table.program", "program.png"),
                (
                    "/query?query=SELECT%20%3Ft%20%3Fl%20WHERE%20%7B%20%3Ft%20a%20pkg%3ATask%20%3B%20rdfs%3Alabel%20%3Fl%20%7D%20LIMIT%208",
                    "#results td",
                    "query.png",
                ),
                ("/explore?trace=三名工程", "#details .node-label", "explore.png"),
            ):
                driver.get(server.url + path)
                wait(driver, f"return document.querySelector('{ready}')")
                if name == "explore.png":
                    wait(driver, "return window.pkgExplore && window.pkgExplore.ready && window.pkgExplore.isIdle()")
                elif name != "query.png":  # the query page shows editor and results in one screen
                    driver.execute_script(f"document.querySelector('{ready}').scrollIntoView()")
                out = REPO / "docs" / "img" / name
                driver.save_screenshot(str(out))
                print(f"wrote {out.relative_to(REPO)}")
        finally:
            driver.quit()
            server.stop()


if __name__ == "__main__":
    main()
