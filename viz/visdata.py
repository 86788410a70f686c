"""Turn graph results into vis-network data: styles by kind, server-side positions.

The browser never lays out a large graph: every node arrives with ``x``/``y``
computed here (rings around an expanded node, layers for a trace, BFS rings for
a focus), and physics is switched off above :data:`PHYSICS_MAX_NODES`.

Labels are plain text. vis-network draws them on a canvas (never as HTML); the
pages put them in the DOM only through ``textContent``; JSON placed inside a
``<script>`` is escaped by :func:`script_json`. No node gets a ``title`` (the
field vis-network and pyvis turn into an HTML popup).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from policykg.viz.edge_words import edge_label

PHYSICS_MAX_NODES = 300

#: colour, shape and legend name of each kind, by the view's word for it (graph.kinds.WORDS)
KIND_STYLE: dict[str, dict[str, str]] = {
    "program": {"color": "#d9480f", "shape": "diamond", "name": "program 工程/计划"},
    "task": {"color": "#1c7ed6", "shape": "dot", "name": "task 任务"},
    "target": {"color": "#2b8a3e", "shape": "triangle", "name": "target 目标"},
    "indicator": {"color": "#5c940d", "shape": "triangleDown", "name": "indicator 指标"},
    "division": {"color": "#862e9c", "shape": "hexagon", "name": "division 行政区划"},
    "section": {"color": "#495057", "shape": "square", "name": "section 部分"},
    "document": {"color": "#212529", "shape": "box", "name": "document 文件"},
    "organization": {"color": "#e67700", "shape": "ellipse", "name": "organization 机构"},
    "regulation": {"color": "#0b7285", "shape": "star", "name": "regulation 法规"},
    "summary": {"color": "#adb5bd", "shape": "box", "name": "more (summarised)"},
}

LABEL_MAX = 24


def short_label(text: str | None, iri: str = "", limit: int = LABEL_MAX) -> str:
    text = (text or iri.rsplit("/", 1)[-1] or iri).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def vis_node(info: dict[str, Any], x: float | None = None, y: float | None = None, **extra: Any) -> dict[str, Any]:
    """A vis-network node for a node of the graph (no ``title``: see the module doc)."""
    kind = info.get("kind") or "summary"
    style = KIND_STYLE.get(kind, KIND_STYLE["summary"])
    node = {
        "id": info["iri"],
        "label": short_label(info.get("label"), info["iri"]),
        "kind": kind,
        "fullLabel": info.get("label") or "",
        "shape": style["shape"],
        # the same colour selected and hovered (vis-network's default highlight is pale blue for
        # every node, so a selected program would look like a task); a darker border says "selected"
        "color": node_color(kind),
        "font": {"color": "#212529" if style["shape"] not in ("box",) else "#ffffff"},
        "documents": info.get("documents") or [],
        "section": info.get("section"),
    }
    if x is not None and y is not None:
        node["x"], node["y"] = round(x, 1), round(y, 1)
    node.update(extra)
    return node


def node_color(kind: str) -> dict[str, Any]:
    """A kind's colours, kept when the node is selected or hovered."""
    fill = KIND_STYLE.get(kind, KIND_STYLE["summary"])["color"]
    lit = {"background": fill, "border": "#000000"}
    return {"background": fill, "border": fill, "highlight": lit, "hover": lit}


#: Font size of a link's words on the canvas: ≥ 12 px on screen at the 0.85 zoom a small trace is kept at.
EDGE_FONT_PX = 14


def vis_edge(source: str, target: str, kind: str, **extra: Any) -> dict[str, Any]:
    edge = {
        "id": f"{source}|{kind}|{target}",
        "from": source,
        "to": target,
        "kind": kind,
        "label": edge_label(kind),
        "arrows": "to",
        "font": {"size": EDGE_FONT_PX, "color": "#495057", "strokeWidth": 3, "strokeColor": "#ffffff"},
    }
    edge.update(extra)
    return edge


