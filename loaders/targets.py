"""Quantified goals (``pkg:Target``): indicator, value, unit, comparator, deadline, scope, span.

A goal is read around a *quantity*: a number with a measure word (99%, 3.7万人, 3至5所,
百分之九十, 10/10万, 五所), or a blank where the source left the number out
("示范幼儿园 所"). Around it:

- the comparator comes from the words that touch the number: 保持在/达到/不少于 before,
  以上/以内/左右 after, 提高/下降 for changes (提高2个百分点), a range for Between;
  with no such word a rate is a floor (AtLeast) and a count is exact (新增3所);
- the indicator is the clause before the number (学前三年毛入园率保持在 -> 学前三年毛入园率),
  with framing verbs (实现, 确保, 完成 …), deadlines and place names taken off, or the
  words after it when the number comes first (选派100位名师到… -> 选派名师到…);
- the deadline is the nearest 到2020年 / 2017年底 earlier in the sentence;
- the scope is the divisions mentioned in the clause (确保呈贡、宜良…6个县区完成…).

What is not a goal is left out: dates (no measure word), ordinals (第28届), ratios (1:3),
formulas (1+7), document numbers (〔2018〕5号), anything quoted or inside 《》 (titles,
slogans such as “一村一幼”), ages that describe a population (3-6岁儿童), and counts in
Chinese numerals that merely sum up a list (……等六项改革, 两个工程). Chinese numerals
count only next to a goal verb or a comparator, since 一/两/三 are everywhere in prose.

A clause with a deadline and a goal verb but no number (力争到2017年底实现“一乡一中心”)
becomes a target without a value.

Why one module: a quantity and the goal around it are read with the same word tables
(measure words, the comparator words that touch the number, quoted and titled regions that
hold no goal), and each rule for one is tuned against the other on the same sentences; split,
a change to one table would have to be checked in two modules.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from policykg.loaders.indicator_tables import TableTarget, find_table_targets
from policykg.loaders.numerals import parse_number
from policykg.loaders.records import Comparator, DocumentRecord, EntityKind, PartRef, Span, TargetRecord
from policykg.loaders.scan import skipping

__all__ = ["find_targets", "find_quantities", "Quantity"]

# --- the pieces of a quantity -------------------------------------------------------------

_CN = "零〇一二两三四五六七八九十百千万亿"
# A whole run of digits, never a tail of one: a match may not start inside a run, and the run is
# taken possessively. Otherwise every position of a long digit string (a serial number, a
# table flattened to one line) starts a match that scans to its end and gives back digit by
# digit: quadratic, or worse, in the run's length.
_AR = r"(?<![0-9０-９])[0-9０-９]++(?:[.．][0-9０-９]++)?"
# A maximal run of numeral characters: never start or stop inside one (一两种 is not 两种).
_CN_NUM = rf"(?<![{_CN}])[{_CN}]+(?![{_CN}])"
_NUM = rf"(?:{_AR}|{_CN_NUM})"
_MULT = r"(?:万|亿|千万)"
# Measure words, longest first. 年/月/日 are absent on purpose (dates, durations) — 年一遇 (a return
# period: a flood standard) is the one measure with 年 —, and so are
# 届/期/级/类/种 (ordinals and kinds, not amounts).
# A count of times something is done to or by a counted thing (人次, 剂次 doses given, 车次,
# 场次) is a measure word of its own: a measure word + 次.
_UNITS = (
    "年一遇|个百分点|百分点|个千分点|千分点|[人剂车架班户台艘场件辆家项批]次|平方公里|平方米|立方米|公里|千米|公顷|"
    "小时|学时|课时|微克|毫克|千克|公斤|千瓦时|千瓦|兆瓦|"
    "元|岁|人|名|位|所|个|项|家|座|间|套|台|张|户|辆|条|部|门|篇|场|次|件|册|亩|吨|克|%|％|‰"
)
_UNIT = rf"(?:{_UNITS})"
# A rate written with a slash keeps its unit as written (30微克/立方米, 25万吨/年): the
# denominator is a measure of amount, space, time or population.
_PER = (
    r"(?:[/／](?P<{}>万人|千人|百人|立方米|平方米|平方公里|公顷|公里|千米|米|升|小时|年|月|日|天|周|人|户|亩|"
    r"吨|千克|公斤))"
)
_APPROX_TAIL = r"(?:多|余)"  # 100多所, 20余所: more than
_RANGE_SEP = r"(?:至|到|-|－|—|–|~|～)"

# Blanks are taken possessively (\s*+) for the same reason: nothing that follows one starts with
# a blank, and a run of 10 000 spaces after a number would otherwise be split every which way.
_QUANTITY_RE = skipping(
    re.compile(
        # 百分之九十, 千分之五
        rf"(?P<pctword>百分之|千分之)(?P<pnum>{_AR}|[{_CN}]+)"
        # 3至5所, 3%-5%, 3万至5万人
        rf"|(?P<lo>{_NUM})\s*+(?P<lomult>{_MULT})?\s*+(?P<lounit>%|％|‰)?\s*+{_RANGE_SEP}\s*+"
        rf"(?P<hi>{_NUM})\s*+(?P<himult>{_MULT})?\s*+(?P<runit>{_UNIT})"
        # 10/10万: a rate per population, per a power of ten (not 1/3, not 2020/2021)
        rf"|(?P<rnum>{_AR})\s*+/\s*+(?P<rper>(?:[1-9]0*\s*+万|10*)(?![0-9]))(?:人)?"
        # 99%, 3.7万人, 100多所, 五所
        rf"|(?P<num>{_NUM})\s*+(?P<mult>{_MULT})?\s*+(?P<more>{_APPROX_TAIL})?\s*+(?P<unit>{_UNIT}){_PER.format('per')}?"
        # The text's own measure word (突破50万标箱): one or two characters closing the phrase.
        # Only kept when a comparator stands before the number or after it (see find_targets).
        # Not a numeral nor a comparator (100万以上 is a bare number), nor what dates, ranks and kinds use.
        rf"|(?P<lnum>{_AR})\s*+(?P<lmult>{_MULT})?\s*+(?P<lunit>(?!以上|以下|以内|左右|[年月日号届期时级类万亿千百])[\u4e00-\u9fff]{{1,2}})"
        rf"{_PER.format('lper')}?(?=[，,；;。、）)\s]|$|以上|以下|以内|左右)"
    )
)

# The source left a blank for the number: "省一级示范幼儿园 所," (a space, then the measure word).
_BLANK_RE = skipping(
    re.compile(r"(?<=[\u4e00-\u9fff）)])[ \u3000\xa0]+(?P<unit>所|个|名|位|项|家|座)(?![\u4e00-\u9fff]{0,1}[人体性])")
)

_UNIT_NORMAL = {"名": "人", "位": "人", "％": "%", "百分点": "个百分点", "千分点": "个千分点"}

# --- the words around it --------------------------------------------------------------------

_BEFORE = [  # (pattern at the end of the text before the number, comparator); first match wins
    (r"(?:提高|提升|增加|增长|上升|扩大|增至|增到)(?:到|至)", Comparator.AT_LEAST),
    (r"(?:降低|下降|减少|压缩|缩减|降|减)(?:到|至)", Comparator.AT_MOST),
    # 超过 and 少于 also end 不超过 and 不少于: the bare forms must not follow 不.
    (
        r"不少于|不低于|不小于|不下于|至少|达到|达|(?<!不)超过|(?<!不)高于|(?<!不)多于|(?<!不)大于|突破|"
        r"保持在|稳定在|保持|稳定|维持在",
        Comparator.AT_LEAST,
    ),
    (r"不超过|不高于|不多于|不大于|控制在|(?<!不)低于|(?<!不)少于|(?<!不)小于|以内", Comparator.AT_MOST),
    (r"大约|约|近|将近|接近", Comparator.APPROXIMATELY),
    (r"提高|提升|增加|增长|上升|增幅为|增幅|增长率为|年均增长|扩大", Comparator.INCREASE_BY),
    (r"降低|下降|减少|压缩|缩减|压减|减", Comparator.DECREASE_BY),
]
_BEFORE_RE = [(re.compile(rf"(?:{p})\s*(?:为|在)?\s*$"), c) for p, c in _BEFORE]
# Whether any of them matches, in one search: most numbers have no comparator word before them.
_ANY_BEFORE_RE = re.compile("(?:" + "|".join(f"(?:{p})" for p, _ in _BEFORE) + r")\s*(?:为|在)?\s*$")
_AFTER_RE = re.compile(r"\s*(?P<w>及以上|以上|及以下|以下|以内|之内|左右|上下)")
#: Units of time and distance, after which a bare 内 means "within" (48小时内).
_SPAN_UNITS = frozenset({"小时", "分钟", "秒", "天", "日", "周", "个工作日", "工作日", "公里", "千米", "米"})
_AFTER_COMP = {
    "及以上": Comparator.AT_LEAST,
    "以上": Comparator.AT_LEAST,
    "及以下": Comparator.AT_MOST,
    "以下": Comparator.AT_MOST,
    "以内": Comparator.AT_MOST,
    "之内": Comparator.AT_MOST,
    "左右": Comparator.APPROXIMATELY,
    "上下": Comparator.APPROXIMATELY,
}

# Verbs that make a count a goal: something is to be built, trained, hired, sent.
_GOAL_VERBS = (
    "新增|新建|新开|新改扩建|改扩建|扩建|建成|建设|创建|创办|培育|培养|培训|招聘|招收|招生|选派|选送|选拔|"
    "引进|评选|认定|打造|扶持|资助|增设|改造|完成|实现|举办|开设|设立|组建|遴选|表彰|命名|达到|达"
)
_GOAL_VERB_END_RE = re.compile(rf"(?:{_GOAL_VERBS})$")
_GOAL_VERB_NEAR_RE = re.compile(rf"(?:{_GOAL_VERBS})[\u4e00-\u9fff]{{0,2}}$")
_GOAL_VERB_START_RE = re.compile(rf"(?:{_GOAL_VERBS})")
_GOAL_VERB_LEAD_RE = re.compile(rf"\s*(?:{_GOAL_VERBS})")

# The small patterns the goal rules apply to each number, compiled once: a call of re.sub(…)
# with a pattern string looks it up in re's cache each time, which on every number adds up.
_BLANKS_RE = re.compile(r"\s+")
_LATIN_RE = re.compile(r"[A-Za-z]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")
_EVERY_RE = re.compile(r"每年|每天|每周|每月")
_ALREADY_NAMED_RE = re.compile(r"(?:等|的|这|上述|以下|下列)$")
_CLAUSE_END_RE = re.compile(r"[，,；;：:。\n]")
_ENUM_COMMA_RE = re.compile(r"[、]")
_GOAL_WORD_RE = re.compile(r"的(?:目标|任务|要求)$")

# Words that frame a goal rather than name what is measured: dropped from the indicator.
_FRAMING_RE = re.compile(
    r"^(?:实现|完成|确保|力争|争取|保障|保证|做到|落实|逐步|努力|全面|基本|进一步|继续|着力|切实|使|让|推动|促进|"
    r"其中|全市|全省|全县|全区|全州|全国|共|累计|年内|今年|当年|到|至|于|在|并|且|和|及|以及|与|同时|、|\s|"
    r"(?:到|至|截至)?[0-9０-９]{4}年(?:[0-9]{1,2}月)?(?:底|末|前)?|要|将|应|须|必须)+"
)
_TRAILING_RE = re.compile(
    # 比上年 / 比2015年 frame a change; the 比 of 占比 (a share) is part of the indicator.
    r"(?:(?<!占)比(?:[0-9０-９]{4}年(?:底|末)?|上年|去年|上一年|基期)?"
    r"|(?:提高|提升|增加|增长|上升|扩大|降低|下降|减少|压缩|缩减|压减|增|降|减)(?:到|至)?"
    r"|保持在|稳定在|维持在|控制在|达到|不少于|不低于|不小于|不超过|不高于|不多于|至少|大约|约|近|"
    r"突破|超过|高于|低于|多于|少于|大于|小于|接近|将近|"
    r"分别|依次|(?<![人平])均|"  # 化学需氧量、氨氮减排量分别达到…, 两项管理率均达到…
    r"达|为|在|有|保持|稳定|的|、|\s)+$"
)
# A place-kind noun after a count (6个县区完成…): the count is of places doing something.
_PLACE_NOUN_RE = re.compile(r"^(?:县[（(]市、?区[)）]|县市区|县区|区县|县市|乡镇|乡|镇|村|县|区|市|州)")
_RATE_WORD_RE = re.compile(r"(?:率|比例|比重|占比|覆盖面|开展面|普及率)$")

# Past facts (现有, 已建成, 截至目前) are statistics, not goals.
_PAST_RE = re.compile(
    r"已经|已|现有|共有|截至目前|截止目前|目前|去年|上年末|"
    # a review of the plan period before (十三五期间完成…, 五年来累计…): achievements
    r"十[一二三四五]五(?:期间|时期|以来)|[一二三四五]年来|过去[一二三四五]年|近[一二三四五]年来"
)
# 从X提高到Y, 由X增至Y: X is where the goal starts (its baseline), not a goal of its own.
_TO_RE = re.compile(r"\s*(?:提高|提升|增加|增长|上升|扩大|下降|降低|减少|压减|缩短|缩减|降|增|升)?\s*(?:到|至)\s*")
_FROM_RE = re.compile(r"(?:从|由)\s*$")
# A formula (半年考评分值=日常监测（60%）+…) or a product (7×24小时) states no goal.
_FORMULA_RE = re.compile(r"[=＝×*]")
# A count of months or working days is a duration or a time limit (3个月内), not a count of things.
_DURATION_AFTER = re.compile(r"(?:月|工作日|季度|学期|年度)")
# A sentence led by a year, then a comma (2020年，全市…为32微克/立方米): a record of that year.
# It is past, not a goal, when the year is before the year the document was issued.
_RECORD_YEAR_RE = re.compile(r"[ \t\u3000]*(?:截至|截止)?\s*(?P<y>(?:19|20)[0-9]{2})\s*年(?:底|末)?\s*[，,]")

# A bound right before the number makes it the goal even when a noun follows (有效应对不低于50年一遇的暴雨).
_BOUND_BEFORE_RE = re.compile(r"(?:不低于|不少于|不小于|不超过|不高于|不多于)\s*$")
_SIZE_CLASS_RE = re.compile(r"(?<=以下)[\u4e00-\u9fff](?<![并且和或及的])")
_EXAMPLES_RE = re.compile(r"(?:\s*、\s*[\u4e00-\u9fff]{1,8})*\s*等\s*$")

_PERIODS = [
    (re.compile(r"每年|年均|每学年|逐年"), "year"),
    (re.compile(r"每天|每日"), "day"),
    (re.compile(r"每周"), "week"),
    (re.compile(r"每月"), "month"),
    (re.compile(r"每学期"), "term"),
]

# Blanks possessive and never at the start of a match: linear over a run of spaces.
_DEADLINE_RE = skipping(
    re.compile(
        r"(?:(?P<pre>到|至|截至|截止到|截止|于|在)\s*+)?(?P<y>(?:19|20)[0-9]{2})\s*+年\s*+"
        r"(?:(?P<m>[0-9]{1,2})\s*+月\s*+)?(?P<post>底|末|前|以前|年底|年末)?"
    )
)

# A goal without a number: a deadline, then a goal verb and what is to be achieved.
_QUALITATIVE_RE = skipping(
    re.compile(
        r"(?:(?:到|至|在)\s*+(?:19|20)[0-9]{2}\s*+年(?:[0-9]{1,2}月)?(?:底|末)?前?"
        r"|(?:19|20)[0-9]{2}\s*+年(?:[0-9]{1,2}月)?(?:底|末|前|底前|末前))\s*+[,，]?\s*+"
        r"(?P<goal>(?:基本|全面|率先|如期|按期)?(?:实现|完成|建成|达到|消除|普及)[^，,；;。！？\n]+)"
    )
)

# 分别/依次 before the number: the values that follow, listed with 、, go one to one onto the
# things listed before (化学需氧量、氨氮重点工程减排量分别达到1.2万吨、0.08万吨).
_RESPECTIVELY_RE = re.compile(r"分别|依次")
_VALUE_SEP_RE = re.compile(r"\s*(?:、|和|及|与)\s*")

_CLAUSE_BREAK = "，,；;。：:！？!?\n"
# A goal reads at most this far back for its clause. Real clauses run to 70 characters; a
# "clause" of thousands (a line with no punctuation) would otherwise be rescanned by every
# number in it, which is quadratic in the line's length.
_MAX_CLAUSE = 200
_SENTENCE_BREAK = "。！？!?\n"
_QUOTE_PAIRS = {"“": "”", "《": "》", "「": "」", "『": "』", "‘": "’", "〈": "〉", '"': '"'}
_QUOTE_MAX = 60  # a quote longer than this is an unbalanced mark, not a quote
_OPENING_MARK = re.compile("[" + re.escape("".join(_QUOTE_PAIRS)) + "]")
_CLAUSE_BREAK_RE = re.compile("[" + re.escape(_CLAUSE_BREAK) + "]")
_SENTENCE_BREAK_RE = re.compile("[" + re.escape(_SENTENCE_BREAK) + "]")  # a subset of the clause breaks


@dataclass
class Quantity:
    """One number-with-unit in the text (not yet judged a goal)."""

    span: Span  # the number, its unit and any 以上/以内 after it
    value: Decimal | None
    min_value: Decimal | None
    max_value: Decimal | None
    unit: str | None
    after: Comparator | None  # comparator read after the number (以上 …)
    chinese: bool  # written in Chinese numerals
    blank: bool = False  # the source left the number blank
    loose: bool = False  # the measure word is the text's own, not a known unit
    approx_more: bool = False  # 100多所


def _protected(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Quoted and titled stretches (“…”, 《…》): numbers there are names, commas there are not breaks.

    Scraped text has unbalanced marks (我的中国梦”“圆梦蒲公英”), so a stretch counts only when
    it closes within a short distance, on the same line and sentence, and a second opening
    mark before the close restarts it.
    """
    out = []
    i = start  # where the next stretch may open: after the last one taken
    for m in _OPENING_MARK.finditer(text, start, end):
        k = m.start()
        if k < i:
            continue
        opening = text[k]
        close = _QUOTE_PAIRS[opening]
        j = text.find(close, k + 1, min(end, k + _QUOTE_MAX))
        if j != -1:
            inner = text[k + 1 : j]
            if "\n" not in inner and "。" not in inner and (opening == close or opening not in inner):
                out.append((k, j + 1))
                i = j + 1
    return out


