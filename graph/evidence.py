"""Evidence: where something was read — a span of a document's text, its quote, and the text around it.

Every reply that quotes its source (a resource page, the network view's side panel and edges,
a trace, a path) quotes it as one :class:`Evidence`, read here: a node's own spans
(``pkg:evidence``), and the spans of the Mentions that name an entity in a part (a task or a
section). Documents' texts are fetched once per reply (:class:`DocumentTexts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policykg.graph.kinds import browsed_kind
from policykg.graph.read import Ref, rows, text
from policykg.graph.sparql_params import count, iri, iris, one_of, sparql
from policykg.ontology import OA, PKG

_SENTENCE_END = "。；;！!？?\n"
_SENTENCE_STOP = "。；;！!？?"
#: Characters of context kept on each side of a quote, at most.
CONTEXT_WIDTH = 60


@dataclass(frozen=True)
class Evidence:
    """A span of a document's ``pkg:text``: its offsets, the quoted characters (``oa:exact``) and
    the paragraph that holds them (the quote at ``quote_start:quote_end`` of it). Without the
    document's text the paragraph is the quote itself."""

    span: str
    start: int
    end: int
    exact: str | None
    paragraph: str
    quote_start: int  # offsets of the quote inside ``paragraph``
    quote_end: int
    document: str | None

    @property
    def context(self) -> str:
        """The sentence around the quote, cut to :data:`CONTEXT_WIDTH` characters on each side ("…" where cut)."""
        para, start, end = self.paragraph, self.quote_start, self.quote_end
        if end > len(para):  # offsets past the end of the text
            return self.exact or ""
        a = start
        while a > 0 and para[a - 1] not in _SENTENCE_END and start - a < CONTEXT_WIDTH:
            a -= 1
        b = end
        while b < len(para) and para[b] not in _SENTENCE_END and b - end < CONTEXT_WIDTH:
            b += 1
        if b < len(para) and para[b] in _SENTENCE_STOP:
            b += 1
        before = "…" if a > 0 and para[a - 1] not in _SENTENCE_END else ""
        after = "…" if b < len(para) and para[b - 1] not in _SENTENCE_END and para[b] not in _SENTENCE_END else ""
        return before + para[a:b] + after


