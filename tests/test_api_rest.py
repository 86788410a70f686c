"""The JSON API, uploads and the HTML pages: what routes answer through the app in process (an
ASGI client, ``api_app``); uploads, which run in the server's worker processes, against a live
server."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import httpx
import pytest

from policykg.graph.iris import IriScheme
from support.common import API_TOKEN, AUTH, SAMPLE, assert_refused, copy_store, quads_of
from support.network_fixture import HOSTILE
from support.servers import AppClient, LiveServer

pytestmark = pytest.mark.remote

IRIS = IriScheme()
XUNDIAN = IRIS.document("xundian-2018")


def api(app, path, **params):
    r = app.get(path, params=params)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()


def page_path(iri: str) -> str:
    return "/id/" + quote(iri[len(IRIS.base) :], safe="/%-._~")


# -- JSON API ------------------------------------------------------------------------------------


def test_documents_list_and_pagination(api_app):
    page = api(api_app, "/api/documents")
    assert page["total"] == 3 and len(page["items"]) == 3
    iris = {d["iri"] for d in page["items"]}
    assert XUNDIAN in iris
    one = api(api_app, "/api/documents", offset=1, limit=1)
    assert one["total"] == 3 and len(one["items"]) == 1 and one["offset"] == 1
    doc = api(api_app, "/api/documents/xundian-2018")
    assert doc["title"] == "寻甸县2018年教育工作要点" and doc["spatial"]["iri"] == IRIS.division("530129")
    assert doc["tasks"] == 2 and doc["targets"] == 1


def test_outline_and_text(api_app):
    outline = api(api_app, "/api/documents/xundian-2018/outline")
    assert [s["label"] for s in outline["sections"]] == ["实施三名工程"]
    assert [t["label"] for t in outline["sections"][0]["tasks"]] == ["推进名校建设工程", "加强校园安全"]
    text = api(api_app, "/api/documents/xundian-2018/text")
    for span in text["spans"]:
        assert text["text"][span["start"] : span["end"]] == span["exact"]
    assert any(ref["kind"] == "Target" for s in text["spans"] for ref in s["evidence_for"])


def test_task_and_targets(api_app):
    task = api(api_app, "/api/tasks/xundian-2018/1")
    assert task["label"] == "推进名校建设工程" and task["section"]["label"] == "实施三名工程"
    assert [m["label"] for m in task["mentions"]] == ["名校建设工程"]
    assert task["targets"][0]["value"] == 2.0 and task["targets"][0]["unit"] == "所"
    tasks = api(api_app, "/api/tasks", document=XUNDIAN)
    assert tasks["total"] == 2


PKG = "https://w3id.org/policykg/ontology#"


@pytest.mark.parametrize(
    "params,where",
    [
        ({}, ""),
        ({"indicator": "新增优质学校"}, '?t pkg:indicator/rdfs:label ?il FILTER(CONTAINS(?il, "新增优质学校"))'),
        ({"division": "530129"}, "?t pkg:appliesTo/pkg:within* <https://w3id.org/policykg/id/division/530129>"),
        ({"division": "530100"}, "?t pkg:appliesTo/pkg:within* <https://w3id.org/policykg/id/division/530100>"),
        (
            {"comparator": "Exactly", "document": XUNDIAN},
            f"?t pkg:comparator pkg:Exactly ; prov:wasDerivedFrom <{XUNDIAN}>",
        ),
        ({"min_value": 10}, "?t pkg:value ?v FILTER(?v >= 10)"),
        ({"min_value": 1, "max_value": 5}, "?t pkg:value ?v FILTER(?v >= 1 && ?v <= 5)"),
    ],
)
def test_target_filters(api_app, params, where):
    expected = {r[0].value for r in api_app.store.query(f"SELECT DISTINCT ?t WHERE {{ ?t a pkg:Target . {where} }}")}
    page = api(api_app, "/api/targets", **params)
    assert page["total"] == len(expected)
    assert {t["iri"] for t in page["items"]} == expected
    if params.get("division") == "530129" or "comparator" in params:
        assert page["total"] >= 1
    for t in page["items"]:
        if "min_value" in params:
            assert t["value"] >= params["min_value"]
        if "max_value" in params:
            assert t["value"] <= params["max_value"]
        if "comparator" in params:
            assert t["comparator"] == params["comparator"]


def test_bad_filters_are_400(api_app):
    r = api_app.get("/api/targets", params={"comparator": "Bogus"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_query"
    r = api_app.get("/api/targets", params={"limit": 0})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_parameters"


def test_program_detail(api_app):
    p = api(api_app, "/api/programs/三名工程")
    assert p["label"] == "三名工程"
    assert {x["label"] for x in p["parts"]} >= {"名校建设工程"}
    sub = api(api_app, "/api/programs/名校建设工程")
    assert [x["label"] for x in sub["part_of"]] == ["三名工程"]
    assert {t["label"] for t in sub["tasks"]} >= {"推进名校建设工程"}
    assert any(t["unit"] == "所" for t in sub["targets"])
    assert IRIS.division("530129") in {d["iri"] for d in sub["divisions"]}


def test_division_detail(api_app):
    d = api(api_app, "/api/divisions/530129")
    assert d["label"] == "寻甸回族彝族自治县" and "寻甸" in d["alt_labels"] and d["level"] == "County"
    assert d["within"]["iri"] == IRIS.division("530100")
    assert XUNDIAN in {x["iri"] for x in d["documents"]}
    assert d["targets"] and d["targets"][0]["value"] == 2.0
    assert api_app.get("/api/divisions/999999").status_code == 404


def test_label_search_chinese_and_short_names(api_app):
    hits = api(api_app, "/api/search", q="寻甸")
    first = hits[0]
    assert first["iri"] == IRIS.division("530129") and first["exact"] and first["matched"] == "寻甸"
    progs = api(api_app, "/api/search", q="名校", kind="Program")
    assert {h["kind"] for h in progs} == {"Program"} and "名校建设工程" in {h["label"] for h in progs}


def test_neighbours(api_app):
    n = api(api_app, "/api/neighbours", iri=IRIS.program("名校建设工程"))
    assert n["node"]["kind"] == "Program"
    by_iri = {x["iri"]: x for x in n["neighbours"]}
    parent = by_iri[IRIS.program("三名工程")]
    assert {
        "predicate": "partOf",
        "predicate_iri": "https://w3id.org/policykg/ontology#partOf",
        "direction": "out",
    } in parent["edges"]
    assert any(
        x["kind"] == "Task" and {"predicate": "mentions", "direction": "in"}.items() <= e.items()
        for x in n["neighbours"]
        for e in x["edges"]
    )


def test_the_api_docs_put_public_routes_first_each_with_an_example_that_answers(api_app):
    import html as markup

    page = api_app.get("/api/docs").text
    assert re.findall(r'<h2 id="(\w+)"', page) == ["api", "sparql", "meta", "network"]
    assert page.index("/api/documents") < page.index("/api/explore/")  # the view's own routes last
    examples = [markup.unescape(e) for e in re.findall(r'href="([^"]+)" data-role="example"', page)]
    assert len(examples) >= 25 and "/api/compare?indicator=" + quote("学前三年毛入园率", safe="") in examples
    for example in examples:
        assert api_app.get(example).status_code == 200, example


def test_openapi_is_complete_and_docs_are_local(api_app):
    spec = api(api_app, "/openapi.json")
    for path in (
        "/api/documents",
        "/api/documents/{doc_id}/outline",
        "/api/documents/{doc_id}/text",
        "/api/tasks",
        "/api/targets",
        "/api/programs/{name}",
        "/api/divisions/{code}",
        "/api/search",
        "/api/neighbours",
        "/documents",
        "/sparql",
        "/update",
        "/graph-store",
    ):
        assert path in spec["paths"], path
    html = api_app.get("/api/docs").text
    assert "/api/targets" in html
    assert_offline(html)


# -- upload ---------------------------------------------------------------------------------------


def test_upload_is_token_protected_atomic_and_summarised(api_server):
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    before = api_server.store.count()
    r = httpx.post(api_server.url + "/documents", params={"name": "x.txt"}, content=b"", headers=auth)
    assert r.status_code in (400, 422) and r.json()["error"]["message"]
    assert api_server.store.count() == before  # a failed upload changes nothing
    data = SAMPLE.read_bytes()
    r = httpx.post(
        api_server.url + "/documents",
        files={"file": ("uploaded-plan.txt", data, "text/plain")},
        headers=auth,
        timeout=60,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["iri"] == IRIS.document("uploaded-plan") and body["status"] == "added" and body["tasks"] > 0
    try:
        assert httpx.get(api_server.url + r.headers["location"], headers={"accept": "text/turtle"}).status_code == 200
        q = f"ASK {{ <{body['iri']}> a <https://w3id.org/policykg/ontology#PolicyDocument> }}"
        assert httpx.get(api_server.url + "/sparql", params={"query": q}).json()["boolean"] is True
        again = httpx.post(
            api_server.url + "/documents", params={"name": "uploaded-plan.txt"}, content=data, headers=auth, timeout=60
        )
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
    finally:
        httpx.delete(api_server.url + "/graph-store", params={"graph": body["iri"]}, headers=auth)
    assert api_server.store.count() == before


def test_an_upload_that_outlives_upload_timeout_is_stopped_and_stores_nothing(api_store_template, tmp_path):
    """A big but legal work plan (5 MB: seconds of extraction) to a server whose upload_timeout is
    1 s: refused with 422 `upload_timeout`, naming the file and the setting, about when the limit
    is up; the store quad for quad as before; the next upload (a fresh worker) is stored."""
    server = LiveServer(
        copy_store(api_store_template, tmp_path / "store"),
        write_token=API_TOKEN,
        upload_timeout=1.0,
        max_upload_bytes=8_000_000,
    )
    try:
        before = quads_of(server.store)
        big = SAMPLE.read_bytes() * 220
        started = time.monotonic()
        r = httpx.post(
            server.url + "/documents", params={"name": "巨大 plan.txt"}, content=big, headers=AUTH, timeout=60
        )
        err = assert_refused(r, 422, "upload_timeout")
        assert "巨大 plan.txt" in err["message"] and "upload_timeout" in err["message"] and "1 s" in err["message"]
        assert time.monotonic() - started < 20, "stopped at the limit, not after the whole extraction"
        assert quads_of(server.store) == before

        r = httpx.post(
            server.url + "/documents",
            params={"name": "after-the-timeout.txt"},
            content=SAMPLE.read_bytes(),
            headers=AUTH,
            timeout=60,
        )
        assert r.status_code == 201, r.text
        assert r.json()["iri"] == IRIS.document("after-the-timeout") and r.json()["tasks"] > 0
        assert before < quads_of(server.store)
    finally:
        server.stop()


# -- pages -----------------------------------------------------------------------------------------


def assert_offline(html: str) -> None:
    """No script, style, image or font from the internet."""
    for m in re.finditer(r'<(script|link|img|iframe|source)\b[^>]*\b(src|href)="([^"]*)"', html):
        assert not re.match(r"(https?:)?//", m.group(3)), m.group(0)
    assert "@import" not in html


def test_a_program_page_leads_on_with_its_parts_tasks_and_places(api_app):
    page = api_app.get(page_path(IRIS.program("三名工程")), headers={"accept": "text/html"}).text
    assert 'data-role="trace"' in page and "/explore?trace=" in page and "/timeline?program=" in page
    table = page[page.index("<table class=program>") : page.index("</table>", page.index("<table class=program>"))]
    assert "名校建设工程" in table and "<th>parts</th>" in table
    sub = api_app.get(page_path(IRIS.program("名校建设工程")), headers={"accept": "text/html"}).text
    table = sub[sub.index("<table class=program>") : sub.index("</table>", sub.index("<table class=program>"))]
    assert "<th>part of</th>" in table and "推进名校建设工程" in table and "寻甸" in table  # its task, its place


def test_repeated_properties_share_one_row(api_app):
    page = api_app.get(page_path(IRIS.section("xundian-2018", 1)), headers={"accept": "text/html"}).text
    props = page[page.index("<h2>Properties</h2>") : page.index("<h2>Links in</h2>")]
    rows = re.findall(r"<tr><th>(.*?)</th>", props)
    assert len(rows) == len(set(rows)) and any("hasPart" in r for r in rows)
    parts = props[props.index("dcterms:hasPart</a>") :]
    parts = parts[: parts.index("</tr>")]
    assert parts.count("class=value") == 2  # its two tasks, in one row


def test_a_document_page_is_its_outline_with_the_text_folded(api_app, sample_store_path, tmp_path):
    page = api_app.get(page_path(XUNDIAN), headers={"accept": "text/html"}).text
    outline = page[page.index("<h2>Outline</h2>") : page.index("<h2>Properties</h2>")]
    assert "实施三名工程" in outline and "推进名校建设工程" in outline and "加强校园安全" in outline
    sample = AppClient(copy_store(sample_store_path, tmp_path / "store"))
    try:
        page = sample.get(
            page_path(IRIS.document("kunming-2017-education-workplan")), headers={"accept": "text/html"}
        ).text
    finally:
        sample.close()
    assert page.count("<li value=") == 5 + 28  # five sections, 28 tasks
    assert page.index("<h2>Outline</h2>") < page.index("<details class=source>") < page.index("<mark>")


def test_instance_pages_html_turtle_jsonld(api_app):
    task = IRIS.task("xundian-2018", 1)
    r = api_app.get(page_path(task), headers={"accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "推进名校建设工程" in html and "<mark>" in html  # the quoted source sentence, highlighted
    assert page_path(IRIS.program("名校建设工程")) in html or quote("名校建设工程") in html
    assert_offline(html)
    for accept, ctype in (("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json")):
        r = api_app.get(page_path(task), headers={"accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
        assert task in r.text or task.rsplit("/", 1)[-1] in r.text
    for suffix, ctype in (
        (".ttl", "text/turtle"),
        (".jsonld", "application/ld+json"),
        (".nt", "application/n-triples"),
    ):
        r = api_app.get(page_path(task) + suffix)
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
    assert api_app.get("/id/doc/nope", headers={"accept": "text/html"}).status_code == 404


def test_every_instance_iri_dereferences(api_app):
    subjects = [
        r[0].value
        for r in api_app.store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o "
            "FILTER(isIRI(?s) && STRSTARTS(STR(?s), 'https://w3id.org/policykg/id/')) }"
        )
    ]
    assert len(subjects) > 100
    for iri in subjects[::7]:
        r = api_app.get(page_path(iri), headers={"accept": "text/html"})
        assert r.status_code == 200, iri
        r = api_app.get(page_path(iri) + ".ttl")
        assert r.status_code == 200 and f"<{iri}>" in r.text or r.status_code == 200, iri


def test_home_and_query_pages(api_app):
    home = api_app.get("/").text
    assert "寻甸县2018年教育工作要点" in home and 'href="/query"' in home
    assert_offline(home)
    page = api_app.get("/query", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}).text
    assert "PREFIX pkg:" in page or "pkg:" in page
    assert page.count('class="example"') >= 6
    assert '<script src="/static/query.js"' in page
    assert_offline(page)
    assert api_app.get("/static/query.js").status_code == 200


def test_hostile_label_is_escaped_in_every_page(api_app):
    hostile_program = IRIS.program(HOSTILE)
    task = IRIS.task("xundian-2018", 2)
    pages = [
        "/",
        "/search?q=" + quote("<img"),
        "/search?q=" + quote(HOSTILE),
        page_path(hostile_program),
        page_path(task),
        page_path(XUNDIAN),
        page_path(IRIS.section("xundian-2018", 1)),
        page_path(IRIS.division("530129")),
        "/query?query=" + quote(HOSTILE),
        "/api/docs",
        "/id/" + quote(HOSTILE),
    ]
    for path in pages:
        r = api_app.get(path, headers={"accept": "text/html"})
        assert r.status_code in (200, 404), path
        html = r.text
        assert HOSTILE not in html, path
        assert "<img src=x" not in html and "<script>window" not in html, path
    # the label is really there, escaped
    r = api_app.get(page_path(hostile_program), headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
