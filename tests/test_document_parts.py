"""The parts of a document below and beside its sections: items inside tasks, attachments after
the body — read from the text and written to the graph."""

from __future__ import annotations

from pyoxigraph import NamedNode

from policykg.graph.build import document_quads
from policykg.graph.documents import outline
from policykg.graph.ingest import ingest_record
from policykg.graph.iris import IriScheme
from policykg.loaders.extract import extract_bytes

PKG = "https://w3id.org/policykg/ontology#"
RDFS_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")

NOTICE = """关于印发某市2024年农村工作实施方案的通知
各县（区）人民政府：
现将《某市2024年农村工作实施方案》印发给你们，请认真贯彻落实。
附件：1.某市2024年农村工作实施方案
      2.任务分工表
某市人民政府办公室
2024年3月1日
附件1
某市2024年农村工作实施方案
一、总体要求
（一）稳定粮食生产。全年粮食播种面积稳定在100万亩以上。
1.落实耕地保护。划定永久基本农田。
2.推进高标准农田建设。新建高标准农田5万亩。
（二）发展乡村产业。
1.培育龙头企业。
2.发展农产品加工。
二、保障措施
（一）加强组织领导。
（二）强化资金保障。
附件2
任务分工表
序号
任务
牵头单位
1
稳定粮食生产
市农业农村局
附件
视频资料（时长不超过8分钟，格式为MP4）
附件下载
"""


def _doc():
    return extract_bytes(NOTICE.encode("utf-8"), "rural-notice.txt")


def test_the_list_of_attachments_is_not_one_and_each_attachment_is_titled():
    doc = _doc()
    assert [(a.ordinal, a.number, a.title) for a in doc.attachments] == [
        (1, "1", "某市2024年农村工作实施方案"),
        (2, "2", "任务分工表"),
    ]
    for a in doc.attachments:
        assert doc.quote(a.title_span) == a.title
        assert doc.quote(a.span).startswith("附件" + a.number)


def test_an_attached_plan_holds_its_sections_and_tasks():
    doc = _doc()
    first, second = doc.attachments
    inside = [s.title for s in doc.sections if first.span.start <= s.span.start < first.span.end]
    assert inside == ["总体要求", "保障措施"]
    # A form's 附件 field and a page's 附件下载 box open no attachment: they stay in the one before.
    assert "市农业农村局\n附件\n视频资料" in doc.quote(second.span)


def test_an_attachment_ends_where_the_next_attached_document_starts_its_numbering():
    text = (
        "关于开展两项活动的通知\n一、活动一\n（一）报名。各校报名。\n（二）展评。组织展评。\n"
        "附表1\n活动一报名表\n学校\n节目\n人数\n"
        "活动二实施方案\n一、组织机构\n（一）主办单位。市教委。\n（二）承办单位。市协会。\n"
    )
    doc = extract_bytes(text.encode("utf-8"), "two-plans.txt")
    (table,) = doc.attachments
    assert table.title == "活动一报名表"
    assert doc.quote(table.span).endswith("人数")  # not the second plan's title or sections


def test_items_of_every_task_and_the_attachments_are_in_the_graph():
    iris = IriScheme()
    quads = document_quads(_doc(), iris)
    doc = iris.document("rural-notice")

    def objects(subject: str, predicate: str) -> set[str]:
        return {q.object.value for q in quads if q.subject.value == subject and q.predicate.value == predicate}

    items = {q.subject.value for q in quads if q.object == NamedNode(PKG + "Item")}
    # Items of both tasks that have them, not only of the last one.
    assert items == {
        iris.item("rural-notice", 1, 1),
        iris.item("rural-notice", 1, 2),
        iris.item("rural-notice", 2, 1),
        iris.item("rural-notice", 2, 2),
    }
    assert objects(iris.item("rural-notice", 1, 2), RDFS_LABEL.value) == {"推进高标准农田建设"}
    first, second = iris.attachment("rural-notice", 1), iris.attachment("rural-notice", 2)
    assert {first, second} <= objects(doc, "http://purl.org/dc/terms/hasPart")
    assert objects(second, RDFS_LABEL.value) == {"任务分工表"}
    assert objects(second, PKG + "number") == {"2"}
    assert objects(iris.section("rural-notice", 2), PKG + "inAttachment") == {first}
    assert objects(iris.task("rural-notice", 1), PKG + "inAttachment") == {first}


def test_the_outline_lists_the_attachments_and_what_opens_in_them(empty_store):
    iris = IriScheme()
    ingest_record(empty_store, _doc(), iris)
    found = outline(empty_store, iris.document("rural-notice"))
    assert [(a.ordinal, a.number, a.label) for a in found.attachments] == [
        (1, "1", "某市2024年农村工作实施方案"),
        (2, "2", "任务分工表"),
    ]
    assert found.attachments[0].parts == [iris.section("rural-notice", 1), iris.section("rural-notice", 2)]
    assert found.attachments[1].parts == []
