"""Programs, regulations and organizations named in a document, and every place they occur.

Everything here is read from the *form* of the text, never from a list of names:

Programs (``pkg:Program``) are proper names of initiatives. Chinese policy prose
marks them in a few ways, and each way is one rule below:

* a quoted name that itself ends in a class noun: “国培计划”, “阿诗玛班”,
  “全面改薄——中小学教育信息化建设项目”;
* a quoted name followed by its class noun: “阳光亮眼”计划, “一村一幼”项目,
  “校校通”工程, “1+7”制度, “三区”人才支持计划教师专项计划;
* an unquoted name ending in a class noun that is the object of a verb of
  launching or carrying out (实施, 启动, 推进, 开展, 谋划 …): 实施名校建设工程,
  实施公路安全生命防护工程5000公里, 推进乡村旅游提质工程——“洋家乐”集聚区建设项目;
* a quoted name built as such an object: 推进“四好农村路”建设;
* a national programme, 国家 + name + class noun: 国家基本公共卫生服务项目;
* a name coordinated with one already found (X计划、Y计划; X和Y计划);
* quoted names listed before 等…活动 (“A”“B”等主题教育活动): named campaigns.

A quoted phrase that is none of these — a slogan such as “双驱动” or a list of
priorities (“…、…”四项重点) — is not a program. Unquoted 制度 and 班 are too
common as plain nouns (新闻发布制度) to count without quote marks.

Hierarchy: "X——Y" makes the program X——Y part of X; an umbrella written as a
numeral, a stem and a class noun (三名工程: three programs, each 名…工程) takes as
parts the programs of its section that share that stem and class noun.

Regulations are the titles in 《》, plus unmarked names ending in 条例 (always a
proper title) cited by a verb of compliance (贯彻, 落实, 执行 …); other unmarked
kinds (规定, 办法, 纲要, 指南 …) read too often as descriptions ("督导评估办法") and
are taken only when an issuing authority opens them (中央八项规定).

Organizations end in an organizational noun (教育厅, 基金会, 附属学校 …); the
name starts after the verb or conjunction before it.

Why one module: programs, regulations and organizations are found in one pass
(:func:`find_entities`) with one locator of tasks and sections, and share the word tables that
bound a name (``_COORD``, ``_NOT_IN_NAME``); the program rules, most of the module, are one
grammar of how policy prose marks a name.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from policykg.loaders.programs_registry import ProgramRegistry, RegisteredProgram
from policykg.loaders.records import (
    DependencyRecord,
    DocumentRecord,
    EntityKind,
    Mention,
    PartRef,
    ProgramRecord,
    Span,
)
from policykg.loaders.registry_match import RegistryMatcher, active_matcher
from policykg.loaders.scan import Words, skipping

_HAN = "\u4e00-\u9fff"
_CN_NUM = "一二三四五六七八九十两"

# Class nouns of initiatives; the longest first so 行动计划 wins over 计划.
_CLASS = ("行动计划", "计划", "工程", "项目", "行动", "活动")
_CLASS_QUOTED = _CLASS + ("制度", "班", "活动月", "宣传月", "活动周", "宣传周")  # the last four: a campaign period
_CLASS_RX = "|".join(_CLASS)
_CLASS_Q_RX = "|".join(_CLASS_QUOTED)

# What may follow the end of a name: punctuation, a particle or conjunction,
# or the end of the text. A class noun followed by more noun ("工程建设进度",
# "投资计划稽查") is a modifier, not the end of a name.
# A quantity or a comparator right after the class noun ends the name too: the
# name is followed by its target ("实施公路安全生命防护工程5000公里", "…活动不少于200场").
_BOUNDARY = (
    r"(?=$|[\s，,。．.；;、：:！!？?）)”\"’」《〈]|[的和与及等为中在]|建设|实施|\d|不(?:少|低|超|高)于|达到|超过)"
)

# Quotes: “…” (and 「…」), never across a line.
# A scrape may close a curly quote with a straight one (“一键游包头"): a pair all the same.
_CLOSE = r'(?:[”」]|"(?![^“\n]*”))'  # a closing quote, or a straight one where no curly one follows
_QUOTE = re.compile(rf"[“「]([^“”「」\n]{{1,60}}?){_CLOSE}")

# Quoted name followed by its class noun, maybe after a short modifier (“三区”人才支持计划教师专项计划).
_AFTER_QUOTE = re.compile(rf"([{_HAN}]{{0,14}}?)({_CLASS_Q_RX}){_BOUNDARY}")

# Generic modifiers between a quoted name and its class noun: “健康校园”创建活动 is
# the 健康校园 campaign; these words say what kind of activity, not which.
_GENERIC_MODIFIERS = {"创建", "主题", "系列", "专项", "评选", "宣传", "实践", "竞赛", "评比", "推广"}

# Verbs that launch or carry out an initiative; several may chain (启动实施, 组织开展好).
_LAUNCH = skipping(
    re.compile(r"(?:实施|启动|推进|开展|组织|谋划|推行|执行|部署|做实|做细|做好|抓好|落实|落细|完成|深化)+(?:好|了)?")
)
_CUE_VERB = re.compile(r"结合|依托|借助")
# A clause that opens with a works and its construction verb.
_WORKS_SUBJECT = re.compile(
    rf"(?:^|(?<=[。；;，,\n]))[ \t\u3000]*([{_HAN}0-9A-Za-z]{{4,24}}?)工程"
    rf"(?=(?:顺利|全面|正式|如期)?(?:建成|开工|投运|竣工|完工|通车|并网))",
    re.M,
)
# Where such a works ends: a search that jumps (in C) to 工程, where the one above, opening with
# assertions, is tried at every character.
_WORKS_BUILT = re.compile(r"工程(?=(?:顺利|全面|正式|如期)?(?:建成|开工|投运|竣工|完工|通车|并网))")
_CLAUSE_OPENERS = "。；;，,\n"


def _works_subjects(text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The matches of ``_WORKS_SUBJECT.finditer(text, start, end)``, found from their 工程.

    A match holds no clause mark and opens a clause (after one of 。；;，, or a line break), so
    each one is the match at the start of the clause that holds one of ``_WORKS_BUILT``'s
    hits; a clause opens at most one, and matches of different clauses never overlap.
    """
    tried = -1
    last_mark, scanned = -1, 0  # the last clause mark before ``scanned``: each stretch read once
    for hit in _WORKS_BUILT.finditer(text, start, end):
        k = hit.start()
        last_mark = max(last_mark, *(text.rfind(c, scanned, k) for c in _CLAUSE_OPENERS))
        scanned = k
        opening = last_mark + 1
        if opening <= tried or opening < start:
            continue
        tried = opening
        m = _WORKS_SUBJECT.match(text, opening, end)
        if m:
            yield m


