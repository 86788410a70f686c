"""Benchmark the reads across documents on a large store: compare, timeline and diff.

    python benchmarks/bench_across.py [--docs 10000] [--runs 30] [--store DIR]

Builds (once, in --store; rebuilt only when --docs changes) a store of the generated corpus
(tests/support/generate_corpus.py, seed 0) with ``policykg ingest``. Then times, with the
store warm, each read's p50 and p95 over --runs calls, beside a baseline in the same run: the
one plain SPARQL query that finds the same facts without assembling them (the ratio is what the
typed read costs on top). Prints a Markdown table for benchmarks/RESULTS.md and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _store(path: Path, docs: int) -> Path:
    from support.generate_corpus import generate

    marker = path / "documents.txt"
    if marker.exists() and marker.read_text() == str(docs):
        return path / "store"
    corpus = path / "corpus"
    if path.exists():
        subprocess.run(["rm", "-rf", str(path)], check=True)
    generate(corpus, docs, seed=0)
    policykg = Path(sys.executable).with_name("policykg")
    subprocess.run([str(policykg), "ingest", "-j", "2", "--store", str(path / "store"), str(corpus)], check=True)
    marker.write_text(str(docs))
    return path / "store"


def _timed(call, runs: int) -> tuple[float, float]:
    call()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--store", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "policykg-bench-across")
    args = ap.parse_args()

    from policykg.graph.compare import compare
    from policykg.graph.plan_diff import diff
    from policykg.graph.store import OxigraphStore
    from policykg.graph.timeline import timeline

    store = OxigraphStore(_store(args.store, args.docs), read_only=True)
    docs = [
        r["d"].value
        for r in store.query("SELECT ?d WHERE { ?d a <https://w3id.org/policykg/ontology#PolicyDocument> }")
    ]
    rnd = random.Random(0)
    pairs = [(rnd.choice(docs), rnd.choice(docs)) for _ in range(args.runs + 1)]
    pair_iter = iter(pairs * 2)
    indicator = "学前三年毛入园率"
    first = compare(store, indicator)
    n_targets = f"{first.total} targets, a page of {len(first.targets)}"
    program = next(
        r["l"].value
        for r in store.query(
            "SELECT ?l (COUNT(?m) AS ?n) WHERE { ?m <https://w3id.org/policykg/ontology#mentionOf> ?p . "
            "?p a <https://w3id.org/policykg/ontology#Program> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
            "GROUP BY ?l ORDER BY DESC(?n) LIMIT 1"
        )
    )
    pkg = "https://w3id.org/policykg/ontology#"
    rows = [
        (
            f"compare {indicator} ({n_targets} targets)",
            _timed(lambda: compare(store, indicator), args.runs),
            _timed(
                lambda: list(
                    store.query(
                        f"SELECT ?t ?v WHERE {{ ?i <http://www.w3.org/2000/01/rdf-schema#label> '{indicator}' . "
                        f"?t <{pkg}indicator> ?i . OPTIONAL {{ ?t <{pkg}value> ?v }} }}"
                    )
                ),
                args.runs,
            ),
        ),
        (
            f"compare {indicator}, one province",
            _timed(lambda: compare(store, indicator, place="云南省"), args.runs),
            None,
        ),
        (f"timeline {program}", _timed(lambda: timeline(store, program), max(5, args.runs // 3)), None),
        (
            "diff of two documents",
            _timed(lambda: diff(store, *next(pair_iter)), args.runs),
            _timed(
                lambda: [
                    list(
                        store.query(
                            f"SELECT ?t ?x WHERE {{ ?t <{pkg}text> ?x ; a <{pkg}Task> ; "
                            f"<http://www.w3.org/ns/prov#wasDerivedFrom> <{d}> }}"
                        )
                    )
                    for d in next(pair_iter)
                ],
                args.runs,
            ),
        ),
    ]
    print(
        f"{args.docs} documents, {store.count()} quads; {platform.platform()}; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs"
    )
    print("| read | p50 ms | p95 ms | baseline p50 ms | × baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, (p50, p95), base in rows:
        ratio = f"{p50 / base[0]:.1f}" if base else ""
        print(
            f"| {name} | {p50:.1f} | {p95:.1f} | {base[0]:.1f} | {ratio} |"
            if base
            else f"| {name} | {p50:.1f} | {p95:.1f} | | |"
        )


if __name__ == "__main__":
    main()
