"""One identity per indicator across documents (issue 15, item 1): the indicator registry, the key
spellings are compared by, and targets of two plans that spell one indicator differently."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from policykg.errors import RegistryError
from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.loaders.extract import extract_bytes
from policykg.loaders.indicator_identity import identify_indicators
from policykg.loaders.indicators_registry import (
    IndicatorRegistry,
    bundled_registry,
    indicator_key,
    parse_indicators,
)

REGISTRY = """domain = "education"

[[indicator]]
id = "xueqian-sannian-maoruyuanlv"
name = "学前三年毛入园率"
aliases = ["学前教育三年毛入园率"]
unit = "%"
sources = ["《“十四五”学前教育发展提升行动计划》（教基〔2021〕8号）"]
"""


def _registry(text: str = REGISTRY) -> IndicatorRegistry:
    return IndicatorRegistry(parse_indicators(text, "test.toml"))


def test_the_key_drops_scope_unit_quotes_and_width():
    assert indicator_key("全市学前三年毛入园率") == "学前三年毛入园率"
    assert indicator_key("城市内涝防治达标率（%）") == "城市内涝防治达标率"
    assert indicator_key("新增就业(万人)") == "新增就业"
    assert indicator_key("“我县”PM2.5浓度") == indicator_key("我县PM２.５浓度")
    assert indicator_key("全市") == "全市"  # nothing left after the scope: keep it


def test_every_spelling_finds_the_one_indicator():
    reg = _registry()
    for spelling in ("学前三年毛入园率", "学前教育三年毛入园率", "全省学前三年毛入园率（%）"):
        found = reg.lookup(spelling)
        assert found is not None and found.id == "xueqian-sannian-maoruyuanlv", spelling
    assert reg.lookup("小学净入学率") is None


@pytest.mark.parametrize(
    "broken, says",
    [
        (
            REGISTRY.replace('sources = ["《“十四五”学前教育发展提升行动计划》（教基〔2021〕8号）"]\n', ""),
            "missing sources",
        ),
        (REGISTRY.replace('unit = "%"\n', ""), "missing unit"),
        (REGISTRY.replace('id = "xueqian-sannian-maoruyuanlv"', 'id = "学前"'), "slug"),
        (REGISTRY + REGISTRY.split("\n", 2)[2].replace("xueqian-sannian-maoruyuanlv", "other"), "already claimed"),
        (REGISTRY.replace("unit =", "units ="), "unknown field"),
    ],
)
def test_a_broken_registry_says_what_is_wrong(broken, says):
    with pytest.raises(RegistryError, match=says):
        _registry(broken)


def test_two_plans_spelling_one_indicator_share_its_node():
    iris = IriScheme()
    store = ox.Store()
    for name, spelling in (("a", "学前三年毛入园率"), ("b", "全县学前教育三年毛入园率")):
        doc = extract_bytes(
            f"某县教育工作要点\n一、任务\n1.发展学前教育。{spelling}达到90%以上。\n2.其他。\n".encode(), f"{name}.txt"
        )
        identify_indicators(doc, _registry())
        store.extend(document_quads(doc, iris))
    found = {
        r["i"].value
        for r in store.query(
            "SELECT DISTINCT ?i WHERE { GRAPH ?g { ?t <https://w3id.org/policykg/ontology#indicator> ?i } }"
        )
    }
    assert found == {iris.indicator("学前三年毛入园率", "xueqian-sannian-maoruyuanlv")}
    labels = {
        (r["p"].value.rsplit("#", 1)[1], r["l"].value)
        for r in store.query(f"SELECT ?p ?l WHERE {{ GRAPH ?g {{ <{found.pop()}> ?p ?l . FILTER(isLiteral(?l)) }} }}")
    }
    assert labels == {("label", "学前三年毛入园率"), ("altLabel", "学前教育三年毛入园率")}


def test_an_unlisted_indicator_keeps_the_iri_of_its_label():
    doc = extract_bytes("某县教育工作要点\n一、任务\n1.发展。学校食堂覆盖率达到95%以上。\n2.其他。\n".encode(), "c.txt")
    identify_indicators(doc, _registry())
    (target,) = doc.targets
    assert target.indicator_id is None
    assert IriScheme().indicator(target.indicator, target.indicator_id).endswith("/indicator/学校食堂覆盖率")


def test_the_bundled_registry_loads_and_covers_the_national_plan():
    registry = bundled_registry()  # every shipped file parses and no spelling names two indicators
    assert len(registry) >= 250 and len(registry.domains()) >= 10
    # Main indicators of the national 十四五 outline, as the outline writes them.
    for name in (
        "国内生产总值增长",
        "城镇调查失业率",
        "人均预期寿命",
        "森林覆盖率",
        "常住人口城镇化率",
        "劳动年龄人口平均受教育年限",
    ):
        assert registry.lookup(name) is not None, name
    assert registry.lookup("公办幼儿园和普惠性民办幼儿园在园幼儿占比").name == "普惠性幼儿园覆盖率"
