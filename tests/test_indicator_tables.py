"""Indicator tables of five-year plans, flattened one cell a line, read as targets."""

from __future__ import annotations

from decimal import Decimal

from policykg.loaders.extract import extract_bytes

PLAN = """某省城市内涝治理“十四五”规划
一、现状与评价
（一）发展基础
截止2020年底，全省累计建成排水管网6.2万公里，其中雨水管网2.6万公里。
（二）存在问题
部分城市排水能力不足。
二、总体要求
（一）指导思想
坚持人民至上。
（二）主要目标
到2025年，城市排水防涝能力显著提升。
表3  “十四五”主要指标

序号

类别

主要指标

2020年现状

2025年目标

指标属性

1

综合

治理

城市内涝防治达标率（%）

——

95

约束性

2

城市防洪达标率（%）

80

95

约束性

3

智慧

监测

市政排水管网智能化监测率（%）

——

重点城市≥30

一般城市≥15

预期性

注：1. 内涝防治达标率=达标面积/建成区面积。
三、主要任务
表4  排水设施建设任务

序号

主要指标

单位

计划任务

其中：2021年任务

指标属性

1

建设雨水管网

公里

2000

628

约束性

2

污水处理能力

万吨/日

6

1

预期性

（一）全面整治易涝区域
加快整治。
（二）大力治理河道
治理河道。
"""


def _targets():
    doc = extract_bytes(PLAN.encode("utf-8"), "plan.txt")
    return [
        (
            t.part.ordinal,
            t.indicator,
            t.value,
            t.unit,
            t.comparator.value if t.comparator else None,
            t.baseline,
            t.bindingness,
            t.deadline.isoformat() if t.deadline else None,
        )
        for t in doc.targets
    ]


def test_a_flattened_indicator_table_gives_goals_with_baselines_and_bindingness():
    got = _targets()
    assert (4, "城市内涝防治达标率", 95, "%", "Exactly", None, "Binding", "2025-12-31") in got
    assert (4, "城市防洪达标率", 95, "%", "Exactly", 80, "Binding", "2025-12-31") in got
    assert (4, "市政排水管网智能化监测率（重点城市）", 30, "%", "AtLeast", None, "Anticipatory", "2025-12-31") in got
    assert (4, "市政排水管网智能化监测率（一般城市）", 15, "%", "AtLeast", None, "Anticipatory", "2025-12-31") in got


def test_a_table_with_a_unit_column_and_a_part_year_column_takes_the_plan_total():
    got = _targets()
    # under 三、 before its first task: the section's first task (ordinal 5)
    assert (5, "建设雨水管网", 2000, "公里", "Exactly", None, "Binding", None) in got
    assert (5, "污水处理能力", Decimal(60000), "吨/日", "Exactly", None, "Anticipatory", None) in got
    assert not any(v in (628, 10000) for _, _, v, *_ in got)  # 其中：2021年任务 is a part, not the goal


def test_the_review_section_and_the_table_notes_state_no_goal():
    got = _targets()
    assert not any(part in (1, 2) for part, *_ in got)  # 现状与评价: achievements
    assert len(got) == 6


def test_a_bare_year_column_before_the_target_column_is_the_baseline():
    text = (
        "某市规划\n一、目标\n（一）主要指标\n表1  主要指标\n序号\n指标\n2020年\n2025年目标\n属性\n1\n"
        "森林覆盖率（%）\n60\n62\n约束性\n（二）其他\n做好工作。\n"
    )
    doc = extract_bytes(text.encode("utf-8"), "plan.txt")
    assert [(t.indicator, t.value, t.baseline) for t in doc.targets] == [("森林覆盖率", 62, 60)]
