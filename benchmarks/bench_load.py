"""Readers while a writer ingests: latency, throughput, and whole documents only.

    .venv/bin/python benchmarks/bench_load.py                       # 100 documents, 3000 reads
    .venv/bin/python benchmarks/bench_load.py --docs 40 --reads 800 --json out.json

``policykg serve`` (uvicorn on 127.0.0.1, a store on disk) is measured in three phases:

1. **readers alone**: ``--readers`` threads share ``--reads`` requests — SPARQL SELECT and ASK on
   ``/sparql``, ``/api/documents`` (list, one, outline), ``/api/tasks/{id}/{n}``,
   ``/api/resource`` (a task), ``/api/programs/{name}``, ``/api/divisions/{code}``,
   ``/api/search`` and ``/id/`` pages;
2. **writer alone**: a changed version of each of the ``--docs`` stored documents is uploaded
   (``POST /documents``, bearer token), one after the other, as a client would;
3. **both at once**: a third version of each document is uploaded while the readers run
   (until the writer is done, at most ``--reads`` × 3 requests).

The headline is the ratio against the baseline of the same run: reader p50/p95/p99 and
requests/s with a writer vs. without, and the writer's documents/s with readers vs. without.

Every reply is also checked, not only timed: the same :class:`History` oracle as
``tests/test_load.py`` (which runs a small version of this scenario in CI) says which states of
each document a request may see — the last one acknowledged before the request was sent, or
one written while it ran. A document is absent or exactly one whole version (its sha256,
title, task, target and triple counts as the extractor computes them from the file), never a
part, never a mix of two versions, never older than an acknowledged write. A task or a node
page is what the typed API gives over that version alone; a program or a division, which
gather tasks and targets from many documents, shows each document's share as one version's. A problem is
counted and printed; there should be none.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
# The scenario and the corpus generator are the tests' (tests/support/); run.py is beside this file.
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from support.load_scenario import (  # noqa: E402
    READS,
    History,
    ReadContext,
    ReadLoad,
    Write,
    Writer,
    by_kind,
    concurrent,
    corpus_versions,
    one_read,
    problems,
    summary,
    write_corpus,
)


# -- the benchmark ----------------------------------------------------------------------------
def bench(docs: int, reads: int, readers: int, work: Path) -> dict:
    from run import free_port, machine, stop_server, wait_http

    t = time.perf_counter()
    v1, v2, v3 = corpus_versions(docs, seeds=(0, 1, 2))
    print(f"  {docs} documents × 3 versions generated and extracted in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    corpus = write_corpus(work / "corpus", v1.values())
    store = work / "store"
    bin_ = Path(sys.executable).parent
    subprocess.run([str(bin_ / "policykg"), "ingest", "--store", str(store), "-q", str(corpus)], check=True)

    when, load_start = time.strftime("%Y-%m-%d %H:%M"), os.getloadavg()[0]
    token = "bench-load-token"
    port = free_port()
    env = {**os.environ, "POLICYKG_WRITE_TOKEN": token}
    server = subprocess.Popen(
        [str(bin_ / "policykg"), "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/health", server)
        history = History(dict(v1))
        ctx = ReadContext(base, history)
        with httpx.Client(timeout=60) as c:  # start the query workers before any clock runs
            one_read(c, ctx, "SPARQL ASK", history.doc_ids[0])

        alone = ReadLoad(ctx, readers=readers, max_requests=reads, deadline_s=600)
        alone.run()
        print(f"  readers alone: {len(alone.samples)} requests in {alone.wall:.1f}s", file=sys.stderr)

        solo = Writer(base, token, history)
        solo.run([Write(d, v2[d]) for d in v2], deadline_s=600)
        print(f"  writer alone: {docs} uploads in {solo.wall:.1f}s", file=sys.stderr)

        load, writer = concurrent(
            ctx,
            Writer(base, token, history),
            [Write(d, v3[d]) for d in v3],
            readers=readers,
            max_reads=reads * 3,
            deadline_s=600,
            seed=1,
        )
        print(f"  both: {len(load.samples)} requests, {docs} uploads in {writer.wall:.1f}s", file=sys.stderr)
    finally:
        stop_server(server, 20)

    found = problems(alone.samples) + problems(load.samples) + problems(solo.samples) + problems(writer.samples)
    examples = list(dict.fromkeys(line[:400] for p in found for line in p.split("\n")))
    for p in examples[:20]:
        print("  PROBLEM", p, file=sys.stderr)
    return {
        "machine": machine(),
        "documents": docs,
        "readers": readers,
        "quads_per_document": round(statistics.mean(v.triples for v in v1.values())),
        "readers_alone": summary(alone.samples, alone.wall),
        "readers_with_writer": summary(load.samples, load.wall),
        "kinds_alone": by_kind(alone.samples),
        "kinds_with_writer": by_kind(load.samples),
        "writer_alone": {**summary(solo.samples, solo.wall), "docs_per_s": docs / solo.wall},
        "writer_with_readers": {**summary(writer.samples, writer.wall), "docs_per_s": docs / writer.wall},
        "problems": len(found),
        "problem_examples": examples[:5],
        "when": when,
        "problem_kinds": dict(Counter(line.split(":", 1)[0] for p in found for line in p.split("\n"))),
        "loadavg": [load_start, os.getloadavg()[0]],
    }


# -- the RESULTS.md section ---------------------------------------------------------------------
SECTION = "Load"


def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "—"


def load_section(res: dict, note: str = "") -> str:
    """The "## Load" section of RESULTS.md (run.py writes it; it keeps the other sections)."""
    m, a, w = res["machine"], res["readers_alone"], res["readers_with_writer"]
    sa, sw = res["writer_alone"], res["writer_with_readers"]
    lines = [
        f"## {SECTION}",
        "",
        "`.venv/bin/python benchmarks/run.py --only-load` (or `benchmarks/bench_load.py`; the same scenario, "
        "small, is `tests/test_load.py`). `policykg serve` (uvicorn, 127.0.0.1, 2 query workers) over an "
        f"embedded store holding {res['documents']} generated documents (~{res['quads_per_document']} quads "
        f"each in its own graph); {res['readers']} reader threads mix SPARQL SELECT/ASK on `/sparql`, "
        "`/api/documents` (list, one, outline), a task (`/api/tasks/{id}/{n}`, `/api/resource`), "
        "`/api/programs/{name}`, `/api/divisions/{code}`, `/api/search` and `/id/` pages; the writer uploads a "
        "changed version of every document (`POST /documents`, one at a time). Every reply is checked "
        "against the writer's history (each document — or each document's share of a program or a "
        "division — absent or one whole version, never older than an acknowledged write); latencies "
        "are client-side, whole requests.",
        "",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; Python {m['python']}, "
        f"pyoxigraph {m['pyoxigraph']}; run on {res['when']}; load average {res['loadavg'][0]:.1f} at the "
        f"start, {res['loadavg'][1]:.1f} at the end" + (f" — {note}" if note else "") + ".",
        "",
        "| readers | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in (("alone (baseline)", a), ("while the writer uploads", w)):
        lines.append(
            f"| {name} | {r['requests']} | {r['per_s']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['max_ms']:.0f} | {r['failed']} |"
        )
    lines.append(
        f"| **with writer / alone** | | **{_x(w['per_s'], a['per_s'])}** | **{_x(w['p50_ms'], a['p50_ms'])}** "
        f"| **{_x(w['p95_ms'], a['p95_ms'])}** | **{_x(w['p99_ms'], a['p99_ms'])}** | | |"
    )
    lines += [
        "",
        "| writer | documents | seconds | documents/s | p50 ms | p99 ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in (("alone (baseline)", sa), (f"with {res['readers']} readers", sw)):
        lines.append(
            f"| {name} | {r['requests']} | {r['seconds']:.1f} | {r['docs_per_s']:.1f} | {r['p50_ms']:.0f} | "
            f"{r['p99_ms']:.0f} | {r['failed']} |"
        )
    lines.append(f"| **with readers / alone** | | | **{_x(sw['docs_per_s'], sa['docs_per_s'])}** | | | |")
    lines += ["", "| read (p50 / p99 ms) | alone | while the writer uploads | × p50 |", "|---|---:|---:|---:|"]
    for kind in READS:
        ka, kw = res["kinds_alone"].get(kind), res["kinds_with_writer"].get(kind)
        if ka and kw:
            lines.append(
                f"| {kind} | {ka['p50_ms']:.1f} / {ka['p99_ms']:.1f} | {kw['p50_ms']:.1f} / "
                f"{kw['p99_ms']:.1f} | {_x(kw['p50_ms'], ka['p50_ms'])} |"
            )
    slow = sorted(
        (
            (kw["p50_ms"] / ka["p50_ms"], k)
            for k in READS
            if (ka := res["kinds_alone"].get(k)) and (kw := res["kinds_with_writer"].get(k)) and ka["p50_ms"]
        ),
        reverse=True,
    )
    lines += [
        "",
        "Reading (written by the script from the figures above):",
        "",
        f"- With a writer uploading, the readers got {_x(w['per_s'], a['per_s'])} of their requests/s alone "
        f"and a p50 / p99 of {_x(w['p50_ms'], a['p50_ms'])} / {_x(w['p99_ms'], a['p99_ms'])}; the writer "
        f"with {res['readers']} readers stored {_x(sw['docs_per_s'], sa['docs_per_s'])} of its documents/s "
        "alone.",
    ]
    if slow:
        lines.append("- Hit hardest by writes (p50 × alone): " + ", ".join(f"{k} {r:.1f}×" for r, k in slow[:3]) + ".")
    if res.get("problem_kinds"):
        lines.append(
            "- Replies that were not one whole, current version, by read: "
            + ", ".join(f"`{k}` {n}" for k, n in sorted(res["problem_kinds"].items(), key=lambda kv: -kv[1]))
            + "."
        )
    checked = a["requests"] + w["requests"]
    lines += [
        "",
        f"Replies checked: {checked}; replies that showed a document not as one whole, current version: "
        f"**{res['problems']}**" + (":" if res["problems"] else "."),
        "",
    ]
    lines += [f"- {p}" for p in res["problem_examples"]]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100, help="documents stored, then changed twice")
    ap.add_argument("--reads", type=int, default=3000, help="requests of the readers-alone baseline")
    ap.add_argument("--readers", type=int, default=8, help="concurrent reader threads")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="policykg-bench-load-"))
    try:
        res = bench(args.docs, args.reads, args.readers, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(load_section(res))
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
