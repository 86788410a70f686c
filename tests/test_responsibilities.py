"""Who carries out each task: lead and supporting units read from the bracket after a task or its sentences."""

from __future__ import annotations

import pyoxigraph as ox

from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.loaders.extract import extract_bytes

HEAD = "某市2022年工作要点\n一、重点任务\n"


def _roles(body: str) -> set[tuple[int, str, str]]:
    doc = extract_bytes((HEAD + body).encode("utf-8"), "plan.txt")
    return {(r.task, r.org, r.role) for r in doc.responsibilities}


def test_a_lead_verb_and_a_support_verb():
    assert _roles(
        "1.扩大出口。建立国别商品清单。（省商务厅牵头，合肥海关、省贸促会按职责分工配合）\n"
        "2.积极扩大进口。扩大铁矿石进口。（合肥海关负责）\n"
    ) == {(1, "省商务厅", "lead"), (1, "合肥海关", "support"), (1, "省贸促会", "support"), (2, "合肥海关", "lead")}


def test_labelled_lists():
    assert _roles(
        "1.推进大厅智能化。实现线上线下互动。（6月底完成，牵头考核单位：市政府办公室、市公安局）\n"
        "2.完善机制。（牵头单位：区住房城乡建设委；配合单位：区财政局、区民政局）\n"
        "3.做好服务。（责任单位：市教育局、市财政局）\n"
    ) == {
        (1, "市政府办公室", "lead"),
        (1, "市公安局", "lead"),
        (2, "区住房城乡建设委", "lead"),
        (2, "区财政局", "support"),
        (2, "区民政局", "support"),
        (3, "市教育局", "lead"),
        (3, "市财政局", "lead"),
    }  # 责任单位 names leads (annotation format)


def test_units_that_share_the_work_beside_a_lead_support_it():
    assert _roles("1.打造物流网络。（省发展改革委牵头，省交通运输厅、省港航集团按职责分工负责）\n2.其他工作。\n") == {
        (1, "省发展改革委", "lead"),
        (1, "省交通运输厅", "support"),
        (1, "省港航集团", "support"),
    }


def test_brackets_that_name_no_unit_or_no_role_assign_nothing():
    assert (
        _roles("1.提高质量。（包括牵头单位自身）（2022年）（持续推进）（含市属学校）\n2.加强协作。（由各地负责组织）\n")
        == set()
    )


def test_the_graph_says_who_leads_and_who_supports_with_each_unit_as_its_own_evidence():
    doc = extract_bytes(
        (HEAD + "1.扩大出口。（省商务厅牵头，合肥海关配合）\n2.其他工作。\n").encode("utf-8"), "plan.txt"
    )
    quads = document_quads(doc, IriScheme())
    store = ox.Store()
    store.extend(quads)
    rows = {
        (r["role"].value.rsplit("#", 1)[1], r["l"].value)
        for r in store.query(
            "SELECT ?role ?l WHERE { GRAPH ?g { ?t ?role ?o } "
            "GRAPH ?h { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
            " VALUES ?role { <https://w3id.org/policykg/ontology#ledBy> "
            "<https://w3id.org/policykg/ontology#supportedBy> } }"
        )
    }
    assert rows == {("ledBy", "省商务厅"), ("supportedBy", "合肥海关")}
    quotes = {
        r["q"].value
        for r in store.query(
            "SELECT ?q WHERE { GRAPH ?g { ?m <https://w3id.org/policykg/ontology#mentionOf> ?o ; "
            "<https://w3id.org/policykg/ontology#evidence>/<http://www.w3.org/ns/oa#exact> ?q } "
            'GRAPH ?h { ?o <http://www.w3.org/2000/01/rdf-schema#label> "合肥海关" } }'
        )
    }
    assert quotes == {"合肥海关"}  # each unit's own characters in the bracket: one mention, one unit


def test_a_conjunction_inside_a_units_name_does_not_split_it():
    assert _roles(
        "1.扩大出口。（省商务厅牵头，省发展改革委、省经济和信息化厅配合）\n2.其他。（市教育局和市财政局负责）\n"
    ) == {
        (1, "省商务厅", "lead"),
        (1, "省发展改革委", "support"),
        (1, "省经济和信息化厅", "support"),
        (2, "市教育局", "lead"),
        (2, "市财政局", "support"),
    }


def test_units_named_in_the_sentence():
    assert _roles(
        "1.建立监管体系。北京市大数据工作推进小组负责总体指导，北京市大数据工作推进小组办公室负责推进落实。\n"
        "2.开展试点。由市经济和信息化局会同监管部门组织做好试点示范。\n"
        "3.加强保障。市教育局牵头，市财政局、市人社局配合，完善经费机制。\n"
        "4.强化领导。成立由市交通委牵头的推进机制。\n"  # the verb before 由 is no part of the unit
    ) == {
        (1, "北京市大数据工作推进小组", "lead"),
        (1, "北京市大数据工作推进小组办公室", "lead"),
        (2, "市经济和信息化局", "lead"),
        (3, "市教育局", "lead"),
        (3, "市财政局", "support"),
        (3, "市人社局", "support"),
        (4, "市交通委", "lead"),
    }


