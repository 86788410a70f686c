"""How much of a document policykg will read: one size limit, checked before the bytes are read.

``max_document_bytes`` (see ``policykg/settings.py``) bounds a file, an archive member and a
.docx unpacked. Sizes are checked on what the file system or the zip states *before* reading,
and a zip entry is inflated in bounded chunks, so that no input can make a reader hold much
more than the limit in memory.
"""

from __future__ import annotations

import zipfile
from typing import Iterator

from policykg.errors import InputError
from policykg.settings import SETTINGS_BY_NAME, load_settings

CHUNK = 1 << 20


def document_size_limit() -> int:
    """The ``max_document_bytes`` setting, read where the document is read (a worker process too)."""
    return load_settings().max_document_bytes


def check_size(size: int, source: str, limit: int | None = None, *, what: str = "too large") -> None:
    """Refuse a document over the size limit by name, before it is read (or unpacked) at all."""
    limit = document_size_limit() if limit is None else limit
    if size > limit:
        raise InputError(f"{source}: {what} ({_size(size)} > limit {_size(limit)})",
                         hint=f"set {SETTINGS_BY_NAME['max_document_bytes'].env} to read bigger documents")


def inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """A zip entry's bytes in chunks of 1 MB.

    ``ZipFile.read()`` inflates a whole entry in one call and only then cuts it to the size the
    zip declares: an entry that understates its size (1 MB inflating to 1 GB) takes all that
    memory first. Read in chunks, it inflates at most one chunk past the declared size and then
    fails its CRC check (``zipfile.BadZipFile``); the caller adds up the chunks against a limit.
    """
    with archive.open(entry) as member:
        while chunk := member.read(CHUNK):
            yield chunk


def _size(n: int) -> str:
    """209.7 MB, 50 MB, 900 bytes."""
    return f"{n} bytes" if n < 100_000 else f"{n / 1_000_000:.1f}".removesuffix(".0") + " MB"
