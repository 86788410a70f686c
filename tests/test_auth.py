"""Writes and the bearer token, against a real ``policykg serve`` process.

Every write route (SPARQL Update on /update and on /sparql, Graph Store PUT/POST/DELETE,
POST /documents raw and multipart) is tried with every wrong way of presenting a token:
each is 401 with ``WWW-Authenticate: Bearer`` and the store is quad for quad as before.
A server started without a token refuses every write (403), whatever is sent. The token is
compared in one place, as digests in constant time, and never reaches the log — checked
by reading what the server printed at its default log level and at uvicorn's debug and
trace levels (debug logs every request line, trace every request's ASGI scope).
"""

from __future__ import annotations

import ast
import base64

import httpx
import pytest

from support.common import API_TOKEN, AUTH, REPO, SERVER_ENV, UPDATE_TYPE, assert_refused, run_cli, serve
from support.servers import store_digest

pytestmark = pytest.mark.remote

SCRATCH = "http://example.org/auth-test"
INSERT = f'INSERT DATA {{ GRAPH <{SCRATCH}> {{ <http://example.org/a> <http://example.org/b> "x" }} }}'
DOCUMENT = "一、标题\n1.实施名校建设工程。".encode()
EXISTING = "https://w3id.org/policykg/id/doc/xundian-2018"


def writes(server, headers: dict[str, str], params: dict[str, str]) -> dict[str, httpx.Response]:
    """Every kind of write the API has, each with ``headers`` and URL ``params``."""
    url = server.url
    gsp = {"graph": EXISTING, **params}
    nt = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> ."
    return {
        "update, direct": httpx.post(
            url + "/update", params=params, content=INSERT.encode(), headers={**UPDATE_TYPE, **headers}
        ),
        "update, form": httpx.post(url + "/update", params=params, data={"update": INSERT}, headers=headers),
        "update on /sparql, form": httpx.post(url + "/sparql", params=params, data={"update": INSERT}, headers=headers),
        "update on /sparql, direct": httpx.post(
            url + "/sparql", params=params, content=INSERT.encode(), headers={**UPDATE_TYPE, **headers}
        ),
        "graph store PUT": httpx.put(
            url + "/graph-store", params=gsp, content=nt, headers={"content-type": "application/n-triples", **headers}
        ),
        "graph store POST": httpx.post(
            url + "/graph-store", params=gsp, content=nt, headers={"content-type": "application/n-triples", **headers}
        ),
        "graph store DELETE": httpx.delete(url + "/graph-store", params=gsp, headers=headers),
        "upload, raw": httpx.post(
            url + "/documents", params={"name": "auth-test.txt", **params}, content=DOCUMENT, headers=headers
        ),
        "upload, multipart": httpx.post(
            url + "/documents", params=params, files={"file": ("auth-test.txt", DOCUMENT)}, headers=headers
        ),
    }


def _basic(secret: str) -> str:
    return "Basic " + base64.b64encode(f"policykg:{secret}".encode()).decode()


