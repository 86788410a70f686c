"""Reads of documents: a page of them, one, its outline (sections and tasks), its text and spans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.kinds import kind_of
from policykg.graph.read import Page, Ref, consistent, integer, rows, text
from policykg.graph.sparql_params import Sparql, count, iri, shown, sparql
from policykg.ontology import PKG


@dataclass(frozen=True)
class DocumentInfo:
    iri: str
    title: str | None
    issued: str | None
    source: str | None
    sha256: str | None
    publisher: Ref | None
    spatial: Ref | None
    sections: int
    tasks: int
    targets: int
    triples: int


# A page of documents is ONE query: which documents (ordered by date), how many in all, and
# everything shown about each. One query is one snapshot of the store on any Oxigraph, embedded
# or server, so a document replaced meanwhile shows as one whole version, never the counts of
# one version beside the size of another (tests/test_load.py caught that when the sizes came
# from a second query), and the total is that of the same state. Each count is its own
# aggregate over the page's documents' graphs (the page subquery is repeated in each: ordering
# the documents by date is cheap): counting sections, tasks and targets in one group multiplied
# them (sections × tasks × targets rows per document) and counted every document of the store
# to fill one page: the first 50 of 1 000 documents took 3.0 s, all 1 000 3.6 s; now 0.04 s
# and 0.8 s.
#
# A document's parts are in its own graph (see :func:`outline`): the counts read that graph.
# (``GRAPH ?d { ?task a pkg:Task ; prov:wasDerivedFrom ?d }`` made Oxigraph read every task of
# the store first: 65 ms for one document of 1 000; as written, 0.3 ms.)
_DOCUMENT = """
  $docs
  ?d a pkg:PolicyDocument .
  OPTIONAL { ?d dcterms:title ?title }
  OPTIONAL { ?d dcterms:issued ?issued }
  OPTIONAL { ?d dcterms:source ?source }
  OPTIONAL { ?d pkg:sha256 ?sha }
  OPTIONAL { ?d dcterms:publisher ?pub OPTIONAL { ?pub rdfs:label ?publ } }
  OPTIONAL { ?d dcterms:spatial ?sp OPTIONAL { ?sp rdfs:label ?spl } }
  OPTIONAL { SELECT ?d (COUNT(DISTINCT ?sec) AS ?ns) WHERE { $docs
    GRAPH ?d { ?sec a pkg:Section ; dcterms:isPartOf ?d } } GROUP BY ?d }
  OPTIONAL { SELECT ?d (COUNT(DISTINCT ?task) AS ?nt) (COUNT(DISTINCT ?tg) AS ?ng) WHERE { $docs
    GRAPH ?d { ?task a pkg:Task } ?task prov:wasDerivedFrom ?d OPTIONAL { ?task pkg:hasTarget ?tg } }
    GROUP BY ?d }
  OPTIONAL { SELECT ?d (COUNT(*) AS ?n) WHERE { $docs GRAPH ?d { ?s ?p ?o } } GROUP BY ?d }"""


def _document(docs: Sparql) -> Sparql:
    """What is shown about each document that the group pattern ``docs`` binds to ``?d``."""
    return sparql(_DOCUMENT, docs=docs)


def _document_infos(found: Iterable[Any]) -> list[DocumentInfo]:
    """One DocumentInfo per document, in the order of ``found`` (a second title or date: the first)."""
    infos: dict[str, DocumentInfo] = {}
    for r in found:
        if r["d"] is None or r["d"].value in infos:
            continue
        pub = Ref(r["pub"].value, text(r["publ"]), "Organization") if r["pub"] is not None else None
        sp = Ref(r["sp"].value, text(r["spl"]), "AdministrativeDivision") if r["sp"] is not None else None
        infos[r["d"].value] = DocumentInfo(
            r["d"].value,
            text(r["title"]),
            text(r["issued"]),
            text(r["source"]),
            text(r["sha"]),
            pub,
            sp,
            integer(r["ns"]) or 0,
            integer(r["nt"]) or 0,
            integer(r["ng"]) or 0,
            integer(r["n"]) or 0,
        )
    return list(infos.values())


def list_documents(store: Any, *, offset: int = 0, limit: int = 50) -> Page[DocumentInfo]:
    page = sparql(
        "{ SELECT ?d WHERE { ?d a pkg:PolicyDocument OPTIONAL { ?d dcterms:issued ?_issued } } "
        "ORDER BY DESC(?_issued) ?d OFFSET $offset LIMIT $limit }",
        offset=count(offset),
        limit=count(limit),
    )
    found = rows(
        store,
        sparql(
            """SELECT ?total ?d ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl ?ns ?nt ?ng ?n WHERE {
  { SELECT (COUNT(DISTINCT ?x) AS ?total) WHERE { ?x a pkg:PolicyDocument } }
  OPTIONAL { $document }
} ORDER BY DESC(?issued) ?d ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl""",
            document=_document(page),
        ),
    )
    total = int(found[0]["total"].value) if found else 0
    return Page(_document_infos(found), total, offset, limit)


def get_document(store: Any, document: str) -> DocumentInfo:
    one = sparql("VALUES ?d { $document }", document=iri(document))
    found = _document_infos(
        rows(
            store,
            sparql(
                "SELECT ?d ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl ?ns ?nt ?ng ?n WHERE { $document } "
                "ORDER BY ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl",
                document=_document(one),
            ),
        )
    )
    if not found:
        raise NotFoundError(f"no document {shown(document)}")
    return found[0]


def document_titles(store: Any) -> list[Ref]:
    """Every document with its title, read from each document's own graph (``store.documents()``
    also counts every graph's triples: over 30 s at 3·10^6 quads)."""
    found = rows(
        store,
        sparql("""SELECT ?d (SAMPLE(?t) AS ?title) WHERE { GRAPH ?d { ?d a pkg:PolicyDocument
  OPTIONAL { ?d dcterms:title ?t } } } GROUP BY ?d ORDER BY ?d"""),
    )
    return [Ref(r["d"].value, text(r["title"]), "PolicyDocument") for r in found]


