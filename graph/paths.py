"""The shortest explanation of how two nodes connect: the cheapest chain of public links between
them in the projection (:mod:`policykg.graph.projection`), each step with the quote behind it."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import networkx as nx

from policykg.errors import NotFoundError
from policykg.graph.citations import title_key
from policykg.graph.evidence import DocumentTexts, Evidence, namings, own_evidence
from policykg.graph.kinds import CLASSES, EDGE_PHRASES, EdgeKind
from policykg.graph.projection import PROJECTIONS
from policykg.graph.read import Ref, rows
from policykg.graph.search import resolve
from policykg.graph.sparql_params import iri, sparql

#: Cost of crossing an edge of each kind: semantic links are cheap, structure dearer,
#: and passing through a whole document (everything in it is "connected") dearest.
EDGE_WEIGHT = {
    EdgeKind.PART_OF: 1.0,
    EdgeKind.DEPENDS_ON: 1.0,
    EdgeKind.MENTIONS: 1.0,
    EdgeKind.HAS_TARGET: 1.0,
    EdgeKind.APPLIES_TO: 1.0,
    EdgeKind.INDICATOR: 1.0,
    EdgeKind.WITHIN: 1.0,
    # A unit leading a task, a citation, a successor: more telling than a mere mention of the same pair.
    EdgeKind.SUCCESSOR_OF: 0.9,
    EdgeKind.LED_BY: 0.9,
    EdgeKind.SUPPORTED_BY: 0.9,
    EdgeKind.REFERENCES: 0.9,
    EdgeKind.IS_PART_OF: 1.5,
    EdgeKind.SPATIAL: 2.0,
    EdgeKind.PUBLISHER: 2.0,
}
DOCUMENT_PENALTY = 3.0


def weighted_view(g: nx.MultiDiGraph) -> nx.Graph:
    """An undirected simple graph for path finding: the cheapest edge between each pair."""
    cached = g.graph.get("_weighted")
    if cached is not None:
        return cached
    u: nx.Graph = nx.Graph()
    u.add_nodes_from(g.nodes)
    for s, o, kind in g.edges(keys=True):
        w = EDGE_WEIGHT.get(EdgeKind(kind), 1.0)
        if g.nodes[s]["kind"] == "PolicyDocument" or g.nodes[o]["kind"] == "PolicyDocument":
            w += DOCUMENT_PENALTY
        old = u.get_edge_data(s, o)
        # Two links between one pair: the cheaper one, and of equal ones the first by kind's
        # name, so the path does not depend on the order the store lists edges in.
        if old is None or old["weight"] > w or (old["weight"] == w and str(kind) < str(old["kind"])):
            u.add_edge(s, o, weight=w, kind=kind, source=s, target=o)
    g.graph["_weighted"] = u
    return u


@dataclass(frozen=True)
class PathStep:
    source: Ref
    target: Ref
    kind: EdgeKind
    forward: bool  # the RDF edge points from source to target
    relation: str
    evidence: Evidence | None


@dataclass(frozen=True)
class PathResult:
    start: Ref
    end: Ref
    steps: list[PathStep]
    cost: float

    def nodes(self) -> list[Ref]:
        """The nodes of the path, from start to end."""
        return [self.steps[0].source] + [s.target for s in self.steps] if self.steps else [self.start]


def edge_evidence(store: Any, source: str, kind: EdgeKind, target: str, texts: DocumentTexts) -> Evidence | None:
    """The quote behind one RDF edge ``source --kind--> target``; None for a link no text states
    (a successor comes from the programme registry)."""
    if kind in (EdgeKind.MENTIONS, EdgeKind.LED_BY, EdgeKind.SUPPORTED_BY):
        # A unit that leads or supports a task is quoted by its name in that task.
        parts = [CLASSES[k] for k in ("Task", "Section", "PolicyDocument")]
        return next(
            (m.evidence for m in namings(store, texts, [target], parts, parts=[source]) if m.part == source), None
        )
    if kind is EdgeKind.HAS_TARGET:
        return own_evidence(store, texts, [target]).get(target)
    if kind is EdgeKind.REFERENCES:
        return _citation_quote(store, texts, source, target)
    if kind in (EdgeKind.APPLIES_TO, EdgeKind.INDICATOR, EdgeKind.IS_PART_OF):
        return own_evidence(store, texts, [source]).get(source)
    if kind in (EdgeKind.PART_OF, EdgeKind.DEPENDS_ON):
        own = own_evidence(store, texts, [source]).get(source)
        if own:
            return own
        quoted = [m for m in namings(store, texts, [source]) if m.evidence]
        return quoted[0].evidence if quoted else None
    return None


def _citation_quote(store: Any, texts: DocumentTexts, part: str, document: str) -> Evidence | None:
    """The 《title》 in ``part`` that cites ``document``: its Mention of the regulation whose title
    is the document's (the rule citations are resolved by)."""
    found = rows(
        store,
        sparql(
            """SELECT DISTINCT ?r ?rl ?title WHERE { $part pkg:mentions ?r . ?r a pkg:Regulation ; rdfs:label ?rl .
              $doc dcterms:title ?title }""",
            part=iri(part),
            doc=iri(document),
        ),
    )
    cited = [r["r"].value for r in found if title_key(r["rl"].value) == title_key(r["title"].value)]
    parts = [CLASSES[k] for k in ("Task", "Section", "PolicyDocument")]
    quoted = [m.evidence for m in namings(store, texts, cited, parts, parts=[part]) if m.part == part and m.evidence]
    return quoted[0] if quoted else None


def shortest_path(store: Any, a: str, b: str) -> PathResult:
    """The cheapest chain of public links between two named nodes, each step with its quote.

    Semantic links cost 1, structure (``isPartOf``) 1.5, document metadata 2, and any step
    through a whole document 3 more, so "both are in the same document" is the last resort.
    """
    start, end = resolve(store, a), resolve(store, b)
    g = PROJECTIONS.get(store)
    u = weighted_view(g)
    for r in (start, end):
        if r.iri not in u:
            raise NotFoundError(f"{r.label or r.iri} is not in the network")
    try:
        path: list[str] = nx.dijkstra_path(u, start.iri, end.iri, weight="weight")
    except nx.NetworkXNoPath:
        raise NotFoundError(f"no connection between {start.label or start.iri} and {end.label or end.iri}") from None
    texts = DocumentTexts(store)

    def node(n: str) -> Ref:
        return Ref(n, g.nodes[n]["label"], g.nodes[n]["kind"])

    steps = []
    for x, y in pairwise(path):
        e = u.edges[x, y]
        kind = EdgeKind(e["kind"])
        forward = e["source"] == x
        steps.append(
            PathStep(
                node(x),
                node(y),
                kind,
                forward,
                EDGE_PHRASES[kind][0 if forward else 1],
                edge_evidence(store, e["source"], kind, e["target"], texts),
            )
        )
    return PathResult(start, end, steps, round(nx.path_weight(u, path, weight="weight"), 3))
