"""Reads of one node in full, whatever it is: its kind and label, every statement about it,
the links into it and the evidence it was read from; its triples as RDF; the counts of the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from policykg.errors import NotFoundError
from policykg.graph.evidence import DocumentTexts, Evidence, mention_quotes, own_evidence, resource_evidence
from policykg.graph.kinds import CLASS_KINDS, CLASSES, ENTITY_KINDS, browsed_kind, kind_of, prefixed
from policykg.graph.read import Ref, consistent, rows, text, triples
from policykg.graph.sparql_params import count, iri, iris, one_of, shown, sparql
from policykg.ontology import PREFIXES, RDF, RDFS


@dataclass(frozen=True)
class NodeInfo:
    iri: str
    label: str | None
    kind: str | None


def node_info(store: Any, node: str) -> NodeInfo:
    found = rows(
        store, sparql("SELECT ?l ?t WHERE { { $node rdfs:label ?l } UNION { $node a ?t } } LIMIT 200", node=iri(node))
    )
    if not found:
        raise NotFoundError(f"nothing is known about {shown(node)}")
    labels = [r["l"].value for r in found if r["l"] is not None]
    return NodeInfo(node, labels[0] if labels else None, kind_of([r["t"].value for r in found if r["t"] is not None]))


@dataclass(frozen=True)
class Value:
    """An object of a property: an IRI (with its label) or a literal."""

    iri: str | None = None
    label: str | None = None
    literal: str | None = None
    datatype: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Property:
    predicate: str
    name: str  # prefixed name
    value: Value


@dataclass(frozen=True)
class LinkIn:
    subject: str
    label: str | None
    kind: str | None
    predicate: str
    name: str


@dataclass(frozen=True)
class Resource:
    iri: str
    label: str | None
    kind: str | None
    types: list[str]
    properties: list[Property]
    links_in: list[LinkIn]
    evidence: list[Evidence]
    links_in_truncated: bool = False


_PROPERTIES = """SELECT * WHERE { SELECT ?p ?o (SAMPLE(?ol) AS ?olabel) WHERE { $node ?p ?o
  OPTIONAL { FILTER(isIRI(?o)) ?o rdfs:label ?ol } } GROUP BY ?p ?o ORDER BY ?p ?o LIMIT $limit }"""
#: The statements about a node and the links into it, in one query (so one snapshot on any store).
#: (Its first half is _PROPERTIES again: query text is never built with +, and _PROPERTIES alone
#: must not carry the links part, which costs seconds on a node thousands of tasks name.)
_PROPERTIES_AND_LINKS_IN = """SELECT * WHERE {
  { SELECT ?p ?o (SAMPLE(?ol) AS ?olabel) WHERE { $node ?p ?o
    OPTIONAL { FILTER(isIRI(?o)) ?o rdfs:label ?ol } } GROUP BY ?p ?o ORDER BY ?p ?o LIMIT $limit }
  UNION
  { SELECT ?s ?q (SAMPLE(?sl) AS ?slabel) (SAMPLE(?st) AS ?stype) WHERE { ?s ?q $node
    OPTIONAL { ?s rdfs:label ?sl } OPTIONAL { ?s a ?st } } GROUP BY ?s ?q ORDER BY ?q ?s LIMIT $links }
}"""


def _property(r: Any) -> Property:
    o = r["o"]
    if isinstance(o, ox.Literal):
        value = Value(literal=o.value, datatype=o.datatype.value if not o.language else None, language=o.language)
    elif isinstance(o, ox.NamedNode):
        value = Value(iri=o.value, label=text(r["olabel"]))
    else:
        value = Value(literal=str(o))
    return Property(r["p"].value, prefixed(r["p"].value), value)


def properties(store: Any, node: str, *, limit: int = 5000) -> list[Property]:
    """Every statement about ``node`` (its types too), by property and value; an IRI value with a label."""
    found = rows(store, sparql(_PROPERTIES, node=iri(node), limit=count(limit)))
    return [_property(r) for r in found]


def _order(value: Value) -> tuple[int, str]:
    """SPARQL's order of values: IRIs before literals, then by lexical form."""
    return (0, value.iri) if value.iri is not None else (1, value.literal or "")


