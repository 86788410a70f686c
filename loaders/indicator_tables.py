"""Indicator tables: the main targets of a plan, as text extraction leaves them — one cell a line.

Five-year plans state their goals in a table (主要指标 | 2020年现状 | 2025年目标 | 指标属性).
Extracted from Word or PDF, or scraped, the table arrives flattened:

    序号 / 类别 / 主要指标 / 2020年现状 / 2025年目标 / 指标属性 / 1 / 综合 / 治理 /
    城市内涝防治达标率（%） / —— / 95 / 约束性 / 2 / 城市防洪达标率（%） / 80 / 95 / 约束性 / …

The reader finds a header (a cell naming the indicators, 指标, and cells naming value columns:
a year, 现状/基期, 目标), then rows that each open with their serial number (1, 2, …). In a row,
the indicator is the last word cell before the first value; its unit is the bracket at its end
(（%）, （万吨/日）: 万 multiplied out); the values fill the value columns in order — the
baseline column (现状, 基期, or a year before the target's) gives ``baseline``, the first target
column (the plan's horizon, 2025 in a 十四五 plan) the goal; 约束性/预期性 gives
``bindingness``. A cell may carry its own label and comparator (重点城市≥30): the goal is then
named 指标（重点城市）. A value column holding more cells than one (设区市≥25 / 县级市≥20) is
split evenly when it can be; otherwise each column before the goal takes one cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from policykg.loaders.records import Comparator, Span

_HEADER_INDICATOR = re.compile(r"^(?:主要)?指标(?:名称)?$|^指\s*标$")
#: A line whose cell (the line stripped as ``_cells`` strips it) is a ``_HEADER_INDICATOR``.
_HEADER_LINE = re.compile(r"^[ \t\u3000\xa0]*(?:(?:主要)?指标(?:名称)?|指[^\S\n]*标)[ \t\u3000\xa0]*$", re.M)
_YEAR = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*年?\s*(?P<kind>现状值?|基期值?|基准值?|目标值?|预期值?|规划值?)?$")
_BASE_WORD = re.compile(r"^(?:现状值?|基期值?|基准值?|基数)$")
_TARGET_WORD = re.compile(r"^(?:目标值?|预期值?|规划目标|规划值|计划任务|规划任务|目标任务|任务目标|总任务|计划数)$")
_UNIT_WORD = re.compile(r"^(?:计量)?单位$")
# Another value column: a part of the goal in one year (其中：2021年任务), kept for the positions.
_OTHER_COLUMN = re.compile(r"(?:19|20)\d{2}\s*年")
_BINDING = {"约束性": "Binding", "预期性": "Anticipatory"}
_VALUE = re.compile(
    r"^(?P<label>[\u4e00-\u9fff]{1,8}?)?(?P<cmp>≥|≤|>=|<=|＞|＜|>|<)?\s*(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<pct>%|％)?(?P<tail>以上|以下|左右)?$"
)
_DASH = re.compile(r"^[—\-–－]+$")
_UNIT_BRACKET = re.compile(r"[（(](?P<unit>[^（）()]{1,12})[）)]$")
MAX_HEADER = 14  # cells a header may span
MAX_CELL = 60  # a longer line is prose: the table has ended


@dataclass(frozen=True)
class TableTarget:
    indicator: str
    span: Span  # the row, from its indicator to its goal cell
    value: Decimal
    unit: str | None
    comparator: Comparator
    deadline: date | None
    baseline: Decimal | None
    bindingness: str | None


class _Cell(NamedTuple):
    """One line of a table, stripped (a tuple: a plan's tables have thousands of cells)."""

    text: str
    start: int
    end: int


def _cells(text: str, start: int, end: int) -> list[_Cell]:
    out = []
    pos = start
    for line in text[start:end].split("\n"):
        stripped = line.strip(" \t\u3000\xa0")
        if stripped:
            k = pos + line.index(stripped)
            out.append(_Cell(stripped, k, k + len(stripped)))
        pos += len(line) + 1
    return out


def find_table_targets(text: str, start: int, end: int) -> tuple[list[TableTarget], list[Span]]:
    """The goals of every indicator table in ``text[start:end]``, and the tables' spans (where
    the ordinary reading of numbers must not look again)."""
    targets: list[TableTarget] = []
    tables: list[Span] = []
    # Cells before the first header line are never read: the cells start at that line.
    first = _HEADER_LINE.search(text[start:end])
    if first is None:
        return targets, tables
    cells = _cells(text, start + first.start(), end)
    i = 0
    while i < len(cells):
        if not _HEADER_INDICATOR.match(cells[i].text):
            i += 1
            continue
        header = _header(cells, i)
        if header is None:
            i += 1
            continue
        columns, first_row = header
        found, last = _rows(cells, first_row, columns)
        if found:
            targets.extend(found)
            tables.append(Span(cells[i].start, cells[last].end))
        i = max(i + 1, last + 1)
    return targets, tables


def _header(cells: list[_Cell], at: int) -> tuple[list[tuple[str, int | None]], int] | None:
    """The value columns of a header around the 指标 cell ``at`` — (kind, year) with kind
    "base", "target" or "binding" — and the index of the first row's serial cell."""
    columns: list[tuple[str, int | None]] = []
    for k in range(at + 1, min(len(cells), at + MAX_HEADER)):
        t = cells[k].text.replace(" ", "")
        if t == "1":
            years = [y for kind, y in columns if y]
            if not any(kind == "target" for kind, _ in columns):
                # Years alone: the latest is the goal, the earlier ones the starting point.
                if len(years) < 2:
                    return None
                columns = [
                    ("target" if y == max(years) else "base", y) if kind == "year" else (kind, y) for kind, y in columns
                ]
            # A bare year beside a target column keeps its place: before the target's year it is
            # the starting point (2020年 | 2025年目标), otherwise a column of no goal.
            first_target = min((y for kind, y in columns if kind == "target" and y), default=None)
            columns = [
                (("base" if first_target and y and y < first_target else "other"), y) if kind == "year" else (kind, y)
                for kind, y in columns
            ]
            return (columns, k) if any(kind == "target" for kind, _ in columns) else None
        if m := _YEAR.match(t):
            y = int(m["y"])
            kind = m["kind"] or ""
            columns.append(("base" if _BASE_WORD.match(kind) else "target" if _TARGET_WORD.match(kind) else "year", y))
        elif _BASE_WORD.match(t):
            columns.append(("base", None))
        elif _TARGET_WORD.match(t):
            columns.append(("target", None))
        elif t in ("指标属性", "属性", "指标性质", "性质"):
            columns.append(("binding", None))
        elif _UNIT_WORD.match(t):
            columns.append(("unit", None))
        elif _OTHER_COLUMN.search(t) and len(t) <= 16:
            columns.append(("other", None))
    return None


def _rows(cells: list[_Cell], k: int, columns: list[tuple[str, int | None]]) -> tuple[list[TableTarget], int]:
    value_columns = [c for c in columns if c[0] in ("base", "target", "other")]
    has_unit = any(kind == "unit" for kind, _ in columns)
    out: list[TableTarget] = []
    serial = 1
    last = k
    while k < len(cells) and cells[k].text == str(serial):
        row_end = k + 1
        while (
            row_end < len(cells)
            and cells[row_end].text != str(serial + 1)
            and len(cells[row_end].text) <= MAX_CELL
            and not cells[row_end].text.startswith(("注", "表", "专栏"))
        ):
            row_end += 1
        out.extend(_row(cells[k + 1 : row_end], value_columns, has_unit))
        last = row_end - 1
        k = row_end
        serial += 1
    return out, last


def _row(row: list[_Cell], columns: list[tuple[str, int | None]], has_unit: bool = False) -> list[TableTarget]:
    first_value = next((j for j, c in enumerate(row) if _VALUE.match(c.text) or _DASH.match(c.text)), None)
    if first_value is None or first_value == 0:
        return []
    name_cell = row[first_value - 1]
    unit_cell = None
    if has_unit and first_value >= 2:  # 指标 | 单位 | values: the unit stands between
        unit_cell, name_cell = name_cell, row[first_value - 2]
    binding_at = next((j for j in range(first_value, len(row)) if row[j].text in _BINDING), len(row))
    binding = _BINDING[row[binding_at].text] if binding_at < len(row) else None
    # The values stand between the indicator and its 属性; what follows the row is not the table's.
    values = [c for c in row[first_value:binding_at] if _VALUE.match(c.text) or _DASH.match(c.text)]
    name, unit, scale = _name_and_unit(name_cell.text if unit_cell is None else f"{name_cell.text}（{unit_cell.text}）")
    if not name or not values or not columns:
        return []
    groups = _split(values, len(columns))
    base = None
    out = []
    for (kind, year), group in zip(columns, groups, strict=False):
        if kind == "base":
            if len(group) == 1 and (m := _VALUE.match(group[0].text)) and not m["label"]:
                base = _number(m["num"], scale)
            continue
        if kind == "other":
            continue
        for cell in group:
            m = _VALUE.match(cell.text)
            if not m:
                continue
            value = _number(m["num"], scale)
            if value is None:
                continue
            comparator = {
                "≥": Comparator.AT_LEAST,
                ">=": Comparator.AT_LEAST,
                "＞": Comparator.AT_LEAST,
                ">": Comparator.AT_LEAST,
                "≤": Comparator.AT_MOST,
                "<=": Comparator.AT_MOST,
                "＜": Comparator.AT_MOST,
                "<": Comparator.AT_MOST,
            }.get(m["cmp"] or "")
            if comparator is None:
                comparator = {
                    "以上": Comparator.AT_LEAST,
                    "以下": Comparator.AT_MOST,
                    "左右": Comparator.APPROXIMATELY,
                }.get(m["tail"] or "", Comparator.EXACTLY)
            label = f"{name}（{m['label']}）" if m["label"] else name
            out.append(
                TableTarget(
                    label,
                    Span(name_cell.start, cell.end),
                    value,
                    "%" if m["pct"] else unit,
                    comparator,
                    date(year, 12, 31) if year else None,
                    base if not m["label"] else None,
                    binding,
                )
            )
        break  # the plan's horizon only: a later target column (2035) is a vision, not this plan's goal
    return out


def _split(values: list[_Cell], n: int) -> list[list[_Cell]]:
    """Cells to ``n`` columns: evenly when they divide, else one to each column but the last."""
    if n <= 0:
        return []
    if len(values) % n == 0:
        size = len(values) // n
        return [values[j * size : (j + 1) * size] for j in range(n)]
    return [[v] for v in values[: n - 1]] + [values[n - 1 :]]


def _name_and_unit(cell: str) -> tuple[str, str | None, int]:
    m = _UNIT_BRACKET.search(cell)
    if not m:
        return cell, None, 1
    unit = m["unit"].replace(" ", "")
    scale = 1
    if unit.startswith("万") and len(unit) > 1:
        unit, scale = unit[1:], 10000
    elif unit.startswith("亿") and len(unit) > 1:
        unit, scale = unit[1:], 100_000_000
    unit = {"％": "%", "个百分点": "个百分点"}.get(unit, unit)
    return cell[: m.start()].strip(), unit, scale


def _number(raw: str, scale: int) -> Decimal | None:
    try:
        value = Decimal(raw) * scale
    except InvalidOperation:
        return None
    return Decimal(int(value)) if value == int(value) else value
