"""Hostile output: labels and quotes that are markup are shown as text, everywhere.

The store holds a real document, extracted from text, whose title, section and task
labels, program names and quotes are ``<img src=x onerror=…>``, ``</script><script>…``,
``"><svg onload=…>``, ``javascript:…`` (see tests/support/hostile_document.py). Every HTML page
the server sends (home, search, the query page, the API reference, /explore, every /id/
page of the document, its 404 page) is parsed: only the templates' own tags, no event
attribute, no inline script, no ``javascript:`` link, the label present escaped; and each
carries a Content-Security-Policy without inline script and ``nosniff``. The network view's
JSON gives labels as plain text with no ``title`` (vis-network's HTML popup), its scripts
never parse HTML, and the standalone export runs only its own scripts (by CSP hash) with
the data JSON-escaped inside its ``<script>`` block.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlparse

import httpx

from support.common import copy_store, run_cli
from support.hostile_document import DOC_ID, HOSTILE_PROGRAMS, IRIS

#: Strings that would be live markup if a label reached a page unescaped.
#: (Templates write <svg> maps and charts themselves: the payloads are <svg with a handler.)
MARKUP = ("<img", "<svg onload", "<svg/onload", "<script>alert", "<script>window", "<b onmouseover")
#: The tags the page templates write; a hostile label that became markup adds others.
TEMPLATE_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "script",
    "body",
    "header",
    "nav",
    "a",
    "main",
    "footer",
    "h1",
    "h2",
    "h3",
    "p",
    "form",
    "input",
    "button",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "ul",
    "li",
    "span",
    "small",
    "code",
    "div",
    "blockquote",
    "mark",
    "pre",
    "section",
    "b",
    "textarea",
    "aside",
    "ol",  # a document page's outline
    "details",  # and its text, folded
    "summary",
    "svg",  # a program's map of the counties it reaches (paths with a title each; legend swatches)
    "path",
    "rect",
    "label",
    "select",
    "option",
    "strong",
    "style",
    "i",
}
DOC = IRIS.document(DOC_ID)
TITLE = '某县2019年<img src=x onerror="window.__pwned=1">工作要点'


class PageParser(HTMLParser):
    """What a browser would build from a page: tags, attributes, inline scripts, link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.events: list[tuple[str, str]] = []  # (tag, on… attribute)
        self.urls: list[str] = []  # href / src / action values
        self.inline_scripts: list[str] = []
        self.text: list[str] = []
        self._script: list[str] | None = None
        self._meta_csp: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        self.events += [(tag, k) for k in a if k.lower().startswith("on")]
        self.urls += [v for k, v in attrs if k in ("href", "src", "action") and v is not None]
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self._meta_csp = a.get("content")
        if tag == "script" and "src" not in a:
            self._script = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.inline_scripts.append("".join(self._script))
            self._script = None

    def handle_data(self, data: str) -> None:
        (self._script if self._script is not None else self.text).append(data)


def parse(html: str) -> PageParser:
    p = PageParser()
    p.feed(html)
    p.close()
    return p


def assert_inert(html: str, where: str) -> PageParser:
    """Only template markup: no hostile tag, event attribute, script: URL or stray inline script."""
    page = parse(html)
    assert page.tags <= TEMPLATE_TAGS, (where, page.tags - TEMPLATE_TAGS)
    assert page.events == [], (where, page.events)
    assert not [u for u in page.urls if u.strip().lower().startswith(("javascript:", "vbscript:", "data:text"))], (
        where,
        page.urls,
    )
    for raw in MARKUP:
        assert raw not in html, (where, raw)
    return page


def script_policy(csp: str) -> str:
    return next((d.strip() for d in csp.split(";") if d.strip().startswith("script-src")), "")


def assert_page_headers(r: httpx.Response, where: str) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    assert "'unsafe-inline'" not in script_policy(csp) and "'unsafe-eval'" not in csp, (where, csp)
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp, (where, csp)
    assert r.headers.get("x-content-type-options") == "nosniff", where


def _id_path(iri: str) -> str:
    return "/id/" + quote(iri[len(IRIS.base) :], safe="/%-._~")


