"""The SPARQL endpoint against the store it serves, Oxigraph's own server, and rdflib-endpoint.

    python benchmarks/bench_api.py [--docs 60] [--runs 15] [--json out.json]

1. Generates a seeded synthetic corpus (benchmarks/generate_corpus.py) and ingests it.
2. For each planner query, measures the median wall time of
   * **direct**: ``OxigraphStore.query`` + JSON serialization in this process (what the CLI does);
   * **native**: the same query with the JSON written by pyoxigraph itself (what the endpoint's
     worker does for a SELECT whose own LIMIT is within the row cap): the floor of in-process work;
   * **endpoint**: ``policykg serve`` in its own process, queried over HTTP on 127.0.0.1
     (form POST, SPARQL JSON results) — includes the guard, the worker process hop, the row cap
     and HTTP;
   * **oxigraph-serve**: ``oxigraph serve-read-only --union-default-graph`` (Oxigraph's own
     server, in Rust) on the same quads, queried the same way: what HTTP on top of this very
     store costs without any Python, the reference for the endpoint's own overhead;
   * **rdflib-endpoint**: the same quads in an rdflib ``Dataset`` (default graph = union),
     served by rdflib-endpoint under uvicorn, queried the same way.
3. Prints the ratios endpoint/direct, oxigraph-serve/direct, endpoint/oxigraph-serve and
   rdflib-endpoint/endpoint, and checks that they all return the same number of rows.

Every server is asked by one client: a keep-alive ``http.client`` connection per server, the
request's bytes built once per query, the reply parsed with ``json.loads`` as the in-process
figures parse theirs. (httpx, used before, spent about 0.2 ms of its own on each request, which
counted against the servers.)

rdflib-endpoint is in the ``bench`` extra, Oxigraph's server (the ``oxigraph`` command) in the ``test``
extra: ``pip install -e '.[test,bench]'``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from run import BIN, free_port, stop_server, wait_http  # noqa: E402  (one way to start and wait for a server)

PROLOGUE = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

QUERIES = {
    "documents by date": """SELECT ?doc ?title ?issued WHERE {
  ?doc a pkg:PolicyDocument ; dcterms:title ?title . OPTIONAL { ?doc dcterms:issued ?issued } }
ORDER BY DESC(?issued) LIMIT 100""",
    "targets of an indicator": """SELECT ?t ?indicator ?value ?unit WHERE {
  ?t a pkg:Target ; pkg:indicator/rdfs:label ?indicator .
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
  FILTER(CONTAINS(?indicator, "率")) } LIMIT 1000""",
    "targets per county (within*)": """SELECT ?d (COUNT(DISTINCT ?t) AS ?n) WHERE {
  ?t a pkg:Target ; pkg:appliesTo/pkg:within* ?d } GROUP BY ?d ORDER BY DESC(?n) LIMIT 50""",
    "tasks mentioning programs": """SELECT ?p (COUNT(DISTINCT ?task) AS ?tasks) WHERE {
  ?task a pkg:Task ; pkg:mentions ?p . ?p a pkg:Program } GROUP BY ?p ORDER BY DESC(?tasks) LIMIT 50""",
    "goals >= 90% with their document": """SELECT ?t ?value ?doc WHERE {
  ?t pkg:value ?value ; pkg:unit "%" ; prov:wasDerivedFrom ?doc . FILTER(?value >= 90) } LIMIT 1000""",
    "task count per section": """SELECT ?s (COUNT(?task) AS ?n) WHERE {
  ?s a pkg:Section . ?task dcterms:isPartOf ?s } GROUP BY ?s LIMIT 1000""",
}


class SparqlClient:
    """One keep-alive connection to one SPARQL endpoint: form POSTs, JSON results."""

    HEADERS = {"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"}

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.path = parts.path or "/"
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)

    def body(self, query: str) -> str:
        """A query's request body, built once (building it is the client's work, not the server's)."""
        return urllib.parse.urlencode({"query": query})

    def rows(self, body: str) -> int:
        self.conn.request("POST", self.path, body, self.HEADERS)
        reply = self.conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"{self.path}: HTTP {reply.status}: {data[:300]!r}")
        return len(json.loads(data)["results"]["bindings"])


