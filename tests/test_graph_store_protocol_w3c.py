"""The W3C SPARQL 1.1 Graph Store HTTP Protocol manifest, run against a live server.

Data-driven: every entry of ``tests/data/w3c/sparql/sparql11/graph-store-protocol/manifest.ttl``
(which includes ``manifest-direct.ttl`` and ``manifest-indirect.ttl``) becomes one test, named by
the entry's IRI fragment. Its ``ht:Request`` sequence is sent in order over HTTP to uvicorn on
127.0.0.1 (``support.servers.LiveServer``, as ``test_sparql_protocol_w3c.py`` starts it).

How the manifest is mapped to this server (the manifest's own comment asks for each step):
* the ``/gsp`` path prefix is replaced by our endpoint, ``/graph-store``; the rest of the path
  and its query string are sent byte for byte (percent-encoding untouched);
* ``PUT``, ``POST`` and ``DELETE`` carry ``Authorization: Bearer <token>`` (writes need the
  token, docs/security.md); ``GET`` and ``HEAD`` carry none, as an anonymous reader's would;
* a response's ``mf:expectedLocation`` names a template variable: the response must have a
  ``Location``, whose value then replaces the variable in later requests' paths and bodies;
* ``mf:expectedStatus`` is an exact code (``hts:Created``) or a class (``hts:StatusCode2xx``);
  a response with ``ht:headers`` must have the media type (and charset) listed; one with an
  ``ht:body`` must return a graph isomorphic (rdflib ``isomorphic``) to the body's;
* before each entry the store is emptied (``DROP ALL`` on ``/update`` with the token), so a
  first ``PUT`` really creates its graph (201).

Exclusions: see ``EXCLUDED``. Each names the rule that makes the entry impossible here, what
the server does instead and the test (in this file) that pins that behaviour.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from support.common import API_TOKEN
from support.servers import LiveServer

W3C = Path(__file__).resolve().parent / "data" / "w3c" / "sparql" / "sparql11"
GSP_MANIFEST = W3C / "graph-store-protocol" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#"

#: The manifest's path prefix, and ours.
MANIFEST_PREFIX = "/gsp"
ENDPOINT = "/graph-store"
WRITES = {"PUT", "POST", "DELETE"}

#: The hts: terms the manifest uses, as codes; a class (StatusCode2xx) is read from its name.
#: A term missing here fails the test rather than passing it unchecked.
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}

RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}

# Entries deliberately not run. Each reason says which rule of this server makes the entry
# impossible, what the server does instead, and which test pins that.
#
# * Direct graph identification (``mf:requires mf:DirectGraphIdentification``, paths such as
#   ``/gsp/person/1.ttl``): the endpoint names graphs only indirectly, ``?graph=<iri>``. A
#   graph's name is an IRI of the data (a document's, under ``base_iri``, or one a writer
#   gives), not the URL the server happens to be reached at, which a graph named by its request
#   path would change with (host, port, a proxy's prefix). A path below ``/graph-store`` is 404 ``not_found`` for
#   every method and writes nothing: ``test_direct_graph_identification_is_not_found``.
# * POST graph creation (``mf:requires mf:POSTGraphCreation``): a POST must name its graph
#   (``?graph=<iri>``); the server never mints graph IRIs nor answers with a ``Location``.
#   ``POST /graph-store`` without a graph is 400 ``bad_query`` and stores nothing:
#   ``test_post_without_a_graph_is_refused``.
# * The default graph (``put_get_default``: PUT then GET ``?default``): the default graph is
#   the union of the named graphs (``sd:UnionDefaultGraph``, docs/api.md), a view that cannot
#   be replaced; a write to ``?default`` is 400 ``bad_query`` and stores nothing, and reading
#   it whole is an export that needs the token (``test_graph_store_limits.py``):
#   ``test_default_graph_is_a_read_only_union``.
# * multipart/form-data POST (the third of four requests of ``post_get_post_get_indirect``): a
#   Graph Store body is one RDF document of a type the server parses (Turtle, N-Triples,
#   RDF/XML, JSON-LD); a multipart body is 415 ``unsupported_media_type`` and changes nothing.
#   A known gap, not a rule of the server: ``test_multipart_post_is_unsupported_media_type``
#   runs the entry's first two requests (POST of Turtle creating the graph, GET), then its
#   multipart POST (415), then its GET again (the graph as it was).
DIRECT = "direct graph identification (/gsp/person/1.ttl): the endpoint takes ?graph=<iri> only"
EXCLUDED: dict[str, str] = {
    "put_get_repeat_direct": DIRECT,
    "put_delete_get_delete_direct": DIRECT,
    "post_get_post_get_direct": DIRECT,
    "head_existing_direct": DIRECT,
    "post_get_new_graph": "POST graph creation: a POST must name its graph; no Location is minted",
    "put_get_default": "the default graph is the read-only union of the document graphs",
    "post_get_post_get_indirect": "multipart/form-data POST bodies are not read (known gap, 415)",
}


def _entries(manifest: Path) -> list[tuple[str, URIRef, Graph]]:
    """(name, entry, graph) for every entry of ``manifest`` and of the manifests it includes."""
    g = Graph()
    g.parse(manifest, format="turtle", publicID=manifest.as_uri())
    top = next(g.subjects(RDF.type, MF.Manifest))
    found = []
    entries = g.value(top, MF.entries)
    if entries is not None:
        found += [(str(e).rsplit("#", 1)[-1], e, g) for e in Collection(g, entries)]
    includes = g.value(top, MF.include)
    if includes is not None:
        for inc in Collection(g, includes):
            found += _entries(Path(str(inc).removeprefix("file://")))
    return found


GSP_TESTS = _entries(GSP_MANIFEST)
RUN = [t for t in GSP_TESTS if t[0] not in EXCLUDED]


@pytest.fixture(scope="module")
def gsp_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("w3c-gsp") / "store", write_token=API_TOKEN, query_timeout=10.0)
    yield server
    server.stop()


@pytest.fixture()
def client(gsp_server):
    with httpx.Client(base_url=gsp_server.url, timeout=30) as c:
        r = c.post("/update", content="DROP ALL", headers={"content-type": "application/sparql-update", **_auth()})
        assert r.status_code == 204, r.text
        yield c


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


def _headers(g: Graph, node) -> dict[str, str]:
    hlist = g.value(node, HT.headers)
    if hlist is None:
        return {}
    return {str(g.value(h, HT.fieldName)).lower(): str(g.value(h, HT.fieldValue)) for h in Collection(g, hlist)}


def _body(g: Graph, node) -> str | None:
    body = g.value(node, HT.body)
    return None if body is None else str(g.value(body, CNT.chars))


def _media(value: str) -> tuple[str, str | None]:
    """(media type, charset or None) of a Content-Type value, lower-cased."""
    media, _, params = value.partition(";")
    charset = None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.lower() == "charset":
            charset = v.strip().strip('"').lower()
    return media.strip().lower(), charset


def _path(manifest_path: str, variables: dict[str, str]) -> str:
    for name, value in variables.items():
        manifest_path = manifest_path.replace(name, value)
    assert manifest_path.startswith(MANIFEST_PREFIX), manifest_path
    return ENDPOINT + manifest_path[len(MANIFEST_PREFIX) :]


def _check_status(r: httpx.Response, g: Graph, resp) -> None:
    expected = [str(s).removeprefix(HTS) for s in g.objects(resp, MF.expectedStatus)]
    assert expected, "the manifest names no status"
    ok = False
    for name in expected:
        if name.startswith("StatusCode") and name.endswith("xx"):
            ok |= r.status_code // 100 == int(name[len("StatusCode")])
        else:
            ok |= r.status_code == STATUS[name]
    assert ok, f"{r.request.method} {r.request.url}: status {r.status_code} not in {expected}: {r.text[:300]}"
    if r.status_code >= 400 and r.request.method != "HEAD":
        err = r.json()["error"]  # the one JSON error envelope
        assert err["code"] and err["message"]


def _check_content(r: httpx.Response, g: Graph, resp, graph_iri: str | None) -> None:
    want = _headers(g, resp)
    got_media, got_charset = _media(r.headers.get("content-type", ""))
    if "content-type" in want:
        want_media, want_charset = _media(want["content-type"])
        assert got_media == want_media, r.headers.get("content-type")
        if want_charset is not None:
            assert got_charset == want_charset, r.headers.get("content-type")
    expected = _body(g, resp)
    if expected is None or r.request.method == "HEAD":
        return
    want_format = RDF_FORMATS[_media(want.get("content-type", "text/turtle"))[0]]
    base = graph_iri or str(r.request.url)
    expected_graph = Graph().parse(data=expected, format=want_format, publicID=base)
    got_graph = Graph().parse(data=r.content, format=RDF_FORMATS[got_media], publicID=base)
    assert isomorphic(got_graph, expected_graph), (
        f"not isomorphic:\n--- got\n{got_graph.serialize(format='nt')}\n--- expected\n"
        f"{expected_graph.serialize(format='nt')}"
    )


def run_requests(client: httpx.Client, g: Graph, test: URIRef, *, first: int = 0, last: int | None = None) -> None:
    """Send the entry's requests ``[first:last]`` in order, checking each response."""
    variables: dict[str, str] = {}
    action = g.value(test, MF.action)
    requests = list(Collection(g, g.value(action, HT.requests)))
    for req in requests[first:last]:
        method = str(g.value(req, HT.methodName))
        path = _path(str(g.value(req, HT.absolutePath)), variables)
        headers = _headers(g, req)
        if method in WRITES:
            headers.update(_auth())
        body = _body(g, req)
        content = None
        if body is not None:
            for name, value in variables.items():
                body = body.replace(name, value)
            content = body.encode(_media(headers.get("content-type", ""))[1] or "utf-8")
        r = client.request(method, path, content=content, headers=headers)
        resp = g.value(req, HT.resp)
        _check_status(r, g, resp)
        template = g.value(resp, MF.expectedLocation)
        if template is not None:
            assert "location" in r.headers, f"{method} {path}: no Location"
            variables[str(template)] = r.headers["location"]
        graph_iri = httpx.URL(path).params.get("graph")
        _check_content(r, g, resp, graph_iri)


