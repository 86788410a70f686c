"""HTML pages: home, search, the query page, the API reference and a page for every instance IRI.

Each page is a template of ``api/templates`` (:func:`policykg.html_pages.templates`: every value
escaped where it is put); nothing is loaded from the internet. Every response carries
:data:`~policykg.html_pages.SECURITY_HEADERS`: a Content-Security-Policy that allows no inline
script, so even a value that escaped escaping could not run.

Why one module: every route here is a few lines that read through graph's typed API and hand
the result to a template; what they share (the router, :func:`page`, the instance IRI's
parsing and content negotiation, the example queries) is most of the file, and split by page
each part would import all of it back.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from policykg.api.conneg import RDF_TYPES, negotiate, prefers_html
from policykg.api.pools import api_thread
from policykg.errors import NotAcceptable, NotFoundError
from policykg.graph import documents, programs, resources
from policykg.graph.evidence import Evidence
from policykg.graph.iris import segment
from policykg.graph.kinds import prefixed
from policykg.graph.results import plural
from policykg.graph.search import search_labels
from policykg.graph.store import read_consistently
from policykg.html_pages import SECURITY_HEADERS, templates
from policykg.ontology import ONTOLOGY_FILE, PREFIXES, SHAPES_FILE, sparql_prologue

router = APIRouter(include_in_schema=False)
PAGES = templates("policykg.api")
#: Characters of a paragraph shown on each side of a quote.
_AROUND_QUOTE = 300


def _viz_installed() -> bool:
    try:
        return importlib.util.find_spec("policykg.viz.routes") is not None
    except (ImportError, ValueError):
        return False


def page(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context``, plus what every page uses: whether the network view
    is there (the nav links to it), the link helpers, and the page's title (``title``)."""
    base = request.app.state.settings.base_iri
    html = PAGES.get_template(template).render(
        explore=_viz_installed(),
        prefixed=prefixed,
        local_path=lambda iri: local_path(base, iri),
        **{"base": "", **context},
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def local_path(base: str, iri: str) -> str | None:
    """The local page of an instance IRI (``base`` → /id/); None for an IRI outside ``base``."""
    if iri.startswith(base):
        return "/id/" + quote(iri[len(base) :], safe="/%-._~")
    return None


# -- home and search -------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request):
    store = request.app.state.store
    # The counts and the table in one state of the store: a write between them would show, say,
    # 12 documents above a table of 11.
    ov, docs = await api_thread(
        read_consistently,
        store,
        lambda: (resources.overview(store), documents.list_documents(store, offset=0, limit=100)),
    )
    return page(
        request,
        "home.html",
        title="Home",
        documents=plural(ov.documents, "document"),
        quads=plural(ov.quads, "quad"),
        endpoint=str(request.base_url),
        counts=ov.by_kind,
        page=docs,
    )


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q_: str = "", kind: str | None = None):
    text = request.query_params.get("q", q_)
    hits = (
        await api_thread(search_labels, request.app.state.store, text, [kind] if kind else None, 50)
        if text.strip()
        else []
    )
    return page(request, "search.html", title=f"Search {text}", text=text, hits=hits)


# -- query page -------------------------------------------------------------------------------