#: name -> (headers, URL parameters): every wrong way to present the token.
WRONG = {
    "no token": ({}, {}),
    "a wrong token of the same length": ({"Authorization": "Bearer " + "x" * len(API_TOKEN)}, {}),
    "a short wrong token": ({"Authorization": "Bearer abc"}, {}),
    "the token plus a character": ({"Authorization": f"Bearer {API_TOKEN}x"}, {}),
    "the token minus its last character": ({"Authorization": f"Bearer {API_TOKEN[:-1]}"}, {}),
    "the token upper-cased": ({"Authorization": f"Bearer {API_TOKEN.upper()}"}, {}),
    "the token in the query string": ({}, {"token": API_TOKEN}),
    "the token as access_token in the query string": ({}, {"access_token": API_TOKEN}),
    "the token as Basic credentials": ({"Authorization": _basic(API_TOKEN)}, {}),
    "the token without a scheme": ({"Authorization": API_TOKEN}, {}),
    "the token under another scheme": ({"Authorization": f"Token {API_TOKEN}"}, {}),
    "Bearer and nothing": ({"Authorization": "Bearer"}, {}),
    "the token in a cookie": ({"Cookie": f"token={API_TOKEN}"}, {}),
    "the token in a header of its own": ({"X-Write-Token": API_TOKEN}, {}),
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
@pytest.mark.usefixtures("untouched")
def test_every_write_without_the_right_token_is_401_and_changes_nothing(served, case):
    headers, params = WRONG[case]
    for what, r in writes(served, headers, params).items():
        assert_refused(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer"), what
        assert API_TOKEN not in r.text


@pytest.mark.usefixtures("untouched")
def test_a_token_in_the_url_is_never_accepted_and_the_reply_says_why(served):
    r = httpx.post(served.url + "/update", params={"token": API_TOKEN}, content=INSERT.encode(), headers=UPDATE_TYPE)
    err = assert_refused(r, 401, "unauthorized")
    assert "URL" in err["hint"]


@pytest.mark.usefixtures("unharmed")
def test_the_right_token_is_let_in_whatever_the_case_of_its_scheme(served):
    before = store_digest(served)
    for scheme in ("Bearer", "bearer", "BEARER"):
        r = httpx.post(
            served.url + "/update",
            content=INSERT.encode(),
            headers={**UPDATE_TYPE, "Authorization": f"{scheme}  {API_TOKEN}"},
        )
        assert r.status_code == 204, r.text
    assert store_digest(served) != before
    r = httpx.post(served.url + "/update", content=f"DROP GRAPH <{SCRATCH}>".encode(), headers={**UPDATE_TYPE, **AUTH})
    assert r.status_code == 204, r.text
    assert store_digest(served) == before


def test_without_a_configured_token_every_write_is_403(api_store_template, tmp_path):
    """Secure by default: a server started without POLICYKG_WRITE_TOKEN refuses every write,
    whatever token is sent (403, since no token can help), and says so on /health."""
    env = {k: v for k, v in SERVER_ENV.items() if k != "POLICYKG_WRITE_TOKEN"}
    server = serve(api_store_template, tmp_path, env={**env, "POLICYKG_QUERY_WORKERS": "1"})
    try:
        assert httpx.get(server.url + "/health").json()["writes_enabled"] is False
        before = store_digest(server)
        for headers in ({}, AUTH, {"Authorization": "Bearer"}):
            for what, r in writes(server, headers, {}).items():
                err = assert_refused(r, 403, "writes_disabled")
                assert "disabled" in err["message"], what
        assert store_digest(server) == before
    finally:
        server.stop()


# -- how the token is compared -----------------------------------------------------------------

PACKAGE_DIRS = ("api", "graph", "loaders", "viz", "cli", "policykg", "ontology")


def _write_token_reads() -> list[str]:
    """``module:function`` of every place the package reads ``write_token``."""
    found = []
    for folder in PACKAGE_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, ast.Attribute) and node.attr == "write_token":
                        found.append(f"{path.relative_to(REPO).as_posix()}:{func.name}")
    return sorted(set(found))


def test_the_token_is_compared_in_one_place_in_constant_time():
    """The only code that compares the token is check_token, with hmac.compare_digest over
    SHA-256 digests (equal lengths: the time taken tells nothing, not even the length).
    The other reads only pass it on (create_app: to the log scrubber; /health: whether
    writes are on)."""
    assert _write_token_reads() == ["api/app.py:create_app", "api/app.py:health", "api/sparql.py:check_token"]
    source = (REPO / "api" / "sparql.py").read_text(encoding="utf-8")
    func = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "check_token")
    calls = {ast.unparse(n.func) for n in ast.walk(func) if isinstance(n, ast.Call)}
    assert "hmac.compare_digest" in calls and "hashlib.sha256" in calls
    compared = {
        name.id
        for n in ast.walk(func)
        if isinstance(n, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in n.ops)
        for name in ast.walk(n)
        if isinstance(name, ast.Name)
    }
    assert not compared & {"token", "given"}, "the token is compared with == or in somewhere in check_token"


# -- the token never reaches the log -------------------------------------------------------------

SECRET_IN_URL = "url-secret-5f3a9c"
SECRET_IN_HEADER = "header-secret-9c1e77"


