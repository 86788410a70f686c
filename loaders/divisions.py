"""Administrative divisions named in a document: records, mentions and the document's jurisdiction.

Names are looked up in the gazetteer (:mod:`policykg.loaders.gazetteer`). Official full
names (昆明市, 寻甸回族彝族自治县) and the usual ``X县``/``X州`` form of autonomous units
(寻甸县) are taken wherever they occur. Short names (呈贡, 宜良) are two characters and
collide with ordinary words (资源, 富民, 通道 are counties too), so a short name counts
only with evidence that a place is meant:

- a generic ending right after it that agrees with the kind of unit (呈贡县 in an older
  text for today's 呈贡区; not 会同市 for 会同县, nor the 市 of 会同市发展改革委);
- membership in an enumeration of places: ``呈贡、宜良、嵩明、禄劝、寻甸、东川6个县区``
  (a count of 县/区/市 after it, or members that all sit under one parent, or one
  member already named in full);
- it is a province (云南, 广西), whose short names are not ordinary words;
- it lies under the document's jurisdiction (呈贡 in a Kunming text).

Each accepted occurrence becomes a :class:`Mention` in the task, section or document
it sits in; ``doc.divisions`` gets the unit and every unit above it so ``pkg:within``
chains are complete.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from dataclasses import dataclass

from policykg.loaders import gazetteer as gz
from policykg.loaders.gazetteer import resolve_name  # re-exported for other modules
from policykg.loaders.records import DivisionLevel, DocumentRecord, EntityKind, Mention, PartRef, Span
from policykg.loaders.scan import Words

__all__ = ["find_divisions", "resolve_name", "infer_jurisdiction", "leading_place", "part_at"]

# Short names that are also everyday words of policy prose. They still count with a
# generic ending (资源县) or inside an enumeration of places, never on their own.
_COMMON_WORDS = frozenset(
    "资源 富民 通道 和平 长安 大方 平安 共和 红旗 新华 城关 中山 永和 安定 平和 东方 来宾 安康 "
    "长治 大同 大庆 文明 团结 友谊 民主 光明 新城 城区 郊区 矿区 江城 兴安 先锋 胜利 长寿 公安 "
    "开发 新兴 永定 宁安 太平 普陀 白云 青山 金山 南山 东区 西区 城中 城东 城西 城北 新市 桥东 "
    "桥西 河东 河西 向阳 清河 龙华 华容 正安 安远 崇义 和顺 协和 宜章 永新 永和 双桥 泰和 仁和 "
    "盐田 三江 延长 长宁 大安 安宁 万宁 吉安 平原 高平 洪洞 东港 海港 新区 "
    "永胜 宁陕 保康 保定 定远 远安 武功 华安 合作 辉南 大名 鼓楼 城阳 沙河 龙山 新乡".split()
)

# 6个县区, 五个县（市、区）, 3县: the count that closes an enumeration of places.
_CN_DIGITS = "零〇一二两三四五六七八九十百"
_ENUM_COUNT_RE = re.compile(
    rf"\s*(?:\d+|[{_CN_DIGITS}]+)\s*个?\s*"
    r"(?:县[（(]市、?区[)）]|县[（(]区[)）]|县市区|县区|区县|县市|市县|州市|市州|县|区|市|州|地区|地|盟|旗)"
)
# What may stand between two members of an enumeration.
# (Not the comma: it separates clauses as often as list members.)
_ENUM_SEP_RE = re.compile(r"\s*(?:、|和|及|与|以及)\s*")
_GENERIC_ENDINGS = "县区市州旗盟"
# 市 opening a word of its own: 市场, 市民, 市级, 市委, or the city's own body abbreviated
# (市发展改革委, 市生态环境局, 市教育局, 市政府办). After a short name it is not that name's ending.
_CITY_WORD_RE = re.compile(
    r"市(?:场|民|级|直|属|容|貌|政|值|区|域|县|委|长|内|外|面|井|情|"
    r"[\u4e00-\u9fff]{1,8}?(?:局|委员会|委|厅|办公室|办|中心|院))"
)


@dataclass
class _Hit:
    start: int
    end: int
    name: str
    codes: list[str]
    official: bool  # an official full name
    strong: bool  # accepted on its own (full name, X县 form, province short name)
    code: str | None = None


@functools.lru_cache(maxsize=1)
def _names() -> Words:
    """Every name of the gazetteer, to be found in a text (see :class:`~policykg.loaders.scan.Words`)."""
    return Words(gz.gazetteer().by_name)


def _longest_at(text: str, start: int, end: int) -> dict[int, int]:
    """The length of the longest gazetteer name that starts at each offset of ``text[start:end]``."""
    return _names().longest_at(text, start, end)


@functools.lru_cache(maxsize=8192)
def _strength(name: str) -> tuple[bool, bool]:
    """Whether a gazetteer name is an official full name, and whether it counts on its own."""
    g = gz.gazetteer()
    official = name in g.official and len(name) >= 3
    levels = {g.units[c].level for c in g.by_name[name]}
    # Three characters or more (寻甸县, 楚雄州, 西双版纳, 内蒙古) is rarely an ordinary
    # word; a province's two-character name (云南, 广西) neither.
    strong = name not in _COMMON_WORDS and (official or len(name) >= 3 or DivisionLevel.PROVINCE in levels)
    return official, strong


def _scan(text: str, start: int, end: int) -> list[_Hit]:
    """Longest gazetteer names in ``text[start:end]``, left to right, not overlapping."""
    g = gz.gazetteer()
    hits: list[_Hit] = []
    longest = _longest_at(text, start, end)
    starts = sorted(longest)
    i = start
    while i < end:
        k = bisect.bisect_left(starts, i)
        if k == len(starts):
            break
        i = starts[k]
        found = text[i : i + longest[i]]
        codes = list(g.by_name[found])
        official, strong = _strength(found)
        e = i + len(found)
        if found[-1] == "市" and found[:-1] in _COMMON_WORDS and _CITY_WORD_RE.match(text, e - 1, end):
            # 合作市场, 东方市民: a common word, then a word of its own that starts with 市.
            found, e = found[:-1], e - 1
            codes, official, strong = list(g.by_name.get(found, ())), False, False
            if not codes:
                i = e
                continue
        hit = _Hit(i, e, found, codes, official, strong)
        # A short name followed by a generic ending (呈贡县 written before 2011, 江油县 before 1988):
        # the ending is part of the mention and proves a place is meant, when it agrees with
        # the kind of unit (会同市 is no spelling of 会同县) and does not open a word of its own
        # (会同市发展改革委: 市发展改革委 is the city's commission, 会同 the verb "jointly with").
        if not strong and hit.end < end and text[hit.end] in _GENERIC_ENDINGS:
            ending = text[hit.end]
            fitting = [c for c in codes if gz.ending_fits(c, ending)]
            if fitting and not (ending == "市" and _CITY_WORD_RE.match(text, hit.end, end)):
                hit.codes = fitting
                hit.end += 1
                hit.strong = True
        hits.append(hit)
        i = hit.end
    return hits


def _enumerations(text: str, hits: list[_Hit]) -> list[list[_Hit]]:
    """Runs of hits separated only by 、/和/及: candidate enumerations of places."""
    runs: list[list[_Hit]] = []
    run: list[_Hit] = []
    for h in hits:
        if run and _ENUM_SEP_RE.fullmatch(text[run[-1].end : h.start]):
            run.append(h)
        else:
            if len(run) >= 2:
                runs.append(run)
            run = [h]
    if len(run) >= 2:
        runs.append(run)
    return runs


def _common_parent(g: gz.Gazetteer, run: list[_Hit]) -> str | None:
    """A parent that every member has a candidate under, if any."""
    parents: set[str] | None = None
    for h in run:
        ps = {p for c in h.codes if (p := g.units[c].parent)}
        parents = ps if parents is None else parents & ps
    return min(parents) if parents else None


def _accept_enumerations(text: str, hits: list[_Hit]) -> None:
    g = gz.gazetteer()
    for run in _enumerations(text, hits):
        counted = bool(_ENUM_COUNT_RE.match(text, run[-1].end))
        # Without a count, the members must be siblings (one parent has them all), and either
        # three of them or one already certain: two two-character words side by side may be chance.
        shared = _common_parent(g, run)
        anchored = any(h.strong for h in run)
        if counted or (shared and (len(run) >= 3 or anchored)):
            for h in run:
                h.strong = True
                if shared:  # members of one list share a parent: pick the sibling reading
                    inside = [c for c in h.codes if g.units[c].parent == shared]
                    if inside:
                        h.codes = inside


def _accept_after_province(text: str, hits: list[_Hit]) -> None:
    """Places listed right after their province (浙江省海宁、桐乡两地, 江苏省昆山、太仓等地): the
    province says where the short names lie, whatever the document's own jurisdiction."""
    g = gz.gazetteer()
    for k, head in enumerate(hits):
        provinces = [c for c in head.codes if g.units[c].level is DivisionLevel.PROVINCE]
        if not provinces or k + 1 == len(hits) or hits[k + 1].start != head.end:
            continue
        run = [hits[k + 1]]
        for h in hits[k + 2 :]:
            if not _ENUM_SEP_RE.fullmatch(text[run[-1].end : h.start]):
                break
            run.append(h)
        inside = [[c for c in h.codes if c in g.units and g.is_within(c, provinces[0])] for h in run]
        if all(inside):
            for h, codes in zip(run, inside, strict=True):
                h.codes, h.strong = codes, True


