"""HTML as a scraper saves it: the visible text, with block elements as lines.

Parsed with BeautifulSoup over lxml (never regexes over markup). Besides the
text the page tells us things about itself: its <title>, meta tags government
sites fill in (ContentSource = the issuing body, PubDate), and which lines are
set as headings (<h1>…<h6>, or a block whose only text is <strong>/<b>), which
the structure step uses for documents whose parts carry no printed number.
"""

from __future__ import annotations

import re

from policykg.loaders.decode import decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table",
           "td", "th", "ul", "ol", "dl", "dt", "dd", "header", "footer", "nav", "aside", "blockquote", "pre",
           "center", "form", "hr")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BOLD = ("strong", "b")
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u3000]+")
# Meta names government sites use for the issuer and the date (case-insensitive).
_PUBLISHER_META = ("contentsource", "publisher", "dc.publisher", "dcterms.publisher", "article:author")
_DATE_META = ("pubdate", "publishdate", "dc.date", "dcterms.issued", "article:published_time", "firstpublishedtime")
# Page titles append the site: "2017年工作要点_昆明市教育局" / "… - 昆明市人民政府".
_TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]|\s[-—–]\s)\s*")


def html_to_text(data: bytes, source: str) -> tuple[str, str, dict[str, str], list[str]]:
    """Return ``(text, encoding, hints, headings)``."""
    from bs4 import BeautifulSoup

    markup, encoding = _decode_html(data, source)
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "svg"]):
        tag.decompose()
    hints = _hints(soup)
    headings = []
    for tag in soup.find_all(_HEADINGS):
        headings.append(_line(tag.get_text()))
    for tag in soup.find_all(_BOLD):
        # A bold run is a heading only when it is all the text of its block.
        block = tag.find_parent(_BLOCKS[:1] + ("div", "td", "li", "p"))
        own = _line(tag.get_text())
        if own and block is not None and _line(block.get_text()) == own:
            headings.append(own)
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    lines = [_line(ln) for ln in body.get_text().split("\n")]
    return "\n".join(ln for ln in lines if ln), encoding, hints, [h for h in headings if h]


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