_PLAN_OF_ACTION = re.compile(rf"(?:[{_CN_NUM}]年|攻坚)(?:行动计划|行动)$")
# An unquoted name: Han characters (and +, ——, digits, Latin for names like "互联网+"), ending in a class noun.
_UNQUOTED = re.compile(rf"([{_HAN}0-9A-Za-z+＋]{{2,24}}?(?:——[{_HAN}0-9A-Za-z]{{2,20}}?)?)({_CLASS_RX}){_BOUNDARY}")
# After a launching verb a name may embed a short quoted part: 提升工程“十三五”行动计划, “健康校园”创建活动.
# It may also be "X——Y", a part Y of the program X (乡村旅游提质工程——“洋家乐”集聚区建设项目).
_OBJECT_PIECE = rf"(?:[{_HAN}0-9A-Za-z+＋]|“[^“”\n]{{1,12}}?{_CLOSE})"
# The part Y may list places or objects (——安昌河、芙蓉溪综合整治项目).
_PART_PIECE = rf"(?:[{_HAN}0-9A-Za-z+＋、]|“[^“”\n]{{1,12}}?{_CLOSE})"
_NAMED_OBJECT = re.compile(
    rf"({_OBJECT_PIECE}{{2,30}}?(?:——{_OBJECT_PIECE}{_PART_PIECE}{{1,23}}?)?)({_CLASS_RX}){_BOUNDARY}"
)
# A quoted name, maybe a generic modifier, its class noun, and then more words
# ending in another class noun: the first is the program, the rest an activity
# about it (“三减三健”专项行动宣传活动 → 三减三健行动).
_NESTED = re.compile(rf"(“[^“”\n]{{1,40}}?{_CLOSE})([{_HAN}]{{0,4}}?)({_CLASS_RX})(?=[{_HAN}])")
# A quoted name built (建设) as the object of a launching verb is a campaign:
# 推进“四好农村路”建设, 推进“智慧交通”建设.
# 开展“信易贷”, 持续开展“四城通办”: a quoted name right after the verb, nothing after it, is too.
_QUOTED_BUILD = re.compile(rf"“([^“”\n]{{2,12}}?){_CLOSE}(?:建设)?(?=$|[\s，,。．.；;、：:！!？?）)]|[的和与及等])")
# A numbered set: two or more numbered parts (两国双园, 一云一池三平台, 三减三健), a name by its form.
_NUMBERED_SET = re.compile(r"^(?:[一二三四五六七八九十两双百千万][\u4e00-\u9fff]{1,3}){2,4}$")
# A name opened by 国家 (the state) and ending in a class noun is a national
# programme: 国家基本公共卫生服务项目, 国家重点研发计划. Not 国家级 (a rank).
_NATIONAL = re.compile(rf"国家(?!级)([{_HAN}]{{3,20}}?)({_CLASS_RX}){_BOUNDARY}")
# A box of a five-year plan (专栏3  城市排洪防涝工程) named after its programme.
_BOX = re.compile(
    rf"^[ \t\u3000]*专栏\s*[0-9{_CN_NUM}]+[ \t\u3000：:、.．]*"
    rf"(?P<name>[{_HAN}0-9“”]{{2,30}}?(?:{_CLASS_RX}))[ \t\u3000]*$",
    re.M,
)
# A name about money is a funding line, not a programme (国家专项资金项目).
_FUNDING = re.compile(r"资金|补助|补贴|投资|经费|贷款|基金")
_PERIOD = re.compile(rf"“[{_CN_NUM}]+五[”\"]")  # “十三五”: a five-year-plan period
_QUOTED_HEAD = re.compile(r'^“([^“”]+?)(?:”|"(?![^“]*”))(.*)$')
# Patterns applied to each candidate name, compiled once (not looked up in re's cache per call).
_STRAIGHT_CLOSE_RE = re.compile(r'“([^“”"]*)"(?![^“]*”)')  # a straight quote closing a curly one
_DIGIT_AFTER_RE = re.compile(r"\s*[0-9０-９]")
_COUNTED_KINDS_RE = re.compile(rf"[{_CN_NUM}\d]+[个项大类批]")
_COUNTED_CLASS_RE = re.compile(rf"[{_CN_NUM}]+[项大](?:{_CLASS_RX})")
_COUNTED_ITEMS_RE = re.compile(rf"[{_CN_NUM}\d]+[个项](?!目)")
_LINE_BREAK_RE = re.compile(r"\s*\n\s*")
# Conjunctions that coordinate a second name with a first.
# After an umbrella, a colon or 包括 opens the list of its parts (人才强市工程：青年英才计划、…).
_COORD = re.compile(r"[、和及与]|[：:]|，?(?:包括|主要包括)")
# A quoted list "“A”“B”…等…活动": named campaigns.
_LIST_TAIL = re.compile(rf"等[{_HAN}]{{0,8}}?(?:{_CLASS_RX}){_BOUNDARY}")