def infer_jurisdiction(doc: DocumentRecord, hits: list[_Hit] | None = None) -> str | None:
    """The division a document governs: from its publisher's or title's leading place name,
    else the most-mentioned prefecture or province (ties go to the prefecture)."""
    g = gz.gazetteer()
    # An inferred publisher was itself guessed from the text: only a stated one is evidence.
    stated = doc.publisher.name if doc.publisher and not doc.publisher.inferred else None
    for source in (stated, doc.title):
        code = leading_place(source) if source else None
        if code:
            return code
    if hits is None:
        return None
    counts: dict[str, float] = defaultdict(float)
    for h in hits:
        if not h.strong or not h.code:
            continue
        u = g.units[h.code]
        if u.level is DivisionLevel.COUNTY:
            if u.parent and g.units[u.parent].level is DivisionLevel.PREFECTURE:
                counts[u.parent] += 0.5  # a county named speaks a little for its prefecture
        else:
            counts[h.code] += 1
    if not counts:
        return None
    best = max(counts.items(), key=lambda kv: (kv[1], g.units[kv[0]].level is DivisionLevel.PREFECTURE))
    return best[0]


# After a place name at the head of an issuer's name or a title: the rest of a body's name
# (眉县|卫生健康局, 昆明市|人民政府), then the end, 关于 (…关于印发…的通知) or 文件 (a red head).
# A year may follow instead, as in a plan's own title (眉县2021年基层卫生健康重点工作实施方案).
_ISSUER_REST_RE = re.compile(
    r"[\u4e00-\u9fff（）()]{0,16}?(?:人民政府|政府|委员会|委|局|厅|办公室|办公厅|办)(?:$|关于|文件)"
    r"|(?:19|20)[0-9]{2}年"
)


