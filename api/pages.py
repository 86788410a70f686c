"""HTML pages: home, the query page, the API reference and a page for every instance IRI.

Every value that comes from the store or the request is escaped with
:func:`html.escape` (``h``); nothing is loaded from the internet. Every response
carries :data:`SECURITY_HEADERS`: a Content-Security-Policy that allows no inline
script, so even a value that escaped escaping could not run.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from policykg.api.pools import api_thread

from policykg.api.conneg import RDF_TYPES, negotiate, prefers_html
from policykg.errors import NotAcceptable, NotFoundError
from policykg.graph import documents, resources
from policykg.graph.kinds import prefixed
from policykg.graph.search import search_labels
from policykg.graph.iris import segment
from policykg.graph.results import plural
from policykg.graph.store import read_consistently
from policykg.html_pages import SECURITY_HEADERS
from policykg.ontology import PREFIXES, sparql_prologue

router = APIRouter(include_in_schema=False)




def h(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def layout(title: str, body: str, *, head: str = "", status_code: int = 200, base: str = "") -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{h(title)} · policykg</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/style.css">{head}</head>
<body data-base="{h(base)}"><header><a class="brand" href="/">policykg</a> <nav><a href="/">Home</a> <a href="/query">Query</a>
<a href="/api/docs">API</a> <a href="/sparql">Service description</a>{_explore_link()}</nav></header>
<main>{body}</main><footer>policykg · read-only public view · no asset from the internet</footer></body></html>"""
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


def _explore_link() -> str:
    import importlib.util
    try:
        found = importlib.util.find_spec("policykg.viz.routes") is not None
    except (ImportError, ValueError):
        found = False
    return ' <a href="/explore">Explore</a>' if found else ""


def local_path(request: Request, iri: str) -> str:
    """The local page of an instance IRI (base → /id/), or the IRI itself for outside ones."""
    base = request.app.state.settings.base_iri
    if iri.startswith(base):
        return "/id/" + quote(iri[len(base):], safe="/%-._~")
    return iri


def link(request: Request, iri: str | None, label: str | None = None) -> str:
    if not iri:
        return ""
    text = label or prefixed(iri)
    base = request.app.state.settings.base_iri
    if iri.startswith(base):
        return f'<a href="{h(local_path(request, iri))}">{h(text)}</a>'
    if iri.startswith(("http://", "https://")):
        return f'<a href="{h(iri)}" rel="nofollow noopener">{h(text)}</a>'
    return h(text)


# -- home -------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
async def home(request: Request):
    store = request.app.state.store
    # The counts and the table in one state of the store: a write between them would show, say,
    # 12 documents above a table of 11.
    ov, docs = await api_thread(read_consistently, store,
                                lambda: (resources.overview(store), documents.list_documents(store, offset=0, limit=100)))
    counts = "".join(f"<tr><td>{h(k)}</td><td class=num>{v}</td></tr>" for k, v in ov.by_kind.items())
    rows = "".join(
        f"<tr><td>{link(request, d.iri, d.title or d.iri)}</td><td>{h(d.issued)}</td>"
        f"<td>{link(request, d.publisher.iri, d.publisher.label) if d.publisher else ''}</td>"
        f"<td class=num>{d.sections}</td><td class=num>{d.tasks}</td><td class=num>{d.targets}</td></tr>"
        for d in docs.items)
    more = f"<p>{docs.total - len(docs.items)} more: see <a href='/api/documents'>/api/documents</a>.</p>" \
        if docs.total > len(docs.items) else ""
    body = f"""<h1>policykg</h1>
<p>A knowledge graph of Chinese policy documents: {plural(ov.documents, "document")}, {plural(ov.quads, "quad")} (each document's own graph and the shared
graphs of the programs, places and bodies it names).
Ask it questions on the <a href="/query">query page</a> (SPARQL), through the <a href="/api/docs">JSON API</a>,
or point any SPARQL client at <code>{h(str(request.base_url))}sparql</code>.</p>
<form action="/search" method="get" class="search"><input name="q" placeholder="搜索名称或简称 / search names">
<button>Search</button></form>
<h2>What is in the store</h2><table class="counts">{counts}</table>
<h2>Documents</h2><table><thead><tr><th>Title</th><th>Issued</th><th>Publisher</th><th>Sections</th><th>Tasks</th>
<th>Targets</th></tr></thead><tbody>{rows}</tbody></table>{more}"""
    return layout("Home", body)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, q_: str = "", kind: str | None = None):
    text = request.query_params.get("q", q_)
    hits = await api_thread(search_labels, request.app.state.store, text, [kind] if kind else None, 50) \
        if text.strip() else []
    items = "".join(f"<li>{link(request, x.iri, x.label)} <span class=kind>{h(x.kind)}</span>"
                    + (f" <small>({h(x.matched)})</small>" if x.matched != x.label else "") + "</li>" for x in hits)
    body = f"""<h1>Search</h1><form action="/search" method="get" class="search">
<input name="q" value="{h(text)}"><button>Search</button></form>
<ul class="hits">{items or ('<li>No match.</li>' if text else '')}</ul>"""
    return layout(f"Search {text}", body)