# A name containing one of these is a description, not a proper name
# ("丰富多彩的校园艺术活动", "高雅艺术进校园和戏曲进校园活动").
# (Not the 等 of 高等, 平等, 均等, the 及 of 普及, the 与 of 参与, the 和 of 和谐, 和平.)
_NOT_IN_NAME = re.compile(r"的|和(?![谐平美睦])|(?<!参)与|(?<![普涉危以])及|(?<![高同平中对均初优超上次])等|或")
# A stem that only says how many or what sort ("两个工程", "六项重点改革项目", "各类活动").
_GENERIC_STEM = re.compile(
    rf"(?:^(?:各|相关|有关|群众|向|对(?!口)|把|给|系列|专项|主题|一系列|多种|多项|丰富|重点|其他|其它|这些|上述|本(?=[市县区省州镇乡村校院级地次年期轮届]|单位|部门|系统|领域|行业)|部分|若干|一批)|[{_CN_NUM}\d]+[个项大类批]|^.{{0,2}}$)"
)
# Words that say what kind of activity, never which: a stem made only of these
# (集中宣传, 专题培训, 宣传教育) is a kind of work, not a proper name.
_ACTIVITY_WORDS = re.compile(
    r"(?:宣传|宣讲|培训|教育|集中|专题|主题|专项|系列|检查|督查|督导|整治|治理|示范|评比|评选|竞赛|"
    r"志愿服务|义诊|调研|学习|走访|慰问|排查|执法|监督|抽查|演练|交流|观摩|推广|创建|实践|服务|综合)+"
)
# Quoted content that is a slogan or a list rather than a name.
_SLOGAN = re.compile(r"[、，,；;。]")

# An umbrella: numeral + short stem + class noun (三名工程, 两基工程).
_UMBRELLA = re.compile(rf"^([{_CN_NUM}]+)([{_HAN}]{{1,2}})({_CLASS_RX})$")

# Regulations.
# A title may be broken across two lines where a PDF's text layer wraps it.
_BOOK = re.compile(r"《([^《》\n]{1,80}(?:\n[^《》\n]{1,80})?)》")
_CITE = skipping(re.compile(r"(?:贯彻|落实|执行|遵守|依据|根据|依照|遵照|按照|对照|学习|宣传)+(?:好)?"))
_REG_KINDS = "条例|规定|办法|细则|纲要|指南|规程|准则|法"
_REG_NAME = re.compile(rf"([{_HAN}0-9]{{2,30}}?)({_REG_KINDS})(?=$|[\s，,。；;、：:）)”]|[的和与及等]|精神|要求)")
# Unmarked kinds other than 条例 need an issuing authority at the start.
_AUTHORITY = re.compile(rf"^(?:中央|中共中央|国务院|全国人大|国家|教育部|[{_HAN}]{{2,6}}?(?:省|市|自治区|县))")

# What the title of a law, plan or policy document ends in (before a bracketed qualifier such as
# （试行）, （草案）, （2021—2025年））: a title in 《》 without one names a book, a play or a film.
_DOCUMENT_TITLE = re.compile(
    r"(?:法|条例|规定|办法|细则|纲要|规划|计划|方案|意见|通知|决定|决议|指南|指引|标准|规范|规程|准则|报告|要点|制度|"
    r"章程|守则|目录|清单|政策|措施|举措|公约|协定|宪法|建议|批复|通告|公告|规则|导则|名录|战略|纲领|路线图|白皮书|"
    r"行动|工程|规约|协议|备忘录|宣言|说明|解释|令|公报|实施意见|若干意见|大纲|细则|要求|条款|守则|手册)"
    r"(?:[（(][^（）()]{1,20}[）)])*$"
)