def _inside(pos: int, regions: list[tuple[int, int]], starts: list[int]) -> bool:
    k = bisect.bisect_right(starts, pos) - 1
    return k >= 0 and regions[k][0] <= pos < regions[k][1]


def _norm_unit(unit: str) -> str:
    return _UNIT_NORMAL.get(unit, unit)


def _number(s: str | None) -> Decimal | None:
    return parse_number(s) if s else None


def _mult(m: str | None) -> int:
    return {"万": 10_000, "亿": 100_000_000, "千万": 10_000_000}.get(m or "", 1)


def find_quantities(
    text: str, start: int = 0, end: int | None = None, regions: list[tuple[int, int]] | None = None
) -> list[Quantity]:
    """Numbers with measure words in ``text[start:end]`` that could state a goal.

    Excludes what is never an amount: ordinals, ratios, formulas, document numbers and
    anything quoted or titled (``regions``: ``_protected(text, start, end)`` when the caller
    has it already). Whether a quantity is a goal is decided by the caller.
    """
    end = len(text) if end is None else end
    if regions is None:
        regions = _protected(text, start, end)
    starts = [r[0] for r in regions]
    out: list[Quantity] = []
    for m in _QUANTITY_RE.finditer(text, start, end):
        s, e = m.start(), m.end()
        if _inside(s, regions, starts):
            continue
        before = text[max(0, s - 1) : s]
        after = text[e : e + 1]
        if before in "第〕]】号:：+＋/／.．" and before or _LATIN_RE.match(before or " "):
            continue  # 第28届, 〔2018〕5号, 1:3, 1+7, www.…
        if after and after in ":：+＋":
            continue
        chinese = False
        q: Quantity | None = None
        if m["pctword"]:
            v = parse_number(m["pnum"])
            if v is None:
                continue
            chinese = not m["pnum"][0].isdigit()
            q = Quantity(Span(s, e), v, None, None, "%" if m["pctword"] == "百分之" else "‰", None, chinese)
        elif m["lo"]:
            lo, hi = _number(m["lo"]), _number(m["hi"])
            if lo is None or hi is None:
                continue
            unit = _norm_unit(m["runit"])
            lo *= _mult(m["lomult"] or m["himult"])
            hi *= _mult(m["himult"])
            if lo >= hi:
                continue  # 2016-2020 and the like are spans of years, 5-3 is no range
            chinese = not m["lo"][0].isdigit()
            q = Quantity(Span(s, e), None, lo, hi, unit, None, chinese)
        elif m["rnum"]:
            v = parse_number(m["rnum"])
            per = m["rper"].replace(" ", "")
            if v is None:
                continue
            q = Quantity(Span(s, e), v, None, None, "/" + per, None, False)
        elif m["lnum"]:
            v = parse_number(m["lnum"])
            if v is None:
                continue
            unit = m["lunit"] + ("/" + m["lper"] if m["lper"] else "")
            q = Quantity(Span(s, e), v * _mult(m["lmult"]), None, None, unit, None, False, loose=True)
        else:
            raw = m["num"]
            chinese = not (raw[0].isdigit() or raw[0] in "０１２３４５６７８９")
            v = parse_number(raw)
            if v is None:
                continue
            v *= _mult(m["mult"])
            unit = m["unit"]
            if unit in ("个百分点", "百分点", "个千分点", "千分点"):
                unit = _norm_unit(unit)
            unit = _norm_unit(unit) + ("/" + m["per"] if m["per"] else "")  # 吨/年 as written
            q = Quantity(
                Span(s, e),
                Decimal(int(v)) if v == int(v) else v,
                None,
                None,
                unit,
                None,
                chinese,
                approx_more=bool(m["more"]),
            )
        a = _AFTER_RE.match(text, e)
        if a and a.end() <= end:
            q.after = _AFTER_COMP[a["w"]]
            q.span = Span(q.span.start, a.end())
        elif q.unit in _SPAN_UNITS and text.startswith("内", e) and e < end:
            q.after = Comparator.AT_MOST  # 48小时内放行, 5公里内: within a time or a distance
            q.span = Span(q.span.start, e + 1)
        out.append(q)
    for m in _BLANK_RE.finditer(text, start, end):
        if _inside(m.start(), regions, starts):
            continue
        out.append(Quantity(Span(m.start(), m.end()), None, None, None, _norm_unit(m["unit"]), None, False, blank=True))
    out.sort(key=lambda q: q.span.start)
    return out


