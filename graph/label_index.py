"""The label index: every name (``rdfs:label``, ``skos:altLabel``) of every browsed node, searched in Python.

Read from the store once and kept as one lowercased string per batch, found with ``str.find``:
a ``CONTAINS`` filter over every label of the union took minutes at 10^5 nodes; the index
answers in milliseconds. It is cached per store, keyed by the store's state
(:func:`policykg.graph.store.cache.store_state`). Read by :mod:`policykg.graph.search`.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from policykg.graph.kinds import CLASS_KINDS, CLASSES, KINDS, kind_rank
from policykg.graph.read import rows
from policykg.graph.sparql_params import iri, iris, one_of, sparql
from policykg.graph.store.cache import StoreStateCache
from policykg.ontology import RDFS, SKOS

# After a write it is updated, not rebuilt: the embedded store tells which named graphs a write
# touched (a document upload: its graph and the ~10-20 entity graphs it names), those are read
# again (~2 ms) and the index that results keeps the old entries, masks the ones no graph states
# any more and appends the new ones (:meth:`LabelIndex.updated`). Reading everything again took
# 0.5-0.7 s at 10^3 documents and made /api/search 40× slower while a writer uploaded. A store
# that cannot tell what a write changed (one behind a SPARQL server) is read whole.

#: What one named graph says about browsed nodes: ((iri, kind) …) and ((iri, text, is alt) …),
#: each sorted. Key "" is the store's own default graph (written only by SPARQL updates).
GraphFacts = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, bool], ...]]

_SEP = "\x00"  # between two entries of the search text; no label holds it


def _kinds_of(node: str, kind_refs: dict[tuple[str, str], int]) -> tuple[str, ...]:
    return tuple(k.name for k in KINDS if kind_refs.get((node, k.name)))


def _recount(refs: dict[Any, int], old: Iterable[Any], new: Iterable[Any]) -> None:
    """How many graphs state each item, once a graph that stated ``old`` states ``new``."""
    for item in old:
        refs[item] -= 1
        if not refs[item]:
            del refs[item]
    for item in new:
        refs[item] = refs.get(item, 0) + 1


class _Blob:
    """Entries ``first …`` as one lowercased string, to find a substring with ``str.find``."""

    def __init__(self, texts: Sequence[str], first: int = 0) -> None:
        lowered = [t.lower().replace(_SEP, " ") for t in texts]
        self.first = first
        self.text = _SEP.join(lowered) + _SEP
        self.starts: list[int] = list(itertools.accumulate((len(t) + 1 for t in lowered), initial=0))[:-1]

    def matching(self, needle: str) -> Iterator[int]:
        text, starts = self.text, self.starts
        i = text.find(needle)
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            yield self.first + k
            # jump to the next entry: one entry is reported once however often it matches
            i = text.find(needle, starts[k + 1] if k + 1 < len(starts) else len(text))


class LabelIndex:
    """Names of nodes, for substring search (parallel lists: small in memory).

    Entry ``k``: node ``iris[k]`` is called ``texts[k]``; ``alt[k]`` tells a short name
    (skos:altLabel) from a label. ``node_kinds`` maps each node of a browsed class to its kinds
    (class local names, in the order of :data:`~policykg.graph.kinds.KINDS`): searches skip entries of other nodes.
    ``labels`` maps a node to its smallest rdfs:label. Built from what each graph says
    (``facts``, see :func:`graph_facts`); a name or a kind stated in several graphs counts once.
    Never changed once built: searches read it without a lock while a newer one is made.
    """

    def __init__(self, facts: dict[str, GraphFacts]) -> None:
        # Graphs by IRI and their sorted entries: the order depends on the facts only, never on
        # the order of the writes that led there.
        self.facts = {g: f for g, f in facts.items() if f[0] or f[1]}
        order = sorted(self.facts)
        self._kind_refs: dict[tuple[str, str], int] = Counter(p for g in order for p in self.facts[g][0])
        self._name_refs: dict[tuple[str, str, bool], int] = Counter(n for g in order for n in self.facts[g][1])
        kinds: dict[str, list[str]] = {}
        for node, kind in self._kind_refs:
            kinds.setdefault(node, []).append(kind)
        interned: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.node_kinds: dict[str, tuple[str, ...]] = {}
        for node, ks in kinds.items():
            ordered = tuple(sorted(ks, key=kind_rank))
            self.node_kinds[node] = interned.setdefault(ordered, ordered)
        entries = list(self._name_refs)
        self.iris: list[str] = [e[0] for e in entries]
        self.texts: list[str] = [e[1] for e in entries]
        self.alt: list[bool] = [e[2] for e in entries]
        self._where: dict[tuple[str, str, bool], int] = {e: k for k, e in enumerate(entries)}
        self._by_iri: dict[str, Sequence[tuple[str, str, bool]]] = {}
        self.labels: dict[str, str] = {}
        for e in entries:
            node, text, alt = e
            self._by_iri.setdefault(node, []).append(e)  # type: ignore[attr-defined]
            if not alt and (node not in self.labels or text < self.labels[node]):
                self.labels[node] = text
        self._dead: frozenset[int] = frozenset()
        self._blobs = [_Blob(self.texts)]

    @staticmethod
    def _set_label(labels: dict[str, str], node: str, names: Iterable[tuple[str, str, bool]]) -> None:
        texts = [text for _, text, alt in names if not alt]
        if texts:
            labels[node] = min(texts)
        else:
            labels.pop(node, None)

    def __len__(self) -> int:
        return len(self.texts) - len(self._dead)

    def matching(self, text: str) -> Iterator[int]:
        """Entries whose text contains ``text`` (case-insensitive), in index order."""
        needle = text.lower()
        if not needle or _SEP in needle:
            return
        dead = self._dead
        for blob in self._blobs:
            for k in blob.matching(needle):
                if k not in dead:
                    yield k

    def exact(self, text: str) -> list[int]:
        return [k for k in self.matching(text) if self.texts[k].lower() == text.lower()]

    def updated(self, changed: dict[str, GraphFacts]) -> LabelIndex:
        """The index once the graphs of ``changed`` say what ``changed`` says (the others as
        before): a new index sharing what did not change; entries no graph states any more are
        masked, new ones appended in one small extra blob. When masked and appended entries
        outnumber an eighth of the first blob, the index is put together anew."""
        facts = {**self.facts, **changed}
        kind_refs, name_refs = dict(self._kind_refs), dict(self._name_refs)
        iris_touched: set[str] = set()
        names_touched: set[tuple[str, str, bool]] = set()
        for g, (kinds, names) in changed.items():
            old_kinds, old_names = self.facts.get(g, ((), ()))
            _recount(kind_refs, old_kinds, kinds)
            _recount(name_refs, old_names, names)
            names_touched.update(old_names, names)
            iris_touched.update(i for i, _ in old_kinds)
            iris_touched.update(i for i, _ in kinds)
        where = dict(self._where)
        dead = set(self._dead)
        born: list[tuple[str, str, bool]] = []
        for e in sorted(names_touched):
            if e in name_refs and e not in where:
                where[e] = len(self.texts) + len(born)
                born.append(e)
            elif e not in name_refs and e in where:
                dead.add(where.pop(e))
        extra = len(self.texts) + len(born) - len(self._blobs[0].starts)
        if len(dead) + extra > max(256, len(self._blobs[0].starts) // 8):
            return LabelIndex(facts)
        new = object.__new__(LabelIndex)
        new.facts = {g: f for g, f in facts.items() if f[0] or f[1]}
        new._kind_refs, new._name_refs, new._where, new._dead = kind_refs, name_refs, where, frozenset(dead)
        new.node_kinds = dict(self.node_kinds)
        for node in iris_touched:
            node_kinds = _kinds_of(node, kind_refs)
            if node_kinds:
                new.node_kinds[node] = node_kinds
            else:
                new.node_kinds.pop(node, None)
        new.iris = self.iris + [e[0] for e in born]
        new.texts = self.texts + [e[1] for e in born]
        new.alt = self.alt + [e[2] for e in born]
        new._by_iri, new.labels = dict(self._by_iri), dict(self.labels)
        for node in {e[0] for e in names_touched}:
            names = tuple(e for e in new._by_iri.get(node, ()) if e in name_refs)
            names += tuple(e for e in born if e[0] == node)  # a new tuple: the old index's stays as it was
            if names:
                new._by_iri[node] = names
            else:
                new._by_iri.pop(node, None)
            self._set_label(new.labels, node, names)
        first = len(self._blobs[0].starts)
        new._blobs = [self._blobs[0], _Blob(new.texts[first:], first)] if len(new.texts) > first else [self._blobs[0]]
        return new


#: The names of a node, and whether each is a short name.
_NAME_PROPERTIES = ((RDFS + "label", False), (SKOS + "altLabel", True))


def build_label_index(store: Any) -> LabelIndex:
    """Read the nodes of each browsed class, and every label and short name, in a few index
    range scans (no join across the store: the join is done in Python). The embedded store is
    read graph by graph (:func:`graph_facts`), so that a write can be followed graph by graph."""
    if hasattr(store, "changed_graphs"):
        return LabelIndex(graph_facts(store, None))
    kinds: set[tuple[str, str]] = set()
    for kind, cls in CLASSES.items():
        kinds.update(
            (r[0].value, kind)
            for r in rows(store, sparql("SELECT ?x WHERE { ?x a $cls FILTER(isIRI(?x)) }", cls=iri(cls)))
        )
    typed = {node for node, _ in kinds}
    names: set[tuple[str, str, bool]] = set()
    for prop, alt in _NAME_PROPERTIES:
        names.update(
            (r[0].value, r[1].value, alt)
            for r in rows(store, sparql("SELECT ?x ?m WHERE { ?x $prop ?m }", prop=iri(prop)))
            if r[0].value in typed
        )
    return LabelIndex({"": (tuple(sorted(kinds)), tuple(sorted(names)))})


def graph_facts(store: Any, graphs: Iterable[str] | None) -> dict[str, GraphFacts]:
    """What the named graphs ``graphs`` say about nodes of the browsed classes, by graph (a graph
    that says nothing, or is gone, maps to empty facts). ``None``: every graph, and the store's
    own default graph as "" (read with its ``query_default_graph``)."""
    wanted = None if graphs is None else sorted(set(graphs))
    if wanted == []:
        return {}
    kinds: dict[str, set[tuple[str, str]]] = {}
    names: dict[str, set[tuple[str, str, bool]]] = {}
    classes = one_of(CLASSES.values())
    if wanted is not None:
        # A few graphs after a write: one query, so one snapshot, and quick (~2 ms for a document
        # and the entity graphs it names).
        for r in rows(
            store,
            sparql(
                """SELECT ?g ?x ?c ?m ?alt WHERE {
  VALUES ?g { $graphs }
  GRAPH ?g { { ?x a ?c FILTER(isIRI(?x) && ?c IN ($classes)) }
    UNION { ?x rdfs:label ?m BIND(false AS ?alt) } UNION { ?x skos:altLabel ?m BIND(true AS ?alt) } } }""",
                graphs=iris(wanted),
                classes=classes,
            ),
        ):
            if r["c"] is not None:
                kinds.setdefault(r["g"].value, set()).add((r["x"].value, CLASS_KINDS[r["c"].value]))
            else:
                names.setdefault(r["g"].value, set()).add((r["x"].value, r["m"].value, r["alt"].value == "true"))
    for kind, cls in CLASSES.items() if wanted is None else ():
        for r in rows(store, sparql("SELECT ?g ?x WHERE { GRAPH ?g { ?x a $cls } FILTER(isIRI(?x)) }", cls=iri(cls))):
            kinds.setdefault(r[0].value, set()).add((r[1].value, kind))
    for prop, alt in _NAME_PROPERTIES if wanted is None else ():
        for r in rows(store, sparql("SELECT ?g ?x ?m WHERE { GRAPH ?g { ?x $prop ?m } }", prop=iri(prop))):
            names.setdefault(r[0].value, set()).add((r[1].value, r[2].value, alt))
    if wanted is None:
        in_default = sparql("SELECT ?x ?c WHERE { ?x a ?c FILTER(isIRI(?x) && ?c IN ($classes)) }", classes=classes)
        for r in store.query_default_graph(in_default.text):
            kinds.setdefault("", set()).add((r[0].value, CLASS_KINDS[r[1].value]))
        for r in store.query_default_graph(
            "SELECT ?x ?m ?p WHERE { ?x ?p ?m FILTER(?p IN (rdfs:label, skos:altLabel)) }"
        ):
            names.setdefault("", set()).add((r[0].value, r[1].value, r[2].value == SKOS + "altLabel"))
    return {
        g: (tuple(sorted(kinds.get(g, ()))), tuple(sorted(names.get(g, ()))))
        for g in set(kinds) | set(names) | set(wanted or ())
    }


# Built, and its changes read, in one consistent view of the store: never the kinds of one
# version of a document beside the labels of another. The changes are put in after that view
# (LabelIndex.updated), so a write is less likely to come during the read and make it start over.
LABEL_INDEXES: StoreStateCache[LabelIndex] = StoreStateCache(
    lambda store: build_label_index(store),
    update=(lambda store, graphs: graph_facts(store, graphs), lambda old, changes: old.updated(changes)),
    consistent=True,
)


def label_index(store: Any) -> LabelIndex:
    """The (cached) label index of ``store``."""
    return LABEL_INDEXES.get(store)