# Organizations.
_ORG = skipping(
    re.compile(
        # 大学 before 生, 位 or 城 is students, places, a campus town (扩大学位, 大学生就业), not a university.
        r"(?:教育局|教育厅|教育部|卫生健康委员会|委员会|基金会|附属学校|附属中学|附中|附小|大学(?![生位城])|研究院|研究所|人民政府)+"
        r"(?![\u4e00-\u9fff]{0,1}(?:级|系统|部门))"
    )
)
_ORG_BREAK = re.compile(
    r".*(?:[的和与及在对向由把将从]|引进|筹建|成立|办好|依托|联合|委托|会同|支持|按照|配合|举办|加强|推动|发挥)"
)


def find_entities(doc: DocumentRecord) -> None:
    """Fill ``doc.programs``, ``doc.regulations``, ``doc.organizations`` and their mentions."""
    body = doc.body or Span(0, len(doc.text))
    locate = _Locator(doc)
    _find_programs(doc, body, locate)
    _find_regulations(doc, body, locate)
    _find_organizations(doc, body, locate)


class _Locator:
    """Which task, section or the document an offset falls in (bisect over sorted spans)."""

    def __init__(self, doc: DocumentRecord) -> None:
        self.tasks = sorted((t.span.start, t.span.end, t.ordinal) for t in doc.tasks)
        self.sections = sorted((s.span.start, s.span.end, s.ordinal) for s in doc.sections)
        self.task_starts = [t[0] for t in self.tasks]
        self.section_starts = [s[0] for s in self.sections]

    def part(self, offset: int) -> PartRef:
        i = bisect.bisect_right(self.task_starts, offset) - 1
        if i >= 0 and self.tasks[i][0] <= offset < self.tasks[i][1]:
            return PartRef.task(self.tasks[i][2])
        i = bisect.bisect_right(self.section_starts, offset) - 1
        if i >= 0 and self.sections[i][0] <= offset < self.sections[i][1]:
            return PartRef.section(self.sections[i][2])
        return PartRef.document()

    def section_of(self, offset: int) -> int | None:
        i = bisect.bisect_right(self.section_starts, offset) - 1
        if i >= 0 and self.sections[i][0] <= offset < self.sections[i][1]:
            return self.sections[i][2]
        return None


# --------------------------------------------------------------------------- programs


def _stem(name: str) -> str:
    """The name without its class noun: the identity under which spellings merge."""
    for c in _CLASS_QUOTED:
        if name.endswith(c) and len(name) > len(c) + 1:
            return name[: -len(c)]
    return name


class _Programs:
    def __init__(self) -> None:
        self.found: list[tuple[str, str, Span]] = []  # (name, surface, span)
        self.covered: set[int] = set()  # offsets already inside a name: names are short, sets are fast

    def add(self, name: str, surface: str, span: Span) -> None:
        if not self.covered.isdisjoint(range(span.start, span.end)):
            return
        self.found.append((name, surface, span))
        self.covered.update(range(span.start, span.end))


def _unquote(s: str) -> str:
    s = _STRAIGHT_CLOSE_RE.sub(r"\1", s)  # a straight quote closing a curly one (“双随机"检查计划)
    return s.replace("“", "").replace("”", "").replace("「", "").replace("」", "")


def _canonical(head: str, cls: str) -> str:
    """The name without quote marks; a generic modifier after a quoted name is dropped
    (“健康校园”创建活动 is the 健康校园 campaign: 健康校园活动)."""
    q = _QUOTED_HEAD.match(head)
    if q and q.group(2) in _GENERIC_MODIFIERS:
        return q.group(1) + cls
    return _unquote(head) + cls


def _acceptable(stem: str) -> bool:
    return not (_NOT_IN_NAME.search(stem) or _GENERIC_STEM.search(stem) or _ACTIVITY_WORDS.fullmatch(stem))


