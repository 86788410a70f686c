"""Records to N-Quads: one document's graph in the public vocabulary.

The builder writes N-Quads lines directly (terms as text, never term objects: building
pyoxigraph terms one by one was most of the cost of a document's graph), in a deterministic
order, so the same record always gives the same bytes; :func:`document_quads` parses those bytes
when a caller wants term objects. Everything the document says lives in the document's named
graph; what a shared entity (program, division, indicator, organization, regulation) says about
itself lives in that entity's own named graph, which every document using it adds to.
Oxigraph's union default graph is a bag, not a set: this layout keeps each entity triple once
in the union, so queries over many documents return each label once.

The lines are exactly what pyoxigraph's N-Quads serializer writes for the same quads (the
literal escapes of :data:`_ESCAPES`), so a graph serialized by the store and the builder's own
bytes compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

import pyoxigraph as ox

from policykg.graph.iris import IriScheme
from policykg.graph.kinds import CLASSES, WORDS
from policykg.loaders.records import DocumentRecord, EntityKind, PartRef, Span
from policykg.ontology import DCTERMS, GEO, OA, PKG, PROV, RDF, RDFS, SKOS, XSD

# N-Quads string escapes, as pyoxigraph writes them: the short forms where N-Quads has one,
# \uXXXX for the other control characters; everything else as it is.
_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F]} | {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def _n(iri: str) -> str:
    """An IRI as an N-Quads term."""
    return "<" + iri + ">"


def _p(ns: str, local: str) -> str:
    return "<" + ns + local + ">"


_NEEDS_ESCAPE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_ESCAPES)) + "]")


def _escaped(value: str) -> str:
    # Most values need no escape: one C-speed search, and work only where a match is.
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[ord(m.group())], value)


def _lit(value: str) -> str:
    """A plain (xsd:string) literal as an N-Quads term."""
    return '"' + _escaped(value) + '"'


def _typed(value: str, datatype: str) -> str:
    return '"' + _escaped(value) + '"^^' + datatype


A = _p(RDF, "type")
LABEL = _p(RDFS, "label")
ALT = _p(SKOS, "altLabel")
DERIVED = _p(PROV, "wasDerivedFrom")
EVIDENCE = _p(PKG, "evidence")
IS_PART_OF = _p(DCTERMS, "isPartOf")
HAS_PART = _p(DCTERMS, "hasPart")
SHA256 = _p(PKG, "sha256")
_POSITION = _p(OA, "TextPositionSelector")
_QUOTE = _p(OA, "TextQuoteSelector")
_START = _p(OA, "start")
_END = _p(OA, "end")
_EXACT = _p(OA, "exact")
_MENTION = _p(PKG, "Mention")
_MENTION_OF = _p(PKG, "mentionOf")
_MENTION_IN = _p(PKG, "mentionIn")
XSD_INTEGER = _p(XSD, "integer")
XSD_DECIMAL = _p(XSD, "decimal")
XSD_DATE = _p(XSD, "date")
XSD_BOOLEAN = _p(XSD, "boolean")

# What a mention names, by graph/kinds.py: its class, and the word its IRI spells the kind with
# (…/mention/program-12-16).
_CLASS = {k: _n(CLASSES[k.value]) for k in EntityKind}
_WORD = {k: WORDS[k.value] for k in EntityKind}


def _int(v: int) -> str:
    return '"' + str(v) + '"^^' + XSD_INTEGER


def _dec(v: Decimal) -> str:
    # Canonical xsd:decimal form: no exponent, no trailing zeros beyond one decimal.
    text = format(v.normalize(), "f")
    if "." not in text:
        text += ".0"
    return '"' + text + '"^^' + XSD_DECIMAL


class _Builder:
    def __init__(self, doc: DocumentRecord, iris: IriScheme) -> None:
        self.doc = doc
        self.iris = iris
        self.g = _n(iris.graph(doc.doc_id))
        self.doc_node = _n(iris.document(doc.doc_id))
        self.lines: list[tuple[str, str]] = []  # (subject IRI, its N-Quads line)
        self._spans: set[Span] = set()
        self._quoted: set[Span] = set()
        self._shared: dict[str, bool] = {}
        self.shared_lines: set[str] = set()  # the lines that go to shared entities' graphs
        self.seal = ""  # the document's pkg:sha256 line (see DocumentGraph.sealed)

    def add(self, s: str, p: str, o: str) -> None:
        # What a shared entity (program, division, indicator …) says about itself
        # goes to the entity's own named graph, so the union of all documents
        # holds each such triple once instead of once per document.
        shared = self._shared.get(s)
        if shared is None:
            shared = self._shared[s] = self.iris.is_shared(s[1:-1])
        if shared:
            line = f"{s} {p} {o} {s} .\n"
            self.shared_lines.add(line)
        else:
            line = f"{s} {p} {o} {self.g} .\n"
        self.lines.append((s[1:-1], line))

    def own_block(self, s: str, pairs: list[tuple[str, str]]) -> None:
        """Triples of ``s``, a node of the document's own graph (a span, a mention): one call
        for the many nodes a long document has of them."""
        key, tail = s[1:-1], " " + self.g + " .\n"
        self.lines.extend([(key, s + " " + p + " " + o + tail) for p, o in pairs])

    def span(self, span: Span, *, quote: bool = True) -> str:
        """The node of a span of the document's ``pkg:text``. A span that quotes (a name, a
        title, a goal, a cue) carries its characters as ``oa:exact``; a span that covers a whole
        part of the structure (the body, a task, an item) is a position only, because those
        characters are the document's text between ``oa:start`` and ``oa:end`` (and a task's
        own ``pkg:text``): the graph stores each long text once, and every quote can still be
        cut out of ``pkg:text`` and checked."""
        node = _n(self.iris.span(self.doc.doc_id, span.start, span.end))
        if span not in self._spans:
            self._spans.add(span)
            # xsd:integer, not xsd:nonNegativeInteger: Oxigraph stores derived integer
            # types as xsd:integer, and extract must give the same triples as the store.
            self.own_block(
                node,
                [(A, _POSITION), (_START, _int(span.start)), (_END, _int(span.end)), (DERIVED, self.doc_node)],
            )
        if quote and span not in self._quoted:
            self._quoted.add(span)
            self.own_block(node, [(A, _QUOTE), (_EXACT, _lit(self.doc.quote(span)))])
        return node

    def part(self, part: PartRef) -> str:
        if part.kind == "task":
            return _n(self.iris.task(self.doc.doc_id, part.ordinal))
        if part.kind == "section":
            return _n(self.iris.section(self.doc.doc_id, part.ordinal))
        return self.doc_node

    def entity(self, kind: EntityKind, key: str) -> str:
        if kind is EntityKind.PROGRAM:
            return self.program(key)
        if kind is EntityKind.DIVISION:
            return _n(self.iris.division(key))
        if kind is EntityKind.REGULATION:
            return _n(self.iris.regulation(key))
        return self.organization(key)

    def organization(self, name: str) -> str:
        """The node of a unit the document names: by its full name where the document gives only
        its level (市教育局 of a 昆明 plan is 昆明市教育局, not 北京's)."""
        return _n(self.iris.organization(self.doc.organization_names.get(name, name)))

    def program(self, name: str) -> str:
        """The node of the document's program ``name`` (registered ones by their registry id)."""
        rec = self.doc.programs.get(name)
        return _n(self.iris.program(name, rec.registry_id if rec else None))

    def build(self) -> list[tuple[str, str]]:
        self.document()
        self.structure()
        self.entities()
        self.mentions()
        self.targets()
        return self.lines

    def document(self) -> None:
        d, doc = self.doc_node, self.doc
        self.add(d, A, _p(PKG, "PolicyDocument"))
        if doc.title:
            self.add(d, _p(DCTERMS, "title"), _lit(doc.title))
            self.add(d, LABEL, _lit(doc.title))
        if doc.issued:
            self.add(d, _p(DCTERMS, "issued"), _typed(doc.issued.isoformat(), XSD_DATE))
        if doc.jurisdiction:
            self.add(d, _p(DCTERMS, "spatial"), _n(self.iris.division(doc.jurisdiction)))
        if doc.publisher:
            org = _n(self.iris.organization(doc.publisher.name))
            self.add(d, _p(DCTERMS, "publisher"), org)
            self.add(org, A, _CLASS[EntityKind.ORGANIZATION])
            if doc.publisher.name not in doc.organization_names.values():
                # else the body names it by its level alone (省农业农村厅): that spelling labels it
                self.add(org, LABEL, _lit(doc.publisher.name))
            self.add(
                d,
                _p(PKG, "publisherInferred"),
                _typed("true" if doc.publisher.inferred else "false", XSD_BOOLEAN),
            )
            if doc.publisher.evidence:
                self.add(d, _p(PKG, "publisherEvidence"), self.span(doc.publisher.evidence))
        self.add(d, _p(DCTERMS, "source"), _lit(doc.source))
        self.add(d, _p(DCTERMS, "format"), _lit(doc.media_type))
        self.add(d, SHA256, _lit(doc.sha256))
        self.seal = self.lines[-1][1]
        if doc.encoding:
            self.add(d, _p(PKG, "encoding"), _lit(doc.encoding))
        self.add(d, _p(PKG, "text"), _lit(doc.text))
        if doc.body:
            self.add(d, EVIDENCE, self.span(doc.body, quote=False))

    def structure(self) -> None:
        doc_id = self.doc.doc_id
        for s in self.doc.sections:
            node = _n(self.iris.section(doc_id, s.ordinal))
            self.add(node, A, _p(PKG, "Section"))
            self.add(node, _p(PKG, "ordinal"), _int(s.ordinal))
            self.add(node, _p(PKG, "number"), _lit(s.number))
            self.add(node, LABEL, _lit(s.title))
            self.add(node, IS_PART_OF, self.doc_node)
            self.add(self.doc_node, HAS_PART, node)
            self.add(node, EVIDENCE, self.span(s.title_span))
            self.add(node, DERIVED, self.doc_node)
        for t in self.doc.tasks:
            node = _n(self.iris.task(doc_id, t.ordinal))
            parent = _n(self.iris.section(doc_id, t.section)) if t.section else self.doc_node
            self.add(node, A, _p(PKG, "Task"))
            self.add(node, _p(PKG, "ordinal"), _int(t.ordinal))
            self.add(node, _p(PKG, "number"), _lit(t.number))
            self.add(node, LABEL, _lit(t.title))
            self.add(node, _p(PKG, "text"), _lit(t.text(self.doc.text)))
            self.add(node, IS_PART_OF, parent)
            self.add(parent, HAS_PART, node)
            self.add(node, EVIDENCE, self.span(t.span, quote=False))
            self.add(node, DERIVED, self.doc_node)
            for program in sorted(t.depends_on):
                self.add(node, _p(PKG, "dependsOn"), self.program(program))
            for item in t.items:
                part = _n(self.iris.item(doc_id, t.ordinal, item.ordinal))
                self.add(part, A, _p(PKG, "Item"))
                self.add(part, _p(PKG, "ordinal"), _int(item.ordinal))
                self.add(part, _p(PKG, "number"), _lit(item.number))
                self.add(part, LABEL, _lit(item.title))
                self.add(part, IS_PART_OF, node)
                self.add(node, HAS_PART, part)
                self.add(part, EVIDENCE, self.span(item.span, quote=False))
                self.add(part, DERIVED, self.doc_node)
        # A programme whose own text carries the cue (Y依托X, a 专栏 box): the same reification.
        for pdep in self.doc.program_dependencies:
            statement = _n(self.iris.program_dependency(doc_id, pdep.span.start, pdep.span.end))
            self.add(statement, A, _p(RDF, "Statement"))
            self.add(statement, _p(RDF, "subject"), self.program(pdep.program))
            self.add(statement, _p(RDF, "predicate"), _p(PKG, "dependsOn"))
            self.add(statement, _p(RDF, "object"), self.program(pdep.on))
            self.add(statement, _p(PKG, "cue"), _lit(pdep.cue))
            self.add(statement, EVIDENCE, self.span(pdep.span))
            self.add(statement, DERIVED, self.doc_node)
        # An attachment is a part of the document; what is numbered inside it points to it.
        for a in self.doc.attachments:
            node = _n(self.iris.attachment(doc_id, a.ordinal))
            self.add(node, A, _p(PKG, "Attachment"))
            self.add(node, _p(PKG, "ordinal"), _int(a.ordinal))
            if a.number:
                self.add(node, _p(PKG, "number"), _lit(a.number))
            self.add(node, LABEL, _lit(a.title))
            self.add(node, IS_PART_OF, self.doc_node)
            self.add(self.doc_node, HAS_PART, node)
            self.add(node, EVIDENCE, self.span(a.title_span))
            self.add(node, DERIVED, self.doc_node)
            for s in self.doc.sections:
                if a.span.start <= s.span.start < a.span.end:
                    self.add(_n(self.iris.section(doc_id, s.ordinal)), _p(PKG, "inAttachment"), node)
            for t in self.doc.tasks:
                if a.span.start <= t.span.start < a.span.end:
                    self.add(_n(self.iris.task(doc_id, t.ordinal)), _p(PKG, "inAttachment"), node)
        # Each dependency says which words make it one: the pkg:dependsOn triple, reified as an
        # rdf:Statement with the cue (依托, 以…为抓手) and the span of the cue and the name.
        for dep in self.doc.dependencies:
            statement = _n(self.iris.dependency(doc_id, dep.span.start, dep.span.end))
            self.add(statement, A, _p(RDF, "Statement"))
            self.add(statement, _p(RDF, "subject"), _n(self.iris.task(doc_id, dep.task)))
            self.add(statement, _p(RDF, "predicate"), _p(PKG, "dependsOn"))
            self.add(statement, _p(RDF, "object"), self.program(dep.program))
            self.add(statement, _p(PKG, "cue"), _lit(dep.cue))
            self.add(statement, EVIDENCE, self.span(dep.span))
            self.add(statement, DERIVED, self.doc_node)

    def entities(self) -> None:
        doc = self.doc
        for name in sorted(doc.programs):
            p = doc.programs[name]
            node = self.program(p.name)
            self.add(node, A, _CLASS[EntityKind.PROGRAM])
            self.add(node, LABEL, _lit(p.name))
            for alt in sorted(p.alt_labels - {p.name}):
                self.add(node, ALT, _lit(alt))
            if p.part_of:
                self.add(node, _p(PKG, "partOf"), self.program(p.part_of))
            if p.successor_of:
                self.add(node, _p(PKG, "successorOf"), self.program(p.successor_of))
            for dep in sorted(p.depends_on):
                self.add(node, _p(PKG, "dependsOn"), self.program(dep))
        for code in sorted(doc.divisions):
            dv = doc.divisions[code]
            node = _n(self.iris.division(code))
            self.add(node, A, _CLASS[EntityKind.DIVISION])
            self.add(node, _p(PKG, "adminCode"), _lit(code))
            self.add(node, LABEL, _lit(dv.name))
            for alt in sorted(dv.short_names - {dv.name}):
                self.add(node, ALT, _lit(alt))
            self.add(node, _p(PKG, "level"), _p(PKG, dv.level.value))
            if dv.parent_code:
                self.add(node, _p(PKG, "within"), _n(self.iris.division(dv.parent_code)))
            if dv.lat is not None and dv.long is not None:
                self.add(node, _p(GEO, "lat"), _dec(dv.lat))
                self.add(node, _p(GEO, "long"), _dec(dv.long))
        for name in sorted(doc.regulations):
            node = _n(self.iris.regulation(name))
            self.add(node, A, _CLASS[EntityKind.REGULATION])
            self.add(node, LABEL, _lit(name))
        # One label per organization, as the document writes it (the shortest spelling where it
        # writes both 省农业农村厅 and 安徽省农业农村厅); the other spellings and the full name beside it.
        spellings: dict[str, set[str]] = {}
        for name in doc.organizations:
            spellings.setdefault(doc.organization_names.get(name, name), set()).add(name)
        for full in sorted(spellings):
            names = sorted(spellings[full], key=lambda n: (len(n), n))
            node = _n(self.iris.organization(full))
            self.add(node, A, _CLASS[EntityKind.ORGANIZATION])
            self.add(node, LABEL, _lit(names[0]))
            for other in sorted({*names[1:], full} - {names[0]}):
                self.add(node, ALT, _lit(other))
        # The division whose government a unit (the publisher among them) belongs to.
        for full, code in sorted(doc.organization_places.items()):
            self.add(_n(self.iris.organization(full)), _p(DCTERMS, "spatial"), _n(self.iris.division(code)))
        # Who carries out a task (牵头 / 配合); the bracket that says so is the unit's mention there.
        for r in doc.responsibilities:
            task = _n(self.iris.task(doc.doc_id, r.task))
            self.add(task, _p(PKG, "ledBy" if r.role == "lead" else "supportedBy"), self.organization(r.org))

    def mentions(self) -> None:
        seen: set[tuple[str, str]] = set()
        for m in sorted(self.doc.mentions, key=lambda m: (m.span, _WORD[m.kind], m.key)):
            entity = self.entity(m.kind, m.key)
            part = self.part(m.part)
            node = _n(self.iris.mention(self.doc.doc_id, _WORD[m.kind], m.span.start, m.span.end))
            evidence = self.span(m.span)
            self.own_block(
                node,
                [
                    (A, _MENTION),
                    (_MENTION_OF, entity),
                    (_MENTION_IN, part),
                    (EVIDENCE, evidence),
                    (DERIVED, self.doc_node),
                ],
            )
            if (part, entity) not in seen:
                seen.add((part, entity))
                self.add(part, _p(PKG, "mentions"), entity)

    def targets(self) -> None:
        counters: dict[str, int] = {}
        for t in self.doc.targets:
            key = f"{t.part.kind[0]}{t.part.ordinal}"
            counters[key] = counters.get(key, 0) + 1
            node = _n(self.iris.target(self.doc.doc_id, key, counters[key]))
            indicator = _n(self.iris.indicator(t.indicator, t.indicator_id))
            self.add(node, A, _p(PKG, "Target"))
            self.add(self.part(t.part), _p(PKG, "hasTarget"), node)
            self.add(node, _p(PKG, "indicator"), indicator)
            self.add(indicator, A, _p(PKG, "Indicator"))
            # A registered indicator is labelled by its official name, the plan's spelling beside it.
            self.add(indicator, LABEL, _lit(t.indicator_name or t.indicator))
            if t.indicator_name and t.indicator_name != t.indicator:
                self.add(indicator, ALT, _lit(t.indicator))
            self.add(node, LABEL, _lit(self.doc.quote(t.span)))
            if t.value is not None:
                self.add(node, _p(PKG, "value"), _dec(t.value))
            if t.min_value is not None:
                self.add(node, _p(PKG, "minValue"), _dec(t.min_value))
            if t.max_value is not None:
                self.add(node, _p(PKG, "maxValue"), _dec(t.max_value))
            if t.unit:
                self.add(node, _p(PKG, "unit"), _lit(t.unit))
            if t.comparator:
                self.add(node, _p(PKG, "comparator"), _p(PKG, t.comparator.value))
            if t.deadline:
                self.add(node, _p(PKG, "deadline"), _typed(t.deadline.isoformat(), XSD_DATE))
            if t.baseline is not None:
                self.add(node, _p(PKG, "baseline"), _dec(t.baseline))
            if t.bindingness:
                self.add(node, _p(PKG, "bindingness"), _p(PKG, t.bindingness))
            if t.value_missing:
                self.add(node, _p(PKG, "valueMissing"), _typed("true", XSD_BOOLEAN))
            if t.period:
                self.add(node, _p(PKG, "period"), _lit(t.period))
            for code in t.divisions:
                self.add(node, _p(PKG, "appliesTo"), _n(self.iris.division(code)))
            self.add(node, EVIDENCE, self.span(t.span))
            self.add(node, DERIVED, self.doc_node)


@dataclass(frozen=True)
class DocumentGraph:
    """One document's graph as N-Quads lines: each quad once, grouped by subject."""

    graph: str  # the document's named graph
    lines: tuple[str, ...]
    own: int  # quads in the document's named graph
    shared: int  # quads in shared entities' graphs
    seal: str = ""  # the line of the document's own pkg:sha256, one of ``lines`` (none: "")

    def nquads(self, *, sha256_last: bool = False) -> bytes:
        """The graph as N-Quads; with ``sha256_last`` the document's ``pkg:sha256`` quad comes
        last, for stores that load a graph in pieces (a graph cut short never looks complete)."""
        if not sha256_last:
            return "".join(self.lines).encode()
        body, seal = self.sealed()
        return body + seal

    def sealed(self) -> tuple[bytes, bytes]:
        """``(body, seal)``: the N-Quads without the document's ``pkg:sha256`` quad, and that quad.

        Stored last, the seal marks the document whole: ingest skips a graph only when its stored
        sha256 matches the file's, so a graph cut short before its seal is stored again.
        """
        if not self.seal:
            return "".join(self.lines).encode(), b""
        at = self.lines.index(self.seal)
        return "".join(self.lines[:at] + self.lines[at + 1 :]).encode(), self.seal.encode()

    def quads(self) -> list[ox.Quad]:
        return list(ox.parse(self.nquads(), format=ox.RdfFormat.N_QUADS))


def document_graph(doc: DocumentRecord, iris: IriScheme | None = None) -> DocumentGraph:
    """Every quad of one document's named graph, duplicates removed, in a stable order."""
    iris = iris or IriScheme()
    builder = _Builder(doc, iris)
    unique = dict.fromkeys(builder.build())
    # Grouped by subject (a stable sort keeps each subject's triples in build order), so Turtle
    # output describes each node in one block.
    lines = tuple(map(itemgetter(1), sorted(unique, key=itemgetter(0))))
    shared = len(builder.shared_lines)
    return DocumentGraph(iris.graph(doc.doc_id), lines, len(lines) - shared, shared, builder.seal)


def document_quads(doc: DocumentRecord, iris: IriScheme | None = None) -> list[ox.Quad]:
    """Every quad of one document's named graph as pyoxigraph quads (see :func:`document_graph`)."""
    return document_graph(doc, iris).quads()