# -- query page -------------------------------------------------------------------------------

EXAMPLES: list[tuple[str, str, str]] = [
    # The README's three planner questions (docs/queries/*.rq; a test keeps them in step).
    ("All targets of a task", "Planners: what one task commits to, with the words it used",
     """SELECT ?indicator ?comparator ?value ?unit ?quote WHERE {
  ?task a pkg:Task ; pkg:ordinal 12 ; pkg:hasTarget ?target .
  ?target pkg:indicator/rdfs:label ?indicator ; pkg:evidence/oa:exact ?quote .
  OPTIONAL { ?target pkg:value ?value }
  OPTIONAL { ?target pkg:unit ?unit }
  OPTIONAL { ?target pkg:comparator ?comparator }
}
ORDER BY ?quote"""),
    ("Reach of a program", "Planners: every task that names a program or any of its parts",
     """SELECT ?n ?task ?program WHERE {
  ?root a pkg:Program ; rdfs:label "三名工程" .
  ?part pkg:partOf* ?root ; rdfs:label ?program .
  ?t a pkg:Task ; pkg:mentions ?part ; pkg:ordinal ?n ; rdfs:label ?task .
}
ORDER BY ?n ?program"""),
    ("Targets scoped to a county", "Planners: every target that applies to a county-level division",
     """SELECT ?county ?code ?n ?indicator ?value ?unit WHERE {
  ?target pkg:appliesTo ?division .
  ?division pkg:level pkg:County ; rdfs:label ?county ; pkg:adminCode ?code .
  ?task pkg:hasTarget ?target ; pkg:ordinal ?n .
  ?target pkg:indicator/rdfs:label ?indicator .
  OPTIONAL { ?target pkg:value ?value }
  OPTIONAL { ?target pkg:unit ?unit }
}
ORDER BY ?code ?n"""),
    ("Documents", "Every document with its date and publisher",
     """SELECT ?doc ?title ?issued ?publisher WHERE {
  ?doc a pkg:PolicyDocument ; dcterms:title ?title .
  OPTIONAL { ?doc dcterms:issued ?issued }
  OPTIONAL { ?doc dcterms:publisher/rdfs:label ?publisher }
} ORDER BY DESC(?issued)"""),
    ("Targets by indicator", "Quantified goals, their values, units and deadlines",
     """SELECT ?indicator ?value ?unit ?comparator ?deadline ?quote WHERE {
  ?t a pkg:Target ; pkg:indicator/rdfs:label ?indicator ; rdfs:label ?quote .
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
  OPTIONAL { ?t pkg:comparator ?comparator } OPTIONAL { ?t pkg:deadline ?deadline }
} ORDER BY ?indicator LIMIT 200"""),
    ("Enrolment goals ≥ 90%", "Planners: targets on rates of at least 90 %",
     """SELECT ?indicator ?value ?doc WHERE {
  ?t a pkg:Target ; pkg:indicator/rdfs:label ?indicator ; pkg:value ?value ; pkg:unit "%" ;
     prov:wasDerivedFrom ?doc .
  FILTER(?value >= 90)
} ORDER BY DESC(?value)"""),
    ("Programs and their parts", "Named programs (工程, 计划 …) and sub-programs",
     """SELECT ?program ?part WHERE {
  ?p a pkg:Program ; rdfs:label ?program .
  OPTIONAL { ?x pkg:partOf ?p ; rdfs:label ?part }
} ORDER BY ?program"""),
    ("Tasks mentioning a program", "Which tasks name which programs, with the section they sit in",
     """SELECT ?program ?task ?section WHERE {
  ?t a pkg:Task ; rdfs:label ?task ; pkg:mentions ?p ; dcterms:isPartOf/rdfs:label ?section .
  ?p a pkg:Program ; rdfs:label ?program .
} ORDER BY ?program LIMIT 200"""),
    ("Goals scoped to a division", "Targets that apply to a county, prefecture or province",
     """SELECT ?division ?code ?indicator ?value ?unit WHERE {
  ?t pkg:appliesTo ?d ; pkg:indicator/rdfs:label ?indicator .
  ?d rdfs:label ?division ; pkg:adminCode ?code .
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:unit ?unit }
} ORDER BY ?code"""),
    ("Source sentence of a task", "Researchers: the exact characters each task was read from",
     """SELECT ?task ?start ?end ?quote WHERE {
  ?t a pkg:Task ; rdfs:label ?task ; pkg:evidence ?s .
  ?s oa:start ?start ; oa:end ?end ; oa:exact ?quote .
} ORDER BY ?start LIMIT 50"""),
    ("Sections and task counts", "The outline of every document",
     """SELECT ?doc ?section (COUNT(?task) AS ?tasks) WHERE {
  ?s a pkg:Section ; rdfs:label ?section ; dcterms:isPartOf ?doc .
  OPTIONAL { ?task dcterms:isPartOf ?s }
} GROUP BY ?doc ?s ?section ORDER BY ?doc ?s"""),
]


