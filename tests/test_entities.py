"""Programs, regulations and organizations: what is a name, what is a slogan, and where each occurs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.records import EntityKind

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "kunming-2017-education-workplan.txt"
GOLD = ROOT / "tests" / "data" / "gold" / "kunming-2017-education-workplan.gold.json"
SUFFIX = re.compile(r"(行动计划|计划|工程|项目|行动|活动|制度)$")


def _norm(name: str) -> str:
    return SUFFIX.sub("", re.sub(r"[“”\"《》\s]", "", name))


@pytest.fixture(scope="module")
def sample():
    return extract_path(SAMPLE)


@pytest.fixture(scope="module")
def gold():
    return json.loads(GOLD.read_text(encoding="utf-8"))


def _doc(body: str):
    return extract_bytes(body.encode("utf-8"), "t.txt")


def test_every_required_program_of_the_sample_is_found(sample, gold):
    found = {_norm(n) for n in sample.programs}
    for p in gold["programs"]:
        if not p.get("optional"):
            assert _norm(p["name"]) in found or any(_norm(a) in found for a in p.get("aliases", [])), p["name"]


def test_no_program_outside_the_annotation(sample, gold):
    allowed = {_norm(n) for p in gold["programs"] for n in [p["name"], *p.get("aliases", [])]}
    assert {n for n in sample.programs if _norm(n) not in allowed} == set()


def test_slogans_in_quotes_are_not_programs(sample):
    for slogan in ("双驱动", "提高质量", "双推进", "小学化", "两为主", "三个增长", "四风"):
        assert not any(_norm(n) == slogan for n in sample.programs), slogan


def test_program_names_carry_no_quote_marks_and_keep_spellings(sample):
    assert all("“" not in n and "”" not in n for n in sample.programs)
    assert "“阳光亮眼”计划" in sample.programs["阳光亮眼计划"].alt_labels


def test_program_mentions_sit_in_the_task_that_names_them(sample, gold):
    found = {
        (m.part.ordinal, _norm(m.key))
        for m in sample.mentions
        if m.kind is EntityKind.PROGRAM and m.part.kind == "task"
    }
    for p in gold["programs"]:
        if not p.get("optional"):
            for t in p["tasks"]:
                assert (t, _norm(p["name"])) in found, (t, p["name"])
    for m in sample.mentions:
        assert sample.quote(m.span) == m.surface


def test_umbrella_and_dash_hierarchies(sample):
    parts = {n: p.part_of for n, p in sample.programs.items() if p.part_of}
    assert parts == {
        "名校建设工程": "三名工程",
        "名师培养工程": "三名工程",
        "名长建设工程": "三名工程",
        "全面改薄——中小学教育信息化建设项目": "全面改薄计划",
    }
    # 三名工程 is named in section 2's title, not inside any task.
    where = {(m.part.kind, m.part.ordinal) for m in sample.mentions if m.key == "三名工程"}
    assert ("section", 2) in where and not any(k == "task" for k, _ in where)


def test_umbrella_needs_matching_parts():
    doc = _doc(
        "一、实施“两基工程”\n1.实施名校建设工程。建设学校。\n2.实施名师培养工程。培养教师。\n"
        "二、其他\n3.推进教育信息化。建设网络。\n4.加强安全。排查隐患。\n"
    )
    assert all(p.part_of is None for p in doc.programs.values())


def test_unquoted_names_need_a_launching_verb_and_a_clean_end():
    doc = _doc(
        "1.学校建设。继续实施校舍安全工程，加快校舍改造工程建设进度，增设贫困地区定向招生计划。"
        "深入开展校风、教风、学风建设治理行动。进一步健全新闻发布制度。\n"
        "2.教师培养。深入实施“国培计划”和教师素质提升计划等培训。\n"
    )
    assert set(doc.programs) == {"校舍安全工程", "国培计划", "教师素质提升计划"}


def test_quoted_list_before_a_class_noun_is_one_program_but_a_list_of_priorities_is_not():
    doc = _doc(
        "1.乡村建设。持续深化“千村示范、万村整治”工程。突出“老城提品质、新区扩优质”两项重点。\n2.另一项。开展工作。\n"
    )
    assert set(doc.programs) == {"千村示范、万村整治工程"}


def test_regulations_in_book_marks_and_unmarked_statutes(sample):
    assert {"中小学德育工作指南", "幼儿园工作规程", "3-6岁儿童学习与发展指南", "宪法"} <= sample.regulations
    assert "民办教育促进条例" in sample.regulations  # unmarked, but 条例 is always a title
    assert "教育发展规划纲要" not in sample.regulations  # unmarked and generic: a description
    assert "校园安全管理若干规定" not in sample.regulations


def test_a_notice_does_not_cite_the_document_it_issues():
    doc = _doc(
        "江西省交通运输厅关于印发《2018年全省交通运输工作要点》的通知\n"
        "现将《2018年全省交通运输工作要点》印发给你们，请认真贯彻落实，并遵照《江西省公路路政管理条例》执行。\n"
    )
    assert doc.regulations == {"江西省公路路政管理条例"}


def test_organizations(sample):
    assert {"清华附中", "西南联大研究院附属学校", "昆明市教育发展基金会", "省教育厅"} <= sample.organizations


def test_a_university_is_named_and_students_or_places_are_not():
    doc = _doc("1.扩大学位供给。新增学位1万个，支持云南大学、昆明理工大学发展，促进大学生就业，建设大学城。\n")
    assert doc.organizations == {"云南大学", "昆明理工大学"}  # not 扩大学 (扩大学位), nor 大学生, 大学城


def test_publisher_is_inferred_from_the_body_with_evidence(sample):
    assert sample.publisher.name == "昆明市教育局"
    assert sample.publisher.inferred
    assert sample.quote(sample.publisher.evidence) == "昆明市"
    assert sample.jurisdiction == "530100"


def test_publisher_from_a_signature_is_stated_not_inferred():
    doc = _doc(
        "江西省交通运输厅关于印发工作要点的通知\n各设区市交通运输局：\n"
        "现将工作要点印发给你们，请结合实际，认真抓好贯彻落实，全省交通运输工作要加快推进。\n"
        "江西省交通运输厅\n2018年2月12日\n"
    )
    assert doc.publisher.name == "江西省交通运输厅" and not doc.publisher.inferred
    assert str(doc.issued) == "2018-02-12"


def _programs_in(body: str):
    return set(_doc("1.第一项。" + body + "\n2.第二项。做好工作。\n").programs)


def test_dash_part_after_a_launching_verb_makes_both_programs():
    doc = _doc(
        "1.发展乡村旅游。深入推进乡村旅游提质工程——“洋家乐”集聚区建设项目，打造民宿集聚区。\n2.其他。做好工作。\n"
    )
    whole = "乡村旅游提质工程——洋家乐集聚区建设项目"
    assert set(doc.programs) == {"乡村旅游提质工程", whole}
    assert doc.programs[whole].part_of == "乡村旅游提质工程"
    assert {(m.key, m.part.ordinal) for m in doc.mentions if m.kind is EntityKind.PROGRAM} == {
        ("乡村旅游提质工程", 1),
        (whole, 1),
    }
    # A dash that does not lead to a named part adds nothing.
    assert _programs_in("推进乡村旅游——民宿经济加快发展。") == set()


def test_dash_part_may_list_its_objects_and_the_whole_may_be_quoted():
    doc = _doc(
        "1.治水。深入实施“美丽涪江”建设工程——安昌河、芙蓉溪综合整治项目，新建管网300公里。\n2.其他。做好工作。\n"
    )
    whole = "美丽涪江建设工程——安昌河、芙蓉溪综合整治项目"
    assert doc.programs[whole].part_of == "美丽涪江建设工程"
    assert {m.surface for m in doc.mentions if m.key == "美丽涪江建设工程"} == {"“美丽涪江”建设工程"}
    # A list before the dash is still not a name.
    assert _programs_in("实施安昌河、芙蓉溪整治——水环境治理项目。") == set()


def test_a_stem_of_generic_activity_words_is_a_kind_not_a_name():
    assert _programs_in("全年开展集中宣传活动不少于十场，组织专题培训活动。") == set()
    assert _programs_in("深入开展宣传教育活动。") == set()
    # One word of its own makes it a name.
    assert _programs_in("深入开展健康素养促进行动。") == {"健康素养促进行动"}


def test_a_quantity_or_comparator_after_the_class_noun_ends_the_name():
    assert _programs_in("实施公路安全生命防护工程5000公里。") == {"公路安全生命防护工程"}
    # Still needs a launching verb: a measure of work done is not a named programme.
    assert _programs_in("完成农村公路提升工程6000公里，新开工高速公路项目5个。") == set()


def test_a_quoted_name_with_its_class_noun_inside_a_longer_activity():
    assert _programs_in("全年开展“三减三健”专项行动宣传活动不少于200场。") == {"三减三健行动"}
    # A modifier that is not generic belongs to the name: no cut at the first class noun.
    assert _programs_in("做好“三区”人才支持计划教师专项计划。") == {"三区人才支持计划教师专项计划"}


def test_a_quoted_campaign_built_after_a_launching_verb():
    doc = _doc("1.推进“四好农村路”建设。支持3个市创建全国“四好农村路”示范市。\n2.其他。做好工作。\n")
    assert set(doc.programs) == {"四好农村路"}
    assert sum(m.key == "四好农村路" for m in doc.mentions) == 2
    # Not: a reform, a count, a list of slogans, a period, or 建设 without a launching verb.
    for text in (
        "推进“放管服”改革。",
        "推进“两个中心”建设。",
        "推进“城乡一体、共建共享”建设。",
        "推进“十三五”建设。",
        "为建设“强富美高”新扬州提供保障。",
        "加快“名校长培养基地”建设进度。",
    ):
        assert _programs_in(text) == set(), text


def test_a_national_programme_is_named_by_its_state_prefix():
    assert _programs_in("做实国家基本公共卫生服务项目。") == {"国家基本公共卫生服务项目"}
    # A rank, a funding line, a description or a plain count is not a programme.
    for text in (
        "申报国家级示范项目。",
        "争取国家专项资金项目，做好储备。",
        "落实国家和省扶持项目。",
        "承担国家两个重点项目。",
        "按照国家要求做好工作。",
    ):
        assert _programs_in(text) == set(), text


# -- rules added for documents never seen (issue 11) ----------------------------------------------


def test_a_quoted_numbered_set_built_or_carried_out_is_a_programme():
    assert _programs_in("加快推进与东盟重点国家“两国双园”建设，探索飞地模式。") == {"两国双园"}
    assert _programs_in("加快文旅“一云一池三平台”建设。") == {"一云一池三平台"}


def test_a_quoted_name_right_after_a_launching_verb_and_a_straight_closing_quote():
    # A scrape closed the curly quote with a straight one.
    assert _programs_in('深入开展“信易贷"，创新守信激励应用场景。') == {"信易贷"}
    assert _programs_in("持续开展“四城通办”。") == {"四城通办"}
    # Not a service style, a slogan or a reform after the quote.
    for text in ("提供“一站式”服务。", "推进“放管服”改革。"):
        assert _programs_in(text) == set(), text


def test_a_programme_carried_out_with_zuoshi_or_luoshi():
    assert "基层医生全科能力提升工程" in _programs_in("做实做细基层医生全科能力提升工程2023年培训计划。")


def test_registered_programmes_in_any_spelling_are_one_programme_with_one_iri():
    from policykg.graph.iris import IriScheme

    doc = _doc("1.实施全面改善贫困地区义务教育薄弱学校基本办学条件工作。\n2.巩固全面改薄成果，落实两免一补政策。\n")
    registered = {name: rec.registry_id for name, rec in doc.programs.items()}
    assert (
        set(registered.values()) == {"quanmian-gaibao", "liangmian-yibu"} or "quanmian-gaibao" in registered.values()
    ), registered
    gaibao = [n for n, rid in registered.items() if rid == "quanmian-gaibao"]
    assert len(gaibao) == 1  # both spellings are one programme
    assert IriScheme().program(gaibao[0], "quanmian-gaibao").endswith("/program/quanmian-gaibao")


def test_registry_topics_reforms_and_standing_systems_are_not_programmes_bare():
    # A topic, a strategy word, a reform and a way of organising care, written as plain words.
    assert (
        _programs_in("推进校园足球发展，落实精准扶贫要求，深化放管服改革，发展医养结合，推进县域医共体建设。") == set()
    )


def test_a_task_builds_on_a_programme_only_where_a_cue_word_says_so():
    doc = _doc(
        "1.做实服务。各区要以“优质服务基层行”活动、社区医院建设为抓手，提升能力。\n"
        "2.宣传推广。结合“世界家庭医生日”宣传活动，开展遴选。\n"
        "3.保障运行。为“优质服务基层行”活动提供保障。\n"
    )
    deps = {t.ordinal: t.depends_on for t in doc.tasks}
    assert deps[1] == {"优质服务基层行活动"}
    assert deps[2] == {"世界家庭医生日活动"}  # “…”宣传活动: the generic modifier is dropped
    assert deps[3] == set()  # a purpose, not a basis


def test_programmes_that_open_the_numbered_items_under_an_umbrella_are_its_parts():
    doc = _doc(
        "一、主要任务\n（一）推进实施“光伏+”示范工程\n积极推进。\n1.“光伏+地铁”工程。利用车站资源。\n"
        "2.“光伏+铁路”工程。利用站房资源。\n（二）其他工作\n做好工作。\n二、保障\n（一）加强领导\n做好工作。\n"
    )
    assert doc.programs["光伏+地铁工程"].part_of == "光伏+示范工程"
    assert doc.programs["光伏+铁路工程"].part_of == "光伏+示范工程"


def test_programmes_listed_after_an_umbrella_are_its_parts():
    doc = _doc("1.实施人才强市工程：青年英才计划、名师培养计划和工匠培育计划。\n2.其他工作。\n")
    assert {n: r.part_of for n, r in doc.programs.items() if r.part_of} == {
        "青年英才计划": "人才强市工程",
        "名师培养计划": "人才强市工程",
        "工匠培育计划": "人才强市工程",
    }


def test_a_title_in_book_marks_is_a_regulation_only_as_a_law_plan_or_policy():
    doc = _doc(
        "1.落实《城镇内涝防治规划编制大纲》和《浙江省城市易涝区域整治三年行动方案（2020-2022）》。"
        "推出《生命册》《装台》等精品剧目。\n2.其他工作。\n"
    )
    assert doc.regulations == {"城镇内涝防治规划编制大纲", "浙江省城市易涝区域整治三年行动方案（2020-2022）"}


def test_names_with_characters_that_only_look_like_conjunctions():
    """本 of 本科, 等 of 高等, 及 of 普及 are part of a name, not the start or a list."""
    doc = _doc("实施本科高校提质扩容工程，深入实施高等教育学科专业设置调整优化三年行动，开展健康知识普及行动。")
    assert {"本科高校提质扩容工程", "高等教育学科专业设置调整优化三年行动", "健康知识普及行动"} <= set(doc.programs)


def test_descriptions_and_generic_activities_are_not_programs():
    doc = _doc("实施向中度以上失能老年人发放养老服务消费补贴项目，组织群众健身活动，落实落细城乡医疗救助工程。")
    assert set(doc.programs) == {"城乡医疗救助工程"}


def test_a_registered_name_written_in_two_parts_and_a_quoted_set_of_works():
    doc = _doc(
        "完成“三北”工程造林种草66.2万亩，扎实实施高质量发展“十项行动”。专精特新“小巨人”达到40家，推进高校“双一流”建设。"
    )
    assert any(p.registry_id == "sanbei-fanghulin" for p in doc.programs.values())
    assert "十项行动" in doc.programs
    assert not any(p.registry_id == "zhuanjingtexin-xiaojuren" or "小巨人" in n for n, p in doc.programs.items())
    assert "双一流" in doc.programs


def test_after_a_cue_of_dependence_only_a_plan_of_action_is_a_programme():
    doc = extract_bytes(
        "某市2023年工作要点\n一、重点任务\n1.推进改建。结合公交品质提升三年行动计划，加快光伏应用。"
        "结合设施翻新维修工程，推进改造。\n2.其他。无。\n".encode(),
        "p.txt",
    )
    assert set(doc.programs) == {"公交品质提升三年行动计划"}
    assert doc.tasks[0].depends_on == {"公交品质提升三年行动计划"}


def test_a_works_named_as_the_subject_of_its_construction():
    doc = _doc("重点项目完成投资。金上至湖北特高压直流输电工程建成投运，雅下水电工程顺利开工。")
    assert {"金上至湖北特高压直流输电工程", "雅下水电工程"} <= set(doc.programs)


def test_a_campaign_period_in_quotes_and_a_programme_being_carried_out():
    doc = extract_bytes(
        "某市2017年工作要点\n一、重点任务\n1.组织展示。区县结合“学生艺术活动月”组织展评，结合“2+2”项目实施开展比赛。\n"
        "2.其他。全市学生艺术活动月期间开展活动。\n".encode(),
        "p.txt",
    )
    assert {"学生艺术活动月", "2+2项目"} <= set(doc.programs)
    assert doc.tasks[0].depends_on == {"学生艺术活动月", "2+2项目"}


def test_a_dependency_keeps_its_cue_and_the_words_that_say_so():
    doc = extract_bytes(
        "某市工作要点\n一、任务\n1.推进。依托全面改薄项目，以“三名工程”为抓手，按照国培计划要求开展培训。\n2.其他。\n".encode(),
        "p.txt",
    )
    got = {(d.task, d.cue, doc.text[d.span.start : d.span.end]) for d in doc.dependencies}
    assert got == {
        (1, "依托", "依托全面改薄"),
        (1, "以…为抓手", "以“三名工程”为抓手"),
        (1, "按照…要求", "按照国培计划要求"),
    }
    assert doc.tasks[0].depends_on == {d.program for d in doc.dependencies}
