"""The program registry at work: every spelling found, one IRI each, the user's own programs merged."""

from __future__ import annotations

from policykg.loaders.programs_registry import load_registry
from policykg.loaders.registry_match import RegistryMatcher, stands_alone
from support.common import run_cli

USER_REGISTRY = """domain = "local"

[[program]]
id = "kunming-jinse-yangguang"
name = "昆明市金色阳光助学工程"
aliases = ["金色阳光工程", "金色阳光助学"]
level = "provincial"
province = "云南省"
sources = ["（a test entry）"]
"""


def test_a_spelling_stands_alone_only_where_its_form_says_it_is_a_name():
    assert stands_alone("特岗计划", "农村义务教育阶段学校教师特设岗位计划")  # a class noun
    assert stands_alone("两免一补", "两免一补")  # a numbered set
    assert stands_alone("全面改薄", "全面改善贫困地区义务教育薄弱学校基本办学条件")  # an abbreviation
    assert not stands_alone("校园足球", "全国青少年校园足球特色学校")  # a piece of the name: a topic
    assert not stands_alone("精准扶贫", "精准扶贫")  # no class noun, no numeral


def test_the_longest_spelling_wins_and_quotes_admit_the_rest():
    matcher = RegistryMatcher(load_registry())
    text = "落实农村义务教育学生营养改善计划，推进医联体建设，发展医养结合，试点“医联体”。"
    hits = [(text[h.start : h.end], h.program.id) for h in matcher.find(text)]
    # 医联体 is a standing system: only in quote marks
    assert hits == [("农村义务教育学生营养改善计划", "yingyang-gaishan-jihua"), ("医联体", "yiliaolianheti")]


def test_ingest_with_a_registry_of_ones_own_finds_its_programmes_under_their_registry_iri(tmp_path):
    registry = tmp_path / "local.toml"
    registry.write_text(USER_REGISTRY, encoding="utf-8")
    doc = tmp_path / "plan.txt"
    doc.write_text("某市教育工作要点\n一、任务\n1.支持金色阳光工程发展。\n2.做好其他工作。\n", encoding="utf-8")
    without = run_cli("extract", str(doc), "--format", "nquads", check=True).stdout.decode()
    assert "kunming-jinse-yangguang" not in without
    with_it = run_cli("extract", str(doc), "--format", "nquads", "--programs", str(registry), check=True).stdout
    assert "https://w3id.org/policykg/id/program/kunming-jinse-yangguang" in with_it.decode()
    store = tmp_path / "store"
    run_cli("ingest", "--store", str(store), "--programs", str(registry), str(doc), check=True)
    rows = run_cli(
        "query",
        "--store",
        str(store),
        "--format",
        "csv",
        "SELECT ?l WHERE { <https://w3id.org/policykg/id/program/kunming-jinse-yangguang> rdfs:label ?l }",
        check=True,
    ).stdout.decode()
    assert "金色阳光工程" in rows


def test_a_broken_registry_of_ones_own_is_one_clear_error(tmp_path):
    registry = tmp_path / "bad.toml"
    registry.write_text('domain = "local"\n[[program]]\nid = "x"\nname = "某工程"\n', encoding="utf-8")
    doc = tmp_path / "plan.txt"
    doc.write_text("工作要点\n1.做好工作。\n2.其他。\n", encoding="utf-8")
    proc = run_cli("ingest", "--store", str(tmp_path / "store"), "--programs", str(registry), str(doc))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and str(registry) in err and "Traceback" not in err
    assert not (tmp_path / "store").exists()
