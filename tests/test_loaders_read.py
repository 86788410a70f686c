"""Reading: every format and encoding gives the same normalized text, and bad files fail by name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from policykg.errors import InputError
from policykg.loaders.extract import extract_bytes
from policykg.loaders.read import read_bytes

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "kunming-2017-education-workplan.txt"

SHORT = "一、总体要求\n全市教育工作以立德树人为根本。\n1.实施名校建设工程。新增优质学校11所。\n"


def _facts(doc):
    """What a user sees of a record: everything but the hash and the encoding of the bytes."""
    return (
        doc.text,
        doc.title,
        doc.issued,
        doc.publisher,
        doc.jurisdiction,
        doc.body,
        [(s.ordinal, s.title, s.span) for s in doc.sections],
        [(t.ordinal, t.number, t.title, t.span, t.section) for t in doc.tasks],
        sorted(doc.programs),
        sorted(doc.regulations),
        sorted(doc.organizations),
        sorted((m.kind.value, m.key, m.span.start, m.part.kind, m.part.ordinal) for m in doc.mentions),
    )


@pytest.mark.parametrize(
    "codec,recorded",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),
    ],
)
def test_short_chinese_text_decodes_in_every_common_encoding(codec, recorded):
    raw = read_bytes(SHORT.encode(codec), "plan.txt")
    assert raw.text == SHORT
    assert raw.encoding == recorded


def test_the_sample_in_four_encodings_gives_identical_records():
    text = SAMPLE.read_text(encoding="utf-8")
    docs = {
        codec: extract_bytes(text.encode(codec), "kunming.txt") for codec in ("utf-8", "utf-8-sig", "gb18030", "utf-16")
    }
    reference = _facts(docs["utf-8"])
    assert reference[6] and reference[7], "the sample has sections and tasks"
    for codec, doc in docs.items():
        assert _facts(doc) == reference, codec
    assert {d.encoding for d in docs.values()} == {"utf-8", "utf-8-sig", "gb18030", "utf-16"}


def test_crlf_line_ends_do_not_change_the_text():
    a = read_bytes(SHORT.encode("utf-8"), "a.txt").text
    b = read_bytes(SHORT.replace("\n", "\r\n").encode("utf-8"), "b.txt").text
    assert a == b


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "binary"),
        ("教育".encode("big5") + b"\xff\xfe\xfd\x80", "decode"),
    ],
)
def test_unreadable_files_fail_with_the_file_named(data, words):
    with pytest.raises(InputError) as err:
        read_bytes(data, "broken.txt")
    assert "broken.txt" in str(err.value)
    assert words in str(err.value)
    assert "\ufffd" not in str(err.value)


def test_unsupported_suffix_is_refused_by_name():
    with pytest.raises(InputError, match="report.xls"):
        read_bytes("数据".encode(), "report.xls")


HTML = """<!DOCTYPE html><html><head><meta charset="gb2312">
<title>2019年全市卫生健康工作要点_扬州市卫生健康委员会</title>
<meta name="ContentSource" content="扬州市卫生健康委员会"></head>
<body><div class="nav"><a href="/">网站首页</a> | <a href="/zwgk">政务公开</a></div>
<div class="content">
<p>2019年全市卫生健康工作的总体思路是：以人民健康为中心，深化医药卫生体制改革，提升公共卫生服务水平。</p>
<p><strong>深化医药卫生体制改革</strong></p>
<p>推进分级诊疗制度建设，重点人群家庭医生签约率不低于65%。</p>
<p><strong>提升公共卫生服务水平</strong></p>
<p>做好重大疾病防控，肺结核患者成功治疗率达到90%以上。</p>
</div>
<div class="footer">版权所有：扬州市卫生健康委员会 苏ICP备05004365号</div>
<script>var x = "不是正文";</script></body></html>"""


def test_html_page_declared_gb2312_reads_as_text_with_page_hints():
    raw = read_bytes(HTML.encode("gb18030"), "page.html")
    assert raw.media_type == "text/html"
    assert raw.encoding == "gb18030"
    assert "不是正文" not in raw.text  # scripts are not text
    assert "推进分级诊疗制度建设" in raw.text
    assert raw.hints["title"] == "2019年全市卫生健康工作要点"
    assert raw.hints["publisher"] == "扬州市卫生健康委员会"
    assert "深化医药卫生体制改革" in raw.headings


def test_html_footer_is_outside_the_body_and_publisher_comes_from_the_page():
    doc = extract_bytes(HTML.encode("gb18030"), "page.html")
    body = doc.quote(doc.body)
    assert body.startswith("2019年全市卫生健康工作的总体思路")
    assert "版权所有" not in body and "网站首页" not in body
    assert doc.publisher.name == "扬州市卫生健康委员会" and not doc.publisher.inferred


def test_html_saved_as_txt_is_still_read_as_html():
    raw = read_bytes(HTML.encode("utf-8").replace(b"gb2312", b"utf-8"), "page.txt")
    assert raw.media_type == "text/html" and "<p>" not in raw.text


def test_docx_paragraphs_tables_and_bold_headings():
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("2018年全县教育工作要点")
    d.add_paragraph().add_run("加强教师队伍建设").bold = True
    d.add_paragraph("1.实施名师培养工程。选派100位名师到先进地区研修学习。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "指标"
    table.rows[0].cells[1].text = "目标值"
    d.add_paragraph("2.推进教育信息化。")
    buf = io.BytesIO()
    d.save(buf)
    raw = read_bytes(buf.getvalue(), "plan.docx")
    assert raw.text.split("\n") == [
        "2018年全县教育工作要点",
        "加强教师队伍建设",
        "1.实施名师培养工程。选派100位名师到先进地区研修学习。",
        "指标 目标值",
        "2.推进教育信息化。",
    ]
    assert raw.headings == ["加强教师队伍建设"]
    assert raw.encoding is None


def test_a_damaged_docx_is_an_input_error():
    with pytest.raises(InputError, match="plan.docx"):
        read_bytes(b"PK\x03\x04" + b"\x00" * 100, "plan.docx")


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with a Helvetica text layer (ASCII only)."""
    stream = "BT /F1 12 Tf 50 750 Td 14 TL " + " ".join(f"({ln}) Tj T*" for ln in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_layer_is_read_and_page_numbers_dropped():
    raw = read_bytes(_pdf(["Work plan 2018", "1. Build schools.", "- 1 -"]), "plan.pdf")
    assert raw.media_type == "application/pdf"
    assert "Build schools." in raw.text
    assert "- 1 -" not in raw.text


def test_a_pdf_without_text_layer_says_so():
    with pytest.raises(InputError, match="no text layer"):
        read_bytes(_pdf([]), "scan.pdf")


# --- PDF lines and titles set on several lines ---------------------------------------------------

from policykg.loaders.metadata import find_body, find_title  # noqa: E402
from policykg.loaders.pdf import join_printed_lines  # noqa: E402

FULL = "一二三四五六七八九十一二三四五六七八九十"  # a line that runs to the right margin


def test_pdf_lines_wrapped_at_the_margin_are_joined_across_a_page_break():
    pages = [f"1.做好筛查。{FULL}全年完成宫颈\n- 1 -", "癌筛查3000人。\n短行\n- 2 -"]
    assert join_printed_lines(pages) == f"1.做好筛查。{FULL}全年完成宫颈癌筛查3000人。\n短行"


def test_pdf_line_before_an_opening_quote_is_joined():
    text = join_printed_lines([f"{FULL}围绕\n“世界防治结核病日”等主题日，开展宣传。"])
    assert text == f"{FULL}围绕“世界防治结核病日”等主题日，开展宣传。"


@pytest.mark.parametrize(
    "pages,lines",
    [
        ([f"{FULL}。\n癌筛查3000人。"], 2),  # the line above ends a sentence
        ([f"{FULL}\n2.推进建设。"], 2),  # the line below opens a numbered part
        (["眉县卫生健康局\n关于印发《实施方案》的通知"], 2),  # a short line ends where its text ends
        ([f"{FULL}。\n- 1 -", "短行"], 2),  # a page break after a finished sentence
        (["Work plan 2018 for the county\nschools and teachers"], 2),  # Latin wrapped in Latin stays
    ],
)
def test_pdf_lines_that_do_not_continue_stay_apart(pages, lines):
    assert len(join_printed_lines(pages).split("\n")) == lines


def test_the_county_health_notice_pdf():
    doc = extract_bytes((ROOT / "tests" / "data" / "docs" / "county-health-notice.pdf").read_bytes(), "n.pdf")
    assert "全年完成宫颈癌筛查3000人" in doc.text and "- 1 -" not in doc.text
    assert doc.title == "眉县卫生健康局关于印发《眉县2021年基层卫生健康重点工作实施方案》的通知"
    assert doc.jurisdiction == "610326"  # the issuer's county, not 宝鸡市 named in a cited title


TITLED = """{head}
各镇卫生院，县直各医疗卫生单位：
现将《眉县2021年基层卫生健康重点工作实施方案》印发给你们，请结合实际，认真抓好落实，确保取得实效。
"""


@pytest.mark.parametrize(
    "head,title",
    [
        # the issuer on its own line above 关于…的通知
        (
            "眉县卫生健康局文件\n眉卫健发〔2021〕8号\n眉县卫生健康局\n关于印发《眉县2021年实施方案》的通知",
            "眉县卫生健康局关于印发《眉县2021年实施方案》的通知",
        ),
        # a 《》 broken across the lines
        (
            "关于印发《眉县2021年基层卫生健康\n重点工作实施方案》的通知",
            "关于印发《眉县2021年基层卫生健康重点工作实施方案》的通知",
        ),
        # not joined: a document number, a red head, or a title that does not open with 关于
        ("眉卫健发〔2021〕8号\n关于印发《实施方案》的通知", "关于印发《实施方案》的通知"),
        ("眉县卫生健康局文件\n关于印发《实施方案》的通知", "关于印发《实施方案》的通知"),
        ("眉县卫生健康局\n眉县2021年基层卫生健康重点工作实施方案", "眉县2021年基层卫生健康重点工作实施方案"),
    ],
)
def test_a_title_set_on_several_lines_is_joined(head, title):
    text = TITLED.format(head=head)
    got, span = find_title(text, find_body(text))
    assert got == title
    assert text[span.start : span.end].replace("\n", "") == title


def test_a_long_notice_title_is_still_the_title():
    """Real notices run to 240 characters (…关于印发《…》的通知): such a title was dropped at 80, and
    the document then had no dcterms:title."""
    from policykg.loaders.extract import extract_bytes

    title = (
        "安徽省推进“三地一区”建设领导小组改革开放新高地执行小组办公室关于印发安徽省关于加快对接区域全面经济伙伴关系协定"
        "（RCEP）经贸新规则扎实推进高水平开放实施意见的通知"
    )
    doc = extract_bytes(
        f"{title}\n（皖开放办〔2022〕6号）\n省有关单位：\n一、发展目标\n1.扩大出口。做好工作。\n2.扩大进口。\n".encode(),
        "notice.txt",
    )
    assert doc.title == title


def test_prose_broken_by_width_opens_the_body_and_a_title_tail_joins_its_line():
    """A PDF's text layer breaks lines by width: the covering notice (and its citations) is body,
    and a title whose 的通知 fell onto the next line is one title."""
    text = (
        "某局印发《关于推进数据专区建设的指导意见》\n的通知\n京经信发〔2022〕87号\n各区政府：\n"
        "为促进数据融合应用，充分释放数据要素价值，培育\n和带动数字经济发展，根据《数字经济发展规划》等文\n"
        "件，现印发给你们。\n一、总体要求\n（一）指导思想\n坚持创新。\n（二）总体定位\n服务全市。\n"
    )
    body = find_body(text)
    assert text[body.start :].startswith("为促进数据融合应用")
    title, span = find_title(text, body)
    assert title == "某局印发《关于推进数据专区建设的指导意见》的通知"
    assert text[span.start : span.end] == "某局印发《关于推进数据专区建设的指导意见》\n的通知"
    doc = extract_bytes(text.encode("utf-8"), "notice.txt")
    assert "数字经济发展规划" in doc.regulations
