"""What every read of the typed API shares: running a bound query, taking plain values out of
its rows, one state of the store across several queries, and the small types replies are made of.

Replies are dataclasses of plain values (``str``, ``int``, ``float``, lists), never RDF terms,
so callers need not know SPARQL.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import pyoxigraph as ox

from policykg.graph.kinds import kind_of
from policykg.graph.sparql_params import Sparql, iri, sparql
from policykg.graph.store import read_consistently

T = TypeVar("T")


def rows(store: Any, query: Sparql) -> list[Any]:
    """The solutions of a SELECT, all taken at once (pyoxigraph results must not outlive their thread)."""
    return list(store.query(query.text))


def ask(store: Any, query: Sparql) -> bool:
    return bool(store.query(query.text))


def triples(store: Any, query: Sparql) -> list[ox.Triple]:
    """The triples of a CONSTRUCT."""
    return list(store.query(query.text))


def text(term: Any) -> str | None:
    """A term's value (a literal's lexical form, an IRI), or None when unbound."""
    return None if term is None else term.value


def integer(term: Any) -> int | None:
    try:
        return None if term is None else int(term.value)
    except ValueError:
        return None


def decimal(term: Any) -> float | None:
    try:
        return None if term is None else float(Decimal(term.value))
    except (InvalidOperation, ValueError):
        return None


def consistent(read: Callable[..., T]) -> Callable[..., T]:
    """For a read composed of several queries: all of them see one state of the store.

    One query is one snapshot, but a write between two queries would give a reply that mixes
    two versions of a document (its task from one, the task's targets from the other). On the
    embedded store the whole read is retried when a write came between, see
    :meth:`policykg.graph.store.OxigraphStore.read_consistently`. Reads of one query need not be
    wrapped.
    """

    @functools.wraps(read)
    def whole(store: Any, *args: Any, **kwargs: Any) -> T:
        return read_consistently(store, lambda: read(store, *args, **kwargs))

    return whole


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class Ref:
    """A link to a node: enough to show and follow it."""

    iri: str
    label: str | None
    kind: str | None = None


def refs(store: Any, query: Sparql) -> list[Ref]:
    """The nodes ``?x`` of ``query`` with their label ``?xl`` and kind from their types ``?xt``,
    in the order first seen (a node's first label wins)."""
    labels: dict[str, str | None] = {}
    types: dict[str, list[str]] = {}
    for r in rows(store, query):
        iri = r["x"].value
        if labels.get(iri) is None:
            labels[iri] = text(r["xl"])
        if r["xt"] is not None:
            types.setdefault(iri, []).append(r["xt"].value)
    return [Ref(i, label, kind_of(types.get(i, []))) for i, label in labels.items()]


def linked(store: Any, pattern: Sparql) -> list[Ref]:
    """The nodes ``?x`` that ``pattern`` binds (at most 1000), each with its label and kind."""
    return refs(
        store,
        sparql(
            "SELECT ?x ?xl ?xt WHERE { $pattern OPTIONAL { ?x rdfs:label ?xl } OPTIONAL { ?x a ?xt } } LIMIT 1000",
            pattern=pattern,
        ),
    )


def values_of(store: Any, node: str, prop: str) -> list[str]:
    """The distinct values of ``node``'s property ``prop`` (an IRI), sorted (at most 1000 read)."""
    found = rows(store, sparql("SELECT ?l WHERE { $node $prop ?l } LIMIT 1000", node=iri(node), prop=iri(prop)))
    return sorted({r["l"].value for r in found})