@dataclass(frozen=True)
class TaskRef:
    iri: str
    ordinal: int | None
    number: str | None
    label: str | None


@dataclass(frozen=True)
class SectionNode:
    iri: str
    ordinal: int | None
    number: str | None
    label: str | None
    tasks: list[TaskRef]


@dataclass(frozen=True)
class AttachmentNode:
    iri: str
    ordinal: int | None
    number: str | None
    label: str | None
    parts: list[str]  # the sections (or, without sections, tasks) that open inside it


@dataclass(frozen=True)
class Outline:
    document: str
    title: str | None
    sections: list[SectionNode]
    tasks: list[TaskRef]  # tasks directly under the document (no sections)
    attachments: list[AttachmentNode]


def outline(store: Any, document: str) -> Outline:
    # The title comes in the same query as the parts (one snapshot: never one version's title
    # over another's sections).
    found = rows(
        store,
        sparql(
            """
SELECT ?title ?part ?type ?ord ?num ?label ?parent ?attachment WHERE { GRAPH $doc {
  $doc a pkg:PolicyDocument . OPTIONAL { $doc dcterms:title ?title }
  # The document's named graph holds exactly its parts: no property path over the
  # union (dcterms:isPartOf+ took seconds at 10^4 documents, this takes milliseconds).
  OPTIONAL {
    VALUES ?type { pkg:Section pkg:Task pkg:Attachment }
    ?part a ?type ; dcterms:isPartOf ?parent .
    OPTIONAL { ?part pkg:ordinal ?ord } OPTIONAL { ?part pkg:number ?num } OPTIONAL { ?part rdfs:label ?label }
    OPTIONAL { ?part pkg:inAttachment ?attachment }
  }
} } ORDER BY ?ord""",
            doc=iri(document),
        ),
    )
    if not found:
        raise NotFoundError(f"no document {shown(document)}")
    sections: dict[str, SectionNode] = {}
    loose: list[TaskRef] = []
    tasks: list[tuple[str, TaskRef]] = []
    attachments: dict[str, AttachmentNode] = {}
    inside: list[tuple[str, str]] = []  # (attachment, part), in the parts' order
    for r in found:
        if r["part"] is None:
            continue
        if r["attachment"] is not None and (r["type"].value == PKG + "Section" or r["parent"].value == document):
            inside.append((r["attachment"].value, r["part"].value))
        if r["type"].value == PKG + "Attachment":
            attachments[r["part"].value] = AttachmentNode(
                r["part"].value, integer(r["ord"]), text(r["num"]), text(r["label"]), []
            )
        elif r["type"].value == PKG + "Section":
            sections[r["part"].value] = SectionNode(
                r["part"].value, integer(r["ord"]), text(r["num"]), text(r["label"]), []
            )
        else:
            tasks.append(
                (r["parent"].value, TaskRef(r["part"].value, integer(r["ord"]), text(r["num"]), text(r["label"])))
            )
    for parent, t in tasks:
        (sections[parent].tasks if parent in sections else loose).append(t)
    for attachment, part in inside:
        if attachment in attachments:
            attachments[attachment].parts.append(part)
    return Outline(
        document,
        text(found[0]["title"]),
        sorted(sections.values(), key=lambda s: s.ordinal or 0),
        loose,
        sorted(attachments.values(), key=lambda a: a.ordinal or 0),
    )


