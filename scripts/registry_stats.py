#!/usr/bin/env python3
"""Print the program registry's entries per domain as a Markdown table.

Usage:
    python scripts/registry_stats.py            # print the table
    python scripts/registry_stats.py --write    # also replace the table in docs/programs-registry.md

The table in docs/programs-registry.md sits between the markers
``<!-- registry-stats -->`` and ``<!-- /registry-stats -->``; tests check it matches this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from policykg.loaders.programs_registry import load_registry

DOC = Path(__file__).resolve().parent.parent / "docs" / "programs-registry.md"
START, END = "<!-- registry-stats -->", "<!-- /registry-stats -->"


def table() -> str:
    registry = load_registry()
    rows = ["| domain | entries | national | provincial | institutions |", "| --- | ---: | ---: | ---: | ---: |"]
    totals = [0, 0, 0, 0]
    for domain, programs in sorted(registry.domains().items()):
        counts = [
            len(programs),
            sum(p.level == "national" for p in programs),
            sum(p.level == "provincial" for p in programs),
            sum(p.kind == "institution" for p in programs),
        ]
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        rows.append(f"| {domain} | " + " | ".join(map(str, counts)) + " |")
    rows.append("| **total** | " + " | ".join(f"**{t}**" for t in totals) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    text = table()
    print(text)
    if "--write" in argv:
        doc = DOC.read_text(encoding="utf-8")
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
