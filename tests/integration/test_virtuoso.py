"""The store contract against Virtuoso Open Source: run by ``bash scripts/virtuoso-test.sh``.

The script installs and starts a throw-away Virtuoso on 127.0.0.1 and sets
``POLICYKG_VIRTUOSO_URL`` (its ``/sparql`` endpoint); without it these tests are skipped.
Virtuoso's default graph is already the union of all graphs (``remote_union=server``,
derived from the ``/sparql`` URL), its Graph Store Protocol endpoint is
``/sparql-graph-crud``.
"""

from __future__ import annotations

import os

import pytest

from policykg.graph.store import open_store
from policykg.graph.store.remote import RemoteStore
from policykg.settings import load_settings
from support.store_contract import StoreContract

URL = os.environ.get("POLICYKG_VIRTUOSO_URL")

pytestmark = [
    pytest.mark.remote,
    pytest.mark.skipif(not URL, reason="POLICYKG_VIRTUOSO_URL is not set: run bash scripts/virtuoso-test.sh"),
]


def _drop_policykg_graphs(store: RemoteStore) -> None:
    # Virtuoso keeps its own system graphs: drop only ours (DROP ALL is not for Virtuoso).
    for g in store.graphs():
        if g.startswith("https://w3id.org/policykg/"):
            store.update(f"DROP SILENT GRAPH <{g}>")


class TestVirtuoso(StoreContract):
    @pytest.fixture()
    def store(self):
        store = open_store(URL, settings=load_settings(environ={}))
        assert isinstance(store, RemoteStore)
        _drop_policykg_graphs(store)
        yield store
        _drop_policykg_graphs(store)
        store.close()