def _find_programs(doc: DocumentRecord, body: Span, locate: _Locator) -> None:
    text = doc.text
    progs = _Programs()
    region_start, region_end = _program_region(doc, body)

    # 1. Names after a launching verb; first, as they give the fullest spelling.
    for v in _LAUNCH.finditer(text, region_start, region_end):
        m = _NAMED_OBJECT.match(text, v.end(), region_end)
        if m and v.group(0).endswith("完成") and _DIGIT_AFTER_RE.match(text[m.end() : m.end() + 2]):
            m = None  # 完成农村公路提升工程6000公里: a measure of work done, not a named programme
        if m and _acceptable(_unquote(m.group(1))):
            head, cls, start, end = m.group(1), m.group(2), m.start(), m.end()
            q = head.find("“")
            # With a quoted name inside, the words before it say for whom or where
            # (中小学“法律知识进课堂”活动): the quote names the program. A quoted
            # period (“十三五”) is not a name, so then the whole phrase is; so is
            # X——“Y”…, where the quote names a part of X.
            if q > 0 and not _PERIOD.match(head[q:]) and "——" not in head[:q]:
                head = head[q:]
            n = _NESTED.match(text, m.start() + m.group(0).find(head), end)
            if n and (not n.group(2) or n.group(2) in _GENERIC_MODIFIERS):
                head, cls, end = n.group(1) + n.group(2), n.group(3), n.end()
            progs.add(_canonical(head, cls), text[start:end], Span(start, end))
            continue
        # 推进“四好农村路”建设: a quoted campaign built as the verb's object.
        b = _QUOTED_BUILD.match(text, v.end(), region_end)
        if b and not _SLOGAN.search(b.group(1)) and not _PERIOD.match(b.group(0)) and _acceptable_quoted(b.group(1)):
            progs.add(b.group(1), text[b.start() : b.end(1) + 1], Span(b.start(), b.end(1) + 1))

    # After a cue of dependence (结合, 依托, 借助) a name is taken only in the form of a plan of
    # action (公交品质提升三年行动计划): 结合设施翻新维修工程 is ordinary work, not a programme.
    for v in _CUE_VERB.finditer(text, region_start, region_end):
        m = _NAMED_OBJECT.match(text, v.end(), region_end)
        if m and _PLAN_OF_ACTION.search(m.group(1) + m.group(2)) and _acceptable(_unquote(m.group(1))):
            progs.add(_canonical(m.group(1), m.group(2)), m.group(0), Span(m.start(), m.end()))

    # 金上至湖北特高压直流输电工程建成投运: a works named as the subject of its construction.
    for m in _works_subjects(text, region_start, region_end):
        if _acceptable(_unquote(m.group(1))):
            progs.add(m.group(1) + "工程", m.group(1) + "工程", Span(m.start(1), m.end(1) + 2))

    # 专栏3  城市排洪防涝工程: a plan's box is named after the programme it lists.
    for m in _BOX.finditer(text, region_start, region_end):
        # A box's title is a name by its place: 和 may join two works in it (雨水收集和调蓄工程).
        if not _GENERIC_STEM.search(_stem(m["name"])):
            progs.add(m["name"], m["name"], Span(m.start("name"), m.end("name")))

    # 国家…项目: a national programme, whatever verb stands before it.
    for m in _NATIONAL.finditer(text, region_start, region_end):
        if _national_ok(m.group(1)):
            progs.add(m.group(0), m.group(0), Span(m.start(), m.end()))

    # 2. Quoted names (with or without a following class noun) and quoted campaign lists.
    quotes = [m for m in _QUOTE.finditer(text, region_start, region_end)]
    in_campaign_list = _campaign_lists(text, quotes, region_end)
    for i, q in enumerate(quotes):
        content = q.group(1).strip()
        after = _AFTER_QUOTE.match(text, q.end(), min(region_end, q.end() + 20))
        # A quoted list is a slogan ("…、…"四项重点) unless a class noun names it
        # directly: “千村示范、万村整治”工程.
        listed = _SLOGAN.search(content.replace("——", ""))
        if not content or listed and not (after and not after.group(1)):
            continue
        # A two-character stem names a programme only as a numbered set (“两基”工程); else it is
        # a figure of speech (“地上工程”, “地下工程”).
        stem_ok = len(_stem(content)) >= 3 or (len(_stem(content)) == 2 and _stem(content)[0] in _CN_NUM)
        if content.endswith(_CLASS_QUOTED) and stem_ok and _acceptable_quoted(content):
            progs.add(content, q.group(0), Span(q.start(), q.end()))
        elif after and _acceptable_quoted(content) and not _NOT_IN_NAME.search(after.group(1)):
            progs.add(
                _canonical(q.group(0) + after.group(1), after.group(2)),
                text[q.start() : after.end()],
                Span(q.start(), after.end()),
            )
        elif in_campaign_list[i] and _acceptable_quoted(content):
            progs.add(content, q.group(0), Span(q.start(), q.end()))
        elif _NUMBERED_SET.match(content) and _QUOTED_BUILD.match(text, q.start()) and not _PERIOD.match(q.group(0)):
            # “两国双园”建设, “一云一池三平台”建设: a numbered set built or carried out.
            progs.add(content, q.group(0), Span(q.start(), q.end()))

    # 2b. Programs of the registry, in any spelling it knows (全面改薄, 两免一补, 河长制, 特岗计划):
    # many carry no class noun, or an unusual one, and no form rule above can see them.
    registry = active_matcher()
    for hit in registry.find(text, region_start, region_end):
        surface = text[hit.start : hit.end]
        progs.add(_unquote(surface), surface, Span(hit.start, hit.end))

    # 3. Names coordinated with one already found (X计划、Y计划 / X和Y计划), repeatedly.
    queue = list(progs.found)
    while queue:
        _, _, span = queue.pop()
        c = _COORD.match(text, span.end)
        if not c:
            continue
        m = _UNQUOTED.match(text, c.end(), region_end)
        if m and _acceptable(m.group(1)):
            before = len(progs.found)
            progs.add(m.group(1) + m.group(2), m.group(0), Span(m.start(), m.end()))
            if len(progs.found) > before:
                queue.append(progs.found[-1])

    # Merge spellings: one program per stem — or per registered program, whatever spellings
    # the document uses (全面改薄 and 全面改善贫困地区义务教育薄弱学校基本办学条件 are one) —
    # named by the most explicit spelling (with its class noun, and then the longest), quote
    # marks never part of it.
    def key_of(name: str) -> str:
        registered = _registered(registry, name)
        return f"registry:{registered.id}" if registered else _stem(name)

    by_stem: dict[str, list[tuple[str, str, Span]]] = {}
    for name, surface, span in progs.found:
        by_stem.setdefault(key_of(name), []).append((name, surface, span))
    canonical_of: dict[str, str] = {}
    for stem, items in by_stem.items():
        names = [n for n, _, _ in items]
        canonical = max(names, key=lambda n: (_stem(n) != n, len(n)))
        if stem.startswith("registry:"):
            # A registered programme is named by its official name where the document uses it
            # (五水共治, not the list it sums up: 治污水、防洪水、排涝水、保供水、抓节水).
            official = registry.registry.by_id[stem[len("registry:") :]].name
            canonical = next((n for n in names if _unquote(n) == official), canonical)
        canonical_of[stem] = canonical
        rec = ProgramRecord(canonical)
        registered = _registered(registry, canonical)
        if registered is not None:
            rec.registry_id = registered.id
        for spelling, surface, _ in items:
            if spelling != canonical:
                rec.alt_labels.add(spelling)
            if surface != canonical:
                rec.alt_labels.add(surface)
        doc.programs[canonical] = rec

    # X——Y: Y is a part of X; X is a program in its own right, named where it is written.
    for stem, items in list(by_stem.items()):
        canonical = canonical_of[stem]
        if "——" not in canonical:
            continue
        whole = canonical.split("——", 1)[0].strip("“”「」 ")
        if len(whole) < 2:
            continue
        parent = canonical_of.get(key_of(whole))
        if parent is None:
            parent = whole
            doc.programs[parent] = ProgramRecord(parent)
            registered = _registered(registry, parent)
            if registered is not None:
                doc.programs[parent].registry_id = registered.id
            canonical_of[key_of(whole)] = parent
        doc.programs[canonical].part_of = parent
        for _, _surface, span in items:
            # X as written before the dash: 乡村旅游提质工程, “美丽涪江”建设工程, or
            # 全面改薄 inside “全面改薄——…”.
            dash = text.find("——", span.start, span.end)
            if dash < 0:
                continue
            k = span.start
            if text[k] in "“「" and not any(c in "”」" for c in text[k:dash]):
                k += 1
            if dash - k >= 2:
                by_stem.setdefault(key_of(whole), []).append((whole, text[k:dash], Span(k, dash)))

    mentions: list[tuple[str, str, Span]] = []
    for stem, items in by_stem.items():
        for _, surface, span in items:
            mentions.append((canonical_of[stem], surface, span))

    # Later occurrences of a found name without a verb before it (a second
    # mention in another task). Only full names of four or more characters, so
    # a short stem never matches inside an unrelated word.
    covered = set(progs.covered)
    forms = [
        (canonical, form)
        for canonical in canonical_of.values()
        for form in sorted({canonical, *doc.programs[canonical].alt_labels}, key=len, reverse=True)
        if len(form) >= 4 and (form.endswith(_CLASS_QUOTED) or form.startswith(("“", "「")))
    ]
    where = _occurrences(text, {form for _, form in forms}, region_start, region_end)
    for canonical, form in forms:
        if form in where:
            for k in _one_after_another(where[form], len(form)):
                if not covered.isdisjoint(range(k, k + len(form))):
                    continue
                mentions.append((canonical, form, Span(k, k + len(form))))
                covered.update(range(k, k + len(form)))

    for key, _surface, span in sorted(mentions, key=lambda m: (m[2].start, m[2].end)):
        doc.mentions.append(
            Mention(EntityKind.PROGRAM, key, text[span.start : span.end], span, locate.part(span.start))
        )

    _umbrellas(doc, locate)
    _listed_parts(doc)
    _registry_links(doc, registry.registry)
    _dependencies(doc)


