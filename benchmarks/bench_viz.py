"""Benchmark the network view on a large synthetic store.

    python benchmarks/bench_viz.py [--docs 1200] [--tasks 40] [--browser] [--store DIR]

Builds (once, in --store) a store of synthetic documents through the real graph
builder: every document has sections, tasks, one target per task, mentions of
shared programs (one "hot" program named by every task) and divisions. Reports
server-side times of the reads /explore makes (config, search, expand the hot
node, expand a task, side panel), trace, rankings, and, with --browser, the time
to first draw and to expand a node in headless Chromium, and the first draw of a
trace as the view's hierarchy (``/explore?trace=``, until ``<body data-ready="1">``)
for a program of 441 nodes and for the hot one (cut at max_trace_nodes, drawn up
to the view's HIERARCHY_MAX_NODES; ``--hierarchy-max N`` tries another cap).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore
from policykg.loaders.records import (
    Comparator,
    DivisionLevel,
    DivisionRecord,
    DocumentRecord,
    EntityKind,
    Mention,
    PartRef,
    ProgramRecord,
    SectionRecord,
    Span,
    TargetRecord,
    TaskRecord,
)

HOT = "热点工程"
N_PROGRAMS = 300


def synthetic_record(i: int, tasks: int) -> DocumentRecord:
    parts: list[str] = [f"第{i}号文件工作要点\n"]
    doc = DocumentRecord(
        f"synthetic-{i:05d}",
        f"synthetic-{i:05d}.txt",
        f"{i:064x}",
        "text/plain",
        "utf-8",
        "",
        title=f"第{i}号文件工作要点",
        jurisdiction=f"53{i % 16:02d}00",
    )
    pos = len(parts[0])
    per_section = max(1, tasks // 5)
    for t in range(1, tasks + 1):
        sec = (t - 1) // per_section + 1
        if (t - 1) % per_section == 0:
            head = f"{sec}、第{sec}部分\n"
            doc.sections.append(
                SectionRecord(
                    sec, str(sec), f"第{sec}部分", Span(pos + 2, pos + len(head) - 1), Span(pos, pos + len(head))
                )
            )
            parts.append(head)
            pos += len(head)
        prog = f"项目{(i * 7 + t) % N_PROGRAMS}工程"
        line = f"{t}.任务{t}。实施{HOT}和{prog},指标{t % 50}达到{t}%以上。\n"
        title = f"任务{t}"
        doc.tasks.append(
            TaskRecord(
                t,
                str(t),
                title,
                Span(pos + len(str(t)) + 1, pos + len(str(t)) + 1 + len(title)),
                Span(pos, pos + len(line) - 1),
                sec,
            )
        )
        for name in (HOT, prog):
            j = pos + line.index(name)
            doc.mentions.append(Mention(EntityKind.PROGRAM, name, name, Span(j, j + len(name)), PartRef.task(t)))
            doc.programs[name] = ProgramRecord(name, part_of=None if name == HOT else HOT if t % 3 == 0 else None)
        k = pos + line.index("指标")
        target = f"指标{t % 50}达到{t}%以上"
        code = f"53{(i + t) % 16:02d}{t % 30:02d}"
        doc.divisions[code] = DivisionRecord(code, f"区县{code}", DivisionLevel.COUNTY, f"53{(i + t) % 16:02d}00")
        doc.targets.append(
            TargetRecord(
                PartRef.task(t),
                f"指标{t % 50}",
                Span(k, k + len(target)),
                value=Decimal(t),
                unit="%",
                comparator=Comparator.AT_LEAST,
                divisions=[code],
            )
        )
        parts.append(line)
        pos += len(line)
    doc.text = "".join(parts)
    return doc


#: Bump when graph.build changes the layout of the store, so an old bench store is rebuilt.
LAYOUT = "entity-graphs-1"


def build_store(path: Path, docs: int, tasks: int) -> OxigraphStore:
    marker = path / ".bench.json"
    spec = {"docs": docs, "tasks": tasks, "layout": LAYOUT}
    if marker.exists() and json.loads(marker.read_text()) == spec:
        return OxigraphStore(path)
    shutil.rmtree(path, ignore_errors=True)
    store = OxigraphStore(path)
    iris = IriScheme()
    t0 = time.perf_counter()
    for i in range(docs):
        rec = synthetic_record(i, tasks)
        store.replace_graph(iris.graph(rec.doc_id), document_quads(rec, iris), rec.sha256)
    store.flush()
    marker.write_text(json.dumps(spec))
    print(f"built {docs} documents in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return store


def timed(fn, repeat: int = 3):
    print(f"timing {getattr(fn, '__name__', fn)} …", file=sys.stderr, flush=True)
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1200)
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "policykg-bench-viz")
    ap.add_argument("--browser", action="store_true", help="also measure in headless Chromium")
    ap.add_argument("--hierarchy-max", type=int, default=None, help="draw at most N nodes of a trace's hierarchy")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from policykg.api.app import create_app
    from policykg.graph.projection import PROJECTIONS
    from policykg.settings import load_settings

    store = build_store(args.store, args.docs, args.tasks)
    if args.hierarchy_max is not None:
        import policykg.viz.routes as routes

        routes.HIERARCHY_MAX_NODES = args.hierarchy_max
    try:
        from policykg.graph.label_index import LABEL_INDEXES
    except ImportError:  # an older checkout (to measure the "before" on the same store)
        try:
            from policykg.graph.queries import LABEL_INDEXES
        except ImportError:
            LABEL_INDEXES = None

    report: dict[str, object] = {"machine": machine(), "documents": args.docs, "quads": store.count()}
    report["projection_build_s"], g = timed(lambda: (PROJECTIONS.clear(), PROJECTIONS.get(store))[1], 1)
    report["nodes"], report["edges"] = g.number_of_nodes(), g.number_of_edges()
    app = create_app(load_settings(store=str(args.store)), store=store)
    base = "https://w3id.org/policykg/id/"
    hot = base + "program/" + HOT
    with TestClient(app) as c:

        def get(path, **params):
            r = c.get(path, params=params)
            assert r.status_code == 200, (path, r.text[:300])
            return r.json() if r.headers.get("content-type", "").startswith("application/json") else r.content

        # baselines in the same run: the cheapest request through the app, and a trivial query
        report["baseline_ask_s"], _ = timed(
            lambda: c.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}),
            5,
        )
        # cold: the first search after start (or after a write) reads the label index
        if LABEL_INDEXES is not None:
            LABEL_INDEXES.clear()
        report["search_cold_s"], _ = timed(lambda: get("/api/explore/search", q=HOT), 1)
        report["config_s"], _ = timed(lambda: get("/api/explore/config"), 1)
        report["search_s"], hits = timed(lambda: get("/api/explore/search", q=HOT), 5)
        assert hits["results"][0]["iri"] == hot
        report["search_common_s"], common = timed(lambda: get("/api/explore/search", q="任务"), 5)
        report["search_common_matches"] = len(common["results"])
        report["expand_hot_program_s"], data = timed(lambda: get("/api/explore/node", iri=hot))
        report["expand_hot_program_drawn_nodes"] = len(data["nodes"])
        report["expand_hot_program_summaries"] = [n["label"] for n in data["nodes"] if n["kind"] == "summary"]
        summary = next(n for n in data["nodes"] if n["kind"] == "summary" and n["summary"]["count"] > 1000)["summary"]
        report["page_hot_group_s"], _ = timed(
            lambda: get("/api/explore/node", iri=hot, group=summary["group"], offset=summary["offset"])
        )
        task = f"{base}doc/synthetic-00007/task/3"
        report["expand_task_s"], _ = timed(lambda: get("/api/explore/node", iri=task), 5)
        report["details_s"], _ = timed(lambda: get("/api/explore/details", iri=hot), 5)
        report["details_task_s"], _ = timed(lambda: get("/api/explore/details", iri=task), 5)
        report["trace_small_program_s"], tr = timed(lambda: get("/api/trace", program="项目5工程"))
        report["trace_small_program_nodes"] = len(tr["nodes"])
        report["trace_hot_program_s"], tr = timed(lambda: get("/api/trace", program=HOT))
        report["trace_hot_program_nodes"] = len(tr["nodes"])
        report["trace_csv_small_program_s"], _ = timed(lambda: get("/api/explore/trace.csv", program="项目5工程"))
        report["start_points_cold_s"], _ = timed(lambda: get("/api/explore/start"), 1)
        report["start_points_s"], _ = timed(lambda: get("/api/explore/start"), 5)
        report["neighbours_hot_s"], _ = timed(lambda: get("/api/neighbours", iri=hot))
        report["rankings_s"], _ = timed(lambda: get("/api/rankings", limit=10), 1)
        report["path_s"], _ = timed(lambda: get("/api/path", a="项目5工程", b="项目77工程"), 1)
    if args.browser:
        report.update(browser_times(app, hot))
    for key in ("search_s", "expand_hot_program_s", "details_s", "trace_small_program_s"):
        report[key.removesuffix("_s") + "_x_expand_task"] = round(report[key] / report["expand_task_s"], 1)
    print(json.dumps(report, ensure_ascii=False, indent=1))


def machine() -> dict[str, object]:
    """The machine, as every benchmark reports it (run.py's ``machine``)."""
    from run import machine as run_machine

    return run_machine()


def browser_times(app, hot: str) -> dict[str, object]:
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for f in (
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
        opts.add_argument(f)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:

        def wait(script, *a):
            while not d.execute_script(script, *a):
                time.sleep(0.01)

        def run(script, *a):
            """Time an async action of the page until the canvas has drawn its result."""
            t = time.perf_counter()
            d.execute_script(
                "window.__done = false; Promise.resolve(" + script + ").then(function () "
                "{ window.pkgExplore.network.once('afterDrawing', function () { window.__done = true; }); "
                "window.pkgExplore.network.redraw(); });",
                *a,
            )
            wait("return window.__done")
            return round(time.perf_counter() - t, 3)

        # baseline: the empty page (script, vis-network, config) until it is ready
        t0 = time.perf_counter()
        d.get(f"http://127.0.0.1:{port}/explore")
        wait("return window.pkgExplore && window.pkgExplore.ready && window.pkgExplore.isIdle()")
        blank = round(time.perf_counter() - t0, 3)

        t0 = time.perf_counter()
        d.get(f"http://127.0.0.1:{port}/explore?focus={hot}")
        wait("return window.pkgExplore && window.pkgExplore.ready && window.pkgExplore.isIdle()")
        d.execute_script(
            "window.__drawn = false; window.pkgExplore.network.once('afterDrawing', function () "
            "{ window.__drawn = true; }); window.pkgExplore.network.redraw();"
        )
        wait("return window.__drawn")
        first = round(time.perf_counter() - t0, 3)
        task = d.execute_script(
            "return window.pkgExplore.nodes.getIds().filter(function (i) { return i.indexOf('/task/') > 0; })[0]"
        )
        expand = run("window.pkgExplore.expand(arguments[0])", task)
        summary = d.execute_script(
            "return window.pkgExplore.nodes.get().filter(function (n) "
            "{ return n.kind === 'summary' && n.summary.count > 1000; })[0].id"
        )
        more = run("window.pkgExplore.loadMore(arguments[0])", summary)
        search = run("window.pkgExplore.search(arguments[0])", HOT)
        n = d.execute_script("return window.pkgExplore.nodes.length")
        physics = d.execute_script("return window.pkgExplore.network.physics.physicsEnabled")

        def trace_draw(program: str) -> tuple[float, int, str]:
            """A trace's first draw as the view's hierarchy: from opening its link until the page
            says it is drawn (``<body data-ready="1">``), median of 3."""
            times = []
            for _ in range(3):
                d.get("about:blank")
                t0 = time.perf_counter()
                d.get(f"http://127.0.0.1:{port}/explore?trace={quote(program)}")
                wait(
                    "return document.body && document.body.getAttribute('data-ready') === '1'"
                    " && window.pkgExplore.isHierarchical()"
                )
                times.append(time.perf_counter() - t0)
            drawn = d.execute_script("return window.pkgExplore.nodes.length")
            return (
                round(statistics.median(times), 3),
                drawn,
                d.execute_script("return document.getElementById('status').textContent"),
            )

        def trace_in_page(program: str) -> float:
            """The same trace started from the loaded, empty page (no page load), median of 3."""
            times = []
            for _ in range(3):
                d.get(f"http://127.0.0.1:{port}/explore")
                wait("return document.body && document.body.getAttribute('data-ready') === '1'")
                t0 = time.perf_counter()
                d.execute_script("window.pkgExplore.trace(arguments[0])", program)
                wait("return document.body.getAttribute('data-ready') === '1' && window.pkgExplore.isHierarchical()")
                times.append(time.perf_counter() - t0)
            return round(statistics.median(times), 3)

        small = trace_draw("项目5工程")
        in_page = trace_in_page("项目5工程")
        hot_trace = trace_draw(HOT)
        return {
            "browser_trace_in_page_s": in_page,
            "browser_trace_first_draw_s": small[0],
            "browser_trace_nodes_drawn": small[1],
            "browser_trace_status": small[2],
            "browser_trace_hot_first_draw_s": hot_trace[0],
            "browser_trace_hot_nodes_drawn": hot_trace[1],
            "browser_trace_hot_status": hot_trace[2],
            "browser_blank_page_s": blank,
            "browser_first_draw_s": first,
            "browser_expand_s": expand,
            "browser_load_more_s": more,
            "browser_search_s": search,
            "browser_nodes_drawn": n,
            "browser_physics_on": physics,
        }
    finally:
        d.quit()
        srv.should_exit = True
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