@pytest.mark.remote
@pytest.mark.parametrize("name,test,g", RUN, ids=[t[0] for t in RUN])
def test_graph_store_protocol(client, name, test, g):
    run_requests(client, g, test)


def test_every_manifest_entry_is_run_or_excluded():
    names = [t[0] for t in GSP_TESTS]
    assert len(names) == len(set(names)) == 13
    assert set(EXCLUDED) <= set(names), set(EXCLUDED) - set(names)
    assert {t[0] for t in RUN} | set(EXCLUDED) == set(names)
    # Every entry needing a feature this server lacks is excluded; the other two exclusions
    # are the default graph and multipart, explained above.
    lacking = {MF.DirectGraphIdentification, MF.POSTGraphCreation}
    needs = {n for n, test, g in GSP_TESTS if lacking & set(g.objects(test, MF.requires))}
    assert needs <= set(EXCLUDED)
    assert set(EXCLUDED) - needs == {"put_get_default", "post_get_post_get_indirect"}
    # manifest-direct.ttl also describes head_non_existing_direct but leaves it out of its
    # mf:entries, so it is not an entry (it needs direct identification anyway). Any other test
    # described but not listed would be noticed here.
    described = {
        str(t).rsplit("#", 1)[-1]
        for g in {id(x[2]): x[2] for x in GSP_TESTS}.values()
        for t in g.subjects(RDF.type, MF.GraphStoreProtocolTest)
    }
    assert described - set(names) == {"head_non_existing_direct"}


