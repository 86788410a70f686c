"""Finding nodes by name: label search (the search box, ``/api/search``) and resolving the name
a person gives (``policykg trace 三名工程``) to one node.

Both read the names of :mod:`policykg.graph.label_index`; an exact name is first looked up
in the store's object index.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError, PolicyKGError, QueryError
from policykg.graph.kinds import CLASSES, WORDS, browsed_kind, kind_rank
from policykg.graph.label_index import LabelIndex, label_index
from policykg.graph.read import Ref, rows, text
from policykg.graph.sparql_params import iri, iris, literal, one_of, shown, sparql


@dataclass(frozen=True)
class LabelHit:
    iri: str
    label: str
    kind: str | None
    matched: str  # the label or short name that matched
    exact: bool


def search_labels(store: Any, text: str, kinds: Sequence[str] | None = None, limit: int = 20) -> list[LabelHit]:
    """Nodes whose Chinese name or short name (rdfs:label, skos:altLabel) contains ``text``.

    ``kinds`` are class local names (``Program``, ``AdministrativeDivision`` …). Exact matches
    come first, then names that start with ``text``, then the others; within each, shorter
    names first, then by kind, label and IRI. Reads the cached :func:`label_index`.
    """
    text = (text or "").strip()
    if not text:
        return []
    classes = [k for k in (kinds or []) if k in CLASSES]
    if kinds and not classes:
        raise QueryError(f"unknown kinds {[shown(k) for k in kinds]}; use {', '.join(CLASSES)}")
    wanted = set(classes) if classes else None
    index = label_index(store)
    low = text.lower()
    texts, nodes, node_kinds = index.texts, index.iris, index.node_kinds
    best: dict[str, tuple[int, int, str, int]] = {}  # node -> (exact/prefix/contains, length, text, entry)
    for k in index.matching(text):
        node = nodes[k]
        ks = node_kinds.get(node)
        if not ks or (wanted is not None and not any(x in wanted for x in ks)):
            continue
        ml = texts[k].lower()
        # the text breaks ties, not the entry's place: the same hits whatever order writes came in
        rank = (0 if ml == low else 1 if ml.startswith(low) else 2, len(ml), texts[k], k)
        old = best.get(node)
        if old is None or rank < old:
            best[node] = rank

    def kind(node: str) -> str | None:
        ks = [x for x in node_kinds.get(node, ()) if wanted is None or x in wanted]
        return ks[0] if ks else None

    def label(node: str, k: int) -> str:
        return index.labels.get(node) or texts[k]

    top = heapq.nsmallest(
        max(0, int(limit)),
        best.items(),
        key=lambda item: (item[1][0], item[1][1], kind_rank(kind(item[0])), label(item[0], item[1][3]), item[0]),
    )
    return [LabelHit(node, label(node, k), kind(node), texts[k], r == 0) for node, (r, _n, _t, k) in top]


# -- resolving a name -------------------------------------------------------------------------


#: Which kind a name means when several nodes carry it: named things before parts of documents.
RESOLVE_ORDER = (
    "Program",
    "AdministrativeDivision",
    "Indicator",
    "Organization",
    "Regulation",
    "PolicyDocument",
    "Section",
    "Task",
    "Target",
)
_PROGRAM_SUFFIXES = ("计划", "工程", "项目", "行动", "活动")
Hit = tuple[str, str, str | None]  # (iri, kind, label)


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip().lower()
    return re.sub(r"[\s“”\"'‘’「」《》]", "", name)


def _typed(store: Any, node: str) -> Ref | None:
    found = rows(store, sparql("SELECT ?c ?l WHERE { $node a ?c . OPTIONAL { $node rdfs:label ?l } }", node=iri(node)))
    kind = browsed_kind(r["c"].value for r in found)
    if kind is None:
        return None
    return Ref(node, next((r["l"].value for r in found if r["l"] is not None), None), kind)


def resolve(store: Any, name: str, kinds: Iterable[str] | None = None) -> Ref:
    """A node named by IRI, rdfs:label or skos:altLabel (exact, then normalised, then unique substring).

    ``kinds`` (class local names) limits what the name may mean. When only part of a name is
    given, a unique match wins; among several, the name plus a program word (全面改薄 →
    全面改薄计划) or the umbrella all the others are ``pkg:partOf`` wins.
    """
    name = name.strip()
    if not name:
        raise PolicyKGError("give a name or an IRI")
    chosen = set(kinds or RESOLVE_ORDER)
    wanted = [k for k in RESOLVE_ORDER if k in chosen]
    # Something that looks like an IRI is looked up as one first; but a name may look like an
    # IRI too ("javascript:alert(1)行动" is a program's label in the hostile-input tests), so
    # an IRI that names nothing is then tried as an exact name.
    looks_like_iri = bool(re.match(r"^[a-z][a-z0-9+.-]*:", name, re.I)) and not any(c in name for c in ' <>"')
    if looks_like_iri:
        try:
            found = _typed(store, name)
        except QueryError:  # not a valid IRI after all
            found = None
        if found is not None and found.kind in wanted:
            return found
    # An exact name is one lookup in the store's object index (no label index to build) …
    exact_rows = rows(
        store,
        sparql(
            """
        SELECT DISTINCT ?s ?c ?l WHERE {
          { ?s rdfs:label $name } UNION { ?s skos:altLabel $name }
          ?s a ?c . FILTER(?c IN ($classes)) OPTIONAL { ?s rdfs:label ?l } }""",
            name=literal(name),
            classes=one_of(CLASSES[k] for k in wanted),
        ),
    )
    hits = _rank_hits([(r["s"].value, browsed_kind([r["c"].value]) or "", text(r["l"])) for r in exact_rows], wanted)
    if not hits and looks_like_iri:
        raise NotFoundError(f"no {' or '.join(WORDS[k] for k in wanted)} with IRI {shown(name)}")
    if not hits:
        hits = _by_names(store, name, wanted)
    if not hits:
        raise NotFoundError(
            f"nothing named {shown(name)!r} in the store", hint="check the spelling, or list names with: policykg rank"
        )
    node, kind, label = hits[0]
    return Ref(node, label, kind)


def _by_names(store: Any, name: str, wanted: list[str]) -> list[Hit]:
    """Normalised and substring matches (quote marks, spaces, width, case ignored), read from the
    cached label index (a CONTAINS filter over every label of the union took seconds at 10^5 nodes)."""
    index = label_index(store)
    needle = _norm(name)
    exact: list[Hit] = []
    partial: list[Hit] = []
    for k in index.matching(name.lower()[:2] or name):
        x = _norm(index.texts[k])
        if x == needle:
            exact.extend(_index_hits(index, k, wanted))
        elif needle in x:
            partial.extend(_index_hits(index, k, wanted))
    hits = _rank_hits(exact, wanted)
    if hits:
        return hits
    partial = _rank_hits(partial, wanted)
    if len(partial) > 1:
        partial = _umbrella(store, partial, needle) or partial
    if len(partial) > 1:
        names = ", ".join(f"{lbl or node}" for node, _k, lbl in partial[:8])
        raise NotFoundError(
            f"{shown(name)!r} is ambiguous: {names}" + (" …" if len(partial) > 8 else ""),
            hint="give the full name or the IRI",
        )
    return partial


def _index_hits(index: LabelIndex, k: int, wanted: list[str]) -> list[Hit]:
    """(iri, kind, label) of label-index entry ``k``, once per wanted kind the node has."""
    node = index.iris[k]
    return [(node, kind, index.labels.get(node)) for kind in index.node_kinds.get(node, ()) if kind in wanted]


def _umbrella(store: Any, hits: list[Hit], needle: str) -> list[Hit]:
    """Of several partial matches, the one that is clearly meant: the name plus a program
    word (全面改薄 -> 全面改薄计划), or the umbrella every other match is part of."""
    suffixed = [h for h in hits if h[2] and _norm(h[2]) in {needle + s for s in _PROGRAM_SUFFIXES}]
    if len(suffixed) == 1:
        return suffixed
    nodes = [h[0] for h in hits]
    # pkg:partOf+ among the hits, as a closure in Python over one-step queries (a property
    # path with both ends open reads the whole union)
    parents: dict[str, set[str]] = {}
    asked: set[str] = set()
    frontier = set(nodes)
    while frontier and len(asked) < 5000:
        asked |= frontier
        for r in rows(
            store,
            sparql(
                "SELECT DISTINCT ?a ?b WHERE { VALUES ?a { $nodes } ?a pkg:partOf ?b }", nodes=iris(sorted(frontier))
            ),
        ):
            parents.setdefault(r["a"].value, set()).add(r["b"].value)
        frontier = {b for a in frontier for b in parents.get(a, ())} - asked
    below: dict[str, set[str]] = {}
    for a in nodes:
        seen: set[str] = set()
        todo = list(parents.get(a, ()))
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(parents.get(b, ()))
        for b in seen:
            below.setdefault(b, set()).add(a)
    for h in hits:
        if _norm(h[2] or "").startswith(needle) and below.get(h[0], set()) >= set(nodes) - {h[0]}:
            return [h]
    return []


def _rank_hits(hits: list[Hit], wanted: list[str]) -> list[Hit]:
    seen: dict[str, Hit] = {}
    for h in hits:
        seen.setdefault(h[0], h)
    return sorted(seen.values(), key=lambda h: (wanted.index(h[1]) if h[1] in wanted else 99, h[0]))
