"""Regenerate county-health-notice.pdf, a hand-written test document.

    .venv/bin/python tests/data/docs/make_pdf.py

Needs reportlab (pip install reportlab into the venv; it is not a project
dependency) and a TrueType CJK font: WenQuanYi Micro Hei (Debian/Ubuntu package
fonts-wqy-microhei). reportlab embeds a subset of the font with a ToUnicode map,
so a PDF text extractor gets the characters back.

The text below is the document (a made-up county 卫生健康局 notice with its work
plan attached); its annotation is ../gold/county-health-notice.gold.json. Sections
are 一、…四、; tasks are 1. 2. 3. restarting in each section. Lines are broken by
width, as a word processor would, so a paragraph comes back from the PDF as several
lines; every page ends with a page number "- N -".

The output is byte-stable: reportlab's invariant mode fixes the file id, and
SOURCE_DATE_EPOCH pins the creation date to the notice's date (2021-03-12 09:00 +08:00).
"""

from __future__ import annotations

import calendar
import os
import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

OUT = Path(__file__).with_name("county-health-notice.pdf")
FONT_FILES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]
FONT = "WenQuanYiMicroHei"

# (style, text). Styles: head (red-head line), num (document number), title, body,
# sig (right-aligned), h (section heading), gap (blank line), atitle (attachment title).
BLOCKS: list[tuple[str, str]] = [
    ("head", "眉县卫生健康局文件"),
    ("num", "眉卫健发〔2021〕8号"),
    ("title", "眉县卫生健康局"),
    ("title", "关于印发《眉县2021年基层卫生健康重点工作实施方案》的通知"),
    ("plain", "各镇卫生院（社区卫生服务中心），县直各医疗卫生单位："),
    ("body", "现将《眉县2021年基层卫生健康重点工作实施方案》印发给你们，请结合实际，认真抓好落实。"),
    ("sig", "眉县卫生健康局"),
    ("sig", "2021年3月12日"),
    ("gap", ""),
    ("plain", "附件"),
    ("atitle", "眉县2021年基层卫生健康重点工作实施方案"),
    (
        "body",
        "为贯彻落实全市卫生健康工作会议精神，根据《宝鸡市2021年卫生健康工作要点》（宝卫发〔2021〕15号），"
        "结合我县实际，制定本方案。",
    ),
    ("h", "一、筑牢公共卫生防线"),
    (
        "body",
        "1.抓好常态化疫情防控。严格落实“外防输入、内防反弹”要求，规范设置发热门诊和发热哨点诊室。"
        "有序推进新冠病毒疫苗接种，全年完成接种12万剂次以上。",
    ),
    (
        "body",
        "2.做实基本公共卫生服务。居民电子健康档案建档率保持在90%以上，65岁以上老年人健康管理率达到70%以上，"
        "高血压、2型糖尿病患者规范管理率均达到62%以上。",
    ),
    (
        "body",
        "3.加强重大疾病防控。肺结核患者成功治疗率达到90%以上，以镇为单位适龄儿童免疫规划疫苗接种率保持在95%以上，"
        "严重精神障碍患者规范管理率达到85%以上。围绕“世界防治结核病日”“全国儿童预防接种日”等主题日，"
        "全年开展集中宣传活动不少于十场。",
    ),
    ("h", "二、保障妇女儿童健康"),
    (
        "body",
        "1.全力保障母婴安全。认真贯彻《中华人民共和国母婴保健法》，严格落实妊娠风险筛查评估、高危孕产妇专案管理等"
        "五项制度。全县孕产妇死亡率控制在15/10万以下，婴儿死亡率控制在5‰以下，5岁以下儿童死亡率控制在7‰以下。",
    ),
    (
        "body",
        "2.推进出生缺陷综合防治。落实国家免费孕前优生健康检查项目，目标人群覆盖率达到80%以上。"
        "新生儿遗传代谢性疾病筛查率达到98%以上，新生儿听力筛查率达到95%以上。",
    ),
    (
        "body",
        "3.做好“两癌”免费筛查。继续实施农村妇女“两癌”免费检查项目，全年完成宫颈癌筛查3000人、乳腺癌筛查3000人，"
        "筛查任务完成率达到100%。",
    ),
    ("h", "三、提升基层医疗服务能力"),
    (
        "body",
        "1.深化紧密型县域医共体建设。以眉县人民医院、眉县中医医院为牵头单位，组建两个县域医疗健康总院，"
        "加强与陕西省人民医院、西安交通大学第一附属医院的远程会诊协作。县域内就诊率达到90%以上，"
        "基层医疗卫生机构诊疗量占比达到65%以上。",
    ),
    (
        "body",
        "2.提升镇村服务水平。深入开展“优质服务基层行”活动，新增2所镇卫生院达到国家推荐标准。"
        "家庭医生签约服务重点人群签约率达到65%以上，村卫生室标准化建设达标率达到100%。",
    ),
    ("body", "3.传承发展中医药。推进镇卫生院中医馆提档升级，能够提供6类以上中医药技术方法的村卫生室占比达到70%以上。"),
    ("h", "四、强化工作保障"),
    (
        "body",
        "1.加强组织领导。各单位主要负责同志为第一责任人，要于每季度末5日前将工作进展报县卫生健康局基层卫生股，"
        "县卫生健康局将于2021年12月底前组织年度考核。",
    ),
    (
        "body",
        "2.加强人才队伍建设。落实乡村医生“县聘镇管村用”制度，全年开展基层卫生人员培训1500人次以上，"
        "招录订单定向医学生8名。",
    ),
    ("gap", ""),
    ("foot", "眉县卫生健康局办公室　　　　　　　　　　2021年3月12日印发"),
]

PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 62.0, 62.0, 64.0, 78.0
WIDTH = PAGE_W - LEFT - RIGHT
STYLE = {  # size, leading, alignment, first-line indent in ems
    "head": (24, 40, "center", 0),
    "num": (12, 30, "center", 0),
    "title": (14, 24, "center", 0),
    "atitle": (14, 28, "center", 0),
    "plain": (12, 21, "left", 0),
    "body": (12, 21, "left", 2),
    "h": (12, 23, "left", 2),
    "sig": (12, 21, "right", 0),
    "gap": (12, 14, "left", 0),
    "foot": (10.5, 20, "left", 0),
}
# Characters that may not begin a line; they hang at the end of the previous one.
NO_LINE_START = set("，。、；：？！）》”’〕%‰")
# Characters that may not end a line; they move to the start of the next one.
NO_LINE_END = set("（《“‘〔")


def register_font() -> None:
    for path in FONT_FILES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
            return
    sys.exit("no CJK TrueType font found; apt-get install fonts-wqy-microhei")


def wrap(text: str, size: float, indent_em: int) -> list[str]:
    lines: list[str] = []
    line = ""
    avail = WIDTH - indent_em * size
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, FONT, size) > avail and line and ch not in NO_LINE_START:
            carry = ""
            while line and line[-1] in NO_LINE_END:
                carry = line[-1] + carry
                line = line[:-1]
            lines.append(line)
            line = carry
            avail = WIDTH
        line += ch
    if line:
        lines.append(line)
    return lines


class Writer:
    def __init__(self, path: Path):
        os.environ["SOURCE_DATE_EPOCH"] = str(calendar.timegm((2021, 3, 12, 1, 0, 0)))
        self.c = canvas.Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
        self.c.setTitle("眉县卫生健康局关于印发《眉县2021年基层卫生健康重点工作实施方案》的通知")
        self.c.setAuthor("眉县卫生健康局")
        self.c.setCreator("make_pdf.py")
        self.c.setProducer("ReportLab")
        self.c.setSubject("基层卫生健康重点工作实施方案")
        self.page = 1
        self.y = PAGE_H - TOP

    def finish_page(self) -> None:
        self.c.setFont(FONT, 12)
        self.c.drawCentredString(PAGE_W / 2, BOTTOM - 40, f"- {self.page} -")
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - TOP

    def block(self, style: str, text: str) -> None:
        size, leading, align, indent = STYLE[style]
        if style == "gap":
            self.y -= leading
            return
        for i, line in enumerate(wrap(text, size, indent)):
            if self.y - leading < BOTTOM:
                self.finish_page()
            self.y -= leading
            self.c.setFont(FONT, size)
            if style == "head":
                self.c.setFillColorRGB(0.8, 0, 0)
            else:
                self.c.setFillColorRGB(0, 0, 0)
            if align == "center":
                self.c.drawCentredString(PAGE_W / 2, self.y, line)
            elif align == "right":
                self.c.drawRightString(PAGE_W - RIGHT - 2 * size, self.y, line)
            else:
                x = LEFT + (indent * size if i == 0 else 0)
                self.c.drawString(x, self.y, line)
        if style == "head":  # the red rule under the red head
            self.c.setStrokeColorRGB(0.8, 0, 0)
            self.c.setLineWidth(1.5)
            self.c.line(LEFT, self.y - 44, PAGE_W - RIGHT, self.y - 44)

    def save(self) -> None:
        self.finish_page()
        self.c.save()


def main() -> None:
    register_font()
    w = Writer(OUT)
    for style, text in BLOCKS:
        w.block(style, text)
    w.save()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {w.page - 1} pages)")


if __name__ == "__main__":
    main()
