"""The store write inside ingest against Oxigraph's bulk loader, on the same quads, in one run.

    python benchmarks/bench_write.py [--docs 300] [--rounds 3] [--summary FILE]

Generates ``--docs`` documents (generate_corpus.py, seed 0), extracts them and builds their
N-Quads (not timed), then writes the same quads into fresh on-disk stores several ways:

* **ingest's write**: ``OxigraphStore.add_documents`` of ``ingest_batch_bytes`` batches (what
  ``policykg ingest`` does for new documents: the bulk loader under a journal, the seals in one
  transaction per batch);
* **one transaction per batch**: ``OxigraphStore.load`` of the same batches (ingest's write
  before it used the bulk loader);
* **replace_graph**: one transaction per document (what the server does with an upload);
* **the SPARQL update** (``DROP`` + ``INSERT DATA`` text, for a document replaced);
* **bulk_load**: ``pyoxigraph.Store.bulk_load`` of all the N-Quads in one call, no journal (the
  fastest path Oxigraph has: the goal's yardstick).

Reported: µs per quad of each (best of the rounds) and the ratios to bulk_load; ``--summary``
writes them as JSON (``write_ratio`` is ingest's write ÷ bulk_load).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import generate_corpus  # noqa: E402

from policykg.graph.ingest import extract_document  # noqa: E402
from policykg.graph.iris import IriScheme  # noqa: E402
from policykg.graph.store import OxigraphStore  # noqa: E402
from policykg.graph.store.updates import replace_update  # noqa: E402
from policykg.settings import load_settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--summary", type=Path, help="write the ratios as JSON here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="policykg-bench-write-"))
    try:
        corpus = work / "corpus"
        generate_corpus.generate(corpus, args.docs, seed=0)
        iris = IriScheme()
        extracted = [extract_document(path.read_bytes(), path.name, iris) for path in sorted(corpus.iterdir())]
        docs = [(ex.graph, list(ox.parse(ex.nquads, format=ox.RdfFormat.N_QUADS)), ex.sha256) for ex in extracted]
        quads = [q for _, qs, _ in docs for q in qs]
        nquads = b"".join(ex.nquads for ex in extracted)

        batch_bytes = load_settings().ingest_batch_bytes
        batches: list[list] = [[]]
        size = 0
        for ex in extracted:
            batches[-1].append(ex)
            size += len(ex.body)
            if size >= batch_bytes:
                batches.append([])
                size = 0

        def add_documents(folder: Path) -> None:
            store = OxigraphStore(folder)
            for batch in batches:
                store.add_documents([ex.new_document() for ex in batch])
            store.flush()

        def batch_load(folder: Path) -> None:
            store = OxigraphStore(folder)
            for batch in batches:
                store.load(b"".join(ex.nquads for ex in batch), "nquads")
            store.flush()

        def replace_each(folder: Path) -> None:
            store = OxigraphStore(folder)
            for graph, qs, sha in docs:
                store.replace_graph(graph, qs, sha256=sha)
            store.flush()

        def sparql_update(folder: Path) -> None:
            store = ox.Store(str(folder))
            for graph, qs, _ in docs:
                store.update(replace_update(graph, qs))
            store.flush()

        def bulk_load(folder: Path) -> None:
            store = ox.Store(str(folder))
            store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
            store.flush()

        ways = {
            "ingest's write (add_documents)": add_documents,
            "a transaction per batch (load)": batch_load,
            "a transaction per document": replace_each,
            "SPARQL update": sparql_update,
            "bulk_load": bulk_load,
        }
        best = {name: float("inf") for name in ways}
        for r in range(args.rounds):
            for i, (name, write) in enumerate(ways.items()):  # interleaved: drift hits every way alike
                folder = work / f"store-{r}-{i}"
                t0 = time.perf_counter()
                write(folder)
                best[name] = min(best[name], time.perf_counter() - t0)
                shutil.rmtree(folder)
        base = best["bulk_load"]
        print(f"{len(docs)} documents, {len(quads)} quads, best of {args.rounds}")
        for name, seconds in best.items():
            print(f"  {name:32s} {seconds / len(quads) * 1e6:6.2f} µs/quad  {seconds / base:5.2f}× bulk_load")
        if args.summary:
            summary = {
                "docs": len(docs),
                "quads": len(quads),
                "write_ratio": best["ingest's write (add_documents)"] / base,
                "transaction_per_batch_ratio": best["a transaction per batch (load)"] / base,
                "replace_graph_ratio": best["a transaction per document"] / base,
                "sparql_update_ratio": best["SPARQL update"] / base,
                "bulk_load_us_per_quad": base / len(quads) * 1e6,
            }
            args.summary.write_text(json.dumps(summary, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
