"""The progress line of ``policykg ingest`` on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any


class IngestProgress:
    """One stderr line: done/total, documents/s, MB/s, ETA. Redrawn on a terminal, a line every 10 s otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.clock = total, enabled, time.monotonic
        self.tty = sys.stderr.isatty()
        self.start = self.last = self.clock()
        self.n = self.bytes = self.failed = self.stored = 0
        self.drawn = False

    def update(self, outcome: Any) -> None:
        self.n += 1
        self.bytes += outcome.bytes
        self.failed += outcome.status == "failed"
        self.stored += outcome.status in ("added", "replaced")
        if not self.enabled:
            return
        now = self.clock()
        if now - self.last >= (0.2 if self.tty else 10.0) or (self.tty and self.n == self.total):
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.n / elapsed
        eta = (self.total - self.n) / rate if rate else 0.0
        line = (
            f"[{self.n}/{self.total}] {100 * self.n / self.total:5.1f}%  {rate:.1f} docs/s  "
            f"{self.bytes / elapsed / 1e6:.2f} MB/s  ETA {duration(eta)}"
            + (f"  {self.failed} failed" if self.failed else "")
        )
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + line)
            self.drawn = True
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[2K")
            self.drawn = False

    def done(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            self.drawn = False


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
