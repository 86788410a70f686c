"""Word documents (.docx) to text: paragraphs and table cells in reading order.

Headings are remembered as lines: a paragraph in a Heading/Title style, or one
whose visible runs are all bold, is a heading even without a printed number.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from policykg.errors import InputError
from policykg.loaders.limits import check_size, document_size_limit, inflate

_SPACES = re.compile(r"[ \t\r\f\v]+")


# A Word file is a few dozen zip entries (a few hundred with many pictures).
MAX_ENTRIES = 10_000


def unzipped(data: bytes, source: str) -> bytes:
    """The Word file re-packed (stored, not compressed) from what its entries really inflate to.

    python-docx must never unzip an untrusted file itself: it reads entries with
    ``ZipFile.read()``, which inflates an entry that understates its size in full (a 1 MB file,
    a 2 GB peak) before noticing. Here a zip bomb that states its sizes is refused before
    anything is inflated, and every entry is inflated in bounded chunks against
    ``max_document_bytes`` (see :func:`policykg.loaders.limits.inflate`).
    """
    limit = document_size_limit()
    bomb = "unpacks too large, a zip bomb?"
    out = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
            entries = [e for e in zin.infolist() if not e.is_dir()]
            if len(entries) > MAX_ENTRIES:
                raise InputError(
                    f"{source}: not a Word document: the zip holds {len(entries)} entries "
                    f"(a Word file has a few dozen; limit {MAX_ENTRIES})"
                )
            check_size(sum(e.file_size for e in entries), source, limit, what=bomb)
            total = 0
            for entry in entries:
                chunks = []
                for chunk in inflate(zin, entry):
                    total += len(chunk)
                    check_size(total, source, limit, what=bomb)
                    chunks.append(chunk)
                zout.writestr(entry.filename, b"".join(chunks))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ) as exc:  # damaged, encrypted or in an unknown compression
        raise InputError(
            f"{source}: not a valid .docx file (a damaged zip: {exc})", hint="save it again as .docx, or as plain text"
        ) from None
    return out.getvalue()


def docx_to_text(data: bytes, source: str) -> tuple[str, dict[str, str], list[str]]:
    """Return ``(text, hints, headings)``; raises :class:`InputError` for a broken file."""
    sound = unzipped(data, source)
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(sound))
    except Exception as exc:  # a zip that is not a Word file, or a damaged one
        raise InputError(
            f"{source}: cannot read this Word file ({exc.__class__.__name__})",
            hint="save it again as .docx, or as plain text",
        ) from None
    lines: list[str] = []
    headings: list[str] = []

    def paragraph(p: Paragraph) -> None:
        line = _SPACES.sub(" ", p.text).strip()
        if not line:
            return
        lines.append(line)
        if _is_heading(p):
            headings.append(line)

    # Walk the body in order so that tables stay where they were.
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph(Paragraph(child, document))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = _SPACES.sub(" ", cell.text).strip()
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if cells:
                    lines.append(" ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(f"{source}: the Word file contains no text")
    hints: dict[str, str] = {}
    props = document.core_properties
    if props.title and props.title.strip():
        hints["title"] = props.title.strip()
    return text, hints, headings


def _is_heading(p) -> bool:
    style = (p.style.name if p.style is not None else "") or ""
    if style.lower().startswith(("heading", "title")) or style.startswith(("标题",)):
        return True
    runs = [r for r in p.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs) and len(p.text.strip()) <= 60
