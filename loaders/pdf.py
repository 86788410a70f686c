"""PDF with a text layer to text (pypdf).

PDF text comes in printed lines: a sentence wrapped at the margin is cut in
two, and page numbers and running headers sit between pages. Lines are joined
again unless the first ends a sentence or the second opens a numbered part, so
the structure step sees one line per paragraph as in the other formats. A PDF
without a text layer (a scan) is an error, not an empty document.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from policykg.errors import InputError

# "- 3 -", "— 3 —", "第3页", "3/12", a lone number: page furniture.
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–]\s*\d+\s*[-—–]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,3})\s*$")
# A line that opens a numbered part never continues the previous one.
_OPENS_PART = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百\d]+[部分章篇节条]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[、.．](?!\d))"
)
_ENDS_PARAGRAPH = re.compile(r"[。；;！!？?：:”」）)]\s*$")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def pdf_to_text(data: bytes, source: str) -> tuple[str, dict[str, str]]:
    with _pypdf_notes() as notes:
        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    reader.decrypt("")
                except Exception:
                    raise InputError(f"{source}: the PDF is encrypted") from None
            pages = [page.extract_text() or "" for page in reader.pages]
        except InputError:
            raise
        except Exception as exc:
            reasons = list(dict.fromkeys([*notes, str(exc) or exc.__class__.__name__]))
            truncated = " (the file looks truncated)" if "EOF marker not found" in notes else ""
            raise InputError(f"{source}: cannot read this PDF: {'; '.join(reasons)}{truncated}") from None
    text = join_printed_lines(pages)
    if not text.strip():
        raise InputError(
            f"{source}: the PDF has no text layer (a scan?)", hint="run it through OCR first, or give the text as .txt"
        )
    hints: dict[str, str] = {}
    meta = reader.metadata
    if meta is not None and meta.title and str(meta.title).strip():
        hints["title"] = str(meta.title).strip()
    return text, hints


class _Notes(logging.Handler):
    """What pypdf says about the file this thread is reading (``EOF marker not found``).

    Left to propagate, pypdf's warnings reach stderr bare, without the file's name, ahead of
    our own message; kept per thread, they become part of that message instead.
    """

    local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        notes = getattr(self.local, "notes", None)
        if notes is not None:
            notes.append(record.getMessage())


_PYPDF_LOG = logging.getLogger("pypdf")
_PYPDF_LOG.addHandler(_Notes(logging.WARNING))
_PYPDF_LOG.propagate = False


@contextmanager
def _pypdf_notes() -> Iterator[list[str]]:
    notes: list[str] = []
    _Notes.local.notes = notes
    try:
        yield notes
    finally:
        _Notes.local.notes = None


def join_printed_lines(pages: list[str]) -> str:
    """The text of a PDF's pages, one line per paragraph: page numbers dropped, wrapped lines joined.

    A line that runs (nearly) to the right margin and ends without closing punctuation goes on
    in the next line, unless that one opens a numbered part. This holds across a page break,
    even inside a word (宫颈 / - 1 - / 癌筛查 -> 宫颈癌筛查), so that the spans of every later
    step count into the joined text.
    """
    lines: list[str] = []
    # Whether the last printed line ran to the right margin. It carries over a page break:
    # a sentence, even a word (宫颈 / - 1 - / 癌筛查), goes on at the top of the next page.
    previous_full = False
    for page in pages:
        printed = [
            ln
            for ln in (_SPACES.sub(" ", raw).strip() for raw in page.split("\n"))
            if ln and not _PAGE_NUMBER.match(ln)
        ]
        # A wrapped line runs (nearly) to the margin; a short line such as a
        # title ends where its text ends.
        full = max((len(ln) for ln in printed), default=0)
        for line in printed:
            if (
                lines
                and previous_full
                and not _ENDS_PARAGRAPH.search(lines[-1])
                and not _OPENS_PART.match(line)
                and (_is_cjk(lines[-1][-1]) or _is_cjk(line[0]))
            ):
                # Chinese needs no space at the join, on either side of it: 宫颈 / 癌筛查,
                # 围绕 / “世界…日”, 约180 / 亿元. (Latin text wrapped in Latin stays as printed.)
                lines[-1] += line
            else:
                lines.append(line)
            previous_full = len(line) >= 0.8 * full
    return "\n".join(lines)


def _is_cjk(ch: str) -> bool:
    """A Chinese character or punctuation mark, or a curly quote (Chinese text sets “” and ‘’)."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or ch in "“”‘’"
