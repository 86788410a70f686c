"""Word documents (.docx) to text: paragraphs and table cells in reading order.

Headings are remembered as lines: a paragraph in a Heading/Title style, or one
whose visible runs are all bold, is a heading even without a printed number.
"""

from __future__ import annotations

import io
import re
import zipfile

from policykg.errors import InputError

_SPACES = re.compile(r"[ \t\r\f\v]+")


# A Word file is a few dozen zip entries (a few hundred with many pictures).
MAX_ENTRIES = 10_000


def check_zip(data: bytes, source: str) -> None:
    """Refuse a .docx that is not a sound Word zip before python-docx unpacks any of it.

    python-docx reads whole parts into memory, so a zip bomb (word/document.xml packed from
    1 GB to 1 MB) is refused on the sizes the zip declares; a zip that understates them fails
    its CRC check when read, since zipfile never inflates past the declared size.
    """
    from policykg.loaders.read import check_size

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            entries = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise InputError(f"{source}: not a valid .docx file (a damaged zip: {exc})",
                         hint="save it again as .docx, or as plain text") from None
    if len(entries) > MAX_ENTRIES:
        raise InputError(f"{source}: not a Word document: the zip holds {len(entries)} entries "
                         f"(a Word file has a few dozen; limit {MAX_ENTRIES})")
    check_size(sum(e.file_size for e in entries), source, what="unpacks too large, a zip bomb?")


def docx_to_text(data: bytes, source: str) -> tuple[str, dict[str, str], list[str]]:
    """Return ``(text, hints, headings)``; raises :class:`InputError` for a broken file."""
    check_zip(data, source)
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a zip that is not a Word file, or a damaged one
        raise InputError(f"{source}: cannot read this Word file ({exc.__class__.__name__})",
                         hint="save it again as .docx, or as plain text") from None
    lines: list[str] = []
    headings: list[str] = []

    def paragraph(p: "Paragraph") -> None:
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
                cells = []
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
