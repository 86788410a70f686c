"""The corpus generator's command line; the generator is the tests' (tests/support/generate_corpus.py).

python benchmarks/generate_corpus.py OUT --count 1000 [--seed 7] [--corrupt-at 500] [--archive zip]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.generate_corpus import Generator, generate, main

__all__ = ["Generator", "generate", "main"]

if __name__ == "__main__":
    main()
