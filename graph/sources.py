"""Sources: which documents the paths given name (files, folders, archives), and their bytes.

What an ingest reads, before anything is extracted (:mod:`policykg.graph.ingest` does the rest):

* **Listing** (:func:`list_sources`): files, folders (searched recursively) and archives
  (``.zip``, ``.tar.gz``/``.tgz``/``.tar``), in a stable order. Inside a folder only what really
  is in it is read (see :func:`_walk`). An archive over the limits of
  :class:`~policykg.loaders.limits.ArchiveBudget` (too many entries, or unpacking to far more
  than its own size) is refused whole, by name, before any member is read.
* **Reading** (:func:`read_sources`): the bytes of each source, in order, archives read once and
  sequentially; a file or member over ``max_document_bytes`` is refused by name before it is read.

Nothing here knows RDF or the store.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from policykg.errors import InputError
from policykg.loaders.limits import (
    ArchiveBudget,
    TarHeaderTooLarge,
    check_size,
    check_zip_directory,
    document_size_limit,
    inflate,
    open_tar,
    read_limited,
    read_limited_stream,
)
from policykg.loaders.read import SUPPORTED_SUFFIXES

#: What a folder walk (and an archive) reads: documents by their suffix, as `ingest --help` says.
#: README.md, LICENSE or a Makefile beside the documents are not policy documents; a file named
#: on the command line is read whatever its suffix (the user named it).
INGESTIBLE = (SUPPORTED_SUFFIXES - {"", ".md"}) | {".docx", ".pdf"}
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _ingestible(name: str) -> bool:
    """A document by its name in an archive: a known ending, not hidden, not an archive itself.

    "." and ".." are not hidden folders: a member named ``../../etc/x.txt`` is read like any
    other. Its name is only a label (the report shows it, the document id comes from its last
    part); nothing is ever written to a path taken from an archive.
    """
    base = name.rsplit("/", 1)[-1]
    folders = [part for part in name.split("/")[:-1] if part not in (".", "..")]
    if not base or base.startswith(".") or any(part.startswith(".") for part in folders):
        return False
    return Path(base).suffix.lower() in INGESTIBLE and not base.lower().endswith(ARCHIVE_SUFFIXES)


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the ingestible files and archives inside the folders named, in a stable order."""
    return [path for path, error in _walk(paths) if error is None]


def _walk(paths: Iterable[str | Path], skipped: list[Path] | None = None) -> Iterator[tuple[Path, str | None]]:
    """``(path, None)`` for every file to read, ``(path, why)`` for one that must be refused.

    A file named twice (the same path given twice, or a file inside a folder also given) is
    read once. Inside a folder, only what really is in it is read: links to folders are not
    followed (so a link loop costs nothing), and a file link leading out of the folder, a named pipe,
    a socket or a device with a document's name, and a subfolder that cannot be listed are
    refused by name rather than read or silently skipped: a corpus someone else packed must not
    pull a private file into a store that is then served. A path given on the command line is
    read as given, links and devices included (the user named it).
    """
    seen: set[str] = set()
    for p in map(Path, paths):
        if not p.is_dir():
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                yield p, None
            continue
        root = os.path.realpath(p)
        found: list[tuple[Path, str | None]] = []

        def unlisted(exc: OSError, found: list[tuple[Path, str | None]] = found) -> None:
            found.append((Path(exc.filename), f"{exc.filename}: cannot list the folder: {exc.strerror}"))

        for folder, dirs, files in os.walk(p, onerror=unlisted):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:  # links to folders are in `dirs`, and not followed
                f = Path(folder, name)
                if name.startswith("."):
                    continue
                if not (f.suffix.lower() in INGESTIBLE or is_archive(f)):
                    if skipped is not None:
                        skipped.append(f)
                    continue
                found.append((f, _refusal(f, root)))
        # A file and a link to it inside the folder: the file is the one read (links decide last).
        keep: set[Path] = set()
        for f, error in sorted(found, key=lambda item: (item[0].is_symlink(), item[0])):
            key = os.path.realpath(f)
            if error is not None or key not in seen:
                seen.add(key)
                keep.add(f)
        yield from sorted(item for item in found if item[0] in keep)


def _refusal(f: Path, root: str) -> str | None:
    """Why a file found in the folder ``root`` is not read, or None to read it."""
    if f.is_symlink():
        target = os.path.realpath(f)
        if os.path.commonpath([root, target]) != root:
            return f"{f}: a link to {target}, outside the folder {root}; not followed (ingest the file itself)"
    try:
        mode = f.stat().st_mode
    except OSError as exc:
        return f"{f}: cannot read the file: {exc.strerror}"
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        return f"{f}: {kind}, not a file; not read"
    return None


@dataclass(frozen=True)
class Source:
    """One document to ingest: a file, or a member of an archive."""

    label: str  # how reports name it: the path, or ``archive.zip:inner/path.txt``
    name: str  # the file name the extractor sees (the document id comes from it)
    path: Path  # the file, or the archive holding the member
    member: str | None = None
    error: str | None = None  # an archive refused as a whole when listed: why (it names the archive)