def test_every_page_shows_hostile_labels_as_text(hostile_server):
    """Crawl the pages around the hostile document: every HTML response is inert, has the CSP and
    nosniff, and the hostile labels are there, escaped."""
    start = [
        "/",
        "/search?q=" + quote("<img"),
        "/search?q=" + quote("onerror"),
        "/query",
        "/api/docs",
        "/query?query=" + quote('SELECT * { ?s ?p "</textarea><script>alert(1)</script>" }'),
        "/explore",
        "/explore?focus=" + quote(IRIS.program(HOSTILE_PROGRAMS[0])),
        _id_path(DOC),
        "/id/" + quote(TITLE),
        "/id/program/" + quote("<svg onload=alert(1)>"),
    ]
    start += [_id_path(IRIS.program(name)) for name in HOSTILE_PROGRAMS]
    seen: set[str] = set()
    queue = list(start)
    shown_escaped: set[str] = set()
    with httpx.Client(base_url=hostile_server.url, timeout=30, headers={"accept": "text/html"}) as client:
        while queue and len(seen) < 80:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            r = client.get(path)
            where = f"GET {path} → {r.status_code}"
            assert r.status_code in (200, 404), where
            if not r.headers["content-type"].startswith("text/html"):
                assert r.headers["content-type"].startswith("application/json"), where  # an error envelope
                continue
            assert_page_headers(r, where)
            page = assert_inert(r.text, where)
            assert page.inline_scripts == [], where  # the CSP would block them anyway
            text = "".join(page.text)
            shown_escaped |= {name for name in HOSTILE_PROGRAMS + (TITLE,) if name in text}
            # follow this document's local pages (its sections, tasks, targets, programs, spans)
            for url in page.urls:
                target = urlparse(urljoin(path, url))
                if (
                    target.path.startswith("/id/")
                    and not target.path.endswith((".ttl", ".nt", ".jsonld", ".rdf"))
                    and (DOC_ID in target.path or "/program/" in target.path)
                ):
                    queue.append(target.path)
    assert len(seen) >= 30, len(seen)
    # every hostile name reached a page, where a browser reads it back literally
    assert shown_escaped == set(HOSTILE_PROGRAMS) | {TITLE}, set(HOSTILE_PROGRAMS) - shown_escaped


def test_document_page_escapes_title_sections_tasks_and_quotes(hostile_server):
    """The hostile document's page: its title, sections and quote, each with the exact entity-escaped text."""
    r = httpx.get(hostile_server.url + _id_path(DOC), headers={"accept": "text/html"})
    assert r.status_code == 200
    assert f"<h1>{escape(TITLE)}</h1>" in r.text
    section = httpx.get(hostile_server.url + _id_path(IRIS.section(DOC_ID, 1)), headers={"accept": "text/html"})
    assert "<h1>&lt;/script&gt;&lt;script&gt;window.__pwned=2&lt;/script&gt;</h1>" in section.text
    task = httpx.get(hostile_server.url + _id_path(IRIS.task(DOC_ID, 1)), headers={"accept": "text/html"}).text
    assert "<h1>&lt;b onmouseover=alert(1)&gt;加强&lt;/b&gt;</h1>" in task
    # the source quote is marked inside its paragraph, escaped
    assert "<mark>1.&lt;b onmouseover=alert(1)&gt;加强&lt;/b&gt;。实施“&lt;img src=x onerror=&quot;" in task
    # the Turtle of the same page is served as Turtle, not sniffed as HTML
    ttl = httpx.get(hostile_server.url + _id_path(DOC) + ".ttl")
    assert ttl.headers["content-type"].startswith("text/turtle") and ttl.headers["x-content-type-options"] == "nosniff"


def test_query_page_and_api_reference_are_local_and_strict(hostile_server):
    """The query editor and /api/docs load nothing from elsewhere and allow no inline script."""
    for path in ("/query", "/api/docs"):
        r = httpx.get(hostile_server.url + path)
        assert_page_headers(r, path)
        page = assert_inert(r.text, path)
        assert all(not u.startswith(("http://", "https://", "//")) for u in page.urls if u != "/sparql"), page.urls
    # query results: only http(s) IRIs become links (javascript: IRIs stay text)
    js = httpx.get(hostile_server.url + "/static/query.js").text
    assert "/^https?:\\/\\//i.test(value) ? value : null" in js


