"""A small hand-made graph for the network tests (trace, path, rankings, viz, /explore).

Built from DocumentRecords through the real graph builder, so its shape is the
one ingest produces: two documents that share programs, an indicator and divisions.
"""

from __future__ import annotations

from decimal import Decimal

from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.graph.store import OxigraphStore
from policykg.loaders.records import (
    Comparator,
    DivisionLevel,
    DivisionRecord,
    DocumentRecord,
    EntityKind,
    Mention,
    PartRef,
    ProgramRecord,
    SectionRecord,
    Span,
    TargetRecord,
    TaskRecord,
)

HOSTILE = '<img src=x onerror="window.__pwned=1">"</script><script>window.__pwned=2</script>'

KUNMING = """昆明市2017年工作要点
二、以改革创新为动力,全面实施“三名工程”
7.实施名校建设工程。新增优质学校11所。
8.实施名师培养工程。选派100位名师到先进发达地区研修学习。
9.实施名长建设工程。每年选送50名名校长到国内外研修。
三、以提高质量为中心
13.均衡发展义务教育。确保呈贡、寻甸2个县区完成基本均衡评估验收。
四、以促进公平为重点
19.加快基础设施建设。继续实施“全面改薄”计划,小学班额不超过45人。
20.提升教育信息化水平。实施好“全面改薄——中小学教育信息化建设项目”。
"""

OTHER = """寻甸县2018年教育工作要点
一、实施三名工程
1.推进名校建设工程。新增优质学校2所。
2.加强校园安全。开展HOSTILE专项行动。
"""

DIVISIONS = {
    "530100": DivisionRecord("530100", "昆明市", DivisionLevel.PREFECTURE, "530000", {"昆明"}),
    "530114": DivisionRecord("530114", "呈贡区", DivisionLevel.COUNTY, "530100", {"呈贡"}),
    "530129": DivisionRecord("530129", "寻甸回族彝族自治县", DivisionLevel.COUNTY, "530100", {"寻甸", "寻甸县"}),
}


def _span(text: str, needle: str, start: int = 0) -> Span:
    i = text.index(needle, start)
    return Span(i, i + len(needle))


def _line(text: str, head: str) -> Span:
    i = text.index(head)
    j = text.index("\n", i)
    return Span(i, j)


def _task(text: str, ordinal: int, title: str, section: int) -> TaskRecord:
    whole = _line(text, f"{ordinal}.{title}")
    return TaskRecord(ordinal, str(ordinal), title, _span(text, title, whole.start), whole, section)


def _section(text: str, ordinal: int, number: str, title: str, end_marker: str | None) -> SectionRecord:
    head = _line(text, f"{number}、{title}")
    end = text.index(end_marker) if end_marker else len(text)
    return SectionRecord(ordinal, number, title, _span(text, title, head.start), Span(head.start, end))


def _mention(text: str, kind: EntityKind, key: str, surface: str, part: PartRef, after: str | None = None) -> Mention:
    start = text.index(after) if after else 0
    return Mention(kind, key, surface, _span(text, surface, start), part)


