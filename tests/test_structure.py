"""Sections and tasks in the numberings Chinese policy documents use."""

from __future__ import annotations

import json
from pathlib import Path

from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.records import Span
from policykg.loaders.structure import find_structure

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "kunming-2017-education-workplan.txt"
GOLD = ROOT / "tests" / "data" / "gold" / "kunming-2017-education-workplan.gold.json"


def _structure(text: str, headings=()):
    return find_structure(text, Span(0, len(text)), headings)


def test_sample_sections_and_task_titles_match_the_annotation():
    doc = extract_path(SAMPLE)
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert [(s.ordinal, s.title) for s in doc.sections] == [(s["ordinal"], s["title"]) for s in gold["sections"]]
    assert [(t.ordinal, t.title) for t in doc.tasks] == [(t["ordinal"], t["title"]) for t in gold["tasks"]]
    in_section = {t: s["ordinal"] for s in gold["sections"] for t in s["tasks"]}
    assert {t.ordinal: t.section for t in doc.tasks} == in_section


def test_every_span_quotes_its_own_heading():
    doc = extract_path(SAMPLE)
    for t in doc.tasks:
        assert doc.quote(t.title_span) == t.title
        assert doc.quote(t.span).startswith(t.number)
    assert doc.quote(doc.tasks[-1].span).endswith("应急防范能力。")


def test_title_without_full_stop_ends_before_the_body():
    # A long first sentence is a title run into its body: it ends where the body begins. (A short
    # one, 32 characters at most, is a title of its own: see the next test.)
    text = (
        "一、总体安排\n1.加大开放办教育力度贯彻落实教育国际化发展的指导意见，加快推进与国外知名大学的合作办学和师生交流。\n"
        "2.加快普通国省道改造升级全年完成普通国省道改造1000公里并同步推进沿线服务设施和安全设施建设。\n"
    )
    _, tasks = _structure(text)
    assert [t.title for t in tasks] == ["加大开放办教育力度", "加快普通国省道改造升级"]


def test_a_short_first_sentence_is_the_title_whatever_word_it_opens_with():
    text = "一、总体安排\n1.始终坚持以筑牢国家生态安全屏障为底线要求。深入贯彻落实。\n2.加强组织领导。建立工作机制。\n"
    _, tasks = _structure(text)
    assert [t.title for t in tasks] == ["始终坚持以筑牢国家生态安全屏障为底线要求", "加强组织领导"]


def test_numbers_restarting_in_each_part_run_on_in_ordinal():
    text = (
        "第一部分　基础设施\n1.推进高速公路建设。完成投资。\n2.推进国省道建设。完成改造。\n"
        "第二部分　运输服务\n1.加快铁路建设。配合推进。\n2.提升水运水平。推进航道建设。\n"
    )
    sections, tasks = _structure(text)
    assert [(s.number, s.title) for s in sections] == [("第一部分", "基础设施"), ("第二部分", "运输服务")]
    assert [(t.ordinal, t.number, t.section) for t in tasks] == [(1, "1", 1), (2, "2", 1), (3, "1", 2), (4, "2", 2)]


def test_parenthesised_tasks_keep_their_printed_number():
    text = (
        "一、稳粮增效\n（一）稳定粮食生产。严守红线。\n（二）做优茶产业。拓展渠道。\n"
        "二、美丽乡村\n（三）治理污染。推进治理。\n（四）发展旅游。培育业态。\n"
    )
    sections, tasks = _structure(text)
    assert len(sections) == 2
    assert [(t.number, t.title, t.section) for t in tasks] == [
        ("（一）", "稳定粮食生产", 1),
        ("（二）", "做优茶产业", 1),
        ("（三）", "治理污染", 2),
        ("（四）", "发展旅游", 2),
    ]


def test_arabic_with_comma_and_paren_arabic_numberings():
    sections, tasks = _structure("1、建设学校。新建两所。\n2、培训教师。培训千人。\n")
    assert not sections and [t.title for t in tasks] == ["建设学校", "培训教师"]
    _, tasks = _structure("（1）建设学校。新建两所。\n（2）培训教师。培训千人。\n")
    assert [t.number for t in tasks] == ["（1）", "（2）"]


