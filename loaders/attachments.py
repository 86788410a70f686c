"""Attachments: the documents a notice or plan carries after its body (附件1, 附表2, 附录).

A short line opens an attachment — ``附件``, ``附件1``, ``附件二：考评指标``, ``附表1  任务分工表``,
``附录`` — and the attachment runs to the next one or to the end of the body. Each is a part of
the document of its own, titled by what follows its marker on the line or, when the line is
the marker alone, by the next line (the attached document's title).

The list of attachments that closes a notice (``附件：1.XX方案`` / ``2.YY表``, or ``附件：`` over
one title) names the attachments; it is no attachment itself. It is told apart by its form: a
marker without a number of its own, a colon, and the first attachment within a few short lines.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from policykg.loaders.records import AttachmentRecord, SectionRecord, Span

_CN = "零〇一二三四五六七八九十百两"
_BLANK = " \t\u3000\xa0"

#: A line that opens an attachment: the marker, its number, a colon, and at most a short title.
_ATTACHMENT_LINE = re.compile(rf"[{_BLANK}]*附(?:件|表|录)[{_CN}\d]*[：:]?[{_BLANK}]*(?:$|[^\n]{{0,60}}$)")
_MARKER = re.compile(rf"[{_BLANK}]*附(?:件|表|录)(?P<n>[{_CN}\d]*)(?P<colon>[：:])?[{_BLANK}]*")
_OPENER_WORD = re.compile("附[件表录]")
#: The longest line an attachment opener or an attached document's title can be.
_MAX_LINE = 64
#: A list of attachments names them on the lines that follow it: at most this many.
_MAX_LIST_LINES = 12


def attachment_lines(text: str, lines: list[tuple[int, int]]) -> list[int]:
    """Line starts of the lines that open an attachment (or list them).

    ``lines`` are in text order and apart (as ``structure.body_lines`` gives them). Only the
    lines that hold 附件, 附表 or 附录 are looked at, found by one search over their text.
    """
    out: list[int] = []
    if not lines:
        return out
    starts = [start for start, _ in lines]
    holding: list[int] = []  # the lines that hold the word, in order
    for m in _OPENER_WORD.finditer(text, lines[0][0], lines[-1][1]):
        k = bisect.bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < lines[k][1] and (not holding or holding[-1] != k):
            holding.append(k)
    for start, end in (lines[k] for k in holding):
        line = text[start:end].strip()
        if (
            line.startswith(("附件", "附表", "附录"))
            and len(line) <= _MAX_LINE
            and _ATTACHMENT_LINE.fullmatch(text, start, end)
            and not line.endswith(("。", "；", "，"))
        ):
            out.append(start)
    return out


def find_attachments(
    text: str, lines: list[tuple[int, int]], body_end: int, sections: Sequence[SectionRecord] = ()
) -> list[AttachmentRecord]:
    """The attachments among the body's ``lines``, in order, without the list that names them.

    ``sections`` are the document's sections: where their numbering starts again inside an
    attachment that opened with something else (a form, a table), the next attached document
    has begun, and the attachment ends before its title."""
    row = {start: k for k, (start, _) in enumerate(lines)}
    openers = attachment_lines(text, lines)
    kept = []
    for start in openers:
        k = row[start]
        if _is_list(text, lines, k, openers):
            continue
        title = _title(text, lines, k)
        if title is not None:
            kept.append((start, title))
    restarts = [s.span.start for s in sections[1:] if s.number == sections[0].number]
    out: list[AttachmentRecord] = []
    for i, (start, title) in enumerate(kept):
        end = kept[i + 1][0] - 1 if i + 1 < len(kept) else body_end
        end = _before_next_document(text, lines, title.end, end, restarts)
        marker = _MARKER.match(text, start)
        assert marker is not None  # every opener starts with its marker
        out.append(
            AttachmentRecord(
                ordinal=len(out) + 1,
                number=marker.group("n"),
                title=title.quote(text),
                title_span=title,
                span=Span.trimmed(text, start, end),
            )
        )
    return out


def _title(text: str, lines: list[tuple[int, int]], k: int) -> Span | None:
    """What titles the attachment opened on line ``k``: the rest of its line, else the next
    line when it reads as a title, else the line itself when it carries a number (附件2).
    None when it is no attachment: a bare 附件 over a sentence (a form's field), or a page's
    附件下载 box."""
    start, end = lines[k]
    marker = _MARKER.match(text, start, end)
    assert marker is not None
    rest = Span.trimmed(text, marker.end(), end)
    if rest.quote(text).startswith("下载"):
        return None
    if rest.end - rest.start >= 2:
        return rest
    following = _next_title(text, lines, k)
    if following is not None:
        return following
    return Span.trimmed(text, start, end) if marker.group("n") else None


def _before_next_document(
    text: str, lines: list[tuple[int, int]], title_end: int, end: int, restarts: list[int]
) -> int:
    """Where an attachment ends when the numbering starts again inside it after other content:
    before the restarted document's title line (or its first heading)."""
    restart = next((r for r in restarts if title_end < r <= end), None)
    if restart is None:
        return end
    between = [(s, e) for s, e in lines if title_end < s < restart and text[s:e].strip()]
    if len(between) <= 1:  # the attached document's own sections, at most a subtitle before them
        return end
    s, e = between[-1]
    line = text[s:e].strip()
    if len(line) <= _MAX_LINE and "，" not in line and not line.endswith(("。", "；", "：", ":")):
        return s - 1
    return restart - 1


def _is_list(text: str, lines: list[tuple[int, int]], k: int, openers: list[int]) -> bool:
    """Whether the opener on line ``k`` lists the attachments rather than opening one: no
    number of its own, a colon, and the next opener after a few short lines (its entries)."""
    marker = _MARKER.match(text, *lines[k])
    if marker is None or marker.group("n") or not marker.group("colon"):
        return False
    following = [a for a in openers if a > lines[k][0]]
    if not following:
        return False
    entries = 0
    for start, end in lines[k + 1 :]:
        if start >= following[0]:
            return True
        line = text[start:end].strip()
        if not line:
            continue
        entries += 1
        if entries > _MAX_LIST_LINES or len(line) > _MAX_LINE or line.endswith("。"):
            return False
    return False


def _next_title(text: str, lines: list[tuple[int, int]], k: int) -> Span | None:
    """The first non-empty line after the marker line, when it reads as a title."""
    for start, line_end in lines[k + 1 :]:
        span = Span.trimmed(text, start, line_end)
        if span.start == span.end:
            continue
        line = span.quote(text)
        if len(line) <= _MAX_LINE and "，" not in line and not line.endswith(("。", "；", "：", ":")):
            return span
        return None
    return None