def kunming_record() -> DocumentRecord:
    t = KUNMING
    T = PartRef.task
    doc = DocumentRecord(
        doc_id="kunming-2017",
        source="kunming-2017.txt",
        sha256="0" * 64,
        media_type="text/plain",
        encoding="utf-8",
        text=t,
        title="昆明市2017年工作要点",
        jurisdiction="530100",
    )
    doc.sections = [
        _section(t, 1, "二", "以改革创新为动力,全面实施“三名工程”", "三、"),
        _section(t, 2, "三", "以提高质量为中心", "四、"),
        _section(t, 3, "四", "以促进公平为重点", None),
    ]
    doc.tasks = [
        _task(t, 7, "实施名校建设工程", 1),
        _task(t, 8, "实施名师培养工程", 1),
        _task(t, 9, "实施名长建设工程", 1),
        _task(t, 13, "均衡发展义务教育", 2),
        _task(t, 19, "加快基础设施建设", 3),
        _task(t, 20, "提升教育信息化水平", 3),
    ]
    sub = "全面改薄——中小学教育信息化建设项目"
    doc.programs = {
        "三名工程": ProgramRecord("三名工程"),
        "名校建设工程": ProgramRecord("名校建设工程", part_of="三名工程"),
        "名师培养工程": ProgramRecord("名师培养工程", part_of="三名工程"),
        "名长建设工程": ProgramRecord("名长建设工程", part_of="三名工程"),
        "全面改薄": ProgramRecord("全面改薄", alt_labels={"全面改薄计划"}),
        sub: ProgramRecord(sub, part_of="全面改薄"),
    }
    doc.divisions = {k: DIVISIONS[k] for k in ("530100", "530114", "530129")}
    P, D = EntityKind.PROGRAM, EntityKind.DIVISION
    doc.mentions = [
        _mention(t, P, "三名工程", "三名工程", PartRef.section(1)),
        _mention(t, P, "名校建设工程", "名校建设工程", T(7)),
        _mention(t, P, "名师培养工程", "名师培养工程", T(8)),
        _mention(t, P, "名长建设工程", "名长建设工程", T(9)),
        _mention(t, D, "530114", "呈贡", T(13)),
        _mention(t, D, "530129", "寻甸", T(13)),
        _mention(t, P, "全面改薄", "全面改薄", T(19)),
        _mention(t, P, sub, sub, T(20)),
        _mention(t, D, "530100", "昆明市", PartRef.document()),
    ]
    doc.targets = [
        TargetRecord(
            T(7),
            "新增优质学校",
            _span(t, "新增优质学校11所"),
            value=Decimal(11),
            unit="所",
            comparator=Comparator.EXACTLY,
        ),
        TargetRecord(
            T(8),
            "选派名师到先进发达地区研修学习",
            _span(t, "选派100位名师到先进发达地区研修学习"),
            value=Decimal(100),
            unit="人",
            comparator=Comparator.EXACTLY,
        ),
        TargetRecord(
            T(9),
            "每年选送名校长到国内外研修",
            _span(t, "每年选送50名名校长到国内外研修"),
            value=Decimal(50),
            unit="人",
            comparator=Comparator.EXACTLY,
            period="year",
        ),
        TargetRecord(
            T(13),
            "完成基本均衡评估验收的县区",
            _span(t, "确保呈贡、寻甸2个县区完成基本均衡评估验收"),
            value=Decimal(2),
            unit="个",
            comparator=Comparator.EXACTLY,
            divisions=["530114", "530129"],
        ),
        TargetRecord(
            T(19),
            "小学班额",
            _span(t, "小学班额不超过45人"),
            value=Decimal(45),
            unit="人",
            comparator=Comparator.AT_MOST,
        ),
    ]
    return doc


def other_record(hostile: str = HOSTILE) -> DocumentRecord:
    t = OTHER.replace("HOSTILE", hostile)
    T = PartRef.task
    doc = DocumentRecord(
        doc_id="xundian-2018",
        source="xundian-2018.txt",
        sha256="1" * 64,
        media_type="text/plain",
        encoding="utf-8",
        text=t,
        title="寻甸县2018年教育工作要点",
        jurisdiction="530129",
    )
    doc.sections = [_section(t, 1, "一", "实施三名工程", None)]
    doc.tasks = [_task(t, 1, "推进名校建设工程", 1), _task(t, 2, "加强校园安全", 1)]
    doc.programs = {
        "三名工程": ProgramRecord("三名工程"),
        "名校建设工程": ProgramRecord("名校建设工程", part_of="三名工程"),
        hostile: ProgramRecord(hostile),
    }
    doc.divisions = {"530129": DIVISIONS["530129"]}
    P = EntityKind.PROGRAM
    doc.mentions = [
        _mention(t, P, "三名工程", "三名工程", PartRef.section(1)),
        _mention(t, P, "名校建设工程", "名校建设工程", T(1)),
        _mention(t, P, hostile, hostile, T(2)),
        _mention(t, EntityKind.DIVISION, "530129", "寻甸县", PartRef.document()),
    ]
    doc.targets = [
        TargetRecord(
            T(1),
            "新增优质学校",
            _span(t, "新增优质学校2所"),
            value=Decimal(2),
            unit="所",
            comparator=Comparator.EXACTLY,
            divisions=["530129"],
        ),
    ]
    return doc


def fixture_store(path=None) -> OxigraphStore:
    """An in-memory (or on-disk, when ``path`` is given) store holding both documents."""
    store = OxigraphStore(path)
    iris = IriScheme()
    for rec in (kunming_record(), other_record()):
        store.replace_graph(iris.graph(rec.doc_id), document_quads(rec, iris), rec.sha256)
    return store
