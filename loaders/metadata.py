"""Where the body is, and what the document says about itself.

Scraped pages open with navigation, spam domains and labels ("发布时间", "信息来源")
and close with footers. The body starts at the first line that reads as prose or
as a numbered heading; the title is the last short line before it that names a
kind of document, with scraped domains cut off.
"""

from __future__ import annotations

import re
from datetime import date

from policykg.loaders.records import Span

_URL = re.compile(r"(?:https?://)?(?:www\.)?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.(?:com|cn|net|org|gov|info|cc|top|vip)(?:\.cn)?(?![A-Za-z])(?:/[^\s\u4e00-\u9fff]*)?\.?")
_LABEL_LINE = re.compile(r"^\s*(发布时间|发布日期|信息来源|来源|作者|浏览次数|点击数|字号|打印|关闭|责任编辑)\s*[:：]")
_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})日?")
_PUBLISHED = re.compile(r"(发布时间|发布日期|成文日期|印发日期)\s*[:：]\s*")
_DOC_KINDS = re.compile(r"(要点|计划|方案|规划|意见|通知|办法|纲要|报告|决定|规定|细则|总结|安排)$")
_FOOTER = re.compile(r"(版权所有|ICP备|ICP证|技术支持|主办单位|联系电话|网站地图|Copyright|©)", re.I)
_PROSE_PUNCT = re.compile(r"[，,。；;：:]")


def strip_domains(line: str) -> str:
    return _URL.sub("", line).strip()


def is_furniture(line: str) -> bool:
    s = line.strip()
    if not s:
        return True
    if _LABEL_LINE.match(s) or _FOOTER.search(s):
        return True
    rest = strip_domains(s)
    # A line that is mostly URLs and domains is a link list or spam.
    return len(rest) < len(s) * 0.5


def find_body(text: str) -> Span:
    """The span from the first prose or heading line to the last non-furniture line."""
    lines = text.split("\n")
    offsets = []
    pos = 0
    for ln in lines:
        offsets.append(pos)
        pos += len(ln) + 1
    first = None
    for i, ln in enumerate(lines):
        s = ln.strip()
        if is_furniture(s):
            continue
        if len(s) >= 40 and _PROSE_PUNCT.search(s):
            first = i
            break
    if first is None:
        first = next((i for i, ln in enumerate(lines) if not is_furniture(ln)), 0)
    last = len(lines) - 1
    while last > first and is_furniture(lines[last]):
        last -= 1
    start = offsets[first]
    end = offsets[last] + len(lines[last])
    return Span(start, end)


def find_title(text: str, body: Span, hint: str | None = None) -> tuple[str, Span] | None:
    head = text[: body.start]
    pos = 0
    best = None
    for ln in head.split("\n"):
        s = ln.strip()
        cleaned = strip_domains(s)
        if cleaned and not _LABEL_LINE.match(s) and _DOC_KINDS.search(cleaned) and len(cleaned) <= 80:
            start = pos + ln.index(cleaned) if cleaned in ln else pos
            best = (cleaned, Span(start, start + len(cleaned)))
        pos += len(ln) + 1
    if best is None and hint:
        return hint.strip(), None  # type: ignore[return-value]
    return best


def find_issued(text: str, body: Span) -> date | None:
    """发布时间 in the page furniture, else a date among the last lines of the body."""
    for m in _PUBLISHED.finditer(text):
        d = _DATE.match(text, m.end())
        if d:
            return _to_date(d)
    tail = text[max(body.start, body.end - 200) : body.end]
    dates = list(_DATE.finditer(tail))
    return _to_date(dates[-1]) if dates else None


def _to_date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None
