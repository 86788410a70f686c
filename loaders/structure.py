"""Sections and tasks from the numbering of a document's lines.

Chinese policy documents number their parts in a few families, from the top:

    第一部分 / 第一章       (a "part")
    一、                    (a section)
    （一）                  (a sub-section, or the tasks of a county plan)
    1.  1、  1．            (numbered items, usually the tasks)
    （1）                   (sub-items)

A document uses some of them. The highest family present (and used for at least
two headings) gives the sections; the next family present inside them gives the
tasks. Without sections, the highest family gives the tasks, and a document
with no numbering at all yields its paragraphs as parts. A heading is accepted
only when its number follows the previous one (or restarts at 1 in a new
section), so "2017.3" or a list inside a task body does not become a task.
The signature that closes a document (issuer and date lines) is cut from the
last task and section.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add

from policykg.loaders.attachments import attachment_lines
from policykg.loaders.numerals import chinese_to_int
from policykg.loaders.records import ItemRecord, SectionRecord, Span, TaskRecord

_CN = "零〇一二三四五六七八九十百两"

# One entry per numbering family, highest first: (name, regex). The regex matches
# at a line start (after blanks) and captures the printed number in group "n".
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("part", re.compile(rf"[ \t\u3000\xa0]*第(?P<n>[{_CN}\d]+)(?:部分|章|篇)[、.．:：\s\u3000]*")),
    # 第一节 under 第一章: the second level of a five-year plan.
    ("part_section", re.compile(rf"[ \t\u3000\xa0]*第(?P<n>[{_CN}\d]+)节[、.．:：\s\u3000]*")),
    # 一、2025年工作回顾 opens a section; 一.5 is no heading (a dot before a digit is a decimal point).
    ("cn", re.compile(rf"[ \t\u3000\xa0]*(?P<n>[{_CN}]+)(?:、|[.．](?!\d))[ \t\u3000]*")),
    ("paren_cn", re.compile(rf"[ \t\u3000\xa0]*[（(](?P<n>[{_CN}]+)[）)][、.．]?[ \t\u3000]*")),
    ("arabic", re.compile(r"[ \t\u3000\xa0]*(?P<n>\d{1,3})(?:[、．]|\.(?!\d))[ \t\u3000]*")),
    ("paren_arabic", re.compile(r"[ \t\u3000\xa0]*[（(](?P<n>\d{1,3})[）)][、.．]?[ \t\u3000]*")),
    # 一是…二是… opening lines: the enumeration of a government work report's priorities.
    ("shi", re.compile(rf"[ \t\u3000\xa0]*(?P<n>[{_CN}]{{1,3}})是(?=[\u4e00-\u9fff“])")),
)
# What every family's number opens with, after the blanks: 第, a Chinese numeral, a bracket, a digit.
_NUMBER_FIRST = re.compile(rf"[ \t\u3000\xa0]*[第{_CN}（(\d]")

# Where a title stops when it is followed by its body on the same line.
_TITLE_END = re.compile(r"[。；;！!？?:：]")
_CLAUSE_END = re.compile(r"[，,]")
# A title is a short heading phrase; anything longer is a sentence.
MAX_TITLE = 30
MAX_SECTION_TITLE = 60
# A first sentence this short is a title of its own, followed by the body.
SHORT_SENTENCE = 32
# A task that is one sentence is titled by all of it, up to this length.
MAX_SENTENCE_TITLE = 120
# A clause this short before a comma is a heading, not the start of a sentence.
SHORT_TITLE = 12
# A title phrase longer than this, with no comma, is checked for a body run into it.
LONG_TITLE = 16

# Words that open the body sentence of a policy task. When a task has no full
# stop after its title ("加大开放办教育力度贯彻落实…"), the title ends where
# the first of these begins. These are generic verbs and adverbs of Chinese
# administrative prose, not words taken from any one document.
_BODY_OPENERS = (
    "贯彻",
    "落实",
    "制定",
    "大力",
    "实施",
    "认真",
    "坚持",
    "按照",
    "围绕",
    "根据",
    "依据",
    "依托",
    "进一步",
    "继续",
    "深入",
    "积极",
    "切实",
    "全面",
    "着力",
    "努力",
    "加快",
    "加强",
    "加大",
    "推进",
    "推动",
    "完善",
    "健全",
    "建立",
    "强化",
    "做好",
    "开展",
    "启动",
    "通过",
    "鼓励",
    "支持",
    "力争",
    "确保",
    "以",
    "要",
    "各地",
    "各级",
    "全市",
    "全省",
    "全县",
    "全区",
    "今年",
    "到20",
    "在",
    "全年",
    "年内",
    "配合",
    "结合",
    "对照",
    "争取",
    "抓好",
    "持续",
    "巩固",
)
_MIN_TITLE = 4

# A signature block: lines that hold only an issuing body (…局, …委员会, …人民政府,
# several separated by blanks), only a date (2019年2月25日, 二〇一九年二月二十五日),
# or both, or a release note (（此件公开发布）). At the end of a task they close the
# document, not the task.
_ISSUER = r"[\u4e00-\u9fff（）()]{2,30}?(?:局|厅|委员会|委|办公室|办公厅|人民政府|政府|部|署|办|中心|院|会)"
_SIGN_DATE = (
    rf"(?:(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|[〇零一二三四五六七八九]{{4}}年[{_CN}]{{1,3}}月[{_CN}]{{1,3}}日)"
)
_BLANK = r"[ \t\u3000\xa0]"
_SIGNATURE_LINE = re.compile(
    rf"{_BLANK}*(?:(?:{_ISSUER}(?:{_BLANK}+{_ISSUER})*)(?:{_BLANK}*{_SIGN_DATE})?|{_SIGN_DATE}|[（(]此件[^）)\n]{{1,12}}[）)]){_BLANK}*"
)


@dataclass
class _Heading:
    family: str
    number: str  # printed, e.g. "一" or "10"
    value: int
    line_start: int
    content_start: int  # after the number
    line_end: int


@lru_cache(maxsize=1)
def body_lines(text: str, body: Span) -> list[tuple[int, int]]:
    """(start, end) of each line of the body, a run-on line cut at its numbered headings.

    The last answer is kept (the structure and the attachments both read the body's lines):
    callers read the list and never change it.
    """
    # Offsets summed by C iterators, not a Python loop over the lines: a plan has ten thousands.
    lengths = list(map(len, text[body.start : body.end].split("\n")))
    starts = list(accumulate(map(add, lengths, repeat(1)), initial=body.start))
    out = list(zip(starts, map(add, starts, lengths), strict=False))  # one start more than lines
    longest = max(lengths)
    if longest > _RUN_ON and longest * 2 > body.end - body.start:
        k = lengths.index(longest)  # the first longest line
        out[k : k + 1] = _run_on_lines(text, *out[k])
    return out


#: A line this long that holds most of the body is a page whose paragraphs a crawler ran together.
_RUN_ON = 2000
# Numbered headings inside such a line, by family, highest first.
_RUN_ON_MARKS = (
    ("part", re.compile(rf"第([{_CN}\d]+)(?:部分|章|篇)")),
    ("part_section", re.compile(rf"第([{_CN}\d]+)节")),
    ("cn", re.compile(rf"([{_CN}]+)、")),
    ("paren_cn", re.compile(rf"[（(]([{_CN}]+)[）)]")),
    ("arabic", re.compile(r"(?<![\d.．])(\d{1,3})(?:[、．]|\.(?!\d))")),
    ("paren_arabic", re.compile(r"[（(](\d{1,3})[）)]")),
)
_SENTENCE_END = "。；;！？!?"


def _run_on_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """One run-on line as the lines it was: split before each numbered heading that follows a
    sentence end, or that continues its family's count or starts it again at 1 (（一） … （二）
    after a title with no stop); 一、 is taken only after a stop (统一、规范 holds one). The
    pieces keep their offsets; no character is added or lost."""
    marks = []
    for family, rx in _RUN_ON_MARKS:
        for m in rx.finditer(text, start, end):
            n = m.group(1)
            value = int(n) if n.isdigit() else chinese_to_int(n)
            if value:
                marks.append((m.start(), family, value))
    marks.sort()
    expected: dict[str, int] = {}
    cuts = [start]
    for pos, family, value in marks:
        after_stop = text[pos - 1 : pos] in _SENTENCE_END or pos == start
        counted = family != "cn" and value in (1, expected.get(family, 1))
        if pos < cuts[-1] or (pos == cuts[-1] and pos != start) or not (after_stop or counted):
            continue
        if value not in (1, expected.get(family, 1)):
            continue  # out of sequence: a number in the prose
        if pos != start:
            cuts.append(pos)
        expected[family] = value + 1
    cuts.append(end)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _headings(text: str, lines: list[tuple[int, int]]) -> dict[str, list[_Heading]]:
    found: dict[str, list[_Heading]] = {name: [] for name, _ in _FAMILIES}
    for start, end in lines:
        if not _NUMBER_FIRST.match(text, start, end):
            continue  # no family's number opens the line: one test instead of one per family
        line = text[start:end]
        for name, rx in _FAMILIES:
            m = rx.match(line)
            if not m or m.end() >= len(line.rstrip()):
                continue
            value = int(m["n"]) if m["n"].isdigit() else chinese_to_int(m["n"])
            if value is None or value <= 0:
                continue
            found[name].append(_Heading(name, _printed(m.group(0)), value, start, start + m.end(), end))
            break
    return found


def opens_with_number(line: str) -> bool:
    """Does the line open a numbered part (第一部分, 一、, （一）, 1., （1）) and go on after the number?"""
    return any((m := rx.match(line)) and m.end() < len(line.rstrip()) for _, rx in _FAMILIES)


def _printed(token: str) -> str:
    """The number as printed: "第一部分", "（一）", "一" (from "一、"), "10" (from "10.")."""
    return token.strip(" \t\u3000\xa0").rstrip("、.．:：").strip(" \t\u3000\xa0")


def _marked(
    text: str, lines: list[tuple[int, int]], headings: set[str], found: dict[str, list[_Heading]]
) -> list[_Heading]:
    """Lines the format sets as headings (bold, <h2>, Heading 1) that carry no printed number."""
    numbered = {h.line_start for hs in found.values() for h in hs}
    out: list[_Heading] = []
    for start, end in lines:
        line = text[start:end].strip()
        if start in numbered or line not in headings or len(line) > MAX_SECTION_TITLE:
            continue
        lead = len(text[start:end]) - len(text[start:end].lstrip())
        out.append(_Heading("marked", "", len(out) + 1, start, start + lead, end))
    return out


def _in_sequence(heads: list[_Heading], boundaries: Sequence[int] = ()) -> list[_Heading]:
    """Keep headings whose numbers run 1, 2, 3 …; after a boundary (a new section) they may restart at 1."""
    kept: list[_Heading] = []
    expected = 1
    bounds = sorted(boundaries)
    for h in heads:
        # a boundary strictly between the last heading kept and this one (by bisection: the
        # boundaries are many in a long plan, and so are its headings)
        k = bisect.bisect_right(bounds, kept[-1].line_start) if kept else len(bounds)
        new_section = k < len(bounds) and bounds[k] < h.line_start
        if h.value == expected or (new_section and h.value == 1):
            kept.append(h)
            expected = h.value + 1
    return kept


def _split_title(text: str, start: int, end: int, limit: int, *, whole_line: bool = False) -> int:
    """End offset of the title phrase that starts at ``start`` on a line ending at ``end``.

    Section headings are whole lines ("一、以立德树人为根本,深入推进素质教育");
    a task heading is followed by its body on the same line, closed by a full
    stop, a short clause closed by a comma, or nothing at all.
    """
    line = text[start:end].rstrip()
    stop = _TITLE_END.search(line)
    if not stop and len(line) <= (limit if whole_line else MAX_SECTION_TITLE):
        # A heading alone on its line is the whole line, commas included (annotation format).
        return start + len(line)
    if not whole_line and stop and line[stop.start()] == "。" and stop.start() <= SHORT_SENTENCE:
        # A short first sentence is the title, whatever words it opens with (始终坚持以…为底线要求。)
        return start + stop.start()
    clause = stop.start() if stop else len(line)
    comma = _CLAUSE_END.search(line, 0, clause)
    if not comma and clause <= limit:
        # A short phrase closed by a full stop (or the line's end) is the title; a
        # long one may be a heading run into its body sentence.
        if clause <= LONG_TITLE:
            return start + clause
        cut = _opener(line, clause)
        return start + (cut if cut else clause)
    if comma and comma.start() <= SHORT_TITLE and not _one_sentence(line, clause):
        return start + comma.start()
    if _one_sentence(line, clause) and clause <= MAX_SENTENCE_TITLE:
        return start + clause
    # No punctuation closes the title soon: cut before the first body opener.
    scan_end = comma.start() if comma else min(limit, len(line))
    cut = _opener(line, scan_end)
    if cut:
        return start + cut
    return start + (comma.start() if comma else min(len(line), limit))


def _one_sentence(line: str, clause: int) -> bool:
    """A task that is one sentence closed by a full stop, with no body opener in it: the
    annotation format's title is that whole sentence, commas included."""
    return clause < len(line) and line[clause] == "。" and _opener(line, clause) is None


