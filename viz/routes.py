"""The interactive network view: ``/explore`` and the JSON it reads.

``router`` is included by ``policykg.api.app.create_app``; every route reads the store from
``request.app.state.store`` through the typed reads of :mod:`policykg.graph` and answers the
view's JSON (:mod:`policykg.viz.network_json`) with positions (:mod:`policykg.viz.visdata`).

* ``GET /explore`` — the page (``?focus=IRI`` starts from a node, ``?trace=NAME`` traces a program)
* ``GET /explore/static/{name}`` — its script, styles and the vendored vis-network (no CDN)
* ``GET /api/explore/config`` — legend, styles, documents for the filters
* ``GET /api/explore/search?q=`` — the search box (labels and short names)
* ``GET /api/explore/node?iri=&x=&y=`` — a node's neighbours, big groups summarised, with positions
* ``GET /api/explore/details?iri=`` — the side panel: properties and source quotes
* ``GET /api/explore/sections?document=`` — sections of a document, for the filter
* ``GET /api/explore/start`` — starting points of an empty view: the most linked programs, the documents
* ``GET /api/explore/trace.csv?program=`` — a trace's links as CSV, one row per link
* ``GET /api/explore/rests-on.csv?task=`` — what a task rests on, the same CSV
* ``GET /api/trace?program=`` — a program's reach (tree, nodes, edges, quotes, positions)
* ``GET /api/rests-on?task=`` — what a task rests on (the same shape, rooted at the task)
* ``GET /api/path?a=&b=`` — the shortest explanation of how two entities connect
* ``GET /api/rankings?limit=`` — most connected programs, divisions with most targets, shared indicators
"""

from __future__ import annotations

import csv
import io
import logging
import threading
import zlib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from policykg.errors import NotFoundError
from policykg.graph.documents import document_titles, outline
from policykg.graph.label_index import label_index
from policykg.graph.neighbourhood import neighbour_groups
from policykg.graph.paths import shortest_path
from policykg.graph.rankings import rankings
from policykg.graph.resources import node_details
from policykg.graph.reverse_trace import rests_on
from policykg.graph.search import search_labels
from policykg.graph.sparql_params import shown
from policykg.graph.starting_points import starting_points
from policykg.graph.trace import trace
from policykg.html_pages import SECURITY_HEADERS, templates
from policykg.viz.edge_words import edge_words
from policykg.viz.network_json import (
    card_json,
    details_json,
    groups_json,
    parse_group_key,
    path_json,
    rankings_json,
    rests_on_json,
    search_json,
    search_kinds,
    trace_csv_rows,
    trace_json,
)
from policykg.viz.visdata import (
    PHYSICS_MAX_NODES,
    legend,
    ring_positions,
    trace_levels,
    tree_positions,
    vis_edge,
    vis_node,
)

STATIC = Path(__file__).resolve().parent / "static"
PAGES = templates("policykg.viz")
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


def _store(request: Request) -> Any:
    return request.app.state.store


@router.get("/explore", response_class=HTMLResponse, include_in_schema=False)
def explore_page() -> HTMLResponse:
    # The pages' policy: vis-network styles its canvas through the CSSOM, which needs no
    # 'unsafe-inline' (the browser test checks that the console reports no violation).
    return HTMLResponse(
        PAGES.get_template("explore.html").render(), headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"}
    )


@router.get("/explore/static/{name}", include_in_schema=False)
def explore_static(name: str) -> FileResponse:
    entry = _ASSETS.get(name)
    if entry is None:
        raise NotFoundError(f"no asset {shown(name)}")
    # nosniff (and a CSP) come from policykg.api.app.SecurityHeaders, as on every response.
    return FileResponse(STATIC / entry[0], media_type=entry[1], headers={"Cache-Control": "max-age=3600"})


@router.get("/api/explore/config")
def explore_config(request: Request) -> dict[str, Any]:
    store = _store(request)
    docs = [{"iri": d.iri, "title": d.label} for d in document_titles(store)]
    _warm_label_index(store)
    return {
        "legend": legend(),
        "physicsMaxNodes": PHYSICS_MAX_NODES,
        "hierarchyMaxNodes": HIERARCHY_MAX_NODES,
        "documents": docs,
        "base": request.app.state.settings.base_iri,
        "edgeWords": edge_words(),
    }


