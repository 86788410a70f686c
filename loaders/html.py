"""HTML as a scraper saves it: the visible text, with block elements as lines.

Parsed with BeautifulSoup over lxml (never regexes over markup). Besides the
text the page tells us things about itself: its <title>, meta tags government
sites fill in (ContentSource = the issuing body, PubDate), and which lines are
set as headings (<h1>…<h6>, or a block whose only text is <strong>/<b>), which
the structure step uses for documents whose parts carry no printed number.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

from policykg.errors import InputError
from policykg.loaders.decode import decode_bytes

# BeautifulSoup holds about 1 KB per element: a 20 MB page of bare tags would take 2 GB and
# minutes. Government pages have a few thousand elements; a page past this is not one.
MAX_ELEMENTS = 200_000
_TAG_OPEN = re.compile(r"<[A-Za-z]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_BLOCKS = (
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "table",
    "td",
    "th",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "header",
    "footer",
    "nav",
    "aside",
    "blockquote",
    "pre",
    "center",
    "form",
    "hr",
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BOLD = ("strong", "b")
_BOLD_BLOCKS = ("p", "div", "td", "li")  # the block whose whole text a bold heading must be
# A heading is a short line; text this long under a bold or <h*> element is never one (the
# structure step takes headings of up to 60 characters), so it is not even assembled.
_MAX_HEADING_CHARS = 1000
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u3000]+")
# Meta names government sites use for the issuer and the date (case-insensitive).
_PUBLISHER_META = ("contentsource", "publisher", "dc.publisher", "dcterms.publisher", "article:author")
_DATE_META = ("pubdate", "publishdate", "dc.date", "dcterms.issued", "article:published_time", "firstpublishedtime")
# Page titles append the site: "2017年工作要点_昆明市教育局" / "… - 昆明市人民政府".
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s)\s*")


def html_to_text(data: bytes, source: str) -> tuple[str, str, dict[str, str], list[str]]:
    """Return ``(text, encoding, hints, headings)``."""
    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    markup, encoding = _decode_html(data, source)
    elements = sum(1 for _ in _TAG_OPEN.finditer(markup))
    if elements > MAX_ELEMENTS:
        raise InputError(
            f"{source}: the page has {elements} elements (more than {MAX_ELEMENTS}): too many to be a document page",
            hint="save the document's text as .txt",
        )
    with warnings.catch_warnings():
        # Scraped pages often open with an XML declaration (XHTML); reading them as HTML is
        # intended, and bs4's advice to switch parsers would only reach the user's terminal.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg"]):
        tag.decompose()
    hints = _hints(soup)
    text, headings = _walk(soup.body or soup)
    lines = [_line(ln) for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln), encoding, hints, [h for h in headings if h]


class _Open:
    """An element whose end tag the walk has not reached yet."""

    __slots__ = ("name", "children", "start", "chars", "block", "bolds")

    def __init__(self, name: str, children, start: int, chars: int, block: _Open | None) -> None:
        self.name, self.children, self.start, self.chars, self.block = name, children, start, chars, block
        self.bolds: list[str] = []  # bold runs whose nearest heading-capable block is this one


def _walk(root) -> tuple[str, list[str]]:
    """The visible text, each block element on lines of its own, and the lines set as headings.

    One pass with an explicit stack, in time linear in the page: a page of 100 000 nested
    <div>s neither recurses nor re-reads its subtrees (inserting newlines into the tree and
    reading each heading's text from the tree again both cost the depth of the nesting,
    per element).
    """
    from bs4 import CData, NavigableString, Tag

    pieces: list[str | None] = []  # strings of text; None marks a block edge (a line break)
    sizes = [0]  # sizes[i]: characters in pieces[:i], so a stretch's length is known without joining it
    headings: list[str] = []

    def add(piece: str | None) -> None:
        pieces.append(piece)
        sizes.append(sizes[-1] + (len(piece) if piece else 0))

    def own_text(el: _Open) -> str | None:
        """The element's text without the line breaks; None when too long to be a heading."""
        if sizes[-1] - el.chars > _MAX_HEADING_CHARS or len(pieces) - el.start > _MAX_HEADING_CHARS:
            return None
        return _line("".join(p for p in pieces[el.start :] if p))

    stack = [_Open(root.name, iter(root.contents), 0, 0, None)]
    while stack:
        top = stack[-1]
        node = next(top.children, None)
        if node is None:
            stack.pop()
            _close(top, own_text, headings)
            if top.name in _BLOCKS:
                add(None)
            continue
        if isinstance(node, Tag):
            if node.name in _BLOCKS:
                add(None)
            block = top if top.name in _BOLD_BLOCKS else top.block
            stack.append(_Open(node.name, iter(node.contents), len(pieces), sizes[-1], block))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or processing instructions
            add(str(node))
    text = "".join("\n" if p is None else p for p in pieces)
    return text, headings


def _close(el: _Open, own_text: Callable[[_Open], str | None], headings: list[str]) -> None:
    """At an element's end tag: is it, or a bold run inside it, set as a heading?"""
    if el.name in _HEADINGS:
        line = own_text(el)
        if line:
            headings.append(line)
    elif el.name in _BOLD and el.block is not None:
        line = own_text(el)
        if line:
            el.block.bolds.append(line)
    if el.bolds:
        # A bold run is a heading only when it is all the text of its block.
        block_text = own_text(el)
        headings.extend(b for b in el.bolds if b == block_text)


def _line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _hints(soup) -> dict[str, str]:
    hints: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        parts = [p for p in _TITLE_SEPARATORS.split(soup.title.get_text(strip=True)) if p]
        # The document title is the longest piece; a trailing piece is the site.
        if parts:
            hints["title"] = max(parts, key=len)
            if len(parts) > 1:
                hints["site"] = parts[-1]
    for meta in soup.find_all("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = _line(meta.get("content") or "")
        if not content:
            continue
        if name in _PUBLISHER_META and "publisher" not in hints:
            hints["publisher"] = content
        elif name in _DATE_META and "issued" not in hints:
            hints["issued"] = content
        elif name in ("articletitle", "dc.title", "og:title") and "title" not in hints:
            hints["title"] = content
    return hints


def _decode_html(data: bytes, source: str) -> tuple[str, str]:
    # A BOM or a byte pattern outranks the page's own declaration, which
    # scrapers often leave stale after re-encoding the page.
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data, source)
    m = _META_CHARSET.search(data[:4096])
    if m:
        declared = m.group(1).decode("ascii").lower()
        # GB2312 and GBK pages routinely contain GB18030-only characters: read the superset.
        codec = "gb18030" if declared in {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"} else declared
        try:
            return data.decode(codec), codec  # strict: a wrong declaration falls through
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_bytes(data, source)