@dataclass(frozen=True)
class SpanInfo:
    iri: str
    start: int
    end: int
    exact: str | None
    evidence_for: list[Ref]


@dataclass(frozen=True)
class DocumentText:
    document: str
    text: str
    spans: list[SpanInfo]
    total_spans: int


@consistent
def document_text(store: Any, document: str, *, offset: int = 0, limit: int = 500) -> DocumentText:
    doc = iri(document)
    found = rows(store, sparql("SELECT ?t WHERE { $doc pkg:text ?t } LIMIT 1", doc=doc))
    if not found:
        raise NotFoundError(f"no document text for {shown(document)}")
    total = int(
        rows(
            store,
            sparql(
                "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a oa:TextPositionSelector ; prov:wasDerivedFrom $doc }",
                doc=doc,
            ),
        )[0]["n"].value
    )
    spans = rows(
        store,
        sparql(
            """
SELECT ?s ?start ?end ?exact ?x ?xl ?xt WHERE {
  { SELECT ?s ?start WHERE { ?s a oa:TextPositionSelector ; prov:wasDerivedFrom $doc ; oa:start ?start }
     ORDER BY ?start ?s OFFSET $offset LIMIT $limit }
  ?s oa:end ?end . OPTIONAL { ?s oa:exact ?exact }
  OPTIONAL { ?x pkg:evidence ?s ; a ?xt OPTIONAL { ?x rdfs:label ?xl } }
} ORDER BY ?start ?s""",
            doc=doc,
            offset=count(offset),
            limit=count(limit),
        ),
    )
    by_span: dict[str, tuple[int, int, str | None]] = {}
    links: dict[str, dict[str, Ref]] = {}
    for r in spans:
        s = r["s"].value
        by_span.setdefault(s, (int(r["start"].value), int(r["end"].value), text(r["exact"])))
        if r["x"] is not None:
            links.setdefault(s, {})[r["x"].value] = Ref(r["x"].value, text(r["xl"]), kind_of([r["xt"].value]))
    whole = found[0]["t"].value
    # A span of a whole part (the body, a task, an item) stores no oa:exact: its quote is cut here.
    out = [
        SpanInfo(s, a, b, whole[a:b] if e is None else e, list(links.get(s, {}).values()))
        for s, (a, b, e) in by_span.items()
    ]
    return DocumentText(document, whole, out, total)
