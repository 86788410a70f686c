"""Extraction throughput in MB/s of text, on one core, against a baseline in the same run.

The baseline is the floor every extractor pays: decoding the bytes and normalizing
the text. The ratio (pipeline time / baseline time) says how much the extraction
itself costs, independent of how fast this machine is. The corpus is the sample
and the hand-annotated documents in tests/data/docs, plus one large document made
by concatenating the sample's body many times (to catch anything quadratic).

    python benchmarks/bench_extract.py [--repeat N] [--markdown]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _corpus() -> list[tuple[str, bytes]]:
    docs = [REPO / "samples" / "kunming-2017-education-workplan.txt"]
    docs += sorted(p for p in (REPO / "tests" / "data" / "docs").iterdir() if p.suffix in {".txt", ".html"})
    return [(p.name, p.read_bytes()) for p in docs]


def _large(sample: bytes, target_bytes: int = 1_000_000) -> bytes:
    """A ~1 MB plan: the sample's numbered body repeated, its task numbers running on."""
    import re

    text = sample.decode("utf-8")
    body = text[text.index("一、") :]
    parts, n, size = [text[: text.index("一、")]], 0, 0
    while size < target_bytes:

        def renumber(m: re.Match[str]) -> str:
            nonlocal n
            n += 1
            return f"\n{n}."

        chunk = re.sub(r"\n\d+\.", renumber, "\n" + body)
        parts.append(chunk)
        size += len(chunk.encode("utf-8"))
    return "".join(parts).encode("utf-8")


def _time(fn, repeat: int) -> float:
    """Median seconds of ``repeat`` runs (after one warm-up run)."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table for RESULTS.md")
    args = ap.parse_args()

    from policykg.graph.build import document_quads
    from policykg.loaders.decode import decode_bytes, normalize_text
    from policykg.loaders.extract import extract_bytes

    corpus = _corpus()
    corpus.append(("large-1MB.txt", _large(corpus[0][1])))  # the sample body repeated
    rows = []
    for name, data in corpus:
        text_mb = len(normalize_text(decode_bytes(data, name)[0]).encode("utf-8")) / 1e6
        base = _time(lambda data=data, name=name: normalize_text(decode_bytes(data, name)[0]), args.repeat)
        extract = _time(lambda data=data, name=name: extract_bytes(data, name), args.repeat)
        full = _time(lambda data=data, name=name: document_quads(extract_bytes(data, name)), args.repeat)
        rows.append((name, text_mb, text_mb / extract, text_mb / full, extract / base))

    total_mb = sum(r[1] for r in rows)
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    if args.markdown:
        print(f"Extraction throughput, one core ({machine}):\n")
        print("| document | text MB | extract MB/s | extract+triples MB/s | extract / decode-baseline |")
        print("|---|---:|---:|---:|---:|")
        for name, mb, e, f, ratio in rows:
            print(f"| {name} | {mb:.3f} | {e:.2f} | {f:.2f} | {ratio:.0f}× |")
    else:
        for name, mb, e, f, ratio in rows:
            print(f"{name:<45} {mb:7.3f} MB  extract {e:6.2f} MB/s  +triples {f:6.2f} MB/s  {ratio:5.0f}x baseline")
        print(f"total text {total_mb:.3f} MB on {machine}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
