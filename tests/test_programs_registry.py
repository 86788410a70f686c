"""The program registry: the bundled TOML data loads, validates and covers every domain; user
files override and add; every kind of bad entry is refused with a message naming file and entry."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from policykg.errors import PolicyKGError, RegistryError
from policykg.loaders.programs_registry import bundled_files, load_registry, normalise
from support.common import REPO

DOMAINS = (
    "education",
    "health",
    "civil-affairs",
    "agriculture-rural",
    "environment-water",
    "housing-urban",
    "transport",
    "poverty-rural-revitalisation",
    "employment",
    "culture-tourism",
    "science-technology",
    "governance",
)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_the_bundled_registry_loads_and_has_at_least_300_programs(registry):
    assert len(registry) >= 300
    assert len(registry.by_id) == len(registry)


def test_every_domain_has_programs(registry):
    domains = registry.domains()
    for domain in DOMAINS:
        assert len(domains.get(domain, [])) >= 8, domain


def test_every_entry_has_a_source_and_a_valid_slug(registry):
    for p in registry:
        assert p.sources and all(s.strip() for s in p.sources), p.id
        assert p.name and p.id.isascii() and p.id == p.id.lower(), p.id


def test_provincial_entries_name_their_province(registry):
    provincial = [p for p in registry if p.level == "provincial"]
    assert provincial
    assert all(p.province.endswith(("省", "市", "自治区")) for p in provincial)
    assert registry.lookup("千万工程").province == "浙江省"
    assert registry.lookup("百千万工程").province == "广东省"


def test_river_lake_and_forest_chiefs_are_institutions(registry):
    for spelling in ("河长制", "湖长制", "林长制"):
        assert registry.lookup(spelling).kind == "institution", spelling


def test_quanmian_gaibao_and_its_successor_are_linked(registry):
    old = registry.lookup("全面改薄")
    assert old.id == "quanmian-gaibao"
    assert old.name == "全面改善贫困地区义务教育薄弱学校基本办学条件"
    new = registry.lookup("义务教育薄弱环节改善与能力提升")
    assert new.successor_of == "quanmian-gaibao"
    assert [p.id for p in registry.successors("quanmian-gaibao")] == [new.id]
    assert all(s for s in new.sources) and new.sources != old.sources


def test_the_health_china_action_has_its_fifteen_special_actions(registry):
    assert len(registry.children("jiankang-zhongguo-xingdong")) == 15


def test_lookup_ignores_quote_marks_and_width(registry):
    assert registry.lookup("“全面改薄”").id == "quanmian-gaibao"
    assert registry.lookup("「千万工程」").id == "qianwan-gongcheng"
    assert registry.lookup('"三支一扶"').id == "sanzhi-yifu"
    assert registry.lookup("１＋Ｘ证书").id == "yi-jia-x-zhengshu"
    assert registry.lookup(" 双 减 ").id == "shuangjian"
    assert registry.lookup("没有这个计划") is None


def test_surfaces_map_every_spelling_to_its_id(registry):
    surfaces = registry.surfaces()
    for p in registry:
        for spelling in p.spellings:
            assert surfaces[spelling] == p.id
            assert surfaces[normalise(spelling)] == p.id
    assert surfaces["全面改薄"] == "quanmian-gaibao"


def test_the_toml_files_ship_as_package_data():
    folder = REPO / "loaders" / "registry" / "programs"
    assert sorted(f.name for f in bundled_files()) == sorted(f.name for f in folder.glob("*.toml"))
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "registry/programs/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["policykg.loaders"]


def test_the_docs_table_is_current():
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "registry_stats.py")], capture_output=True, text=True, check=True
    ).stdout.strip()
    doc = (REPO / "docs" / "programs-registry.md").read_text(encoding="utf-8")
    shown = doc.split("<!-- registry-stats -->\n", 1)[1].split("\n<!-- /registry-stats -->", 1)[0]
    assert shown == out, "run: python scripts/registry_stats.py --write"


# -- user files ------------------------------------------------------------------------------------


def _write(tmp_path: Path, body: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text('domain = "local"\n' + body, encoding="utf-8")
    return path


def test_a_user_file_overrides_and_adds(tmp_path, registry):
    path = _write(
        tmp_path,
        """
[[program]]
id = "quanmian-gaibao"
name = "全面改善贫困地区义务教育薄弱学校基本办学条件"
aliases = ["全面改薄", "改薄"]
sources = ["local note"]