#: A trace draws at most this many nodes in its hierarchical layout (nearest the root first):
#: vis-network lays out a hierarchy in time that grows fast with its size. The outline panel
#: and the CSV keep the whole trace; the status line says "showing N of M".
HIERARCHY_MAX_NODES = 400


@router.get("/api/explore/start")
def explore_start(
    request: Request,
    programs: int = Query(12, ge=0, le=50),
    documents: int = Query(30, ge=0, le=200),
) -> dict[str, Any]:
    """What an empty view offers to start from: the most linked programs and the documents."""
    found = starting_points(_store(request), programs=programs, documents=documents)
    return {
        "programs": [{"iri": p.iri, "label": p.label, "links": p.links} for p in found.programs],
        "documents": [{"iri": d.iri, "label": d.label} for d in found.documents],
    }


def _warm_label_index(store: Any) -> None:
    """Build the search index in the background while the page draws its first view."""

    def run() -> None:
        try:
            label_index(store)
        except Exception as exc:
            logging.getLogger(__name__).debug("label index warm-up failed: %s", exc)

    threading.Thread(target=run, name="policykg-label-index", daemon=True).start()


@router.get("/api/explore/search")
def explore_search(
    request: Request,
    q: str = Query(..., min_length=1, max_length=200),
    kind: Annotated[list[str] | None, Query()] = None,
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    hits = search_labels(_store(request), q, search_kinds(kind), limit)
    return {"query": q, "results": search_json(q, hits)}


@router.get("/api/explore/node")
def explore_node(
    request: Request,
    iri: str = Query(..., max_length=2000),
    x: Coordinate = 0.0,
    y: Coordinate = 0.0,
    group: str | None = None,
    offset: int = Query(0, ge=0),
    limit: int = Query(25, ge=1, le=200),
) -> dict[str, Any]:
    found = neighbour_groups(
        _store(request),
        iri,
        group_limit=limit,
        group=parse_group_key(group) if group is not None else None,
        offset=offset,
    )
    if found.node is None:
        raise NotFoundError(f"no node {shown(iri)}")
    groups = groups_json(found.groups)
    items: list[tuple[str, dict[str, Any]]] = []  # (kind of item, payload)
    for g in groups:
        for n in g["nodes"]:
            items.append(("node", {"group": g, "info": n}))
        rest = g["count"] - offset - g["shown"]
        if rest > 0:
            items.append(("summary", {"group": g, "rest": rest}))
    positions = ring_positions(len(items), x, y, phase=(zlib.crc32(iri.encode()) % 628) / 100.0)
    nodes, edges = [], []
    for (kind, item), (px, py) in zip(items, positions, strict=False):
        g = item["group"]
        if kind == "node":
            n = item["info"]
            nodes.append(vis_node(n, px, py))
            s, o = (iri, n["iri"]) if g["direction"] == "out" else (n["iri"], iri)
            edges.append(vis_edge(s, o, g["edge"]))
        else:
            sid = f"more:{iri}|{g['key']}"
            plural = g["kind"] if g["kind"].endswith("s") else g["kind"] + "s"
            nodes.append(
                vis_node(
                    {"iri": sid, "kind": "summary", "label": f"+{item['rest']} {plural}"},
                    px,
                    py,
                    summary={
                        "parent": iri,
                        "group": g["key"],
                        "offset": offset + g["shown"],
                        "count": g["count"],
                        "edge": g["edge"],
                        "direction": g["direction"],
                    },
                )
            )
            edges.append(vis_edge(iri, sid, g["edge"], dashes=True))
    return {
        "node": vis_node(card_json(found.node), x, y),
        "nodes": nodes,
        "edges": edges,
        "groups": [{k: v for k, v in g.items() if k != "nodes"} for g in groups],
    }


@router.get("/api/explore/details")
def explore_details(request: Request, iri: str = Query(..., max_length=2000)) -> dict[str, Any]:
    return details_json(node_details(_store(request), iri))


@router.get("/api/explore/sections")
def explore_sections(request: Request, document: str = Query(..., max_length=2000)) -> dict[str, Any]:
    try:
        sections = outline(_store(request), document).sections
    except NotFoundError:  # no such document: no sections to filter by
        sections = []
    return {
        "document": document,
        "sections": [{"iri": s.iri, "label": s.label, "ordinal": s.ordinal or 0} for s in sections],
    }


@router.get("/api/trace")
def api_trace(request: Request, program: str = Query(..., min_length=1, max_length=2000)) -> dict[str, Any]:
    data = trace_json(trace(_store(request), program, max_nodes=request.app.state.settings.max_trace_nodes))
    return _with_vis(data)


@router.get("/api/rests-on")
def api_rests_on(request: Request, task: str = Query(..., min_length=1, max_length=2000)) -> dict[str, Any]:
    data = rests_on_json(rests_on(_store(request), task, max_nodes=request.app.state.settings.max_trace_nodes))
    return _with_vis(data, by_kind=False)


@router.get("/api/explore/trace.csv", response_class=Response)
def trace_csv(request: Request, program: str = Query(..., min_length=1, max_length=2000)) -> Response:
    """A program's trace as CSV, one row per link (columns: docs/network.md)."""
    data = trace_json(trace(_store(request), program, max_nodes=request.app.state.settings.max_trace_nodes))
    return _csv(data, data["program"]["label"] or "trace")


@router.get("/api/explore/rests-on.csv", response_class=Response)
def rests_on_csv(request: Request, task: str = Query(..., min_length=1, max_length=2000)) -> Response:
    """What a task rests on as CSV, the same columns as a trace's."""
    data = rests_on_json(rests_on(_store(request), task, max_nodes=request.app.state.settings.max_trace_nodes))
    return _csv(data, (data["task"]["label"] or "task") + "-rests-on")


def _csv(data: dict[str, Any], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in trace_csv_rows(data):
        writer.writerow(row)
    filename = "trace-" + "".join(c if c.isalnum() else "_" for c in name)[:60] + ".csv"
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that Excel reads the Chinese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def _with_vis(data: dict[str, Any], *, by_kind: bool = True) -> dict[str, Any]:
    """A trace's JSON with ``vis``: its nodes in layers (the tree's depth) with their level in the
    hierarchical layout, its edges once each."""
    pos = tree_positions(data["tree"])
    levels = trace_levels(data["tree"], by_kind=by_kind)
    data["vis"] = {
        "nodes": [vis_node(n, *pos.get(n["iri"], (0.0, 0.0)), level=levels.get(n["iri"], 0)) for n in data["nodes"]],
        "edges": list(
            {
                (e["source"], e["kind"], e["target"]): vis_edge(e["source"], e["target"], e["kind"])
                for e in data["edges"]
            }.values()
        ),
    }
    return data


# Not read in one consistent state (graph.read.consistent): path and rankings read the networkx
# projection, which a write makes rebuild (seconds at 10^5 nodes); a read retried around that
# would cost it again, and its last attempt would hold every write off meanwhile.
@router.get("/api/path")
def api_path(
    request: Request,
    a: str = Query(..., min_length=1, max_length=2000),
    b: str = Query(..., min_length=1, max_length=2000),
) -> dict[str, Any]:
    data = path_json(shortest_path(_store(request), a, b))
    data["vis"] = {
        "nodes": [vis_node(n, i * 220.0, 0.0) for i, n in enumerate(data["nodes"])],
        "edges": [
            vis_edge(
                s["from"]["iri"] if s["forward"] else s["to"]["iri"],
                s["to"]["iri"] if s["forward"] else s["from"]["iri"],
                s["kind"],
            )
            for s in data["steps"]
        ],
    }
    return data


@router.get("/api/rankings")
def api_rankings(request: Request, limit: int = Query(10, ge=1, le=1000)) -> dict[str, Any]:
    return rankings_json(rankings(_store(request), limit))