@router.get("/query", response_class=HTMLResponse)
async def query_page(request: Request):
    query = request.query_params.get("query") or (sparql_prologue() + "\n" + EXAMPLES[0][2])
    gallery = "".join(
        f'<li><button type="button" class="example" data-query="{h(sparql_prologue() + chr(10) + text)}">'
        f"{h(title)}</button> <small>{h(desc)}</small></li>" for title, desc, text in EXAMPLES)
    prefixes = "".join(f"<li><code>{h(p)}:</code> {h(ns)}</li>" for p, ns in PREFIXES.items())
    body = f"""<h1>Query</h1>
<p>SPARQL 1.1 against the union of all documents. The prefixes below are predeclared. Results stop after
{h(request.app.state.settings.max_rows)} rows and {h(request.app.state.settings.query_timeout)} s.</p>
<div class="query-layout"><form id="query-form" action="/query" method="get">
<textarea id="query" name="query" rows="16" spellcheck="false">{h(query)}</textarea>
<p><button type="submit" id="run">Run</button> <a id="share" href="#">Shareable link</a>
<a id="download" href="#">Download CSV</a> <span id="status" role="status"></span></p></form>
<aside><h2>Examples</h2><ul class="gallery">{gallery}</ul>
<h2>Prefixes</h2><ul class="prefixes">{prefixes}</ul></aside></div>
<div id="results"></div>"""
    return layout("Query", body, head='<script src="/static/query.js" defer></script>',
                  base=request.app.state.settings.base_iri)


# -- API reference (local, no CDN) --------------------------------------------------------------