class DocumentTexts:
    """Documents' ``pkg:text``, fetched once each, to place quotes in their paragraphs."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._texts: dict[str, str] = {}

    def text(self, document: str | None) -> str:
        if not document:
            return ""
        if document not in self._texts:
            found = rows(self.store, sparql("SELECT ?t WHERE { $doc pkg:text ?t } LIMIT 1", doc=iri(document)))
            self._texts[document] = found[0]["t"].value if found else ""
        return self._texts[document]

    def evidence(self, span: str, start: int, end: int, exact: str | None, document: str | None) -> Evidence:
        whole = self.text(document)
        if exact is None and whole and 0 <= start <= end <= len(whole):
            # A span of a whole part (the body, a task, an item) stores no oa:exact: its quote is
            # the document's text between its offsets.
            exact = whole[start:end]
        if not whole:
            quote = exact or ""
            return Evidence(span, start, end, exact, quote, 0, len(quote), document)
        para_start = whole.rfind("\n", 0, start) + 1
        para_end = whole.find("\n", end)
        if para_end == -1:
            para_end = len(whole)
        return Evidence(
            span, start, end, exact, whole[para_start:para_end], start - para_start, end - para_start, document
        )

    def from_row(self, r: Any) -> Evidence:
        """The evidence of a row binding ``?sp ?start ?end ?exact ?doc``."""
        return self.evidence(
            r["sp"].value, int(r["start"].value), int(r["end"].value), text(r["exact"]), text(r["doc"])
        )


def resource_evidence(store: Any, node: str, types: list[str], *, limit: int = 50) -> list[Evidence]:
    """Every span a node was read from, by document and offset: its own (``pkg:evidence``) and
    those of the Mentions of it; a span is its own evidence."""
    texts = DocumentTexts(store)
    if OA + "TextPositionSelector" in types:
        spans = sparql("BIND($node AS ?sp)", node=iri(node))
    else:
        spans = sparql(
            "{ $node pkg:evidence ?sp } UNION { ?_m pkg:mentionOf $node ; pkg:evidence ?sp }", node=iri(node)
        )
    found = rows(
        store,
        sparql(
            """SELECT DISTINCT ?sp ?start ?end ?exact ?doc WHERE { $spans
  ?sp oa:start ?start ; oa:end ?end . OPTIONAL { ?sp oa:exact ?exact } OPTIONAL { ?sp prov:wasDerivedFrom ?doc }
} ORDER BY ?doc ?start LIMIT $limit""",
            spans=spans,
            limit=count(limit),
        ),
    )
    return [texts.from_row(r) for r in found]


def own_evidence(store: Any, texts: DocumentTexts, nodes: Iterable[str]) -> dict[str, Evidence]:
    """The span each of ``nodes`` (tasks, sections, targets) was read from, with its quote."""
    nodes = list(dict.fromkeys(nodes))
    if not nodes:
        return {}
    found = rows(
        store,
        sparql(
            """
        SELECT ?s ?sp ?exact ?start ?end ?doc WHERE { VALUES ?s { $nodes }
          ?s pkg:evidence ?sp . ?sp oa:start ?start ; oa:end ?end .
          OPTIONAL { ?sp oa:exact ?exact } OPTIONAL { ?sp prov:wasDerivedFrom ?doc } }""",
            nodes=iris(nodes),
        ),
    )
    out: dict[str, Evidence] = {}
    for r in found:
        out.setdefault(r["s"].value, texts.from_row(r))
    return out


@dataclass(frozen=True)
class Naming:
    """A part (task, section) that names an entity, with the quote of its first Mention of it."""

    entity: str
    part: str
    part_kind: str | None
    evidence: Evidence | None


#: The parts a Mention is in, unless a caller asks for others.
PART_CLASSES = (PKG + "Task", PKG + "Section")


def naming_pairs(
    store: Any, entities: list[str], part_classes: Iterable[str] = PART_CLASSES, parts: list[str] | None = None
) -> dict[tuple[str, str], str]:
    """(entity, part) -> the part's class, for each part of ``part_classes`` (among ``parts``) that names an entity."""
    if not entities:
        return {}
    found: dict[tuple[str, str], str] = {}
    if parts is None:
        query = sparql(
            """
        SELECT DISTINCT ?e ?part ?cls WHERE { VALUES ?e { $entities }
          ?part pkg:mentions ?e . ?part a ?cls . FILTER(?cls IN ($classes)) }""",
            entities=iris(entities),
            classes=one_of(part_classes),
        )
    else:
        # From the parts, the entities a filter (Oxigraph evaluates a VALUES block first: two of
        # them read every mention of the entities, 48 000 for a program named everywhere).
        query = sparql(
            """
        SELECT DISTINCT ?e ?part ?cls WHERE { VALUES ?part { $parts }
          ?part pkg:mentions ?e . FILTER(?e IN ($entities)) ?part a ?cls . FILTER(?cls IN ($classes)) }""",
            parts=iris(parts),
            entities=one_of(entities),
            classes=one_of(part_classes),
        )
    for r in rows(store, query):
        found.setdefault((r["e"].value, r["part"].value), r["cls"].value)
    return found


def parts_naming(store: Any, entities: list[str]) -> dict[str, set[str]]:
    """Every node that names each entity (``pkg:mentions``), whatever its kind, untyped: the
    caller checks the kind of only those it keeps. One row per entity, the IRIs joined by the
    store: a hub program named by 48 000 tasks cost a second as one row per part, half of it
    the type check of each."""
    if not entities:
        return {}
    query = sparql(
        """
    SELECT ?e (GROUP_CONCAT(STR(?part); separator=" ") AS ?parts) WHERE { VALUES ?e { $entities }
      ?part pkg:mentions ?e . FILTER(isIRI(?part)) } GROUP BY ?e""",
        entities=iris(entities),
    )
    # An IRI holds no space (the store refuses one), so the separator splits them apart again.
    return {r["e"].value: set(r["parts"].value.split(" ")) for r in rows(store, query)}


