"""Request bodies against a real ``policykg serve`` process: capped before they are read,
never inflated, and refused when malformed, with the store exactly as before.

The caps are tested the way an attacker would send: a ``Content-Length`` far over the cap
with only the first bytes actually sent (the 413 must come back anyway, so the server did not
wait for the rest), and an endless chunked body (the 413 must come back soon after the cap).
The server runs with its address space capped, so a memory bomb that gets through fails
its test instead of taking the machine down.
"""

from __future__ import annotations

import gzip
import io
import select
import socket
import time
import zipfile

import httpx
import pytest

from policykg.api.app import MULTIPART_SLACK
from support.common import AUTH, QUERY_TYPE, SERVER_ENV, UPDATE_TYPE, assert_refused
from support.servers import assert_serves

pytestmark = pytest.mark.remote

REQUEST_CAP = int(SERVER_ENV["POLICYKG_MAX_REQUEST_BYTES"])
UPLOAD_CAP = int(SERVER_ENV["POLICYKG_MAX_UPLOAD_BYTES"])


#: (method, target, headers, cap) of every route that reads a body.
ROUTES = {
    "query": ("POST", "/sparql", QUERY_TYPE, REQUEST_CAP),
    "update": ("POST", "/update", {**UPDATE_TYPE, **AUTH}, REQUEST_CAP),
    "graph store": (
        "PUT",
        "/graph-store?graph=http://example.org/big",
        {"content-type": "text/turtle", **AUTH},
        UPLOAD_CAP,
    ),
    "upload": ("POST", "/documents?name=big.txt", AUTH, UPLOAD_CAP + MULTIPART_SLACK),
}


def _head(method: str, target: str, headers: dict[str, str], extra: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in {**headers, **extra}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_reply(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 reply with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a reply: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), body[:length]


@pytest.mark.parametrize("route", ROUTES, ids=list(ROUTES))
@pytest.mark.usefixtures("untouched")
def test_a_declared_length_over_the_cap_is_413_before_the_body_is_sent(served, route):
    """Content-Length says 50 MB, only 64 kB follow: the 413 arrives without the rest."""
    method, target, headers, _cap = ROUTES[route]
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(_head(method, target, headers, {"Content-Length": str(50_000_000)}) + b"#" * 65536)
        started = time.monotonic()
        status, body = _read_reply(s)
    assert status == 413 and b"request_too_large" in body, body
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("route", ROUTES, ids=list(ROUTES))
@pytest.mark.usefixtures("untouched")
def test_an_endless_chunked_body_is_stopped_soon_after_the_cap(served, route):
    """No Content-Length: the body is counted as it streams and cut at the cap."""
    method, target, headers, cap = ROUTES[route]
    chunk = b"#" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
        s.sendall(_head(method, target, headers, {"Transfer-Encoding": "chunked"}))
        while not select.select([s], [], [], 0)[0]:
            assert sent < cap + 2_000_000, "still reading 2 MB past the cap"
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
            time.sleep(0.002)  # let the server read, as a network would
        status, body = _read_reply(s)
    assert status == 413 and b"request_too_large" in body, body
    assert sent > cap  # it did read up to the cap: the cap, not something smaller, stopped it


def _valid_body(route: str) -> bytes:
    return {
        "query": b"ASK {}",
        "update": b"CLEAR SILENT GRAPH <http://example.org/none>",
        "graph store": b"<http://a> <http://b> <http://c> .",
        "upload": "一、标题\n1.任务。".encode(),
    }[route]


@pytest.mark.parametrize("route", ROUTES, ids=list(ROUTES))
@pytest.mark.usefixtures("untouched")
def test_a_compressed_body_is_415_and_never_inflated(served, route):
    method, target, headers, _cap = ROUTES[route]
    for encoding, body in (
        ("gzip", gzip.compress(_valid_body(route))),
        ("deflate", b"x\x9c\x03\x00\x00\x00\x00\x01"),
        ("br", b"\x3b"),
    ):
        r = httpx.request(method, served.url + target, content=body, headers={**headers, "content-encoding": encoding})
        err = assert_refused(r, 415, "unsupported_media_type")
        assert encoding in err["message"]


@pytest.mark.usefixtures("untouched")
def test_a_gzip_bomb_costs_no_memory(served):
    """200 MB of zeros in 200 kB of gzip: refused from the header, the server's peak memory
    does not move."""
    bomb = gzip.compress(bytes(200_000_000), compresslevel=9)
    assert len(bomb) < 300_000
    peak = served.peak_rss_kb()
    for method, target, headers, _cap in ROUTES.values():
        r = httpx.request(method, served.url + target, content=bomb, headers={**headers, "content-encoding": "gzip"})
        assert_refused(r, 415, "unsupported_media_type")
    assert served.peak_rss_kb() - peak < 50_000


# -- uploads ---------------------------------------------------------------------------------------


def _docx_bomb(paragraphs: int) -> bytes:
    """A real .docx (python-docx) whose document.xml inflates ~400 times: 700 kB -> 270 MB."""
    import docx

    doc = docx.Document()
    doc.add_paragraph("一、标题")
    plain = io.BytesIO()
    doc.save(plain)
    para = "<w:p><w:r><w:t>" + "实施名校建设工程。" * 1000 + "</w:t></w:r></w:p>"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode()
                at = text.index("<w:body>") + len("<w:body>")
                data = (text[:at] + para * paragraphs + text[at:]).encode()
            z.writestr(item, data)
    return out.getvalue()


@pytest.mark.usefixtures("untouched")
def test_a_docx_zip_bomb_upload_is_refused_naming_the_file(served):
    """The loader (loaders/docx.py) must refuse what inflates past its cap; through the API
    that is a 422 naming the file, quickly, and the server's memory stays flat."""
    bomb = _docx_bomb(10_000)
    assert len(bomb) < UPLOAD_CAP
    peak = served.peak_rss_kb()
    started = time.monotonic()
    r = httpx.post(
        served.url + "/documents", params={"name": "炸弹 bomb.docx"}, content=bomb, headers=AUTH, timeout=120
    )
    err = assert_refused(r, 422, "bad_input")
    assert "炸弹 bomb.docx" in err["message"]
    assert time.monotonic() - started < 10.0
    assert served.peak_rss_kb() - peak < 300_000


MULTIPART = {
    "no boundary": (
        "multipart/form-data",
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\ntext\r\n--x--\r\n',
    ),
    "cut off inside the part": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        + "一、标题\n1.任务。".encode(),
    ),
    "not multipart at all": ("multipart/form-data; boundary=xyz", b"garbage"),
    "the file in another field": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="document"; filename="a.txt"\r\n\r\n'
        + "一、标题\n1.任务。".encode()
        + b"\r\n--xyz--\r\n",
    ),
    "a text field, not a file": (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nhello\r\n--xyz--\r\n',
    ),
    "two thousand fields": (
        "multipart/form-data; boundary=xyz",
        b"".join(b'--xyz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(2000))
        + b"--xyz--\r\n",
    ),
}