def _opener(line: str, end: int) -> int | None:
    for i in range(_MIN_TITLE, end):
        if line.startswith(_BODY_OPENERS, i):
            return i
    return None


def find_structure(text: str, body: Span, headings: Sequence[str] = ()) -> tuple[list[SectionRecord], list[TaskRecord]]:
    """Sections and tasks of the body.

    The highest numbering family used as a sequence gives the sections (their numbers may
    restart in an attachment; ordinals run on). Within each section, the highest family below
    it that is numbered in sequence gives that section's tasks — （一） in one section, 22. in
    the next — and deeper numbered items stay inside their task. ``headings`` are lines the
    source format marked as headings (HTML <strong>/<h*>, Word heading styles); unnumbered ones
    act as the highest numbering family.
    """
    lines = body_lines(text, body)
    found = _headings(text, lines)
    marked = _marked(text, lines, {h.strip() for h in headings if h.strip()}, found) if headings else []
    found["marked"] = marked
    order = ["marked"] + [name for name, _ in _FAMILIES]
    attachments = attachment_lines(text, lines)
    present = [name for name in order if len(_in_sequence(found[name], attachments)) >= 2]
    if not present:
        return [], _paragraphs(text, lines)

    section_family = present[0] if len(present) >= 2 else None
    sections: list[SectionRecord] = []
    section_heads: list[_Heading] = []
    # Where each section's text ends: the next section, or an attachment that opens before it.
    section_ends: list[int] = []
    if section_family:
        section_heads = _in_sequence(found[section_family], attachments)
        for i, h in enumerate(section_heads):
            end = section_heads[i + 1].line_start - 1 if i + 1 < len(section_heads) else body.end
            for a in attachments:
                if h.line_start < a <= end:
                    end = a - 1
                    break
            end = _before_signature(text, h.line_end, end)
            section_ends.append(end)
            title_end = _split_title(text, h.content_start, h.line_end, MAX_SECTION_TITLE, whole_line=True)
            sections.append(
                SectionRecord(
                    ordinal=i + 1,
                    number=h.number,
                    title=text[h.content_start : title_end].strip(),
                    title_span=Span.trimmed(text, h.content_start, title_end),
                    span=Span.trimmed(text, h.line_start, end),
                )
            )

    if section_family:
        below = order[order.index(section_family) + 1 :]
        task_heads: list[tuple[_Heading, int | None, int]] = []  # (heading, section ordinal, end limit)
        for s_rec, s_head, s_end in zip(sections, section_heads, section_ends, strict=True):
            for family in below:
                # Numbers may run on from the family's last heading before this section, a task
                # or a deeper item there (items 1.–21. under （一）…, then tasks 22.–24.).
                run = _run_within(found[family], s_head.line_start, s_end)
                if run:
                    task_heads.extend((h, s_rec.ordinal, s_end) for h in run)
                    break
    else:
        task_heads = [(h, None, body.end) for h in _in_sequence(found[present[0]], attachments)]

    tasks: list[TaskRecord] = []
    for i, (h, section, limit) in enumerate(task_heads):
        end = task_heads[i + 1][0].line_start - 1 if i + 1 < len(task_heads) else body.end
        end = min(end, limit)
        for a in attachments:
            if h.line_start < a <= end:
                end = a - 1
                break
        end = _before_signature(text, h.line_end, end)
        title_end = _split_title(text, h.content_start, h.line_end, MAX_TITLE)
        tasks.append(
            TaskRecord(
                ordinal=i + 1,
                number=h.number,
                title=text[h.content_start : title_end].strip(),
                title_span=Span.trimmed(text, h.content_start, title_end),
                span=Span.trimmed(text, h.line_start, end),
                section=section,
            )
        )
        tasks[-1].items = _items(text, found, order[order.index(h.family) + 1 :], h.line_end, end)
    return sections, tasks