EXAMPLES: list[tuple[str, str, str]] = [
    # The README's planner questions (docs/queries/*.rq; a test keeps them in step).
    (
        "All targets of a task",
        "Planners: what one task commits to, with the words it used",
        """SELECT ?indicator ?comparator ?value ?unit ?quote WHERE {
  ?task a pkg:Task ; pkg:ordinal 12 ; pkg:hasTarget ?target .
  ?target pkg:indicator/rdfs:label ?indicator ; pkg:evidence/oa:exact ?quote .
  OPTIONAL { ?target pkg:value ?value }
  OPTIONAL { ?target pkg:unit ?unit }
  OPTIONAL { ?target pkg:comparator ?comparator }
}
ORDER BY ?quote""",
    ),
    (
        "Reach of a program",
        "Planners: every task that names a program or any of its parts",
        """SELECT ?n ?task ?program WHERE {
  ?root a pkg:Program ; rdfs:label "三名工程" .
  ?part pkg:partOf* ?root ; rdfs:label ?program .
  ?t a pkg:Task ; pkg:mentions ?part ; pkg:ordinal ?n ; rdfs:label ?task .
}
ORDER BY ?n ?program""",
    ),
    (
        "Targets scoped to a county",
        "Planners: every target that applies to a county-level division",
        """SELECT ?county ?code ?n ?indicator ?value ?unit WHERE {
  ?target pkg:appliesTo ?division .
  ?division pkg:level pkg:County ; rdfs:label ?county ; pkg:adminCode ?code .
  ?task pkg:hasTarget ?target ; pkg:ordinal ?n .
  ?target pkg:indicator/rdfs:label ?indicator .
  OPTIONAL { ?target pkg:value ?value }
  OPTIONAL { ?target pkg:unit ?unit }
}
ORDER BY ?code ?n""",
    ),
    (
        "Who leads what rests on a program",
        "Planners: every task resting on 三名工程 (or a part of it), with its lead and supporting units",
        """SELECT ?n ?task ?program ?leads ?supports WHERE {
  {
    SELECT ?t ?p (GROUP_CONCAT(DISTINCT ?lead; separator="、") AS ?leads)
           (GROUP_CONCAT(DISTINCT ?support; separator="、") AS ?supports) WHERE {
      ?root a pkg:Program ; rdfs:label "三名工程" .
      ?p (pkg:partOf|pkg:dependsOn)* ?root .
      ?t a pkg:Task .
      { ?t pkg:dependsOn ?p } UNION { ?t pkg:mentions ?p }
      OPTIONAL { ?t pkg:ledBy/rdfs:label ?lead }
      OPTIONAL { ?t pkg:supportedBy/rdfs:label ?support }
    }
    GROUP BY ?t ?p
  }
  ?t pkg:ordinal ?n ; rdfs:label ?task .
  ?p rdfs:label ?program .
}
ORDER BY ?n ?program""",
    ),
    (
        "Targets that start below a value",
        "Planners: targets whose baseline (pkg:baseline, 从85%提高到92%) is under 90",
        """SELECT ?indicator ?baseline ?value ?unit ?bindingness ?quote WHERE {
  ?target pkg:baseline ?baseline ; pkg:indicator/rdfs:label ?indicator ; pkg:evidence/oa:exact ?quote .
  FILTER(?baseline < 90)
  OPTIONAL { ?target pkg:value ?value }
  OPTIONAL { ?target pkg:unit ?unit }
  OPTIONAL { ?target pkg:bindingness ?bindingness }
}
ORDER BY ?baseline ?indicator""",
    ),
    (
        "Tasks that answer to a document",
        "Planners: tasks that cite a document in the store (dcterms:references), by words of its title",
        """SELECT ?document ?citing ?n ?task WHERE {
  ?d a pkg:PolicyDocument ; dcterms:title ?document .
  FILTER(CONTAINS(?document, "学前教育"))
  ?t a pkg:Task ; dcterms:references ?d ; pkg:ordinal ?n ; rdfs:label ?task ; prov:wasDerivedFrom ?c .
  ?c dcterms:title ?citing .
}
ORDER BY ?document ?citing ?n""",
    ),
    (
        "Documents",
        "Every document with its date and publisher",
        """SELECT ?doc ?title ?issued ?publisher WHERE {
  ?doc a pkg:PolicyDocument ; dcterms:title ?title .
  OPTIONAL { ?doc dcterms:issued ?issued }
  OPTIONAL { ?doc dcterms:publisher/rdfs:label ?publisher }
} ORDER BY DESC(?issued)""",
    ),
    (
        "Targets by indicator",
        "Quantified goals, their values, units and deadlines",
        """SELECT ?indicator ?value ?unit ?comparator ?deadline ?quote WHERE {
  ?t a pkg:Target ; pkg:indicator/rdfs:label ?indicator ; rdfs:label ?quote .
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
  OPTIONAL { ?t pkg:comparator ?comparator } OPTIONAL { ?t pkg:deadline ?deadline }
} ORDER BY ?indicator LIMIT 200""",
    ),
    (
        "Enrolment goals ≥ 90%",
        "Planners: targets on rates of at least 90 %",
        """SELECT ?indicator ?value ?doc WHERE {
  ?t a pkg:Target ; pkg:indicator/rdfs:label ?indicator ; pkg:value ?value ; pkg:unit "%" ;
     prov:wasDerivedFrom ?doc .
  FILTER(?value >= 90)
} ORDER BY DESC(?value)""",
    ),
    (
        "Programs and their parts",
        "Named programs (工程, 计划 …) and sub-programs",
        """SELECT ?program ?part WHERE {
  ?p a pkg:Program ; rdfs:label ?program .
  OPTIONAL { ?x pkg:partOf ?p ; rdfs:label ?part }
} ORDER BY ?program""",
    ),
    (
        "Tasks mentioning a program",
        "Which tasks name which programs, with the section they sit in",
        """SELECT ?program ?task ?section WHERE {
  ?t a pkg:Task ; rdfs:label ?task ; pkg:mentions ?p ; dcterms:isPartOf/rdfs:label ?section .
  ?p a pkg:Program ; rdfs:label ?program .
} ORDER BY ?program LIMIT 200""",
    ),
    (
        "Goals scoped to a division",
        "Targets that apply to a county, prefecture or province",
        """SELECT ?division ?code ?indicator ?value ?unit WHERE {
  ?t pkg:appliesTo ?d ; pkg:indicator/rdfs:label ?indicator .
  ?d rdfs:label ?division ; pkg:adminCode ?code .
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
} ORDER BY ?code""",
    ),
    (
        "Source sentence of a task",
        "Researchers: the exact characters each task was read from",
        """SELECT ?task ?start ?end ?quote WHERE {
  ?t a pkg:Task ; rdfs:label ?task ; pkg:evidence ?s .
  ?s oa:start ?start ; oa:end ?end ; oa:exact ?quote .
} ORDER BY ?start LIMIT 50""",
    ),
    (
        "Sections and task counts",
        "The outline of every document",
        """SELECT ?doc ?section (COUNT(?task) AS ?tasks) WHERE {
  ?s a pkg:Section ; rdfs:label ?section ; dcterms:isPartOf ?doc .
  OPTIONAL { ?task dcterms:isPartOf ?s }
} GROUP BY ?doc ?s ?section ORDER BY ?doc ?s""",
    ),
]


