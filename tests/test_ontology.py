"""The ontology keeps the vocabulary's promise, and the shapes tell good graphs from broken ones.

The vocabulary is read from docs/vocabulary.md (the repo's copy of the public
spec, saying what this project implements), so a term added there without a
definition in ontology/policykg.ttl fails here. So does a term the graph
builder emits (graph/build.py) that the ontology does not declare, and a graph
the builder makes with every optional field set must satisfy the shapes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.graph import Dataset

from policykg.ontology import ONTOLOGY_FILE, PREFIXES, SHAPES_FILE
from policykg.ontology.validate import ValidationResult, Violation, validate

REPO = Path(__file__).resolve().parent.parent
VOCABULARY_MD = REPO / "docs" / "vocabulary.md"

# Open namespaces rather than rdflib's closed ones: pytest probes module globals
# for mock attributes, which closed namespaces answer with a warning.
RDF = Namespace(PREFIXES["rdf"])
RDFS = Namespace(PREFIXES["rdfs"])
OWL = Namespace(PREFIXES["owl"])
XSD = Namespace(PREFIXES["xsd"])
SKOS = Namespace(PREFIXES["skos"])
PKG = Namespace(PREFIXES["pkg"])
DCT = Namespace(PREFIXES["dcterms"])
PROV = Namespace(PREFIXES["prov"])
ORG = Namespace(PREFIXES["org"])
OA = Namespace(PREFIXES["oa"])
GEO = Namespace(PREFIXES["geo"])
SH = Namespace("http://www.w3.org/ns/shacl#")
ONTOLOGY_IRI = URIRef("https://w3id.org/policykg/ontology")

# Terms the graph builder emits beyond the spec; they must be defined too.
EXTRA_TERMS = """
Mention AdministrativeLevel Comparator Bindingness mentionOf mentionIn evidence text sha256 encoding
number ordinal adminCode level within value minValue maxValue unit comparator deadline
indicator valueMissing period publisherInferred publisherEvidence mentions partOf dependsOn
hasTarget appliesTo Province Prefecture County AtLeast AtMost Exactly Approximately Between
IncreaseBy DecreaseBy baseline bindingness Binding Anticipatory ledBy supportedBy successorOf
""".split()

DEFINING_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual, OWL.AnnotationProperty}


# ---------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def vocabulary_terms() -> set[str]:
    """Every `prefix:Name` the public vocabulary mentions, as prefixed names.

    Taken from inline code (the tables and lists) and from the Turtle examples,
    for the prefixes the ontology knows; `ex:` example nodes are skipped.
    """
    md = VOCABULARY_MD.read_text(encoding="utf-8")
    known = "|".join(p for p in PREFIXES if p not in {"rdf", "xsd", "owl"})
    term = re.compile(rf"(?<![\w/#])({known}):([A-Za-z][A-Za-z0-9]*)")
    chunks = re.findall(r"`([^`\n]+)`", md) + re.findall(r"```turtle\n(.*?)```", md, re.S)
    return {f"{p}:{n}" for chunk in chunks for p, n in term.findall(chunk)}


def expand(curie: str) -> URIRef:
    prefix, name = curie.split(":", 1)
    return URIRef(PREFIXES[prefix] + name)


def langs(graph: Graph, subject: URIRef, pred: URIRef) -> set[str]:
    return {o.language for o in graph.objects(subject, pred) if isinstance(o, Literal) and o.language}


# ---------------------------------------------------------------------------
# the ontology


def test_vocabulary_copy_is_present_and_parsed():
    terms = vocabulary_terms()
    # A sanity floor: the tables name the classes, links and target fields.
    for must in (
        "pkg:PolicyDocument",
        "pkg:Task",
        "pkg:mentions",
        "pkg:comparator",
        "dcterms:isPartOf",
        "org:Organization",
        "oa:exact",
        "geo:lat",
    ):
        assert must in terms, must
    assert len(terms) > 50


def test_ontology_header(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY_IRI, OWL.versionInfo) == Literal("0.1.0")


@pytest.mark.parametrize(
    "curie", sorted({t for t in vocabulary_terms() if t.startswith("pkg:")} | {f"pkg:{t}" for t in EXTRA_TERMS})
)
def test_pkg_term_defined_in_both_languages(ontology, curie):
    iri = expand(curie)
    types = set(ontology.objects(iri, RDF.type))
    assert types & DEFINING_TYPES, f"{curie} is not declared as an OWL class, property or individual"
    assert {"en", "zh"} <= langs(ontology, iri, RDFS.label), f"{curie} needs rdfs:label @en and @zh"
    assert {"en", "zh"} <= langs(ontology, iri, RDFS.comment), f"{curie} needs rdfs:comment @en and @zh"


@pytest.mark.parametrize("curie", sorted(t for t in vocabulary_terms() if not t.startswith(("pkg:", "rdfs:"))))
def test_reused_term_declared_with_usage_note(ontology, curie):
    """Standard terms are not redefined, but declared with a note on how policykg uses them.

    rdfs: terms are OWL built-ins and need no declaration.
    """
    iri = expand(curie)
    assert set(ontology.objects(iri, RDF.type)) & DEFINING_TYPES, f"{curie} is not declared"
    assert {"en", "zh"} <= langs(ontology, iri, SKOS.scopeNote), f"{curie} needs skos:scopeNote @en and @zh"


def test_every_pkg_term_used_anywhere_is_defined(ontology, shapes):
    """Catches typos: a pkg: IRI in either file that the ontology does not define."""
    defined = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(PKG))}
    used = {
        t
        for g in (ontology, shapes)
        for triple in g
        for t in triple
        if isinstance(t, URIRef) and str(t).startswith(str(PKG))
    }
    assert used - defined == set()


def builder_terms() -> set[str]:
    """Every pkg: local name graph/build.py can emit: the literal ones (``_p(PKG, "ledBy")``) and
    the ones it takes from the records (comparators, division levels, bindingness)."""
    from policykg.loaders.indicator_tables import _BINDING
    from policykg.loaders.records import Comparator, DivisionLevel

    source = (REPO / "graph" / "build.py").read_text(encoding="utf-8")
    # Every string in a _p(PKG, …) call, also where it is chosen: _p(PKG, "ledBy" if … else "supportedBy").
    literal = {
        name
        for args in re.findall(r"_p\(PKG, ([^()]*)\)", source)
        for name in re.findall(r'"([A-Za-z][A-Za-z0-9]*)"', re.sub(r'[=!]=\s*"[^"]*"', "", args))
    }
    assert {"ledBy", "supportedBy", "baseline", "bindingness"} <= literal  # the pattern still finds them
    return literal | {c.value for c in Comparator} | {lv.value for lv in DivisionLevel} | set(_BINDING.values())


@pytest.mark.parametrize("name", sorted(builder_terms()))
def test_every_term_the_builder_emits_is_declared(ontology, name):
    iri = PKG[name]
    assert set(ontology.objects(iri, RDF.type)) & DEFINING_TYPES, (
        f"graph/build.py emits pkg:{name} but ontology/policykg.ttl does not declare it"
    )
    assert {"en", "zh"} <= langs(ontology, iri, RDFS.label), f"pkg:{name} needs rdfs:label @en and @zh"


def record_with_every_field():
    """A document record that sets every field the graph builder turns into a pkg: term:
    responsibilities of both roles, a task's and a program's dependencies, a successor, a
    baseline, both bindingness values, a goal outside any task, a blank value, a period."""
    from datetime import date
    from decimal import Decimal

    from policykg.loaders.records import (
        Comparator,
        DivisionLevel,
        DivisionRecord,
        DocumentRecord,
        EntityKind,
        Mention,
        PartRef,
        ProgramRecord,
        PublisherRecord,
        ResponsibilityRecord,
        SectionRecord,
        Span,
        TargetRecord,
        TaskRecord,
    )

    lines = [
        "2021年工作方案",
        "一、主要目标",
        "到2025年,城市内涝防治达标率达到95%(约束性)。",
        "二、重点任务",
        "1.实施排涝工程。依托全面改薄推进,污水处理能力从3.5万吨/日提高到6万吨/日(预期性),"
        "每年新增示范校 所。(牵头单位:市住房城乡建设局;配合单位:市财政局)",
        "2.推进义务教育薄弱环节改善与能力提升。在排涝工程基础上完善。",
        "昆明市人民政府",
    ]
    text = "\n".join(lines)

    def at(quote: str) -> Span:
        k = text.index(quote)
        return Span(k, k + len(quote))

    def line(n: int) -> Span:
        return at(lines[n])

    doc = DocumentRecord(
        doc_id="every-field",
        source="every-field.txt",
        sha256="cd" * 32,
        media_type="text/plain",
        encoding="utf-8",
        text=text,
    )
    doc.title, doc.title_span = lines[0], line(0)
    doc.body = Span(line(1).start, len(text))
    doc.issued = date(2021, 3, 1)
    doc.publisher = PublisherRecord("昆明市人民政府", inferred=True, evidence=at("昆明市人民政府"))
    doc.jurisdiction = "530100"
    doc.sections = [
        SectionRecord(1, "一", "主要目标", at("主要目标"), Span(line(1).start, line(2).end)),
        SectionRecord(2, "二", "重点任务", at("重点任务"), Span(line(3).start, line(5).end)),
    ]
    doc.tasks = [
        TaskRecord(1, "1", "实施排涝工程", at("实施排涝工程"), line(4), 2, depends_on={"全面改薄"}),
        TaskRecord(2, "2", "推进义务教育薄弱环节改善与能力提升", at("推进义务教育薄弱环节改善与能力提升"), line(5), 2),
    ]
    doc.programs = {
        "排涝工程": ProgramRecord("排涝工程"),
        "全面改薄": ProgramRecord("全面改薄", registry_id="quanmian-gaibao"),
        "义务教育薄弱环节改善与能力提升": ProgramRecord(
            "义务教育薄弱环节改善与能力提升",
            registry_id="yiwu-jiaoyu-boruo-huanjie",
            successor_of="全面改薄",
            depends_on={"排涝工程"},
            part_of="全面改薄",
        ),
    }
    doc.divisions = {
        "530000": DivisionRecord(
            "530000",
            "云南省",
            DivisionLevel.PROVINCE,
            short_names={"云南"},
            lat=Decimal("25.0453"),
            long=Decimal("102.7097"),
        ),
        "530100": DivisionRecord("530100", "昆明市", DivisionLevel.PREFECTURE, "530000", {"昆明"}),
    }
    doc.regulations = set()
    doc.organizations = {"市住房城乡建设局", "市财政局"}
    bracket = at("(牵头单位:市住房城乡建设局;配合单位:市财政局)")
    doc.responsibilities = [
        ResponsibilityRecord(1, "市住房城乡建设局", "lead", bracket),
        ResponsibilityRecord(1, "市财政局", "support", bracket),
    ]
    doc.mentions = [
        Mention(EntityKind.PROGRAM, "排涝工程", "排涝工程", at("排涝工程"), PartRef.task(1)),
        Mention(EntityKind.PROGRAM, "全面改薄", "全面改薄", at("全面改薄"), PartRef.task(1)),
        Mention(
            EntityKind.PROGRAM,
            "义务教育薄弱环节改善与能力提升",
            "义务教育薄弱环节改善与能力提升",
            at("义务教育薄弱环节改善与能力提升"),
            PartRef.task(2),
        ),
        Mention(
            EntityKind.ORGANIZATION, "市住房城乡建设局", "市住房城乡建设局", at("市住房城乡建设局"), PartRef.task(1)
        ),
        Mention(EntityKind.ORGANIZATION, "市财政局", "市财政局", at("市财政局"), PartRef.task(1)),
        Mention(EntityKind.DIVISION, "530100", "昆明市", at("昆明市"), PartRef.document()),
    ]
    doc.targets = [
        TargetRecord(
            PartRef.section(1),
            "城市内涝防治达标率",
            at("城市内涝防治达标率达到95%"),
            value=Decimal(95),
            unit="%",
            comparator=Comparator.AT_LEAST,
            deadline=date(2025, 12, 31),
            divisions=["530100"],
            bindingness="Binding",
        ),
        TargetRecord(
            PartRef.task(1),
            "污水处理能力",
            at("污水处理能力从3.5万吨/日提高到6万吨/日"),
            value=Decimal(60000),
            unit="吨/日",
            comparator=Comparator.EXACTLY,
            baseline=Decimal(35000),
            bindingness="Anticipatory",
        ),
        TargetRecord(
            PartRef.task(1), "新增示范校", at("每年新增示范校 所"), unit="所", value_missing=True, period="year"
        ),
        TargetRecord(
            PartRef.task(1),
            "新增示范校",
            at("新增示范校"),
            min_value=Decimal(3),
            max_value=Decimal(5),
            unit="所",
            comparator=Comparator.BETWEEN,
        ),
    ]
    return doc


@pytest.fixture(scope="module")
def built_with_every_field() -> Dataset:
    from policykg.graph.build import document_quads
    from policykg.graph.serialize import serialize_quads

    ds = Dataset()
    ds.parse(data=serialize_quads(document_quads(record_with_every_field()), "nquads"), format="nquads")
    return ds


def test_the_builder_emits_only_declared_terms(ontology, built_with_every_field):
    """Run, not read: every pkg: IRI in a built graph (as type, predicate or value) is declared."""
    used = {
        t
        for s, p, o, _ in built_with_every_field.quads((None, None, None, None))
        for t in (p, o)
        if isinstance(t, URIRef) and str(t).startswith(str(PKG))
    }
    for term in (
        "ledBy",
        "supportedBy",
        "successorOf",
        "dependsOn",
        "baseline",
        "bindingness",
        "Binding",
        "Anticipatory",
        "partOf",
        "valueMissing",
        "period",
        "hasTarget",
    ):
        assert PKG[term] in used, f"the record with every field no longer makes the builder emit pkg:{term}"
    declared = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(PKG))}
    assert sorted(used - declared) == [], "emitted by graph/build.py but not declared in ontology/policykg.ttl"


def test_a_built_graph_with_every_field_conforms(built_with_every_field):
    result = validate(built_with_every_field)
    assert result.conforms and result.violations == [], result.format()


def test_individuals_and_alignments(ontology):
    for level in ("Province", "Prefecture", "County"):
        assert (PKG[level], RDF.type, PKG.AdministrativeLevel) in ontology
    for comp in ("AtLeast", "AtMost", "Exactly", "Approximately", "Between", "IncreaseBy", "DecreaseBy"):
        assert (PKG[comp], RDF.type, PKG.Comparator) in ontology
    for kind in ("Binding", "Anticipatory"):
        assert (PKG[kind], RDF.type, PKG.Bindingness) in ontology
    assert (PKG.successorOf, RDFS.subPropertyOf, DCT.replaces) in ontology
    eli = Namespace(PREFIXES["eli"])
    assert (PKG.PolicyDocument, RDFS.subClassOf, eli.LegalResource) in ontology
    assert (PKG.PolicyDocument, RDFS.subClassOf, PROV.Entity) in ontology
    assert (PKG.Section, RDFS.subClassOf, eli.LegalResourceSubdivision) in ontology
    assert (PKG.Task, RDFS.subClassOf, eli.LegalResourceSubdivision) in ontology
    assert (PKG.AdministrativeDivision, RDFS.subClassOf, GEO.SpatialThing) in ontology
    assert (PKG.Indicator, RDFS.subClassOf, SKOS.Concept) in ontology
    assert (PKG.Program, RDFS.subClassOf, PROV.Plan) in ontology


def test_every_class_has_a_shape(ontology, shapes):
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(PKG))}
    targeted = set(shapes.objects(None, SH.targetClass))
    assert classes - targeted == set()
    assert ORG.Organization in targeted


def test_every_shape_constraint_has_a_message(shapes):
    """A report line is only useful with a message: every property shape and SPARQL constraint has one."""
    for pred in (SH.property, SH.sparql):
        for node in shapes.objects(None, pred):
            assert shapes.value(node, SH.message) is not None, f"{pred} {node} has no sh:message"


# ---------------------------------------------------------------------------
# a small, correct graph that uses every class


ID = Namespace("https://w3id.org/policykg/id/")

TEXT = (
    "2017年工作要点\n"
    "一、以改革创新为动力,全面实施“三名工程”\n"
    "1.实施名校建设工程。新增优质学校11所,学前三年毛入园率保持在99%以上。"
    "加强与清华附中合作,贯彻《幼儿园工作规程》,支持寻甸县发展。\n"
    "2.推进标准化建设。新增标准化学校3至5所,标准化学校达标率从80%提高到90%。"
    "(牵头单位:昆明市教育局;配合单位:昆明市财政局)\n"
    "全市教育系统要抓好落实。\n"
    "附件1:考评指标"
)


class GraphBuilder:
    """Builds the hand-made graph; spans are cut from TEXT so offsets are right by construction."""

    def __init__(self) -> None:
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.doc = ID["doc/kunming-2017"]
        self.mentions = 0

    def span(self, quote: str, occurrence: int = 0) -> URIRef:
        start = -1
        for _ in range(occurrence + 1):
            start = TEXT.index(quote, start + 1)
        end = start + len(quote)
        node = ID[f"doc/kunming-2017/span/{start}-{end}"]
        g = self.g
        g.add((node, RDF.type, OA.TextPositionSelector))
        g.add((node, RDF.type, OA.TextQuoteSelector))
        g.add((node, OA.start, Literal(start, datatype=XSD.integer)))
        g.add((node, OA.end, Literal(end, datatype=XSD.integer)))
        g.add((node, OA.exact, Literal(quote)))
        g.add((node, PROV.wasDerivedFrom, self.doc))
        return node

    def read(self, node: URIRef, cls: URIRef, quote: str) -> URIRef:
        self.g.add((node, RDF.type, cls))
        self.g.add((node, PKG.evidence, self.span(quote)))
        self.g.add((node, PROV.wasDerivedFrom, self.doc))
        return node

    def mention(self, where: URIRef, entity: URIRef, quote: str) -> None:
        self.mentions += 1
        m = self.read(ID[f"doc/kunming-2017/mention/{self.mentions}"], PKG.Mention, quote)
        self.g.add((m, PKG.mentionIn, where))
        self.g.add((m, PKG.mentionOf, entity))
        self.g.add((where, PKG.mentions, entity))

    def part(self, whole: URIRef, part: URIRef) -> None:
        self.g.add((part, DCT.isPartOf, whole))
        self.g.add((whole, DCT.hasPart, part))


def division(
    g: Graph,
    code: str,
    name: str,
    short: str,
    level: str,
    within: str | None,
    lat: str | None = None,
    long: str | None = None,
) -> URIRef:
    node = ID[f"division/{code}"]
    g.add((node, RDF.type, PKG.AdministrativeDivision))
    g.add((node, PKG.adminCode, Literal(code)))
    g.add((node, RDFS.label, Literal(name, lang="zh")))
    g.add((node, SKOS.altLabel, Literal(short, lang="zh")))
    g.add((node, PKG.level, PKG[level]))
    if within:
        g.add((node, PKG.within, ID[f"division/{within}"]))
    if lat:
        g.add((node, GEO.lat, Literal(lat, datatype=XSD.decimal)))
        g.add((node, GEO.long, Literal(long, datatype=XSD.decimal)))
    return node


def entity(g: Graph, kind: str, cls: URIRef, label: str, *alt: str) -> URIRef:
    node = ID[f"{kind}/{label}"]
    g.add((node, RDF.type, cls))
    g.add((node, RDFS.label, Literal(label, lang="zh")))
    for a in alt:
        g.add((node, SKOS.altLabel, Literal(a, lang="zh")))
    return node


def target(
    b: GraphBuilder, task: URIRef, n: int, indicator: URIRef, quote: str, comparator: str, unit: str, **values: str
) -> URIRef:
    t = b.read(ID[f"doc/kunming-2017/target/{n}"], PKG.Target, quote)
    g = b.g
    g.add((task, PKG.hasTarget, t))
    g.add((t, PKG.indicator, indicator))
    g.add((t, PKG.comparator, PKG[comparator]))
    g.add((t, PKG.unit, Literal(unit)))
    for key, val in values.items():
        g.add((t, PKG[key], Literal(val, datatype=XSD.decimal)))
    return t


def build_correct_graph() -> Graph:
    b = GraphBuilder()
    g, doc = b.g, b.doc

    province = division(g, "530000", "云南省", "云南", "Province", None, "25.0453", "102.7097")
    city = division(g, "530100", "昆明市", "昆明", "Prefecture", "530000", "25.0406", "102.7129")
    county = division(g, "530129", "寻甸回族彝族自治县", "寻甸县", "County", "530100")
    assert province and county

    bureau = entity(g, "org", ORG.Organization, "昆明市教育局")
    finance = entity(g, "org", ORG.Organization, "昆明市财政局")
    school = entity(g, "org", ORG.Organization, "清华附中")
    g.add((bureau, DCT.spatial, city))
    g.add((finance, DCT.spatial, city))
    sanming = entity(g, "program", PKG.Program, "三名工程")
    mingxiao = entity(g, "program", PKG.Program, "名校建设工程", "名校工程")
    g.add((mingxiao, PKG.partOf, sanming))
    later = entity(g, "program", PKG.Program, "新时代名校建设工程")
    g.add((later, PKG.successorOf, mingxiao))
    rule = entity(g, "regulation", PKG.Regulation, "幼儿园工作规程")
    good_schools = entity(g, "indicator", PKG.Indicator, "新增优质学校")
    enrolment = entity(g, "indicator", PKG.Indicator, "学前三年毛入园率", "毛入园率")
    standard = entity(g, "indicator", PKG.Indicator, "新增标准化学校")
    rate = entity(g, "indicator", PKG.Indicator, "标准化学校达标率")

    g.add((doc, RDF.type, PKG.PolicyDocument))
    g.add((doc, DCT["title"], Literal("2017年工作要点")))
    g.add((doc, DCT.issued, Literal("2017-03-31", datatype=XSD.date)))
    g.add((doc, DCT.spatial, city))
    g.add((doc, DCT.publisher, bureau))
    g.add((doc, PKG.publisherInferred, Literal(True)))
    g.add((doc, PKG.publisherEvidence, b.span("全市教育系统")))
    g.add((doc, DCT.source, Literal("kunming-2017-education-workplan.txt")))
    g.add((doc, DCT["format"], Literal("text/plain")))
    g.add((doc, PKG.encoding, Literal("utf-8")))
    g.add((doc, PKG.sha256, Literal("ab" * 32)))
    g.add((doc, PKG.text, Literal(TEXT)))
    g.add((doc, PKG.evidence, b.span("2017年工作要点")))

    section = b.read(ID["doc/kunming-2017/section/1"], PKG.Section, "一、以改革创新为动力,全面实施“三名工程”")
    g.add((section, PKG.ordinal, Literal(1)))
    g.add((section, RDFS.label, Literal("以改革创新为动力,全面实施“三名工程”")))
    b.part(doc, section)
    b.mention(section, sanming, "三名工程")
    g.add((doc, PKG.mentions, sanming))  # a roll-up, backed by the section's mention

    line1 = TEXT.splitlines()[2]
    task1 = b.read(ID["doc/kunming-2017/task/1"], PKG.Task, line1)
    g.add((task1, PKG.ordinal, Literal(1)))
    g.add((task1, PKG.number, Literal("1")))
    g.add((task1, RDFS.label, Literal("实施名校建设工程")))
    g.add((task1, PKG.text, Literal(line1)))
    g.add((task1, PKG.dependsOn, sanming))
    because = b.read(ID["doc/kunming-2017/dependency/1-6"], RDF.Statement, "实施名校建设工程")
    g.add((because, RDF.subject, task1))
    g.add((because, RDF.predicate, PKG.dependsOn))
    g.add((because, RDF.object, sanming))
    g.add((because, PKG.cue, Literal("依托")))
    b.part(section, task1)
    b.mention(task1, mingxiao, "名校建设工程")
    b.mention(task1, school, "清华附中")
    b.mention(task1, rule, "幼儿园工作规程")
    b.mention(task1, county, "寻甸县")
    item = b.read(ID["doc/kunming-2017/task/1/item/1"], PKG.Item, "实施名校建设工程")
    g.add((item, PKG.ordinal, Literal(1)))
    g.add((item, PKG.number, Literal("（1）")))
    g.add((item, RDFS.label, Literal("实施名校建设工程")))
    b.part(task1, item)

    line2 = TEXT.splitlines()[3]
    task2 = b.read(ID["doc/kunming-2017/task/2"], PKG.Task, line2)
    g.add((task2, PKG.ordinal, Literal(2)))
    g.add((task2, PKG.number, Literal("2")))
    g.add((task2, RDFS.label, Literal("推进标准化建设")))
    g.add((task2, PKG.text, Literal(line2)))
    g.add((task2, PKG.dependsOn, task1))
    g.add((task2, PKG.ledBy, bureau))
    g.add((task2, PKG.supportedBy, finance))
    b.part(section, task2)
    b.mention(task2, bureau, "昆明市教育局")
    b.mention(task2, finance, "昆明市财政局")

    attachment = b.read(ID["doc/kunming-2017/attachment/1"], PKG.Attachment, "考评指标")
    g.add((attachment, PKG.ordinal, Literal(1)))
    g.add((attachment, PKG.number, Literal("1")))
    g.add((attachment, RDFS.label, Literal("考评指标")))
    b.part(doc, attachment)

    target(b, task1, 1, good_schools, "新增优质学校11所", "Exactly", "所", value="11")
    t2 = target(b, task1, 2, enrolment, "学前三年毛入园率保持在99%以上", "AtLeast", "%", value="99.0")
    g.add((t2, PKG.deadline, Literal("2017-12-31", datatype=XSD.date)))
    g.add((t2, PKG.appliesTo, county))
    target(b, task2, 3, standard, "新增标准化学校3至5所", "Between", "所", minValue="3", maxValue="5")
    t4 = target(b, task2, 4, rate, "标准化学校达标率从80%提高到90%", "AtLeast", "%", value="90", baseline="80")
    g.add((t4, PKG.bindingness, PKG.Binding))
    return g


def copy(g: Graph) -> Graph:
    out = Graph()
    for t in g:
        out.add(t)
    return out


@pytest.fixture(scope="module")
def correct() -> Graph:
    return build_correct_graph()


@pytest.fixture(scope="module")
def correct_result(correct) -> ValidationResult:
    return validate(correct)


def test_correct_graph_conforms_without_warnings(correct_result):
    assert correct_result.conforms, correct_result.format()
    assert correct_result.violations == [], correct_result.format()


def test_correct_graph_uses_every_class(correct, ontology):
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(PKG))}
    used = set(correct.objects(None, RDF.type))
    # Levels and comparators are individuals of the ontology, used by reference.
    for pred in (PKG.level, PKG.comparator, PKG.bindingness):
        for individual in correct.objects(None, pred):
            used |= set(ontology.objects(individual, RDF.type))
    assert classes - used == set()
    assert ORG.Organization in used


def test_union_of_named_graphs_is_validated(correct):
    """A division described in two document graphs dedups in the union and still conforms."""
    ds = Dataset()
    first, second = ds.graph(ID["graph/a"]), ds.graph(ID["graph/b"])
    for t in correct:
        first.add(t)
    # A second document's graph repeats the shared division and program triples.
    for s, p, o in correct:
        if str(s).startswith(str(ID["division/"])) or str(s).startswith(str(ID["program/"])):
            second.add((s, p, o))
    result = validate(ds)
    assert result.conforms, result.format()


# ---------------------------------------------------------------------------
# broken graphs


def _task(n: int) -> URIRef:
    return ID[f"doc/kunming-2017/task/{n}"]


def _target(n: int) -> URIRef:
    return ID[f"doc/kunming-2017/target/{n}"]


def _first_span(g: Graph) -> URIRef:
    return sorted(g.subjects(RDF.type, OA.TextPositionSelector))[0]


def _drop(g: Graph, s, p) -> None:
    g.remove((s, p, None))


def _set(g: Graph, s, p, o) -> None:
    g.set((s, p, o))


BROKEN = {
    "dependency statement without its cue": (
        lambda g: _drop(g, ID["doc/kunming-2017/dependency/1-6"], PKG.cue),
        ID["doc/kunming-2017/dependency/1-6"],
        PKG.cue,
        "A dependency statement needs its cue words",
    ),
    "item part of a section": (
        lambda g: _set(g, ID["doc/kunming-2017/task/1/item/1"], DCT.isPartOf, ID["doc/kunming-2017/section/1"]),
        ID["doc/kunming-2017/task/1/item/1"],
        DCT.isPartOf,
        "An item needs exactly one dcterms:isPartOf pointing to its pkg:Task",
    ),
    "a task in a section instead of an attachment": (
        lambda g: g.add((_task(2), PKG.inAttachment, ID["doc/kunming-2017/section/1"])),
        _task(2),
        PKG.inAttachment,
        "pkg:inAttachment must point to one pkg:Attachment",
    ),
    "organization in two divisions": (
        lambda g: g.add((ID["org/昆明市教育局"], DCT.spatial, ID["division/530000"])),
        ID["org/昆明市教育局"],
        DCT.spatial,
        "An organization belongs to at most one pkg:AdministrativeDivision",
    ),
    "attachment without title": (
        lambda g: _drop(g, ID["doc/kunming-2017/attachment/1"], RDFS.label),
        ID["doc/kunming-2017/attachment/1"],
        RDFS.label,
        "An attachment needs exactly one rdfs:label",
    ),
    "task without label": (
        lambda g: _drop(g, _task(1), RDFS.label),
        _task(1),
        RDFS.label,
        "A task needs exactly one rdfs:label",
    ),
    "target without evidence": (
        lambda g: _drop(g, _target(1), PKG.evidence),
        _target(1),
        PKG.evidence,
        "needs exactly one pkg:evidence span",
    ),
    "adminCode 5301": (
        lambda g: _set(g, ID["division/530129"], PKG.adminCode, Literal("5301")),
        ID["division/530129"],
        PKG.adminCode,
        "6-digit GB/T 2260 code",
    ),
    "comparator not in the list": (
        lambda g: _set(g, _target(1), PKG.comparator, PKG.GreaterThan),
        _target(1),
        PKG.comparator,
        "pkg:comparator must be one of",
    ),
    "span with start > end": (
        lambda g: _set(g, _first_span(g), OA.start, Literal(10_000, datatype=XSD.integer)),
        None,
        OA.start,
        "oa:start must not be greater than its oa:end",
    ),
    "Between without maxValue": (
        lambda g: _drop(g, _target(3), PKG.maxValue),
        _target(3),
        None,
        "A pkg:Between target needs both pkg:minValue and pkg:maxValue",
    ),
    "target without indicator": (
        lambda g: _drop(g, _target(2), PKG.indicator),
        _target(2),
        PKG.indicator,
        "A target needs exactly one pkg:indicator",
    ),
    "section ordinal 0": (
        lambda g: _set(g, ID["doc/kunming-2017/section/1"], PKG.ordinal, Literal(0)),
        ID["doc/kunming-2017/section/1"],
        PKG.ordinal,
        "xsd:integer >= 1",
    ),
    "task without isPartOf": (
        lambda g: _drop(g, _task(2), DCT.isPartOf),
        _task(2),
        DCT.isPartOf,
        "A task needs exactly one dcterms:isPartOf",
    ),
    "value as a string": (
        lambda g: _set(g, _target(1), PKG.value, Literal("11")),
        _target(1),
        PKG.value,
        "pkg:value must be a single xsd:decimal",
    ),
    "quote that is not in the text": (
        lambda g: _set(g, _first_span(g), OA.exact, Literal("X" * len(str(g.value(_first_span(g), OA.exact))))),
        None,
        None,
        "oa:exact differs from the document's pkg:text",
    ),
    "division level not in the list": (
        lambda g: _set(g, ID["division/530100"], PKG.level, PKG.City),
        ID["division/530100"],
        PKG.level,
        "pkg:Province, pkg:Prefecture or pkg:County",
    ),
    "mention without the shortcut": (
        lambda g: g.remove((_task(1), PKG.mentions, ID["org/清华附中"])),
        None,
        None,
        "not reflected by the pkg:mentions shortcut",
    ),
    "hasPart without isPartOf": (
        lambda g: g.remove((_task(2), DCT.isPartOf, ID["doc/kunming-2017/section/1"])),
        _task(2),
        None,
        "without the inverse dcterms:isPartOf",
    ),
    "isPartOf without hasPart": (
        lambda g: g.remove((ID["doc/kunming-2017/section/1"], DCT.hasPart, _task(1))),
        _task(1),
        DCT.isPartOf,
        "without the inverse dcterms:hasPart",
    ),
    "duplicate task ordinal": (
        lambda g: _set(g, _task(2), PKG.ordinal, Literal(1)),
        _task(2),
        PKG.ordinal,
        "Another section or task of the same document has this pkg:ordinal",
    ),
    "quote of the wrong length": (
        lambda g: _set(g, _first_span(g), OA.exact, Literal("x")),
        None,
        OA.exact,
        "oa:exact does not have oa:end - oa:start characters",
    ),
    "span beyond the text": (
        lambda g: (
            _set(g, _first_span(g), OA.start, Literal(len(TEXT), datatype=XSD.integer)),
            _set(g, _first_span(g), OA.end, Literal(len(TEXT) + 1, datatype=XSD.integer)),
            _set(g, _first_span(g), OA.exact, Literal("x")),
        ),
        None,
        OA.end,
        "oa:end lies beyond the end of the document's pkg:text",
    ),
    "mentions link without a Mention": (
        lambda g: g.add((_task(2), PKG.mentions, ID["org/清华附中"])),
        _task(2),
        PKG.mentions,
        "has no pkg:Mention",
    ),
    "program part of itself": (
        lambda g: g.add((ID["program/三名工程"], PKG.partOf, ID["program/三名工程"])),
        ID["program/三名工程"],
        None,
        "cannot be pkg:partOf",
    ),
    "inferred publisher missing": (
        lambda g: _drop(g, ID["doc/kunming-2017"], DCT.publisher),
        ID["doc/kunming-2017"],
        PKG.publisherInferred,
        "has no dcterms:publisher",
    ),
    "evidence from another document": (
        lambda g: (
            _set(g, g.value(_target(1), PKG.evidence), PROV.wasDerivedFrom, ID["doc/other"]),
            g.add((ID["doc/other"], RDF.type, PKG.PolicyDocument)),
        ),
        _target(1),
        PKG.evidence,
        "derived from another document",
    ),
    "document without sha256": (
        lambda g: _drop(g, ID["doc/kunming-2017"], PKG.sha256),
        ID["doc/kunming-2017"],
        PKG.sha256,
        "exactly one pkg:sha256",
    ),
    "bindingness not in the list": (
        lambda g: _set(g, _target(4), PKG.bindingness, PKG.Mandatory),
        _target(4),
        PKG.bindingness,
        "pkg:bindingness must be one of pkg:Binding, pkg:Anticipatory",
    ),
    "two bindingness values": (
        lambda g: g.add((_target(4), PKG.bindingness, PKG.Anticipatory)),
        _target(4),
        PKG.bindingness,
        "pkg:bindingness must be one of",
    ),
    "baseline as a string": (
        lambda g: _set(g, _target(4), PKG.baseline, Literal("80")),
        _target(4),
        PKG.baseline,
        "pkg:baseline must be a single xsd:decimal",
    ),
    "lead unit that is no organization": (
        lambda g: g.add((_task(1), PKG.ledBy, ID["program/三名工程"])),
        _task(1),
        PKG.ledBy,
        "pkg:ledBy must point to an org:Organization",
    ),
    "supporting unit that is no organization": (
        lambda g: g.add((_task(1), PKG.supportedBy, ID["division/530129"])),
        _task(1),
        PKG.supportedBy,
        "pkg:supportedBy must point to an org:Organization",
    ),
    "section led by a unit": (
        lambda g: g.add((ID["doc/kunming-2017/section/1"], PKG.ledBy, ID["org/昆明市教育局"])),
        ID["doc/kunming-2017/section/1"],
        None,
        "Only a pkg:Task may have pkg:ledBy or pkg:supportedBy",
    ),
    "successor of a regulation": (
        lambda g: g.add((ID["program/新时代名校建设工程"], PKG.successorOf, ID["regulation/幼儿园工作规程"])),
        ID["program/新时代名校建设工程"],
        PKG.successorOf,
        "pkg:successorOf must point to a pkg:Program",
    ),
    "program successor of itself": (
        lambda g: g.add((ID["program/三名工程"], PKG.successorOf, ID["program/三名工程"])),
        ID["program/三名工程"],
        None,
        "cannot be pkg:partOf, pkg:within, pkg:dependsOn or pkg:successorOf itself",
    ),
    "target stated in a task and a section": (
        lambda g: g.add((ID["doc/kunming-2017/section/1"], PKG.hasTarget, _target(1))),
        _target(1),
        None,
        "A target must be stated in exactly one pkg:Task",
    ),
    "target stated by a mention": (
        lambda g: (
            g.remove((_task(1), PKG.hasTarget, _target(1))),
            g.add((ID["doc/kunming-2017/mention/1"], PKG.hasTarget, _target(1))),
        ),
        _target(1),
        None,
        "A target must be stated in exactly one pkg:Task",
    ),
    "regulation label with book-title marks": (
        lambda g: _set(g, ID["regulation/幼儿园工作规程"], RDFS.label, Literal("《幼儿园工作规程》")),
        ID["regulation/幼儿园工作规程"],
        RDFS.label,
        "without 《》",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graph_is_rejected(correct, case):
    mutate, focus, path, message = BROKEN[case]
    g = copy(correct)
    mutate(g)
    result = validate(g)
    assert not result.conforms
    hits = [
        v
        for v in result.errors
        if message in (v.message or "")
        and (focus is None or v.focus_node == str(focus))
        and (path is None or v.path == str(path))
    ]
    assert hits, f"expected {message!r} on {focus} {path}, got:\n{result.format()}"


def test_goal_outside_any_task_may_hang_on_its_section_or_document(correct):
    """A 主要目标 section without numbered tasks, or text before the first section, states goals too."""
    for whole in (ID["doc/kunming-2017/section/1"], ID["doc/kunming-2017"]):
        g = copy(correct)
        g.remove((_task(1), PKG.hasTarget, _target(1)))
        g.add((whole, PKG.hasTarget, _target(1)))
        result = validate(g)
        assert result.conforms and result.violations == [], result.format()


def test_a_title_cited_inside_a_regulation_title_keeps_its_marks(correct):
    """《关于加快对接〈区域全面经济伙伴关系协定〉…实施意见》: the inner 〈〉 are part of the name."""
    g = copy(correct)
    _set(g, ID["regulation/幼儿园工作规程"], RDFS.label, Literal("关于加快对接〈区域全面经济伙伴关系协定〉实施意见"))
    result = validate(g)
    assert result.conforms and result.violations == [], result.format()


def test_second_canonical_label_is_only_a_warning(correct):
    g = copy(correct)
    g.add((ID["program/名校建设工程"], RDFS.label, Literal("名校建设")))
    result = validate(g)
    assert result.conforms, result.format()
    assert [v.severity for v in result.violations] == ["Warning"]
    assert "use skos:altLabel" in result.violations[0].message


def test_report_is_readable_and_deterministic(correct):
    g = copy(correct)
    _drop(g, _task(1), RDFS.label)
    g.set((ID["division/530129"], PKG.adminCode, Literal("5301")))
    first, second = validate(g), validate(g)
    assert first == second
    report = first.format().splitlines()
    # Two violations, then the warning that the division IRI no longer ends with its code.
    assert report[0] == "Does not conform: 2 violation(s), 1 warning(s)."
    assert [line.split(":")[0] for line in report[1:]] == ["Violation", "Violation", "Warning"]
    joined = "\n".join(report)
    assert "Violation: <https://w3id.org/policykg/id/division/530129> pkg:adminCode:" in joined
    assert '[value: "5301"]' in joined
    # With the instance base as a prefix, focus nodes get short too.
    short = first.format({"id": str(ID)})
    assert "Violation: id:doc/kunming-2017/task/1 rdfs:label: A task needs exactly one rdfs:label" in short
    assert all(isinstance(v, Violation) for v in first.violations)
    assert {v.source_shape for v in first.errors} == {
        "https://w3id.org/policykg/shapes#TaskShape",
        "https://w3id.org/policykg/shapes#AdministrativeDivisionShape",
    }


def test_blank_node_spans_are_checked_too(correct):
    """Spans reached through pkg:evidence are validated even without their oa: types."""
    g = copy(correct)
    span = BNode()
    g.set((_target(1), PKG.evidence, span))
    g.add((span, OA.start, Literal(0, datatype=XSD.integer)))
    result = validate(g)
    messages = {v.message for v in result.errors if v.focus_node == "_:blank"}
    assert "A span must be typed oa:TextPositionSelector." in messages
    # a target's span quotes the goal: it must carry the characters
    assert "A span that quotes must be typed oa:TextQuoteSelector." in messages
    assert "A span that quotes needs its oa:exact (the quoted characters)." in messages
