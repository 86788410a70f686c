"""``policykg viz``: a standalone HTML network view that opens offline.

The nodes and edges are assembled with pyvis (``pyvis.network.Network``), but
the page is rendered by our own template, not pyvis's: pyvis's template loads
Bootstrap and the vis-network CSS from CDNs even in "local" and "in_line" modes,
and sets its popups with ``innerHTML`` from node titles. Here the vis-network
library (9.1.2, vendored in ``viz/static/vendor``, Apache-2.0/MIT) and its CSS
are inlined, a Content-Security-Policy forbids any network request and runs only
the page's own scripts (by hash), no node has a ``title``, and the data is JSON
escaped for a ``<script>`` element.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pyvis.network import Network

from policykg.graph.kinds import WORDS
from policykg.graph.projection import PROJECTIONS
from policykg.graph.search import resolve
from policykg.graph.store import GraphStore
from policykg.graph.trace import trace
from policykg.html_pages import templates
from policykg.viz.network_json import trace_json
from policykg.viz.visdata import (
    PHYSICS_MAX_NODES,
    bfs_positions,
    legend,
    script_json,
    tree_positions,
    vis_edge,
    vis_node,
)

STATIC = Path(__file__).resolve().parent / "static"
VENDOR_JS = STATIC / "vendor" / "vis-network.min.js"
VENDOR_CSS = STATIC / "vendor" / "vis-network.css"


def _subgraph(store: GraphStore, focus: str | None, depth: int, max_nodes: int) -> tuple[list, list, int]:
    g = PROJECTIONS.get(store)
    if focus:
        root = resolve(store, focus).iri
        keep = [root]
        seen = {root}
        frontier = [root]
        for _ in range(max(0, depth)):
            nxt = []
            for n in frontier:
                for m in sorted(set(g.successors(n)) | set(g.predecessors(n))):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            keep.extend(nxt)
            frontier = nxt
        roots = [root]
    else:
        # the whole graph: the best-connected nodes first when it is too big
        keep = sorted(g.nodes, key=lambda n: (-g.degree(n), n))
        roots = keep
    omitted = max(0, len(keep) - max_nodes)
    keep = keep[:max_nodes]
    kept = set(keep)
    adjacency: dict[str, list[str]] = {n: [] for n in keep}
    edges = []
    for s, o, kind in g.edges(keys=True):
        if s in kept and o in kept:
            adjacency[s].append(o)
            adjacency[o].append(s)
            edges.append((s, o, kind))
    pos = bfs_positions(adjacency, [r for r in roots if r in kept])
    nodes = []
    for n in keep:
        d = g.nodes[n]
        info = {"iri": n, "kind": WORDS[d["kind"]], "label": d["label"], "documents": sorted(d["documents"])[:20]}
        x, y = pos.get(n, (0.0, 0.0))
        nodes.append(vis_node(info, x, y))
    return nodes, [vis_edge(s, o, k) for s, o, k in edges], omitted


def _trace_graph(store: GraphStore, program: str) -> tuple[list, list, int]:
    traced = trace(store, program)
    data = trace_json(traced)
    pos = tree_positions(data["tree"])
    quotes: dict[str, str] = {}
    for n in traced.root.walk():
        if n.evidence and n.iri not in quotes:
            quotes[n.iri] = n.evidence.context or n.evidence.exact or ""
    nodes = []
    for info in data["nodes"]:
        x, y = pos.get(info["iri"], (0.0, 0.0))
        nodes.append(vis_node(info, x, y, quote=quotes.get(info["iri"], "")))
    edges = []
    seen = set()
    for e in data["edges"]:
        key = (e["source"], e["kind"], e["target"])
        if key in seen:
            continue
        seen.add(key)
        ev = e["evidence"] or {}
        edges.append(vis_edge(e["source"], e["target"], e["kind"], quote=ev.get("context") or ev.get("quote") or ""))
    return nodes, edges, 0


def network_data(
    store: GraphStore,
    *,
    focus: str | None = None,
    depth: int = 2,
    trace_program: str | None = None,
    max_nodes: int = 2000,
) -> dict[str, Any]:
    """Nodes, edges and options of the view, assembled with pyvis."""
    if trace_program:
        nodes, edges, omitted = _trace_graph(store, trace_program)
        title = f"trace {trace_program}"
    else:
        nodes, edges, omitted = _subgraph(store, focus, depth, max_nodes)
        title = f"{focus} (depth {depth})" if focus else "policykg network"
    net = Network(directed=True, cdn_resources="in_line")
    for n in nodes:
        attrs = {k: v for k, v in n.items() if k not in ("id", "label", "shape", "color")}
        net.add_node(n["id"], label=n["label"], shape=n["shape"], color=n["color"], **attrs)
    for e in edges:
        attrs = {k: v for k, v in e.items() if k not in ("from", "to")}
        net.add_edge(e["from"], e["to"], **attrs)
    physics = len(nodes) <= PHYSICS_MAX_NODES
    net.toggle_physics(physics)
    vnodes, vedges, _heading, _h, _w, _options = net.get_network_data()
    for n in vnodes:
        n.pop("title", None)  # never an HTML popup
    for e in vedges:
        e.pop("title", None)
    options = {
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "stabilization": {"iterations": 120},
            "barnesHut": {"springLength": 140, "avoidOverlap": 0.3},
        },
        "interaction": {"hover": True, "tooltipDelay": 10_000_000},
        "edges": {"smooth": False},
        "nodes": {"size": 14, "font": {"size": 13}},
        "layout": {"improvedLayout": False},
    }
    return {
        "title": title,
        "nodes": vnodes,
        "edges": vedges,
        "options": options,
        "legend": legend(),
        "omitted": omitted,
    }


# The page's own style and script (run by CSP hash). Every text from the graph reaches the page
# through textContent, never innerHTML.
_STYLE = (STATIC / "standalone.css").read_text(encoding="utf-8")
_APP_JS = (STATIC / "standalone.js").read_text(encoding="utf-8")
PAGES = templates("policykg.viz")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def standalone_csp(scripts: list[str], styles: list[str]) -> str:
    """No request at all, and only the page's own scripts and styles, named by their hashes:
    with no 'unsafe-inline', a label that slipped past escaping still could not run."""
    return (
        f"default-src 'none'; script-src {' '.join(_sha256(s) for s in scripts)}; "
        f"style-src {' '.join(_sha256(s) for s in styles)}; img-src data:; font-src data:; "
        "connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def render_standalone(data: dict[str, Any]) -> str:
    js = VENDOR_JS.read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = VENDOR_CSS.read_text(encoding="utf-8").replace("</style", "<\\/style")
    csp = standalone_csp([js, _APP_JS], [css, _STYLE])
    # Marked safe: the scripts and styles are our own (their closing tags broken above), the CSP
    # is directives and base64 digests, and the data is JSON escaped for a <script> element
    # (script_json); entity-escaping any of them would change what the browser runs or hashes.
    return PAGES.get_template("standalone.html").render(
        csp=Markup(csp),
        vis_css=Markup(css),
        style=Markup(_STYLE),
        vis_js=Markup(js),
        app_js=Markup(_APP_JS),
        data=Markup(script_json(data)),
    )


def write_standalone(store: GraphStore, output: str | Path, **kwargs: Any) -> dict[str, int]:
    data = network_data(store, **kwargs)
    Path(output).write_text(render_standalone(data), encoding="utf-8")
    return {"nodes": len(data["nodes"]), "edges": len(data["edges"]), "omitted": data["omitted"]}
