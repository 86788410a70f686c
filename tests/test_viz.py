"""The standalone export (policykg viz) and the /explore API routes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore
from policykg.loaders.records import DocumentRecord, EntityKind, Mention, PartRef, ProgramRecord, Span, TaskRecord
from policykg.ontology import PKG
from policykg.settings import load_settings
from policykg.viz.export import network_data, render_standalone, write_standalone
from policykg.viz.visdata import script_json
from support.common import run_cli
from support.network_fixture import HOSTILE, fixture_store

BASE = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def store():
    return fixture_store()


@pytest.fixture(scope="module")
def client(store, tmp_path_factory):
    from policykg.api.app import create_app

    settings = load_settings(store=str(tmp_path_factory.mktemp("unused")))
    app = create_app(settings, store=fixture_store(tmp_path_factory.mktemp("net") / "store"))
    with TestClient(app) as c:
        yield c


def _external_urls(html: str) -> list[str]:
    """URLs the page would load: src/href attributes and CSS url(), excluding data: and fragments."""
    refs = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html) + re.findall(r'url\(\s*["\']?([^"\')]+)', html)
    return [r for r in refs if not r.startswith(("data:", "#"))]


def test_script_json_cannot_close_the_script():
    s = script_json({"label": "</script><script>alert(1)</script><!--"})
    assert "<" not in s and ">" not in s


def test_standalone_is_offline_and_escaped(store, tmp_path):
    out = tmp_path / "net.html"
    info = write_standalone(store, out)
    html = out.read_text(encoding="utf-8")
    assert info["nodes"] > 20 and info["edges"] > 20
    assert "vis-network" in html and "Content-Security-Policy" in html and "connect-src 'none'" in html
    assert _external_urls(html) == []
    # the hostile label is only present JSON-escaped
    assert HOSTILE not in html and "<img src=x" not in html
    assert "\\u003cimg src=x" in html
    # no HTML popups
    data = network_data(store)
    assert all("title" not in n for n in data["nodes"]) and all("title" not in e for e in data["edges"])


def test_standalone_focus_and_trace(store):
    d = network_data(store, focus="三名工程", depth=1)
    ids = {n["id"] for n in d["nodes"]}
    assert BASE + "program/名长建设工程" in ids and BASE + "doc/kunming-2017/task/7" not in ids
    assert all("x" in n and "y" in n for n in d["nodes"])
    assert d["options"]["physics"]["enabled"]  # small: physics on
    t = network_data(store, trace_program="全面改薄")
    assert {n["fullLabel"] for n in t["nodes"] if n["kind"] == "program"} == {
        "全面改薄",
        "全面改薄——中小学教育信息化建设项目",
    }
    assert any(e.get("quote") for e in t["edges"])
    big = network_data(store, max_nodes=5)
    assert len(big["nodes"]) == 5 and big["omitted"] > 0
    assert "window.__pwned" not in render_standalone(network_data(store)).split("pkg-data")[0]


def test_cli_viz_writes_a_file(sample_store_path, tmp_path):
    out = tmp_path / "v.html"
    proc = run_cli(
        "viz", "--focus", "三名工程", "--depth", "2", "-o", str(out), "--store", str(sample_store_path), check=True
    )
    assert out.exists() and b"nodes" in proc.stderr
    assert _external_urls(out.read_text(encoding="utf-8")) == []


# -- API ----------------------------------------------------------------------------------
def test_explore_page_and_assets(client):
    r = client.get("/explore")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    refs = _external_urls(r.text)
    assert [u for u in refs if u.startswith("/explore/static/")] == [
        "/explore/static/vis-network.css",
        "/explore/static/explore.css",
        "/explore/static/vis-network.min.js",
        "/explore/static/explore.js",
    ]
    # the rest is the site's header: links to this server's pages
    assert [u for u in refs if not u.startswith("/explore/static/")] == [
        "/",
        "/",
        "/query",
        "/compare",
        "/api/docs",
        "/sparql",
        "/explore",
    ]
    for name in ("explore.js", "explore.css", "vis-network.min.js", "vis-network.css"):
        assert client.get(f"/explore/static/{name}").status_code == 200
    assert client.get("/explore/static/..%2Fexport.py").status_code == 404
    assert client.get("/explore/static/nothing.js").status_code == 404


def test_api_search_node_details(client):
    cfg = client.get("/api/explore/config").json()
    assert {k["kind"] for k in cfg["legend"]} >= {"program", "task", "target", "division", "summary"}
    assert len(cfg["documents"]) == 2
    hits = client.get("/api/explore/search", params={"q": "三名工程"}).json()["results"]
    assert hits[0]["iri"] == BASE + "program/三名工程" and hits[0]["kind"] == "program"
    assert client.get("/api/explore/search", params={"q": "寻甸"}).json()["results"][0]["kind"] == "division"
    node = client.get("/api/explore/node", params={"iri": BASE + "program/三名工程", "x": 100, "y": 50}).json()
    labels = {n["fullLabel"] for n in node["nodes"]}
    assert {"名校建设工程", "名师培养工程", "名长建设工程"} <= labels
    assert all("x" in n and "y" in n and "title" not in n for n in node["nodes"])
    assert {(e["from"], e["to"]) for e in node["edges"]} >= {(BASE + "program/名校建设工程", BASE + "program/三名工程")}
    d = client.get("/api/explore/details", params={"iri": BASE + "doc/kunming-2017/task/7"}).json()
    assert d["quotes"][0]["quote"].startswith("7.实施名校建设工程")
    secs = client.get("/api/explore/sections", params={"document": BASE + "doc/kunming-2017"}).json()["sections"]
    assert [s["ordinal"] for s in secs] == [1, 2, 3]
    bad = client.get("/api/explore/node", params={"iri": BASE + "nothing"})
    assert bad.status_code == 404 and bad.json()["error"]["code"] == "not_found"
    assert client.get("/api/explore/node", params={"iri": "x> } DROP ALL {"}).status_code == 400


def test_api_trace_path_rankings(client):
    t = client.get("/api/trace", params={"program": "三名工程"}).json()
    assert t["program"]["label"] == "三名工程" and t["counts"]["program"] == 4
    assert len(t["vis"]["nodes"]) == len(t["nodes"]) and all("x" in n for n in t["vis"]["nodes"])
    assert client.get("/api/trace", params={"program": "不存在"}).status_code == 404
    p = client.get("/api/path", params={"a": "名师培养工程", "b": "寻甸"}).json()
    assert p["nodes"][0]["label"] == "名师培养工程" and p["nodes"][-1]["label"] == "寻甸回族彝族自治县"
    assert len(p["vis"]["edges"]) == p["length"]
    r = client.get("/api/rankings", params={"limit": 3}).json()
    assert r["programs"][0]["label"] == "三名工程" and r["indicators"][0]["label"] == "新增优质学校"


def _crowded_store(n_tasks: int, path) -> OxigraphStore:
    """One program named by many tasks: its neighbourhood must be summarised."""
    lines = [f"{i}.任务{i}。实施大工程。" for i in range(1, n_tasks + 1)]
    text = "\n".join(lines) + "\n"
    doc = DocumentRecord("crowd", "crowd.txt", "2" * 64, "text/plain", "utf-8", text, title="crowd")
    pos = 0
    for i, line in enumerate(lines, start=1):
        doc.tasks.append(
            TaskRecord(
                i,
                str(i),
                f"任务{i}",
                Span(pos + len(str(i)) + 1, pos + len(str(i)) + 1 + len(f"任务{i}")),
                Span(pos, pos + len(line)),
                None,
            )
        )
        j = pos + line.index("大工程")
        doc.mentions.append(Mention(EntityKind.PROGRAM, "大工程", "大工程", Span(j, j + 3), PartRef.task(i)))
        pos += len(line) + 1
    doc.programs = {"大工程": ProgramRecord("大工程")}
    s = OxigraphStore(path)
    s.replace_graph(IriScheme().graph("crowd"), document_quads(doc), doc.sha256)
    return s


def test_large_neighbourhood_is_summarised(tmp_path):
    from policykg.api.app import create_app

    s = _crowded_store(145, tmp_path / "store")
    with TestClient(create_app(load_settings(store=str(tmp_path / "store")), store=s)) as c:
        prog = BASE + "program/大工程"
        data = c.get("/api/explore/node", params={"iri": prog}).json()
        tasks = [n for n in data["nodes"] if n["kind"] == "task"]
        summary = [n for n in data["nodes"] if n["kind"] == "summary"]
        assert len(tasks) == 25 and len(summary) == 1 and summary[0]["label"] == "+120 tasks"
        more = summary[0]["summary"]
        nxt = c.get("/api/explore/node", params={"iri": prog, "group": more["group"], "offset": more["offset"]}).json()
        ids = {n["id"] for n in nxt["nodes"] if n["kind"] == "task"}
        assert len(ids) == 25 and not ids & {n["id"] for n in tasks}
        assert [n["label"] for n in nxt["nodes"] if n["kind"] == "summary"] == ["+95 tasks"]


def test_api_starting_points(client):
    r = client.get("/api/explore/start", params={"programs": 3})
    assert r.status_code == 200
    body = r.json()
    assert [p["label"] for p in body["programs"]][:1] == ["三名工程"]  # its parts, its section and task
    assert len(body["programs"]) == 3
    assert body["programs"][0]["links"] >= body["programs"][1]["links"] >= body["programs"][2]["links"]
    assert {d["label"] for d in body["documents"]} == {"昆明市2017年工作要点", "寻甸县2018年教育工作要点"}
    assert client.get("/api/explore/start", params={"programs": 99}).status_code == 400


def test_api_trace_csv(client):
    import csv
    import io

    r = client.get("/api/explore/trace.csv", params={"program": "三名工程"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    trace = client.get("/api/trace", params={"program": "三名工程"}).json()
    assert len(rows) == len(trace["edges"])
    part = next(r for r in rows if r["link"] == "partOf" and r["from_label"] == "名师培养工程")
    assert part["to_label"] == "三名工程" and part["link_words"] == "隶属于 part of"
    assert part["quote"] == "名师培养工程" and part["document"].endswith("/doc/kunming-2017")
    assert int(part["end"]) - int(part["start"]) == len("名师培养工程")
    task = f"{BASE}doc/kunming-2017/task/8"
    rests = client.get("/api/explore/rests-on.csv", params={"task": task})
    assert rests.status_code == 200 and "名师培养工程" in rests.content.decode("utf-8")
    assert rests.content.decode("utf-8-sig").split("\r\n")[0] == r.content.decode("utf-8-sig").split("\r\n")[0]
    assert client.get("/api/explore/trace.csv").status_code == 400
    assert client.get("/api/explore/trace.csv", params={"program": "no such program"}).status_code == 404


def test_links_have_chinese_and_english_words_and_levels(client):
    from policykg.graph.kinds import EdgeKind
    from policykg.viz.edge_words import edge_words

    words = edge_words()
    assert all(words[str(k)]["zh"] and words[str(k)]["en"] for k in EdgeKind), words  # every link, from the ontology
    data = client.get("/api/trace", params={"program": "三名工程"}).json()
    edges = {e["kind"]: e for e in data["vis"]["edges"]}
    assert edges["partOf"]["label"] == "隶属于 part of" and edges["hasTarget"]["label"] == "设定目标 has target"
    assert all(e["font"]["size"] >= 12 for e in data["vis"]["edges"])
    level = {n["fullLabel"]: n["level"] for n in data["vis"]["nodes"]}
    assert level["三名工程"] == 0 and level["名师培养工程"] == 1
    assert level["实施名师培养工程"] == 2 and level["新增优质学校11所"] == 3 and level["寻甸回族彝族自治县"] == 4
    # what a task rests on: by depth from the task
    rests = client.get("/api/rests-on", params={"task": f"{BASE}doc/kunming-2017/task/8"}).json()
    level = {n["fullLabel"]: n["level"] for n in rests["vis"]["nodes"]}
    assert level["实施名师培养工程"] == 0 and level["名师培养工程"] == 1 and level["三名工程"] == 2, level
    node = data["vis"]["nodes"][0]
    assert node["color"]["highlight"]["background"] == node["color"]["background"]


def test_side_panel_groups(client):
    d = client.get("/api/explore/details", params={"iri": f"{BASE}doc/kunming-2017/task/13"}).json()
    groups = {g["key"]: g for g in d["groups"]}
    assert list(groups) == ["names", "links", "values", "source", "type"]
    links = {p["name"]: p for p in groups["links"]["properties"]}
    assert links["pkg:mentions"]["words"] == "提到 mentions"
    assert {v["text"] for v in links["pkg:mentions"]["values"]} == {"呈贡区", "寻甸回族彝族自治县"}
    assert all(v["node"] for v in links["pkg:mentions"]["values"])
    assert groups["type"]["properties"][0]["values"] == [{"text": "pkg:Task", "iri": PKG + "Task"}]
