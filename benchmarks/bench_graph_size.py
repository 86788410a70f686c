"""How big the graph is for the text it was read from, against a baseline commit in the same run.

For the sample, the test documents, generated plans (``generate_corpus.py``, seed 0) and a ~3 MB
real plan (bench_extract's), it reports:

* **quads per KB** of source text, and **N-Quads bytes per source byte**;
* **text stored**: the characters of every ``pkg:text`` and ``oa:exact`` literal ÷ the
  characters of the documents' texts (1.0 = each character once);
* **store bytes per source byte**: the embedded Oxigraph store's folder after loading all of
  it (bulk load, then optimize), ÷ the source bytes.

    python benchmarks/bench_graph_size.py [--docs 200] [--against COMMIT] [--summary FILE]

With ``--against COMMIT`` the same figures are taken for that commit's code (its tree unpacked
beside this one, as bench_extract.py does), so the table shows before and after in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

_TEXT_PREDICATES = ("<https://w3id.org/policykg/ontology#text>", "<http://www.w3.org/ns/oa#exact>")


def _documents(count: int, work: Path) -> list[tuple[str, bytes]]:
    from bench_extract import _corpus

    corpus = work / "corpus"
    if not corpus.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_corpus.py"), "-n", str(count), "--seed", "0", str(corpus)],
            check=True,
            capture_output=True,
        )
    generated = [(p.name, p.read_bytes()) for p in sorted(corpus.iterdir()) if p.is_file()]
    # bench_extract's corpus: the sample, the test documents, a 1 MB and a 3 MB plan
    return [*_corpus(), *generated]


def _nquads(data: bytes, name: str) -> tuple[str, bytes]:
    """The document's text and its graph as N-Quads, with whichever API the code under test has."""
    from policykg.graph import build
    from policykg.loaders.extract import extract_bytes

    record = extract_bytes(data, name)
    if hasattr(build, "document_graph"):
        return record.text, build.document_graph(record).nquads()
    import pyoxigraph as ox

    return record.text, ox.serialize(build.document_quads(record), format=ox.RdfFormat.N_QUADS) or b""


def measure(count: int, work: Path) -> dict:
    import pyoxigraph as ox

    source_bytes = source_chars = quads = nquads_bytes = stored_chars = 0
    store_dir = work / f"store-{os.getpid()}"
    shutil.rmtree(store_dir, ignore_errors=True)
    store = ox.Store(str(store_dir))
    documents = _documents(count, work)
    for name, data in documents:
        text, nq = _nquads(data, name)
        source_bytes += len(text.encode("utf-8"))
        source_chars += len(text)
        nquads_bytes += len(nq)
        for q in ox.parse(nq, format=ox.RdfFormat.N_QUADS):
            quads += 1
            if f"<{q.predicate.value}>" in _TEXT_PREDICATES:
                stored_chars += len(q.object.value)
        store.bulk_load(nq, format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store
    store_bytes = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
    shutil.rmtree(store_dir, ignore_errors=True)
    return {
        "documents": len(documents),
        "source_mb": source_bytes / 1e6,
        "quads": quads,
        "quads_per_kb": quads / (source_bytes / 1000),
        "nquads_per_byte": nquads_bytes / source_bytes,
        "text_stored": stored_chars / source_chars,
        "store_per_byte": store_bytes / source_bytes,
    }


def _child(count: int, work: Path, path: Path | None) -> dict:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = f"{path}{os.pathsep}{HERE}"  # before the editable install: that commit's code
    out = subprocess.run(
        [sys.executable, __file__, "--json", "--docs", str(count), "--work", str(work)],
        env=env,
        check=True,
        capture_output=True,
    )
    return json.loads(out.stdout)


ROWS = (
    ("quads per KB of source", "quads_per_kb", "{:.0f}", "≤ 50"),
    ("N-Quads bytes per source byte", "nquads_per_byte", "{:.1f}", None),
    ("text stored (times)", "text_stored", "{:.2f}", "1 (once)"),
    ("store bytes per source byte", "store_per_byte", "{:.1f}", None),
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200, help="generated documents besides the real ones")
    ap.add_argument("--against", metavar="COMMIT", help="measure this commit's code too, in the same run")
    ap.add_argument("--summary", type=Path, help="write the figures as JSON here (benchmarks/run.py reads it)")
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.json:
        json.dump(measure(args.docs, args.work), sys.stdout)
        return 0
    from bench_extract import _unpack
    from run import machine

    work = Path(tempfile.mkdtemp(prefix="bench-size-"))
    try:
        after = _child(args.docs, work, None)
        before = None
        if args.against:
            unpacked = work / "against"
            unpacked.mkdir()
            before = _child(args.docs, work, _unpack(args.against, unpacked))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    m = machine()
    print(f"{m['cpu']}, {m['cores']} cores; Python {m['python']}; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{after['documents']} documents, {after['source_mb']:.1f} MB of text, {after['quads']} quads\n")
    head = f"{'':34}{'before':>10}{'now':>10}" if before else f"{'':34}{'now':>10}"
    print(head + "  goal")
    for label, key, fmt, goal in ROWS:
        was = f"{fmt.format(before[key]):>10}" if before else ""
        print(f"{label:34}{was}{fmt.format(after[key]):>10}  {goal or ''}")
    if args.summary:
        args.summary.write_text(json.dumps({"before": before, "after": after, "against": args.against}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
