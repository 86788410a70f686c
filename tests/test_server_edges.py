"""The edges of the running server: connections, ports, thread pools, the log, the error envelope.

Everything runs against ``policykg serve`` in its own process (``support.common.serve``) on 127.0.0.1:

* connections (``policykg.api.server``): idle sockets beyond ``max_connections`` under a small
  open-file limit, unfinished headers past ``header_timeout``, a client that never reads past
  ``write_timeout``, a request line that is not ASCII (what curl sends for an unencoded URL);
* a taken port: one line, exit 1, nothing started;
* the SPARQL pool apart from the JSON API's (``policykg.api.pools``);
* a write token redacted by value, however it is encoded in a logged URL;
* ``/id/%FF`` and every other error: the one JSON envelope of docs/api.md.

Waits are polls with deadlines, never a sleep that guesses how long the server takes.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from support.common import REPO, SERVER_ENV, SERVER_MEMORY, assert_refused, copy_store, serve
from support.servers import POLICYKG, assert_serves

pytestmark = pytest.mark.remote

#: The edges server's short limits: each is reached in a second or two.
HEADER_TIMEOUT = 1.5
WRITE_TIMEOUT = 2.0
EDGES_ENV = {
    **SERVER_ENV,
    "POLICYKG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "POLICYKG_WRITE_TIMEOUT": str(WRITE_TIMEOUT),
    "POLICYKG_QUERY_TIMEOUT": "20",
}


@pytest.fixture(scope="module")
def edges(api_store_template, tmp_path_factory):
    server = serve(api_store_template, tmp_path_factory.mktemp("edges"), env=EDGES_ENV, memory=SERVER_MEMORY)
    yield server
    server.stop()


def _wait(condition, what: str, timeout: float):
    """Poll ``condition()`` until it returns something true; fail naming ``what`` past ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.05)


def _closed_by_server(sock: socket.socket) -> bool:
    """The server closed or reset ``sock`` (without reading from it what may still be unread)."""
    state = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
    return state != 1  # TCP_ESTABLISHED: CLOSE_WAIT after a FIN, CLOSE after a reset


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as is; the status, headers and body of the reply (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]))
    return int(lines[0].split()[1]), headers, body


def _envelope(status: int, headers: dict[str, str], body: bytes, code: str) -> dict:
    assert headers["content-type"].startswith("application/json"), (status, headers, body[:300])
    err = json.loads(body)["error"]
    assert status == err["status"] == 400 and err["code"] == code and err["message"], err
    assert headers["x-content-type-options"] == "nosniff"
    return err


# -- connections ------------------------------------------------------------------------------------

#: The open-file limit the idle-socket server is put under: uvicorn with no cap stops accepting
#: once idle sockets have used it up (as 1 100 of them did under the common 1 024).
SMALL_NOFILE = 256
CAP = 40
IDLE = 300


@pytest.mark.slow
def test_idle_sockets_beyond_max_connections_leave_an_ordinary_request_answering(api_store_template, tmp_path):
    """300 idle sockets (no byte sent) against a server limited to 256 open files, with
    max_connections=40 and a header timeout too long to help: the server keeps at most 40 of
    them (the longest-waiting closed at once as new ones come), so an ordinary request is
    answered at once. Before, every socket was held until the open files ran out, and the
    ordinary request waited in the listen queue for good."""
    env = {**SERVER_ENV, "POLICYKG_MAX_CONNECTIONS": str(CAP), "POLICYKG_HEADER_TIMEOUT": "600"}
    server = serve(api_store_template, tmp_path, env=env, memory=SERVER_MEMORY)
    socks: list[socket.socket] = []
    try:
        resource.prlimit(server.proc.pid, resource.RLIMIT_NOFILE, (SMALL_NOFILE, SMALL_NOFILE))
        for _ in range(IDLE):
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        start = time.monotonic()
        r = httpx.get(server.url + "/health", timeout=10)
        assert r.status_code == 200 and time.monotonic() - start < 3, (r.status_code, time.monotonic() - start)
        _wait(
            lambda: sum(not _closed_by_server(s) for s in socks) <= CAP,
            "the server holds at most max_connections idle sockets",
            10,
        )
        assert_serves(server)
        assert "max_connections=40 reached" in server.log()
    finally:
        for s in socks:
            s.close()
        server.stop()


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /health HTTP/1.1\r\nHost: x\r\n", b"trickle"],
    ids=["nothing", "half a header", "a byte at a time"],
)
def test_a_request_whose_headers_do_not_come_within_header_timeout_is_closed(edges, sent):
    """A fresh connection that sends nothing, half a request's headers, or one byte of a header
    every fifth of a second (a slowloris keeping the socket busy) is closed header_timeout
    (1.5 s) after it opened; before, each was held for ever."""
    with socket.create_connection(("127.0.0.1", edges.port), timeout=10) as s:
        opened = time.monotonic()
        if sent == b"trickle":
            s.sendall(b"GET /health HTTP/1.1\r\n")
            for byte in b"X-Slow: " + b"a" * 1000:
                if _closed_by_server(s) or time.monotonic() - opened > HEADER_TIMEOUT + 5:
                    break
                try:
                    s.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.2)
        else:
            s.sendall(sent)
        _wait(lambda: _closed_by_server(s), "the unfinished request closed", HEADER_TIMEOUT + 5)
        took = time.monotonic() - opened
    assert HEADER_TIMEOUT - 0.1 <= took <= HEADER_TIMEOUT + 3, took
    assert_serves(edges)


