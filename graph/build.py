"""Records to quads: one document's graph in the public vocabulary.

The output is a list of pyoxigraph ``Quad``s in a deterministic order, so the
same record always serializes to the same bytes. Everything the document says
lives in the document's named graph; what a shared entity (program, division,
indicator, organization, regulation) says about itself lives in that entity's
own named graph, which every document using it adds to. Oxigraph's union
default graph is a bag, not a set: this layout keeps each entity triple once in
the union, so queries over many documents return each label once.
"""

from __future__ import annotations

from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Quad

from policykg.graph.iris import IriScheme
from policykg.graph.kinds import CLASSES, WORDS
from policykg.loaders.records import DocumentRecord, EntityKind, PartRef, Span
from policykg.ontology import DCTERMS, GEO, OA, PKG, PROV, RDF, RDFS, SKOS, XSD

_cache: dict[str, NamedNode] = {}


def _n(iri: str) -> NamedNode:
    node = _cache.get(iri)
    if node is None:
        if len(_cache) > 4096:  # only vocabulary terms are worth keeping
            _cache.clear()
        node = _cache[iri] = NamedNode(iri)
    return node


def _p(ns: str, local: str) -> NamedNode:
    return _n(ns + local)


A = _p(RDF, "type")
LABEL = _p(RDFS, "label")
ALT = _p(SKOS, "altLabel")
DERIVED = _p(PROV, "wasDerivedFrom")
EVIDENCE = _p(PKG, "evidence")
IS_PART_OF = _p(DCTERMS, "isPartOf")
HAS_PART = _p(DCTERMS, "hasPart")
XSD_INTEGER = _p(XSD, "integer")
XSD_DECIMAL = _p(XSD, "decimal")
XSD_DATE = _p(XSD, "date")
XSD_BOOLEAN = _p(XSD, "boolean")

# What a mention names, by graph/kinds.py: its class, and the word its IRI spells the kind with
# (…/mention/program-12-16).
_CLASS = {k: _n(CLASSES[k.value]) for k in EntityKind}
_WORD = {k: WORDS[k.value] for k in EntityKind}


def _int(v: int) -> Literal:
    return Literal(str(v), datatype=XSD_INTEGER)


def _dec(v: Decimal) -> Literal:
    # Canonical xsd:decimal form: no exponent, no trailing zeros beyond one decimal.
    text = format(v.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD_DECIMAL)