def median_ms(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


RDFLIB_SERVER = textwrap.dedent("""
    import sys, uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint
    ds = Dataset(default_union=True)
    ds.parse(sys.argv[1], format="nquads")
    app = SparqlEndpoint(graph=ds, public_url="http://127.0.0.1:%s/" % sys.argv[2])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=60, help="synthetic documents to ingest")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per query and system")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--no-rdflib", action="store_true", help="skip rdflib-endpoint")
    args = ap.parse_args()

    import pyoxigraph as ox
    from generate_corpus import generate

    from policykg.cli.tables import render_result
    from policykg.graph.ingest import ingest_files
    from policykg.graph.iris import IriScheme
    from policykg.graph.sources import find_files
    from policykg.graph.store import OxigraphStore

    work = Path(tempfile.mkdtemp(prefix="policykg-bench-api-"))
    procs: list[subprocess.Popen] = []
    try:
        corpus = work / "corpus"
        generate(corpus, args.docs, seed=7)
        store_path = work / "store"
        store = OxigraphStore(store_path)
        report = ingest_files(store, find_files([corpus]), IriScheme())
        quads = store.count()
        (work / "dump.nq").write_bytes(store.dump("nquads"))
        store.checkpoint(work / "direct")  # the same data for the in-process measurement
        store.checkpoint(work / "oxigraph")  # and for Oxigraph's own server
        store.flush()
        store.close()
        del store
        print(f"{len(report.outcomes) - len(report.failed)} documents, {quads} quads", file=sys.stderr)

        direct = OxigraphStore(work / "direct", read_only=True)
        port = free_port()
        env = {**os.environ, "POLICYKG_QUERY_TIMEOUT": "60", "POLICYKG_MAX_ROWS": "100000"}
        serve = subprocess.Popen(
            [sys.executable, "-m", "policykg", "serve", "--store", str(store_path), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append(serve)
        ours = f"http://127.0.0.1:{port}/sparql"
        wait_http(ours + "?query=ASK%7B%7D", serve, timeout=120)
        oport = free_port()
        oxs = subprocess.Popen(
            [str(BIN / "oxigraph"), "serve-read-only", "--location", str(work / "oxigraph"), "--union-default-graph"]
            + ["--bind", f"127.0.0.1:{oport}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        procs.append(oxs)
        oxigraph = f"http://127.0.0.1:{oport}/query"
        wait_http(oxigraph + "?query=ASK%7B%7D", oxs, timeout=120)
        theirs = None
        if not args.no_rdflib:
            rport = free_port()
            rl = subprocess.Popen(
                [sys.executable, "-c", RDFLIB_SERVER, str(work / "dump.nq"), str(rport)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            procs.append(rl)
            theirs = f"http://127.0.0.1:{rport}/"
            wait_http(theirs + "?query=ASK%7B%7D", rl, timeout=600)

        clients = {url: SparqlClient(url) for url in (ours, oxigraph, theirs) if url}

        def over_http(url: str, q: str) -> int:
            return clients[url].rows(clients[url].body(q))

        def timed_http(url: str, q: str, runs: int) -> float:
            client = clients[url]
            body = client.body(q)
            return median_ms(lambda: client.rows(body), runs)

        def in_process(q: str) -> int:
            body = render_result(direct.query(q), "json")
            return len(json.loads(body)["results"]["bindings"])

        def in_process_native(q: str) -> int:
            body = direct.query(q).serialize(format=ox.QueryResultsFormat.JSON)
            return len(json.loads(body)["results"]["bindings"])

        results = []
        for name, body in QUERIES.items():
            q = PROLOGUE + body
            row = {"query": name, "rows": in_process(q)}
            row["direct_ms"] = median_ms(lambda q=q: in_process(q), args.runs)
            row["native_ms"] = median_ms(lambda q=q: in_process_native(q), args.runs)
            assert over_http(ours, q) == row["rows"], name
            row["endpoint_ms"] = timed_http(ours, q, args.runs)
            row["endpoint_vs_direct"] = row["endpoint_ms"] / row["direct_ms"]
            row["endpoint_vs_native"] = row["endpoint_ms"] / row["native_ms"]
            assert over_http(oxigraph, q) == row["rows"], name
            row["oxigraph_ms"] = timed_http(oxigraph, q, args.runs)
            row["oxigraph_vs_direct"] = row["oxigraph_ms"] / row["direct_ms"]
            row["endpoint_vs_oxigraph"] = row["endpoint_ms"] / row["oxigraph_ms"]
            if theirs:
                n = over_http(theirs, q)
                row["rdflib_rows"] = n
                row["rdflib_ms"] = timed_http(theirs, q, max(3, args.runs // 3))
                row["rdflib_vs_endpoint"] = row["rdflib_ms"] / row["endpoint_ms"]
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr)

        print(f"\n{args.docs} documents, {quads} quads; median of {args.runs} runs, milliseconds\n")
        head = (
            f"{'query':<34} {'rows':>6} {'direct':>8} {'native':>7} {'endpoint':>9} {'ratio':>6} {'/native':>7}"
            f" {'oxigraph':>9} {'ratio':>6} {'ep/ox':>6}"
        )
        if theirs:
            head += f" {'rdflib-ep':>10} {'ratio':>7}"
        print(head)
        for r in results:
            line = (
                f"{r['query']:<34} {r['rows']:>6} {r['direct_ms']:>8.2f} {r['native_ms']:>7.2f} "
                f"{r['endpoint_ms']:>9.2f} {r['endpoint_vs_direct']:>6.2f} {r['endpoint_vs_native']:>7.2f}"
                f" {r['oxigraph_ms']:>9.2f} {r['oxigraph_vs_direct']:>6.2f} {r['endpoint_vs_oxigraph']:>6.2f}"
            )
            if theirs:
                flag = "" if r["rdflib_rows"] == r["rows"] else f" (rows {r['rdflib_rows']})"
                line += f" {r['rdflib_ms']:>10.1f} {r['rdflib_vs_endpoint']:>7.1f}{flag}"
            print(line)
        print(
            "\nratio = endpoint / direct, /native = endpoint / native; oxigraph = oxigraph serve-read-only, its"
            " ratio = oxigraph / direct, ep/ox = endpoint / oxigraph;\nrdflib-endpoint's ratio = rdflib-endpoint /"
            " endpoint (higher: ours faster)"
        )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {"docs": args.docs, "quads": quads, "runs": args.runs, "results": results},
                    ensure_ascii=False,
                    indent=2,
                )
            )
    finally:
        for p in procs:
            stop_server(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
