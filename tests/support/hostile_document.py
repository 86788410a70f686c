"""A real work plan whose names are payloads: markup (``<img onerror>``, ``</script>``, ``"><svg
onload>``, ``javascript:``) and SPARQL (``"}UNION{``, ``> } UNION { … } <``).

The injection tests look each name up through every route; the hostile-output tests check
every page, the network view and the CLI show them as text. conftest's
``hostile_store_template`` is the API store with this document ingested.
"""

from __future__ import annotations

from pathlib import Path

from policykg.graph.iris import IriScheme
from support.common import copy_store

IRIS = IriScheme()
DOC_ID = "hostile-2019"

#: A work plan with the structure of the sample (title, preamble, numbered sections and
#: tasks, quoted programs, targets) whose names are markup and SPARQL payloads. The
#: extractor turns them into a document title, section and task labels, program names and
#: quotes (test_the_extractor_really_reads_the_payloads checks it does).
HOSTILE_TEXT = """某县2019年<img src=x onerror="window.__pwned=1">工作要点
2019年全县教育工作的总体要求是:坚持立德树人,办好人民满意的教育,围绕“提高质量”这一中心,落实各项任务。
一、</script><script>window.__pwned=2</script>
1.<b onmouseover=alert(1)>加强</b>。实施“<img src=x onerror="window.__pwned=1">”工程。新增优质学校3所。
2.推进建设。推进“</script><script>alert(1)</script>”计划,寻甸县完成评估验收。
二、"><svg onload=window.__pwned=3>
3.javascript:alert(1)。实施“"><svg onload=window.__pwned=3>”项目。小学班额不超过45人。
4.实施三名"}UNION{工程。实施“javascript:alert(1)”行动,选派100位名师到先进发达地区研修学习。
5.实施“三名"}UNION{”工程。实施“名\\u0022校'建设”工程。
6.实施“"} UNION { ?s ?p ?o } #”计划。实施“> } UNION { ?s ?p ?o } <”计划。
"""

#: The programs the extractor reads from HOSTILE_TEXT, exactly as named.
HOSTILE_PROGRAMS = (
    '<img src=x onerror="window.__pwned=1">工程',
    "</script><script>alert(1)</script>计划",
    '"><svg onload=window.__pwned=3>项目',
    "javascript:alert(1)行动",
    '三名"}UNION{工程',
    "名\\u0022校'建设工程",
    '"} UNION { ?s ?p ?o } #计划',
    "> } UNION { ?s ?p ?o } <计划",
)


def write_hostile_document(folder: Path) -> Path:
    path = folder / f"{DOC_ID}.txt"
    path.write_text(HOSTILE_TEXT, encoding="utf-8")
    return path


def build_hostile_store(template: Path, dest: Path) -> Path:
    """A copy of the API test store (sample + network fixture) with the hostile document ingested."""
    from policykg.graph.ingest import ingest_files
    from policykg.graph.store import OxigraphStore

    store = OxigraphStore(copy_store(template, dest))
    report = ingest_files(store, [write_hostile_document(dest.parent)], IRIS)
    assert not report.failed, report.failed
    store.flush()
    store.close()
    return dest