def test_a_kept_alive_connection_serves_its_next_request_and_is_closed_when_idle(edges):
    """Keep-alive still works (two requests on one connection), and the connection is closed
    when nothing follows: idle_timeout (5 s) or header_timeout (1.5 s here), whichever is first."""
    with socket.create_connection(("127.0.0.1", edges.port), timeout=10) as s:
        for _ in range(2):
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while b'"ok"' not in reply:
                reply += s.recv(65536)
            assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        answered = time.monotonic()
        _wait(lambda: _closed_by_server(s), "the idle kept-alive connection closed", HEADER_TIMEOUT + 5)
        assert time.monotonic() - answered <= HEADER_TIMEOUT + 3


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc")


#: A reply of about 32 MB (60 000 rows of a cross join, about 540 bytes each in SPARQL JSON).
BIG = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 60000"
NON_READERS = 4


@pytest.mark.slow
def test_a_client_that_never_reads_its_reply_is_reset_after_write_timeout_and_the_memory_is_freed(edges):
    """Four clients ask for a 32 MB reply each and read none of it (a 4 kB receive buffer):
    the replies wait in the server for write_timeout (2 s) and then each connection is reset
    and its reply dropped, so the server's memory comes back to what it was. Before, the
    server held every such reply for as long as the client kept the socket open."""
    request = f"GET /sparql?query={quote(BIG)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    r = httpx.get(edges.url + "/sparql", params={"query": BIG}, timeout=60)  # the reply really is big
    assert r.status_code == 200 and len(r.content) > 20_000_000, (r.status_code, len(r.content))
    before = _rss_mb(edges.proc.pid)
    socks = []
    try:
        for _ in range(NON_READERS):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", edges.port))
            s.sendall(request)
            socks.append(s)
        _wait(lambda: all(_closed_by_server(s) for s in socks), "every non-reading client reset", WRITE_TIMEOUT + 40)
        after = _wait(
            lambda: (m := _rss_mb(edges.proc.pid)) <= before + 48 and m,
            "the server's memory back within 48 MB of where it was",
            10,
        )
        assert after <= before + 48
    finally:
        for s in socks:
            s.close()
    assert "took none of its reply for 2 s (write_timeout): connection reset" in edges.log()
    assert_serves(edges)


