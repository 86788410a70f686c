"""The interactive network view: ``/explore`` and the JSON it reads.

``router`` is included by ``policykg.api.app.create_app``; every route reads the
store from ``request.app.state.store`` through :mod:`policykg.graph.trace`.

* ``GET /explore`` — the page (``?focus=IRI`` starts from a node, ``?trace=NAME`` traces a program)
* ``GET /explore/static/{name}`` — its script, styles and the vendored vis-network (no CDN)
* ``GET /api/explore/config`` — legend, styles, documents for the filters
* ``GET /api/explore/search?q=`` — the search box (labels and short names)
* ``GET /api/explore/node?iri=&x=&y=`` — a node's neighbours, big groups summarised, with positions
* ``GET /api/explore/details?iri=`` — the side panel: properties and source quotes
* ``GET /api/explore/sections?document=`` — sections of a document, for the filter
* ``GET /api/trace?program=`` — a program's reach (tree, nodes, edges, quotes, positions)
* ``GET /api/path?a=&b=`` — the shortest explanation of how two entities connect
* ``GET /api/rankings?limit=`` — most connected programs, divisions with most targets, shared indicators
"""

from __future__ import annotations

import logging
import threading
import zlib
from pathlib import Path
from typing import Annotated, Any, Callable, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from policykg.api.pages import SECURITY_HEADERS
from policykg.errors import NotFoundError, PolicyKGError, QueryError
from policykg.graph import trace as tr
from policykg.graph.queries import iri_ref, shown
from policykg.graph.projection import CLASS_KIND, ENTITY_KINDS, KIND_CLASS, NodeKind
from policykg.graph.store import read_consistently
from policykg.viz.visdata import PHYSICS_MAX_NODES, legend, ring_positions, tree_positions, vis_edge, vis_node

STATIC = Path(__file__).resolve().parent / "static"
ENTITY = {k.value for k in ENTITY_KINDS}
_ASSETS = {
    "explore.js": ("explore.js", "text/javascript; charset=utf-8"),
    "explore.css": ("explore.css", "text/css; charset=utf-8"),
    "vis-network.min.js": ("vendor/vis-network.min.js", "text/javascript; charset=utf-8"),
    "vis-network.css": ("vendor/vis-network.css", "text/css; charset=utf-8"),
}

router = APIRouter(tags=["network"])
# Where the browser wants new nodes placed: a finite number on the canvas (NaN or an
# infinity would come back as null or break vis-network's layout).
Coordinate = Annotated[float, Query(ge=-1e7, le=1e7, allow_inf_nan=False)]


T = TypeVar("T")


def _store(request: Request):
    return request.app.state.store


