"""Who carries out each task: the lead and supporting units a plan names for it.

Work plans assign each task in a bracket after it, in a few fixed forms:

* labelled lists: （牵头单位：区住房城乡建设委；配合单位：区财政局）, （…，牵头考核单位：市审批服务局、
  市公安局）, （责任单位：久事集团、市道路运输局）;
* verbs after the units: （省商务厅牵头，合肥海关、省贸促会按职责分工配合）, 〔区教育局牵头〕,
  （合肥海关负责）, （省商务厅牵头，省港航集团按职责分工负责）.

The rule of the annotation format: the role is the one the text gives — 牵头, 牵头单位, 责任单位,
负责单位 lead, 配合/协同/参与/协助 and their 单位 support; in an unlabelled list of responsible
units (A、B负责 with no lead named) the first is the lead and the rest support;
units that are 负责 beside a named lead carry out their share and support. A unit is a name
ending in an organizational noun (…局, …厅, …委, 海关, …集团 …); the task is the one whose text
holds the bracket. A task-division table (任务分工表: 序号, 工作事项, 牵头单位, 配合单位 …) assigns
the work items by row, each to the task that holds the item.

Outside brackets, the sentence names them in two forms, read the same way:

* 由X牵头, 由X负责, 由X会同Y…: X leads;
* a clause that opens with the units and the verb: 北京市经济和信息化局负责…, 市教育局牵头，
  市财政局配合 — only when everything before the verb reads as units, so that a clause like
  各地要负责… or 运营单位作为主体，负责… names nobody.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate, compress, repeat
from operator import add

from policykg.loaders.records import DocumentRecord, EntityKind, Mention, PartRef, ResponsibilityRecord, Span

# A bracket of one line: （…）, (…), 〔…〕, 【…】.
_BRACKET = re.compile(r"[（(〔【]([^（）()〔〕【】\n]{2,240})[）)〕】]")
_CUE = re.compile(r"牵头|负责|配合|协同|参与|协助|责任单位")
_CLAUSE_SPLIT = re.compile(r"[；;，,。]")
# Labelled lists: the label says the role.
# The annotation format counts 牵头单位, 责任单位, 负责单位 and 主责 as naming the leads.
_LEAD_LABEL = re.compile(r"^(?:牵头(?:考核|责任)?单位|主责单位|主办单位|牵头部门|责任单位|负责单位|责任部门)[：:]")
_LIST_LABEL = re.compile(r"^(?:实施单位|工作单位)[：:]")
_SUPPORT_LABEL = re.compile(r"^(?:配合单位|协同单位|参与单位|协办单位|配合部门)[：:]")
# Verbs after the units.
_LEAD_VERB = re.compile(r"(?:牵头负责|牵头抓总|牵头)$")
_SUPPORT_VERB = re.compile(r"(?:按职责分工|按照职责分工|按职责|分别)?(?:配合|协同|参与|协助|共同参与)$")
_SHARE_VERB = re.compile(r"(?:按职责分工|按照职责分工|按职责|分别)?负责$")
# What a unit's name ends in.
_ORG_END = re.compile(
    r"(?:局|厅|委|委员会|办|办公室|办公厅|中心|集团|海关|院|会|部|处|科|政府|管委会|公司|银行|支行|分行|协会|"
    r"学校|大学|医院|队|站|所|署|馆|台|团|社|联|公署|专班|党委|党组|小组|工作组)$"
)
_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9（）()]{2,30}$")
# In the sentence: 由X牵头/负责/会同…, and a clause opening with units and their verb.
_BY_UNITS = re.compile(r"由(?P<units>[\u4e00-\u9fff、]{2,60}?)(?:牵头负责|牵头|负责|会同)")
_CLAUSE_UNITS = re.compile(
    r"(?:^|(?<=[。；;，,！？\n\u3000 ]))(?P<units>[\u4e00-\u9fff、]{2,60}?)"
    r"(?P<verb>牵头负责|牵头|(?:按职责分工|按照职责分工)?(?:负责|配合))",
    re.M,
)


def find_responsibilities(doc: DocumentRecord) -> None:
    """Fill ``doc.responsibilities`` (and ``doc.organizations`` with the units named)."""
    if not doc.tasks:
        return
    text = doc.text
    starts = [t.span.start for t in doc.tasks]
    seen: set[tuple[int, str, str]] = set()
    mentioned: set[tuple[str, Span]] = set()
    body = doc.body or Span(0, len(text))
    bracket_matches = list(_BRACKET.finditer(text, body.start, body.end))
    # (task, unit, role, span): brackets first, then sentences, then task-division tables.
    found: list[tuple[int, str, str, Span]] = []
    for m in bracket_matches:
        if not _CUE.search(m.group(1)):
            continue
        i = bisect.bisect_right(starts, m.start()) - 1
        if i < 0 or not doc.tasks[i].span.start <= m.start() < doc.tasks[i].span.end:
            continue
        cursor = m.start()
        for name, role in _assignments(m.group(1)):
            # Each unit's own characters in the bracket are its mention: one span, one entity.
            k = text.find(name, cursor, m.end())
            if k < 0:
                k = text.find(name, m.start(), m.end())
            else:
                cursor = k + len(name)
            found.append((doc.tasks[i].ordinal, name, role, Span(k, k + len(name))))
    brackets = [(m.start(), m.end()) for m in bracket_matches]
    found += [
        (task.ordinal, name, role, span)
        for task in doc.tasks
        for name, role, span in _in_sentences(text, task.span, brackets)
    ]
    found += _division_tables(doc, text, body)
    for ordinal, name, role, span in found:
        key = (ordinal, name, role)
        if key not in seen:
            seen.add(key)
            doc.responsibilities.append(ResponsibilityRecord(ordinal, name, role, span))
            doc.organizations.add(name)
            if (name, span) not in mentioned:
                mentioned.add((name, span))
                doc.mentions.append(
                    Mention(EntityKind.ORGANIZATION, name, text[span.start : span.end], span, PartRef.task(ordinal))
                )


# A task-division table (任务分工表) flattened one cell per line: a header row naming the lead
# and supporting columns, then rows opened by their number and the work item they assign.
_TABLE_LEAD = re.compile(r"^(?:牵头单位|责任单位|牵头部门|主责单位)$")
_TABLE_SUPPORT = re.compile(r"^(?:配合单位|协同单位|参与单位|配合部门)$")
_TABLE_NUMBER = re.compile(r"^(?:序号|编号)$")
#: A line that is a number column's head alone (what ``_TABLE_NUMBER`` takes after strip()).
_NUMBER_HEAD_LINE = re.compile(r"^[^\S\n]*(?:序号|编号)[^\S\n]*$", re.M)
_ROW_NUMBER = re.compile(r"^[0-9]{1,3}$")
_NONE_CELL = {"/", "／", "—", "-", "无", "——"}


def _division_tables(doc: DocumentRecord, text: str, body: Span) -> list[tuple[int, str, str, Span]]:
    """(task, unit, role, span) of every task-division table in the body.

    Each row goes to the task whose text holds the work item the row names (its 工作事项 cell,
    written as the item's own heading), wherever the table stands — an attachment at the end
    assigns the plan's items, not the last task. Rows whose item is not found are skipped.
    A row's cells: number, item, then groups of the other columns (content, lead, support, …),
    one group per line of content that a merged cell spans.
    """
    within = text[body.start : body.end]
    # A table opens at its number column's head, a line of its own: the lines before the first
    # such line are never read.
    first = _NUMBER_HEAD_LINE.search(within)
    if first is None:
        return []
    opened = within.rfind("\n", 0, first.start()) + 1
    # The non-empty lines from there on, their offsets summed in C.
    lengths = list(map(len, within[opened:].split("\n")))
    starts = accumulate(map(add, lengths, repeat(1)), initial=body.start + opened)
    # starts holds one offset more than there are lines (past the last): zip stops at the lines.
    lines = [(a, a + n) for a, n in compress(zip(starts, lengths, strict=False), lengths)]
    cells = [text[a:b].strip() for a, b in lines]
    out: list[tuple[int, str, str, Span]] = []
    k = 0
    while k < len(cells):
        if not _TABLE_NUMBER.match(cells[k]):
            k += 1
            continue
        header = [cells[k]]
        j = k + 1
        while j < len(cells) and len(cells[j]) <= 12 and not _ROW_NUMBER.match(cells[j]) and len(header) < 10:
            header.append(cells[j])
            j += 1
        lead = next((i for i, h in enumerate(header) if _TABLE_LEAD.match(h)), None)
        support = next((i for i, h in enumerate(header) if _TABLE_SUPPORT.match(h)), None)
        if lead is None or len(header) < 4:
            k = j
            continue
        width = len(header) - 2  # the cells after the number and the item, repeated per merged line
        rows: list[tuple[int, int]] = []  # (index of the row's number cell, index after its last cell)
        i = j
        while i < len(cells) and _ROW_NUMBER.match(cells[i]):
            e = i + 2
            while e < len(cells) and not _ROW_NUMBER.match(cells[e]):
                e += 1
            if (e - i - 2) % width or e - i - 2 == 0:
                break  # not a row of this table: the table has ended
            rows.append((i, e))
            i = e
        for start, end in rows:
            task = _task_of_item(doc, text, cells[start + 1], lines[start][0])
            if task is None:
                continue
            for g in range(start + 2, end, width):
                for col, role in ((lead, "lead"), (support, "support")):
                    if col is None:
                        continue
                    a, _b = lines[g + col - 2]
                    cell = cells[g + col - 2]
                    if cell in _NONE_CELL:
                        continue
                    for name in _units(cell.replace("，", "、").replace(",", "、")):
                        at = text.find(name, a)
                        out.append((task, name, role, Span(at, at + len(name))))
        k = i if rows else j
    return out


def _task_of_item(doc: DocumentRecord, text: str, item: str, before: int) -> int | None:
    """The task whose text, before the table, holds ``item`` as a heading."""
    item = item.strip().rstrip("。.")
    if len(item) < 4:
        return None
    k = text.find(item, 0, before)
    while k >= 0:
        for task in doc.tasks:
            if task.span.start <= k < task.span.end and task.span.end <= before:
                return task.ordinal
        k = text.find(item, k + 1, before)
    return None


def _in_sentences(text: str, within: Span, brackets: list[tuple[int, int]]) -> list[tuple[str, str, Span]]:
    """(unit, role, span) named in the sentences of ``within``, brackets left to the bracket reader."""
    found: list[tuple[int, str, str]] = []
    for m in _BY_UNITS.finditer(text, within.start, within.end):
        names = _whole_units(m["units"])
        found += [(m.start("units"), n, "lead") for n in names]
    for m in _CLAUSE_UNITS.finditer(text, within.start, within.end):
        if "由" in m["units"] or text[m.start() - 1 : m.start()] == "由" or m.start() == within.start:
            continue  # 由X… (成立由X牵头的…): read above; the task's own number or title is not a clause of units
        names = _whole_units(m["units"])
        verb = m["verb"]
        role = "lead" if "牵头" in verb or verb.endswith("负责") else "support"
        found += [(m.start("units"), n, role) for n in names]
    out = []
    for start, name, role in sorted(found):
        if any(a <= start < b for a, b in brackets):
            continue
        k = text.find(name, start, within.end)
        out.append((name, role, Span(k, k + len(name))))
    return out


# In running text a unit's name leads with its jurisdiction (市教育局, 北京市经济和信息化局,
# 国家发展改革委): a phrase like 积极融入全国数据中心 ends like a unit but is none.
_JURISDICTION_LED = re.compile(r"^(?:[\u4e00-\u9fff]{0,4}?[省市区县州盟旗镇乡]|国家|国务院|中共|中央)")


def _whole_units(listing: str) -> list[str]:
    """The units of a list when every piece of it is a unit led by its jurisdiction, else none."""
    names = _units(listing)
    if not all(_JURISDICTION_LED.match(n) for n in names):
        return []

    def bare(x: str) -> str:
        return re.sub(r"[、和及与等]", "", x)

    return names if names and bare("".join(names)) == bare(listing) else []


def _assignments(content: str) -> list[tuple[str, str]]:
    """(unit, "lead" | "support") pairs of one bracket's content, in order."""
    out: list[tuple[str, str]] = []
    lead_named = False
    for clause in _CLAUSE_SPLIT.split(content):
        clause = clause.strip()
        if not clause:
            continue
        if m := _LEAD_LABEL.match(clause):
            names = _units(clause[m.end() :])
            out += [(n, "lead") for n in names]
            lead_named = lead_named or bool(names)
        elif m := _SUPPORT_LABEL.match(clause):
            out += [(n, "support") for n in _units(clause[m.end() :])]
        elif m := _LIST_LABEL.match(clause):
            names = _units(clause[m.end() :])
            out += [(n, "support" if k or lead_named else "lead") for k, n in enumerate(names)]
            lead_named = lead_named or bool(names)
        elif m := _LEAD_VERB.search(clause):
            names = _units(clause[: m.start()])
            out += [(n, "lead") for n in names]
            lead_named = lead_named or bool(names)
        elif m := _SUPPORT_VERB.search(clause):
            out += [(n, "support") for n in _units(clause[: m.start()])]
        elif m := _SHARE_VERB.search(clause):
            names = _units(clause[: m.start()])
            out += [(n, "support" if k or lead_named else "lead") for k, n in enumerate(names)]
            lead_named = lead_named or bool(names)
    return out


def _units(listing: str) -> list[str]:
    """The units of a list (A、B和C), each only if its name reads as a unit's."""
    names = []
    for piece in re.split(r"[、/]", listing):
        # 和/及/与 join two units (市教育局和市财政局) or sit inside one name (省经济和信息化厅).
        parts = re.split(r"[和及与]", piece)
        if len(parts) > 1 and not all(_ORG_END.search(p.strip()) for p in parts):
            parts = [piece]
        for part in parts:
            name = part.strip().removesuffix("等")
            if _NAME.match(name) and _ORG_END.search(name):
                names.append(name)
    return names