@router.get("/compare", response_class=HTMLResponse)
async def compare_page(request: Request, indicator: str = "", place: str = ""):
    """An indicator over documents, places and years: a chart per place and the table of quotes."""
    from policykg.api.charts import line_chart
    from policykg.graph.compare import compare

    years = {k: request.query_params.get(k, "").strip() for k in ("from", "to")}
    context: dict[str, Any] = {
        "indicator_text": indicator,
        "place_text": place,
        "year_from": years["from"],
        "year_to": years["to"],
        "comparison": None,
        "chart": None,
        "error": None,
    }
    status = 200
    if indicator.strip():
        try:
            bounds = {k: int(v) if v else None for k, v in years.items()}
        except ValueError:
            bounds, context["error"], status = {}, "from and to are years, such as 2016", 400
        if not context["error"]:
            try:
                found = await api_thread(
                    compare,
                    request.app.state.store,
                    indicator.strip(),
                    place=place.strip() or None,
                    year_from=bounds["from"],
                    year_to=bounds["to"],
                    limit=1000,
                )
                context["comparison"], context["chart"] = found, line_chart(found)
            except NotFoundError as exc:
                context["error"], status = str(exc), 404
    return page(request, "compare.html", title=f"Compare {indicator}", status_code=status, **context)


@router.get("/timeline", response_class=HTMLResponse)
async def timeline_page(request: Request, program: str = ""):
    """A program through time: the documents that name it by year and place, and its lineage."""
    from policykg.graph.timeline import timeline

    context: dict[str, Any] = {"program_text": program, "timeline": None, "error": None}
    status = 200
    if program.strip():
        try:
            context["timeline"] = await api_thread(timeline, request.app.state.store, program.strip())
        except NotFoundError as exc:
            context["error"], status = str(exc), 404
    return page(request, "timeline.html", title=f"Timeline {program}", status_code=status, **context)


