"""The words a link is drawn with: Chinese and English, from the ontology's ``rdfs:label``s.

Each link of the view (:class:`policykg.graph.kinds.EdgeKind`) is a property of the ontology;
its ``rdfs:label@zh`` and ``@en`` in ``ontology/policykg.ttl`` are the data, read once here
(``partOf`` → "隶属于 part of"). A property without a label reads as its local name.
"""

from __future__ import annotations

import functools

import pyoxigraph as ox

from policykg.graph.kinds import EDGE_PREDICATES, EdgeKind
from policykg.ontology import ONTOLOGY_FILE, RDFS


@functools.cache
def _labels() -> dict[str, dict[str, str]]:
    """Property IRI → {language: label} for the ontology's labelled properties."""
    found: dict[str, dict[str, str]] = {}
    label = ox.NamedNode(RDFS + "label")
    for quad in ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE):
        if quad.predicate == label and isinstance(quad.object, ox.Literal) and isinstance(quad.subject, ox.NamedNode):
            lang = quad.object.language
            if lang in ("zh", "en"):
                found.setdefault(quad.subject.value, {})[lang] = quad.object.value
    return found


@functools.cache
def edge_words() -> dict[str, dict[str, str]]:
    """Each link's words: ``{"partOf": {"zh": "隶属于", "en": "part of", "label": "隶属于 part of"}}``."""
    out: dict[str, dict[str, str]] = {}
    for kind in EdgeKind:
        words = _labels().get(EDGE_PREDICATES.get(kind, ""), {})
        zh, en = words.get("zh", ""), words.get("en", str(kind))
        out[str(kind)] = {"zh": zh, "en": en, "label": f"{zh} {en}".strip()}
    return out


def edge_label(kind: str) -> str:
    """How the view writes a link (``"设定目标 has target"``); the kind itself when unknown."""
    words = edge_words().get(kind)
    return words["label"] if words else kind


def property_words(predicate: str) -> str:
    """A property's words from the ontology (``"设定目标 has target"``), or "" without a label."""
    words = _labels().get(predicate, {})
    return f"{words.get('zh', '')} {words.get('en', '')}".strip()
