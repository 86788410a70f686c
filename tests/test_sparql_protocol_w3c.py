"""The W3C SPARQL 1.1 Protocol and Service Description manifests, run against a live server.

Data-driven: every entry of ``tests/data/w3c/sparql/sparql11/protocol/manifest.ttl`` and
``.../service-description/manifest.ttl`` becomes one test. Requests are sent over HTTP to
uvicorn on 127.0.0.1 (not an in-process client).

How the manifest is mapped to this server (the manifest allows both):
* its ``/sparql/`` path is our query endpoint ``/sparql``; update requests go to the separate,
  token-protected ``/update`` with ``Authorization: Bearer <token>`` (the manifest says "an
  endpoint being tested may require different endpoints to be used for Query and Update");
* before each test the store is reset through our own API (``DROP ALL``, then a Graph Store
  Protocol PUT of each ``ut:graphData`` file into the graph named by its ``rdfs:label``).

Exclusions: none. (Listed here if ever needed, each with its reason.)
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from support.common import API_TOKEN
from support.servers import LiveServer

W3C = Path(__file__).resolve().parent / "data" / "w3c" / "sparql" / "sparql11"
PROTOCOL = W3C / "protocol" / "manifest.ttl"
SERVICE_DESCRIPTION = W3C / "service-description" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")

#: Tests deliberately not run, with the reason. Keep empty unless a test cannot pass by design.
EXCLUDED: dict[str, str] = {}

RESULT_MEDIA = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "application/json",
    "text/csv",
    "text/tab-separated-values",
    "application/xml",
    "text/xml",
}
RDF_MEDIA = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/plain": "nt",
}


def _load(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle", publicID=path.as_uri())
    return g


def _entries(path: Path) -> list[tuple[str, URIRef, Graph]]:
    g = _load(path)
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    entries = Collection(g, g.value(manifest, MF.entries))
    return [(str(e).rsplit("#", 1)[-1], e, g) for e in entries]


PROTOCOL_TESTS = _entries(PROTOCOL)
SD_TESTS = _entries(SERVICE_DESCRIPTION)


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("w3c") / "store", write_token=API_TOKEN, query_timeout=10.0)
    yield server
    server.stop()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


def _reset(client: httpx.Client, g: Graph, test: URIRef) -> None:
    r = client.post("/update", content="DROP ALL", headers={"content-type": "application/sparql-update", **_auth()})
    assert r.status_code == 204, r.text
    for data in g.objects(test, UT.graphData):
        file = Path(str(g.value(data, UT.graph)).removeprefix("file://"))
        name = str(g.value(data, RDFS_LABEL))
        r = client.put(
            "/graph-store",
            params={"graph": name},
            content=file.read_bytes(),
            headers={"content-type": "application/n-triples", **_auth()},
        )
        assert r.status_code in (201, 204), r.text


def _requests(g: Graph, test: URIRef) -> list:
    action = g.value(test, MF.action)
    return list(Collection(g, g.value(action, HT.requests)))


def _is_update(method: str, path: str, ctype: str | None, body: str | None) -> bool:
    if ctype and ctype.startswith("application/sparql-query"):
        return False
    if ctype and ctype.startswith("application/sparql-update"):
        return True
    text = (body or "") + "&" + path.partition("?")[2]
    return any(part.startswith("update=") for part in text.split("&"))


def _check_response(r: httpx.Response, g: Graph, resp) -> None:
    statuses = {str(s).removeprefix(HTS) for s in g.objects(resp, MF.expectedStatus)}
    assert f"{r.status_code // 100}xx" in statuses, f"status {r.status_code} not in {statuses}: {r.text[:300]}"
    if r.status_code >= 400:
        err = r.json()["error"]  # the one JSON error envelope
        assert err["code"] and err["message"]
    fmt = g.value(resp, MF.expectedFormat)
    media = r.headers.get("content-type", "").split(";")[0].strip()
    if fmt is not None:
        fmt = str(fmt)
        if fmt in ("boolean", "tabular"):
            assert media in RESULT_MEDIA, media
        elif fmt == "RDF":
            assert media in RDF_MEDIA, media
            Graph().parse(data=r.content, format=RDF_MEDIA[media])
    expected_bool = g.value(resp, MF.expectedBoolean)
    if expected_bool is not None:
        if "json" in media:
            got = json.loads(r.content)["boolean"]
        else:
            got = b"<boolean>true</boolean>" in r.content
        assert got is expected_bool.toPython(), r.text


@pytest.mark.remote
@pytest.mark.parametrize("name,test,g", PROTOCOL_TESTS, ids=[t[0] for t in PROTOCOL_TESTS])
def test_protocol(w3c_server, name, test, g):
    if name in EXCLUDED:
        pytest.skip(EXCLUDED[name])
    update_test = name.startswith(("update_", "bad_update_"))
    with httpx.Client(base_url=w3c_server.url, timeout=30) as client:
        _reset(client, g, test)
        for req in _requests(g, test):
            method = str(g.value(req, HT.methodName))
            path = str(g.value(req, HT.absolutePath))
            body_node = g.value(req, HT.body)
            body = str(g.value(body_node, CNT.chars)) if body_node is not None else None
            headers = {}
            hlist = g.value(req, HT.headers)
            if hlist is not None:
                for h in Collection(g, hlist):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
            assert path.startswith("/sparql/")
            rest = path[len("/sparql/") :]
            if update_test and _is_update(method, path, ctype, body):
                target = "/update" + rest
                headers.update(_auth())
            else:
                target = "/sparql" + rest
            content = None
            if body is not None:
                charset = (ctype or "").lower().partition("charset=")[2]
                content = body.encode("utf-16" if charset.startswith("utf-16") else "utf-8")
            r = client.request(method, target, content=content, headers=headers)
            _check_response(r, g, g.value(req, HT.resp))


# -- service description --------------------------------------------------------------------


def _service_description(server) -> tuple[httpx.Response, Graph]:
    r = httpx.get(server.url + "/sparql", headers={"Accept": "text/turtle, application/rdf+xml;q=0.9"}, timeout=30)
    g = Graph()
    if r.status_code == 200:
        g.parse(data=r.content, format="turtle", publicID=server.url + "/sparql")
    return r, g


def _sd_returns_rdf(server):
    r, g = _service_description(server)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert len(g) > 0


def _sd_has_endpoint_triple(server):
    _, g = _service_description(server)
    assert (None, SD.endpoint, URIRef(server.url + "/sparql")) in g


def _sd_conforms_to_schema(server):
    _, g = _service_description(server)
    services = list(g.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    s = services[0]
    langs = set(g.objects(s, SD.supportedLanguage))
    assert langs == {SD.SPARQL11Query}  # updates live at a separate endpoint
    for fmt in g.objects(s, SD.resultFormat):
        assert str(fmt).startswith("http://www.w3.org/ns/formats/")
    features = set(g.objects(s, SD.feature))
    # only what is really enabled: no federation (SERVICE is refused), no URI dereferencing
    assert SD.BasicFederatedQuery not in features and SD.DereferencesURIs not in features
    dataset = g.value(s, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in g


SD_CHECKS = {
    "returns-rdf": _sd_returns_rdf,
    "has-endpoint-triple": _sd_has_endpoint_triple,
    "conforms-to-schema": _sd_conforms_to_schema,
}


@pytest.mark.remote
@pytest.mark.parametrize("name", [t[0] for t in SD_TESTS])
def test_service_description(w3c_server, name):
    SD_CHECKS[name](w3c_server)


def test_every_manifest_entry_is_run():
    assert {t[0] for t in SD_TESTS} == set(SD_CHECKS)
    assert len(PROTOCOL_TESTS) == 34
