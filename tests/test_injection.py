"""Injection: every parameter that reaches a SPARQL query is a term, never query text.

Each API parameter, /id/ path, /explore read and CLI argument that ends up in a query
gets payloads that would rewrite a pasted query (quotes, ``\\u0022``, ``"} UNION { ?s ?p
?o } #``, ``> } UNION … <``, newlines, a backslash, NUL, very long text, IRIs with a space
or ``>``). Against a real server over a real store the answer is 200 with only what the
payload really matches, or a 4xx in the JSON error envelope: never a 500, a traceback, or
rows a UNION would have pulled in. The store also holds a real document, extracted from
text, whose program names are such payloads: looking each up by its exact name finds it.

The hostile document is in ``support/hostile_document.py``; its store and server are conftest fixtures.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from support.common import copy_store, run_cli
from support.hostile_document import DOC_ID, HOSTILE_PROGRAMS, IRIS, write_hostile_document

# -- payloads and parameters ----------------------------------------------------------------

PAYLOADS = {
    "double quote U+0022": '"',
    "single quote": "'",
    "6-char escape \\u0022": "\\u0022",
    'escaped quote \\"': '\\"',
    "UNION after a literal": '"} UNION { ?s ?p ?o } #',
    "UNION after an IRI": "> } UNION { ?s ?p ?o } <",
    "newline then UNION": "名\n} UNION { ?s ?p ?o } #",
    "carriage return": "三名\r工程",
    "backslash": "\\",
    "NUL": "三\x00名",
    "4000 characters": "名" + "x" * 3999,
    "IRI with a space": IRIS.base + "program/三名 工程",
    "IRI closed by >": IRIS.base + "program/三名工程> } UNION { ?s ?p ?o } #",
    "IRI with \\u003E": IRIS.base + "program/x\\u003E",
}


def _fold(text: str) -> str:
    """How search compares names: case-insensitive; trace also ignores quote marks and spaces."""
    return re.sub(r"[\s“”\"'‘’「」《》]", "", unicodedata.normalize("NFKC", text).lower())


def _nothing(payload: str, body: Any) -> None:
    """A filter on an IRI, a code or a kind that names nothing: no rows at all."""
    if isinstance(body, dict) and "total" in body:
        assert body["total"] == 0 and body["items"] == [], body
    elif isinstance(body, dict):
        rows = body.get("results", body.get("sections", body.get("neighbours")))
        assert rows == [], body
    else:
        assert body == [], body


def _names_containing(payload: str, body: Any) -> None:
    """A name search: every hit's name holds the payload (a UNION would bring in everything)."""
    hits = body["results"] if isinstance(body, dict) else body
    needle = payload.strip().lower()
    for hit in hits:
        names = [hit.get("matched") or hit.get("match") or "", hit.get("label") or ""]
        assert any(needle in n.lower() for n in names), (payload, hit)


def _indicators_containing(payload: str, body: Any) -> None:
    assert body["total"] == len(body["items"]) or body["total"] > len(body["items"])
    for t in body["items"]:
        assert payload in ((t["indicator"] or {}).get("label") or ""), (payload, t)


def _program_named(key: str) -> Callable[[str, Any], None]:
    """Trace and path resolve a name exactly or by a unique part: what they found holds the payload."""

    def check(payload: str, body: Any) -> None:
        label = body[key]["label"] if key in body else body["steps"][0]["from"]["label"]
        assert payload.strip() in label or _fold(payload) and _fold(payload) in _fold(label), (payload, label)

    return check


def _never(payload: str, body: Any) -> None:
    raise AssertionError(f"a lookup by {payload!r} found something: {str(body)[:300]}")


@dataclass(frozen=True)
class Param:
    """One parameter that reaches a query: where the payload goes, and what a 200 may hold."""

    name: str
    request: Callable[[str], tuple[str, dict]]
    on_200: Callable[[str, Any], None] | None  # None: an HTML page, checked for status only

    def __str__(self) -> str:
        return self.name


def _path(template: str) -> Callable[[str], tuple[str, dict]]:
    return lambda p: (template.format(quote(p, safe="")), {})


def _query(path: str, name: str, **fixed: str) -> Callable[[str], tuple[str, dict]]:
    return lambda p: (path, {**fixed, name: p})