def test_a_year_or_a_decimal_is_not_a_task_number():
    _, tasks = _structure("1.建设学校。新建两所。\n2017.3 起施行。\n2.培训教师。培训千人。\n3.5 万人参加。\n")
    assert [t.number for t in tasks] == ["1", "2"]


def test_bold_lines_from_the_page_become_sections():
    text = (
        "深化医药卫生体制改革\n1.推进分级诊疗。签约率不低于65%。\n"
        "提升公共卫生服务水平\n2.做好疾病防控。治疗率达到90%。\n"
    )
    sections, tasks = _structure(text, headings=["深化医药卫生体制改革", "提升公共卫生服务水平"])
    assert [s.title for s in sections] == ["深化医药卫生体制改革", "提升公共卫生服务水平"]
    assert [(t.title, t.section) for t in tasks] == [("推进分级诊疗", 1), ("做好疾病防控", 2)]


def test_a_document_without_numbering_yields_its_paragraphs():
    doc = extract_bytes(
        "关于做好防汛工作的通知\n各地要切实做好防汛准备工作，落实责任。\n加强值班值守，及时报送信息。\n".encode(),
        "n.txt",
    )
    assert not doc.sections
    assert len(doc.tasks) >= 2
    assert all(doc.quote(t.span) for t in doc.tasks)


def test_a_signature_after_the_last_task_closes_the_document_not_the_task():
    body = "一、总体\n1.加强建设。患者满意度保持在90%以上。\n二、保障\n2.强化保障。做好工作。\n"
    for signature in (
        "扬州市卫生健康委员会\n2019年2月25日\n",
        "扬州市卫生健康委员会　2019年2月25日\n",
        "中共安吉县委　安吉县人民政府\n二〇一九年三月十五日\n",
        "2019年2月25日\n（此件公开发布）\n",
    ):
        text = body + signature
        sections, tasks = _structure(text)
        assert text[tasks[-1].span.start : tasks[-1].span.end] == "2.强化保障。做好工作。", signature
        assert text[sections[-1].span.start : sections[-1].span.end].endswith("做好工作。")
    # A last line that is a sentence naming a body, or a short phrase, stays in the task.
    for last in ("由市卫生健康委员会负责。", "市卫生健康委员会牵头负责", "全年完成"):
        text = body + last + "\n"
        _, tasks = _structure(text)
        assert text[tasks[-1].span.start : tasks[-1].span.end].endswith(last), last


def test_a_signature_is_not_a_paragraph_of_an_unnumbered_document():
    doc = extract_bytes(
        "关于做好防汛工作的通知\n各地要切实做好防汛准备工作，落实责任，确保安全度汛，及时报送各类信息。\n"
        "加强值班值守，及时报送信息。\n某某市应急管理局\n2020年6月1日\n".encode(),
        "n.txt",
    )
    assert [doc.quote(t.span) for t in doc.tasks][-1] == "加强值班值守，及时报送信息。"


def test_a_task_that_is_one_sentence_is_titled_by_all_of_it_commas_included():
    """annotation-format.md: a title that runs into its body ends at the first full stop."""
    from policykg.loaders.extract import extract_bytes

    doc = extract_bytes(
        "办法\n一、考评方式\n（一）考评以日常监测等方式进行。每半年考评一次。\n"
        "（二）以各单位报送分值为基础，参考核实情况，形成最终分值。\n二、结果\n（一）通报结果。\n".encode(),
        "a.txt",
    )
    assert [t.title for t in doc.tasks] == [
        "考评以日常监测等方式进行",
        "以各单位报送分值为基础，参考核实情况，形成最终分值",
        "通报结果",
    ]


