"""New documents are bulk-loaded under a journal: a load cut short leaves whole documents only.

A real process is SIGKILLed at a chosen point of :meth:`OxigraphStore.add_documents` (halfway
through Oxigraph's bulk loader, or after the seals but before the journal is cleared); the
store, opened again read-write or read-only, then holds exactly what it held before plus the
batch if it was sealed, with no entity graph that no document reaches.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from policykg.errors import StoreError
from policykg.graph.ingest import extract_document
from policykg.graph.store import NewDocument, OxigraphStore, orphan_entity_graphs
from policykg.graph.store.journal import journal_path
from support import generate_corpus
from support.common import quads_of, quads_on_disk

# Run in a child process: store what is in "first", then add "batch" with a kill at `point`.
_CHILD = r"""
import os, pickle, signal, sys
import pyoxigraph as ox
from policykg.graph.store import OxigraphStore
import policykg.graph.store.embedded as embedded

path, point, first, batch = pickle.loads(sys.stdin.buffer.read())
store = OxigraphStore(path)
store.add_documents(first)

def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

if point == "mid-bulk-load":
    real = store._store

    class HalfLoaded:
        def __getattr__(self, name):
            return getattr(real, name)

        def bulk_load(self, data, **options):
            cut = data.rindex(b"\n", 0, len(data) // 2) + 1  # half the batch, whole lines
            real.bulk_load(data[:cut], **options)
            die()

    store._store = HalfLoaded()
elif point == "mid-seal":
    real = store._store

    class HalfSealed:
        loads = 0

        def __getattr__(self, name):
            return getattr(real, name)

        def bulk_load(self, data, **options):
            HalfSealed.loads += 1
            if HalfSealed.loads == 1:  # the bodies, whole
                return real.bulk_load(data, **options)
            cut = data.rindex(b"\n", 0, len(data) // 2) + 1  # then half the seals
            real.bulk_load(data[:cut], **options)
            die()

    store._store = HalfSealed()
elif point == "after-seal":
    embedded.clear_journal = die
store.add_documents(batch)
"""


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> list[NewDocument]:
    folder = tmp_path_factory.mktemp("journal") / "corpus"
    generate_corpus.generate(folder, 8, seed=5)
    return [extract_document(p.read_bytes(), p.name).new_document() for p in sorted(folder.iterdir())]


def _killed_at(point: str, path: Path, first: list[NewDocument], batch: list[NewDocument]) -> None:
    import pickle

    proc = subprocess.run(
        [sys.executable, "-c", _CHILD], input=pickle.dumps((str(path), point, first, batch)), capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


def _alone(docs: list[NewDocument]) -> frozenset[str]:
    """What a store holding just ``docs`` holds."""
    store = OxigraphStore(None)
    store.add_documents(docs)
    return quads_of(store)


def test_a_bulk_load_killed_halfway_is_undone_when_the_store_opens(documents, tmp_path):
    path = tmp_path / "store"
    first, batch = documents[:3], documents[3:]
    _killed_at("mid-bulk-load", path, first, batch)
    assert journal_path(path).exists()
    raw = ox.Store.read_only(str(path))  # what the kill left, before the store's own opening undoes it
    left = {q.graph_name.value for q in raw.quads_for_pattern(None, None, None, None)}
    del raw
    assert any(doc.graph in left for doc in batch), "the kill came before the bulk load wrote anything"

    assert quads_on_disk(path) == _alone(first)  # opened read-write: the half batch is gone
    assert not journal_path(path).exists()
    store = OxigraphStore(path)
    assert orphan_entity_graphs(store) == []
    store.add_documents(batch)  # the same batch again, now whole
    assert quads_of(store) == _alone(documents)


def test_a_read_only_open_undoes_a_load_cut_short_when_no_writer_holds_the_store(documents, tmp_path):
    path = tmp_path / "store"
    _killed_at("mid-bulk-load", path, documents[:2], documents[2:])
    store = OxigraphStore(path, read_only=True)  # e.g. `policykg query` right after the crash
    assert quads_of(store) == _alone(documents[:2])
    assert not journal_path(path).exists()


def test_a_load_killed_among_the_seals_keeps_the_sealed_documents_whole(documents, tmp_path):
    # Every body is in before the first seal: a document whose seal got in is whole and kept,
    # the others are dropped with the entity graphs only they reached.
    path = tmp_path / "store"
    first, batch = documents[:3], documents[3:]
    seals = b"".join(doc.seal for doc in batch)
    sealed = seals[: seals.rindex(b"\n", 0, len(seals) // 2) + 1].count(b"\n")
    assert 0 < sealed < len(batch)
    _killed_at("mid-seal", path, first, batch)
    assert journal_path(path).exists()
    assert quads_on_disk(path) == _alone(first + batch[:sealed])
    assert not journal_path(path).exists()
    store = OxigraphStore(path)
    assert orphan_entity_graphs(store) == []
    assert [store.graph_sha256(doc.graph) for doc in batch] == [doc.sha256 for doc in batch[:sealed]] + [None] * (
        len(batch) - sealed
    )


def test_a_batch_sealed_before_the_kill_is_kept(documents, tmp_path):
    path = tmp_path / "store"
    _killed_at("after-seal", path, documents[:2], documents[2:])
    assert journal_path(path).exists()  # killed before clearing it
    assert quads_on_disk(path) == _alone(documents)
    assert not journal_path(path).exists()


def test_a_batch_that_does_not_parse_is_refused_whole_and_leaves_the_store_as_it_was(documents, tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.add_documents(documents[:2])
    before = quads_of(store)
    broken = NewDocument(documents[3].graph, documents[3].sha256, documents[3].body + b"<a> <b> oops .\n", b"")
    with pytest.raises(StoreError, match="could not load 3 document"):
        store.add_documents([documents[2], broken, documents[4]])
    assert quads_of(store) == before
    assert orphan_entity_graphs(store) == []
    assert not journal_path(tmp_path / "store").exists()