# What makes a programme the basis, vehicle or requirement of a task (annotation format v2):
# a cue right before its name (依托X, 借助X, 通过实施X, 结合X), or one around it (以X为抓手,
# 按照X要求, 在X基础上). A purpose (为X提供保障) or a mere mention is no dependency.
_CUE_BEFORE = re.compile(r"(?:依托|借助|通过实施|结合)[“「]?$")
_CUE_AROUND = (
    (re.compile(r"以[“「]?$"), re.compile(r"^[^，,。；;：:]{0,30}?为(?:依托|抓手|载体|平台|牵引)")),
    (re.compile(r"(?:按照|依照)[“「]?$"), re.compile(r"^[”」]?(?:的)?要求")),
    (re.compile(r"在[“「]?$"), re.compile(r"^[”」]?(?:的)?基础上")),
)


def _dependencies(doc: DocumentRecord) -> None:
    """Tasks that build on a programme, read from the cue words around its mention."""
    text = doc.text
    for m in doc.mentions:
        if m.kind is not EntityKind.PROGRAM or m.part.kind != "task":
            continue
        window = max(0, m.span.start - 6)
        before = text[window : m.span.start]
        after = text[m.span.end : m.span.end + 40]
        found = None
        if cue := _CUE_BEFORE.search(before):
            found = (window + cue.start(), m.span.end, cue.group(0).rstrip("“「"))
        else:
            for b, a in _CUE_AROUND:
                (opening, closing) = (b.search(before), a.match(after))
                if opening and closing:
                    found = (
                        window + opening.start(),
                        m.span.end + closing.end(),
                        opening.group(0).rstrip("“「") + "…" + closing.group(0).lstrip("”」"),
                    )
                    break
        if found is None:
            continue
        start, end, words = found
        doc.tasks[m.part.ordinal - 1].depends_on.add(m.key)
        doc.dependencies.append(DependencyRecord(m.part.ordinal, m.key, words, Span(start, end)))