def leading_place(source: str) -> str | None:
    """The division whose name opens ``source`` (an issuer's name or a title), or None.

    A certain name (昆明市, 寻甸县, 云南) counts as it stands. An official name of two
    characters (眉县, 沛县, 和县), which on its own may be chance, counts when the rest names
    an issuing body (眉县卫生健康局, 眉县卫生健康局关于印发…的通知) or a year (眉县2021年…方案).
    """
    lead = _scan(source, 0, len(source))
    if not lead or lead[0].start != 0:
        return None
    h = lead[0]
    g = gz.gazetteer()
    if not h.strong:
        if not (h.name in g.official and h.name not in _COMMON_WORDS and _ISSUER_REST_RE.match(source, h.end)):
            return None
        h.codes = [c for c in h.codes if g.units[c].name == h.name]
    return gz.rank(h.codes, h.name, None)


class _PartIndex:
    """Which task, section or the document a character offset sits in."""

    def __init__(self, doc: DocumentRecord) -> None:
        self.tasks = sorted(doc.tasks, key=lambda t: t.span.start)
        self.task_starts = [t.span.start for t in self.tasks]
        self.sections = sorted(doc.sections, key=lambda s: s.span.start)
        self.section_starts = [s.span.start for s in self.sections]

    def at(self, span: Span) -> PartRef:
        i = bisect.bisect_right(self.task_starts, span.start) - 1
        if i >= 0 and self.tasks[i].span.start <= span.start and span.end <= self.tasks[i].span.end:
            return PartRef.task(self.tasks[i].ordinal)
        j = bisect.bisect_right(self.section_starts, span.start) - 1
        if j >= 0 and self.sections[j].span.start <= span.start and span.end <= self.sections[j].span.end:
            return PartRef.section(self.sections[j].ordinal)
        return PartRef.document()