@router.get("/diff", response_class=HTMLResponse)
async def diff_page(request: Request, a: str = "", b: str = ""):
    """What changed between two plans: targets, programs and tasks, each with both quotes."""
    from policykg.graph.plan_diff import diff

    context: dict[str, Any] = {"a_text": a, "b_text": b, "d": None, "error": None}
    status = 200
    if a.strip() and b.strip():
        try:
            context["d"] = await api_thread(diff, request.app.state.store, a.strip(), b.strip())
        except NotFoundError as exc:
            context["error"], status = str(exc), 404
    return page(request, "diff.html", title="Diff", status_code=status, **context)


@router.get("/place/{code}", response_class=HTMLResponse)
async def place_page(request: Request, code: str):
    """A division's profile: where it lies (a map among its neighbours), the documents that govern
    it, its targets, the programs that reach it; on a province, its counties shaded by targets."""
    from policykg.api import maps
    from policykg.graph.divisions import county_counts, division_chain, get_division

    store = request.app.state.store

    def read() -> tuple[Any, list[tuple[str, str]], list[Any]]:
        detail = get_division(store, code)
        return detail, division_chain(store, code), county_counts(store, code) if detail.level == "Province" else []

    try:
        detail, chain, counts = await api_thread(read_consistently, store, read)
    except NotFoundError:
        return page(request, "not_found.html", title="Not found", iri=f"division {code}", status_code=404)
    place_map = await api_thread(maps.place_map, chain)
    shaded = None
    if detail.level == "Province":
        shaded = await api_thread(
            maps.choropleth,
            detail.label or "",
            {c.division.label: c.targets for c in counts if c.division.label},
            "targets",
        )
    return page(
        request,
        "place.html",
        title=detail.label or code,
        d=detail,
        chain=chain,
        place_map=place_map,
        shaded=shaded,
        maps=maps.available(),
    )


@router.get("/query", response_class=HTMLResponse)
async def query_page(request: Request):
    """The SPARQL editor. The prefixes are predeclared by ``/sparql``, so the examples and the
    first query are written without them (the page can insert the ``PREFIX`` lines)."""
    settings = request.app.state.settings
    query = request.query_params.get("query") or EXAMPLES[0][2]
    return page(
        request,
        "query.html",
        title="Query",
        base=settings.base_iri,
        query=query,
        examples=EXAMPLES,
        prologue=sparql_prologue(),
        prefixes=PREFIXES,
        max_rows=settings.max_rows,
        query_timeout=settings.query_timeout,
    )


@functools.cache
def query_vocabulary() -> dict[str, Any]:
    """What the query editor completes, read from the ontology and its shapes (one source of
    truth): the prefixes, and every term they name in a known namespace (``pkg:Task``, and the
    terms of other vocabularies they use, ``dcterms:title``, ``oa:exact``), with its kind and
    English label where the ontology declares them."""
    from rdflib import OWL, RDF, RDFS, Graph, URIRef

    graph = Graph().parse(ONTOLOGY_FILE, format="turtle").parse(SHAPES_FILE, format="turtle")
    kinds = {str(OWL.Class): "class", str(OWL.NamedIndividual): "individual"}
    kinds |= {str(p): "property" for p in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)}
    terms: dict[str, dict[str, str]] = {}
    for node in {n for triple in graph for n in triple if isinstance(n, URIRef)}:
        name = prefixed(str(node))
        if name == str(node):
            continue  # not in a known namespace
        kind = next((kinds[str(t)] for t in graph.objects(node, RDF.type) if str(t) in kinds), "")
        label = next(
            (str(lit) for lit in graph.objects(node, RDFS.label) if getattr(lit, "language", None) == "en"), ""
        )
        terms[name] = {"name": name, "kind": kind, "label": label}
    return {
        "prefixes": PREFIXES,
        "terms": [terms[n] for n in sorted(terms, key=lambda n: (not n.startswith("pkg:"), n))],
    }