# A numbered item that opens with a programme's name: 1.“光伏+地铁”工程。…
_ITEM_OPENING = re.compile(
    r"(?:^|\n)[ \t\u3000]*(?:\d{1,2}[.．、]|[（(]\d{1,2}[)）]|[（(][一二三四五六七八九十]+[)）])[ \t\u3000]*$"
)
# An umbrella followed by the list of its parts: U：A、B、C / U，包括A、B和C.
_LIST_OPENING = re.compile(r"^[”」]?(?:[：:]|，?(?:包括|即|主要包括|分别是))")


def _listed_parts(doc: DocumentRecord) -> None:
    """Parts of an umbrella programme that the text lists under it: the programmes that open the
    numbered items of a task whose title names the umbrella ((一)推进实施“光伏+”示范工程 /
    1.“光伏+地铁”工程 / 2.“光伏+铁路”工程 …), or that follow its name in a list (U：A、B、C)."""
    text = doc.text
    programs = sorted((m for m in doc.mentions if m.kind is EntityKind.PROGRAM), key=lambda m: m.span.start)
    starts = [m.span.start for m in programs]
    for task in doc.tasks:
        inside = programs[bisect.bisect_left(starts, task.span.start) : bisect.bisect_left(starts, task.span.end)]
        umbrellas = {m.key for m in inside if task.title_span.start <= m.span.start < task.title_span.end}
        if len(umbrellas) != 1:
            continue
        umbrella = next(iter(umbrellas))
        items = {
            m.key
            for m in inside
            if m.key != umbrella
            and m.span.start >= task.title_span.end
            and _ITEM_OPENING.search(text, task.span.start, m.span.start)
        }
        if len(items) >= 2:
            for key in items:
                if doc.programs[key].part_of is None:
                    doc.programs[key].part_of = umbrella
    for k, m in enumerate(programs):
        opening = _LIST_OPENING.match(text[m.span.end : m.span.end + 6])
        if not opening:
            continue
        listed = []
        pos = m.span.end + opening.end()
        for n in programs[k + 1 :]:
            gap = text[pos : n.span.start]
            if gap.strip("、和及与 ") or n.key == m.key:
                break
            listed.append(n.key)
            pos = n.span.end
        if len(listed) >= 2:
            for key in listed:
                if doc.programs[key].part_of is None:
                    doc.programs[key].part_of = m.key


def _registered(matcher: RegistryMatcher, name: str) -> RegisteredProgram | None:
    """The registered program ``name`` is a spelling of: as written, or with its class noun
    dropped (“一村一幼”项目 is 一村一幼)."""
    registry = matcher.registry
    found = registry.lookup(name)
    if found is None and _stem(name) != name:
        found = registry.lookup(_stem(name))
    return found


def _registry_links(doc: DocumentRecord, registry: ProgramRegistry) -> None:
    """What the registry knows of programs that are both in this document: a part of an
    umbrella (when the text did not say so itself), and the successor of an older program."""
    by_id = {rec.registry_id: name for name, rec in doc.programs.items() if rec.registry_id}
    for rec in doc.programs.values():
        if not rec.registry_id:
            continue
        entry = registry.by_id[rec.registry_id]
        if rec.part_of is None and entry.parent in by_id:
            rec.part_of = by_id[entry.parent]
        if entry.successor_of in by_id:
            rec.successor_of = by_id[entry.successor_of]


def _program_region(doc: DocumentRecord, body: Span) -> tuple[int, int]:
    """The body, and the title line too (a title may name a program)."""
    start = body.start
    if doc.title_span is not None:
        start = min(start, doc.title_span.start)
    return start, body.end


def _national_ok(stem: str) -> bool:
    """国家 + stem + class noun names a programme unless the stem describes (的, 和),
    counts, or is about money (国家专项资金项目)."""
    return not (
        _NOT_IN_NAME.search(stem)
        or _FUNDING.search(stem)
        or _COUNTED_KINDS_RE.search(stem)
        or stem.startswith(("各", "相关", "有关", "其他", "其它", "支持"))
    )


def _acceptable_quoted(content: str) -> bool:
    # A quoted name stays a name even with 的 inside ("我的中国梦"), but not a count phrase.
    # “十项行动”, “十大工程”: a count that is the whole name names a set of works.
    if _COUNTED_CLASS_RE.fullmatch(content):
        return True
    return not _COUNTED_ITEMS_RE.search(content) and len(content) <= 40