class _Builder:
    def __init__(self, doc: DocumentRecord, iris: IriScheme) -> None:
        self.doc = doc
        self.iris = iris
        self.g = _n(iris.graph(doc.doc_id))
        self.doc_node = _n(iris.document(doc.doc_id))
        self.quads: list[Quad] = []
        self._spans: set[Span] = set()

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        # What a shared entity (program, division, indicator …) says about itself
        # goes to the entity's own named graph, so the union of all documents
        # holds each such triple once instead of once per document.
        g = s if self.iris.is_shared(s.value) else self.g
        self.quads.append(Quad(s, p, o, g))

    def span(self, span: Span) -> NamedNode:
        node = _n(self.iris.span(self.doc.doc_id, span.start, span.end))
        if span not in self._spans:
            self._spans.add(span)
            self.add(node, A, _p(OA, "TextPositionSelector"))
            self.add(node, A, _p(OA, "TextQuoteSelector"))
            # xsd:integer, not xsd:nonNegativeInteger: Oxigraph stores derived integer
            # types as xsd:integer, and extract must give the same triples as the store.
            self.add(node, _p(OA, "start"), _int(span.start))
            self.add(node, _p(OA, "end"), _int(span.end))
            self.add(node, _p(OA, "exact"), Literal(self.doc.quote(span)))
            self.add(node, DERIVED, self.doc_node)
        return node

    def part(self, part: PartRef) -> NamedNode:
        if part.kind == "task":
            return _n(self.iris.task(self.doc.doc_id, part.ordinal))
        if part.kind == "section":
            return _n(self.iris.section(self.doc.doc_id, part.ordinal))
        return self.doc_node

    def entity(self, kind: EntityKind, key: str) -> NamedNode:
        if kind is EntityKind.PROGRAM:
            return self.program(key)
        if kind is EntityKind.DIVISION:
            return _n(self.iris.division(key))
        if kind is EntityKind.REGULATION:
            return _n(self.iris.regulation(key))
        return self.organization(key)

    def organization(self, name: str) -> NamedNode:
        """The node of a unit the document names: by its full name where the document gives only
        its level (市教育局 of a 昆明 plan is 昆明市教育局, not 北京's)."""
        return _n(self.iris.organization(self.doc.organization_names.get(name, name)))

    def program(self, name: str) -> NamedNode:
        """The node of the document's program ``name`` (registered ones by their registry id)."""
        rec = self.doc.programs.get(name)
        return _n(self.iris.program(name, rec.registry_id if rec else None))

    def build(self) -> list[Quad]:
        self.document()
        self.structure()
        self.entities()
        self.mentions()
        self.targets()
        return self.quads

    def document(self) -> None:
        d, doc = self.doc_node, self.doc
        self.add(d, A, _p(PKG, "PolicyDocument"))
        if doc.title:
            self.add(d, _p(DCTERMS, "title"), Literal(doc.title))
            self.add(d, LABEL, Literal(doc.title))
        if doc.issued:
            self.add(d, _p(DCTERMS, "issued"), Literal(doc.issued.isoformat(), datatype=XSD_DATE))
        if doc.jurisdiction:
            self.add(d, _p(DCTERMS, "spatial"), _n(self.iris.division(doc.jurisdiction)))
        if doc.publisher:
            org = _n(self.iris.organization(doc.publisher.name))
            self.add(d, _p(DCTERMS, "publisher"), org)
            self.add(org, A, _CLASS[EntityKind.ORGANIZATION])
            if doc.publisher.name not in doc.organization_names.values():
                # else the body names it by its level alone (省农业农村厅): that spelling labels it
                self.add(org, LABEL, Literal(doc.publisher.name))
            self.add(
                d,
                _p(PKG, "publisherInferred"),
                Literal("true" if doc.publisher.inferred else "false", datatype=XSD_BOOLEAN),
            )
            if doc.publisher.evidence:
                self.add(d, _p(PKG, "publisherEvidence"), self.span(doc.publisher.evidence))
        self.add(d, _p(DCTERMS, "source"), Literal(doc.source))
        self.add(d, _p(DCTERMS, "format"), Literal(doc.media_type))
        self.add(d, _p(PKG, "sha256"), Literal(doc.sha256))
        if doc.encoding:
            self.add(d, _p(PKG, "encoding"), Literal(doc.encoding))
        self.add(d, _p(PKG, "text"), Literal(doc.text))
        if doc.body:
            self.add(d, EVIDENCE, self.span(doc.body))

    def structure(self) -> None:
        doc_id = self.doc.doc_id
        for s in self.doc.sections:
            node = _n(self.iris.section(doc_id, s.ordinal))
            self.add(node, A, _p(PKG, "Section"))
            self.add(node, _p(PKG, "ordinal"), _int(s.ordinal))
            self.add(node, _p(PKG, "number"), Literal(s.number))
            self.add(node, LABEL, Literal(s.title))
            self.add(node, IS_PART_OF, self.doc_node)
            self.add(self.doc_node, HAS_PART, node)
            self.add(node, EVIDENCE, self.span(s.title_span))
            self.add(node, DERIVED, self.doc_node)
        for t in self.doc.tasks:
            node = _n(self.iris.task(doc_id, t.ordinal))
            parent = _n(self.iris.section(doc_id, t.section)) if t.section else self.doc_node
            self.add(node, A, _p(PKG, "Task"))
            self.add(node, _p(PKG, "ordinal"), _int(t.ordinal))
            self.add(node, _p(PKG, "number"), Literal(t.number))
            self.add(node, LABEL, Literal(t.title))
            self.add(node, _p(PKG, "text"), Literal(t.text(self.doc.text)))
            self.add(node, IS_PART_OF, parent)
            self.add(parent, HAS_PART, node)
            self.add(node, EVIDENCE, self.span(t.span))
            self.add(node, DERIVED, self.doc_node)
            for program in sorted(t.depends_on):
                self.add(node, _p(PKG, "dependsOn"), self.program(program))
            for item in t.items:
                part = _n(self.iris.item(doc_id, t.ordinal, item.ordinal))
                self.add(part, A, _p(PKG, "Item"))
                self.add(part, _p(PKG, "ordinal"), _int(item.ordinal))
                self.add(part, _p(PKG, "number"), Literal(item.number))
                self.add(part, LABEL, Literal(item.title))
                self.add(part, IS_PART_OF, node)
                self.add(node, HAS_PART, part)
                self.add(part, EVIDENCE, self.span(item.span))
                self.add(part, DERIVED, self.doc_node)
        # A programme whose own text carries the cue (Y依托X, a 专栏 box): the same reification.
        for pdep in self.doc.program_dependencies:
            statement = _n(self.iris.program_dependency(doc_id, pdep.span.start, pdep.span.end))
            self.add(statement, A, _p(RDF, "Statement"))
            self.add(statement, _p(RDF, "subject"), self.program(pdep.program))
            self.add(statement, _p(RDF, "predicate"), _p(PKG, "dependsOn"))
            self.add(statement, _p(RDF, "object"), self.program(pdep.on))
            self.add(statement, _p(PKG, "cue"), Literal(pdep.cue))
            self.add(statement, EVIDENCE, self.span(pdep.span))
            self.add(statement, DERIVED, self.doc_node)
        # An attachment is a part of the document; what is numbered inside it points to it.
        for a in self.doc.attachments:
            node = _n(self.iris.attachment(doc_id, a.ordinal))
            self.add(node, A, _p(PKG, "Attachment"))
            self.add(node, _p(PKG, "ordinal"), _int(a.ordinal))
            if a.number:
                self.add(node, _p(PKG, "number"), Literal(a.number))
            self.add(node, LABEL, Literal(a.title))
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
            self.add(statement, _p(PKG, "cue"), Literal(dep.cue))
            self.add(statement, EVIDENCE, self.span(dep.span))
            self.add(statement, DERIVED, self.doc_node)

    def entities(self) -> None:
        doc = self.doc
        for name in sorted(doc.programs):
            p = doc.programs[name]
            node = self.program(p.name)
            self.add(node, A, _CLASS[EntityKind.PROGRAM])
            self.add(node, LABEL, Literal(p.name))
            for alt in sorted(p.alt_labels - {p.name}):
                self.add(node, ALT, Literal(alt))
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
            self.add(node, _p(PKG, "adminCode"), Literal(code))
            self.add(node, LABEL, Literal(dv.name))
            for alt in sorted(dv.short_names - {dv.name}):
                self.add(node, ALT, Literal(alt))
            self.add(node, _p(PKG, "level"), _p(PKG, dv.level.value))
            if dv.parent_code:
                self.add(node, _p(PKG, "within"), _n(self.iris.division(dv.parent_code)))
            if dv.lat is not None and dv.long is not None:
                self.add(node, _p(GEO, "lat"), _dec(dv.lat))
                self.add(node, _p(GEO, "long"), _dec(dv.long))
        for name in sorted(doc.regulations):
            node = _n(self.iris.regulation(name))
            self.add(node, A, _CLASS[EntityKind.REGULATION])
            self.add(node, LABEL, Literal(name))
        # One label per organization, as the document writes it (the shortest spelling where it
        # writes both 省农业农村厅 and 安徽省农业农村厅); the other spellings and the full name beside it.
        spellings: dict[str, set[str]] = {}
        for name in doc.organizations:
            spellings.setdefault(doc.organization_names.get(name, name), set()).add(name)
        for full in sorted(spellings):
            names = sorted(spellings[full], key=lambda n: (len(n), n))
            node = _n(self.iris.organization(full))
            self.add(node, A, _CLASS[EntityKind.ORGANIZATION])
            self.add(node, LABEL, Literal(names[0]))
            for other in sorted({*names[1:], full} - {names[0]}):
                self.add(node, ALT, Literal(other))
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
            self.add(node, A, _p(PKG, "Mention"))
            self.add(node, _p(PKG, "mentionOf"), entity)
            self.add(node, _p(PKG, "mentionIn"), part)
            self.add(node, EVIDENCE, self.span(m.span))
            self.add(node, DERIVED, self.doc_node)
            if (part.value, entity.value) not in seen:
                seen.add((part.value, entity.value))
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
            self.add(indicator, LABEL, Literal(t.indicator_name or t.indicator))
            if t.indicator_name and t.indicator_name != t.indicator:
                self.add(indicator, ALT, Literal(t.indicator))
            self.add(node, LABEL, Literal(self.doc.quote(t.span)))
            if t.value is not None:
                self.add(node, _p(PKG, "value"), _dec(t.value))
            if t.min_value is not None:
                self.add(node, _p(PKG, "minValue"), _dec(t.min_value))
            if t.max_value is not None:
                self.add(node, _p(PKG, "maxValue"), _dec(t.max_value))
            if t.unit:
                self.add(node, _p(PKG, "unit"), Literal(t.unit))
            if t.comparator:
                self.add(node, _p(PKG, "comparator"), _p(PKG, t.comparator.value))
            if t.deadline:
                self.add(node, _p(PKG, "deadline"), Literal(t.deadline.isoformat(), datatype=XSD_DATE))
            if t.baseline is not None:
                self.add(node, _p(PKG, "baseline"), _dec(t.baseline))
            if t.bindingness:
                self.add(node, _p(PKG, "bindingness"), _p(PKG, t.bindingness))
            if t.value_missing:
                self.add(node, _p(PKG, "valueMissing"), Literal("true", datatype=XSD_BOOLEAN))
            if t.period:
                self.add(node, _p(PKG, "period"), Literal(t.period))
            for code in t.divisions:
                self.add(node, _p(PKG, "appliesTo"), _n(self.iris.division(code)))
            self.add(node, EVIDENCE, self.span(t.span))
            self.add(node, DERIVED, self.doc_node)


def document_quads(doc: DocumentRecord, iris: IriScheme | None = None) -> list[Quad]:
    """Every quad of one document's named graph, duplicates removed, in a stable order."""
    quads = _Builder(doc, iris or IriScheme()).build()
    seen: set[Quad] = set()
    out = []
    for q in quads:
        if q not in seen:
            seen.add(q)
            out.append(q)
    # Group by subject (a stable sort keeps each subject's triples in build order)
    # so Turtle output describes each node in one block.
    out.sort(key=lambda q: getattr(q.subject, "value", ""))
    return out
