"""Files to normalized text, by format.

Each format goes through a well-kept library (BeautifulSoup+lxml, python-docx,
pypdf); the result is always one normalized text (see
:func:`policykg.loaders.decode.normalize_text`) that every span counts into,
plus what the format told us: encoding, media type, page hints (title,
publisher) and the lines set as headings.

The format is taken from the content when the content is unmistakable (a PDF
or a zip signature, an HTML root element) and from the file name otherwise, so
a scraped page saved as ``.txt`` is still read as HTML.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from policykg.errors import InputError
from policykg.loaders.decode import decode_bytes, normalize_text
from policykg.loaders.limits import check_size, read_limited

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
DOCX_SUFFIXES = {".docx"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | DOCX_SUFFIXES | PDF_SUFFIXES

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class RawDocument:
    source: str
    sha256: str
    media_type: str
    encoding: str | None  # of the bytes, for text and HTML; None for .docx and PDF
    text: str
    hints: dict[str, str] = field(default_factory=dict)  # e.g. {"title": …, "publisher": …} from the page
    headings: list[str] = field(default_factory=list)  # lines the format marks as headings (bold, <h2>, Heading 1)


def read_bytes(data: bytes, source: str) -> RawDocument:
    """Read one document from its bytes; ``source`` names it (file name or URL)."""
    check_size(len(data), source)
    suffix = Path(source.split("?", 1)[0]).suffix.lower()
    if not data or data.isspace():  # strip() would copy a big file
        raise InputError(f"{source}: the file is empty")
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF-") or suffix in PDF_SUFFIXES:
        if b"%PDF-" not in data[:1024]:  # readers allow a little junk before the header, no more
            raise InputError(
                f"{source}: not a PDF file (no %PDF- header)",
                hint="policykg reads plain text, HTML, .docx and PDF with a text layer",
            )
        from policykg.loaders.pdf import pdf_to_text

        text, hints = pdf_to_text(data, source)
        return RawDocument(source, sha, "application/pdf", None, normalize_text(text), hints)
    if data.startswith(b"PK\x03\x04"):
        if suffix in DOCX_SUFFIXES or b"word/" in data[:4096]:
            from policykg.loaders.docx import docx_to_text

            text, hints, headings = docx_to_text(data, source)
            return RawDocument(
                source, sha, DOCX_MEDIA_TYPE, None, normalize_text(text), hints, [normalize_text(h) for h in headings]
            )
        raise InputError(
            f"{source}: a zip archive, not a document",
            hint="policykg reads plain text, HTML, .docx and PDF with a text layer",
        )
    if suffix in DOCX_SUFFIXES:
        raise InputError(
            f"{source}: not a valid .docx file (no zip signature)", hint="an old .doc file must be saved as .docx first"
        )
    if suffix in HTML_SUFFIXES or (suffix in TEXT_SUFFIXES and _sniff_html(data)):
        from policykg.loaders.html import html_to_text

        text, encoding, hints, headings = html_to_text(data, source)
        if not text.strip():
            raise InputError(f"{source}: the page has no visible text")
        return RawDocument(
            source, sha, "text/html", encoding, normalize_text(text), hints, [normalize_text(h) for h in headings]
        )
    if suffix in TEXT_SUFFIXES or suffix not in SUPPORTED_SUFFIXES and _is_textual(suffix):
        text, encoding = decode_bytes(data, source)
        return RawDocument(source, sha, "text/plain", encoding, normalize_text(text))
    raise InputError(
        f"{source}: unsupported file type {suffix!r}",
        hint="policykg reads " + ", ".join(sorted(s for s in SUPPORTED_SUFFIXES if s)),
    )


def read_path(path: str | Path) -> RawDocument:
    p = Path(path)
    try:
        data = read_limited(p, p.name)  # refused on its stated size before a byte is read
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    return read_bytes(data, p.name)


def _is_textual(suffix: str) -> bool:
    # Only the known text endings are read as text; anything else is refused by name.
    return False


def _sniff_html(data: bytes) -> bool:
    head = data[:2048]
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom) :]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00"):
        try:
            head = head.decode("utf-16").encode("utf-8", "ignore")
        except UnicodeDecodeError:
            return False
    head = head.lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<meta", b"<body"))