PROGRAM = IRIS.program("三名工程")
PARAMS = [
    Param("/api/documents/{doc_id}", _path("/api/documents/{}"), _never),
    Param("/api/documents/{doc_id}/outline", _path("/api/documents/{}/outline"), _never),
    Param("/api/documents/{doc_id}/text", _path("/api/documents/{}/text"), _never),
    Param("/api/tasks?document=", _query("/api/tasks", "document"), _nothing),
    Param("/api/tasks?mentioning=", _query("/api/tasks", "mentioning"), _nothing),
    Param("/api/tasks/{doc_id}/{ordinal}", _path("/api/tasks/{}/1"), _never),
    Param("/api/programs?q=", _query("/api/programs", "q"), _names_containing),
    Param("/api/programs/{name}", _path("/api/programs/{}"), _never),
    Param("/api/divisions/{code}", _path("/api/divisions/{}"), _never),
    Param("/api/targets?indicator=", _query("/api/targets", "indicator"), _indicators_containing),
    Param("/api/targets?division=", _query("/api/targets", "division"), _nothing),
    Param("/api/targets?comparator=", _query("/api/targets", "comparator"), _never),
    Param("/api/targets?document=", _query("/api/targets", "document"), _nothing),
    Param("/api/search?q=", _query("/api/search", "q"), _names_containing),
    Param("/api/search?kind=", _query("/api/search", "kind", q="工程"), _never),
    Param("/api/neighbours?iri=", _query("/api/neighbours", "iri"), _never),
    Param("/api/resource?iri=", _query("/api/resource", "iri"), _never),
    Param("/id/{path}", _path("/id/{}"), _never),
    Param("/id/program/{name}", _path("/id/program/{}"), _never),
    Param("/search?q= (page)", _query("/search", "q"), None),
    Param("/api/explore/search?q=", _query("/api/explore/search", "q"), _names_containing),
    Param("/api/explore/search?kind=", _query("/api/explore/search", "kind", q="工程"), _never),
    Param("/api/explore/node?iri=", _query("/api/explore/node", "iri"), _never),
    Param("/api/explore/node?group=", _query("/api/explore/node", "group", iri=PROGRAM), _never),
    Param("/api/explore/details?iri=", _query("/api/explore/details", "iri"), _never),
    Param("/api/explore/sections?document=", _query("/api/explore/sections", "document"), _nothing),
    Param("/api/trace?program=", _query("/api/trace", "program"), _program_named("program")),
    Param("/api/path?a=", _query("/api/path", "a", b="三名工程"), _program_named("from")),
    Param("/api/path?b=", _query("/api/path", "b", a="三名工程"), _program_named("to")),
]


def assert_clean_refusal(r: httpx.Response) -> None:
    """A 4xx a person can read: the JSON error envelope (or the HTML not-found page of /id/)."""
    assert 400 <= r.status_code < 500, r.status_code
    if r.headers["content-type"].startswith("application/json"):
        err = r.json()["error"]
        assert err["status"] == r.status_code and err["code"] and err["message"], err
        assert len(err["message"]) < 1000, "the error echoes a huge parameter"
    else:
        assert r.headers["content-type"].startswith("text/html") and "Not found" in r.text


@pytest.mark.parametrize("param", PARAMS, ids=str)
def test_parameter_is_bound_never_pasted(hostile_server, param: Param):
    """Every payload: 200 with only what it really matches, or a clean 4xx; the server keeps serving."""
    with httpx.Client(base_url=hostile_server.url, timeout=30) as client:
        for label, payload in PAYLOADS.items():
            path, params = param.request(payload)
            r = client.get(path, params=params, headers={"accept": "application/json, text/html;q=0.9"})
            where = f"{param} with {label} → {r.status_code}: {r.text[:300]}"
            assert r.status_code < 500, where
            assert "Traceback" not in r.text and 'File "' not in r.text, where
            if r.status_code == 200:
                if param.on_200 is not None:
                    try:
                        param.on_200(payload, r.json())
                    except AssertionError as exc:
                        raise AssertionError(f"{where}\n{exc}") from None
            else:
                try:
                    assert_clean_refusal(r)
                except AssertionError as exc:
                    raise AssertionError(f"{where}\n{exc}") from None
        assert client.get("/api/overview").json()["documents"] == 4  # still serving


def test_a_union_payload_returns_nothing_where_pasting_would_return_everything(hostile_server):
    """The UNION payloads against the filters that would return every target or task if pasted."""
    union_literal, union_iri = PAYLOADS["UNION after a literal"], PAYLOADS["UNION after an IRI"]
    everything = httpx.get(hostile_server.url + "/api/targets", params={"limit": 1}).json()["total"]
    assert everything > 10
    for params in (
        {"division": union_literal},
        {"indicator": union_literal},
        {"indicator": union_iri},
        {"indicator": '指标")) } UNION { ?t ?p ?o } #'},
    ):
        r = httpx.get(hostile_server.url + "/api/targets", params=params)
        assert r.status_code == 200 and r.json()["total"] == 0, (params, r.text[:300])
    for params in (
        {"document": IRIS.document(DOC_ID) + "> } UNION { ?x ?p ?o } #"},
        {"mentioning": PROGRAM + "> . } UNION { ?x a ?t"},
    ):
        r = httpx.get(hostile_server.url + "/api/tasks", params=params)
        assert r.status_code == 400 and "not a valid IRI" in r.json()["error"]["message"], (params, r.text)


