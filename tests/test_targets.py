import json
from decimal import Decimal
from pathlib import Path

import pytest

from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.records import Comparator as C
from policykg.loaders.targets import find_quantities

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "kunming-2017-education-workplan.txt"
GOLD = ROOT / "tests" / "data" / "gold" / "kunming-2017-education-workplan.gold.json"
CMP = {">=": C.AT_LEAST, "<=": C.AT_MOST, "=": C.EXACTLY, "~": C.APPROXIMATELY, "between": C.BETWEEN,
       "+=": C.INCREASE_BY, "-=": C.DECREASE_BY}


def _key(t):
    v = t.value if t.min_value is None else (t.min_value, t.max_value)
    return (t.part.ordinal, v, t.unit)


def test_sample_targets_match_gold():
    doc = extract_path(SAMPLE)
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["targets"]
    got = {_key(t): t for t in doc.targets if t.value is not None or t.min_value is not None}
    required = [g for g in gold if g.get("value") is not None and not g.get("optional")]
    optional = {(g["task"], Decimal(str(g["value"])), g["unit"]) for g in gold
                if g.get("value") is not None and g.get("optional")}
    for g in required:
        key = (g["task"], Decimal(str(g["value"])), g["unit"])
        assert key in got, g
        assert got[key].comparator is CMP[g["comparator"]], g
    assert set(got) <= {(g["task"], Decimal(str(g["value"])), g["unit"]) for g in required} | optional


def test_sample_details():
    doc = extract_path(SAMPLE)
    by_ind = {t.indicator: t for t in doc.targets}
    t = by_ind["学前三年毛入园率"]
    assert doc.quote(t.span) == "学前三年毛入园率保持在99%以上"
    assert t.part.kind == "task" and t.part.ordinal == 12
    scoped = [t for t in doc.targets if t.divisions]
    assert [set(t.divisions) for t in scoped if t.value is not None] == [
        {"530114", "530125", "530127", "530128", "530129", "530113"}]
    blanks = [t for t in doc.targets if t.value_missing]
    assert len(blanks) == 2 and all(t.unit == "所" and t.value is None for t in blanks)
    assert by_ind["普通高中招生"].value == Decimal(37000)
    assert by_ind["每年选送名校长到国内外研修"].period == "year"
    deadline = [t for t in doc.targets if t.value is None and t.deadline]
    assert deadline and str(deadline[0].deadline) == "2017-12-31"


DOC = """某某市人民政府关于印发发展规划的通知
一、主要目标
1.学前教育。到2020年，学前三年毛入园率达到百分之九十，新建幼儿园五所，新创建省级示范性普通高中3至5所。
2.义务教育。义务教育巩固率比2015年提高2个百分点，辍学率控制在3‰以内，约1200名教师参加培训。
3.卫生健康。孕产妇死亡率下降到10/10万以下，投入资金2.3亿元，生师比保持在1:3，举办第28届运动会，落实《3-6岁儿童学习与发展指南》，“一村一幼”全覆盖。
4.其他。继续实施改善办学条件、教育信息化两个工程，教会学生一两种乐器，有序推进招生、考试等六项改革，九江港集装箱吞吐量突破50万标箱。
"""


@pytest.fixture(scope="module")
def doc():
    return extract_bytes(DOC.encode(), "plan.txt")


def _find(doc, indicator):
    return next(t for t in doc.targets if t.indicator == indicator)


@pytest.mark.parametrize("indicator,value,unit,comparator", [
    ("学前三年毛入园率", 90, "%", C.AT_LEAST),            # 百分之九十
    ("新建幼儿园", 5, "所", C.EXACTLY),                    # Chinese numeral next to a goal verb
    ("义务教育巩固率", 2, "个百分点", C.INCREASE_BY),
    ("辍学率", 3, "‰", C.AT_MOST),
    ("教师参加培训", 1200, "人", C.APPROXIMATELY),          # 约, 名 -> 人
    ("孕产妇死亡率", 10, "/10万", C.AT_MOST),
    ("投入资金", 230000000, "元", C.EXACTLY),              # 亿 multiplied out
    ("九江港集装箱吞吐量", 500000, "标箱", C.AT_LEAST),     # the text's own measure word
])
def test_forms(doc, indicator, value, unit, comparator):
    t = _find(doc, indicator)
    assert (t.value, t.unit, t.comparator) == (Decimal(value), unit, comparator)


def test_range_and_deadline(doc):
    t = _find(doc, "新创建省级示范性普通高中")
    assert (t.min_value, t.max_value, t.comparator, t.value) == (3, 5, C.BETWEEN, None)
    assert str(t.deadline) == "2020-12-31"


def test_non_goals_are_left_out(doc):
    task3 = [t for t in doc.targets if t.part.ordinal == 3]
    task4 = [t for t in doc.targets if t.part.ordinal == 4]
    assert {t.indicator for t in task3} == {"孕产妇死亡率", "投入资金"}  # not 1:3, 第28届, 3-6岁, 一村一幼
    assert [t.unit for t in task4] == ["标箱"]  # not 两个工程, 一两种, 等六项


def test_find_quantities_skips_document_numbers():
    text = "昆政发〔2018〕5号，第20届，新增学校3所。"
    qs = find_quantities(text)
    assert [(q.value, q.unit) for q in qs] == [(Decimal(3), "所")]
