"""HTML as a scraper saves it: the visible text, with block elements as lines."""

from __future__ import annotations

import re

from policykg.errors import InputError
from policykg.loaders.decode import decode_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "td")


def html_to_text(data: bytes, source: str) -> tuple[str, str, dict[str, str]]:
    from bs4 import BeautifulSoup

    text, encoding = _decode_html(data, source)
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    hints: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        hints["title"] = soup.title.get_text(strip=True)
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in body.get_text().split("\n")]
    return "\n".join(ln for ln in lines if ln), encoding, hints


def _decode_html(data: bytes, source: str) -> tuple[str, str]:
    m = _META_CHARSET.search(data[:4096])
    if m:
        declared = m.group(1).decode("ascii").lower()
        # GB2312 and GBK pages routinely contain GB18030-only characters: read the superset.
        codec = "gb18030" if declared in {"gb2312", "gbk", "gb18030", "x-gbk"} else declared
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong declaration: fall back to detection
    try:
        return decode_bytes(data, source)
    except InputError:
        raise