def _items(text: str, found: dict[str, list[_Heading]], below: list[str], start: int, end: int) -> list[ItemRecord]:
    """The numbered items of one task: the highest family below the task's own that is numbered
    in sequence inside it, from 1 or on from the task before (1.–5. under （一）). Two or more,
    or it is a stray number."""
    for family in below:
        # Numbers may run on from the items of the task before (1.–4. under （一）, 5.–12. under （二）).
        run = _run_within(found[family], start, end)
        if len(run) < 2:
            continue
        items = []
        for k, h in enumerate(run):
            item_end = run[k + 1].line_start - 1 if k + 1 < len(run) else end
            item_end = _before_signature(text, h.line_end, item_end)
            title_end = _split_title(text, h.content_start, h.line_end, MAX_TITLE)
            items.append(
                ItemRecord(
                    ordinal=k + 1,
                    number=h.number,
                    title=text[h.content_start : title_end].strip(),
                    title_span=Span.trimmed(text, h.content_start, title_end),
                    span=Span.trimmed(text, h.line_start, item_end),
                )
            )
        return items
    return []


def _run_within(heads: list[_Heading], start: int, end: int) -> list[_Heading]:
    """The headings of ``heads`` in ``(start, end]`` numbered in sequence: from 1, or on from the
    last number of the family before ``start``."""
    before = [h.value for h in heads if h.line_start <= start]
    return _run([h for h in heads if start < h.line_start <= end], before[-1] if before else 0)