@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request):
    spec = request.app.openapi()
    parts = [f"<h1>{h(spec['info']['title'])} API</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json"
             f"</a>. Errors always come as <code>{{\"error\": {{\"code\", \"message\", \"hint\"}}}}</code>.</p>"]
    for path, methods in sorted(spec.get("paths", {}).items()):
        for method, op in methods.items():
            params = "".join(
                f"<li><code>{h(p['name'])}</code> ({h(p['in'])}{', required' if p.get('required') else ''})"
                f"{' — ' + h(p.get('description')) if p.get('description') else ''}</li>"
                for p in op.get("parameters", []))
            responses = ", ".join(h(code) for code in op.get("responses", {}))
            parts.append(f"<section class=op><h2><span class=method>{h(method.upper())}</span> <code>{h(path)}</code>"
                         f"</h2><p>{h(op.get('summary', ''))}</p><pre class=desc>{h(op.get('description', ''))}</pre>"
                         f"{'<ul>' + params + '</ul>' if params else ''}<p><small>responses: {responses}</small></p>"
                         f"</section>")
    schemas = spec.get("components", {}).get("schemas", {})
    parts.append("<h2>Schemas</h2>")
    for name, schema in sorted(schemas.items()):
        props = ", ".join(f"<code>{h(k)}</code>" for k in schema.get("properties", {}))
        parts.append(f"<p id='schema-{h(name)}'><b>{h(name)}</b>: {props}</p>")
    return layout("API", "".join(parts))


# -- instance pages ---------------------------------------------------------------------------

_SUFFIXES = {".ttl": ("text/turtle", "turtle"), ".nt": ("application/n-triples", "ntriples"),
             ".jsonld": ("application/ld+json", "jsonld"), ".rdf": ("application/rdf+xml", "rdfxml")}


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
    except NotFoundError:
        return layout("Not found", f"<h1>Not found</h1><p>Nothing is known about <code>{h(iri)}</code>.</p>",
                      status_code=404)
    return layout(res.label or iri, resource_html(request, res))


def resource_html(request: Request, res: resources.Resource) -> str:
    path = local_path(request, res.iri)
    types = ", ".join(link(request, t, prefixed(t)) for t in res.types)
    props = []
    for p in res.properties:
        v = p.value
        if v.iri:
            cell = link(request, v.iri, v.label or prefixed(v.iri))
        else:
            text = v.literal or ""
            long = len(text) > 400
            cell = f"<div class='literal{' long' if long else ''}'>{h(text[:400] + ('…' if long else ''))}</div>"
            if v.language:
                cell += f" <small>@{h(v.language)}</small>"
            elif v.datatype and not v.datatype.endswith("#string"):
                cell += f" <small>{h(prefixed(v.datatype))}</small>"
        props.append(f"<tr><th>{link(request, p.predicate, p.name)}</th><td>{cell}</td></tr>")
    links_in = "".join(f"<tr><td>{link(request, li.subject, li.label or prefixed(li.subject))} "
                       f"<span class=kind>{h(li.kind)}</span></td><th>{link(request, li.predicate, li.name)}</th></tr>"
                       for li in res.links_in)
    evidence = []
    for ev in res.evidence:
        para = ev.paragraph
        before, quote_, after = para[:ev.quote_start], para[ev.quote_start:ev.quote_end], para[ev.quote_end:]
        if len(before) > 300:
            before = "…" + before[-300:]
        if len(after) > 300:
            after = after[:300] + "…"
        evidence.append(f"<blockquote class=evidence>{h(before)}<mark>{h(quote_)}</mark>{h(after)}"
                        f"<footer>{link(request, ev.document, 'source')} · characters {ev.start}–{ev.end} · "
                        f"{link(request, ev.span, 'span')}</footer></blockquote>")
    more = "<p>(more incoming links not shown)</p>" if res.links_in_truncated else ""
    return f"""<h1>{h(res.label or res.iri)}</h1>
<p class=iri><code>{h(res.iri)}</code> <span class=kind>{h(res.kind)}</span> {types}</p>
<p class=formats>Also as <a href="{h(path)}.ttl">Turtle</a> · <a href="{h(path)}.jsonld">JSON-LD</a> ·
<a href="{h(path)}.nt">N-Triples</a> · <a href="/api/resource?iri={h(quote(res.iri, safe=''))}">JSON</a></p>
{'<h2>Source</h2>' + ''.join(evidence) if evidence else ''}
<h2>Properties</h2><table class=props>{''.join(props)}</table>
<h2>Links in</h2><table class=props>{links_in or '<tr><td>none</td></tr>'}</table>{more}"""