def list_sources(paths: Iterable[str | Path], skipped: list[Path] | None = None) -> list[Source]:
    """Every document in the inputs; archives are opened to list their members. Files in the
    folders that are not documents by their suffix are left out (and added to ``skipped``).

    An archive that cannot be opened, or is over the limits of :class:`ArchiveBudget`, becomes
    one source that fails when read, and nothing of it is read.
    """
    out: list[Source] = []
    for f, error in _walk(paths, skipped):
        if error is not None:
            out.append(Source(str(f), f.name, f, error=error))
        else:
            out.extend(_list_archive(f) if is_archive(f) else [Source(str(f), f.name, f)])
    return out


def _list_archive(path: Path) -> list[Source]:
    """The documents in an archive, in a stable order, or one failing source for the archive."""
    limit = document_size_limit()
    names: list[str] = []
    try:
        budget = ArchiveBudget(str(path), path.stat().st_size, limit)
        if path.name.lower().endswith(".zip"):
            with path.open("rb") as fp:
                check_zip_directory(fp, str(path))
                with zipfile.ZipFile(fp) as zf:
                    for info in zf.infolist():
                        # Only the documents read are inflated; one over the limit is refused unread.
                        read = _ingestible(info.filename) and info.file_size <= limit
                        budget.spend(info.filename, info.file_size if read else 0)
                        if not info.is_dir():
                            names.append(info.filename)
            names.sort()
        else:
            with open_tar(path) as tf:
                for m in tf:
                    budget.spend(m.name, m.size)  # a stream is unpacked through every entry
                    if m.isfile():
                        names.append(m.name)
    except InputError as exc:
        error = str(exc)
    except TarHeaderTooLarge as exc:
        error = f"{path}: refused: {exc}"
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or "damaged"
        error = f"{path}: cannot open the archive: {reason}"
    else:
        return [
            Source(f"{path}:{name}", name.rsplit("/", 1)[-1], path, member=name) for name in names if _ingestible(name)
        ]
    return [Source(str(path), path.name, path, error=error)]


def read_sources(sources: list[Source]) -> Iterator[tuple[Source, bytes | None, str | None]]:
    """``(source, bytes, None)`` or ``(source, None, error)`` for every source, in order.

    Archives are read once, sequentially (a .tar.gz is never seeked backwards). Nothing over
    ``max_document_bytes`` is read: a file or member is refused on the size it states, and
    read in bounded chunks in case it states less than it holds.
    """
    i = 0
    while i < len(sources):
        src = sources[i]
        if src.error is not None:
            yield src, None, src.error
            i += 1
            continue
        if src.member is None:
            try:
                yield src, read_limited(src.path, src.label), None
            except InputError as exc:
                yield src, None, str(exc)
            except OSError as exc:
                yield src, None, f"{src.label}: cannot read the file: {exc.strerror or exc}"
            i += 1
            continue
        # All consecutive members of this archive.
        j = i
        while j < len(sources) and sources[j].path == src.path and sources[j].member is not None:
            j += 1
        yield from _read_archive(sources[i:j])
        i = j


# What reading a zip member may raise on a damaged, encrypted or exotic (deflate64) zip.
_ZIP_ERRORS = (OSError, zipfile.BadZipFile, RuntimeError, EOFError, NotImplementedError, ValueError, zlib.error)


def _read_archive(members: list[Source]) -> Iterator[tuple[Source, bytes | None, str | None]]:
    path = members[0].path
    wanted = {src.member: src for src in members}
    done: set[str | None] = set()
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for src in members:
                    done.add(src.member)
                    try:
                        info = zf.getinfo(src.member or "")
                        check_size(info.file_size, src.label)
                        # In chunks: a member that understates its size fails its CRC past it.
                        data = read_limited_stream(inflate(zf, info), src.label)
                    except InputError as exc:
                        yield src, None, str(exc)
                    except _ZIP_ERRORS as exc:
                        yield src, None, f"{src.label}: cannot read the archive member, the zip is damaged: {exc}"
                    else:
                        yield src, data, None
            return
        with open_tar(path) as tf:
            for m in tf:
                found = wanted.get(m.name)
                if found is None or m.name in done:
                    continue
                done.add(m.name)
                try:
                    check_size(m.size, found.label)
                    f = tf.extractfile(m)
                    data = read_limited_stream(f, found.label) if f else b""
                except InputError as exc:
                    yield found, None, str(exc)
                else:
                    yield found, data, None
        for src in members:
            if src.member not in done:
                yield src, None, f"{src.label}: missing from the archive"
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, TarHeaderTooLarge, zlib.error) as exc:
        for src in members:
            if src.member not in done:
                yield src, None, f"{src.label}: cannot read the archive: {exc}"