@pytest.mark.parametrize("log_level", [None, "debug", "trace"], ids=["policykg serve default", "debug", "trace"])
def test_the_token_never_reaches_the_log(api_store_template, tmp_path, log_level):
    """The right token in the header, the right and wrong ones in the URL, a wrong one in the
    header and as Basic credentials; then what the server printed holds none of them."""
    env = {**SERVER_ENV, "POLICYKG_QUERY_WORKERS": "1"}
    server = serve(api_store_template, tmp_path, env=env, log_level=log_level)
    try:
        ok = httpx.post(server.url + "/update", content=INSERT.encode(), headers={**UPDATE_TYPE, **AUTH})
        assert ok.status_code == 204, ok.text
        httpx.post(
            server.url + "/update", params={"token": SECRET_IN_URL}, content=INSERT.encode(), headers=UPDATE_TYPE
        )
        httpx.post(
            server.url + "/update", params={"access_token": API_TOKEN}, content=INSERT.encode(), headers=UPDATE_TYPE
        )
        httpx.put(
            server.url + "/graph-store",
            params={"graph": SCRATCH, "key": SECRET_IN_URL},
            headers={"Authorization": f"Bearer {SECRET_IN_HEADER}", "content-type": "text/turtle"},
            content=b"",
        )
        httpx.post(
            server.url + "/documents",
            params={"name": "x.txt"},
            content=DOCUMENT,
            headers={"Authorization": _basic(SECRET_IN_HEADER)},
        )
        httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, headers=AUTH)
    finally:
        server.stop()  # the log is complete once the process has exited
    log = server.log()
    secrets = [
        API_TOKEN,
        SECRET_IN_URL,
        SECRET_IN_HEADER,
        base64.b64encode(f"policykg:{SECRET_IN_HEADER}".encode()).decode(),
    ]
    for secret in secrets:
        assert secret not in log, f"{secret!r} is in the log:\n{log[-3000:]}"
    if log_level is not None:  # the requests really were logged, token parameters blanked
        assert "POST /update?token=*** HTTP/1.1" in log, log[-3000:]
        assert "/update?access_token=*** HTTP/1.1" in log
    if log_level == "trace":  # and so were their ASGI scopes (uvicorn elides the headers there)
        assert "'query_string': b'token=***'" in log, log[-3000:]


def test_the_log_scrubber_blanks_token_parameters_and_credentials():
    """The names the 401 hint looks for are blanked in logged URLs, and so is any Bearer or
    Basic credential in a logged message (an exception's text, a header someone logs)."""
    from policykg.api.app import scrub_logs
    from policykg.api.sparql import TOKEN_PARAMS

    scrubber = scrub_logs(None)
    for name in TOKEN_PARAMS:
        line = f'"POST /update?graph=g&{name}={SECRET_IN_URL}&x=1 HTTP/1.1" 401'
        assert scrubber.scrub(line) == f'"POST /update?graph=g&{name}=***&x=1 HTTP/1.1" 401'
    assert scrubber.scrub(f"(b'authorization', b'Bearer {SECRET_IN_HEADER}')") == "(b'authorization', b'Bearer ***')"
    assert scrubber.scrub(f"Authorization: {_basic(SECRET_IN_HEADER)}") == "Authorization: Basic ***"


# -- the token is never printed with the settings ------------------------------------------------


def test_the_token_is_never_printed_with_the_settings(tmp_path):
    """The settings' repr, str and pretty-print leave the token out (every secret row of the table
    is hidden there); a bad value of another setting is one readable line that names it, without
    the token or a traceback; and `policykg serve` prints no token at start (see the log test)."""
    import pprint
    from dataclasses import fields

    from policykg.settings import SETTINGS, Settings, load_settings

    settings = load_settings(environ={"POLICYKG_WRITE_TOKEN": SECRET_IN_HEADER}, port=8001)
    assert settings.write_token == SECRET_IN_HEADER
    for text in (
        repr(settings),
        str(settings),
        f"{settings}",
        pprint.pformat(settings),
        repr(settings.with_overrides(host="::1")),
        repr([settings]),
    ):
        assert SECRET_IN_HEADER not in text and "write_token" not in text, text
    assert {f.name for f in fields(Settings) if not f.repr} == {s.name for s in SETTINGS if s.secret} == {"write_token"}

    proc = run_cli(
        "serve",
        "--store",
        str(tmp_path / "store"),
        env={"POLICYKG_WRITE_TOKEN": SECRET_IN_HEADER, "POLICYKG_PORT": "eighty"},
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("Error: POLICYKG_PORT='eighty' is not a whole number"), err
    assert SECRET_IN_HEADER not in err + proc.stdout.decode() and "Traceback" not in err