def namings(
    store: Any,
    texts: DocumentTexts,
    entities: Iterable[str],
    part_classes: Iterable[str] = PART_CLASSES,
    parts: Iterable[str] | None = None,
) -> list[Naming]:
    """The parts that name each entity, with the first Mention's quote, by part.

    Two inner joins that start from the entities (an OPTIONAL for the quote made Oxigraph
    read every Mention of the store: 4 s at 10^5 nodes); ``parts`` restricts to some parts.
    """
    entities = list(dict.fromkeys(entities))
    part_list = list(dict.fromkeys(parts)) if parts is not None else None
    if not entities or part_list == []:
        return []
    found = naming_pairs(store, entities, part_classes, part_list)
    if not found:
        return []
    first: dict[tuple[str, str], tuple[int, Any]] = {}
    if part_list is None:
        query = sparql(
            """
        SELECT ?e ?part ?sp ?exact ?start ?end ?doc WHERE { VALUES ?e { $entities }
          ?m pkg:mentionOf ?e ; pkg:mentionIn ?part ; pkg:evidence ?sp .
          ?sp oa:exact ?exact ; oa:start ?start ; oa:end ?end .
          OPTIONAL { ?sp prov:wasDerivedFrom ?doc } }""",
            entities=iris(entities),
        )
    else:  # from the parts, as in naming_pairs (6 s → 0.1 s for 1 900 parts of such a program)
        query = sparql(
            """
        SELECT ?e ?part ?sp ?exact ?start ?end ?doc WHERE { VALUES ?part { $parts }
          ?m pkg:mentionIn ?part . ?m pkg:mentionOf ?e . FILTER(?e IN ($entities))
          ?m pkg:evidence ?sp . ?sp oa:exact ?exact ; oa:start ?start ; oa:end ?end .
          OPTIONAL { ?sp prov:wasDerivedFrom ?doc } }""",
            parts=iris(part_list),
            entities=one_of(entities),
        )
    for r in rows(store, query):
        key = (r["e"].value, r["part"].value)
        start = int(r["start"].value)
        if key in found and (key not in first or first[key][0] > start):
            first[key] = (start, r)
    out = []
    for key, cls in found.items():
        quoted = first.get(key)
        ev = texts.from_row(quoted[1]) if quoted else None
        out.append((quoted[0] if quoted else 1 << 60, Naming(key[0], key[1], browsed_kind([cls]), ev)))
    return [naming for _, naming in sorted(out, key=lambda x: (x[1].part, x[0]))]


def mention_quotes(
    store: Any, texts: DocumentTexts, entity: str, *, limit: int, scan: int
) -> list[tuple[Ref, Evidence]]:
    """Up to ``limit`` quotes of Mentions of ``entity`` (one per place in a document) among the
    first ``scan`` Mentions, each with the part it is in. Unordered: a program named in every
    task costs one LIMITed query."""
    found = rows(
        store,
        sparql(
            """
        SELECT ?part ?pl ?sp ?exact ?start ?end ?doc WHERE { ?m pkg:mentionOf $entity ; pkg:mentionIn ?part ;
          pkg:evidence ?sp . ?sp oa:exact ?exact ; oa:start ?start ; oa:end ?end .
          OPTIONAL { ?sp prov:wasDerivedFrom ?doc } OPTIONAL { ?part rdfs:label ?pl } } LIMIT $rows""",
            entity=iri(entity),
            rows=count(scan),
        ),
    )
    out: list[tuple[Ref, Evidence]] = []
    seen = set()
    for r in found:
        key = (text(r["doc"]), r["start"].value)
        if key in seen or len(out) >= limit:
            continue
        seen.add(key)
        out.append((Ref(r["part"].value, text(r["pl"])), texts.from_row(r)))
    return out
