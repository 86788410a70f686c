"""How much of a document policykg will read: one size limit, checked before the bytes are read.

``max_document_bytes`` (see ``policykg/settings.py``) bounds a file, an archive member and a
.docx unpacked. Sizes are checked on what the file system, the zip or the tar header states
*before* reading, and a zip entry is inflated in bounded chunks, so that no input can make a
reader hold much more than the limit in memory.

An archive of documents (``.zip``, ``.tar.gz``) is bounded as a whole too: at most
:data:`MAX_ARCHIVE_ENTRIES` entries, and at most :data:`MAX_INFLATE_RATIO` times its own size
unpacked (see :class:`ArchiveBudget`), so that a small download cannot turn into hours of
inflating (a zip bomb of many medium members) or a listing that fills memory.
"""

from __future__ import annotations

import functools
import os
import stat
import struct
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from policykg.errors import InputError
from policykg.settings import SETTINGS, SETTINGS_BY_NAME, load_settings

CHUNK = 1 << 20

#: Entries (files and folders) one archive may hold. Listing an archive holds every entry in
#: memory (zipfile: ~0.6 KB each) and every entry costs a read; a folder has no such limit.
MAX_ARCHIVE_ENTRIES = 10_000
#: Bytes of a zip's central directory allowed per entry. zipfile parses the whole directory
#: before anyone can count it, whatever count the zip states, at ~12 bytes of memory per byte
#: of directory: the directory's size is what bounds that (a Chinese path of 150 characters
#: with its extra fields takes ~550 bytes).
ZIP_DIRECTORY_BYTES_PER_ENTRY = 1024
#: An archive may unpack to this many times its own size (or to one document's limit, if that
#: is more). Text deflates 2 to 10 times; a zip bomb 1 000 times.
MAX_INFLATE_RATIO = 100
#: Largest tar header extension (pax header, GNU long name). tarfile reads one whole into
#: memory before anyone sees it: a 260 KB .tar.gz stating a 256 MB pax header cost 540 MB.
MAX_TAR_HEADER_BYTES = CHUNK

_UNPACK_HINT = "unpack the archive and ingest the folder: a folder has no such limit"


def document_size_limit() -> int:
    """The ``max_document_bytes`` setting, read where the document is read (a worker process too)."""
    return _size_limit_under(tuple((s.env, v) for s in SETTINGS if (v := os.environ.get(s.env)) is not None))


@functools.lru_cache(maxsize=8)
def _size_limit_under(environment: tuple[tuple[str, str], ...]) -> int:
    # The settings' variables as they are now (load_settings reads no others): the limit, and
    # any error a malformed value raises, are those of the current environment, parsed once
    # per environment rather than once per document.
    return load_settings(dict(environment)).max_document_bytes


def _size_hint() -> str:
    return f"set {SETTINGS_BY_NAME['max_document_bytes'].env} to read bigger documents"


def _over_limit(source: str, limit: int) -> InputError:
    """A document found past the limit while it was read (its stated size said less, or nothing)."""
    return InputError(f"{source}: too large (more than the limit of {_size(limit)})", hint=_size_hint())


def check_size(size: int, source: str, limit: int | None = None, *, what: str = "too large") -> None:
    """Refuse a document over the size limit by name, before it is read (or unpacked) at all."""
    limit = document_size_limit() if limit is None else limit
    if size > limit:
        raise InputError(f"{source}: {what} ({_size(size)} > limit {_size(limit)})", hint=_size_hint())


def read_limited(path: Path, source: str, limit: int | None = None) -> bytes:
    """A file's bytes, refused by name if over the limit.

    A regular file is refused on the size the file system states, before a byte of it is read.
    What that size does not bound (a pipe, a device such as /dev/zero, a file still growing) is
    read up to one byte past the limit and refused there. A named pipe nobody has opened for
    writing is refused at once instead of waiting for a writer; a socket is refused by name.
    """
    limit = document_size_limit() if limit is None else limit
    if stat.S_ISSOCK(os.stat(path).st_mode):
        raise InputError(f"{source}: a socket, not a file")
    # Non-blocking open: opening a named pipe (FIFO) would otherwise wait for ever for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        check_size(st.st_size, source, limit)
        os.set_blocking(fd, True)  # a pipe with a writer is read as it comes; with none it reads empty
        data = f.read(limit + 1)
    if len(data) > limit:
        raise _over_limit(source, limit)
    if not data and stat.S_ISFIFO(st.st_mode):
        raise InputError(
            f"{source}: a named pipe (FIFO) that nothing was written to",
            hint="write the document into it from another process, or ingest the file itself",
        )
    return data


