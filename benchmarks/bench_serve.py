"""Requests per second of ``policykg serve`` against ``oxigraph serve`` on the same data.

    python benchmarks/bench_serve.py [--docs 100] [--clients 16] [--seconds 5] [--rounds 3]

Both servers answer the same light query (a document's title: one row, named graphs explicit
so the two servers' default graphs do not matter) over HTTP on
127.0.0.1, each in its own process, to ``--clients`` keep-alive clients (threads of this
process) for ``--seconds``; the rounds alternate the two servers so that the machine's drift
hits both. Reported: requests/s of each (median of the rounds), the ratio policykg ÷ oxigraph,
and the CPU time each server process spent per request. The clients share the machine with the
server measured (2 cores here), so both figures are lower than on a separate client; the
ratio is what to compare across versions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import generate_corpus  # noqa: E402
from run import BIN, free_port, stop_server, wait_http  # noqa: E402  (one way to start and wait for a server)

LIGHT = """PREFIX pkg: <https://w3id.org/policykg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?title WHERE { GRAPH ?doc { ?doc a pkg:PolicyDocument ; dcterms:title ?title } } LIMIT 1"""


def hammer(url: str, clients: int, seconds: float) -> int:
    """Requests answered by ``url`` to ``clients`` threads in ``seconds``; every reply checked."""
    done = [0] * clients
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        with httpx.Client(timeout=30, headers={"Accept": "application/sparql-results+json"}) as c:
            while time.monotonic() < stop:
                r = c.post(url, data={"query": LIGHT})
                if r.status_code != 200 or not r.json()["results"]["bindings"]:
                    errors.append(f"{r.status_code}: {r.text[:200]}")
                    return
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{url}: {errors[0]}")
    return sum(done)


def cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time of ``proc`` and its children (policykg's query workers are children)."""
    p = psutil.Process(proc.pid)
    total = sum(p.cpu_times()[:2])
    for child in p.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="policykg-bench-serve-"))
    procs: list[subprocess.Popen] = []
    try:
        corpus = work / "corpus"
        generate_corpus.generate(corpus, args.docs, seed=0)
        store = work / "store"
        subprocess.run([str(BIN / "policykg"), "ingest", "--store", str(store), "-q", str(corpus)], check=True)
        dump = work / "all.nq"
        subprocess.run(
            [str(BIN / "policykg"), "export", "--store", str(store), "-f", "nquads", "-o", str(dump)], check=True
        )
        ox_dir = work / "oxigraph"
        subprocess.run(
            [str(BIN / "oxigraph"), "load", "--location", str(ox_dir), "--file", str(dump)],
            check=True,
            stderr=subprocess.DEVNULL,
        )

        ox_port, api_port = free_port(), free_port()
        ox = subprocess.Popen(
            [str(BIN / "oxigraph"), "serve-read-only", "--location", str(ox_dir), "--bind", f"127.0.0.1:{ox_port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        api = subprocess.Popen(
            [str(BIN / "policykg"), "serve", "--store", str(store), "--port", str(api_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs += [ox, api]
        urls = {"oxigraph": f"http://127.0.0.1:{ox_port}/query", "policykg": f"http://127.0.0.1:{api_port}/sparql"}
        wait_http(f"http://127.0.0.1:{ox_port}/query?query=ASK%7B%7D", ox)
        wait_http(f"http://127.0.0.1:{api_port}/health", api)
        server = {"oxigraph": ox, "policykg": api}
        rates: dict[str, list[float]] = {"policykg": [], "oxigraph": []}
        cpu: dict[str, list[float]] = {"policykg": [], "oxigraph": []}
        for name in rates:  # warm up: workers started, caches filled
            hammer(urls[name], args.clients, 1.0)
        for _ in range(args.rounds):
            for name in rates:
                before = cpu_seconds(server[name])
                n = hammer(urls[name], args.clients, args.seconds)
                cpu[name].append((cpu_seconds(server[name]) - before) / n * 1000)
                rates[name].append(n / args.seconds)
        med = {k: statistics.median(v) for k, v in rates.items()}
        cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
        out = {
            "docs": args.docs,
            "clients": args.clients,
            "requests_per_s": med,
            "cpu_ms_per_request": cpu_med,
            "ratio": med["policykg"] / med["oxigraph"],
        }
        print(
            f"{args.docs} documents, {args.clients} clients, {args.rounds} rounds of {args.seconds:g} s:\n"
            f"  policykg serve  {med['policykg']:8.0f} requests/s  {cpu_med['policykg']:.2f} ms CPU/request\n"
            f"  oxigraph serve  {med['oxigraph']:8.0f} requests/s  {cpu_med['oxigraph']:.2f} ms CPU/request\n"
            f"  ratio policykg / oxigraph: {out['ratio']:.2f}"
        )
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
    finally:
        for p in procs:
            stop_server(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
