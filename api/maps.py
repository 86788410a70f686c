"""Maps drawn on the server as SVG from the boundaries of cnmaps (China's official map), offline.

:func:`place_map` draws a division among its siblings (the other counties of its city, the
other cities of its province, the other provinces), the division itself highlighted;
:func:`choropleth` draws the counties of a province shaded by a count (targets or programs).
Boundaries come from the ``cnmaps`` package and its data (the ``maps`` extra), read from disk:
no tile or script from elsewhere, so a map shows offline and under the pages' CSP. Without
the extra, both return None and the page says the map needs it.

Divisions are found by their official names (云南省 / 昆明市 / 寻甸回族彝族自治县), the names the
gazetteer gives the graph's ``pkg:AdministrativeDivision`` nodes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 600, 460, 10
#: Sequential shades for a choropleth, light to dark (ColorBrewer Blues), and the colour of zero.
SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NONE, SIBLING, HIGHLIGHT = "#f1f3f5", "#dee2e6", "#e8590c"


@dataclass(frozen=True)
class MapShape:
    name: str
    path: str
    fill: str
    value: int | None  # the count a choropleth shades it by
    highlighted: bool


@dataclass(frozen=True)
class SvgMap:
    shapes: list[MapShape]
    legend: list[tuple[str, str]]  # (fill, what it means)
    width: int = WIDTH
    height: int = HEIGHT


def available() -> bool:
    try:
        import cnmaps  # noqa: F401
    except ImportError:
        return False
    return True


def _records(**query: str) -> list[dict[str, Any]]:
    import warnings

    from cnmaps import get_adm_maps

    with warnings.catch_warnings():  # cnmaps warns about its own Chinese-key API, not ours
        warnings.simplefilter("ignore")
        try:
            return list(get_adm_maps(**query))
        except Exception:  # no such name in cnmaps' data: no map, not an error page
            return []


def _name(record: dict[str, Any], level: str) -> str:
    return str(record.get({"省": "province", "市": "city", "区县": "district"}[level]) or "")


def place_map(chain: list[tuple[str, str]]) -> SvgMap | None:
    """A division among its siblings. ``chain`` is (official name, level) from the province down
    to the division (level: ``Province``, ``Prefecture``, ``County``)."""
    if not chain or not available():
        return None
    names = {level: name for name, level in chain}
    target_name, target_level = chain[-1]
    if target_level == "Province":
        level, query = "省", {}
    elif target_level == "Prefecture":
        level, query = "市", {"province": names.get("Province", "")}
    else:
        level, query = "区县", {"province": names.get("Province", "")}
        if "Prefecture" in names:
            query["city"] = names["Prefecture"]
    records = _records(level=level, **query)
    if not any(_name(r, level) == target_name for r in records):
        return None
    shapes = [
        (_name(r, level), r["geometry"], HIGHLIGHT if _name(r, level) == target_name else SIBLING, None)
        for r in records
    ]
    return _draw(shapes, [(HIGHLIGHT, target_name), (SIBLING, "neighbours")], highlight=target_name)


def choropleth(province: str, counts: dict[str, int], what: str) -> SvgMap | None:
    """The counties of ``province`` shaded by ``counts`` (official county name → count)."""
    if not available():
        return None
    records = _records(province=province, level="区县")
    if not records:
        return None
    top = max(counts.values(), default=0)

    def shade(n: int) -> str:
        if n <= 0 or top <= 0:
            return NONE
        return SHADES[min(len(SHADES) - 1, int(math.ceil(n / top * len(SHADES))) - 1)]

    shapes = [
        (_name(r, "区县"), r["geometry"], shade(counts.get(_name(r, "区县"), 0)), counts.get(_name(r, "区县"), 0))
        for r in records
    ]
    # One legend entry per shade in use, with the counts it stands for (as shade() assigns them).
    spans: dict[str, list[int]] = {}
    for n in range(1, top + 1):
        spans.setdefault(shade(n), []).append(n)
    legend = [(NONE, f"{what}: none")] + [
        (fill, f"{what}: {ns[0]}" if len(ns) == 1 else f"{what}: {ns[0]}–{ns[-1]}") for fill, ns in spans.items()
    ]
    return _draw(shapes, legend, highlight=None)


def _draw(
    shapes: Iterable[tuple[str, Any, str, int | None]], legend: list[tuple[str, str]], highlight: str | None
) -> SvgMap:
    items = [(name, getattr(geom, "geom", geom), fill, value) for name, geom, fill, value in shapes]
    minx = min(g.bounds[0] for _, g, _, _ in items)
    miny = min(g.bounds[1] for _, g, _, _ in items)
    maxx = max(g.bounds[2] for _, g, _, _ in items)
    maxy = max(g.bounds[3] for _, g, _, _ in items)
    squeeze = math.cos(math.radians((miny + maxy) / 2))  # a degree of longitude is shorter up north
    span_x, span_y = max((maxx - minx) * squeeze, 1e-9), max(maxy - miny, 1e-9)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    tolerance = 0.8 / scale  # drop detail finer than about a pixel

    def point(x: float, y: float) -> str:
        return f"{PAD + (x - minx) * squeeze * scale:.1f},{PAD + (maxy - y) * scale:.1f}"

    out = []
    for name, geom, fill, value in sorted(items, key=lambda i: (i[0] == highlight, i[0])):
        simple = geom.simplify(tolerance, preserve_topology=True)
        polygons = getattr(simple, "geoms", [simple])
        parts = []
        for poly in polygons:
            for ring in (poly.exterior, *poly.interiors):
                coords = list(ring.coords)
                if len(coords) >= 3:
                    parts.append("M" + " L".join(point(x, y) for x, y in coords) + "Z")
        out.append(MapShape(name, " ".join(parts), fill, value, name == highlight))
    return SvgMap(out, legend)


@functools.lru_cache(maxsize=1)
def province_outlines(tolerance: float = 0.04) -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """Every province's boundary as rings of (longitude, latitude), simplified to ``tolerance``
    degrees (about 4 km): the background the query page draws its points on. Empty without the
    ``maps`` extra."""
    if not available():
        return []
    out = []
    for record in _records(level="省"):
        geom = getattr(record["geometry"], "geom", record["geometry"]).simplify(tolerance, preserve_topology=True)
        rings = [
            [(round(x, 2), round(y, 2)) for x, y in ring.coords]
            for poly in getattr(geom, "geoms", [geom])
            for ring in (poly.exterior,)
            if len(ring.coords) >= 4
        ]
        out.append((_name(record, "省"), rings))
    return out
