"""Property-based tests (Hypothesis) of the reading and extraction pipeline.

(a) Random bytes, damaged real files and random text in every encoding policykg reads: the
    pipeline reads them or refuses them with an ``InputError`` that names the file, never
    another exception, and text it reads comes back exactly as it was written.
(b) Random documents assembled from real fragments (headings, numbered tasks, goal sentences,
    place names, page furniture taken from samples/ and tests/data/docs/) in random order,
    numbering styles, formats and encodings: no crash, every span cuts its quote out of the
    text exactly, and no target value is without a unit.

Deterministic (``derandomize=True``, no example database) and bounded, so CI runs the same
examples every time; an example that once found a bug is pinned with ``@example``.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from html import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from policykg.errors import InputError, PolicyKGError
from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.loaders.decode import normalize_text
from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.metadata import is_furniture
from policykg.loaders.read import read_bytes
from policykg.loaders.records import DocumentRecord, EntityKind
from policykg.loaders.targets import find_quantities
from support.common import DATA, SAMPLE

PROPERTIES = settings(
    derandomize=True,
    database=None,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_records_contract(doc: DocumentRecord) -> None:
    """What loaders/records.py promises of every record, as a user of the graph relies on it."""
    text, n = doc.text, len(doc.text)
    spans = [s for s in (doc.title_span, doc.body, doc.publisher and doc.publisher.evidence) if s]
    spans += [s.span for s in doc.sections] + [s.title_span for s in doc.sections]
    spans += [t.span for t in doc.tasks] + [t.title_span for t in doc.tasks]
    spans += [m.span for m in doc.mentions] + [t.span for t in doc.targets]
    for span in spans:
        # A span past the end would quote fewer characters than it claims.
        assert 0 <= span.start <= span.end <= n, (span, n)
    if doc.title_span:
        assert text[doc.title_span.start : doc.title_span.end].replace("\n", "") == doc.title
    for s in doc.sections:
        assert text[s.title_span.start : s.title_span.end] == s.title
        assert s.span.start <= s.title_span.start and s.title_span.end <= s.span.end
    for t in doc.tasks:
        assert text[t.title_span.start : t.title_span.end] == t.title
        assert t.span.start <= t.title_span.start and t.title_span.end <= t.span.end
        if t.section is not None:
            section = doc.sections[t.section - 1]
            assert section.span.start <= t.span.start and t.span.end <= section.span.end
    for a, b in itertools.pairwise(doc.tasks):
        assert a.span.end <= b.span.start, "tasks overlap"
    for m in doc.mentions:
        assert m.span.end > m.span.start and text[m.span.start : m.span.end] == m.surface, m
        if m.kind is EntityKind.DIVISION:
            assert m.key in doc.divisions
    for g in doc.targets:
        assert g.span.end > g.span.start and g.indicator, g
        has_value = any(v is not None for v in (g.value, g.min_value, g.max_value))
        assert not has_value or g.unit, f"a value without a unit: {g}"
        assert not g.value_missing or g.unit, g
        assert g.min_value is None or g.max_value is None or g.min_value < g.max_value, g
        for v in (g.value, g.min_value, g.max_value):
            assert v is None or isinstance(v, Decimal) and v.is_finite(), g
        if g.part.kind == "task":
            task = doc.tasks[g.part.ordinal - 1]
            inside = task.span.start <= g.span.start and g.span.end <= task.span.end
            # or in the opening of the task's section, before its first task, which it introduces
            section = doc.sections[task.section - 1] if task.section else None
            first = next((t for t in doc.tasks if t.section == task.section), None)
            opening = (
                section is not None
                and first is task
                and section.span.start <= g.span.start
                and g.span.end <= task.span.start
            )
            assert inside or opening, g


def read_or_refuse(data: bytes, name: str) -> DocumentRecord | None:
    """Extract, allowing only a refusal that names the file and says why in words."""
    try:
        doc = extract_bytes(data, name)
    except PolicyKGError as exc:
        assert isinstance(exc, InputError), exc
        assert str(exc).startswith(name + ": ") and len(exc.message) > len(name) + 8, exc
        assert "\ufffd" not in str(exc)
        return None
    assert_records_contract(doc)
    document_quads(doc, IriScheme())  # and the graph can be built from it
    return doc


# -- (a) random bytes, damaged real files, random text ---------------------------------------------

MAGIC = [
    b"",
    b"PK\x03\x04",
    b"%PDF-1.4\n",
    b"<html><body>",
    b"<!DOCTYPE html><p>",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"<?xml version='1.0'?>",
    b"\x89PNG\r\n\x1a\n",
]
NAMES = ["doc.txt", "doc.html", "doc.docx", "doc.pdf", "doc", "doc.md", "doc.xls", "文件 'a\".txt"]
REAL_FILES = [SAMPLE, *sorted(p for p in (DATA / "docs").iterdir() if p.suffix in {".txt", ".html", ".docx", ".pdf"})]


@PROPERTIES
@given(st.sampled_from(MAGIC), st.binary(max_size=3000), st.sampled_from(NAMES))
def test_random_bytes_are_read_or_refused_by_name(magic, tail, name):
    read_or_refuse(magic + tail, name)


@PROPERTIES
@given(st.sampled_from(REAL_FILES), st.data())
def test_damaged_real_files_are_read_or_refused_by_name(path, data):
    """A real .txt/.html/.docx/.pdf cut short or with bytes overwritten, as a failed download leaves it."""
    raw = bytearray(path.read_bytes())
    cut = data.draw(st.integers(1, len(raw)), label="cut")
    del raw[cut:]
    for _ in range(data.draw(st.integers(0, 4), label="overwrites")):
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw[at : at + 8] = data.draw(st.binary(min_size=1, max_size=8), label="bytes")
    read_or_refuse(bytes(raw), path.name)


# Text without control characters: a file with NULs or escapes in it is binary, not text.
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=400)
CHINESE = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
    | st.sampled_from("，。、；：“”（）《》％0123456789 abc\n　"),
    min_size=1,
    max_size=400,
)


def assert_reads_back(data: bytes, text: str) -> None:
    try:
        raw = read_bytes(data, "doc.txt")
    except InputError as exc:
        assert str(exc).startswith("doc.txt: ")
        return
    if raw.media_type == "text/plain":  # (a text that opens like a page is read as HTML)
        assert raw.text == normalize_text(text), raw.encoding


@PROPERTIES
@given(TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_random_text_reads_back_exactly_or_is_refused(text, codec):
    """Never a wrong guess: what was written is what is read (or the file is refused by name)."""
    assert_reads_back(text.encode(codec), text)


@PROPERTIES
@given(CHINESE)
def test_chinese_text_in_gb18030_reads_back_exactly_or_is_refused(text):
    data = text.encode("gb18030")
    if reads_as(data, "utf-8"):
        return  # bytes that are also valid UTF-8 read as UTF-8: they are UTF-8 by every rule
    assert_reads_back(data, text)


def reads_as(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


@PROPERTIES
@given(CHINESE, st.sampled_from(["utf-8", "gb18030"]), st.integers(0, 10_000))
# Cut in its last character, this GB18030 text was read as Shift-JIS: "ﾒｻ｡｢ﾗﾜﾌ袵ｪﾇ", silently.
@example("一、总体要求", "gb18030", 10)
def test_text_cut_anywhere_reads_as_the_words_before_the_cut_or_is_refused(text, codec, at):
    """A download cut short: what is read is the text up to the cut, never another encoding's symbols."""
    data = text.encode(codec)
    data = data[: 1 + at % len(data)]
    if codec == "gb18030" and reads_as(data, "utf-8"):
        return  # also valid UTF-8: read as UTF-8, by every rule
    if codec == "utf-8" and reads_as(data, "gb18030") and data.decode("utf-8", "ignore").isascii():
        return  # ASCII, then two bytes that are a GB18030 character (0“ cut -> 30 E2 80 = 0鈥): no rule can tell
    try:
        raw = read_bytes(data, "doc.txt")
    except InputError as exc:
        assert str(exc).startswith("doc.txt: ")
        return
    if raw.media_type == "text/plain":
        assert raw.text in {normalize_text(text[:k]) for k in range(len(text) + 1)}, (raw.text, raw.encoding)


