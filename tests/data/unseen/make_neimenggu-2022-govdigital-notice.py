"""Build tuned/neimenggu-2022-govdigital-notice.docx from the real text beside this script.

    .venv/bin/python tests/data/unseen/make_neimenggu-2022-govdigital-notice.py

The text, neimenggu-2022-govdigital-notice.source.txt, is a 北大法宝 export (CRLF, kept byte
for byte) of 包头市人民政府办公室关于印发《包头市2022年数字政府建设考评办法》的通知 (包府办发〔2022〕43号);
see tuned/README.md for its source. This script only lays the lines out as a Word document,
in order, without changing a character of them except the leading indentation (full-width
spaces) that Word's first-line indent replaces:

- the first occurrence of the notice title is the `Title` paragraph (the export repeats it);
- every line `一、…` … `七、…` (the 考评办法's four parts and the annex's seven) is `Heading 1`;
- every line that is only `（一）…` (the annex's sub-headings, none ending in 。) is `Heading 2`;
- a run-in `（一）…。…` paragraph (the 考评办法's part 三) gets its number and first sentence in
  a bold run;
- the document number and the two plan titles are centred, the date right-aligned;
- everything else (the export's 法宝引证码/原文链接 lines, addressees, items 1．…90．) is a plain
  paragraph with a first-line indent.

The output is byte-stable: fixed core properties (2022-04-14) and a fixed timestamp on every
zip member.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = Path(__file__).parent
SOURCE = HERE / "neimenggu-2022-govdigital-notice.source.txt"
OUT = HERE / "tuned" / "neimenggu-2022-govdigital-notice.docx"

FIXED = dt.datetime(2022, 4, 14, 9, 0, 0)
ZIP_TIME = (2022, 4, 14, 9, 0, 0)

SECTION = re.compile(r"^[一二三四五六七八九十]+、")
SUBHEAD = re.compile(r"^（[一二三四五六七八九十]+）")
CENTRED = {"包府办发〔2022〕43号", "包头市2022年数字政府建设考评办法", "包头市数字政府建设考评指标"}
DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def set_east_asian_font(style, name: str) -> None:
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def lines() -> list[str]:
    text = SOURCE.read_bytes().decode("utf-8")
    out = []
    for raw in text.split("\r\n"):
        line = raw.lstrip(" \u3000")
        if line:
            out.append(line)
    return out


def build() -> bytes:
    doc = Document()
    set_east_asian_font(doc.styles["Normal"], "仿宋_GB2312")
    doc.styles["Normal"].font.size = Pt(16)
    for name in ("Heading 1", "Heading 2"):
        set_east_asian_font(doc.styles[name], "黑体")
        doc.styles[name].font.size = Pt(16)

    seen_title = False
    for line in lines():
        if line.startswith("包头市人民政府办公室关于印发") and not seen_title:
            seen_title = True
            doc.add_paragraph(line, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif SECTION.match(line):
            doc.add_heading(line, level=1)
        elif SUBHEAD.match(line) and "。" not in line:
            doc.add_heading(line, level=2)
        elif SUBHEAD.match(line):
            head, _, body = line.partition("。")
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            p.add_run(head + "。").bold = True
            p.add_run(body)
        elif line in CENTRED:
            doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif DATE.match(line):
            doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            doc.add_paragraph(line).paragraph_format.first_line_indent = Pt(32)

    cp = doc.core_properties
    cp.title = "包头市人民政府办公室关于印发《包头市2022年数字政府建设考评办法》的通知"
    cp.subject = "数字政府建设考评办法"
    cp.author = "包头市人民政府办公室"
    cp.last_modified_by = "包头市人民政府办公室"
    cp.keywords = "数字政府；考评办法"
    cp.comments = ""
    cp.category = ""
    cp.revision = 1
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_printed = FIXED

    raw = io.BytesIO()
    doc.save(raw)
    return restamp(raw.getvalue())


def restamp(package: bytes) -> bytes:
    """Rewrite the zip with a fixed timestamp and mode on every member, same order."""
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    data = build()
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data)} bytes)")
