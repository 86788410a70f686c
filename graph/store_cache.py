"""Values derived from a store (a label index, a networkx projection), kept until it changes.

A derived value is keyed by the store object and its state (:func:`store_state`); a write
changes the state, so the next reader rebuilds. Concurrent readers of a stale value wait for
one build instead of each building.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")

INDEX_TTL_S = 60.0

_FINGERPRINT = """SELECT (COUNT(?l) AS ?a) (COUNT(?m) AS ?b) (COUNT(?d) AS ?c) WHERE {
  { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l }
  UNION { ?x <http://www.w3.org/2004/02/skos/core#altLabel> ?m }
  UNION { ?d a <https://w3id.org/policykg/ontology#PolicyDocument> } }"""


def store_state(store) -> tuple:
    """A key that changes whenever the store's content may have changed.

    An :class:`~policykg.graph.store.OxigraphStore` counts its own writes (``generation``); it
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
    """One ``build(store)`` result per store and store state."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[Any, tuple, T]] = {}
        self._building: dict[int, threading.Lock] = {}

    def _hit(self, key: int, store, state: tuple) -> T | None:
        hit = self._entries.get(key)
        if hit is not None and hit[0]() is store and hit[1] == state:
            return hit[2]
        return None

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
                hit = self._hit(key, store, state)
                if hit is not None:
                    return hit
            value = self._build(store)
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
