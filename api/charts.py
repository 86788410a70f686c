"""Charts drawn on the server as SVG: no script, no asset from elsewhere, escaped by Jinja2.

:func:`line_chart` turns a comparison (:mod:`policykg.graph.compare`) into one line per place:
the value of each target over the years, a point per target with its quote as the tooltip.
Targets in another unit than the most common one are left out of the chart (and said so);
the table beside it lists them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from policykg.graph.compare import ComparedTarget, Comparison

#: Line colours, one per place in order (colour-blind safe: Okabe–Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
WIDTH, HEIGHT, MARGIN = 640, 320, 48


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    year: int
    value: float
    tip: str


@dataclass(frozen=True)
class ChartLine:
    place: str
    colour: str
    points: list[ChartPoint]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    unit: str | None
    lines: list[ChartLine]
    x_ticks: list[tuple[float, int]]
    y_ticks: list[tuple[float, str]]
    left_out: int  # targets without a year or a value, or in another unit
    width: int = WIDTH
    height: int = HEIGHT
    margin: int = MARGIN


def line_chart(comparison: Comparison) -> LineChart | None:
    """The chart of ``comparison``; None when no target has both a year and a value."""
    plotted: list[tuple[ComparedTarget, float]] = []
    for t in comparison.targets:
        v = t.value if t.value is not None else t.min_value
        if v is not None and t.year is not None:
            plotted.append((t, v))
    if not plotted:
        return None
    unit = Counter(t.unit for t, _ in plotted).most_common(1)[0][0]
    plotted = [(t, v) for t, v in plotted if t.unit == unit]
    years = sorted({t.year for t, _ in plotted if t.year is not None})
    values = [v for _, v in plotted]
    low, high = min(0.0, min(values)), max(values)
    high = high if high > low else low + 1
    span_years = max(1, years[-1] - years[0])

    def x(year: int) -> float:
        if len(years) == 1:
            return WIDTH / 2
        return MARGIN + (year - years[0]) / span_years * (WIDTH - 2 * MARGIN)

    def y(value: float) -> float:
        return HEIGHT - MARGIN - (value - low) / (high - low) * (HEIGHT - 2 * MARGIN)

    places: dict[str, list[ChartPoint]] = {}
    for t, v in sorted(plotted, key=lambda tv: (tv[0].year or 0, tv[1])):
        name = t.place.label or t.place.iri if t.place else "—"
        tip = f"{name} {t.year}: {v:g}{unit or ''} — {t.quote or ''} ({t.document.label or t.document.iri})"
        places.setdefault(name, []).append(ChartPoint(x(t.year or 0), y(v), t.year or 0, v, tip))
    lines = [ChartLine(name, COLOURS[i % len(COLOURS)], pts) for i, (name, pts) in enumerate(sorted(places.items()))]
    y_ticks = [(y(low + (high - low) * k / 4), f"{low + (high - low) * k / 4:g}") for k in range(5)]
    return LineChart(unit, lines, [(x(yr), yr) for yr in years], y_ticks, len(comparison.targets) - len(plotted))
