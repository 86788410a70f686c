"""Reads of a node's neighbours: every node linked to it (``/api/neighbours``), and the public
links grouped and counted, a page of each group read (the network view)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from policykg.graph.kinds import (
    CLASS_KINDS,
    CLASSES,
    EDGE_PREDICATES,
    PREDICATE_EDGES,
    PROVENANCE_PREDICATES,
    EdgeKind,
    kind_of,
    local_name,
)
from policykg.graph.read import consistent, rows
from policykg.graph.resources import NodeCard, node_cards
from policykg.graph.sparql_params import Sparql, count, iri, iris, one_of, sparql


@dataclass(frozen=True)
class EdgeInfo:
    predicate: str  # local name, e.g. "mentions"
    predicate_iri: str
    direction: str  # "out": center -> neighbour; "in": neighbour -> center


@dataclass(frozen=True)
class Neighbour:
    iri: str
    label: str | None
    kind: str | None
    edges: list[EdgeInfo]


@consistent
def neighbours(store: Any, node: str, limit: int = 200, *, provenance: bool = False) -> list[Neighbour]:
    """The nodes linked to ``node`` by an IRI-valued property, in either direction.

    Provenance links (evidence spans, mentions, wasDerivedFrom) are left out unless
    ``provenance`` is true; ``rdf:type`` is the ``kind``, not an edge.
    """
    hide = sparql("") if provenance else sparql("&& ?p NOT IN ($hidden)", hidden=one_of(sorted(PROVENANCE_PREDICATES)))
    # Links first, one query per direction from the bound node; sorted and cut here (ORDER BY
    # over the 48 000 links of a hot program, with labels joined in, took 3 s), then the
    # labels and types of the kept neighbours only.
    links: set[tuple[str, str, str]] = set()
    for direction, pattern in (
        ("out", sparql("$node ?p ?n", node=iri(node))),
        ("in", sparql("?n ?p $node", node=iri(node))),
    ):
        for r in rows(
            store,
            sparql(
                "SELECT ?n ?p WHERE { $pattern FILTER(isIRI(?n) && ?p != rdf:type $hide) }", pattern=pattern, hide=hide
            ),
        ):
            links.add((r["n"].value, r["p"].value, direction))
    order: list[str] = []
    edges: dict[str, list[EdgeInfo]] = {}
    for n, p, direction in sorted(links):
        if n not in edges:
            if len(edges) >= limit:
                break
            edges[n] = []
            order.append(n)
        edges[n].append(EdgeInfo(local_name(p), p, direction))
    labels: dict[str, str] = {}
    types: dict[str, set[str]] = {}
    for chunk in (order[i : i + 400] for i in range(0, len(order), 400)):
        for r in rows(
            store,
            sparql(
                "SELECT ?n ?l ?t WHERE { VALUES ?n { $nodes } { ?n rdfs:label ?l } UNION { ?n a ?t } }",
                nodes=iris(chunk),
            ),
        ):
            n = r["n"].value
            if r["l"] is not None:
                labels.setdefault(n, r["l"].value)
            if r["t"] is not None:
                types.setdefault(n, set()).add(r["t"].value)
    return [Neighbour(n, labels.get(n), kind_of(sorted(types.get(n, ()))), edges[n]) for n in order]


# -- grouped, for the network view -------------------------------------------------------------


@dataclass(frozen=True)
class NeighbourGroup:
    """The neighbours of a node over one link, in one direction, of one kind: how many there
    are, and the page of them read."""

    edge: EdgeKind
    direction: str  # "out": node --edge--> neighbour; "in": neighbour --edge--> node
    kind: str
    count: int
    nodes: list[NodeCard]


@dataclass(frozen=True)
class NeighbourGroups:
    node: NodeCard | None  # None: not a browsed node
    groups: list[NeighbourGroup]


def _natural(s: str) -> tuple[Any, ...]:
    """``task/9`` before ``task/10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s))


@consistent
def neighbour_groups(
    store: Any, node: str, *, group_limit: int = 25, group: tuple[EdgeKind, str, str] | None = None, offset: int = 0
) -> NeighbourGroups:
    """A node and its neighbours grouped by (link, direction, kind), at most ``group_limit`` per group.

    Counting is done in the store, so a program named by 100 000 tasks costs one aggregate and
    one page of ``group_limit`` rows. ``group`` (link, direction, kind) with ``offset`` pages
    through one group, counting that group only.
    """
    subject = iri(node)
    found: list[tuple[EdgeKind, str, str, int]] = []
    if group is None:
        # One aggregate per direction, each starting from the bound node (a UNION of both
        # directions made Oxigraph join the whole union: 1.2 s for a program named 48 000 times).
        for direction, pattern in (
            ("out", sparql("$node ?p ?n", node=subject)),
            ("in", sparql("?n ?p $node", node=subject)),
        ):
            for r in rows(
                store,
                sparql(
                    """SELECT ?p ?c (COUNT(DISTINCT ?n) AS ?k) WHERE {
                                             FILTER(?p IN ($links)) $pattern . ?n a ?c . FILTER(?c IN ($classes)) }
                                             GROUP BY ?p ?c""",
                    links=one_of(EDGE_PREDICATES.values()),
                    pattern=pattern,
                    classes=one_of(CLASSES.values()),
                ),
            ):
                found.append((PREDICATE_EDGES[r["p"].value], direction, CLASS_KINDS[r["c"].value], int(r["k"].value)))
    else:
        edge, direction, kind = group
        k = int(
            rows(
                store,
                sparql(
                    "SELECT (COUNT(DISTINCT ?n) AS ?k) WHERE { $pattern . ?n a $cls }",
                    pattern=_link(subject, edge, direction),
                    cls=iri(CLASSES[kind]),
                ),
            )[0]["k"].value
        )
        if k:
            found.append((edge, direction, kind, k))
    limit = max(1, min(group_limit, 500))
    pages: list[tuple[EdgeKind, str, str, int, list[str]]] = []
    for edge, direction, kind, k in found:
        page = (
            sparql("")
            if k <= limit and offset == 0
            else sparql("LIMIT $limit OFFSET $offset", limit=count(limit), offset=count(offset))
        )
        pages.append(
            (
                edge,
                direction,
                kind,
                k,
                [
                    r["n"].value
                    for r in rows(
                        store,
                        sparql(
                            "SELECT DISTINCT ?n WHERE { $pattern . ?n a $cls } $page",
                            pattern=_link(subject, edge, direction),
                            page=page,
                            cls=iri(CLASSES[kind]),
                        ),
                    )
                ],
            )
        )
    cards = node_cards(store, [node] + [n for *_, page_nodes in pages for n in page_nodes])
    groups = [
        NeighbourGroup(
            edge,
            direction,
            kind,
            k,
            sorted(
                (cards.get(n) or NodeCard(n, kind, None, [], None) for n in page_nodes),
                key=lambda c: (c.section or "", _natural(c.iri), c.label or ""),
            ),
        )
        for edge, direction, kind, k, page_nodes in pages
    ]
    return NeighbourGroups(cards.get(node), groups)


def _link(subject: Sparql, edge: EdgeKind, direction: str) -> Sparql:
    """``?n`` linked to ``subject`` by ``edge`` in ``direction``."""
    if direction == "out":
        return sparql("$node $p ?n", node=subject, p=iri(EDGE_PREDICATES[edge]))
    return sparql("?n $p $node", node=subject, p=iri(EDGE_PREDICATES[edge]))
