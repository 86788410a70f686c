"""Extraction throughput in MB/s of text, on one core, against a baseline in the same run.

The baseline is one plain compiled-regex pass over the same text (the clause marks
，。；：、 collected by ``re.findall``, all in C): the speed of the machine's regex engine on
these very characters. The ratio (extraction time / that pass's time) says how many such
passes the extraction costs, independent of how fast the machine is; it is what to compare
across machines and runs. The corpus is the sample and the hand-annotated documents in
tests/data/docs, one large document made by concatenating the sample's body many times (to
catch anything quadratic), and a ~3 MB plan of real text: every sample and test document
(tests/data/docs, unseen, successive) one after another, with the lines that end a body
(抄送, 印发, page furniture) left out so that the body runs through it all.

With ``--against COMMIT`` the same figures are taken for that commit too (its tree unpacked
with ``git archive`` into a temporary folder and imported instead of the working tree, in
a subprocess), the two interleaved ``--rounds`` times, and each document's best run kept:
before and after, in one run, on one machine.

    python benchmarks/bench_extract.py [--repeat N] [--markdown] [--against COMMIT [--rounds N]]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The folders setuptools maps to policykg's subpackages (pyproject.toml, [tool.setuptools]).
_PARTS = ("graph", "loaders", "api", "viz", "cli", "ontology")
_PLAIN = re.compile(r"[，,。；;：:、]")


def _corpus() -> list[tuple[str, bytes]]:
    docs = [REPO / "samples" / "kunming-2017-education-workplan.txt"]
    docs += sorted(p for p in (REPO / "tests" / "data" / "docs").iterdir() if p.suffix in {".txt", ".html"})
    out = [(p.name, p.read_bytes()) for p in docs]
    out.append(("large-1MB.txt", _large(out[0][1])))  # the sample body repeated
    out.append(("real-3MB.txt", _real_plan()))
    return out


def _large(sample: bytes, target_bytes: int = 1_000_000) -> bytes:
    """A ~1 MB plan: the sample's numbered body repeated, its task numbers running on."""
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


# Lines after which a reader takes the body to have ended (as loaders/metadata.py does): left
# out of the concatenation so that the real plan's body is all of it.
_BODY_ENDS = re.compile(
    r"打印本页|关闭窗口|【打印|【关闭|^\s*相关(?:信息|链接|文章|阅读|新闻|文件)\s*$|^\s*上一篇|^\s*下一篇|分享到|扫一扫|"
    r"版权所有|ICP备|ICP证|网站地图|^\s*抄送\s*[:：]|^\s*主题词\s*[:：]|\d{4}年\d{1,2}月\d{1,2}日印发\s*$",
    re.I,
)


def _real_plan(target_bytes: int = 3_000_000) -> bytes:
    """~3 MB of real plans: the sample and every .txt test document, in turn, until the size."""
    files = [REPO / "samples" / "kunming-2017-education-workplan.txt"]
    for folder in ("docs", "unseen", "successive"):
        files += sorted(p for p in (REPO / "tests" / "data" / folder).rglob("*.txt") if p.is_file())
    texts = []
    for f in files:
        text = f.read_bytes().decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
        texts.append("\n".join(line for line in text.split("\n") if not _BODY_ENDS.search(line)))
    parts, size = [], 0
    while size < target_bytes:
        for t in texts:
            parts.append(t)
            size += len(t.encode("utf-8"))
            if size >= target_bytes:
                break
    return "\n\n".join(parts).encode("utf-8")


def _time(fn, repeat: int) -> float:
    """Best of ``repeat`` runs (after one warm-up run): the least disturbed by other work."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return min(runs)


def measure(repeat: int) -> list[dict]:
    """Each document's text MB and seconds: the plain scan, extraction, extraction + quads."""
    from policykg.graph import build
    from policykg.loaders.extract import extract_bytes

    def graph_bytes(data: bytes, name: str) -> bytes:
        """Extraction, the graph and its N-Quads, as ingest's workers make them (``document_graph``;
        a commit from before it serializes ``document_quads``)."""
        record = extract_bytes(data, name)
        if hasattr(build, "document_graph"):
            return build.document_graph(record).nquads()
        import pyoxigraph as ox

        return ox.serialize(build.document_quads(record), format=ox.RdfFormat.N_QUADS) or b""

    rows = []
    for name, data in _corpus():
        text = extract_bytes(data, name).text
        mb = len(text.encode("utf-8")) / 1e6
        rows.append(
            {
                "document": name,
                "text_mb": mb,
                "scan": _time(lambda text=text: _PLAIN.findall(text), repeat * 3),
                "extract": _time(lambda data=data, name=name: extract_bytes(data, name), repeat),
                "full": _time(lambda data=data, name=name: graph_bytes(data, name), repeat),
            }
        )
    return rows


