"""Regenerate prefecture-fiveyear-plan.docx, a hand-written test document.

    .venv/bin/python tests/data/docs/make_docx.py

The text below is the document (a made-up excerpt modelled on a prefecture-level
"十四五" ecological and environmental protection plan); its annotation is
../gold/prefecture-fiveyear-plan.gold.json. Chapters are Word "Heading 1"
paragraphs; tasks are ordinary paragraphs "（一）title。body" whose number and title
are a bold run, numbered continuously through the document.

The output is byte-stable: core properties carry fixed dates, and the package is
rewritten with a fixed timestamp on every zip member.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

OUT = Path(__file__).with_name("prefecture-fiveyear-plan.docx")

TITLE = "绵阳市“十四五”生态环境保护规划（摘要）"
DOC_NUMBER = "绵府发〔2022〕3号"
INTRO = (
    "为深入贯彻习近平生态文明思想，持续改善全市生态环境质量，根据《中华人民共和国环境保护法》"
    "《四川省“十四五”生态环境保护规划》和《绵阳市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》，"
    "制定本规划。规划范围为绵阳市行政区域，规划期为2021—2025年，展望到2035年。"
)

# (chapter heading, [paragraphs]); a paragraph is a plain string or (task head, body).
CHAPTERS: list[tuple[str, list]] = [
    (
        "第一章　发展基础与形势",
        [
            "“十三五”期间，全市生态环境质量持续改善。2020年，全市细颗粒物（PM2.5）年均浓度为32微克/立方米，"
            "优良天数比率为88.5%，国控、省控断面水质优良率为100%，县级及以上集中式饮用水水源地水质达标率为100%。"
            "同时也要看到，全市产业结构偏重、能源结构偏煤的状况尚未根本改变，江油市、安州区等地工业排放依然较大，"
            "涪江流域部分支流水质还不稳定，生态环境保护任重道远。",
        ],
    ),
    (
        "第二章　总体要求",
        [
            (
                "（一）指导思想。",
                "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的十九大和十九届历次全会精神，坚定不移走生态优先、"
                "绿色发展之路，以改善生态环境质量为核心，深入打好污染防治攻坚战，为加快建设中国科技城、"
                "建成川北省域经济副中心筑牢生态屏障。",
            ),
            (
                "（二）主要目标。",
                "到2025年，全市生态环境质量持续改善，主要污染物排放总量持续减少。细颗粒物（PM2.5）年均浓度控制在"
                "30微克/立方米以内，空气质量优良天数比率达到90%以上；国控、省控断面水质优良率保持100%；"
                "单位地区生产总值二氧化碳排放下降19.5%；化学需氧量、氨氮重点工程减排量分别达到1.2万吨、0.08万吨；"
                "森林覆盖率达到56%以上。展望2035年，生态环境根本好转，美丽绵阳基本建成。",
            ),
        ],
    ),
    (
        "第三章　深入打好蓝天保卫战",
        [
            (
                "（三）强化工业污染治理。",
                "推进江油市钢铁、水泥行业超低排放改造，2024年底前全面完成。实施挥发性有机物综合治理工程，"
                "重点行业挥发性有机物排放总量下降10%以上。深入开展“散乱污”企业整治专项行动，实行动态清零。",
            ),
            (
                "（四）加强移动源和面源污染防治。",
                "加快淘汰国三及以下排放标准营运柴油货车，全市淘汰1500辆以上。新增和更新的公交车中新能源汽车比例不低于80%，"
                "城市建成区道路机械化清扫率达到85%以上。全面禁止露天焚烧秸秆，秸秆综合利用率稳定在92%以上。",
            ),
            (
                "（五）加强区域联防联控。",
                "与德阳、广元、遂宁等周边市建立大气污染联防联控机制，统一预警分级标准，协同开展重污染天气应对。"
                "全市重污染天数比率控制在0.5%以内，臭氧浓度上升趋势得到有效遏制。",
            ),
        ],
    ),
    (
        "第四章　持续打好碧水保卫战",
        [
            (
                "（六）深化涪江流域综合治理。",
                "全面落实河长制，严格执行《中华人民共和国长江保护法》，落实长江十年禁渔。深入实施“美丽涪江”建设工程——"
                "安昌河、芙蓉溪综合整治项目，新建和改造城镇污水管网300公里，新建乡镇污水处理设施20至30座，"
                "县城生活污水处理率达到95%以上。",
            ),
            (
                "（七）保障饮用水安全。",
                "完成县级及以上集中式饮用水水源地规范化建设，县级及以上集中式饮用水水源地水质达标率保持100%，"
                "农村千人以上集中式饮用水水源保护区划定完成率达到100%。推动北川、平武2个县农村集中供水工程水质达标率"
                "达到90%以上。",
            ),
        ],
    ),
    (
        "第五章　扎实推进净土保卫战",
        [
            (
                "（八）加强土壤污染防治。",
                "实施农用地分类管理，受污染耕地安全利用率达到93%左右，重点建设用地安全利用率达到100%。"
                "在三台县、盐亭县开展农业面源污染治理与监督指导试点，化肥、农药使用量实现负增长。",
            ),
            (
                "（九）推进固体废物减量化资源化。",
                "积极创建“无废城市”，一般工业固体废物综合利用率达到60%以上，危险废物利用处置能力达到25万吨/年，"
                "城市生活垃圾回收利用率达到35%以上。",
            ),
        ],
    ),
    (
        "第六章　加强生态保护与修复",
        [
            (
                "（十）筑牢生态安全屏障。",
                "以北川羌族自治县、平武县为重点，推进大熊猫国家公园绵阳片区建设，实施天然林保护修复工程和退化林修复工程，"
                "完成营造林面积50万亩。新增两个国家生态文明建设示范县（市、区），生态保护红线面积不减少、功能不降低、"
                "性质不改变。",
            ),
        ],
    ),
    (
        "第七章　强化规划实施保障",
        [
            (
                "（十一）加大资金投入。",
                "“十四五”期间，全市生态环境保护领域计划总投资约180亿元，其中争取中央和省级资金不少于35亿元。"
                "建立多元化投入机制，鼓励社会资本参与生态环境治理。",
            ),
            (
                "（十二）强化考核评估。",
                "严格执行《四川省环境保护条例》和《党政领导干部生态环境损害责任追究办法（试行）》，将规划目标任务纳入"
                "各县（市、区）党政领导班子年度目标考核。市生态环境局会同市发展改革委于2023年开展规划实施中期评估，"
                "2025年开展总结评估；依托西南科技大学、中国工程物理研究院等单位建设生态环境科技支撑平台。",
            ),
        ],
    ),
]
SIGNATURE = ["绵阳市人民政府", "2022年1月18日"]
HEADER = "绵阳市“十四五”生态环境保护规划"

FIXED = dt.datetime(2022, 1, 18, 9, 0, 0)
ZIP_TIME = (2022, 1, 18, 9, 0, 0)


def set_east_asian_font(style, name: str) -> None:
    style.font.name = name
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), name)


def add_page_field(paragraph) -> None:
    """— PAGE — in the footer, as a simple field."""
    paragraph.add_run("— ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)
    paragraph.add_run(" —")


def build() -> bytes:
    doc = Document()
    set_east_asian_font(doc.styles["Normal"], "仿宋_GB2312")
    doc.styles["Normal"].font.size = Pt(16)
    set_east_asian_font(doc.styles["Heading 1"], "黑体")
    doc.styles["Heading 1"].font.size = Pt(16)

    section = doc.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_page_field(footer)

    title = doc.add_paragraph(TITLE, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number = doc.add_paragraph(DOC_NUMBER)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    intro = doc.add_paragraph(INTRO)
    intro.paragraph_format.first_line_indent = Pt(32)

    for heading, paras in CHAPTERS:
        doc.add_heading(heading, level=1)
        for para in paras:
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(32)
            if isinstance(para, tuple):
                head, body = para
                p.add_run(head).bold = True
                p.add_run(body)
            else:
                p.add_run(para)

    doc.add_paragraph()
    for line in SIGNATURE:
        doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT

    cp = doc.core_properties
    cp.title = TITLE
    cp.subject = "生态环境保护规划"
    cp.author = "绵阳市生态环境局"
    cp.last_modified_by = "绵阳市生态环境局"
    cp.keywords = "十四五；生态环境保护；规划"
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