def test_sections_restart_in_an_attachment_and_each_sections_tasks_are_its_highest_level():
    from policykg.loaders.extract import extract_bytes

    text = (
        "实施意见\n一、发展目标\n到2025年取得成效。\n二、重点任务\n（一）大力发展货物贸易\n1.扩大出口。做好工作。\n"
        "2.扩大进口。做好工作。\n（二）推进服务贸易\n3.深化合作。做好工作。\n三、保障措施\n4.加强领导。做好工作。\n"
        "5.加强培训。做好工作。\n附件\n考评指标\n一、政务服务（25分）\n（一）平台建设（3分）\n1.完善平台。\n"
        "二、政府治理（25分）\n（一）城市大脑（5分）\n"
    )
    doc = extract_bytes(text.encode("utf-8"), "a.txt")
    assert [(s.ordinal, s.title) for s in doc.sections] == [
        (1, "发展目标"),
        (2, "重点任务"),
        (3, "保障措施"),
        (4, "政务服务（25分）"),
        (5, "政府治理（25分）"),
    ]
    assert [(t.section, t.number, t.title) for t in doc.tasks] == [
        (2, "（一）", "大力发展货物贸易"),
        (2, "（二）", "推进服务贸易"),
        (3, "4", "加强领导"),
        (3, "5", "加强培训"),
        (4, "（一）", "平台建设（3分）"),
        (5, "（一）", "城市大脑（5分）"),
    ]


def test_a_government_work_report_numbers_its_priorities_yishi_ershi():
    from policykg.loaders.extract import extract_bytes

    text = (
        "政府工作报告\n一、2025年工作回顾\n一是坚定不移保稳定促和谐。全年社会大局稳定。\n二是全力以赴扩内需稳增长。投资增长。\n"
        "二、2026年重点工作\n（一）立足边境建设，扎实推进固边兴边富民行动\n做好边境工作。\n（二）立足扩大内需，全力推动经济发展\n扩大消费。\n"
    )
    doc = extract_bytes(text.encode("utf-8"), "report.txt")
    assert [s.title for s in doc.sections] == ["2025年工作回顾", "2026年重点工作"]  # 一、2025年… is a heading
    assert [(t.section, t.number, t.title) for t in doc.tasks] == [
        (1, "一是", "坚定不移保稳定促和谐"),
        (1, "二是", "全力以赴扩内需稳增长"),
        (2, "（一）", "立足边境建设，扎实推进固边兴边富民行动"),
        (2, "（二）", "立足扩大内需，全力推动经济发展"),
    ]


def test_numbered_items_below_a_task_are_its_items():
    from policykg.loaders.extract import extract_bytes

    text = (
        "某市实施方案\n一、重点任务\n（一）扩大供给\n1.有序扩大家庭医生来源。增加医生。\n2.优化团队。组建团队。\n"
        "（二）拓展内涵\n3.提升服务能力。培育科室。\n4.保障合理用药。配备药品。\n5.丰富服务内容。\n"
        "（三）加强宣传\n宣传引导。\n二、保障措施\n（一）加强领导\n落实责任。\n（二）强化监管\n严格考核。\n"
    )
    doc = extract_bytes(text.encode("utf-8"), "plan.txt")
    assert [t.title for t in doc.tasks][:3] == ["扩大供给", "拓展内涵", "加强宣传"]
    first, second, third = doc.tasks[:3]
    assert [(i.ordinal, i.number, i.title) for i in first.items] == [
        (1, "1", "有序扩大家庭医生来源"),
        (2, "2", "优化团队"),
    ]
    # numbers that run on from the task before still make items
    assert [i.number for i in second.items] == ["3", "4", "5"]
    assert third.items == []
    assert doc.text[first.items[0].span.start : first.items[0].span.end] == "1.有序扩大家庭医生来源。增加医生。"


def test_a_body_a_crawler_ran_into_one_line_keeps_its_structure():
    """Some crawls store a page's whole body as one line: the numbered headings still split it,
    after a sentence stop or where they continue their count, with every offset kept."""
    text = SAMPLE.read_text(encoding="utf-8")
    start = text.index("一、")
    flat = text[:start] + text[start:].replace("\n", "")
    original, run_on = extract_path(SAMPLE), extract_bytes(flat.encode("utf-8"), "flat.txt")
    assert [s.title for s in run_on.sections] == [s.title for s in original.sections]
    assert [t.title for t in run_on.tasks] == [t.title for t in original.tasks]
    assert len(run_on.targets) == len(original.targets) and set(run_on.programs) == set(original.programs)
    for t in run_on.tasks:
        assert flat[t.title_span.start : t.title_span.end] == t.title
