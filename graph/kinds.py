"""What a node is and how nodes link, as the read side names them: the ontology's own terms.

A node's *kind* is the local name of its class in the ontology (``Program``,
``AdministrativeDivision``); the classes people browse are :data:`KINDS`, in the order a
node typed twice takes the first of. Each has a ``word``, how the network view's JSON and the
terminal call it (``program``, ``division``): a word for people, not a second vocabulary.
A *link* between nodes is a property of the ontology, named by its local name (:class:`EdgeKind`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from policykg.ontology import DCTERMS, ORG, PKG, PREFIXES, PROV


@dataclass(frozen=True)
class Kind:
    name: str  # the class's local name: the kind of its nodes
    iri: str
    word: str  # how the network view and the terminal call it


#: The browsed classes, in order: a node typed with two of them is of the first.
KINDS: tuple[Kind, ...] = (
    Kind("PolicyDocument", PKG + "PolicyDocument", "document"),
    Kind("Section", PKG + "Section", "section"),
    Kind("Task", PKG + "Task", "task"),
    Kind("Program", PKG + "Program", "program"),
    Kind("Indicator", PKG + "Indicator", "indicator"),
    Kind("Target", PKG + "Target", "target"),
    Kind("AdministrativeDivision", PKG + "AdministrativeDivision", "division"),
    Kind("Organization", ORG + "Organization", "organization"),
    Kind("Regulation", PKG + "Regulation", "regulation"),
)
#: kind -> class IRI
CLASSES: dict[str, str] = {k.name: k.iri for k in KINDS}
#: class IRI -> kind
CLASS_KINDS: dict[str, str] = {k.iri: k.name for k in KINDS}
#: kind -> word, and back
WORDS: dict[str, str] = {k.name: k.word for k in KINDS}
WORD_KINDS: dict[str, str] = {k.word: k.name for k in KINDS}
#: Kinds shared across documents (one IRI each): the things people name.
ENTITY_KINDS = ("Program", "AdministrativeDivision", "Indicator", "Organization", "Regulation")

_RANK = {k.name: i for i, k in enumerate(KINDS)}


def kind_rank(kind: str | None) -> int:
    """Where ``kind`` comes in :data:`KINDS` (kinds that are not browsed last)."""
    return _RANK.get(kind or "", len(_RANK))


def browsed_kind(types: Iterable[str]) -> str | None:
    """The kind of a node typed ``types`` among the browsed classes; None if it has none of them."""
    kinds = [CLASS_KINDS[t] for t in types if t in CLASS_KINDS]
    return min(kinds, key=kind_rank) if kinds else None


def kind_of(types: Iterable[str]) -> str | None:
    """The kind of a node typed ``types``: its browsed class, else the smallest local name of
    its other classes (a span is a ``TextPositionSelector``); None when it has no type."""
    types = list(types)
    return browsed_kind(types) or min((local_name(t) for t in types), default=None)


class EdgeKind(StrEnum):
    """The public links between browsed nodes, by the property's local name."""

    IS_PART_OF = "isPartOf"  # Task -> Section -> PolicyDocument
    MENTIONS = "mentions"  # Task/Section/Document -> Program/Division/Organization/Regulation
    PART_OF = "partOf"  # Program -> Program
    DEPENDS_ON = "dependsOn"  # Program/Task -> Program/Task
    HAS_TARGET = "hasTarget"  # Task -> Target
    APPLIES_TO = "appliesTo"  # Target -> Division
    WITHIN = "within"  # Division -> Division
    INDICATOR = "indicator"  # Target -> Indicator
    SPATIAL = "spatial"  # Document -> Division it governs; Organization -> Division it belongs to
    PUBLISHER = "publisher"  # Document -> Organization
    SUCCESSOR_OF = "successorOf"  # Program -> the earlier Program it continues (from the programme registry)
    LED_BY = "ledBy"  # Task -> Organization that leads it
    SUPPORTED_BY = "supportedBy"  # Task -> Organization that supports it
    REFERENCES = "references"  # Task/Document -> the Document it cites (citations resolved)


#: link -> property IRI, and back
EDGE_PREDICATES: dict[EdgeKind, str] = {
    EdgeKind.IS_PART_OF: DCTERMS + "isPartOf",
    EdgeKind.MENTIONS: PKG + "mentions",
    EdgeKind.PART_OF: PKG + "partOf",
    EdgeKind.DEPENDS_ON: PKG + "dependsOn",
    EdgeKind.HAS_TARGET: PKG + "hasTarget",
    EdgeKind.APPLIES_TO: PKG + "appliesTo",
    EdgeKind.WITHIN: PKG + "within",
    EdgeKind.INDICATOR: PKG + "indicator",
    EdgeKind.SPATIAL: DCTERMS + "spatial",
    EdgeKind.PUBLISHER: DCTERMS + "publisher",
    EdgeKind.SUCCESSOR_OF: PKG + "successorOf",
    EdgeKind.LED_BY: PKG + "ledBy",
    EdgeKind.SUPPORTED_BY: PKG + "supportedBy",
    EdgeKind.REFERENCES: DCTERMS + "references",
}
PREDICATE_EDGES: dict[str, EdgeKind] = {v: k for k, v in EDGE_PREDICATES.items()}

#: How a link reads for people (forward, inverse).
EDGE_PHRASES: dict[EdgeKind, tuple[str, str]] = {
    EdgeKind.IS_PART_OF: ("is part of", "has part"),
    EdgeKind.MENTIONS: ("names", "is named in"),
    EdgeKind.PART_OF: ("is part of", "has part"),
    EdgeKind.DEPENDS_ON: ("depends on", "is needed by"),
    EdgeKind.HAS_TARGET: ("states target", "is a target of"),
    EdgeKind.APPLIES_TO: ("applies to", "is the scope of"),
    EdgeKind.WITHIN: ("lies within", "contains"),
    EdgeKind.INDICATOR: ("measures", "is measured by"),
    EdgeKind.SPATIAL: ("covers", "is covered by"),  # a plan governs its place, a unit serves it
    EdgeKind.PUBLISHER: ("is published by", "publishes"),
    EdgeKind.SUCCESSOR_OF: ("continues", "is continued by"),
    EdgeKind.LED_BY: ("is led by", "leads"),
    EdgeKind.SUPPORTED_BY: ("is supported by", "supports"),
    EdgeKind.REFERENCES: ("cites", "is cited by"),
}

#: Links that carry provenance rather than meaning; left out of a node's neighbours by default.
PROVENANCE_PREDICATES = frozenset(
    {PKG + "evidence", PROV + "wasDerivedFrom", PKG + "mentionIn", PKG + "mentionOf", PKG + "publisherEvidence"}
)


def local_name(iri: str) -> str:
    """The last part of an IRI, after ``#`` or ``/``."""
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def prefixed(iri: str) -> str:
    """``pkg:Task`` for an IRI in a known namespace; the IRI itself otherwise."""
    for p, ns in PREFIXES.items():
        if iri.startswith(ns) and iri != ns:
            return f"{p}:{iri[len(ns) :]}"
    return iri