@router.get("/query/vocabulary.json")
async def query_vocabulary_json() -> Response:
    """The prefixes and ontology terms the query editor completes (:func:`query_vocabulary`)."""
    return Response(
        json.dumps(query_vocabulary(), ensure_ascii=False),
        media_type="application/json",
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get("/query/basemap.json")
async def query_basemap_json() -> Response:
    """The provinces' boundaries the query page's map view draws its points on: a list of
    [name, rings of [longitude, latitude]] (empty without the ``maps`` extra)."""
    from policykg.api import maps

    outlines = await api_thread(maps.province_outlines)
    return Response(
        json.dumps(outlines, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers={"Cache-Control": "max-age=86400"},
    )


# -- API reference (local, no CDN) --------------------------------------------------------------


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request):
    spec = request.app.openapi()
    return page(request, "api_docs.html", title="API", spec=spec, groups=api_groups(spec))


#: The routes' groups on /api/docs, public first: (OpenAPI tag, title, what the group is for).
API_GROUPS = (
    ("api", "JSON API", "Typed, paginated reads: documents, tasks, targets, programs, divisions, across documents."),
    (
        "sparql",
        "SPARQL 1.1 and the Graph Store",
        "The W3C protocols: read-only queries for everyone, writes with the token.",
    ),
    ("meta", "Health", "Whether the server answers, and its limits."),
    ("network", "Network view (internal)", "What /explore reads. Stable for the view, not promised to other clients."),
)
#: Example values for the parameters of the examples on /api/docs (the sample's names).
EXAMPLE_VALUES = {
    "doc_id": "kunming-2017-education-workplan",
    "ordinal": "12",
    "name": "三名工程",
    "program": "三名工程",
    "code": "530129",
    "indicator": "学前三年毛入园率",
    "place": "昆明市",
    "q": "名校",
    "query": "SELECT * WHERE { ?s a pkg:Task } LIMIT 3",
    "task": "https://w3id.org/policykg/id/doc/kunming-2017-education-workplan/task/8",
    "a": "kunming-2017-education-workplan",
    "b": "kunming-2017-education-workplan",
    "iri": "https://w3id.org/policykg/id/program/三名工程",
    "graph": "https://w3id.org/policykg/id/doc/kunming-2017-education-workplan",
    "document": "https://w3id.org/policykg/id/doc/kunming-2017-education-workplan",
}
#: Where one route reads a parameter of a common name as something else.
EXAMPLE_OVERRIDES = {
    ("/api/tables/{name}", "name"): "targets",
    ("/api/path", "a"): "三名工程",
    ("/api/path", "b"): "寻甸县",
}
#: Optional parameters an example shows (the route answers nothing useful without them).
EXAMPLE_OPTIONAL = ("q", "query", "graph")
#: Routes that read their parameters themselves (no OpenAPI parameters): the whole example.
EXAMPLE_FIXED = {"/graph-store": "/graph-store?graph=" + quote(EXAMPLE_VALUES["graph"], safe="")}


def api_groups(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations of ``spec`` grouped by tag, public groups first, each GET with an example
    link filled from :data:`EXAMPLE_VALUES` (the required parameters, and those it knows)."""
    groups = []
    for tag, title, about in API_GROUPS:
        ops = []
        for path, methods in sorted(spec.get("paths", {}).items()):
            for method, op in methods.items():
                if tag not in op.get("tags", []):
                    continue
                example = None
                if method == "get":
                    filled = path
                    query = []
                    for param in op.get("parameters", []):
                        value = EXAMPLE_OVERRIDES.get((path, param["name"]), EXAMPLE_VALUES.get(param["name"]))
                        if param["in"] == "path":
                            filled = filled.replace("{" + param["name"] + "}", quote(value or "x", safe=""))
                        elif value is not None and (param.get("required") or param["name"] in EXAMPLE_OPTIONAL):
                            query.append(f"{param['name']}={quote(value, safe='')}")
                    example = EXAMPLE_FIXED.get(path, filled + ("?" + "&".join(query) if query else ""))
                ops.append({"method": method, "path": path, "op": op, "example": example})
        groups.append({"tag": tag, "title": title, "about": about, "ops": ops})
    return groups


# -- instance pages ---------------------------------------------------------------------------

_SUFFIXES = {
    ".ttl": ("text/turtle", "turtle"),
    ".nt": ("application/n-triples", "ntriples"),
    ".jsonld": ("application/ld+json", "jsonld"),
    ".rdf": ("application/rdf+xml", "rdfxml"),
}


def iri_from_path(base: str, raw_path: str) -> str:
    """The instance IRI of a local /id/ path: each segment is decoded, then encoded as the IRI scheme does."""
    segments = raw_path.split("/")
    return base + "/".join(segment(unquote(s)) if s else "" for s in segments)


@router.get("/id/{rest:path}")
async def instance(request: Request, rest: str):
    settings = request.app.state.settings
    store = request.app.state.store
    raw = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    raw_rest = raw.split("/id/", 1)[1] if "/id/" in raw else quote(rest)
    fmt = None
    for suffix, chosen in _SUFFIXES.items():
        if raw_rest.endswith(suffix):
            raw_rest = raw_rest[: -len(suffix)]
            fmt = chosen
            break
    iri = iri_from_path(settings.base_iri, raw_rest)
    accept = request.headers.get("accept")
    if fmt is None and not prefers_html(accept, RDF_TYPES):
        fmt = negotiate(accept, RDF_TYPES)
        if fmt is None:
            raise NotAcceptable("this page is offered as text/html, Turtle, N-Triples, JSON-LD or RDF/XML")
    if fmt is not None:
        media, name = fmt
        body = await api_thread(resources.resource_rdf, store, iri, name)
        ctype = media + "; charset=utf-8" if media.startswith("text/") else media
        return Response(body, media_type=ctype, headers={"Vary": "Accept", **SECURITY_HEADERS})
    try:
        res = await api_thread(resources.describe, store, iri)
        # A program's page says what planners ask of it first: its parts, lineage, the tasks that
        # name it or build on it, their leads, targets and places (the JSON of /api/programs/…).
        program = await api_thread(programs.get_program, store, res.iri) if res.kind == "Program" else None
        # A document's page is its outline; its whole text (one quote) folds away below.
        outline = await api_thread(documents.outline, store, res.iri) if res.kind == "PolicyDocument" else None
    except NotFoundError:
        # Also when the node was removed between these reads (a remote store has no common snapshot).
        return page(request, "not_found.html", title="Not found", iri=iri, status_code=404)
    program_map, program_province = None, None
    if program is not None:
        from policykg.api import maps
        from policykg.graph.divisions import program_counties

        # Where the program reaches: the counties its tasks name, shaded by how many do.
        counties = await api_thread(program_counties, store, res.iri)
        if counties is not None:
            program_map = await api_thread(maps.choropleth, counties.province, counties.tasks_by_county, "tasks")
            program_province = counties.province
    return page(
        request,
        "resource.html",
        title=res.label or iri,
        res=res,
        program=program,
        program_map=program_map,
        program_map_province=program_province,
        outline=outline,
        path=local_path(settings.base_iri, res.iri) or res.iri,
        json_href="/api/resource?iri=" + quote(res.iri, safe=""),
        passages=[_passage(ev) for ev in res.evidence],
    )


@dataclass(frozen=True)
class _Passage:
    """A quote in its paragraph, the paragraph cut to a few hundred characters each side."""

    before: str
    quote: str
    after: str
    evidence: Evidence


def _passage(ev: Evidence) -> _Passage:
    para = ev.paragraph
    before, quoted, after = para[: ev.quote_start], para[ev.quote_start : ev.quote_end], para[ev.quote_end :]
    if len(before) > _AROUND_QUOTE:
        before = "…" + before[-_AROUND_QUOTE:]
    if len(after) > _AROUND_QUOTE:
        after = after[:_AROUND_QUOTE] + "…"
    return _Passage(before, quoted, after, ev)