def test_numbers_that_would_break_the_query_text(hostile_server):
    """Offsets past 2^64, NaN and infinite bounds or coordinates: an empty page or a clear 400, no SPARQL error."""
    huge = str(10**30)
    for path, params in (
        ("/api/documents", {"offset": huge}),
        ("/api/tasks", {"offset": huge}),
        ("/api/targets", {"offset": huge}),
        ("/api/documents/x/text", {"offset": huge}),
        ("/api/explore/node", {"iri": PROGRAM, "group": "partOf|in|program", "offset": huge}),
    ):
        r = httpx.get(hostile_server.url + path, params=params)
        assert r.status_code in (200, 404), (path, r.text[:300])
        assert "SPARQL" not in r.text
    for params in ({"min_value": "nan"}, {"max_value": "inf"}, {"min_value": "-1e400"}):
        r = httpx.get(hostile_server.url + "/api/targets", params=params)
        assert r.status_code == 400 and "finite number" in r.json()["error"]["message"], (params, r.text)
    for params in ({"x": "nan"}, {"y": "inf"}, {"x": "1e308"}):
        r = httpx.get(hostile_server.url + "/api/explore/node", params={"iri": PROGRAM, **params})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_parameters", (params, r.text)


# -- names that are payloads -------------------------------------------------------------------


def test_the_extractor_really_reads_the_payloads(tmp_path):
    """The hostile text gives exactly the hostile names (the other tests rely on them)."""
    from policykg.loaders.extract import extract_path

    doc = extract_path(write_hostile_document(tmp_path))
    assert set(doc.programs) == set(HOSTILE_PROGRAMS)
    assert doc.title == '某县2019年<img src=x onerror="window.__pwned=1">工作要点'
    assert [s.title for s in doc.sections] == [
        "</script><script>window.__pwned=2</script>",
        '"><svg onload=window.__pwned=3>',
    ]
    assert doc.tasks[0].title == "<b onmouseover=alert(1)>加强</b>" and doc.tasks[3].title == '实施三名"}UNION{工程'


@pytest.mark.parametrize("name", HOSTILE_PROGRAMS)
def test_lookup_by_exact_hostile_name_finds_exactly_it(hostile_server, name: str):
    """The name search, /explore's search, trace, the tasks naming it, /api/resource and its
    /id/ page all find this one program."""
    iri = IRIS.program(name)
    url = hostile_server.url
    hits = httpx.get(f"{url}/api/programs", params={"q": name}).json()
    assert hits[0]["iri"] == iri and hits[0]["exact"] and all(name in h["matched"] for h in hits)
    found = httpx.get(f"{url}/api/explore/search", params={"q": name}).json()["results"]
    assert found[0]["iri"] == iri and found[0]["label"] == name
    traced = httpx.get(f"{url}/api/trace", params={"program": name})
    assert traced.status_code == 200 and traced.json()["program"] == {"iri": iri, "label": name}, traced.text[:300]
    assert httpx.get(f"{url}/api/tasks", params={"mentioning": iri}).json()["total"] >= 1
    assert httpx.get(f"{url}/api/resource", params={"iri": iri}).json()["label"] == name
    page = httpx.get(url + "/id/" + quote(iri[len(IRIS.base) :], safe="/%-._~"), headers={"accept": "text/html"})
    assert page.status_code == 200 and IRIS.document(DOC_ID) in page.text


@pytest.mark.parametrize("name", HOSTILE_PROGRAMS)
def test_program_route_takes_the_exact_hostile_name(hostile_server, name: str):
    """/api/programs/{name} gives this program, read from the hostile document, even when its name
    holds a "/" (``</script>…``: the server decodes %2F before routing, so the route takes a path)."""
    r = httpx.get(f"{hostile_server.url}/api/programs/{quote(name, safe='')}")
    assert r.status_code == 200, r.text[:300]
    detail = r.json()
    assert detail["iri"] == IRIS.program(name) and detail["label"] == name
    assert [d["iri"] for d in detail["documents"]] == [IRIS.document(DOC_ID)]


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_store(hostile_store_template, tmp_path_factory) -> str:
    return str(copy_store(hostile_store_template, tmp_path_factory.mktemp("hostile-cli") / "store"))


def test_cli_trace_path_viz_take_hostile_names(cli_store, tmp_path):
    """trace, path and viz --focus/--trace: the exact hostile name is found; a payload that
    names nothing is a one-line error and exit 1; no traceback."""
    name = '三名"}UNION{工程'
    out = json.loads(run_cli("trace", name, "--json", "--store", cli_store, check=True).stdout)
    assert out["program"] == {"iri": IRIS.program(name), "label": name}
    path = json.loads(
        run_cli("path", name, "javascript:alert(1)行动", "--json", "--store", cli_store, check=True).stdout
    )
    assert path["from"]["label"] == name and path["to"]["label"] == "javascript:alert(1)行动"
    html = tmp_path / "trace.html"
    run_cli("viz", "--trace", "> } UNION { ?s ?p ?o } <计划", "-o", str(html), "--store", cli_store, check=True)
    assert "\\u003e } UNION { ?s ?p ?o } \\u003c计划" in html.read_text(encoding="utf-8")
    for args in (
        ("trace", "三名工程\n} UNION { ?s ?p ?o } #"),
        ("path", "三名工程", "x:a>b"),
        ("viz", "--focus", IRIS.base + "program/三名工程> } UNION { ?s ?p ?o } #", "-o", str(html)),
    ):
        proc = run_cli(*args, "--store", cli_store)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.startswith("Error: "), (args, proc.returncode, err)
        assert "Traceback" not in err and len(err.splitlines()) <= 2, err