# -- (b) random documents from real fragments ------------------------------------------------------

_SECTION_HEAD = re.compile(r"^\s*(?:第[一二三四五六七八九十]+(?:部分|章)|[一二三四五六七八九十]+、)[\s　]*")
_TASK_HEAD = re.compile(r"^\s*(?:\d{1,3}[.．、]|（[一二三四五六七八九十]+）)[\s　]*")


def _fragments() -> dict[str, list[str]]:
    lines = []
    files = [SAMPLE, *sorted((DATA / "docs").glob("*.txt"))]
    for path in files:
        lines += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    headings = sorted({_SECTION_HEAD.sub("", ln) for ln in lines if _SECTION_HEAD.match(ln)})
    tasks = sorted({_TASK_HEAD.sub("", ln) for ln in lines if _TASK_HEAD.match(ln) and not _SECTION_HEAD.match(ln)})
    sentences = {s + "。" for t in tasks for s in t.split("。") if s}
    goals = sorted(s for s in sentences if find_quantities(s))
    places = sorted({m.surface for path in files for m in extract_path(path).mentions if m.kind is EntityKind.DIVISION})
    noise = sorted({ln for ln in lines if is_furniture(ln)} | {ln for ln in lines if ln.startswith(("来源", "发布"))})
    titles = sorted({ln for ln in lines if len(ln) < 40 and re.search(r"(要点|方案|通知)$", ln)})
    assert headings and tasks and goals and places and noise and titles
    return {"headings": headings, "tasks": tasks, "goals": goals, "places": places, "noise": noise, "titles": titles}


