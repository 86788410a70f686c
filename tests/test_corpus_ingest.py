"""Corpus ingest: generated work plans, a corrupt file in the middle, workers, archives, resume."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from policykg.graph.ingest import ingest_corpus
from policykg.graph.iris import IriScheme
from policykg.graph.sources import list_sources
from policykg.graph.store import OxigraphStore
from support import generate_corpus
from support.common import run_cli


def _summary(stderr: bytes) -> dict[str, int]:
    m = re.search(rb"(\d+) added, (\d+) replaced, (\d+) unchanged, (\d+) failed", stderr)
    assert m, stderr.decode(errors="replace")[-2000:]
    return dict(zip(["added", "replaced", "unchanged", "failed"], map(int, m.groups()), strict=True))


def _dump(store_path: Path) -> list[str]:
    proc = run_cli("export", "--store", str(store_path), "-f", "nquads", check=True)
    return sorted(proc.stdout.decode("utf-8").splitlines())


@pytest.mark.slow
def test_a_thousand_documents_with_one_corrupt_file_in_the_middle(tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus.generate(corpus, 1000, seed=3, corrupt_at=500)
    store = tmp_path / "store"
    proc = run_cli("ingest", "--store", str(store), "--workers", "2", str(corpus))
    assert proc.returncode == 1
    assert _summary(proc.stderr) == {"added": 999, "replaced": 0, "unchanged": 0, "failed": 1}
    err = proc.stderr.decode("utf-8")
    assert "failed     " + str(corpus / "plan-00500.txt") in err
    assert "document(s) failed:\n  " + str(corpus / "plan-00500.txt") in err
    listed = run_cli("list", "--store", str(store), "--json", check=True).stdout.decode()
    assert listed.count('"iri"') == 999 and "plan-00500" not in listed and "plan-00501" in listed

    # Resumable: everything stored is skipped without extraction; the bad file is reported again.
    started = time.monotonic()
    again = run_cli("ingest", "--store", str(store), "--workers", "2", str(corpus))
    assert again.returncode == 1
    assert _summary(again.stderr) == {"added": 0, "replaced": 0, "unchanged": 999, "failed": 1}
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_two_workers_give_the_same_graphs_as_one(tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus.generate(corpus, 120, seed=11)
    for workers, name in ((1, "one"), (2, "two")):
        proc = run_cli("ingest", "--store", str(tmp_path / name), "--workers", str(workers), "-q", str(corpus))
        assert proc.returncode == 0, proc.stderr.decode()
    assert _dump(tmp_path / "one") == _dump(tmp_path / "two")


@pytest.mark.parametrize("archive", ["zip", "tar.gz"])
def test_archives_give_the_same_graphs_as_folders(tmp_path, archive):
    generate_corpus.generate(tmp_path / "folder", 25, seed=5, corrupt_at=7)
    [path] = generate_corpus.generate(tmp_path / "corpus", 25, seed=5, corrupt_at=7, archive=archive)
    assert len(list_sources([path])) == 25
    a = run_cli("ingest", "--store", str(tmp_path / "a"), "-j", "2", str(tmp_path / "folder"))
    b = run_cli("ingest", "--store", str(tmp_path / "b"), "-j", "2", str(path))
    assert a.returncode == b.returncode == 1
    assert f"{path}:corpus/plan-00007.txt" in b.stderr.decode()
    assert _dump(tmp_path / "a") == _dump(tmp_path / "b")


def test_changed_document_is_replaced_and_remove_deletes_one(tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus.generate(corpus, 6, seed=1)
    store_path = tmp_path / "store"
    run_cli("ingest", "--store", str(store_path), str(corpus), check=True)
    (corpus / "plan-00002.txt").write_bytes(generate_corpus.Generator(99).document(0)[1])
    proc = run_cli("ingest", "--store", str(store_path), str(corpus), check=True)
    assert _summary(proc.stderr) == {"added": 0, "replaced": 1, "unchanged": 5, "failed": 0}
    run_cli("remove", "--store", str(store_path), "plan-00002.txt", check=True)
    run_cli("remove", "--store", str(store_path), "https://w3id.org/policykg/id/doc/plan-00003", check=True)
    run_cli("remove", "--store", str(store_path), "plan-00004", check=True)
    listed = run_cli("list", "--store", str(store_path), "--json", check=True).stdout.decode()
    assert listed.count('"iri"') == 3


def test_library_ingest_reports_progress_in_input_order(tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus.generate(corpus, 30, seed=2, corrupt_at=10)
    seen: list[str] = []
    store = OxigraphStore(tmp_path / "store")
    report = ingest_corpus(
        store, [corpus], IriScheme(), workers=2, progress=lambda o: seen.append(o.source), batch_bytes=20_000
    )  # many small bulk batches
    assert seen == [str(corpus / f"plan-{i:05d}.{'html' if seen[i].endswith('html') else 'txt'}") for i in range(30)]
    assert report.count("added") == 29 and [Path(o.source).name for o in report.failed] == ["plan-00010.txt"]
    assert len(store.documents()) == 29


def test_extraction_goes_on_while_a_batch_is_written_and_added_means_stored(tmp_path, monkeypatch):
    """The first batch's write waits for the extraction of the next document the ingest reads
    after handing that batch on: an ingest that wrote and extracted in turn would wait for ever
    (here: fail after 60 s). Each document is reported only once its batch is in the store."""
    import threading

    import policykg.graph.ingest as ingest

    corpus = tmp_path / "corpus"
    ahead = ingest.IN_FLIGHT_PER_WORKER  # one worker: the first document is stored once this many more are read
    generate_corpus.generate(corpus, ahead + 3, seed=4)
    next_extracted = threading.Event()
    extract = ingest.extract_document

    def extract_and_tell(data, name, iris=None):
        result = extract(data, name, iris)
        if name.startswith(f"plan-{ahead + 1:05d}"):
            next_extracted.set()
        return result

    class SlowStore(OxigraphStore):
        def add_documents(self, docs):
            assert next_extracted.wait(60), "the ingest waited for the write before extracting on"
            super().add_documents(docs)

    monkeypatch.setattr(ingest, "extract_document", extract_and_tell)
    store = SlowStore(tmp_path / "store")
    stored_when_reported: list[bool] = []
    report = ingest_corpus(
        store,
        [corpus],
        IriScheme(),
        workers=1,  # extraction in this process, so the patched function runs
        progress=lambda o: stored_when_reported.append(store.graph_sha256(o.graph or "") is not None),
        batch_bytes=1,  # a batch per document
    )
    assert report.count("added") == ahead + 3
    assert stored_when_reported == [True] * (ahead + 3)
