"""Programmes that build on programmes (issue 14): the cue carried by a programme's own text — the
clause it is the subject of, or the 专栏 box named after it — with the cue and its span."""

from __future__ import annotations

import pyoxigraph as ox

from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.loaders.extract import extract_bytes
from support.common import run_cli

PLAN = """某市2024年教育工作要点
一、重点任务
1.推进名校建设。“名校建设工程”要依托“三名工程”，新建优质学校5所。
2.推进智慧教育。实施智慧教育工程，以“互联网+”行动为抓手，建设智慧校园100所。
专栏1  教育信息化提升工程
依托“国培计划”，培训教师500人。
3.加强保障。加大投入。“名师工程”。依托“三名工程”培养骨干。
"""


def _doc():
    return extract_bytes(PLAN.encode("utf-8"), "plan.txt")


def test_the_subject_of_the_cue_and_the_box_depend_on_the_programme():
    doc = _doc()
    found = {(d.program, d.on, d.cue, doc.quote(d.span)) for d in doc.program_dependencies}
    assert found == {
        ("名校建设工程", "三名工程", "依托", "“名校建设工程”要依托“三名工程”"),
        ("教育信息化提升工程", "国培计划", "依托", "依托“国培计划"),
    }
    # A programme before a comma or a full stop is not the subject: the task carries the cue.
    assert "智慧教育工程" not in {d.program for d in doc.program_dependencies}
    assert "名师工程" not in {d.program for d in doc.program_dependencies}
    # The tasks keep their own dependencies.
    assert {(d.task, d.program) for d in doc.dependencies} >= {(1, "三名工程"), (2, "国培计划"), (3, "三名工程")}


def test_the_graph_reifies_a_programmes_dependency_and_conforms(tmp_path):
    iris = IriScheme()
    store = ox.Store()
    store.extend(document_quads(_doc(), iris))
    found = {
        (r["s"].value, r["o"].value, r["cue"].value, r["exact"].value)
        for r in store.query(
            "PREFIX pkg: <https://w3id.org/policykg/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#> "
            "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
            "SELECT ?s ?o ?cue ?exact WHERE { GRAPH ?g { ?st a rdf:Statement ; rdf:subject ?s ; rdf:object ?o ; "
            "pkg:cue ?cue ; pkg:evidence/oa:exact ?exact } GRAPH ?h { ?s a pkg:Program ; pkg:dependsOn ?o } }"
        )
    }
    assert (iris.program("名校建设工程"), iris.program("三名工程"), "依托", "“名校建设工程”要依托“三名工程”") in found
    assert len(found) == 2
    graph = tmp_path / "plan.trig"
    graph.write_bytes(run_cli("extract", "-f", "trig", str(tmp_path / _write(tmp_path)), check=True).stdout)
    assert run_cli("validate", str(graph)).returncode == 0


def _write(folder) -> str:
    (folder / "plan.txt").write_text(PLAN, encoding="utf-8")
    return "plan.txt"


def test_a_program_page_lists_the_programs_that_build_on_it(tmp_path):
    from policykg.graph.ingest import ingest_files
    from policykg.graph.programs import get_program_named
    from policykg.graph.store import OxigraphStore

    iris = IriScheme()
    (tmp_path / "plan.txt").write_text(PLAN, encoding="utf-8")
    store = OxigraphStore(tmp_path / "store")
    ingest_files(store, [tmp_path / "plan.txt"], iris)
    umbrella = get_program_named(store, "三名工程", iris.program("三名工程"))
    assert [r.label for r in umbrella.dependent_programs] == ["名校建设工程"]
    assert {r.iri for r in umbrella.dependent_tasks} == {iris.task("plan", 1), iris.task("plan", 3)}
