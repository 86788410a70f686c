"""The bulk-load journal: which new documents a bulk load of the embedded store is writing.

Oxigraph's bulk loader is several times faster than a transaction (it writes sorted files and
hands them to RocksDB whole) but it is not atomic: killed halfway, it leaves part of its input in
the store. So before a batch of new documents is bulk-loaded, their graphs and sha256 are written
to this file and made durable (fsync); the batch is *sealed* afterwards by loading the documents'
``pkg:sha256`` quads, once every body is in; then the file is removed.

The rule it protects: the store holds whole documents only. A journal found when the store is
opened names a batch that may have been cut short. Its graphs did not exist before the batch
(only new documents are bulk-loaded), so every one whose sha256 is not stored is dropped (a
document whose seal is stored is whole, even when the load stopped among the seals), and
then the shared entity graphs no document reaches any more
(:meth:`~policykg.graph.store.embedded.OxigraphStore.add_documents`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

#: Inside the store folder; RocksDB leaves files whose names are not its own alone.
JOURNAL_NAME = "policykg-bulk-load.journal"


def journal_path(store: Path) -> Path:
    return store / JOURNAL_NAME


def write_journal(store: Path, entries: Sequence[tuple[str, str]]) -> None:
    """Record ``(graph, sha256)`` of each document of a batch, durably, before it is loaded."""
    path = journal_path(store)
    tmp = path.with_name(JOURNAL_NAME + ".new")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(f"{graph} {sha256}\n" for graph, sha256 in entries)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # whole or absent: a reader never sees half a journal
    _fsync_folder(store)


def read_journal(store: Path) -> list[tuple[str, str]]:
    """The ``(graph, sha256)`` of a batch whose load was not seen to end; [] when there is none."""
    try:
        text = journal_path(store).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        graph, _, sha256 = line.partition(" ")
        if graph:
            entries.append((graph, sha256))
    return entries


def clear_journal(store: Path) -> None:
    """The batch is sealed (or undone): forget it."""
    journal_path(store).unlink(missing_ok=True)
    journal_path(store).with_name(JOURNAL_NAME + ".new").unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