def part_at(doc: DocumentRecord, span: Span) -> PartRef:
    """The PartRef of the task (else section, else document) that holds ``span``."""
    return _PartIndex(doc).at(span)


# What turns a place name into the name of something else: a river, a road, a landmark.
_LANDMARK_RE = re.compile(
    r"(?:江|河|湖|路|街|大道|大街|大桥|机场|火车站|高铁站|寺|塔|公园|广场|东路|西路|南路|北路|中路|"
    r"电厂|电站|水电站|水库|码头|大坝|煤矿|油田|气田|枢纽)"
)


def _belongs(g: gz.Gazetteer, code: str, juris: str, named: set[str]) -> bool:
    """Whether a district written as such (…区: 老城区, 新区 name parts of any town) can be meant
    in a document that governs ``juris``: it lies in the same
    province, or the document names its prefecture or its province too (对口支援洛阳市老城区).
    Provinces, prefectures and counties are always places (对标浙江、上海; 江油县、呈贡县)."""
    unit = g.units.get(code)
    if unit is None or unit.level is not DivisionLevel.COUNTY or juris not in g.units:
        return True
    province = _province_of(g, code)
    if province is not None and province == _province_of(g, juris):
        return True
    return any(a.code in named for a in gz.with_ancestors(code) if a.code != code)


def _province_of(g: gz.Gazetteer, code: str) -> str | None:
    chain = gz.with_ancestors(code)
    return next((a.code for a in chain if a.level is DivisionLevel.PROVINCE), None)


def _regions(doc: DocumentRecord) -> list[tuple[int, int]]:
    body = doc.body or Span(0, len(doc.text))
    regions = [(body.start, body.end)]
    t = doc.title_span
    if t and not (body.start <= t.start and t.end <= body.end):
        regions.insert(0, (t.start, t.end))
    return regions


def find_divisions(doc: DocumentRecord) -> None:
    g = gz.gazetteer()
    text = doc.text
    hits: list[_Hit] = []
    for start, end in _regions(doc):
        region_hits = _scan(text, start, end)
        _accept_after_province(text, region_hits)
        _accept_enumerations(text, region_hits)
        hits.extend(region_hits)

    # First the strong hits alone, to learn the jurisdiction; then the weak ones in its light.
    for h in hits:
        if h.strong:
            h.code = gz.rank(h.codes, h.name, doc.jurisdiction)
    if doc.jurisdiction is None:
        doc.jurisdiction = infer_jurisdiction(doc, hits)
        if doc.jurisdiction:
            for h in hits:
                if h.strong:
                    h.code = gz.rank(h.codes, h.name, doc.jurisdiction)
    juris = doc.jurisdiction
    for h in hits:
        if h.strong or not juris or h.name in _COMMON_WORDS:
            continue
        inside = [c for c in h.codes if c in g.units and juris in g.units and g.is_within(c, juris)]
        if inside:  # 南昌 in a Jiangxi text: the city, not 南昌县 (rank prefers the higher level)
            h.code = gz.rank(inside, h.name, juris)

    named = {h.code for h in hits if h.code}
    parts = _PartIndex(doc)
    for h in hits:
        if not h.code:
            continue
        if _LANDMARK_RE.match(text, h.end):
            continue  # 钱塘江, 南京东路, 黄山机场: a river, road or landmark named after a place
        if juris and text[h.end - 1] == "区" and not _belongs(g, h.code, juris, named):
            continue  # 老城区 in a Zhejiang plan: a town's old quarter, not Luoyang's district
        for code in (h.code, *g.ancestors(h.code)):
            if code not in doc.divisions:  # a record only for a unit not yet described
                doc.divisions[code] = g.record(code)
        span = Span(h.start, h.end)
        doc.mentions.append(
            Mention(kind=EntityKind.DIVISION, key=h.code, surface=text[h.start : h.end], span=span, part=parts.at(span))
        )
    if juris and juris in g.units:
        for rec in gz.with_ancestors(juris):  # dcterms:spatial points at a described division
            doc.divisions.setdefault(rec.code, rec)