def test_json_errors_are_never_served_as_html(hostile_server):
    """Errors (unknown route, bad parameter, missing node) are the JSON envelope even for a browser,
    so a hostile value in the message is never markup."""
    for path in (
        "/nothing/<script>",
        "/api/resource?iri=" + quote("x:<img src=x onerror=alert(1)>"),
        "/api/explore/node?iri=" + quote("x:<svg/onload=alert(1)>"),
        "/api/trace?program=" + quote("<img"),
    ):
        r = httpx.get(hostile_server.url + path, headers={"accept": "text/html"})
        assert 400 <= r.status_code < 500, path
        assert r.headers["content-type"].startswith("application/json"), (path, r.headers["content-type"])
        assert "error" in r.json()


STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"


def test_every_response_kind_carries_nosniff_and_a_csp(hostile_server):
    """JSON, error envelopes (from a route, from request validation, from the body-size layer),
    static files, SPARQL results, /health, a redirect and a CORS preflight: each says nosniff and
    carries a policy under which a browser shown it runs nothing; the pages keep their own."""
    url = hostile_server.url
    responses = {
        "/api JSON": httpx.get(url + "/api/overview"),
        "error envelope from a route": httpx.get(url + "/api/resource", params={"iri": "x:<script>"}),
        "error envelope from validation": httpx.get(url + "/api/documents", params={"limit": "<b>"}),
        "unknown route": httpx.get(url + "/nothing/<script>"),
        "error envelope from the body layer": httpx.post(
            url + "/sparql", content=b"\x1f\x8b", headers={"content-encoding": "gzip"}
        ),
        "/static asset": httpx.get(url + "/static/query.js"),
        "/sparql results": httpx.get(url + "/sparql", params={"query": "ASK {}"}),
        "/sparql service description": httpx.get(url + "/sparql", headers={"accept": "text/turtle"}),
        "/health": httpx.get(url + "/health"),
        "/openapi.json": httpx.get(url + "/openapi.json"),
        "redirect to the query page": httpx.get(url + "/sparql", headers={"accept": "text/html"}),
        "CORS preflight": httpx.options(
            url + "/sparql", headers={"origin": "https://example.org", "access-control-request-method": "POST"}
        ),
    }
    for what, r in responses.items():
        assert r.headers.get("x-content-type-options") == "nosniff", (what, r.status_code, dict(r.headers))
        assert r.headers.get_list("content-security-policy") == [STRICT_CSP], (what, dict(r.headers))
    assert [
        responses[k].status_code
        for k in (
            "error envelope from a route",
            "error envelope from validation",
            "unknown route",
            "error envelope from the body layer",
        )
    ] == [400, 400, 404, 415]
    # an HTML page keeps its own policy (not replaced, not doubled)
    from policykg.html_pages import PAGE_CSP

    for path in ("/query", "/explore", _id_path(DOC)):
        page = httpx.get(url + path, headers={"accept": "text/html"})
        assert page.headers.get_list("content-security-policy") == [PAGE_CSP], path
        assert page.headers.get_list("x-content-type-options") == ["nosniff"], path


# -- the network view ------------------------------------------------------------------------

PAGE_SCRIPTS = [Path(__file__).resolve().parent.parent / p for p in ("viz/static/explore.js", "api/static/query.js")]
HTML_SINKS = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|\.title\s*=")


def test_page_scripts_never_parse_html():
    """explore.js, query.js and the export's script put text in the DOM with textContent only."""
    from policykg.viz import export

    for source in [p.read_text(encoding="utf-8") for p in PAGE_SCRIPTS] + [export._APP_JS]:
        assert not HTML_SINKS.findall(source)
        assert "textContent" in source