def _whole(request: Request, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``read(store, …)``, a reply of several queries, in one state of the store: a write between
    them would show, say, a task's label from one version of its document beside the targets of
    the other. See :func:`policykg.graph.store.read_consistently` (a remote store: one try).

    Not for the reads of the networkx projection (``/api/path``, ``/api/rankings``): after a write
    it is rebuilt, seconds at 10^5 nodes, so a read retried around it would cost that again and its
    last attempt would hold every write off meanwhile.
    """
    store = _store(request)
    return read_consistently(store, lambda: read(store, *args, **kwargs))


def _search(store, q: str, kinds: list[str] | None, limit: int) -> list[dict[str, Any]]:
    """The API's ``graph.queries.search_labels`` when it exists, else :func:`graph.trace.search`.

    Its kinds are class local names (``Program``); ours are node kinds (``program``).
    """
    try:
        from policykg.graph.queries import search_labels
    except ImportError:
        return tr.search(store, q, kinds, limit)
    class_names = [KIND_CLASS[NodeKind(k)].rsplit("#", 1)[-1] for k in kinds] if kinds else None
    out = []
    for h in search_labels(store, q, kinds=class_names, limit=limit):
        kind = next((k.value for c, k in CLASS_KIND.items() if c.rsplit("#", 1)[-1] == h.kind), None)
        out.append({"iri": h.iri, "kind": kind, "label": h.label, "match": h.matched})
    # programs and other named things before the sections and tasks that contain the words
    out.sort(key=lambda r: (r["match"] != q and r["label"] != q, r["kind"] not in ENTITY))
    return out


@router.get("/explore", response_class=HTMLResponse, include_in_schema=False)
def explore_page() -> HTMLResponse:
    html = (STATIC / "explore.html").read_text(encoding="utf-8")
    # The pages' policy: vis-network styles its canvas through the CSSOM, which needs no
    # 'unsafe-inline' (the browser test checks that the console reports no violation).
    return HTMLResponse(html, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get("/explore/static/{name}", include_in_schema=False)
def explore_static(name: str) -> FileResponse:
    entry = _ASSETS.get(name)
    if entry is None:
        raise NotFoundError(f"no asset {shown(name)}")
    # nosniff (and a CSP) come from policykg.api.app.SecurityHeaders, as on every response.
    return FileResponse(STATIC / entry[0], media_type=entry[1], headers={"Cache-Control": "max-age=3600"})


_DOCUMENT_TITLES = """SELECT ?d (SAMPLE(?t) AS ?title) WHERE { GRAPH ?d { ?d a <https://w3id.org/policykg/ontology#PolicyDocument>
  OPTIONAL { ?d <http://purl.org/dc/terms/title> ?t } } } GROUP BY ?d ORDER BY ?d"""


@router.get("/api/explore/config")
def explore_config(request: Request) -> dict[str, Any]:
    store = _store(request)
    # Titles only, from each document's own graph (store.documents() also counts every
    # graph's triples: over 30 s at 3·10^6 quads).
    docs = [{"iri": r["d"].value, "title": r["title"].value if r["title"] is not None else None}
            for r in store.query(_DOCUMENT_TITLES)]
    _warm_label_index(store)
    return {"legend": legend(), "physicsMaxNodes": PHYSICS_MAX_NODES, "documents": docs}


def _warm_label_index(store) -> None:
    """Build the search index in the background while the page draws its first view."""
    from policykg.graph.queries import label_index

    def run() -> None:
        try:
            label_index(store)
        except Exception as exc:  # noqa: BLE001 - a failed warm-up only means the first search builds it
            logging.getLogger(__name__).debug("label index warm-up failed: %s", exc)

    threading.Thread(target=run, name="policykg-label-index", daemon=True).start()


@router.get("/api/explore/search")
def explore_search(request: Request, q: str = Query(..., min_length=1, max_length=200),
                   kind: list[str] | None = Query(None), limit: int = Query(20, ge=1, le=100)) -> dict[str, Any]:
    known = {k.value for k in NodeKind}
    unknown = [k for k in kind or () if k not in known]
    if unknown:
        raise QueryError(f"unknown kind {shown(unknown[0])!r}; use {', '.join(sorted(known))}")
    return {"query": q, "results": _search(_store(request), q, kind or None, limit)}


@router.get("/api/explore/node")
def explore_node(request: Request, iri: str = Query(..., max_length=2000), x: Coordinate = 0.0,
                 y: Coordinate = 0.0,
                 group: str | None = None, offset: int = Query(0, ge=0), limit: int = Query(25, ge=1, le=200)
                 ) -> dict[str, Any]:
    data = _whole(request, tr.neighbourhood, iri, group_limit=limit, group=group, offset=offset)
    if data["node"]["kind"] is None:
        raise NotFoundError(f"no node {shown(iri)}")
    items: list[tuple[str, dict[str, Any]]] = []  # (kind of item, payload)
    for g in data["groups"]:
        for n in g["nodes"]:
            items.append(("node", {"group": g, "info": n}))
        rest = g["count"] - offset - g["shown"]
        if rest > 0:
            items.append(("summary", {"group": g, "rest": rest}))
    positions = ring_positions(len(items), x, y, phase=(zlib.crc32(iri.encode()) % 628) / 100.0)
    nodes, edges = [], []
    for (kind, item), (px, py) in zip(items, positions):
        g = item["group"]
        if kind == "node":
            n = item["info"]
            nodes.append(vis_node(n, px, py))
            s, o = (iri, n["iri"]) if g["direction"] == "out" else (n["iri"], iri)
            edges.append(vis_edge(s, o, g["edge"]))
        else:
            sid = f"more:{iri}|{g['key']}"
            plural = g["kind"] if g["kind"].endswith("s") else g["kind"] + "s"
            nodes.append(vis_node({"iri": sid, "kind": "summary", "label": f"+{item['rest']} {plural}"}, px, py,
                                  summary={"parent": iri, "group": g["key"], "offset": offset + g["shown"],
                                           "count": g["count"], "edge": g["edge"], "direction": g["direction"]}))
            edges.append(vis_edge(iri, sid, g["edge"], dashes=True))
    groups = [{k: v for k, v in g.items() if k != "nodes"} for g in data["groups"]]
    return {"node": vis_node(data["node"], x, y), "nodes": nodes, "edges": edges, "groups": groups}


@router.get("/api/explore/details")
def explore_details(request: Request, iri: str = Query(..., max_length=2000)) -> dict[str, Any]:
    return _whole(request, tr.node_details, iri)


@router.get("/api/explore/sections")
def explore_sections(request: Request, document: str = Query(..., max_length=2000)) -> dict[str, Any]:
    rows = list(_store(request).query(f"""
        SELECT DISTINCT ?s ?l ?o WHERE {{ ?s <http://purl.org/dc/terms/isPartOf> {iri_ref(document)} ;
          a <https://w3id.org/policykg/ontology#Section> .
          OPTIONAL {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }}
          OPTIONAL {{ ?s <https://w3id.org/policykg/ontology#ordinal> ?o }} }} LIMIT 2000"""))
    secs = sorted(({"iri": r["s"].value, "label": r["l"].value if r["l"] else None,
                    "ordinal": int(r["o"].value) if r["o"] else 0} for r in rows), key=lambda s: s["ordinal"])
    return {"document": document, "sections": secs}


@router.get("/api/trace")
def api_trace(request: Request, program: str = Query(..., min_length=1, max_length=2000)) -> dict[str, Any]:
    result = _whole(request, tr.trace, program, max_nodes=request.app.state.settings.max_trace_nodes)
    data = result.to_json()
    pos = tree_positions(data["tree"])
    data["vis"] = {
        "nodes": [vis_node(n, *pos.get(n["iri"], (0.0, 0.0))) for n in data["nodes"]],
        "edges": list({(e["source"], e["kind"], e["target"]): vis_edge(e["source"], e["target"], e["kind"])
                       for e in data["edges"]}.values()),
    }
    return data


@router.get("/api/path")
def api_path(request: Request, a: str = Query(..., min_length=1, max_length=2000),
             b: str = Query(..., min_length=1, max_length=2000)) -> dict[str, Any]:
    result = tr.shortest_path(_store(request), a, b)
    data = result.to_json()
    data["vis"] = {
        "nodes": [vis_node(n, i * 220.0, 0.0) for i, n in enumerate(data["nodes"])],
        "edges": [vis_edge(s["from"]["iri"] if s["forward"] else s["to"]["iri"],
                           s["to"]["iri"] if s["forward"] else s["from"]["iri"], s["kind"]) for s in data["steps"]],
    }
    return data


@router.get("/api/rankings")
def api_rankings(request: Request, limit: int = Query(10, ge=1, le=1000)) -> dict[str, Any]:
    return tr.rankings(_store(request), limit)


def error_response(exc: PolicyKGError) -> JSONResponse:
    """The one error envelope (used when the app has no handler of its own)."""
    return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=exc.http_status)