def _campaign_lists(text: str, quotes: list[re.Match[str]], limit: int) -> list[bool]:
    """For each quote: is it one of a run “A”“B”… (joined directly or by 、) that ends in 等…活动?

    The runs are found in one pass; walking each quote's run anew is quadratic in a long run.
    """
    out = [False] * len(quotes)
    i = 0
    while i < len(quotes):
        j = i
        while j + 1 < len(quotes) and text[quotes[j].end() : quotes[j + 1].start()] in ("", "、", "，"):
            j += 1
        if j > i and _LIST_TAIL.match(text, quotes[j].end(), limit):
            out[i : j + 1] = [True] * (j - i + 1)
        i = j + 1
    return out


#: Forms × characters below which one str.find pass per form (at tens of GB/s) costs less than
#: building a matcher for all of them (a compiled regex, ~0.25 ms).
_FIND_EACH = 4_000_000


def _occurrences(text: str, forms: set[str], start: int, end: int) -> dict[str, list[int]]:
    """Where each form occurs in ``text[start:end]``, overlaps included, in text order: on a short
    text a str.find pass per form, on a long one one pass for all (:class:`Words`)."""
    if len(forms) * (end - start) > _FIND_EACH:
        return Words(forms).occurrences(text, start, end)
    out: dict[str, list[int]] = {}
    for form in forms:
        k = text.find(form, start, end)
        while k >= 0:
            out.setdefault(form, []).append(k)
            k = text.find(form, k + 1, end)
    return out


def _one_after_another(starts: list[int], length: int) -> Iterator[int]:
    """Of a word's occurrences (sorted starts), those a search from the left finds, each
    search going on after the last one found: ``str.find`` from the end of the previous."""
    after = -1
    for k in starts:
        if k >= after:
            yield k
            after = k + length


def _umbrellas(doc: DocumentRecord, locate: _Locator) -> None:
    """三名工程 = three 名…工程 programs: parts share the stem's first characters and the class noun."""
    where: dict[str, set[int | None]] = {}
    for m in doc.mentions:
        if m.kind is EntityKind.PROGRAM:
            where.setdefault(m.key, set()).add(locate.section_of(m.span.start))
    from policykg.loaders.numerals import chinese_to_int

    for name in doc.programs:
        u = _UMBRELLA.match(name)
        if not u:
            continue
        count = chinese_to_int(u.group(1))
        if not count or count < 2:
            continue
        sections = where.get(name, set()) - {None}
        for stem_len in (1, 2):
            stem = u.group(2)[:stem_len]
            if len(u.group(2)) < stem_len:
                break
            parts = [
                p
                for p, r in doc.programs.items()
                if p != name
                and r.part_of is None
                and p.startswith(stem)
                and p.endswith(u.group(3))
                and len(p) > len(stem) + len(u.group(3))
                and (not sections or where.get(p, set()) & sections)
            ]
            if 2 <= len(parts) <= count:
                for p in parts:
                    doc.programs[p].part_of = name
                break


# --------------------------------------------------------------------------- regulations


def _find_regulations(doc: DocumentRecord, body: Span, locate: _Locator) -> None:
    text = doc.text
    found: list[tuple[str, Span]] = []
    for m in _BOOK.finditer(text, body.start, body.end):
        name = _LINE_BREAK_RE.sub("", m.group(1)).strip()
        if not _DOCUMENT_TITLE.search(name):
            continue  # 《生命册》, 《装台》: a novel, a play or a film, not a law, plan or policy
        # "关于印发《X》的通知" wraps the document X itself: not a citation.
        if name and not (
            doc.title
            and f"《{name}》" in doc.title
            and doc.title.startswith("关于", doc.title.find("关于"))
            and "印发" in doc.title
        ):
            found.append((name, Span(m.start(), m.end())))
    for v in _CITE.finditer(text, body.start, body.end):
        pos = v.end()
        while True:
            r = _REG_NAME.match(text, pos, body.end)
            if not r or _NOT_IN_NAME.search(r.group(1)):
                break
            name = r.group(0)
            if r.group(2) == "条例" or _AUTHORITY.match(name):
                found.append((name, Span(r.start(), r.end())))
            c = _COORD.match(text, r.end())
            if not c:
                break
            pos = c.end()
    for name, span in found:
        doc.regulations.add(name)
        doc.mentions.append(
            Mention(EntityKind.REGULATION, name, text[span.start : span.end], span, locate.part(span.start))
        )


# --------------------------------------------------------------------------- organizations


def _find_organizations(doc: DocumentRecord, body: Span, locate: _Locator) -> None:
    text = doc.text
    last_end = body.start
    for m in _ORG.finditer(text, body.start, body.end):
        # The name is the run of Han characters before the suffix, cut after the
        # last verb or particle in it and never reaching back past the previous name.
        start = m.start()
        floor = max(last_end, m.start() - 14)
        while start > floor and "\u4e00" <= text[start - 1] <= "\u9fff":
            start -= 1
        run = text[start : m.start()]
        cut = _ORG_BREAK.match(run)
        if cut:
            start += cut.end()
        name = text[start : m.end()]
        last_end = m.end()
        if len(name) < 3 or len(name) - (m.end() - m.start()) < 1:
            continue
        if m.group().startswith("大学") and m.start() - start < 2:
            continue  # a university is named by two characters or more (云南大学); 扩大学… is a verb
        doc.organizations.add(name)
        doc.mentions.append(Mention(EntityKind.ORGANIZATION, name, name, Span(start, m.end()), locate.part(start)))
