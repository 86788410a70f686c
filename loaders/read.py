"""Files to normalized text, by format.

Each format goes through a well-kept library; the result is always one
normalized text (see :func:`policykg.loaders.decode.normalize_text`) that every
span counts into, plus what the format told us (encoding, media type, HTML title).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from policykg.errors import InputError
from policykg.loaders.decode import decode_bytes, normalize_text

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES


@dataclass
class RawDocument:
    source: str
    sha256: str
    media_type: str
    encoding: str | None
    text: str
    hints: dict[str, str] = field(default_factory=dict)  # e.g. {"title": …, "publisher": …} from the page


def read_bytes(data: bytes, source: str) -> RawDocument:
    """Read one document from its bytes; ``source`` names it (file name or URL)."""
    suffix = Path(source).suffix.lower()
    sha = hashlib.sha256(data).hexdigest()
    if suffix in HTML_SUFFIXES or (suffix in TEXT_SUFFIXES and _sniff_html(data)):
        from policykg.loaders.html import html_to_text

        text, encoding, hints = html_to_text(data, source)
        return RawDocument(source, sha, "text/html", encoding, normalize_text(text), hints)
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_bytes(data, source)
        return RawDocument(source, sha, "text/plain", encoding, normalize_text(text))
    raise InputError(f"{source}: unsupported file type {suffix!r}",
                     hint="policykg reads " + ", ".join(sorted(s for s in SUPPORTED_SUFFIXES if s)))


def read_path(path: str | Path) -> RawDocument:
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{p}: is a folder, not a file") from None
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied") from None
    return read_bytes(data, p.name)


def _sniff_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