@pytest.mark.parametrize("case", MULTIPART, ids=list(MULTIPART))
@pytest.mark.usefixtures("untouched")
def test_malformed_multipart_upload_is_400_and_stores_nothing(served, case):
    ctype, body = MULTIPART[case]
    r = httpx.post(served.url + "/documents", content=body, headers={"content-type": ctype, **AUTH})
    assert_refused(r, 400)


@pytest.mark.usefixtures("untouched")
def test_an_upload_of_another_media_type_without_a_name_is_400(served):
    """A body that is not multipart is the raw document, and then its name must be given."""
    for ctype in ("application/json", "multipart/mixed; boundary=xyz", "text/plain"):
        r = httpx.post(
            served.url + "/documents", content="一、标题\n1.任务。".encode(), headers={"content-type": ctype, **AUTH}
        )
        err = assert_refused(r, 400)
        assert "name" in err["message"]


# -- Graph Store bodies that would hurt the parser -------------------------------------------------


def _gsp_put(served, body: bytes, ctype: str) -> httpx.Response:
    return httpx.put(
        served.url + "/graph-store",
        params={"graph": "http://example.org/hostile-gsp"},
        content=body,
        headers={"content-type": ctype, **AUTH},
        timeout=60,
    )


@pytest.mark.usefixtures("untouched")
def test_json_ld_nested_10_000_deep_is_400_not_a_dead_server(served):
    """pyoxigraph's JSON-LD parser recursed per object and killed the server (SIGSEGV)."""
    body = b'{"@id": "http://a", "http://b": ' + b'{"http://c": ' * 10_000 + b"1" + b"}" * 10_001
    err = assert_refused(_gsp_put(served, body, "application/ld+json"), 400, "query_too_complex")
    assert "nested" in err["message"]


@pytest.mark.usefixtures("untouched")
def test_rdf_xml_billion_laughs_is_400_not_gigabytes(served):
    """Six hundred bytes of nested entities expand to 1 GB in the RDF/XML parser."""
    names = "abcdefghi"
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {names[i]} "{("&" + names[i - 1] + ";") * 10}">' for i in range(1, 9)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [{entities}]><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://a"><e:p>&i;</e:p></rdf:Description></rdf:RDF>'
    ).encode()
    peak = served.peak_rss_kb()
    err = assert_refused(_gsp_put(served, body, "application/rdf+xml"), 400, "bad_query")
    assert "ENTITY" in err["message"]
    assert served.peak_rss_kb() - peak < 50_000


@pytest.mark.usefixtures("untouched")
def test_graph_store_bodies_that_name_urls_fetch_nothing(served, web):
    """A JSON-LD remote @context and an RDF/XML external entity: refused, no connection."""
    url = f"http://127.0.0.1:{web.port}/context.jsonld"
    body = f'{{"@context": "{url}", "@id": "http://a", "name": "x"}}'.encode()
    assert_refused(_gsp_put(served, body, "application/ld+json"), 400, "bad_query")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{url}">]><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://a"><e:p>&x;</e:p></rdf:Description></rdf:RDF>'
    ).encode()
    assert_refused(_gsp_put(served, body, "application/rdf+xml"), 400, "bad_query")


def test_the_server_never_hit_an_unhandled_error(served):
    """Last in this file: nothing above made the server log a traceback (a 500) or die."""
    assert_serves(served)
    assert "Traceback" not in served.log(), served.log()[-3000:]