def test_network_json_gives_labels_as_text_and_no_popups(hostile_server):
    """/api/explore/node, details, trace and path: the exact label (for a canvas, not entity-escaped),
    and no ``title`` on any node or edge."""
    name = HOSTILE_PROGRAMS[0]
    iri = IRIS.program(name)
    node = httpx.get(hostile_server.url + "/api/explore/node", params={"iri": iri}).json()
    assert node["node"]["fullLabel"] == name and node["node"]["label"].startswith("<img src=x")
    doc = httpx.get(hostile_server.url + "/api/explore/node", params={"iri": DOC}).json()
    assert {n["fullLabel"] for n in doc["nodes"]} >= {
        "</script><script>window.__pwned=2</script>",
        '"><svg onload=window.__pwned=3>',
    }
    details = httpx.get(hostile_server.url + "/api/explore/details", params={"iri": iri}).json()
    assert details["label"] == name and any("<img src=x" in q["quote"] for q in details["quotes"])
    traced = httpx.get(hostile_server.url + "/api/trace", params={"program": name}).json()
    path = httpx.get(hostile_server.url + "/api/path", params={"a": name, "b": HOSTILE_PROGRAMS[3]}).json()
    vis = [
        node["node"],
        *node["nodes"],
        *node["edges"],
        *doc["nodes"],
        *doc["edges"],
        *traced["vis"]["nodes"],
        *traced["vis"]["edges"],
        *path["vis"]["nodes"],
        *path["vis"]["edges"],
    ]
    assert all("title" not in item for item in vis)
    r = httpx.get(hostile_server.url + "/explore")
    assert_page_headers(r, "/explore")
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    for name_ in ("explore.js", "vis-network.min.js"):
        asset = httpx.get(hostile_server.url + "/explore/static/" + name_)
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert asset.headers["content-type"].startswith("text/javascript")


def test_standalone_export_runs_only_its_own_scripts(hostile_store_template, tmp_path):
    """policykg viz over the hostile document: the data block cannot close its <script>, the labels
    come back exact, and the CSP allows exactly the page's own scripts and styles by hash."""
    store = copy_store(hostile_store_template, tmp_path / "store")
    out = tmp_path / "net.html"
    run_cli("viz", "--focus", DOC, "--depth", "3", "-o", str(out), "--store", str(store), check=True)
    html = out.read_text(encoding="utf-8")
    page = parse(html)
    vis_js = next(s for s in page.inline_scripts if "vis-network" in s[:300])
    assert_inert(html.replace(vis_js, ""), "standalone export")  # the library's own code holds "<svg" strings
    data_block = re.search(r'<script id="pkg-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data_block and ">" not in data_block
    labels = {n["fullLabel"] for n in json.loads(data_block)["nodes"]}
    assert {TITLE, '"><svg onload=window.__pwned=3>', *HOSTILE_PROGRAMS[:4]} <= labels
    csp = page._meta_csp or ""
    assert "'unsafe-inline'" not in csp and "connect-src 'none'" in csp and "default-src 'none'" in csp
    executable = [s for s in page.inline_scripts if not s.lstrip().startswith("{")]  # the JSON block runs nothing
    assert len(executable) == 2
    for source in executable:
        digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in script_policy(csp)


# -- the terminal ------------------------------------------------------------------------------


def test_cli_text_output_cannot_drive_the_terminal(hostile_store_template, tmp_path):
    """A label with terminal escape sequences (set the window title, write the clipboard) or a bidi
    override, as any store may hold: trace, path and rank print it with visible escapes."""
    from policykg.graph.store import OxigraphStore

    store_dir = copy_store(hostile_store_template, tmp_path / "store")
    iri = IRIS.program("终端")
    label = "终端\x1b]0;owned\x07\x1b]52;c;cHduZWQ=\x07\u202e划计\r工程"
    store = OxigraphStore(store_dir)
    store.update(
        f"INSERT DATA {{ GRAPH <{iri}> {{ <{iri}> a pkg:Program ; rdfs:label {json.dumps(label)} ; "
        f"pkg:partOf <{IRIS.program('三名工程')}> }} }}"
    )
    store.flush()
    store.close()
    outputs = [
        run_cli("trace", iri, "--store", str(store_dir), check=True).stdout,
        run_cli("path", iri, "名校建设工程", "--store", str(store_dir), check=True).stdout,
        run_cli("rank", "--limit", "100", "--store", str(store_dir), check=True).stdout,
    ]
    for out in outputs:
        text = out.decode("utf-8")
        assert "终端\\u001b]0;owned\\u0007" in text and "\\u202e划计\\u000d工程" in text, text[:400]
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), text[:400]
    # JSON output keeps the exact label (JSON escapes control characters itself)
    out = run_cli("trace", iri, "--json", "--store", str(store_dir), check=True).stdout
    assert b"\\u001b" in out and json.loads(out)["program"]["label"] == label
