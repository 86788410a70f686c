"""Build tuned/beijing-2022-datazone-notice-pdf.pdf from the real text beside it.

    /tmp/pdfvenv/bin/python tests/data/unseen/make_beijing-2022-datazone-notice-pdf.py

Needs reportlab (not a project dependency: install it into a throwaway venv, e.g.
`python3 -m venv /tmp/pdfvenv && /tmp/pdfvenv/bin/pip install reportlab`) and the TrueType
CJK font WenQuanYi Micro Hei (Debian/Ubuntu package fonts-wqy-microhei). reportlab embeds a
subset of the font with a ToUnicode map, so a PDF text extractor gets the characters back.

The text is tuned/beijing-2022-datazone-notice.txt, a 北大法宝 export (UTF-8, CRLF) of
北京市经济和信息化局印发《关于推进北京市数据专区建设的指导意见》的通知 (京经信发〔2022〕87号); see
tuned/README.md for its source. This script only lays its 69 lines out on A4 pages, in order,
without changing a character of them (leading spaces and the two U+3000 indents included):

- the first copy of the title is the red head (red, centred), the second copy the title
  (centred), then the document number (centred) with a red rule under it;
- the signature and the date are right-aligned, the attachment's title is centred;
- every other line (the export's 法宝引证码/原文链接 lines, addressees, paragraphs, headings) is
  left-aligned.

A line longer than the measure is broken by width, as a word processor would, the way
tests/data/docs/make_pdf.py does: an opening bracket or quote never ends a line, closing
punctuation hangs at the end of the line instead of starting the next one; in addition a run of
ASCII letters and digits (the URL, CLI.12.5679380, 2-3) is not split unless it fills a line by
itself. So a paragraph comes back from the PDF as several lines. Every page ends with its
page number "- N -", as on a printed 红头文件; nothing else is added.

The output is byte-stable: reportlab's invariant mode fixes the file id, and SOURCE_DATE_EPOCH
pins the creation date to the signature date (2022-11-21 09:00 +08:00).
"""
from __future__ import annotations

import calendar
import os
import re
import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

HERE = Path(__file__).parent
SOURCE = HERE / "tuned" / "beijing-2022-datazone-notice.txt"
OUT = HERE / "tuned" / "beijing-2022-datazone-notice-pdf.pdf"
FONT_FILES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]
FONT = "WenQuanYiMicroHei"
TITLE = "北京市经济和信息化局印发《关于推进北京市数据专区建设的指导意见》的通知"
NUMBER = "京经信发〔2022〕87号"
SIGNATURE = {"北京市经济和信息化局", "2022年11月21日"}
ATTACHMENT_TITLE = "关于推进北京市数据专区建设的指导意见"
RED = (0.8, 0.0, 0.0)

PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 62.0, 62.0, 64.0, 78.0
WIDTH = PAGE_W - LEFT - RIGHT
STYLE = {  # size, leading, alignment, space before
    "meta": (9, 16, "left", 0),
    "head": (18, 30, "center", 6),
    "title": (15, 26, "center", 8),
    "num": (12, 26, "center", 4),
    "atitle": (15, 28, "center", 14),
    "plain": (12, 21, "left", 0),
    "sig": (12, 21, "right", 0),
}
# Characters that may not begin a line; they hang at the end of the previous one.
NO_LINE_START = set("，。、；：？！）》”’〕】%‰,.;:?!)\"")
# Characters that may not end a line; they move to the start of the next one.
NO_LINE_END = set("（《“‘〔【(")
ASCII_WORD = re.compile(r"[!-~]")


def register_font() -> None:
    for path in FONT_FILES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return
    sys.exit("no CJK TrueType font found; apt-get install fonts-wqy-microhei")


def source_lines() -> list[str]:
    text = SOURCE.read_bytes().decode("utf-8")
    lines = re.split(r"\r?\n", text)
    if lines and lines[-1] == "":  # the final line end
        lines.pop()
    return lines


def style_of(index: int, line: str, seen_title: bool) -> str:
    if line == TITLE:
        return "title" if seen_title else "head"
    if line == NUMBER:
        return "num"
    if line in SIGNATURE:
        return "sig"
    if line == ATTACHMENT_TITLE:
        return "atitle"
    if index < 2:  # 【法宝引证码】 and 原文链接 lines of the export
        return "meta"
    return "plain"


def wrap(text: str, size: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, FONT, size) > WIDTH and line and ch not in NO_LINE_START:
            carry = ""
            while line and line[-1] in NO_LINE_END:
                carry = line[-1] + carry
                line = line[:-1]
            if not carry and ASCII_WORD.match(ch):  # keep a run of ASCII together
                cut = len(line)
                while cut and ASCII_WORD.match(line[cut - 1]):
                    cut -= 1
                if cut:
                    line, carry = line[:cut], line[cut:]
            lines.append(line)
            line = carry
        line += ch
    if line:
        lines.append(line)
    return lines


class Writer:
    def __init__(self, path: Path):
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm((2022, 11, 21, 1, 0, 0)))
        self.c = canvas.Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
        self.c.setTitle(TITLE)
        self.c.setAuthor("北京市经济和信息化局")
        self.c.setCreator("make_beijing-2022-datazone-notice-pdf.py")
        self.c.setProducer("ReportLab")
        self.c.setSubject("关于推进北京市数据专区建设的指导意见（京经信发〔2022〕87号）")
        self.page = 1
        self.y = PAGE_H - TOP

    def finish_page(self) -> None:
        self.c.setFillColorRGB(0, 0, 0)
        self.c.setFont(FONT, 12)
        self.c.drawCentredString(PAGE_W / 2, BOTTOM - 40, f"- {self.page} -")
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - TOP

    def block(self, style: str, text: str) -> None:
        size, leading, align, before = STYLE[style]
        if self.y < PAGE_H - TOP:
            self.y -= before
        for line in wrap(text, size):
            if self.y - leading < BOTTOM:
                self.finish_page()
            self.y -= leading
            self.c.setFont(FONT, size)
            self.c.setFillColorRGB(*(RED if style == "head" else (0, 0, 0)))
            if align == "center":
                self.c.drawCentredString(PAGE_W / 2, self.y, line)
            elif align == "right":
                self.c.drawRightString(PAGE_W - RIGHT - 2 * size, self.y, line)
            else:
                self.c.drawString(LEFT, self.y, line)
        if style == "num":  # the red rule under the document number
            self.y -= 12
            self.c.setStrokeColorRGB(*RED)
            self.c.setLineWidth(1.5)
            self.c.line(LEFT, self.y, PAGE_W - RIGHT, self.y)
            self.y -= 6

    def save(self) -> None:
        self.finish_page()
        self.c.save()


def main() -> None:
    register_font()
    w = Writer(OUT)
    seen_title = False
    lines = source_lines()
    for index, line in enumerate(lines):
        style = style_of(index, line, seen_title)
        seen_title = seen_title or line == TITLE
        w.block(style, line)
    w.save()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(lines)} lines, {w.page - 1} pages)")


if __name__ == "__main__":
    main()
