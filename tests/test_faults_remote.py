"""The remote store goes away mid-ingest: a real `oxigraph serve` on 127.0.0.1 is SIGKILLed
while `policykg ingest` writes to it, then restarted on the same data folder.

The ingest must stop with one clear error naming the server's URL (no traceback, exit 1, no
document blamed), the restarted server must hold whole documents only (or, for documents
being replaced, the whole old or the whole new version), and the same command run again
must complete the corpus: the server then equals a clean ingest, quad for quad.
"""

from __future__ import annotations

import random
import re

import pytest

from policykg.graph.ingest import ingest_corpus
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore
from support.common import quads_of, run_cli
from support.ingest_faults import Corpus, check_whole, ingest_and_kill, make_corpus, summary
from support.servers import OxigraphServer

pytestmark = pytest.mark.remote


@pytest.fixture()
def server(tmp_path):
    server = OxigraphServer(tmp_path / "oxigraph-data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def remote_corpus(tmp_path_factory) -> Corpus:
    return make_corpus(tmp_path_factory.mktemp("faults-remote") / "corpus", 30, seed=33)


def _stopped_clearly(stderr: str, port_url: str) -> None:
    assert "Error: ingest stopped: cannot reach the SPARQL server at " + port_url in stderr, stderr[-2000:]
    assert "run the same command again" in stderr
    assert "Traceback" not in stderr
    assert not re.search(r"^failed ", stderr, re.M), "documents blamed for the server's absence"


def test_server_killed_mid_ingest_stops_it_clearly_and_a_rerun_completes(server, remote_corpus):
    """New documents go up in bulk POSTs of ~3 documents; the server dies after a few."""
    rng = random.Random(11)
    base = server.base
    run = ingest_and_kill(
        server.url,
        remote_corpus.folder,
        workers=1,
        after=rng.randint(3, 12),
        delay=0.0,  # at once: a fast ingest stores the rest of 30 small documents within 0.2 s
        batch_bytes=1_000_000,
        kill=server.kill,
    )
    assert run.returncode == 1, run.stderr[-2000:]
    _stopped_clearly(run.stderr, base)

    server.start()
    stored = check_whole(server.store(), remote_corpus)
    assert run.reported <= stored, f"reported as stored, then lost: {sorted(run.reported - stored)}"
    # Mid-ingest as a rule, but the kill may still land after the last batch (then what fails is
    # the ingest's closing count): stored documents are whole either way, and the rerun completes.
    assert 0 < len(stored) <= len(remote_corpus.own)

    again = run_cli("ingest", "--store", server.url, "-j", "1", str(remote_corpus.folder))
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert summary(again.stderr.decode())["unchanged"] == len(stored)
    assert quads_of(server.store()) == remote_corpus.clean


@pytest.mark.slow
def test_server_killed_while_documents_are_replaced_leaves_each_old_or_new_whole(server, tmp_path):
    """Every document changes (a new edition), so each is one replace request; the server dies
    after a few. None may be lost or mixed: the Oxigraph server runs a GSP PUT as a clear and
    then a load, which is why a replace is one SPARQL Update."""
    rng = random.Random(12)
    old = make_corpus(tmp_path / "2019", 16, seed=41)
    new = make_corpus(tmp_path / "2020", 16, seed=42)
    assert old.own.keys() == new.own.keys()
    ingest_corpus(server.store(), [old.folder], IriScheme(), workers=1)

    base = server.base
    run = ingest_and_kill(
        server.url, new.folder, workers=1, after=rng.randint(2, 8), delay=rng.uniform(0.0, 0.2), kill=server.kill
    )
    assert run.returncode == 1, run.stderr[-2000:]
    _stopped_clearly(run.stderr, base)

    server.start()
    store = server.store()
    everything = quads_of(store)
    docs = {d.iri for d in store.documents()}
    assert docs == old.own.keys(), "a document was lost while it was replaced"
    versions = {}
    for g in docs:
        own = {line for line in everything if line.endswith(f"<{g}> .")}
        versions[g] = "new" if own == new.own[g] else "old" if own == old.own[g] else "mixed"
        if versions[g] == "new":
            assert new.shared[g] <= everything, f"{g} is new but what it says about its entities is missing"
    assert "mixed" not in versions.values(), versions
    assert run.reported <= {g for g, v in versions.items() if v == "new"}
    assert "new" in versions.values() and "old" in versions.values(), versions  # the kill came mid-corpus

    again = run_cli("ingest", "--store", server.url, "-j", "1", str(new.folder))
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    clean = OxigraphStore(None)  # the same two editions, ingested one after the other without a fault
    ingest_corpus(clean, [old.folder], IriScheme(), workers=1)
    ingest_corpus(clean, [new.folder], IriScheme(), workers=1)
    assert quads_of(store) == quads_of(clean)