def _run(heads: list[_Heading], last: int) -> list[_Heading]:
    """The headings of one section numbered in sequence: from 1, or on from ``last`` (the
    family's last number in an earlier section: tasks numbered through the document)."""
    kept: list[_Heading] = []
    for h in heads:
        if not kept:
            if h.value in (1, last + 1):
                kept.append(h)
        elif h.value == kept[-1].value + 1:
            kept.append(h)
    return kept


def _before_signature(text: str, floor: int, end: int) -> int:
    """``end`` moved back over the signature lines (issuer, date) that close a part.

    ``floor`` is the end of the part's heading line, which is never cut."""
    while end > floor:
        line_start = text.rfind("\n", floor, end) + 1
        if line_start <= floor:
            break
        line = text[line_start:end]
        if line.strip() and not _SIGNATURE_LINE.fullmatch(line):
            break
        end = line_start - 1
    return end


def _paragraphs(text: str, lines: list[tuple[int, int]]) -> list[TaskRecord]:
    """A document without numbering: each non-empty paragraph is a part."""
    tasks: list[TaskRecord] = []
    # The signature block that closes the document is not a part.
    while lines and (
        not text[lines[-1][0] : lines[-1][1]].strip() or _SIGNATURE_LINE.fullmatch(text, lines[-1][0], lines[-1][1])
    ):
        lines = lines[:-1]
    for start, end in lines:
        if not text[start:end].strip():
            continue
        span = Span.trimmed(text, start, end)
        title_end = _split_title(text, span.start, span.end, MAX_TITLE)
        n = len(tasks) + 1
        tasks.append(
            TaskRecord(
                ordinal=n,
                number=str(n),
                title=text[span.start : title_end].strip(),
                title_span=Span.trimmed(text, span.start, title_end),
                span=span,
                section=None,
            )
        )
    return tasks