@pytest.mark.slow
def test_a_client_that_reads_in_bursts_with_pauses_shorter_than_write_timeout_gets_its_whole_reply(edges):
    """The write timeout counts a stall, not the whole reply: a client that takes 1.5 MB, rests
    1.2 s (under write_timeout), and so on, through a small receive buffer, spends longer than
    write_timeout in all and still gets every byte (the kernel wakes a paused writer only once
    a third of its send buffer is free, so "writing paused" alone would have reset it)."""
    query = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 12000"
    whole = httpx.get(edges.url + "/sparql", params={"query": query}, timeout=60).content
    assert len(whole) > 5_000_000
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", edges.port))
        s.sendall(f"GET /sparql?query={quote(query)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        start, out, burst = time.monotonic(), b"", 0
        while chunk := s.recv(65536):
            out += chunk
            burst += len(chunk)
            if burst >= 1_500_000:
                burst = 0
                time.sleep(1.2)
    assert out.endswith(whole[-1000:]) and len(out) > len(whole), (len(out), len(whole))
    assert time.monotonic() - start > WRITE_TIMEOUT


# -- requests that are not HTTP ---------------------------------------------------------------------


def test_unencoded_chinese_in_the_request_line_gets_the_json_envelope(edges):
    """curl sends ``/api/search?q=三名工程`` as raw UTF-8 bytes; h11 refuses them, and uvicorn
    answered with a plain-text "Invalid HTTP request received.". Now: 400 ``bad_encoding`` in
    the envelope, saying how to encode the URL."""
    status, headers, body = _raw(edges.port, "GET /api/search?q=三名工程 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    err = _envelope(status, headers, body, "bad_encoding")
    assert "percent-encode" in err["hint"] and "ASCII" in err["message"]
    status, headers, body = _raw(edges.port, "GET /id/项目 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    _envelope(status, headers, body, "bad_encoding")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad\x01: y\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
    ids=["broken header", "control byte in a header name", "not http"],
)
def test_a_request_that_is_not_http_gets_the_json_envelope(edges, request_bytes):
    _envelope(*_raw(edges.port, request_bytes), "bad_request")
    assert_serves(edges)


# -- a taken port ------------------------------------------------------------------------------------


def test_serve_on_a_taken_port_says_which_and_how_to_choose_another_in_one_line(tmp_path):
    """Before: "Serving …" and then uvicorn's bind error. Now one line naming host and port and
    the two ways to choose another, exit 1, and nothing started (no "Serving" line, no store)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYKG_")}
        store = tmp_path / "store"
        proc = subprocess.run(
            [POLICYKG, "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(store)],
            capture_output=True,
            env=env,
            timeout=60,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Serving" not in err and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"port {port} on 127.0.0.1" in lines[0] and "in use" in lines[0], err
    assert "--port N" in lines[0] and "PORT=N bash scripts/quickstart.sh" in lines[0], err
    assert not store.exists()


def test_the_serving_line_names_the_store(edges):
    assert re.search(rf"Serving \S+/store on http://127\.0\.0\.1:{edges.port}/", edges.log()), edges.log()[:500]


# -- the SPARQL pool and the JSON API's --------------------------------------------------------------

#: Synthetic targets added to the API store: /api/targets then takes ~0.7 s of Python (it sorts
#: every match), so a flood of them holds every thread of the JSON API's pool for a long time.
TARGETS = 30_000
FLOOD = 50  # more than the 40 threads of the JSON API's pool


def _with_many_targets(template: Path, dest: Path) -> Path:
    from policykg.graph.store import OxigraphStore

    base, pkg = "https://w3id.org/policykg/id/", "https://w3id.org/policykg/ontology#"
    doc = f"<{base}doc/synthetic>"
    lines = []
    for i in range(TARGETS):
        t, task = f"<{base}doc/synthetic/target/{i}>", f"<{base}doc/synthetic/task/{i // 5}>"
        lines += [
            f"{t} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{pkg}Target> {doc} .",
            f"{task} <{pkg}hasTarget> {t} {doc} .",
            f"{t} <http://www.w3.org/ns/prov#wasDerivedFrom> {doc} {doc} .",
            f'{t} <http://www.w3.org/2000/01/rdf-schema#label> "目标 {i}" {doc} .',
        ]
    store = OxigraphStore(copy_store(template, dest))
    try:
        store.load("\n".join(lines).encode(), "nquads")
        store.flush()
    finally:
        store.close()
    return dest


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads in /proc")


@pytest.mark.slow
def test_a_flood_of_json_api_calls_does_not_make_a_sparql_query_wait(api_store_template, tmp_path):
    """50 concurrent /api/targets over 30 000 targets hold every thread of the JSON API's pool
    for tens of seconds; meanwhile ``ASK {}`` on /sparql answers within 5 s. Before, the two
    shared one pool of 40 threads and the ASK waited 35 s for one."""
    folder = tmp_path / "pools"
    folder.mkdir()
    store = _with_many_targets(api_store_template, folder / "store")
    from support.servers import Served

    env = {**SERVER_ENV, "POLICYKG_MAX_ROWS": "1000000", "POLICYKG_QUERY_TIMEOUT": "30"}
    server = Served(store, folder / "server.log", env=env, memory=SERVER_MEMORY)
    flood: list[object] = []

    def targets() -> None:
        try:
            flood.append(httpx.get(server.url + "/api/targets", timeout=120).status_code)
        except httpx.HTTPError as exc:  # the server is killed before the flood is through
            flood.append(type(exc).__name__)

    threads = [threading.Thread(target=targets, daemon=True) for _ in range(FLOOD)]
    try:
        idle = _threads(server.proc.pid)
        for t in threads:
            t.start()
        _wait(lambda: _threads(server.proc.pid) >= idle + 30, "the flood holding the JSON API's threads", 30)
        start = time.monotonic()
        r = httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=60)
        took = time.monotonic() - start
        assert r.status_code == 200 and r.json()["boolean"] is True, r.text[:300]
        assert took < 5, f"ASK {{}} waited {took:.1f} s behind the JSON API"
        assert len(flood) < FLOOD / 2, "the flood was over before the query: it proved nothing"
    finally:
        os.killpg(server.proc.pid, signal.SIGKILL)  # the flood's threads would finish their work first
        server.proc.wait(10)
        for t in threads:
            t.join(30)


# -- the token in the log ----------------------------------------------------------------------------

TOKEN = "a+b/c=d"
#: The token as a URL can carry it: percent-encoded in full, in part, in lower case, twice.
TOKEN_FORMS = [
    TOKEN,
    quote(TOKEN),
    quote(TOKEN, safe=""),
    quote_plus(TOKEN),
    quote(TOKEN, safe="").lower(),
    "a+b%2Fc=d",
    quote(quote(TOKEN, safe=""), safe=""),
]


def test_a_token_with_plus_slash_equals_is_redacted_by_value_in_any_encoding(api_store_template, tmp_path):
    """A write token ``a+b/c=d`` sent in URL parameters whose names say nothing (``whatever``,
    ``x``) and in a path, raw and in every percent-encoded form, at log level info (every
    request line logged): none of the forms is in the log. Before, only the raw token and the
    values of parameters named like tokens were blanked, so ``?whatever=a%2Bb%2Fc%3Dd`` was logged."""
    env = {**SERVER_ENV, "POLICYKG_WRITE_TOKEN": TOKEN, "POLICYKG_QUERY_WORKERS": "1"}
    server = serve(api_store_template, tmp_path, env=env, log_level="info")
    try:
        sent = [
            f"/api/documents?whatever={quote(TOKEN, safe='')}",
            f"/api/documents?x={TOKEN}",
            f"/api/documents?y={quote(TOKEN, safe='').lower()}",
            "/api/documents?z=a+b%2Fc=d",
            f"/id/{quote(TOKEN, safe='')}",
            f"/api/search?q={quote(quote(TOKEN, safe=''), safe='')}",
        ]
        for path in sent:
            httpx.get(server.url + path, timeout=30)
        httpx.post(
            server.url + "/update",
            params={"whatever": TOKEN},
            content=b"x",
            headers={"content-type": "application/sparql-update"},
            timeout=30,
        )
    finally:
        server.stop()
    log = server.log()
    for form in TOKEN_FORMS:
        assert form not in log, f"{form!r} is in the log:\n{log[-3000:]}"
    assert "GET /api/documents?whatever=*** HTTP/1.1" in log and "GET /id/*** HTTP/1.1" in log, log[-3000:]
    assert log.count("***") >= len(sent) + 1


def test_the_scrubber_catches_every_encoding_of_the_token():
    from policykg.api.app import secret_pattern

    for token in (TOKEN, "密 码/+=", "plain-token-1"):
        pattern = secret_pattern(token)
        forms = {
            token,
            quote(token),
            quote(token, safe=""),
            quote_plus(token),
            quote_plus(token).lower(),
            quote(token, safe="").lower(),
            quote(quote(token, safe=""), safe=""),
            str(token.encode())[2:-1],
        }
        for form in forms:
            assert pattern.sub("***", f"GET /x?k={form}&n=1") == "GET /x?k=***&n=1", (token, form)
    assert secret_pattern(TOKEN).sub("***", "a+b/c=e a%2Bb") == "a+b/c=e a%2Bb"


# -- paths and the one envelope ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/%FF",
        "/id/doc/%E4%B8",
        "/id/%C0%AF",
        "/api/documents/%FF",
        "/static/%FF",
        "/id/100%",
        "/id/%zz",
        "/explore/%FF",
    ],
)
def test_a_path_that_is_not_percent_encoded_utf8_is_400_bad_encoding(edges, path):
    """uvicorn decodes ``/id/%FF`` to U+FFFD: a 404 for an IRI nobody asked about. Like the query
    string (commit cb69a08), the path is read strictly on every route."""
    err = assert_refused(httpx.get(edges.url + path, timeout=30), 400, "bad_encoding")
    assert "path" in err["message"]
    assert httpx.get(edges.url + "/id/doc/kunming-2017-education-workplan", timeout=30).status_code == 200


def _documented_codes() -> set[str]:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    codes = text[text.index("Codes:") : text.index("## SPARQL")]
    return set(re.findall(r"`([a-z_]+)`", codes))


#: One request for every way the server says no: (method, path, headers, body).
ERRORS = [
    ("GET", "/no-such-route", {}, None),
    ("GET", "/static/no-such-file.css", {}, None),
    ("GET", "/id/doc/no-such-document", {"accept": "application/json"}, None),
    ("GET", "/id/doc/no-such-document", {}, None),
    ("GET", "/api/documents/no-such-document", {}, None),
    ("GET", "/graph-store?graph=urn:x:no-such-graph", {}, None),
    ("GET", "/static/style.css", {"range": "bytes=999999-"}, None),
    ("GET", "/static/style.css", {"range": "bytes=abc"}, None),
    ("PATCH", "/api/documents", {}, None),
    ("DELETE", "/sparql", {}, None),
    ("GET", "/api/documents?limit=x", {}, None),
    ("GET", "/api/divisions/999", {}, None),
    ("GET", "/sparql?query=SELEC", {}, None),
    ("GET", "/sparql?query=ASK{}", {"accept": "image/png"}, None),
    ("POST", "/sparql", {"content-type": "text/foo"}, b"x"),
    ("POST", "/sparql", {"content-type": "application/sparql-query", "content-encoding": "gzip"}, b"x"),
    ("POST", "/sparql", {"content-type": "application/sparql-query"}, b"x" * 400_000),
    ("POST", "/update", {"content-type": "application/sparql-update"}, b"x"),
    ("GET", "/sparql?query=%FF", {}, None),
    ("GET", "/id/%FF", {}, None),
    ("GET", "/api/trace?program=no-such-program", {}, None),
]


@pytest.mark.parametrize("method,path,headers,body", ERRORS, ids=[f"{m} {p} {h}" for m, p, h, _ in ERRORS])
def test_every_error_is_the_one_documented_envelope(edges, method, path, headers, body):
    """404 (no route, no file, no resource), 405, 400, 406, 413, 415, 401 and a bad Range on a
    static file (Starlette answered that in plain text): all the envelope of docs/api.md, its
    code one that docs/api.md lists, its status the HTTP status."""
    r = httpx.request(method, edges.url + path, headers=headers, content=body, timeout=30)
    assert r.status_code >= 400, (path, r.status_code)
    err = assert_refused(r, r.status_code)
    assert set(err) <= {"code", "message", "status", "hint"}, err
    assert err["code"] in _documented_codes(), f"{err['code']} is not listed in docs/api.md"
    if r.status_code == 404 and path == "/no-such-route":
        assert "/no-such-route" in err["message"] and "/api/docs" in err["hint"]


def test_every_code_the_server_can_answer_is_documented():
    from policykg.api.app import _HTTP_CODES

    missing = set(_HTTP_CODES.values()) - _documented_codes()
    assert not missing, f"docs/api.md does not list {sorted(missing)}"