def read_limited_stream(stream: BinaryIO | Iterator[bytes], source: str, limit: int | None = None) -> bytes:
    """All the bytes of a stream (a file object or an iterator of chunks), refused by name past the limit.

    Reads 1 MB at a time, so an archive member is never held past the limit plus one chunk.
    """
    limit = document_size_limit() if limit is None else limit
    chunks = iter(lambda: stream.read(CHUNK), b"") if hasattr(stream, "read") else stream
    out, total = [], 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise _over_limit(source, limit)
        out.append(chunk)
    return b"".join(out)


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


class ArchiveBudget:
    """What an archive may still unpack to, spent entry by entry while it is listed.

    Refuses, naming the archive and the entry that crossed the line, an archive of more than
    :data:`MAX_ARCHIVE_ENTRIES` entries or one whose entries add up to more than
    :data:`MAX_INFLATE_RATIO` times the archive's own size (and more than one document's limit).
    """

    def __init__(self, archive: str, archive_bytes: int, limit: int | None = None) -> None:
        self.archive = archive
        self.entries = 0
        self.bytes = 0
        self.max_bytes = max(document_size_limit() if limit is None else limit, MAX_INFLATE_RATIO * archive_bytes)

    def spend(self, entry: str, size: int) -> None:
        """Count one more entry that unpacks to ``size`` bytes."""
        self.entries += 1
        if self.entries > MAX_ARCHIVE_ENTRIES:
            raise InputError(
                f"{self.archive}: holds more than {MAX_ARCHIVE_ENTRIES} entries "
                f"(files and folders; entry {self.entries} is {entry})",
                hint=_UNPACK_HINT,
            )
        self.bytes += size
        if self.bytes > self.max_bytes:
            raise InputError(
                f"{self.archive}: unpacks to more than {_size(self.max_bytes)}, "
                f"{MAX_INFLATE_RATIO} times its own size, at entry {entry} "
                f"({_size(size)}): a zip bomb?",
                hint=_UNPACK_HINT,
            )


def check_zip_directory(fp: BinaryIO, source: str) -> None:
    """Refuse a zip whose directory lists too many entries, before zipfile parses the directory.

    The figures come from the zip's end record (the Zip64 one if there is one). A zip whose end
    record cannot be found is left to zipfile, which refuses it as not a zip.
    """
    found = _zip_directory(fp)
    if found is None:
        return
    entries, directory_bytes = found
    if entries > MAX_ARCHIVE_ENTRIES:
        raise InputError(
            f"{source}: holds {entries} entries, more than {MAX_ARCHIVE_ENTRIES} (files and folders)", hint=_UNPACK_HINT
        )
    if directory_bytes > MAX_ARCHIVE_ENTRIES * ZIP_DIRECTORY_BYTES_PER_ENTRY:
        raise InputError(
            f"{source}: its directory of entries takes {_size(directory_bytes)}, more than "
            f"{MAX_ARCHIVE_ENTRIES} entries need",
            hint=_UNPACK_HINT,
        )


def _zip_directory(fp: BinaryIO) -> tuple[int, int] | None:
    """``(entries, bytes of central directory)`` as a zip's end record states them, or None."""
    fp.seek(0, os.SEEK_END)
    end = fp.tell()
    fp.seek(max(0, end - 22 - 0xFFFF))  # the end record (22 bytes) is followed by a comment of < 64 KB
    tail = fp.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # Zip64 locator: the real figures are there
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        fp.seek(offset)
        record = fp.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that refuses an oversized header extension before tarfile reads it whole."""

    _EXTENSIONS = (
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
    )

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> _BoundedTarInfo:
        info = super().frombuf(buf, encoding, errors)
        if info.type in cls._EXTENSIONS and info.size > MAX_TAR_HEADER_BYTES:
            # Not a tarfile.HeaderError: tarfile would take that for the end of the archive.
            raise TarHeaderTooLarge(f"a tar header of {_size(info.size)} (limit {_size(MAX_TAR_HEADER_BYTES)})")
        return info


class TarHeaderTooLarge(Exception):
    """A tar header extension over :data:`MAX_TAR_HEADER_BYTES` (refused before it is read)."""


def open_tar(path: Path) -> tarfile.TarFile:
    """A tar (plain or compressed) read as one forward stream, its headers bounded."""
    return tarfile.open(path, "r|*", tarinfo=_BoundedTarInfo)


def _size(n: int) -> str:
    """209.7 MB, 50 MB, 900 bytes."""
    return f"{n} bytes" if n < 100_000 else f"{n / 1_000_000:.1f}".removesuffix(".0") + " MB"