def _unpack(commit: str, into: Path) -> Path:
    """``commit``'s tree laid out as an importable ``policykg`` package under ``into``."""
    tree = into / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    package = into / "path" / "policykg"
    package.mkdir(parents=True)
    for f in (tree / "policykg").iterdir():
        (package / f.name).symlink_to(f)
    for part in _PARTS:
        (package / part).symlink_to(tree / part)
    return into / "path"


def _child(repeat: int, path: Path | None) -> list[dict]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = str(path)  # before the editable install's finder: the commit's code
    out = subprocess.run(
        [sys.executable, __file__, "--json", "--repeat", str(repeat)], env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout)


def machine() -> str:
    from run import machine as run_machine  # the machine, as every benchmark reports it

    m = run_machine()
    return f"{m['cpu']}, {m['cores']} cores (one used), Python {m['python']}"


def _best(runs: list[list[dict]]) -> list[dict]:
    """Per document, the fastest of the runs for each figure."""
    out = []
    for rows in zip(*runs, strict=True):
        out.append({**rows[0], **{k: min(r[k] for r in rows) for k in ("scan", "extract", "full")}})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables for RESULTS.md")
    ap.add_argument("--against", metavar="COMMIT", help="measure this commit too, interleaved, in the same run")
    ap.add_argument("--rounds", type=int, default=2, help="with --against: rounds of before/after")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--summary", type=Path, help="write the headline figures as JSON here (benchmarks/run.py)")
    args = ap.parse_args()

    if args.json:
        json.dump(measure(args.repeat), sys.stdout)
        return 0
    before = None
    if args.against:
        work = Path(tempfile.mkdtemp(prefix="bench-extract-"))
        try:
            path = _unpack(args.against, work)
            olds, news = [], []
            for _ in range(args.rounds):
                olds.append(_child(args.repeat, path))
                news.append(_child(args.repeat, None))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        before, after = _best(olds), _best(news)
    else:
        after = measure(args.repeat)

    print(f"{machine()}; {time.strftime('%Y-%m-%d %H:%M')}\n")
    total_mb = sum(r["text_mb"] for r in after)
    if args.markdown:
        print("| document | text MB | extract MB/s | extract+triples MB/s | plain scan MB/s | extract / scan |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in after:
            mb = r["text_mb"]
            print(
                f"| {r['document']} | {mb:.3f} | {mb / r['extract']:.2f} | {mb / r['full']:.2f} | "
                f"{mb / r['scan']:.0f} | {r['extract'] / r['scan']:.0f}× |"
            )
    else:
        for r in after:
            mb = r["text_mb"]
            print(
                f"{r['document']:<40} {mb:6.3f} MB  extract {mb / r['extract']:5.2f} MB/s  "
                f"+triples {mb / r['full']:5.2f} MB/s  scan {mb / r['scan']:5.0f} MB/s  "
                f"{r['extract'] / r['scan']:4.0f}x scan"
            )
    if before is not None:
        print(f"\nbefore ({args.against}) and after, best of {args.rounds} interleaved rounds:\n")
        head = "| document | extract MB/s before | after | speed-up | +triples before | after | speed-up |"
        print(head if args.markdown else head.replace("|", " "))
        if args.markdown:
            print("|---|---:|---:|---:|---:|---:|---:|")
        for b, a in zip(before, after, strict=True):
            mb = a["text_mb"]
            cells = [
                a["document"],
                f"{mb / b['extract']:.2f}",
                f"{mb / a['extract']:.2f}",
                f"{b['extract'] / a['extract']:.2f}×",
                f"{mb / b['full']:.2f}",
                f"{mb / a['full']:.2f}",
                f"{b['full'] / a['full']:.2f}×",
            ]
            print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))
        ratios = [b["extract"] / a["extract"] for b, a in zip(before, after, strict=True)]
        print(f"\nmedian extraction speed-up {statistics.median(ratios):.2f}×", file=sys.stderr)
    whole = whole_process()
    print(f"\npolicykg extract --format nquads of the 3 MB plan, whole process (start-up included): {whole:.2f} MB/s")
    if args.summary:
        real = next(r for r in after if r["document"] == "real-3MB.txt")
        args.summary.write_text(
            json.dumps(
                {
                    "extract_mb_s": real["text_mb"] / real["full"],
                    "extraction_only_mb_s": real["text_mb"] / real["extract"],
                    "extract_whole_process_mb_s": whole,
                    "rows": after,
                },
                indent=1,
            )
        )
    print(f"total text {total_mb:.3f} MB", file=sys.stderr)
    return 0


def whole_process(repeat: int = 3) -> float:
    """MB/s of source for ``policykg extract FILE --format nquads`` on the 3 MB plan: the whole
    command, Python's start-up and imports included, best of ``repeat``."""
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as work:
        plan = Path(work) / "plan.txt"
        plan.write_bytes(_real_plan())
        command = [str(Path(sys.executable).parent / "policykg"), "extract", str(plan), "--format", "nquads"]
        best = min(_wall(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL)) for _ in range(repeat))
        return plan.stat().st_size / 1e6 / best


def _wall(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
