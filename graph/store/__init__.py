"""The store: one typed interface (:class:`GraphStore`), two implementations.

By job:

* :mod:`.protocol` — what every store offers and answers with (``GraphStore``,
  ``DocumentSummary``, ``LoadResult``, the RDF formats) and :func:`read_consistently`;
* :mod:`.embedded` — ``OxigraphStore``, an Oxigraph database in a folder (the default): its
  writes counted, consistent reads across queries, clear errors for a failing disk;
* :mod:`.remote` — ``RemoteStore``, any SPARQL 1.1 Query + Update + Graph Store Protocol server;
* :mod:`.updates` — the SPARQL Updates both run to replace or remove a document;
* :mod:`.disk` — the store folder's troubles (full disk, read-only, locked) in words;
* :mod:`.journal` — the embedded store's record of a bulk load under way, undone if cut short;
* :mod:`.backends` — :func:`open_store`: which of the two a location names;
* :mod:`.cache` — values derived from a store, kept until it changes.

The names below are those callers use; the remote store is imported from :mod:`.remote` (it
brings httpx, which a run on an embedded store does without).
"""

from policykg.graph.store.backends import open_store
from policykg.graph.store.disk import io_error, lock_holder
from policykg.graph.store.embedded import CHANGE_LOG, REOPEN_FREE_BYTES, OxigraphStore
from policykg.graph.store.protocol import (
    DATASET_FORMATS,
    RDF_FORMATS,
    DocumentSummary,
    GraphStore,
    LoadResult,
    NewDocument,
    read_consistently,
)
from policykg.graph.store.updates import (
    drop_update,
    orphan_entity_graphs,
    removal_graphs,
    removal_update,
    replace_update,
)

__all__ = [
    "CHANGE_LOG",
    "DATASET_FORMATS",
    "RDF_FORMATS",
    "REOPEN_FREE_BYTES",
    "DocumentSummary",
    "GraphStore",
    "LoadResult",
    "NewDocument",
    "OxigraphStore",
    "drop_update",
    "io_error",
    "lock_holder",
    "open_store",
    "orphan_entity_graphs",
    "read_consistently",
    "removal_graphs",
    "removal_update",
    "replace_update",
]