def _lexical(value: Value) -> str:
    return value.iri if value.iri is not None else value.literal or ""


@consistent
def describe(store: Any, node: str, *, max_links: int = 500) -> Resource:
    """Everything about one node: its label, types, properties, incoming links and quoted evidence."""
    # Statements and links in one query, so one snapshot on any store: whether the node exists,
    # its label and its properties never come from two versions of its document.
    found = rows(
        store,
        sparql(
            _PROPERTIES_AND_LINKS_IN,
            node=iri(node),
            limit=count(5000),
            links=count(int(max_links) + 1),
        ),
    )
    props = sorted((_property(r) for r in found if r["p"] is not None), key=lambda p: (p.predicate, _order(p.value)))
    ins = sorted((r for r in found if r["s"] is not None), key=lambda r: (r["q"].value, r["s"].value))
    if not props and not ins:
        raise NotFoundError(f"nothing is known about {shown(node)}")
    types = [_lexical(p.value) for p in props if p.predicate == RDF + "type"]
    labels = [_lexical(p.value) for p in props if p.predicate == RDFS + "label"]
    links = [
        LinkIn(
            r["s"].value,
            text(r["slabel"]),
            kind_of([r["stype"].value]) if r["stype"] is not None else None,
            r["q"].value,
            prefixed(r["q"].value),
        )
        for r in ins[:max_links]
        if isinstance(r["s"], ox.NamedNode)
    ]
    return Resource(
        node,
        labels[0] if labels else None,
        kind_of(types),
        types,
        props,
        links,
        resource_evidence(store, node, types),
        len(ins) > max_links,
    )


def resource_rdf(store: Any, node: str, fmt: str) -> bytes:
    """The triples about ``node`` (as subject, plus incoming links) serialized as ``fmt``
    (turtle, ntriples, jsonld, rdfxml). Raises NotFoundError when nothing is known."""
    from policykg.graph.store import RDF_FORMATS

    found = triples(
        store,
        sparql(
            "CONSTRUCT { $node ?p ?o . ?s ?q $node } WHERE { { $node ?p ?o } UNION { ?s ?q $node } } LIMIT 20000",
            node=iri(node),
        ),
    )
    if not found:
        raise NotFoundError(f"nothing is known about {shown(node)}")
    return ox.serialize(found, format=RDF_FORMATS[fmt], prefixes=PREFIXES if fmt == "turtle" else None) or b""


@dataclass(frozen=True)
class StoreOverview:
    documents: int
    quads: int
    by_kind: dict[str, int]


@consistent
def overview(store: Any) -> StoreOverview:
    found = rows(
        store,
        sparql(
            "SELECT ?t (COUNT(DISTINCT ?x) AS ?n) WHERE { VALUES ?t { $classes } ?x a ?t } GROUP BY ?t",
            classes=iris(CLASSES.values()),
        ),
    )
    by_kind = dict.fromkeys(CLASSES, 0)
    for r in found:
        by_kind[CLASS_KINDS[r["t"].value]] = int(r["n"].value)
    return StoreOverview(by_kind["PolicyDocument"], store.count(), by_kind)


# -- what the network view shows of a node -------------------------------------------------------


@dataclass(frozen=True)
class NodeCard:
    """A browsed node as the network view shows it and filters on it."""

    iri: str
    kind: str
    label: str | None
    documents: list[str]  # the documents that describe it or name it (at most a few dozen)
    section: str | None  # the section it is in (a section: itself)