# --- from quantities to targets ---------------------------------------------------------------


class _Context:
    """Breaks, quotes, parts and place mentions of one document, computed once."""

    def __init__(self, doc: DocumentRecord, start: int, end: int) -> None:
        self.doc = doc
        text = doc.text
        self.regions = _protected(text, start, end)
        self.region_starts = [r[0] for r in self.regions]
        # The breaks between the quoted stretches (sorted, apart), each gap scanned once.
        self.clause_breaks: list[int] = []
        self.sentence_breaks: list[int] = []
        gap = start
        for a, b in [*self.regions, (end, end)]:
            self.clause_breaks += [m.start() for m in _CLAUSE_BREAK_RE.finditer(text, gap, a)]
            self.sentence_breaks += [m.start() for m in _SENTENCE_BREAK_RE.finditer(text, gap, a)]
            gap = b
        self.tasks = sorted(doc.tasks, key=lambda t: t.span.start)
        self.first_task: dict[int, int] = {}  # section ordinal -> its first task's ordinal
        for t in doc.tasks:
            if t.section is not None:
                self.first_task.setdefault(t.section, t.ordinal)
        self.task_starts = [t.span.start for t in self.tasks]
        # A task's title ends at its own break: don't let a goal reach back into the title.
        self.title_ends = sorted(t.title_span.end for t in doc.tasks)
        self.sections = sorted(doc.sections, key=lambda s: s.span.start)
        self.section_starts = [s.span.start for s in self.sections]
        self.divisions = sorted(
            (m.span.start, m.span.end, m.key) for m in doc.mentions if m.kind is EntityKind.DIVISION
        )
        # The deadlines (到2020年, 2017年底) of the whole body, found once: a goal takes the last one
        # before it in its sentence, and rescanning the sentence for each goal is quadratic.
        self.deadlines = [
            (m.start(), d) for m in _DEADLINE_RE.finditer(text, start, end) if (d := _deadline_of(m)) is not None
        ]
        self.deadline_starts = [d[0] for d in self.deadlines]
        self.start, self.end = start, end

    def deadline(self, start: int, end: int) -> date | None:
        """The last deadline that begins in ``[start, end)``."""
        k = bisect.bisect_left(self.deadline_starts, end) - 1
        return self.deadlines[k][1] if k >= 0 and self.deadline_starts[k] >= start else None

    def clause_start(self, pos: int) -> int:
        k = bisect.bisect_left(self.clause_breaks, pos) - 1
        b = self.clause_breaks[k] + 1 if k >= 0 else self.start
        t = bisect.bisect_right(self.title_ends, pos) - 1
        if t >= 0 and self.title_ends[t] > b:
            b = self.title_ends[t]
        return max(b, self.part_start(pos), pos - _MAX_CLAUSE)

    def clause_end(self, pos: int) -> int:
        k = bisect.bisect_left(self.clause_breaks, pos)
        return self.clause_breaks[k] if k < len(self.clause_breaks) else self.end

    def sentence_start(self, pos: int) -> int:
        k = bisect.bisect_left(self.sentence_breaks, pos) - 1
        return max(self.sentence_breaks[k] + 1 if k >= 0 else self.start, self.part_start(pos))

    def part_start(self, pos: int) -> int:
        i = bisect.bisect_right(self.task_starts, pos) - 1
        if i >= 0 and pos < self.tasks[i].span.end:
            return self.tasks[i].span.start
        return self.start

    def part(self, span: Span) -> PartRef:
        i = bisect.bisect_right(self.task_starts, span.start) - 1
        if i >= 0 and span.start < self.tasks[i].span.end:
            return PartRef.task(self.tasks[i].ordinal)
        j = bisect.bisect_right(self.section_starts, span.start) - 1
        if j >= 0 and span.start < self.sections[j].span.end:
            return PartRef.section(self.sections[j].ordinal)
        return PartRef.document()

    def divisions_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        k = bisect.bisect_left(self.divisions, (start, -1, ""))
        out = []
        while k < len(self.divisions) and self.divisions[k][0] < end:
            if self.divisions[k][1] <= end:
                out.append(self.divisions[k])
            k += 1
        return out


