"""A trace keeps the parts that name its programs within its node budget, nearest program first,
and says when the budget left one out. The parts are read untyped and their kind checked a chunk
at a time (a hub program is named by tens of thousands of parts), so these tests pin what that
must not change: documents that name a program are no parts of its trace, the parts kept are the
first tasks and sections in IRI order, and ``truncated`` is exact at the edge of the budget, with
chunks of any size."""

from __future__ import annotations

import pytest

from policykg.graph import trace as trace_module
from policykg.graph.read import rows
from policykg.graph.sparql_params import iri, sparql
from policykg.graph.trace import trace
from support.common import store_of_texts

PROGRAM = "全面改薄工程"
# The preamble names the programme before any section: the document itself names it.
PLAN = f"""某县2021年教育工作要点
为巩固{PROGRAM}成果，制定本要点。
一、办学条件
1.实施{PROGRAM}，新建教学楼3栋。
2.推进{PROGRAM}收尾，改造运动场5个。
3.加强校舍安全排查。
二、{PROGRAM}
4.完成{PROGRAM}验收，验收合格率达到100%。
5.做好{PROGRAM}档案整理。
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from policykg.graph.store import OxigraphStore

    path = store_of_texts(tmp_path_factory.mktemp("budget"), {"plan": PLAN})
    opened = OxigraphStore(path, read_only=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def program_iri(store):
    return trace(store, PROGRAM).root.iri


@pytest.fixture(scope="module")
def naming(store, program_iri):
    """What names the programme, by kind, read straight from the store."""
    found: dict[str, list[str]] = {}
    query = sparql(
        "SELECT ?part ?c WHERE { ?part pkg:mentions $p ; a ?c }",
        p=iri(program_iri),
    )
    for r in rows(store, query):
        found.setdefault(r["c"].value.rsplit("#", 1)[-1], []).append(r["part"].value)
    return {kind: sorted(parts) for kind, parts in found.items()}


def _named_parts(result, program_iri: str) -> list[str]:
    root = result.nodes[program_iri]
    return [c.iri for c in root.children if c.kind in ("Task", "Section")]


def test_the_document_names_it_but_is_no_part_of_its_trace(store, program_iri, naming):
    assert naming.get("PolicyDocument"), "the preamble should make the document name the programme"
    assert len(naming["Task"]) == 4 and len(naming["Section"]) == 1, naming
    result = trace(store, PROGRAM)
    assert not result.truncated
    assert sorted(_named_parts(result, program_iri)) == sorted(naming["Task"] + naming["Section"])
    assert not set(naming["PolicyDocument"]) & set(result.nodes)


@pytest.mark.parametrize("lookahead", [1, 2, trace_module._LOOKAHEAD])
@pytest.mark.parametrize("budget", [1, 3, 4])
def test_the_budget_keeps_the_first_parts(store, program_iri, naming, monkeypatch, budget, lookahead):
    monkeypatch.setattr(trace_module, "_LOOKAHEAD", lookahead)
    parts = sorted(naming["Task"] + naming["Section"])
    result = trace(store, PROGRAM, max_nodes=1 + budget)  # the programme itself, then its parts
    assert set(_named_parts(result, program_iri)) == set(parts[:budget])
    assert result.truncated


@pytest.mark.parametrize("lookahead", [1, 2, trace_module._LOOKAHEAD])
@pytest.mark.parametrize("budget", [0, 1, 4, 5, 6])
def test_the_budget_says_exactly_whether_it_cut_a_part(store, naming, monkeypatch, budget, lookahead):
    """(The trace's own ``truncated`` also counts targets, places and units cut later.)"""
    monkeypatch.setattr(trace_module, "_LOOKAHEAD", lookahead)
    parts = sorted(naming["Task"] + naming["Section"])
    document = naming["PolicyDocument"][0]
    # The document first, among and after the parts: it takes no room and is never the one cut.
    candidates = [document, *parts[:2], document, *parts[2:], document]
    kept, facts, cut = trace_module._keep_parts(store, iter(candidates), {}, budget)
    assert list(kept) == parts[:budget]
    assert cut is (budget < len(parts))
    assert all(facts[p].kind in ("Task", "Section") for p in kept)
