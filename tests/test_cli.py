"""Every CLI command through the real ``policykg`` entry point, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx
import pytest

from support.common import SAMPLE, copy_store, run_cli
from support.servers import POLICYKG, free_port


@pytest.fixture()
def store_dir(tmp_path):
    return str(tmp_path / "store")


def test_help_on_every_command():
    out = run_cli("--help", check=True).stdout.decode()
    commands = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.startswith("  ")]
    assert {"ingest", "extract", "query", "export", "validate", "list", "serve", "evaluate"} <= set(commands)
    for command in commands:
        proc = run_cli(command, "--help")
        assert proc.returncode == 0, command
        assert b"Usage: policykg " + command.encode() in proc.stdout


def test_ingest_then_list_then_query(store_dir):
    proc = run_cli("ingest", "--store", store_dir, str(SAMPLE.parent), check=True)
    assert b"1 added" in proc.stderr and b"28 tasks" in proc.stderr
    listed = json.loads(run_cli("list", "--store", store_dir, "--json", check=True).stdout)
    assert [d["title"] for d in listed] == ["2017年工作要点"]
    out = run_cli(
        "query",
        "--store",
        store_dir,
        "-f",
        "json",
        "SELECT ?l WHERE { ?t a pkg:Task ; pkg:ordinal 13 ; rdfs:label ?l }",
        check=True,
    ).stdout
    assert [b["l"]["value"] for b in json.loads(out)["results"]["bindings"]] == ["均衡发展义务教育"]


def test_ingest_twice_reports_unchanged_and_keeps_the_store(store_dir):
    run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    before = run_cli("export", "--store", store_dir, "-f", "nquads", check=True).stdout
    proc = run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    assert b"1 unchanged" in proc.stderr
    assert run_cli("export", "--store", store_dir, "-f", "nquads", check=True).stdout == before


def test_store_from_environment(tmp_path):
    env = {"POLICYKG_STORE": str(tmp_path / "env-store")}
    run_cli("ingest", str(SAMPLE), env=env, check=True)
    assert (tmp_path / "env-store").is_dir()
    assert b"2017" in run_cli("list", env=env, check=True).stdout


def test_query_formats(store_dir):
    run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    q = "SELECT ?n WHERE { ?s a pkg:Section ; pkg:ordinal ?n } ORDER BY ?n"
    table = run_cli("query", "--store", store_dir, q, check=True).stdout.decode()
    assert "(5 rows)" in table
    csv = run_cli("query", "--store", store_dir, "-f", "csv", q, check=True).stdout.decode()
    assert csv.split() == ["n", "1", "2", "3", "4", "5"]
    ask = run_cli("query", "--store", store_dir, "ASK { ?s a pkg:Task }", check=True).stdout
    assert ask.strip() == b"true"
    construct = run_cli(
        "query",
        "--store",
        store_dir,
        "-f",
        "turtle",
        "CONSTRUCT { ?s a pkg:Section } WHERE { ?s a pkg:Section }",
        check=True,
    ).stdout
    assert construct.count(b"pkg:Section") == 5


def test_query_from_file(store_dir, tmp_path):
    run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    q = tmp_path / "q.rq"
    q.write_text("SELECT (COUNT(?t) AS ?n) WHERE { ?t a pkg:Task }", encoding="utf-8")
    out = run_cli("query", "--store", store_dir, "--file", str(q), "-f", "csv", check=True).stdout.decode()
    assert out.split() == ["n", "28"]


def test_extract_is_deterministic_and_needs_no_store(tmp_path):
    env = {"POLICYKG_STORE": str(tmp_path / "never-created")}
    first = run_cli("extract", str(SAMPLE), "--format", "nquads", env=env, check=True).stdout
    second = run_cli("extract", str(SAMPLE), "--format", "nquads", env=env, check=True).stdout
    assert first == second and first.count(b"\n") > 300
    assert not (tmp_path / "never-created").exists()
    for fmt, marker in (("turtle", b"@prefix pkg:"), ("jsonld", b'"@id"')):
        assert marker in run_cli("extract", str(SAMPLE), "--format", fmt, check=True).stdout


def test_export_formats(store_dir, tmp_path):
    run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    out = tmp_path / "all.trig"
    run_cli("export", "--store", store_dir, "-f", "trig", "-o", str(out), check=True)
    import rdflib

    ds = rdflib.Dataset()
    ds.parse(out, format="trig")
    assert len(list(ds.graphs())) >= 2  # the default graph and the document's graph


def test_validate_the_sample_store_conforms(store_dir):
    run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
    proc = run_cli("validate", "--store", store_dir)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert b"Conforms" in proc.stdout


def test_validate_reports_a_broken_file(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        "@prefix pkg: <https://w3id.org/policykg/ontology#> .\n<https://example.org/t> a pkg:Task ; pkg:ordinal 0 .\n",
        encoding="utf-8",
    )
    proc = run_cli("validate", str(broken))
    assert proc.returncode == 1
    assert b"example.org/t" in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("query", "SELECT WHERE {"), b"syntax"),
        (("ingest", "/no/such/file.txt"), b"does not exist"),
        (("extract", "--format", "nquads", "EMPTY"), b"empty"),
        (("extract", "--format", "nquads", "BINARY"), b"binary"),
        (("extract", "--format", "nquads", "GBK_AS_UNKNOWN"), b"unsupported"),
    ],
)
def test_user_mistakes_get_a_message_not_a_traceback(args, message, tmp_path, store_dir):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "doc.xyz").write_bytes("一、总则".encode("gbk"))
    replace = {
        "EMPTY": str(tmp_path / "empty.txt"),
        "BINARY": str(tmp_path / "binary.txt"),
        "GBK_AS_UNKNOWN": str(tmp_path / "doc.xyz"),
    }
    args = tuple(replace.get(a, a) for a in args)
    if args[0] == "query":
        run_cli("ingest", "--store", store_dir, str(SAMPLE), check=True)
        args = (args[0], "--store", store_dir, *args[1:])
    proc = run_cli(*args)
    assert proc.returncode != 0
    assert b"Traceback" not in proc.stderr
    assert message in proc.stderr.lower()


def test_a_bad_file_among_good_ones_fails_alone(store_dir, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-good.txt").write_bytes(SAMPLE.read_bytes())
    (folder / "b-empty.txt").write_bytes(b"")
    proc = run_cli("ingest", "--store", store_dir, str(folder))
    assert proc.returncode == 1
    assert b"b-empty.txt" in proc.stderr and b"1 added" in proc.stderr
    listed = json.loads(run_cli("list", "--store", store_dir, "--json", check=True).stdout)
    assert len(listed) == 1


def test_evaluate_scores_the_sample(tmp_path):
    from support.common import SAMPLE_GOLD

    proc = run_cli("evaluate", str(SAMPLE), str(SAMPLE_GOLD), "--json", check=True)
    report = json.loads(proc.stdout)
    assert report["sections"]["f1"] == 1.0 and report["task titles"]["f1"] == 1.0


def test_ingest_batch_bytes_gives_the_same_store(tmp_path):
    """``--batch-bytes 1`` (every document its own transaction) stores what the default batching stores."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(3):
        (folder / f"plan-{i}.txt").write_bytes(SAMPLE.read_bytes())
    run_cli("ingest", "--store", str(tmp_path / "default"), str(folder), check=True)
    run_cli("ingest", "--store", str(tmp_path / "one-by-one"), "--batch-bytes", "1", str(folder), check=True)
    dumps = [
        run_cli("export", "--store", str(tmp_path / name), check=True).stdout for name in ("default", "one-by-one")
    ]
    assert sorted(dumps[0].splitlines()) == sorted(dumps[1].splitlines()) and dumps[0]
    proc = run_cli("ingest", "--store", str(tmp_path / "never"), "--batch-bytes", "0", str(folder))
    assert proc.returncode == 2 and b"--batch-bytes" in proc.stderr and not (tmp_path / "never").exists()


@pytest.mark.parametrize("level, requests_logged", [(None, False), ("info", True)], ids=["default", "info"])
def test_serve_log_level_decides_whether_requests_are_logged(level, requests_logged, sample_store_path, tmp_path):
    """``serve`` logs warnings only by default; ``--log-level info`` logs a line per request."""
    store = copy_store(sample_store_path, tmp_path / "store")
    url = f"http://127.0.0.1:{free_port()}"
    command = [POLICYKG, "serve", "--store", str(store), "--port", url.rsplit(":", 1)[1]]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command + (["--log-level", level] if level else []),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its query workers
        proc.wait(15)
    text = log.read_text()
    assert ('"GET /sparql?query=ASK+%7B%7D HTTP/1.1" 200' in text) == requests_logged, text
    assert "Traceback" not in text


def test_serve_refuses_an_unknown_log_level():
    proc = run_cli("serve", "--log-level", "loud")
    assert proc.returncode == 2
    assert b"'loud' is not one of 'critical', 'error', 'warning', 'info', 'debug', 'trace'" in proc.stderr