# -- what the server does instead of the excluded entries ------------------------------------

TURTLE = b"<http://www.example/s> <http://www.example/p> <http://www.example/o> ."
TURTLE_TYPE = {"content-type": "text/turtle; charset=utf-8"}


def _entry(name: str) -> tuple[URIRef, Graph]:
    return next((test, g) for n, test, g in GSP_TESTS if n == name)


def _refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    if r.request.method != "HEAD":
        assert r.json()["error"]["code"] == code


@pytest.mark.remote
def test_direct_graph_identification_is_not_found(client, gsp_server):
    for method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        headers = {**_auth(), **TURTLE_TYPE} if method in WRITES else {"accept": "text/turtle"}
        content = TURTLE if method in ("PUT", "POST") else None
        r = client.request(method, ENDPOINT + "/person/1.ttl", content=content, headers=headers)
        _refused(r, 404, "not_found")
    assert gsp_server.store.count() == 0


@pytest.mark.remote
def test_post_without_a_graph_is_refused(client, gsp_server):
    r = client.post(ENDPOINT, content=TURTLE, headers={**_auth(), **TURTLE_TYPE})
    _refused(r, 400, "bad_query")
    assert "location" not in r.headers
    assert gsp_server.store.count() == 0


@pytest.mark.remote
def test_default_graph_is_a_read_only_union(client, gsp_server):
    for method in ("PUT", "POST", "DELETE"):
        content = TURTLE if method != "DELETE" else None
        r = client.request(method, ENDPOINT + "?default", content=content, headers={**_auth(), **TURTLE_TYPE})
        _refused(r, 400, "bad_query")
    assert gsp_server.store.count() == 0
    _refused(client.get(ENDPOINT + "?default", headers={"accept": "text/turtle"}), 401, "unauthorized")
    # two named graphs: the default graph is their union
    other = b"<http://www.example/s> <http://www.example/p> <http://www.example/o2> ."
    for n, body in ((1, TURTLE), (2, other)):
        r = client.put(
            ENDPOINT, params={"graph": f"http://www.example/g{n}"}, content=body, headers={**_auth(), **TURTLE_TYPE}
        )
        assert r.status_code == 201, r.text
    r = client.get(ENDPOINT + "?default", headers={"accept": "text/turtle", **_auth()})
    assert r.status_code == 200, r.text
    union = Graph().parse(data=TURTLE + b"\n" + other, format="turtle")
    assert isomorphic(Graph().parse(data=r.content, format="turtle"), union)


@pytest.mark.remote
def test_multipart_post_is_unsupported_media_type(client, gsp_server):
    test, g = _entry("post_get_post_get_indirect")
    run_requests(client, g, test, last=2)  # POST of Turtle (a new graph), GET: as the manifest says
    requests = list(Collection(g, g.value(g.value(test, MF.action), HT.requests)))
    multipart = requests[2]
    assert _headers(g, multipart)["content-type"].startswith("multipart/form-data")
    before = gsp_server.store.count()
    r = client.post(
        _path(str(g.value(multipart, HT.absolutePath)), {}),
        content=(_body(g, multipart) or "").encode(),
        headers={**_headers(g, multipart), **_auth()},
    )
    _refused(r, 415, "unsupported_media_type")
    assert gsp_server.store.count() == before
    run_requests(client, g, test, first=1, last=2)  # the GET again: the graph as it was