def _comparator(before: str, q: Quantity) -> Comparator | None:
    if q.min_value is not None:
        return Comparator.BETWEEN
    if q.blank:
        return None
    prefix = None
    if _ANY_BEFORE_RE.search(before):
        for rx, comp in _BEFORE_RE:
            if rx.search(before):
                prefix = comp
                break
    if prefix in (Comparator.INCREASE_BY, Comparator.DECREASE_BY):
        return prefix
    if q.after:
        return q.after
    if prefix:
        return prefix
    if q.approx_more:
        return Comparator.AT_LEAST
    if q.unit in ("%", "‰", "个百分点") or (q.unit or "").startswith("/"):
        return Comparator.AT_LEAST  # a rate set as a goal is a floor unless the text says otherwise
    return Comparator.EXACTLY


def _deadline(text: str, start: int, end: int) -> date | None:
    """The last deadline in a short stretch of text (a qualitative goal's lead-in)."""
    best = None
    for m in _DEADLINE_RE.finditer(text, start, end):
        best = _deadline_of(m) or best
    return best


def _deadline_of(m: re.Match[str]) -> date | None:
    """The last day a deadline phrase allows; None for a bare year or an impossible month."""
    if not (m["pre"] or m["post"]):
        return None  # a bare year (2017年全市教育工作) dates the text, not a goal
    y = int(m["y"])
    if not m["m"]:
        return date(y, 12, 31)
    mo = int(m["m"])
    if not 1 <= mo <= 12:
        return None
    nxt = date(y + (mo == 12), mo % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _strip_places(s: str, offset: int, places: list[tuple[int, int, str]]) -> str:
    """Remove place names (they become the scope) from a piece of text starting at ``offset``."""
    chars = list(s)
    for a, b, _ in places:
        for i in range(max(a, offset), min(b, offset + len(s))):
            chars[i - offset] = ""
    return "".join(chars)


def _clean(s: str) -> str:
    s = _BLANKS_RE.sub("", s)
    prev = None
    while prev != s:
        prev = s
        s = _FRAMING_RE.sub("", s)
        s = _TRAILING_RE.sub("", s)
        s = s.strip("、，,；;：:和及与")
    return s


def _indicator(pre: str, post: str, q: Quantity) -> tuple[str, bool]:
    """The indicator's name, and whether the words after the number are part of it."""
    pre = _clean(pre)
    post = _BLANKS_RE.sub("", post).strip("、，,；;：:")
    post = _TRAILING_RE.sub("", post)
    if len(pre) > 12 and "的" in pre and _GOAL_VERB_START_RE.match(pre):
        head = pre.rsplit("的", 1)[1]  # 创建…普遍认可的特色高中学校: the head noun names it
        if len(head) >= 4:
            pre = head
    if len(pre) <= 2 and not _GOAL_VERB_END_RE.search(pre):
        pre = ""  # 支持, 推动: a bare verb of support says nothing of what is counted
    if post and (not pre or _GOAL_VERB_END_RE.search(pre) or _EVERY_RE.search(pre) and len(pre) <= 6):
        m = _PLACE_NOUN_RE.match(post)
        if not pre and m and len(post) > m.end():
            rest = post[m.end() :]
            if rest.endswith(m.group()[0]):  # 3个市创建…示范市: the phrase already names them
                return rest, True
            return f"{rest}的{m.group()}", True  # 6个县区完成验收 -> 完成验收的县区
        return pre + post, True
    if post and q.unit in ("%", "‰") and not _RATE_WORD_RE.search(pre):
        return pre + post + ("" if _RATE_WORD_RE.search(post) else "比例"), True
    return (pre, False) if pre else (post, bool(post))


def _is_goal_chinese(before: str, q: Quantity) -> bool:
    """A count in Chinese numerals is a goal only next to a goal verb or a comparator, and not
    when it sums up a list (……等六项, 建设两个工程 after a 、-list)."""
    if q.max_value is None and q.value is not None and q.value == 1 and q.after is None:
        return False  # 一所, 一个, 一批: an article, not a number
    if _ALREADY_NAMED_RE.search(before) or "、" in before:
        return False  # ……等六项, 确定的两个工程: a count of things already named
    if q.after is not None:
        return True
    if _ANY_BEFORE_RE.search(before):
        return True
    return bool(_GOAL_VERB_NEAR_RE.search(before) or _GOAL_VERB_LEAD_RE.match(_clean(before)))


def _list_items(phrase: str) -> list[str]:
    """The members of a 、-list (化学需氧量、氨氮重点工程减排量), brackets kept whole."""
    items, depth, cur = [], 0, ""
    for ch in phrase:
        depth += ch in "（(《“" and 1 or 0
        depth -= ch in "）)》”" and 1 or 0
        if ch == "、" and depth <= 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    return [x for x in items if x]


def _antecedent(text: str, verb: str, start: int, end: int) -> str:
    """``verb`` and its object, from the last clause in ``text[start:end]`` that has them.

    Used when the words before a number are only a verb (全市淘汰1500辆以上) that repeats one
    said with its object earlier in the sentence (加快淘汰国三及以下排放标准营运柴油货车).
    """
    if not 2 <= len(verb) <= 4 or not _HAN_RUN_RE.fullmatch(verb):
        return ""
    k = text.rfind(verb, start, end)
    if k == -1:
        return ""
    obj = _CLAUSE_END_RE.split(text[k + len(verb) : end], maxsplit=1)[0]
    obj = _TRAILING_RE.sub("", _BLANKS_RE.sub("", obj))
    return verb + obj if len(obj) >= 2 else ""


#: A section that looks back (现状与评价, 发展基础, 工作回顾, “十三五”成就): its figures are what
#: was achieved or is so now, not goals.
REVIEW_TITLE = re.compile(r"现状|回顾|成效|成就|发展基础|工作基础|基础与形势|工作总结|取得|进展情况")


class _Cover:
    """Whether an offset lies in one of some spans (overlapping or not): one bisection."""

    def __init__(self, spans: list[Span]) -> None:
        ordered = sorted((s.start, s.end) for s in spans)
        self.starts = [a for a, _ in ordered]
        self.reach: list[int] = []  # the furthest end of the spans that start up to here
        furthest = -1
        for _, b in ordered:
            furthest = max(furthest, b)
            self.reach.append(furthest)

    def __call__(self, pos: int) -> bool:
        k = bisect.bisect_right(self.starts, pos) - 1
        return k >= 0 and self.reach[k] > pos


def find_targets(doc: DocumentRecord) -> None:
    text = doc.text
    body = doc.body or Span(0, len(text))
    ctx = _Context(doc, body.start, body.end)
    review = [s.span for s in doc.sections if REVIEW_TITLE.search(s.title)]
    table_targets, tables = find_table_targets(text, body.start, body.end)
    in_review = _Cover(review)
    targets: list[TargetRecord] = [_from_table(doc, ctx, t) for t in table_targets if not in_review(t.span.start)]
    in_skipped = _Cover(review + tables)
    quantities = [q for q in find_quantities(text, body.start, body.end, ctx.regions) if not in_skipped(q.span.start)]
    prev_end = -1
    numbered_clauses: set[int] = set()
    skip: set[int] = set()  # later values of a 分别 list, read with the first
    baselines: dict[int, Decimal | None] = {}  # quantity index -> the value it starts from
    last_indicator: tuple[int, str] | None = None  # (sentence start, indicator) of the last goal
    for i, q in enumerate(quantities):
        if i in skip:
            continue
        s, e = q.span.start, q.span.end
        cstart = ctx.clause_start(s)
        left = max(cstart, prev_end if prev_end <= s else cstart)
        before = text[left:s]
        if q.chinese and not _is_goal_chinese(before, q):
            continue
        if q.loose and q.after is None and not _ANY_BEFORE_RE.search(before):
            continue
        # 从X提高到Y: X is Y's baseline, read with Y.
        if i + 1 < len(quantities) and _FROM_RE.search(text, cstart, s) and not quantities[i + 1].blank:
            to = _TO_RE.match(text, e)
            if to and to.end() == quantities[i + 1].span.start and quantities[i + 1].unit == q.unit:
                baselines[i + 1] = q.value
                continue
        # A quantity that qualifies a noun (50万元以上的行政村, 25户以上自然村…比例达到100%) is
        # part of another goal's indicator, not a goal.
        # A share before its population (100%的社区卫生服务中心完成中医馆设置) is a goal for that share.
        if (text.startswith("的", e) and not _BOUND_BEFORE_RE.search(before) and q.unit not in ("%", "‰")) or (
            _HAN_RE.match(text[e : e + 1])
            and any(ctx.clause_end(e) == ctx.clause_end(o.span.start) for o in quantities[i + 1 : i + 3])
            and not _GOAL_VERB_NEAR_RE.search(before)
            and q.unit not in ("%", "‰")
        ):
            continue
        # An upper bound before a noun names a size class (淘汰10万千瓦及以下燃煤机组, 35蒸吨以下锅炉):
        # what is to go, not a goal's value.
        if q.after is Comparator.AT_MOST and _SIZE_CLASS_RE.match(text, e):
            continue
        if _PAST_RE.search(text[cstart:s]):
            continue
        if _FORMULA_RE.search(text, cstart, ctx.clause_end(e)) or (q.unit == "个" and _DURATION_AFTER.match(text, e)):
            continue
        sentence = ctx.sentence_start(s)  # read once: several rules below start from it
        if doc.issued:
            r = _RECORD_YEAR_RE.match(text, sentence, s)
            if r and int(r["y"]) < doc.issued.year:
                continue
        # An age that describes a population (3-6岁儿童, 60岁以上老人) is not a goal.
        if q.unit == "岁" and _HAN_RE.match(text[e : e + 1]):
            continue
        cend = ctx.clause_end(e)
        nxt = quantities[i + 1].span.start if i + 1 < len(quantities) else cend
        post_end = min(cend, nxt)
        post = text[e:post_end]
        # The scope is the places named before the number (确保呈贡、宜良…6个县区…); a place
        # after it is where something goes (选派教师到大理市挂职), not whom the goal binds.
        places = ctx.divisions_in(left, s)
        pre_text = _strip_places(before, left, places)
        post_text = post
        # Words after the quantity are part of the goal only up to a new predicate.
        post_text = _ENUM_COMMA_RE.split(post_text, maxsplit=1)[0]
        if i in baselines:
            # The indicator stands before 从: 污水处理能力从3.5万吨/日提高到6万吨/日.
            pre_text = _FROM_RE.sub("", text[left : quantities[i - 1].span.start])
            pre_text = _strip_places(pre_text, left, places)
        indicator, used_post = _indicator(pre_text, post_text, q)
        if not indicator and not post_text.strip():
            # 加快淘汰国三…货车，全市淘汰1500辆以上: the bare verb before the number takes up
            # its object from an earlier clause of the same sentence.
            indicator = _antecedent(text, _clean(pre_text), sentence, cstart)
        if not indicator and last_indicator and last_indicator[0] == sentence and not _clean(pre_text):
            # …家庭医生数不低于4人，到2025年不低于4.66人: a later goal with its subject left out.
            indicator = last_indicator[1]
        if not indicator:
            continue
        last_indicator = (sentence, indicator)
        # The values listed after 分别 (1.2万吨、0.08万吨) go onto the things listed before it.
        group = [q]
        if _RESPECTIVELY_RE.search(before):
            while (
                i + len(group) < len(quantities)
                and not quantities[i + len(group)].blank
                and _VALUE_SEP_RE.fullmatch(text, group[-1].span.end, quantities[i + len(group)].span.start)
            ):
                group.append(quantities[i + len(group)])
        names = [indicator]
        if len(group) > 1:
            items = _list_items(indicator)
            names = items if len(items) == len(group) else [indicator] * len(group)
            skip.update(range(i + 1, i + len(group)))
        # The span: from the clause's first word to the end of the goal phrase.
        lead = left
        while lead < s and text[lead] in "、，,；; \u3000和及":
            lead += 1
        span_end = e + len(post.split("、", 1)[0].rstrip()) if used_post else e
        period = next((p for rx, p in _PERIODS if rx.search(text[cstart:s])), None)
        deadline = ctx.deadline(sentence, s)
        # 巩义、永城、林州等10个县（市）: places that end in 等 are examples of what is counted,
        # not the places the goal binds.
        if places and _EXAMPLES_RE.match(text, places[-1][1], s):
            places = []
        scope = sorted({code for _, _, code in places}, key=[p[2] for p in places].index)
        for k, member in enumerate(group):
            if k:  # a later value of a 分别 list: its own span end, the list's 以上 when it has none
                span_end = member.span.end
                if member.after is None and group[-1].after is not None:
                    member = dataclasses.replace(member, after=group[-1].after)
            span = Span(lead, span_end)
            targets.append(
                TargetRecord(
                    part=_owner(ctx, span),
                    indicator=names[k],
                    span=span,
                    value=None if member.blank else member.value,
                    min_value=member.min_value,
                    max_value=member.max_value,
                    unit=member.unit,
                    comparator=_comparator(before, member),
                    deadline=deadline,
                    divisions=list(scope),
                    value_missing=member.blank,
                    period=period,
                    baseline=baselines.get(i) if k == 0 else None,
                )
            )
        numbered_clauses.add(cstart)
        prev_end = span_end if span_end > e else e
    targets.extend(_qualitative(doc, ctx, numbered_clauses))
    targets.sort(key=lambda t: t.span.start)
    doc.targets.extend(targets)


def _owner(ctx: _Context, span: Span) -> PartRef:
    """The part a goal belongs to: the task it sits in — or, for a goal in a section's opening
    before its first task (主要预期目标是：… before （一）, an indicator table under the heading),
    that section's first task, which the opening introduces. A section without tasks keeps it."""
    part = ctx.part(span)
    if part.kind == "section" and part.ordinal in ctx.first_task:
        part = PartRef.task(ctx.first_task[part.ordinal])
    return part


def _from_table(doc: DocumentRecord, ctx: _Context, t: TableTarget) -> TargetRecord:
    """A goal of an indicator table, in the part the table sits in."""
    return TargetRecord(
        part=_owner(ctx, t.span),
        indicator=t.indicator,
        span=t.span,
        value=t.value,
        unit=t.unit,
        comparator=t.comparator,
        deadline=t.deadline,
        baseline=t.baseline,
        bindingness=t.bindingness,
    )


def _qualitative(doc: DocumentRecord, ctx: _Context, numbered: set[int]) -> list[TargetRecord]:
    """Goals with a deadline and no number: 力争到2017年底实现“一乡一中心,一县一示范”的目标."""
    text = doc.text
    out = []
    for m in _QUALITATIVE_RE.finditer(text, ctx.start, ctx.end):
        if _inside(m.start(), ctx.regions, ctx.region_starts):
            continue
        gs = m.start("goal")
        # The goal runs to the clause end, quotes included (their commas are not breaks).
        ge = ctx.clause_end(gs)
        if ctx.clause_start(m.start()) in numbered:
            continue
        goal = text[gs:ge]
        goal = _GOAL_WORD_RE.sub("", goal).strip()
        if not goal or find_quantities(text, gs, ge):
            continue
        cs = ctx.clause_start(m.start())
        places = ctx.divisions_in(cs, gs)  # 漾濞县力争2019年底前实现脱贫摘帽: the place leads the clause
        span = Span(cs, ge)
        out.append(
            TargetRecord(
                part=_owner(ctx, span),
                indicator=_clean_goal(goal),
                span=span,
                deadline=_deadline(text, m.start(), gs),
                divisions=[p[2] for p in places],
            )
        )
    return out


def _clean_goal(goal: str) -> str:
    return _BLANKS_RE.sub("", goal)
