"""Values derived from a store (a label index, a networkx projection), kept until it changes.

A derived value is keyed by the store object and its state (:func:`store_state`); a write
changes the state, so the next reader rebuilds — or, given an ``update``, re-reads only the
named graphs written since (:meth:`~policykg.graph.store.embedded.OxigraphStore.changed_graphs`).
Concurrent readers of a stale value wait for one build instead of each building. With
``consistent``, a build is one consistent view of the store (no write half-seen), and the value
is keyed by the state it was read at.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from policykg.graph.store.protocol import read_consistently

T = TypeVar("T")

INDEX_TTL_S = 60.0

_FINGERPRINT = """SELECT (COUNT(?l) AS ?a) (COUNT(?m) AS ?b) (COUNT(?d) AS ?c) WHERE {
  { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l }
  UNION { ?x <http://www.w3.org/2004/02/skos/core#altLabel> ?m }
  UNION { ?d a <https://w3id.org/policykg/ontology#PolicyDocument> } }"""


def store_state(store) -> tuple:
    """A key that changes whenever the store's content may have changed.

    An :class:`~policykg.graph.store.embedded.OxigraphStore` counts its own writes (``generation``); it
    is the only writer of its folder (RocksDB's lock), so that counter is exact. Other stores
    get the number of label, altLabel and document triples (one small aggregate) plus a time
    bucket of :data:`INDEX_TTL_S` seconds, so edits made elsewhere show within a minute.
    """
    gen = getattr(store, "generation", None)
    if isinstance(gen, int):
        return ("gen", gen)
    rows = list(store.query(_FINGERPRINT))
    r = rows[0] if rows else None
    counts = tuple(int(r[k].value) if r is not None and r[k] is not None else None for k in ("a", "b", "c"))
    return ("fingerprint", counts, int(time.monotonic() // INDEX_TTL_S))


class StoreStateCache(Generic[T]):
    """One ``build(store)`` result per store and store state.

    ``update = (read, apply)``: after writes to the named graphs ``graphs``, ``read(store, graphs)``
    reads what changed and ``apply(old, changes)`` makes the new value from the value ``old`` of
    an earlier state, without changing ``old`` in a way its readers notice. ``consistent``: builds
    and reads run inside :func:`~policykg.graph.store.protocol.read_consistently` (for reads short enough to
    retry); ``apply`` runs after, so that a write is less likely to interrupt the read.
    """

    def __init__(
        self,
        build: Callable[[Any], T],
        *,
        update: tuple[Callable[[Any, set[str]], Any], Callable[[T, Any], T]] | None = None,
        consistent: bool = False,
    ) -> None:
        self._build = build
        self._update = update
        self._consistent = consistent
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[Any, tuple, T]] = {}
        self._building: dict[int, threading.Lock] = {}

    def _hit(self, key: int, store, state: tuple) -> T | None:
        hit = self._entries.get(key)
        if hit is None or hit[0]() is not store:
            return None
        if hit[1] == state:
            return hit[2]
        if state[0] == "gen" and state[1] % 2 and hit[1] == ("gen", state[1] - 1):
            # A write is under way: not acknowledged yet, so the value from just before it is
            # still current for whoever asks now (they need not wait for the write to end).
            return hit[2]
        return None

    def _make(self, store, old: tuple[tuple, T] | None) -> tuple[tuple, T]:
        """(the state read at, the value): from ``old`` plus the graphs changed since, or built anew."""

        def read() -> tuple[tuple, bool, Any]:
            state = store_state(store)
            changed_graphs = getattr(store, "changed_graphs", None)
            if old is not None and self._update is not None and changed_graphs is not None and old[0][0] == "gen":
                changed = changed_graphs(old[0][1])
                if changed is not None:
                    return state, True, self._update[0](store, changed) if changed else None
            return state, False, self._build(store)

        state, is_change, got = read_consistently(store, read) if self._consistent else read()
        if not is_change:
            return state, got
        assert old is not None and self._update is not None
        return state, old[1] if got is None else self._update[1](old[1], got)

    def get(self, store) -> T:
        key = id(store)
        state = store_state(store)
        with self._lock:
            hit = self._hit(key, store, state)
            if hit is not None:
                return hit
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:
            with self._lock:
                state = store_state(store)
                hit = self._hit(key, store, state)
                if hit is not None:
                    return hit
                entry = self._entries.get(key)
                old = (entry[1], entry[2]) if entry is not None and entry[0]() is store else None
            try:
                state, value = self._make(store, old)
            except BaseException:
                with self._lock:  # an update may have left the old value's bookkeeping half-changed
                    self._entries.pop(key, None)
                raise
            try:
                ref = weakref.ref(store)
            except TypeError:  # a store that cannot be weakly referenced is not cached
                return value
            with self._lock:
                self._entries[key] = (ref, state, value)
                for k in [k for k, v in self._entries.items() if v[0]() is None]:
                    self._entries.pop(k, None)
                    self._building.pop(k, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
