"""Score the extractor on the real documents of tests/data/unseen/ against their annotations.

    python scripts/score_unseen.py            # tuned documents: every row's F1
    python scripts/score_unseen.py --locked   # locked documents too, their overall score only

The locked documents are scored, never inspected: this prints no row, miss or extra of theirs,
so working on the extractor cannot drift towards them. Their figure is what a user should
expect on a document the extractor has never seen (docs/extraction-quality.md).
tests/data/unseen/over-quota/ (a document over its province's limit of two, kept for reference)
is never scored.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UNSEEN = REPO / "tests" / "data" / "unseen"
ROWS = (
    "sections",
    "task titles",
    "programs",
    "program mentions",
    "program part-of",
    "division mentions",
    "regulations",
    "targets",
    "target scope",
    "responsibilities",
    "dependencies",
)


def documents(folder: Path) -> list[tuple[Path, Path]]:
    """(document, annotation) pairs of ``folder``: ``stem.gold.json`` beside ``stem.<ext>``."""
    pairs = []
    for gold in sorted(folder.glob("*.gold.json")):
        stem = gold.name[: -len(".gold.json")]
        found = [p for p in folder.glob(stem + ".*") if not p.name.endswith(".gold.json") and p.suffix != ".py"]
        if found:
            pairs.append((sorted(found)[0], gold))
    return pairs


#: The reference scorer (a copy of shared/tools/score_extraction.py, annotation format version 2).
SCORER = REPO / "tests" / "data" / "reference_scorer.py"


def score(document: Path, gold: Path, policykg: Path | None = None) -> dict:
    """The document's graph as `policykg extract` writes it, scored by the reference scorer."""
    policykg = policykg or Path(sys.executable).parent / "policykg"
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "graph.nq"
        proc = subprocess.run(
            [str(policykg), "extract", str(document), "--format", "nquads"], capture_output=True, timeout=600
        )
        if proc.returncode != 0:
            return {"error": proc.stderr.decode(errors="replace").strip().splitlines()[-1]}
        graph.write_bytes(proc.stdout)
        proc = subprocess.run(
            [sys.executable, str(SCORER), str(graph), str(gold), "--json"], capture_output=True, timeout=600
        )
    if proc.returncode != 0:
        return {"error": proc.stderr.decode(errors="replace").strip().splitlines()[-1]}
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--locked", action="store_true", help="also score the locked documents (overall only)")
    parser.add_argument(
        "--extractor",
        type=Path,
        default=None,
        help="the `policykg` command to score (default: this environment's); for a blind score, "
        "one installed from the commit before any change made for the new documents",
    )
    args = parser.parse_args()
    print("| document | overall | " + " | ".join(ROWS) + " |")
    print("|---|---|" + "---|" * len(ROWS))
    overall = []
    for document, gold in documents(UNSEEN / "tuned"):
        report = score(document, gold, args.extractor)
        if "error" in report:
            print(f"| {document.name} | error: {report['error']} |")
            continue
        overall.append(report["overall"])
        cells = [f"{report[r]['f1']:.3f}" if r in report and isinstance(report[r], dict) else "–" for r in ROWS]
        print(f"| {document.name} | {report['overall']:.3f} | " + " | ".join(cells) + " |")
    if overall:
        print(f"\ntuned: mean overall {sum(overall) / len(overall):.3f} over {len(overall)} document(s)")
    if args.locked:
        locked = []
        print("\n| locked document | overall |\n|---|---|")
        for document, gold in documents(UNSEEN / "locked"):
            report = score(document, gold, args.extractor)
            value = report.get("overall")
            locked.append(value) if value is not None else None
            print(f"| {document.name} | {value:.3f} |" if value is not None else f"| {document.name} | error |")
        if locked:
            print(f"\nlocked: mean overall {sum(locked) / len(locked):.3f} over {len(locked)} document(s)")


if __name__ == "__main__":
    main()
