"""The typed read API over the store: what the JSON API, the pages and the network view read.

Every function takes a store (``GraphStore``: anything with ``query``) and returns
dataclasses of plain values (``str``, ``int``, ``float``, lists), never RDF terms,
so callers need not know SPARQL. All queries here are bounded (LIMIT) and read the
union of document graphs.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Generic, Iterable, Iterator, Sequence, TypeVar

import pyoxigraph as ox

from policykg.errors import NotFoundError, QueryError
from policykg.graph.store import read_consistently
from policykg.graph.store_cache import StoreStateCache
from policykg.ontology import OA, ORG, PKG, PREFIXES, PROV, RDF, RDFS, SKOS, XSD

T = TypeVar("T")
_XSD_DOUBLE = ox.NamedNode(XSD + "double")

#: Classes people browse, by local name (the ``kind`` of a node).
ENTITY_CLASSES = {
    "PolicyDocument": PKG + "PolicyDocument",
    "Section": PKG + "Section",
    "Task": PKG + "Task",
    "Program": PKG + "Program",
    "Indicator": PKG + "Indicator",
    "Target": PKG + "Target",
    "AdministrativeDivision": PKG + "AdministrativeDivision",
    "Organization": ORG + "Organization",
    "Regulation": PKG + "Regulation",
}
_CLASS_KIND = {v: k for k, v in ENTITY_CLASSES.items()}
_KIND_ORDER = list(ENTITY_CLASSES)
COMPARATORS = ("AtLeast", "AtMost", "Exactly", "Approximately", "Between", "IncreaseBy", "DecreaseBy")
#: Edges that carry provenance rather than meaning; hidden from the network view by default.
PROVENANCE_PREDICATES = {PKG + "evidence", PROV + "wasDerivedFrom", PKG + "mentionIn", PKG + "mentionOf",
                         PKG + "publisherEvidence"}


# -- helpers ------------------------------------------------------------------

# Every value a caller gives (an IRI, a name, a number) reaches SPARQL text only as a term
# that pyoxigraph built and serialized: an IRI it accepts cannot hold ``>``, a space or a
# quote, and a literal comes out with every quote, backslash and control character escaped.
# So no parameter can close its term and write query text ("} UNION { ?s ?p ?o }").

#: Offsets and limits beyond this are clamped: Oxigraph reads them as 64-bit integers and
#: rejects a larger number as a syntax error; no page that far exists anyway.
MAX_COUNT = 2**53


def shown(value: object, width: int = 200) -> str:
    """``value`` for an error message, cut so a huge parameter is not echoed whole."""
    text = str(value)
    return text if len(text) <= width else text[:width] + "…"


def iri_ref(iri: str) -> str:
    """An absolute IRI as a SPARQL term (``<…>``); QueryError (400) for anything else."""
    try:
        return str(ox.NamedNode(iri))
    except (TypeError, ValueError):
        raise QueryError(f"not a valid IRI: {shown(iri)!r}") from None


def lit(text: str) -> str:
    """A SPARQL string literal holding ``text`` exactly (N-Triples escaping, valid in SPARQL)."""
    return str(ox.Literal(str(text)))


def number(value: float, name: str = "value") -> str:
    """A finite number as an ``xsd:double`` literal; QueryError for NaN and infinities."""
    value = float(value)
    if not math.isfinite(value):
        raise QueryError(f"{name} must be a finite number, not {value}")
    return str(ox.Literal(repr(value), datatype=_XSD_DOUBLE))


def bounded_int(value: int) -> int:
    """An OFFSET or LIMIT: a non-negative integer Oxigraph can read."""
    return max(0, min(int(value), MAX_COUNT))


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def prefixed(iri: str) -> str:
    for p, ns in PREFIXES.items():
        if iri.startswith(ns) and iri != ns:
            return f"{p}:{iri[len(ns):]}"
    return iri


def _v(term) -> str | None:
    return None if term is None else term.value


def _int(term) -> int | None:
    try:
        return None if term is None else int(term.value)
    except ValueError:
        return None


def _num(term) -> float | None:
    try:
        return None if term is None else float(Decimal(term.value))
    except Exception:
        return None


def _rows(store, sparql: str) -> list:
    return list(store.query(sparql))


def consistent(read: Callable[..., T]) -> Callable[..., T]:
    """For a read composed of several queries: all of them see one state of the store.

    One query is one snapshot, but a write between two queries would give a reply that mixes
    two versions of a document (its task from one, the task's targets from the other). On the
    embedded store the whole read is retried when a write came between, see
    :meth:`policykg.graph.store.OxigraphStore.read_consistently`. Reads of one query need not be
    wrapped.
    """
    @functools.wraps(read)
    def whole(store, *args, **kwargs):
        return read_consistently(store, lambda: read(store, *args, **kwargs))
    return whole


def kind_of(types: Iterable[str]) -> str | None:
    kinds = [_CLASS_KIND[t] for t in types if t in _CLASS_KIND]
    if kinds:
        return sorted(kinds, key=_KIND_ORDER.index)[0]
    others = [local_name(t) for t in types]
    return sorted(others)[0] if others else None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class Ref:
    """A link to a node: enough to show and follow it."""

    iri: str
    label: str | None
    kind: str | None = None


# -- documents ------------------------------------------------------------------

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
_DOC_TOTAL = "{ SELECT (COUNT(DISTINCT ?x) AS ?total) WHERE { ?x a pkg:PolicyDocument } }"
_DOC_VARS = "?d ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl ?ns ?nt ?ng ?n"


def _doc_pattern(docs: str) -> str:
    """What is shown about each document that the group pattern ``docs`` binds to ``?d``.

    A document's parts are in its own graph (see :func:`outline`): the counts read that graph.
    (``GRAPH ?d { ?task a pkg:Task ; prov:wasDerivedFrom ?d }`` made Oxigraph read every task of
    the store first: 65 ms for one document of 1 000; as written, 0.3 ms.)
    """
    return f"""
  {docs}
  ?d a pkg:PolicyDocument .
  OPTIONAL {{ ?d dcterms:title ?title }}
  OPTIONAL {{ ?d dcterms:issued ?issued }}
  OPTIONAL {{ ?d dcterms:source ?source }}
  OPTIONAL {{ ?d pkg:sha256 ?sha }}
  OPTIONAL {{ ?d dcterms:publisher ?pub OPTIONAL {{ ?pub rdfs:label ?publ }} }}
  OPTIONAL {{ ?d dcterms:spatial ?sp OPTIONAL {{ ?sp rdfs:label ?spl }} }}
  OPTIONAL {{ SELECT ?d (COUNT(DISTINCT ?sec) AS ?ns) WHERE {{ {docs}
    GRAPH ?d {{ ?sec a pkg:Section ; dcterms:isPartOf ?d }} }} GROUP BY ?d }}
  OPTIONAL {{ SELECT ?d (COUNT(DISTINCT ?task) AS ?nt) (COUNT(DISTINCT ?tg) AS ?ng) WHERE {{ {docs}
    GRAPH ?d {{ ?task a pkg:Task }} ?task prov:wasDerivedFrom ?d OPTIONAL {{ ?task pkg:hasTarget ?tg }} }}
    GROUP BY ?d }}
  OPTIONAL {{ SELECT ?d (COUNT(*) AS ?n) WHERE {{ {docs} GRAPH ?d {{ ?s ?p ?o }} }} GROUP BY ?d }}"""


def _doc_infos(rows: Iterable) -> list[DocumentInfo]:
    """One DocumentInfo per document, in the order of ``rows`` (a second title or date: the first)."""
    found: dict[str, DocumentInfo] = {}
    for r in rows:
        if r["d"] is None or r["d"].value in found:
            continue
        pub = Ref(r["pub"].value, _v(r["publ"]), "Organization") if r["pub"] is not None else None
        sp = Ref(r["sp"].value, _v(r["spl"]), "AdministrativeDivision") if r["sp"] is not None else None
        found[r["d"].value] = DocumentInfo(r["d"].value, _v(r["title"]), _v(r["issued"]), _v(r["source"]),
                                           _v(r["sha"]), pub, sp, _int(r["ns"]) or 0, _int(r["nt"]) or 0,
                                           _int(r["ng"]) or 0, _int(r["n"]) or 0)
    return list(found.values())


def list_documents(store, *, offset: int = 0, limit: int = 50) -> Page[DocumentInfo]:
    page = (f"{{ SELECT ?d WHERE {{ ?d a pkg:PolicyDocument OPTIONAL {{ ?d dcterms:issued ?_issued }} }} "
            f"ORDER BY DESC(?_issued) ?d OFFSET {bounded_int(offset)} LIMIT {bounded_int(limit)} }}")
    rows = _rows(store, f"""SELECT ?total {_DOC_VARS} WHERE {{
  {_DOC_TOTAL}
  OPTIONAL {{ {_doc_pattern(page)} }}
}} ORDER BY DESC(?issued) ?d ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl""")
    total = int(rows[0]["total"].value) if rows else 0
    return Page(_doc_infos(rows), total, offset, limit)


def get_document(store, iri: str) -> DocumentInfo:
    found = _doc_infos(_rows(store, f"SELECT {_DOC_VARS} WHERE {{ {_doc_pattern(f'VALUES ?d {{ {iri_ref(iri)} }}')} }} "
                                    f"ORDER BY ?title ?issued ?source ?sha ?pub ?publ ?sp ?spl"))
    if not found:
        raise NotFoundError(f"no document {shown(iri)}")
    return found[0]


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
class Outline:
    document: str
    title: str | None
    sections: list[SectionNode]
    tasks: list[TaskRef]  # tasks directly under the document (no sections)


def outline(store, iri: str) -> Outline:
    ref = iri_ref(iri)
    # The title comes in the same query as the parts (one snapshot: never one version's title
    # over another's sections).
    rows = _rows(store, f"""
SELECT ?title ?part ?type ?ord ?num ?label ?parent WHERE {{ GRAPH {ref} {{
  {ref} a pkg:PolicyDocument . OPTIONAL {{ {ref} dcterms:title ?title }}
  # The document's named graph holds exactly its parts: no property path over the
  # union (dcterms:isPartOf+ took seconds at 10^4 documents, this takes milliseconds).
  OPTIONAL {{
    VALUES ?type {{ pkg:Section pkg:Task }}
    ?part a ?type ; dcterms:isPartOf ?parent .
    OPTIONAL {{ ?part pkg:ordinal ?ord }} OPTIONAL {{ ?part pkg:number ?num }} OPTIONAL {{ ?part rdfs:label ?label }}
  }}
}} }} ORDER BY ?ord""")
    if not rows:
        raise NotFoundError(f"no document {shown(iri)}")
    sections: dict[str, SectionNode] = {}
    loose: list[TaskRef] = []
    tasks: list[tuple[str, TaskRef]] = []
    for r in rows:
        if r["part"] is None:
            continue
        if r["type"].value == PKG + "Section":
            sections[r["part"].value] = SectionNode(r["part"].value, _int(r["ord"]), _v(r["num"]), _v(r["label"]), [])
        else:
            tasks.append((r["parent"].value, TaskRef(r["part"].value, _int(r["ord"]), _v(r["num"]), _v(r["label"]))))
    for parent, t in tasks:
        (sections[parent].tasks if parent in sections else loose).append(t)
    return Outline(iri, _v(rows[0]["title"]), sorted(sections.values(), key=lambda s: s.ordinal or 0), loose)


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
def document_text(store, iri: str, *, offset: int = 0, limit: int = 500) -> DocumentText:
    rows = _rows(store, f"SELECT ?t WHERE {{ {iri_ref(iri)} pkg:text ?t }} LIMIT 1")
    if not rows:
        raise NotFoundError(f"no document text for {shown(iri)}")
    total = int(_rows(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a oa:TextPositionSelector ; "
                             f"prov:wasDerivedFrom {iri_ref(iri)} }}")[0]["n"].value)
    spans = _rows(store, f"""
SELECT ?s ?start ?end ?exact ?x ?xl ?xt WHERE {{
  {{ SELECT ?s ?start WHERE {{ ?s a oa:TextPositionSelector ; prov:wasDerivedFrom {iri_ref(iri)} ; oa:start ?start }}
     ORDER BY ?start ?s OFFSET {bounded_int(offset)} LIMIT {bounded_int(limit)} }}
  ?s oa:end ?end . OPTIONAL {{ ?s oa:exact ?exact }}
  OPTIONAL {{ ?x pkg:evidence ?s ; a ?xt OPTIONAL {{ ?x rdfs:label ?xl }} }}
}} ORDER BY ?start ?s""")
    by_span: dict[str, tuple] = {}
    links: dict[str, dict[str, Ref]] = {}
    for r in spans:
        s = r["s"].value
        by_span.setdefault(s, (int(r["start"].value), int(r["end"].value), _v(r["exact"])))
        if r["x"] is not None:
            links.setdefault(s, {})[r["x"].value] = Ref(r["x"].value, _v(r["xl"]), kind_of([r["xt"].value]))
    out = [SpanInfo(s, a, b, e, list(links.get(s, {}).values())) for s, (a, b, e) in by_span.items()]
    return DocumentText(iri, rows[0]["t"].value, out, total)


# -- tasks and targets ----------------------------------------------------------

@dataclass(frozen=True)
class TargetInfo:
    iri: str
    label: str | None
    indicator: Ref | None
    value: float | None
    min_value: float | None
    max_value: float | None
    unit: str | None
    comparator: str | None
    deadline: str | None
    period: str | None
    divisions: list[Ref]
    task: Ref | None
    document: Ref | None


@dataclass(frozen=True)
class TaskDetail:
    iri: str
    ordinal: int | None
    number: str | None
    label: str | None
    text: str | None
    document: Ref | None
    section: Ref | None
    mentions: list[Ref]
    targets: list[TargetInfo]
    depends_on: list[Ref]


def _targets(store, where: str, *, offset: int = 0, limit: int = 100) -> list[TargetInfo]:
    # Page first, then details: the matching targets with their task and document only,
    # sorted here, and the detail query for one page. Grouping and sorting every matching
    # target with all its details took 6 s for a program named by 48 000 tasks.
    keys = {(_v(r["doc"]), _v(r["task"]), r["t"].value) for r in _rows(store, f"""
SELECT DISTINCT ?t ?task ?doc WHERE {{ ?t a pkg:Target . {where}
  OPTIONAL {{ ?task pkg:hasTarget ?t }} OPTIONAL {{ ?t prov:wasDerivedFrom ?doc }} }}""")}
    ordered = sorted(keys, key=lambda k: (k[0] is not None, k[0] or "", k[1] is not None, k[1] or "", k[2]))
    page = list(dict.fromkeys(t for _, _, t in ordered[int(offset):int(offset) + int(limit)]))
    if not page:
        return []
    values = "VALUES ?t { " + " ".join(iri_ref(t) for t in page) + " }"
    rows = _rows(store, f"""
SELECT ?t ?label ?ind ?indl ?value ?min ?max ?unit ?cmp ?deadline ?period ?task ?taskl ?doc ?docl
  (GROUP_CONCAT(DISTINCT STR(?div); separator="\\u001f") AS ?divs)
  (GROUP_CONCAT(DISTINCT CONCAT(STR(?div), "\\u001e", COALESCE(?divl, "")); separator="\\u001f") AS ?divls) WHERE {{
  ?t a pkg:Target . {values}
  OPTIONAL {{ ?t rdfs:label ?label }}
  OPTIONAL {{ ?t pkg:indicator ?ind OPTIONAL {{ ?ind rdfs:label ?indl }} }}
  OPTIONAL {{ ?t pkg:value ?value }} OPTIONAL {{ ?t pkg:minValue ?min }} OPTIONAL {{ ?t pkg:maxValue ?max }}
  OPTIONAL {{ ?t pkg:unit ?unit }} OPTIONAL {{ ?t pkg:comparator ?cmp }} OPTIONAL {{ ?t pkg:deadline ?deadline }}
  OPTIONAL {{ ?t pkg:period ?period }}
  OPTIONAL {{ ?task pkg:hasTarget ?t OPTIONAL {{ ?task rdfs:label ?taskl }} }}
  OPTIONAL {{ ?t prov:wasDerivedFrom ?doc OPTIONAL {{ ?doc dcterms:title ?docl }} }}
  OPTIONAL {{ ?t pkg:appliesTo ?div OPTIONAL {{ ?div rdfs:label ?divl }} }}
}} GROUP BY ?t ?label ?ind ?indl ?value ?min ?max ?unit ?cmp ?deadline ?period ?task ?taskl ?doc ?docl
ORDER BY ?doc ?task ?t LIMIT {bounded_int(limit)}""")
    out = []
    for r in rows:
        divs = []
        if r["divls"] is not None and r["divls"].value:
            for item in r["divls"].value.split("\u001f"):
                d, _, l = item.partition("\u001e")
                divs.append(Ref(d, l or None, "AdministrativeDivision"))
        out.append(TargetInfo(
            r["t"].value, _v(r["label"]),
            Ref(r["ind"].value, _v(r["indl"]), "Indicator") if r["ind"] is not None else None,
            _num(r["value"]), _num(r["min"]), _num(r["max"]), _v(r["unit"]),
            local_name(r["cmp"].value) if r["cmp"] is not None else None, _v(r["deadline"]), _v(r["period"]),
            divs,
            Ref(r["task"].value, _v(r["taskl"]), "Task") if r["task"] is not None else None,
            Ref(r["doc"].value, _v(r["docl"]), "PolicyDocument") if r["doc"] is not None else None))
    return out


@consistent
def find_targets(store, *, indicator: str | None = None, division: str | None = None, comparator: str | None = None,
                 document: str | None = None, min_value: float | None = None, max_value: float | None = None,
                 offset: int = 0, limit: int = 100) -> Page[TargetInfo]:
    """Targets filtered by indicator (IRI or label substring), division (IRI or admin code,
    including divisions within it), comparator (local name), document IRI and value range."""
    parts = []
    if indicator:
        if indicator.startswith(("http://", "https://")):
            parts.append(f"?t pkg:indicator {iri_ref(indicator)} .")
        else:
            parts.append(f"?t pkg:indicator/rdfs:label ?_il . FILTER(CONTAINS(?_il, {lit(indicator)}))")
    if division:
        if division.startswith(("http://", "https://")):
            parts.append(f"?t pkg:appliesTo/pkg:within* {iri_ref(division)} .")
        else:
            parts.append(f"?t pkg:appliesTo/pkg:within* ?_dv . ?_dv pkg:adminCode {lit(division)} .")
    if comparator:
        if comparator not in COMPARATORS:
            raise QueryError(f"unknown comparator {shown(comparator)!r}; use one of {', '.join(COMPARATORS)}")
        parts.append(f"?t pkg:comparator pkg:{comparator} .")
    if document:
        parts.append(f"?t prov:wasDerivedFrom {iri_ref(document)} .")
    if min_value is not None or max_value is not None:
        parts.append("?t pkg:value ?_v .")
        if min_value is not None:
            parts.append(f"FILTER(?_v >= {number(min_value, 'min_value')})")
        if max_value is not None:
            parts.append(f"FILTER(?_v <= {number(max_value, 'max_value')})")
    where = "\n".join(parts)
    total = int(_rows(store, f"SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a pkg:Target . {where} }}")[0]["n"].value)
    return Page(_targets(store, where, offset=offset, limit=limit), total, offset, limit)


def _refs(store, sparql: str, var: str = "x", label: str = "xl", typ: str = "xt") -> list[Ref]:
    seen: dict[str, Ref] = {}
    types: dict[str, list[str]] = {}
    labels: dict[str, str | None] = {}
    for r in _rows(store, sparql):
        iri = r[var].value
        labels.setdefault(iri, _v(r[label]))
        if labels[iri] is None and r[label] is not None:
            labels[iri] = r[label].value
        if r[typ] is not None:
            types.setdefault(iri, []).append(r[typ].value)
        seen[iri] = None  # type: ignore[assignment]
    return [Ref(i, labels.get(i), kind_of(types.get(i, []))) for i in seen]


@consistent
def list_tasks(store, *, document: str | None = None, mentioning: str | None = None, offset: int = 0,
               limit: int = 100) -> Page[Ref]:
    where = ""
    if document:
        where += f" ?x prov:wasDerivedFrom {iri_ref(document)} ."
    if mentioning:
        where += f" ?x pkg:mentions {iri_ref(mentioning)} ."
    total = int(_rows(store, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a pkg:Task . {where} }}")[0]["n"].value)
    items = _refs(store, f"""SELECT ?x ?xl ?xt WHERE {{
  {{ SELECT ?x ?doc ?ord WHERE {{ ?x a pkg:Task . {where} OPTIONAL {{ ?x pkg:ordinal ?ord }}
     OPTIONAL {{ ?x prov:wasDerivedFrom ?doc }} }} ORDER BY ?doc ?ord ?x
     OFFSET {bounded_int(offset)} LIMIT {bounded_int(limit)} }}
  OPTIONAL {{ ?x rdfs:label ?xl }} BIND(pkg:Task AS ?xt) }} ORDER BY ?doc ?ord ?x""")
    return Page(items, total, offset, limit)


@consistent
def get_task(store, iri: str) -> TaskDetail:
    rows = _rows(store, f"""SELECT ?ord ?num ?label ?text ?doc ?docl ?sec ?secl WHERE {{
  {iri_ref(iri)} a pkg:Task .
  OPTIONAL {{ {iri_ref(iri)} pkg:ordinal ?ord }} OPTIONAL {{ {iri_ref(iri)} pkg:number ?num }}
  OPTIONAL {{ {iri_ref(iri)} rdfs:label ?label }} OPTIONAL {{ {iri_ref(iri)} pkg:text ?text }}
  OPTIONAL {{ {iri_ref(iri)} prov:wasDerivedFrom ?doc OPTIONAL {{ ?doc dcterms:title ?docl }} }}
  OPTIONAL {{ {iri_ref(iri)} dcterms:isPartOf ?sec . ?sec a pkg:Section OPTIONAL {{ ?sec rdfs:label ?secl }} }}
}} LIMIT 1""")
    if not rows:
        raise NotFoundError(f"no task {shown(iri)}")
    r = rows[0]
    mentions = _refs(store, f"SELECT ?x ?xl ?xt WHERE {{ {iri_ref(iri)} pkg:mentions ?x OPTIONAL {{ ?x rdfs:label ?xl }} "
                            f"OPTIONAL {{ ?x a ?xt }} }} LIMIT 1000")
    deps = _refs(store, f"SELECT ?x ?xl ?xt WHERE {{ {iri_ref(iri)} pkg:dependsOn ?x OPTIONAL {{ ?x rdfs:label ?xl }} "
                        f"OPTIONAL {{ ?x a ?xt }} }} LIMIT 1000")
    return TaskDetail(iri, _int(r["ord"]), _v(r["num"]), _v(r["label"]), _v(r["text"]),
                      Ref(r["doc"].value, _v(r["docl"]), "PolicyDocument") if r["doc"] is not None else None,
                      Ref(r["sec"].value, _v(r["secl"]), "Section") if r["sec"] is not None else None,
                      mentions, _targets(store, f"{iri_ref(iri)} pkg:hasTarget ?t .", limit=1000), deps)


# -- programs and divisions ----------------------------------------------------------

@dataclass(frozen=True)
class ProgramDetail:
    iri: str
    label: str | None
    alt_labels: list[str]
    part_of: list[Ref]
    parts: list[Ref]
    depends_on: list[Ref]
    tasks: list[Ref]  # tasks that mention it
    targets: list[TargetInfo]  # targets of those tasks
    divisions: list[Ref]  # divisions those targets apply to, or that those tasks mention
    documents: list[Ref]


def _labels(store, iri: str, prop: str) -> list[str]:
    return sorted({r["l"].value for r in _rows(store, f"SELECT ?l WHERE {{ {iri_ref(iri)} {prop} ?l }} LIMIT 1000")})


@consistent
def get_program_named(store, name: str, iri: str) -> ProgramDetail:
    """The program called ``name``: at ``iri`` (the IRI its name gives), or — a registered program,
    whose IRI comes from its registry id (…/program/quanmian-gaibao) — the one with that exact
    rdfs:label or skos:altLabel."""
    if not bool(store.query(f"ASK {{ {iri_ref(iri)} a pkg:Program }}")):
        rows = _rows(store, f"SELECT ?p WHERE {{ {{ ?p rdfs:label {lit(name)} }} UNION {{ ?p skos:altLabel {lit(name)} }} "
                            f"?p a pkg:Program }} ORDER BY ?p LIMIT 1")
        if rows:
            iri = rows[0]["p"].value
    return get_program(store, iri)


@consistent
def get_program(store, iri: str) -> ProgramDetail:
    ref = iri_ref(iri)
    if not bool(store.query(f"ASK {{ {ref} a pkg:Program }}")):
        raise NotFoundError(f"no program {shown(iri)}")
    one = lambda pattern: _refs(store, f"SELECT ?x ?xl ?xt WHERE {{ {pattern} OPTIONAL {{ ?x rdfs:label ?xl }} "  # noqa: E731
                                       f"OPTIONAL {{ ?x a ?xt }} }} LIMIT 1000")
    tasks = one(f"?x pkg:mentions {ref} ; a pkg:Task .")
    return ProgramDetail(
        iri, (_labels(store, iri, "rdfs:label") or [None])[0], _labels(store, iri, "skos:altLabel"),
        one(f"{ref} pkg:partOf ?x ."), one(f"?x pkg:partOf {ref} ."), one(f"{ref} pkg:dependsOn ?x ."),
        tasks,
        _targets(store, f"?_task pkg:mentions {ref} ; pkg:hasTarget ?t .", limit=1000),
        one(f"{{ ?_task pkg:mentions {ref} ; pkg:hasTarget/pkg:appliesTo ?x }} UNION "
            f"{{ ?_task pkg:mentions {ref}, ?x . ?x a pkg:AdministrativeDivision }}"),
        one(f"?_task pkg:mentions {ref} ; prov:wasDerivedFrom ?x . ?x a pkg:PolicyDocument"),
    )


@dataclass(frozen=True)
class DivisionDetail:
    iri: str
    code: str
    label: str | None
    alt_labels: list[str]
    level: str | None
    within: Ref | None
    children: list[Ref]
    lat: float | None
    long: float | None
    documents: list[Ref]  # documents that govern it (dcterms:spatial)
    targets: list[TargetInfo]  # targets scoped to it or to a division within it
    tasks: list[Ref]  # tasks that mention it


@consistent
def get_division(store, code: str) -> DivisionDetail:
    rows = _rows(store, f"""SELECT ?d ?label ?level ?up ?upl ?lat ?long WHERE {{
  ?d pkg:adminCode {lit(code)} . OPTIONAL {{ ?d rdfs:label ?label }} OPTIONAL {{ ?d pkg:level ?level }}
  OPTIONAL {{ ?d pkg:within ?up OPTIONAL {{ ?up rdfs:label ?upl }} }}
  OPTIONAL {{ ?d geo:lat ?lat }} OPTIONAL {{ ?d geo:long ?long }} }} LIMIT 1""")
    if not rows:
        raise NotFoundError(f"no division with code {shown(code)}")
    r = rows[0]
    iri = r["d"].value
    ref = iri_ref(iri)
    one = lambda pattern: _refs(store, f"SELECT ?x ?xl ?xt WHERE {{ {pattern} OPTIONAL {{ ?x rdfs:label ?xl }} "  # noqa: E731
                                       f"OPTIONAL {{ ?x a ?xt }} }} LIMIT 1000")
    return DivisionDetail(
        iri, code, _v(r["label"]), _labels(store, iri, "skos:altLabel"),
        local_name(r["level"].value) if r["level"] is not None else None,
        Ref(r["up"].value, _v(r["upl"]), "AdministrativeDivision") if r["up"] is not None else None,
        one(f"?x pkg:within {ref} ."), _num(r["lat"]), _num(r["long"]),
        one(f"?x dcterms:spatial {ref} ."),
        _targets(store, f"?t pkg:appliesTo/pkg:within* {ref} .", limit=1000),
        one(f"?x pkg:mentions {ref} ; a pkg:Task ."),
    )


# -- search, neighbours, describe ------------------------------------------------------

@dataclass(frozen=True)
class LabelHit:
    iri: str
    label: str
    kind: str | None
    matched: str  # the label or short name that matched
    exact: bool


# The label index: every rdfs:label and skos:altLabel of a node of a browsed class, read
# from the store once and searched in Python. A CONTAINS filter over every label of the
# union took minutes at 10^5 nodes; the index answers in milliseconds. It is keyed by the
# store's state (:func:`policykg.graph.store_cache.store_state`).
#
# After a write it is updated, not rebuilt: the embedded store tells which named graphs a write
# touched (a document upload: its graph and the ~10-20 entity graphs it names), those are read
# again (~2 ms) and the index that results keeps the old entries, masks the ones no graph states
# any more and appends the new ones (:meth:`LabelIndex.updated`). Reading everything again took
# 0.5-0.7 s at 10^3 documents and made /api/search 40× slower while a writer uploaded. A store
# that cannot tell what a write changed (one behind a SPARQL server) is read whole.

#: What one named graph says about browsed nodes: ((iri, kind) …) and ((iri, text, is alt) …),
#: each sorted. Key "" is the store's own default graph (written only by SPARQL updates).
GraphFacts = tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, bool], ...]]

_KIND_RANK = {k: i for i, k in enumerate(_KIND_ORDER)}
_SEP = "\x00"  # between two entries of the search text; no label holds it


def _kinds_of(iri: str, kind_refs: dict[tuple[str, str], int]) -> tuple[str, ...]:
    return tuple(k for k in _KIND_ORDER if kind_refs.get((iri, k)))


class _Blob:
    """Entries ``first …`` as one lowercased string, to find a substring with ``str.find``."""

    def __init__(self, texts: Sequence[str], first: int = 0) -> None:
        lowered = [t.lower().replace(_SEP, " ") for t in texts]
        self.first = first
        self.text = _SEP.join(lowered) + _SEP
        self.starts: list[int] = list(itertools.accumulate((len(t) + 1 for t in lowered), initial=0))[:-1]

    def matching(self, needle: str) -> Iterator[int]:
        text, starts = self.text, self.starts
        i = text.find(needle)
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            yield self.first + k
            # jump to the next entry: one entry is reported once however often it matches
            i = text.find(needle, starts[k + 1] if k + 1 < len(starts) else len(text))


class LabelIndex:
    """Names of nodes, for substring search (parallel lists: small in memory).

    Entry ``k``: node ``iris[k]`` is called ``texts[k]``; ``alt[k]`` tells a short name
    (skos:altLabel) from a label. ``node_kinds`` maps each node of a browsed class to its kinds
    (class local names, in :data:`_KIND_ORDER` order): searches skip entries of other nodes.
    ``labels`` maps a node to its smallest rdfs:label. Built from what each graph says
    (``facts``, see :func:`graph_facts`); a name or a kind stated in several graphs counts once.
    Never changed once built: searches read it without a lock while a newer one is made.
    """

    def __init__(self, facts: dict[str, GraphFacts]) -> None:
        # Graphs by IRI and their sorted entries: the order depends on the facts only, never on
        # the order of the writes that led there.
        self.facts = {g: f for g, f in facts.items() if f[0] or f[1]}
        order = sorted(self.facts)
        self._kind_refs: dict[tuple[str, str], int] = Counter(p for g in order for p in self.facts[g][0])
        self._name_refs: dict[tuple[str, str, bool], int] = Counter(n for g in order for n in self.facts[g][1])
        kinds: dict[str, list[str]] = {}
        for iri, kind in self._kind_refs:
            kinds.setdefault(iri, []).append(kind)
        interned: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.node_kinds: dict[str, tuple[str, ...]] = {}
        for iri, ks in kinds.items():
            ordered = tuple(sorted(ks, key=_KIND_RANK.__getitem__))
            self.node_kinds[iri] = interned.setdefault(ordered, ordered)
        entries = list(self._name_refs)
        self.iris: list[str] = [e[0] for e in entries]
        self.texts: list[str] = [e[1] for e in entries]
        self.alt: list[bool] = [e[2] for e in entries]
        self._where: dict[tuple[str, str, bool], int] = {e: k for k, e in enumerate(entries)}
        self._by_iri: dict[str, Sequence[tuple[str, str, bool]]] = {}
        self.labels: dict[str, str] = {}
        for e in entries:
            iri, text, alt = e
            self._by_iri.setdefault(iri, []).append(e)  # type: ignore[attr-defined]
            if not alt and (iri not in self.labels or text < self.labels[iri]):
                self.labels[iri] = text
        self._dead: frozenset[int] = frozenset()
        self._blobs = [_Blob(self.texts)]

    @staticmethod
    def _set_label(labels: dict[str, str], iri: str, names: Iterable[tuple[str, str, bool]]) -> None:
        texts = [text for _, text, alt in names if not alt]
        if texts:
            labels[iri] = min(texts)
        else:
            labels.pop(iri, None)

    def __len__(self) -> int:
        return len(self.texts) - len(self._dead)

    def matching(self, text: str) -> Iterator[int]:
        """Entries whose text contains ``text`` (case-insensitive), in index order."""
        needle = text.lower()
        if not needle or _SEP in needle:
            return
        dead = self._dead
        for blob in self._blobs:
            for k in blob.matching(needle):
                if k not in dead:
                    yield k

    def exact(self, text: str) -> list[int]:
        return [k for k in self.matching(text) if self.texts[k].lower() == text.lower()]

    def updated(self, changed: dict[str, GraphFacts]) -> LabelIndex:
        """The index once the graphs of ``changed`` say what ``changed`` says (the others as
        before): a new index sharing what did not change; entries no graph states any more are
        masked, new ones appended in one small extra blob. When masked and appended entries
        outnumber an eighth of the first blob, the index is put together anew."""
        facts = {**self.facts, **changed}
        kind_refs, name_refs = dict(self._kind_refs), dict(self._name_refs)
        iris_touched: set[str] = set()
        names_touched: set[tuple[str, str, bool]] = set()
        for g, (kinds, names) in changed.items():
            old_kinds, old_names = self.facts.get(g, ((), ()))
            for refs, old, new, touched in ((kind_refs, old_kinds, kinds, None), (name_refs, old_names, names,
                                                                                   names_touched)):
                for item in old:
                    refs[item] -= 1
                    if not refs[item]:
                        del refs[item]
                for item in new:
                    refs[item] = refs.get(item, 0) + 1
                if touched is not None:
                    touched.update(old, new)
            iris_touched.update(i for i, _ in old_kinds)
            iris_touched.update(i for i, _ in kinds)
        where = dict(self._where)
        dead = set(self._dead)
        born = []
        for e in sorted(names_touched):
            if e in name_refs and e not in where:
                where[e] = len(self.texts) + len(born)
                born.append(e)
            elif e not in name_refs and e in where:
                dead.add(where.pop(e))
        extra = len(self.texts) + len(born) - len(self._blobs[0].starts)
        if len(dead) + extra > max(256, len(self._blobs[0].starts) // 8):
            return LabelIndex(facts)
        new = object.__new__(LabelIndex)
        new.facts = {g: f for g, f in facts.items() if f[0] or f[1]}
        new._kind_refs, new._name_refs, new._where, new._dead = kind_refs, name_refs, where, frozenset(dead)
        new.node_kinds = dict(self.node_kinds)
        for iri in iris_touched:
            kinds = _kinds_of(iri, kind_refs)
            if kinds:
                new.node_kinds[iri] = kinds
            else:
                new.node_kinds.pop(iri, None)
        new.iris = self.iris + [e[0] for e in born]
        new.texts = self.texts + [e[1] for e in born]
        new.alt = self.alt + [e[2] for e in born]
        new._by_iri, new.labels = dict(self._by_iri), dict(self.labels)
        for iri in {e[0] for e in names_touched}:
            names = tuple(e for e in new._by_iri.get(iri, ()) if e in name_refs)
            names += tuple(e for e in born if e[0] == iri)  # a new tuple: the old index's stays as it was
            if names:
                new._by_iri[iri] = names
            else:
                new._by_iri.pop(iri, None)
            self._set_label(new.labels, iri, names)
        first = len(self._blobs[0].starts)
        new._blobs = [self._blobs[0], _Blob(new.texts[first:], first)] if len(new.texts) > first else [self._blobs[0]]
        return new


def build_label_index(store) -> LabelIndex:
    """Read the nodes of each browsed class, and every label and short name, in a few index
    range scans (no join across the store: the join is done in Python). The embedded store is
    read graph by graph (:func:`graph_facts`), so that a write can be followed graph by graph."""
    if hasattr(store, "changed_graphs"):
        return LabelIndex(graph_facts(store, None))
    kinds: set[tuple[str, str]] = set()
    for kind, cls in ENTITY_CLASSES.items():
        kinds.update((r[0].value, kind) for r in store.query(f"SELECT ?x WHERE {{ ?x a {iri_ref(cls)} "
                                                              f"FILTER(isIRI(?x)) }}"))
    typed = {iri for iri, _ in kinds}
    names: set[tuple[str, str, bool]] = set()
    for prop, alt in (("rdfs:label", False), ("skos:altLabel", True)):
        names.update((r[0].value, r[1].value, alt) for r in store.query(f"SELECT ?x ?m WHERE {{ ?x {prop} ?m }}")
                     if r[0].value in typed)
    return LabelIndex({"": (tuple(sorted(kinds)), tuple(sorted(names)))})


def graph_facts(store, graphs: Iterable[str] | None) -> dict[str, GraphFacts]:
    """What the named graphs ``graphs`` say about nodes of the browsed classes, by graph (a graph
    that says nothing, or is gone, maps to empty facts). ``None``: every graph, and the store's
    own default graph as "" (read with its ``query_default_graph``)."""
    wanted = None if graphs is None else sorted(set(graphs))
    if wanted == []:
        return {}
    kinds: dict[str, set[tuple[str, str]]] = {}
    names: dict[str, set[tuple[str, str, bool]]] = {}
    classes = ", ".join(iri_ref(c) for c in ENTITY_CLASSES.values())
    if wanted is not None:
        # A few graphs after a write: one query, so one snapshot, and quick (~2 ms for a document
        # and the entity graphs it names).
        for r in store.query(f"""SELECT ?g ?x ?c ?m ?alt WHERE {{
  VALUES ?g {{ {" ".join(iri_ref(g) for g in wanted)} }}
  GRAPH ?g {{ {{ ?x a ?c FILTER(isIRI(?x) && ?c IN ({classes})) }}
    UNION {{ ?x rdfs:label ?m BIND(false AS ?alt) }} UNION {{ ?x skos:altLabel ?m BIND(true AS ?alt) }} }} }}"""):
            if r["c"] is not None:
                kinds.setdefault(r["g"].value, set()).add((r["x"].value, _CLASS_KIND[r["c"].value]))
            else:
                names.setdefault(r["g"].value, set()).add((r["x"].value, r["m"].value, r["alt"].value == "true"))
    for kind, cls in ENTITY_CLASSES.items() if wanted is None else ():
        for r in store.query(f"SELECT ?g ?x WHERE {{ GRAPH ?g {{ ?x a {iri_ref(cls)} }} FILTER(isIRI(?x)) }}"):
            kinds.setdefault(r[0].value, set()).add((r[1].value, kind))
    for prop, alt in (("rdfs:label", False), ("skos:altLabel", True)) if wanted is None else ():
        for r in store.query(f"SELECT ?g ?x ?m WHERE {{ GRAPH ?g {{ ?x {prop} ?m }} }}"):
            names.setdefault(r[0].value, set()).add((r[1].value, r[2].value, alt))
    if wanted is None:
        for r in store.query_default_graph(f"SELECT ?x ?c WHERE {{ ?x a ?c FILTER(isIRI(?x) && ?c IN ({classes})) }}"):
            kinds.setdefault("", set()).add((r[0].value, _CLASS_KIND[r[1].value]))
        for r in store.query_default_graph("SELECT ?x ?m ?p WHERE { ?x ?p ?m "
                                           "FILTER(?p IN (rdfs:label, skos:altLabel)) }"):
            names.setdefault("", set()).add((r[0].value, r[1].value, r[2].value == SKOS + "altLabel"))
    return {g: (tuple(sorted(kinds.get(g, ()))), tuple(sorted(names.get(g, ()))))
            for g in set(kinds) | set(names) | set(wanted or ())}


# Built, and its changes read, in one consistent view of the store: never the kinds of one
# version of a document beside the labels of another. The changes are put in after that view
# (LabelIndex.updated), so a write is less likely to come during the read and make it start over.
LABEL_INDEXES: "StoreStateCache[LabelIndex]" = StoreStateCache(
    lambda store: build_label_index(store), update=(lambda store, graphs: graph_facts(store, graphs),
                                                    lambda old, changes: old.updated(changes)), consistent=True)


def label_index(store) -> LabelIndex:
    """The (cached) label index of ``store``."""
    return LABEL_INDEXES.get(store)


def search_labels(store, text: str, kinds: Sequence[str] | None = None, limit: int = 20) -> list[LabelHit]:
    """Nodes whose Chinese name or short name (rdfs:label, skos:altLabel) contains ``text``.

    ``kinds`` are class local names (``Program``, ``AdministrativeDivision`` …). Exact matches
    come first, then names that start with ``text``, then the others; within each, shorter
    names first, then by kind, label and IRI. Reads the cached :func:`label_index`.
    """
    text = (text or "").strip()
    if not text:
        return []
    classes = [k for k in (kinds or []) if k in ENTITY_CLASSES]
    if kinds and not classes:
        raise QueryError(f"unknown kinds {[shown(k) for k in kinds]}; use {', '.join(ENTITY_CLASSES)}")
    wanted = set(classes) if classes else None
    index = label_index(store)
    low = text.lower()
    texts, iris, node_kinds = index.texts, index.iris, index.node_kinds
    best: dict[str, tuple[int, int, str, int]] = {}  # iri -> (exact/prefix/contains, length, text, entry)
    for k in index.matching(text):
        iri = iris[k]
        ks = node_kinds.get(iri)
        if not ks or (wanted is not None and not any(x in wanted for x in ks)):
            continue
        ml = texts[k].lower()
        # the text breaks ties, not the entry's place: the same hits whatever order writes came in
        rank = (0 if ml == low else 1 if ml.startswith(low) else 2, len(ml), texts[k], k)
        old = best.get(iri)
        if old is None or rank < old:
            best[iri] = rank

    def kind(iri: str) -> str | None:
        ks = [x for x in node_kinds.get(iri, ()) if wanted is None or x in wanted]
        return ks[0] if ks else None

    def label(iri: str, k: int) -> str:
        return index.labels.get(iri) or texts[k]

    top = heapq.nsmallest(max(0, int(limit)), best.items(), key=lambda item: (
        item[1][0], item[1][1], _KIND_RANK.get(kind(item[0]), 99), label(item[0], item[1][3]), item[0]))
    return [LabelHit(iri, label(iri, k), kind(iri), texts[k], r == 0) for iri, (r, _n, _t, k) in top]


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


@dataclass(frozen=True)
class NodeInfo:
    iri: str
    label: str | None
    kind: str | None


def node_info(store, iri: str) -> NodeInfo:
    rows = _rows(store, f"SELECT ?l ?t WHERE {{ {{ {iri_ref(iri)} rdfs:label ?l }} UNION {{ {iri_ref(iri)} a ?t }} }} "
                        f"LIMIT 200")
    if not rows:
        raise NotFoundError(f"nothing is known about {shown(iri)}")
    labels = [r["l"].value for r in rows if r["l"] is not None]
    return NodeInfo(iri, labels[0] if labels else None, kind_of([r["t"].value for r in rows if r["t"] is not None]))


@consistent
def neighbours(store, iri: str, limit: int = 200, *, provenance: bool = False) -> list[Neighbour]:
    """The nodes linked to ``iri`` by an IRI-valued property, in either direction.

    Provenance links (evidence spans, mentions, wasDerivedFrom) are left out unless
    ``provenance`` is true; ``rdf:type`` is the ``kind``, not an edge.
    """
    ref = iri_ref(iri)
    hide = "" if provenance else "&& ?p NOT IN (" + ", ".join(iri_ref(p) for p in sorted(PROVENANCE_PREDICATES)) + ")"
    # Links first, one query per direction from the bound node; sorted and cut here (ORDER BY
    # over the 48 000 links of a hot program, with labels joined in, took 3 s), then the
    # labels and types of the kept neighbours only.
    links: set[tuple[str, str, str]] = set()
    for direction, pattern in (("out", f"{ref} ?p ?n"), ("in", f"?n ?p {ref}")):
        for r in _rows(store, f"SELECT ?n ?p WHERE {{ {pattern} FILTER(isIRI(?n) && ?p != rdf:type {hide}) }}"):
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
    for chunk in (order[i:i + 400] for i in range(0, len(order), 400)):
        values = " ".join(iri_ref(n) for n in chunk)
        for r in _rows(store, f"SELECT ?n ?l ?t WHERE {{ VALUES ?n {{ {values} }} "
                              f"{{ ?n rdfs:label ?l }} UNION {{ ?n a ?t }} }}"):
            n = r["n"].value
            if r["l"] is not None:
                labels.setdefault(n, r["l"].value)
            if r["t"] is not None:
                types.setdefault(n, set()).add(r["t"].value)
    return [Neighbour(n, labels.get(n), kind_of(sorted(types.get(n, ()))), edges[n]) for n in order]


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
class Evidence:
    span: str
    start: int
    end: int
    exact: str | None
    paragraph: str  # the paragraph of the document text holding the quote
    quote_start: int  # offsets of the quote inside ``paragraph``
    quote_end: int
    document: str | None


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


@consistent
def describe(store, iri: str, *, max_links: int = 500) -> Resource:
    """Everything about one node: its label, types, properties, incoming links and quoted evidence."""
    ref = iri_ref(iri)
    rows = _rows(store, f"""SELECT ?p ?o (SAMPLE(?ol) AS ?olabel) WHERE {{ {ref} ?p ?o
  OPTIONAL {{ FILTER(isIRI(?o)) ?o rdfs:label ?ol }} }} GROUP BY ?p ?o ORDER BY ?p ?o LIMIT 5000""")
    ins = _rows(store, f"""SELECT ?s ?p (SAMPLE(?sl) AS ?slabel) (SAMPLE(?st) AS ?stype) WHERE {{ ?s ?p {ref}
  OPTIONAL {{ ?s rdfs:label ?sl }} OPTIONAL {{ ?s a ?st }} }} GROUP BY ?s ?p ORDER BY ?p ?s LIMIT {int(max_links) + 1}""")
    if not rows and not ins:
        raise NotFoundError(f"nothing is known about {shown(iri)}")
    types = [r["o"].value for r in rows if r["p"].value == RDF + "type"]
    labels = [r["o"].value for r in rows if r["p"].value == RDFS + "label"]
    props = []
    for r in rows:
        o = r["o"]
        if isinstance(o, ox.Literal):
            val = Value(literal=o.value, datatype=o.datatype.value if not o.language else None, language=o.language)
        elif isinstance(o, ox.NamedNode):
            val = Value(iri=o.value, label=_v(r["olabel"]))
        else:
            val = Value(literal=str(o))
        props.append(Property(r["p"].value, prefixed(r["p"].value), val))
    links = [LinkIn(r["s"].value, _v(r["slabel"]), kind_of([r["stype"].value]) if r["stype"] is not None else None,
                    r["p"].value, prefixed(r["p"].value)) for r in ins[:max_links] if isinstance(r["s"], ox.NamedNode)]
    evidence = _evidence(store, iri, types)
    return Resource(iri, labels[0] if labels else None, kind_of(types), types, props, links, evidence,
                    len(ins) > max_links)


def _evidence(store, iri: str, types: list[str]) -> list[Evidence]:
    ref = iri_ref(iri)
    if OA + "TextPositionSelector" in types:
        pattern = f"BIND({ref} AS ?s)"
    else:
        pattern = f"{{ {ref} pkg:evidence ?s }} UNION {{ ?_m pkg:mentionOf {ref} ; pkg:evidence ?s }}"
    rows = _rows(store, f"""SELECT DISTINCT ?s ?start ?end ?exact ?doc WHERE {{ {pattern}
  ?s oa:start ?start ; oa:end ?end . OPTIONAL {{ ?s oa:exact ?exact }} OPTIONAL {{ ?s prov:wasDerivedFrom ?doc }}
}} ORDER BY ?doc ?start LIMIT 50""")
    texts: dict[str, str] = {}
    out = []
    for r in rows:
        doc = _v(r["doc"])
        start, end = int(r["start"].value), int(r["end"].value)
        text = ""
        if doc:
            if doc not in texts:
                t = _rows(store, f"SELECT ?t WHERE {{ {iri_ref(doc)} pkg:text ?t }} LIMIT 1")
                texts[doc] = t[0]["t"].value if t else ""
            text = texts[doc]
        para_start = text.rfind("\n", 0, start) + 1
        para_end = text.find("\n", end)
        if para_end == -1:
            para_end = len(text)
        paragraph = text[para_start:para_end] if text else (_v(r["exact"]) or "")
        qs, qe = (start - para_start, end - para_start) if text else (0, len(paragraph))
        out.append(Evidence(r["s"].value, start, end, _v(r["exact"]), paragraph, qs, qe, doc))
    return out


@dataclass(frozen=True)
class StoreOverview:
    documents: int
    quads: int
    by_kind: dict[str, int]


@consistent
def overview(store) -> StoreOverview:
    values = " ".join(iri_ref(c) for c in ENTITY_CLASSES.values())
    rows = _rows(store, f"SELECT ?t (COUNT(DISTINCT ?x) AS ?n) WHERE {{ VALUES ?t {{ {values} }} ?x a ?t }} GROUP BY ?t")
    by_kind = {k: 0 for k in ENTITY_CLASSES}
    for r in rows:
        by_kind[_CLASS_KIND[r["t"].value]] = int(r["n"].value)
    return StoreOverview(by_kind["PolicyDocument"], store.count(), by_kind)


def resource_rdf(store, iri: str, fmt: str) -> bytes:
    """The triples about ``iri`` (as subject, plus incoming links) serialized as ``fmt``
    (turtle, ntriples, jsonld, rdfxml). Raises NotFoundError when nothing is known."""
    from policykg.graph.store import RDF_FORMATS

    ref = iri_ref(iri)
    triples = list(store.query(f"CONSTRUCT {{ {ref} ?p ?o . ?s ?q {ref} }} WHERE {{ {{ {ref} ?p ?o }} UNION "
                               f"{{ ?s ?q {ref} }} }} LIMIT 20000"))
    if not triples:
        raise NotFoundError(f"nothing is known about {shown(iri)}")
    rdf_format = RDF_FORMATS[fmt]
    return ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if fmt == "turtle" else None)