FRAGMENTS = _fragments()
_CN = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """1..99 in Chinese numerals: 一, 十, 十二, 二十, 二十三."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _CN[tens]) + "十" if tens else "") + (_CN[ones] if ones or not tens else "")


SECTION_STYLES = [lambda i: f"{chinese(i)}、", lambda i: f"第{chinese(i)}部分　", lambda i: f"第{chinese(i)}章 "]
TASK_STYLES = [
    lambda i: f"{i}.",
    lambda i: f"{i}、",
    lambda i: f"{i}．",
    lambda i: f"（{chinese(i)}）",
    lambda i: f"（{i}）",
]


# What a goal's numbers look like at their worst: runs of digits and numerals, units, ranges,
# quotes and brackets left open, stray separators.
NASTY = st.text(
    st.sampled_from(
        "0123456789０１２３４５６７８９.．%％‰一二两三十百千万亿年月底前到至-~所个人万元“”《》（）、，。；： 　\t"
    ),
    max_size=30,
)
HIDDEN = "脚本里的字"  # inside <script>, <style> or a comment: never part of the text


@st.composite
def policy_documents(draw) -> tuple[bytes, str]:
    pick = lambda kind: draw(st.sampled_from(FRAGMENTS[kind]), label=kind)  # noqa: E731
    lines = [pick("noise") for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        lines.append(pick("titles"))
    lines += [pick("noise") for _ in range(draw(st.integers(0, 2)))]
    section_style = draw(st.sampled_from(SECTION_STYLES))
    task_style = draw(st.sampled_from(TASK_STYLES))
    ordinal = 0
    for s in range(1, draw(st.sampled_from([0, 1, 2, 2, 3, 4])) + 1):
        if draw(st.sampled_from([True, True, True, False])):  # now and then a heading left out
            lines.append(section_style(s + draw(st.sampled_from([0, 0, 0, 1]))) + pick("headings"))
        if draw(st.booleans()):
            ordinal = 0  # tasks restart in each section, or run through the document
        for _ in range(draw(st.sampled_from([1, 2, 2, 3, 4, 0]))):
            ordinal += draw(st.sampled_from([1, 1, 1, 2]))  # now and then a number skipped
            body = pick("tasks")
            if draw(st.booleans()):
                body += pick("places") + pick("goals")
            lines.append(("　　" if draw(st.booleans()) else "") + task_style(ordinal) + body)
            if draw(st.integers(0, 5)) == 0:
                lines.append(pick("noise"))
    lines += [pick("goals") for _ in range(draw(st.integers(0, 2)))]
    lines += [pick("noise") for _ in range(draw(st.integers(0, 2)))]
    for _ in range(draw(st.sampled_from([0, 0, 1, 3]))):  # junk typed into the middle of a line
        if lines:
            i = draw(st.integers(0, len(lines) - 1))
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(NASTY) + lines[i][at:]
    if draw(st.integers(0, 4)) == 0:
        lines = draw(st.permutations(lines))  # and now and then, any order at all
    if draw(st.booleans()):
        return _as_page(draw, lines), "plan.html"
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines).encode(codec), draw(st.sampled_from(["plan.txt", "计划 'x\".txt", "plan"]))


def _as_page(draw, lines: list[str]) -> bytes:
    """The lines as a scraped page: blocks of any kind, bold headings, wrappers, scripts between."""
    parts = []
    for line in lines:
        tag = draw(st.sampled_from(["p", "div", "li", "h2", "td", "span"]))
        inner = escape(line)
        if _SECTION_HEAD.match(line) and draw(st.booleans()):
            bold = draw(st.sampled_from(["strong", "b"]))
            inner = f"<{bold}>{inner}</{bold}>"
        depth = draw(st.integers(0, 3))
        parts.append("<div>" * depth + f"<{tag}>{inner}</{tag}>" + "</div>" * depth)
        if draw(st.integers(0, 5)) == 0:
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            f"<script>var s = '{HIDDEN}';</script>",
                            f"<!-- {HIDDEN} -->",
                            f"<style>p::after {{content: '{HIDDEN}'}}</style>",
                        ]
                    )
                )
            )
    codec = draw(st.sampled_from(["utf-8", "gbk"]))
    page = f'<html><head><meta charset="{codec}"></head><body>{"".join(parts)}</body></html>'
    return page.encode("gb18030" if codec == "gbk" else codec)


@PROPERTIES
@given(policy_documents())
# A title after junk and a domain: its span quoted "%www.78836" for the title "%2017年工作要点".
@example(
    ("%www.788365.com2017年工作要点\n严格执行“一超四罚”，全省高速公路入口称重检测率达到100%。".encode(), "plan.txt")
)
def test_documents_built_from_real_fragments_keep_the_records_contract(document):
    data, name = document
    doc = read_or_refuse(data, name)
    assert doc is None or HIDDEN not in doc.text