def ring_positions(
    n: int,
    cx: float = 0.0,
    cy: float = 0.0,
    *,
    r0: float = 170.0,
    gap: float = 70.0,
    ring_step: float = 95.0,
    phase: float = 0.0,
) -> list[tuple[float, float]]:
    """``n`` positions on concentric rings around (cx, cy), ``gap`` apart along each ring."""
    out: list[tuple[float, float]] = []
    ring, r = 0, r0
    while len(out) < n:
        cap = max(6, int(2 * math.pi * r / gap))
        k = min(cap, n - len(out))
        for i in range(k):
            a = phase + 2 * math.pi * i / k + (ring * 0.3)
            out.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        ring += 1
        r += ring_step
    return out


def tree_positions(root: dict[str, Any], *, dx: float = 260.0, dy: float = 46.0) -> dict[str, tuple[float, float]]:
    """Layered positions for a JSON tree ({"iri", "children"}): depth left to right, leaves top to bottom."""
    pos: dict[str, tuple[float, float]] = {}
    row = [0]

    def place(node: dict[str, Any], depth: int) -> float:
        kids = [c for c in node.get("children", [])]
        ys = [place(c, depth + 1) for c in kids]
        if ys:
            y = sum(ys) / len(ys)
        else:
            y = row[0] * dy
            row[0] += 1
        if node["iri"] not in pos:
            pos[node["iri"]] = (depth * dx, y)
        return y

    place(root, 0)
    return pos


#: A trace's levels left to right by kind, after its programs (root 0, sub-programs 1, …).
_LEVEL_AFTER_PROGRAMS = {"task": 1, "section": 1, "target": 2, "indicator": 3}
_LAST_LEVEL = 3  # divisions, organizations, documents, regulations


def trace_levels(root: dict[str, Any], *, by_kind: bool = True) -> dict[str, int]:
    """The hierarchical layout's level of each node of a JSON tree ({"iri", "kind", "children"}).

    ``by_kind`` (a program's trace): programs at their depth among programs, then every task,
    then targets, then divisions and organizations, one column each, whatever branch they
    hang on. Otherwise (what a task rests on) the tree's depth. A node met twice keeps its
    first level."""
    depth_of: dict[str, tuple[int, str]] = {}

    def walk(node: dict[str, Any], depth: int, program_depth: int) -> None:
        kind = node.get("kind") or ""
        if node["iri"] not in depth_of:
            depth_of[node["iri"]] = (program_depth if by_kind and kind == "program" else depth, kind)
        for child in node.get("children", []):
            walk(child, depth + 1, program_depth + 1 if kind == "program" else program_depth)

    walk(root, 0, 0)
    if not by_kind:
        return {iri: d for iri, (d, _) in depth_of.items()}
    programs = max((d for d, k in depth_of.values() if k == "program"), default=0)
    return {
        iri: d if kind == "program" else programs + _LEVEL_AFTER_PROGRAMS.get(kind, _LAST_LEVEL)
        for iri, (d, kind) in depth_of.items()
    }


def bfs_positions(
    adjacency: dict[str, list[str]], roots: Iterable[str], *, ring: float = 200.0, gap: float = 60.0
) -> dict[str, tuple[float, float]]:
    """Radial BFS layout: each root's component in its own disc, distance from the root as the ring."""
    pos: dict[str, tuple[float, float]] = {}
    offset_x = 0.0
    for root in roots:
        if root in pos:
            continue
        levels = [[root]]
        seen = {root}
        while True:
            nxt = []
            for n in levels[-1]:
                for m in adjacency.get(n, ()):
                    if m not in seen:
                        seen.add(m)
                        nxt.append(m)
            if not nxt:
                break
            levels.append(nxt)
        radius = 0.0
        local: dict[str, tuple[float, float]] = {root: (0.0, 0.0)}
        for depth, nodes in enumerate(levels[1:], start=1):
            radius = max(radius + ring * (0.8 if depth > 1 else 1.0), len(nodes) * gap / (2 * math.pi))
            for i, n in enumerate(nodes):
                a = 2 * math.pi * i / len(nodes) + depth * 0.4
                local[n] = (radius * math.cos(a), radius * math.sin(a))
        cx = offset_x + radius
        for n, (x, y) in local.items():
            pos[n] = (x + cx, y)
        offset_x = cx + radius + 250
    return pos


def script_json(data: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def legend() -> list[dict[str, str]]:
    return [{"kind": k, **v} for k, v in KIND_STYLE.items()]