[[program]]
id = "local-xiaoxue-tisheng"
name = "某省小学办学条件提升三年行动"
aliases = ["小学提升三年行动"]
parent = "yiwu-jiaoyu-boruo-huanjie"
level = "provincial"
province = "某省"
sources = ["某省人民政府办公厅通知，2021年"]
""",
    )
    merged = load_registry([path])
    assert len(merged) == len(registry) + 1
    overridden = merged.lookup("改薄")
    assert overridden.id == "quanmian-gaibao" and overridden.sources == ("local note",)
    assert overridden.domain == "local" and overridden.origin == str(path)
    assert merged.lookup("全面改薄工程") is None  # the override replaced the entry whole
    added = merged.lookup("“小学提升三年行动”")
    assert added.parent == "yiwu-jiaoyu-boruo-huanjie" and added.province == "某省"
    # the successor link still resolves to the overridden entry
    assert merged.by_id["yiwu-jiaoyu-boruo-huanjie"].successor_of == "quanmian-gaibao"
    assert len(load_registry()) == len(registry)  # the bundled registry is untouched


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[program]]\nid = "a"\nsources = ["s"]\n', "program 'a': missing name"),
        ('[[program]]\nname = "甲计划"\nsources = ["s"]\n', "program number 1: missing id"),
        ('[[program]]\nid = "a"\nname = "甲计划"\n', "program 'a': missing sources"),
        ('[[program]]\nid = "a"\nname = "甲计划"\nsources = []\n', "program 'a': missing sources"),
        ('[[program]]\nid = "A b"\nname = "甲计划"\nsources = ["s"]\n', "program 'A b': id must be"),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nsources = ["s"]\n'
            '[[program]]\nid = "a"\nname = "乙计划"\nsources = ["s"]\n',
            "program 'a': duplicate id",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\naliases = ["全面改薄"]\nsources = ["s"]\n',
            "program 'a': the spelling '全面改薄' is already claimed by program 'quanmian-gaibao'",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\naliases = ["丙"]\nsources = ["s"]\n'
            '[[program]]\nid = "b"\nname = "乙计划"\naliases = ["“丙”"]\nsources = ["s"]\n',
            "program 'b': the spelling '“丙”' is already claimed by program 'a'",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nparent = "no-such-id"\nsources = ["s"]\n',
            "program 'a': parent 'no-such-id' is not the id of any program",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nsuccessor_of = "no-such-id"\nsources = ["s"]\n',
            "program 'a': successor_of 'no-such-id' is not the id of any program",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nparent = "b"\nsources = ["s"]\n'
            '[[program]]\nid = "b"\nname = "乙计划"\nparent = "a"\nsources = ["s"]\n',
            "its parent chain is a cycle: a -> b -> a",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nsuccessor_of = "a"\nsources = ["s"]\n',
            "program 'a': its successor_of chain is a cycle: a -> a",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\npredecessor_of = "b"\nsources = ["s"]\n',
            "program 'a': unknown field(s) predecessor_of",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nlevel = "provincial"\nsources = ["s"]\n',
            "program 'a': a provincial program needs province",
        ),
        (
            '[[program]]\nid = "a"\nname = "甲计划"\nstart_year = "2014"\nsources = ["s"]\n',
            "program 'a': start_year must be a year",
        ),
        ('[[program]\nid = "a"\n', "not valid TOML"),
    ],
)
def test_each_bad_entry_is_refused_with_a_readable_message(tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(RegistryError) as info:
        load_registry([path])
    message = str(info.value)
    assert str(path) in message, message
    assert expected in message, message
    assert isinstance(info.value, PolicyKGError)


def test_a_file_without_domain_is_refused(tmp_path):
    path = tmp_path / "nodomain.toml"
    path.write_text('[[program]]\nid = "a"\nname = "甲计划"\nsources = ["s"]\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="nodomain.toml: missing domain"):
        load_registry([path])


def test_a_missing_or_undecodable_file_is_refused(tmp_path):
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry([tmp_path / "absent.toml"])
    path = tmp_path / "gbk.toml"
    path.write_bytes('domain = "x"\n# 注释\n'.encode("gbk"))
    with pytest.raises(RegistryError, match="gbk.toml: not UTF-8"):
        load_registry([path])