def test_a_clause_that_is_not_all_units_names_nobody():
    assert _roles(
        "1.融入全国。积极融入全国数据中心配合体系，运营单位作为主体，负责建设运营。各地要负责落实。\n"
        "2.其他。加强管理（省商务厅牵头）。\n"
    ) == {(2, "省商务厅", "lead")}


def test_a_task_division_table_assigns_each_row_to_the_task_holding_its_item():
    """附件 任务分工表, one cell per line (an HTML table as read): rows name the plan's work items."""
    table = (
        "附件\n任务分工表\n序号\n工作事项\n主要内容\n牵头单位\n配合单位\n"
        "1\n扩大家庭医生来源。\n增加医生。\n各区政府\n市卫生健康委、市人社局\n"
        "引导医师下沉。\n市卫生健康委\n/\n"
        "2\n优化转诊服务。\n统筹资源。\n市医保局\n市卫生健康委\n"
    )
    assert _roles("1.扩大供给\n1.扩大家庭医生来源。增加医生。\n2.优化服务\n2.优化转诊服务。统筹资源。\n" + table) >= {
        (1, "市卫生健康委", "support"),
        (1, "市人社局", "support"),
        (1, "市卫生健康委", "lead"),
        (2, "市医保局", "lead"),
        (2, "市卫生健康委", "support"),
    }


def test_a_unit_named_by_its_level_alone_is_the_unit_of_the_documents_place():
    """市教育局 of a 昆明 plan and 市教育局 of a 北京 plan are two organizations."""
    from policykg.loaders.organizations import qualified_name

    assert qualified_name("市教育局", "530100") == "昆明市教育局"
    assert qualified_name("市教育局", "110108") == "北京市教育局"  # a municipality's 市
    assert qualified_name("区住房城乡建设委", "110108") == "海淀区住房城乡建设委"
    assert qualified_name("区教育厅", "450000") == "广西壮族自治区教育厅"
    assert qualified_name("市县教育局", "530100") is None and qualified_name("市教育局", None) is None
    assert qualified_name("昆明市教育局", "530100") is None  # already full

    store = ox.Store()
    for city in ("昆明市", "北京市"):
        doc = extract_bytes(
            f"{city}2022年教育工作要点\n一、重点任务\n1.扩大学位。新建学校。（市教育局牵头）\n2.其他。\n".encode(),
            f"{city}.txt",
        )
        store.extend(document_quads(doc, IriScheme()))
    rows = {
        (r["o"].value.rsplit("/", 1)[1], r["l"].value, r["full"].value)
        for r in store.query(
            "SELECT ?o ?l ?full WHERE { GRAPH ?g { ?t <https://w3id.org/policykg/ontology#ledBy> ?o } "
            "GRAPH ?h { ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l ; "
            "<http://www.w3.org/2004/02/skos/core#altLabel> ?full } }"
        )
    }
    assert rows == {("昆明市教育局", "市教育局", "昆明市教育局"), ("北京市教育局", "市教育局", "北京市教育局")}


def test_a_unit_belongs_to_the_division_its_full_name_opens_with():
    """昆明市教育局 is Kunming's (a prefecture), 云南省教育厅 the province's; short forms, names
    that are no division and names several divisions share give no place."""
    from policykg.loaders.organizations import place_of

    assert place_of("昆明市教育局") == "530100"
    assert place_of("云南省教育厅") == "530000"
    assert place_of("中共西藏自治区委员会") == "540000"
    assert place_of("海淀区住房城乡建设委") == "110108"
    # 朝阳区 of 北京 or of 长春: one IRI for the unit in every document, so no place rather than
    # one that depends on which document named it.
    assert place_of("朝阳区教育委员会") is None
    assert place_of("昆明教育局") is None  # a short form is not the official name
    assert place_of("教育部") is None and place_of("清华附中") is None

    doc = extract_bytes(
        "昆明市2022年教育工作要点\n一、重点任务\n1.扩大学位。新建学校。（牵头单位：市教育局；配合单位：省教育厅）\n2.其他。\n".encode(),
        "kunming.txt",
    )
    store = ox.Store()
    store.extend(document_quads(doc, IriScheme()))
    rows = {
        (r["o"].value.rsplit("/", 1)[1], r["code"].value, r["level"].value.rsplit("#", 1)[1])
        for r in store.query(
            "PREFIX pkg: <https://w3id.org/policykg/ontology#> "
            "SELECT ?o ?code ?level WHERE { GRAPH ?g { ?t pkg:ledBy|pkg:supportedBy ?o } "
            "GRAPH ?h { ?o <http://purl.org/dc/terms/spatial> ?d } "
            "GRAPH ?i { ?d pkg:adminCode ?code ; pkg:level ?level } }"
        )
    }
    assert rows == {("昆明市教育局", "530100", "Prefecture"), ("云南省教育厅", "530000", "Province")}