def node_cards(store: Any, nodes: Iterable[str], *, max_documents: int = 50) -> dict[str, NodeCard]:
    """The card of each of ``nodes`` that is of a browsed class (the others are left out).

    ``documents`` are the document graphs that type the node or that name it (pkg:mentions),
    at most ``max_documents``: a program named in every document costs one LIMITed query, not
    a scan of its 10^5 mentions.
    """
    nodes = list(dict.fromkeys(nodes))
    classes: dict[str, list[str]] = {}
    labels: dict[str, str | None] = {}
    documents: dict[str, list[str]] = {}
    sections: dict[str, str] = {}

    def add_document(n: str, graph: str) -> None:
        found = documents.get(n)
        if found is not None and graph not in found and len(found) < max_documents:
            found.append(graph)

    for batch in (nodes[i : i + 400] for i in range(0, len(nodes), 400)):
        values = iris(batch)
        for r in rows(
            store,
            sparql(
                """SELECT ?n ?c ?l WHERE { VALUES ?n { $nodes } ?n a ?c .
                                         FILTER(?c IN ($classes)) OPTIONAL { ?n rdfs:label ?l } }""",
                nodes=values,
                classes=one_of(CLASSES.values()),
            ),
        ):
            n = r["n"].value
            classes.setdefault(n, []).append(r["c"].value)
            labels.setdefault(n, text(r["l"]))
            documents.setdefault(n, [])
        # the documents describing each node: the document graph that types it ...
        for r in rows(
            store,
            sparql(
                """SELECT DISTINCT ?n ?g WHERE { VALUES ?n { $nodes } GRAPH ?g { ?n a ?c }
                                         GRAPH ?g { ?g a pkg:PolicyDocument } }""",
                nodes=values,
            ),
        ):
            add_document(r["n"].value, r["g"].value)
        # ... and those naming it: few for parts, one LIMITed query per shared entity
        kinds = {n: browsed_kind(classes[n]) for n in batch if n in classes}
        parts = [n for n, kind in kinds.items() if kind not in ENTITY_KINDS]
        if parts:
            for r in rows(
                store,
                sparql(
                    """SELECT DISTINCT ?n ?g WHERE { VALUES ?n { $parts }
                                             GRAPH ?g { ?x pkg:mentions ?n . ?g a pkg:PolicyDocument } }""",
                    parts=iris(parts),
                ),
            ):
                add_document(r["n"].value, r["g"].value)
        for n, kind in kinds.items():
            if kind in ENTITY_KINDS and len(documents[n]) < max_documents:
                for r in rows(
                    store,
                    sparql(
                        """SELECT DISTINCT ?g WHERE { GRAPH ?g { ?x pkg:mentions $n .
                                                 ?g a pkg:PolicyDocument } } LIMIT $limit""",
                        n=iri(n),
                        limit=count(max_documents),
                    ),
                ):
                    add_document(n, r["g"].value)
            if kind == "Section":
                sections[n] = n
        for r in rows(
            store,
            sparql(
                "SELECT ?n ?sec WHERE { VALUES ?n { $nodes } ?n dcterms:isPartOf ?sec . ?sec a pkg:Section }",
                nodes=values,
            ),
        ):
            if r["n"].value in classes:
                sections[r["n"].value] = r["sec"].value
        for r in rows(
            store,
            sparql(
                """SELECT ?n ?sec WHERE { VALUES ?n { $nodes } ?task pkg:hasTarget ?n .
                                         ?task dcterms:isPartOf ?sec . ?sec a pkg:Section }""",
                nodes=values,
            ),
        ):
            if r["n"].value in classes:
                sections[r["n"].value] = r["sec"].value
    return {
        n: NodeCard(n, browsed_kind(cs) or "", labels[n], documents[n], sections.get(n)) for n, cs in classes.items()
    }


@dataclass(frozen=True)
class Quote:
    """Where a node was read: its own span (``part`` None), or a Mention of it in ``part``."""

    evidence: Evidence
    part: Ref | None = None


@dataclass(frozen=True)
class NodeDetails:
    card: NodeCard
    properties: list[Property]
    quotes: list[Quote]


@consistent
def node_details(store: Any, node: str, *, max_properties: int = 500, max_quotes: int = 3) -> NodeDetails:
    """What the network view's side panel shows: the card, the statements about the node and
    up to ``max_quotes`` quotes (its own span, then Mentions of an entity)."""
    card = node_cards(store, [node]).get(node)
    if card is None:
        raise NotFoundError(f"no node {shown(node)}")
    texts = DocumentTexts(store)
    quotes = [Quote(ev) for ev in own_evidence(store, texts, [node]).values()]
    if card.kind in ENTITY_KINDS:
        quotes += [
            Quote(ev, part)
            for part, ev in mention_quotes(store, texts, node, limit=max_quotes - len(quotes), scan=max_quotes * 4)
        ]
    return NodeDetails(card, properties(store, node, limit=max_properties), quotes)
