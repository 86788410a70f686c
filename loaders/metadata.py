"""Where the body is, and what the document says about itself.

Scraped pages open with navigation, spam domains and labels ("发布时间", "信息来源")
and close with footers. The body starts at the first line that reads as prose or
as a numbered heading; the title is the last short line before it that names a
kind of document, with scraped domains cut off.
"""

from __future__ import annotations

import bisect
import re
from datetime import date

from policykg.loaders.records import PublisherRecord, Span
from policykg.loaders.scan import skipping
from policykg.loaders.structure import opens_with_number

# A host starts where no host character stands before it, and its labels are taken possessively:
# otherwise a long run of letters, digits or dashes is rescanned from each of its positions.
_URL = re.compile(
    r"(?<![A-Za-z0-9\-.])(?:https?://)?(?:www\.)?[A-Za-z0-9\-]++(?:\.[A-Za-z0-9\-]++)*\.(?:com|cn|net|org|gov|info|cc|top|vip)(?:\.cn)?(?![A-Za-z])(?:/[^\s\u4e00-\u9fff]*)?\.?"
)
_LABEL_LINE = re.compile(r"^\s*(发布时间|发布日期|信息来源|来源|作者|浏览次数|点击数|字号|打印|关闭|责任编辑)\s*[:：]")
_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})\s*[-年/.]\s*(?P<m>\d{1,2})\s*[-月/.]\s*(?P<d>\d{1,2})日?")
_PRINTED = re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日印发")
_PUBLISHED = re.compile(r"(发布时间|发布日期|成文日期|印发日期)\s*[:：]\s*")
_DOC_KINDS = re.compile(r"(要点|计划|方案|规划|意见|通知|办法|纲要|报告|决定|规定|细则|总结|安排)$")
_FOOTER = re.compile(r"(版权所有|ICP备|ICP证|技术支持|主办单位|联系电话|网站地图|Copyright|©)", re.I)
_PROSE_PUNCT = re.compile(r"[，,。；;：:]")
_CLAUSE_MARKS = re.compile(r"[，,。；;]")
# Lines after which nothing is body: page tools, related-link lists, the
# colophon of an official document (抄送 …, … 印发).
# Searched over the whole text at once (re.M: ^ and $ at each line), so its blanks stop at the
# line's end (a blank other than the line break, [^\S\n]): a match lies within one line.
# The lines that end a body (page furniture, 抄送, 主题词, the 印发 date), in three parts that
# each jump in C to their own candidates; _BODY_ENDS is their union. ICP is matched in any case
# (the classes are what re.IGNORECASE takes for I, C and P).
_W = r"[^\S\n]*"
_ENDS_ANYWHERE = r"打印本页|关闭窗口|【打印|【关闭|分享到|扫一扫|版权所有|[Iiİı][Cc][Pp][备证]|网站地图"
_ENDS_LINE = rf"^{_W}(?:相关(?:信息|链接|文章|阅读|新闻|文件){_W}$|上一篇|下一篇|抄送{_W}[:：]|主题词{_W}[:：])"
_ENDS_ISSUED = rf"\d{{4}}年\d{{1,2}}月\d{{1,2}}日印发{_W}$"
_BODY_ENDS = skipping(re.compile(f"({_ENDS_ANYWHERE}|{_ENDS_LINE}|{_ENDS_ISSUED})", re.M))
_ENDS_ANYWHERE_RE = skipping(re.compile(_ENDS_ANYWHERE))
_ENDS_LINE_RE = re.compile(_ENDS_LINE, re.M)
_ENDS_ISSUED_RE = re.compile(_ENDS_ISSUED, re.M)
_ISSUED_WORD = "日印发"
_ISSUED_REACH = 10  # the most characters of the date before 日印发 (2020年12月31)


def _body_end_at(text: str, pos: int) -> int | None:
    """Where ``_BODY_ENDS.search(text, pos)`` starts, or None.

    One pattern of all the parts tries its alternatives at every digit and space; the parts
    alone jump to theirs, and the 印发 date is looked for only on the lines that hold 日印发.
    """
    starts = [m.start() for rx in (_ENDS_ANYWHERE_RE, _ENDS_LINE_RE) if (m := rx.search(text, pos))]
    k = text.find(_ISSUED_WORD, pos)
    while k >= 0:
        line_end = text.find("\n", k)
        line_end = len(text) if line_end < 0 else line_end
        m = _ENDS_ISSUED_RE.search(text, max(pos, k - _ISSUED_REACH), line_end)
        if m:
            starts.append(m.start())
            break
        k = text.find(_ISSUED_WORD, line_end)
    return min(starts, default=None)


def strip_domains(line: str) -> str:
    return _URL.sub("", line).strip()


def _after_domains(line: str) -> tuple[str, int]:
    """The last stretch of a line that is not a domain or URL, stripped, and where it starts.

    A title run into a site's domain (www.x.com2017年工作要点) is the stretch after it; the
    title's span must cut exactly that stretch, so it cannot be the line with the domain
    taken out of its middle.
    """
    cuts = [0, *(x for m in _URL.finditer(line) for x in m.span()), len(line)]
    for a, b in reversed(list(zip(cuts[::2], cuts[1::2], strict=True))):
        piece = line[a:b]
        if piece.strip():
            return piece.strip(), a + len(piece) - len(piece.lstrip())
    return "", 0


def is_furniture(line: str) -> bool:
    s = line.strip()
    if not s:
        return True
    if _LABEL_LINE.match(s) or _FOOTER.search(s):
        return True
    rest = strip_domains(s)
    # A line that is mostly URLs and domains is a link list or spam.
    return len(rest) < len(s) * 0.5


def find_body(text: str) -> Span:
    """The span from the first prose or heading line to the last non-furniture line."""
    lines = text.split("\n")
    offsets = []
    pos = 0
    for ln in lines:
        offsets.append(pos)
        pos += len(ln) + 1
    first = None
    for i, ln in enumerate(lines):
        s = ln.strip()
        if is_furniture(s):
            continue
        # A numbered heading opens the body too: a plan may start at 一、 with no preamble.
        # A PDF breaks prose by width (lines of 30-odd characters): two clause marks make a
        # shorter line prose too.
        if (
            len(s) >= 40
            and _PROSE_PUNCT.search(s)
            or len(s) >= 20
            and len(_CLAUSE_MARKS.findall(s)) >= 2
            or opens_with_number(s)
        ):
            first = i
            break
    if first is None:
        first = next((i for i, ln in enumerate(lines) if not is_furniture(ln)), 0)
    last = len(lines) - 1
    # The first line after the first one of the body that ends it: one search over the text.
    ends = _body_end_at(text, offsets[first + 1]) if first + 1 < len(lines) else None
    if ends is not None:
        last = bisect.bisect_right(offsets, ends) - 2
    while last > first and is_furniture(lines[last]):
        last -= 1
    start = offsets[first]
    end = offsets[last] + len(lines[last])
    return Span(start, end)


# A notice's title can run to 250 characters (…关于印发《…》的通知); such a line is still a title
# when it reads as one: 关于 … ending in a kind of document, with no sentence stop inside.
_LONG_TITLE = re.compile(
    r"[^。；;！？!?\n]{0,120}关于[^。；;！？!?\n]{1,280}(?:通知|意见|方案|规划|决定|办法|要点|报告|批复)"
)


def find_title(text: str, body: Span, hint: str | None = None) -> tuple[str, Span] | None:
    """The title: the last short line before the body that names a kind of document.

    A title set on two lines is joined again (see :func:`_title_head`); its span then runs
    from the first line to the last, line break included, and the title has no break.
    """
    head = text[: body.start]
    pos = 0
    best = None
    lines: list[tuple[str, int]] = []  # (stripped line, its offset), for the lines before the title
    for ln in head.split("\n"):
        s = ln.strip()
        cleaned, at = _after_domains(ln)
        if (
            cleaned
            and not _LABEL_LINE.match(s)
            and _DOC_KINDS.search(cleaned)
            and (len(cleaned) <= 80 or _LONG_TITLE.fullmatch(cleaned))
        ):
            best = (cleaned, Span(pos + at, pos + at + len(cleaned)), len(lines))
        lines.append((s, pos + (ln.index(s) if s else 0)))
        pos += len(ln) + 1
    if best is None:
        return (hint.strip(), None) if hint else None  # type: ignore[return-value]
    title, span, index = best
    while index > 0 and len(title) <= 80:
        above, offset = lines[index - 1]
        if not _title_head(above, title):
            break
        title, span, index = above + title, Span(offset, span.end), index - 1
    return title, span


# An issuer alone on a line: a body's name, nothing else (眉县卫生健康局, 江西省交通运输厅).
_ISSUER_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}?(?:局|厅|委员会|委|办公室|办公厅|人民政府|政府|部|署)$")


def _title_head(above: str, title: str) -> bool:
    """Whether the line ``above`` a title is its first printed line.

    Official titles are set on two or three centred lines: the issuer, then 关于…的通知
    (眉县卫生健康局 / 关于印发《…》的通知), or a 《…》 broken inside (关于印发《眉县… /
    …方案》的通知). The line above belongs to the title when the title opens with 关于 and that
    line is an issuer's name alone, when a 《 opened above closes in the title, or when the title
    is only the tail 的通知 of a line broken by width.
    """
    if not above or is_furniture(above) or _DOC_KINDS.search(above):
        return False
    if above.count("《") > above.count("》") and title.count("》") > title.count("《"):
        return True
    if title.startswith("的") and not _PROSE_PUNCT.search(above):
        return True  # …印发《…》 / 的通知: a line broken by width, its tail alone on the next line
    return title.startswith("关于") and bool(_ISSUER_LINE.match(above))


def find_issued(text: str, body: Span) -> date | None:
    """发布时间 in the page furniture, else a date among the last lines of the body."""
    for m in _PUBLISHED.finditer(text):
        d = _DATE.match(text, m.end())
        if d:
            return _to_date(d)
    # The date under the issuer's signature, wherever the signature stands.
    for m in _SIGNATURE.finditer(text):
        d = _DATE.search(text, m.end("name"), m.end())
        if d:
            return _to_date(d)
    tail = text[max(body.start, body.end - 200) : body.end]
    dates = list(_DATE.finditer(tail))
    if dates:
        return _to_date(dates[-1])
    printed = _PRINTED.search(text)
    return _to_date(printed) if printed else None


def parse_date(value: str | None) -> date | None:
    """A date written in a page's metadata ("2019-02-26", "2019年2月26日 10:00")."""
    m = _DATE.search(value or "")
    return _to_date(m) if m else None


def _to_date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


# --------------------------------------------------------------------------- issuing body

# A line naming the issuer: 发文机关：X, 发布机构：X, 来源：X (when X is not a domain).
_ISSUER_LABEL = re.compile(
    r"(?:^|\s)(?:发文机关|发文单位|发布机构|发布单位|印发机关)\s*[:：]\s*(?P<name>[^\s:：|｜]{2,30})"
)
_SOURCE_LABEL = re.compile(r"(?:^|\s)(?:信息来源|来源|文章来源)\s*[:：]\s*(?P<name>[^\s:：|｜]{2,30})")
# A signature: the issuer alone on a line, its date on the next ("江西省交通运输厅\n2018年2月12日").
_SIGNATURE = re.compile(
    r"^[ \t\u3000]*(?P<name>[\u4e00-\u9fff（）()]{3,30}?"
    r"(?:局|厅|委员会|委|办公室|办公厅|人民政府|政府|部))[ \t\u3000]*\n"
    r"[ \t\u3000]*(?:19|20)\d{2}年\d{1,2}月\d{1,2}日[ \t\u3000]*$",
    re.M,
)
_ORG_NOUN = re.compile(r"(?:局|厅|委员会|委|办公室|办公厅|政府|部|署|院|会|中心|处|所)$")

# The domain of a text, from the policy vocabulary it keeps using, to the kind of
# bureau that issues such texts. Order matters only for ties. County and city
# governments name their bureaus 局 and their commissions 委员会; a province's
# departments are 厅.
_DOMAINS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    # (domain, words that signal it, city/county body, provincial body)
    ("教育", ("教育", "学校", "教师", "学生"), "教育局", "教育厅"),
    ("卫生健康", ("卫生", "健康", "医疗", "医院", "疾病"), "卫生健康委员会", "卫生健康委员会"),
    ("农业农村", ("农业", "农村", "农民", "耕地"), "农业农村局", "农业农村厅"),
    ("交通运输", ("交通", "公路", "运输"), "交通运输局", "交通运输厅"),
    ("民政", ("民政", "养老", "社会救助", "殡葬"), "民政局", "民政厅"),
    ("财政", ("财政", "预算", "税收"), "财政局", "财政厅"),
    ("人力资源社会保障", ("就业", "社会保障", "社保", "人才"), "人力资源和社会保障局", "人力资源和社会保障厅"),
    ("生态环境", ("生态环境", "污染", "环保", "排放"), "生态环境局", "生态环境厅"),
    ("住房城乡建设", ("住房", "城乡建设", "房地产", "建筑"), "住房和城乡建设局", "住房和城乡建设厅"),
    ("自然资源", ("自然资源", "国土", "矿产"), "自然资源局", "自然资源厅"),
    ("文化旅游", ("文化", "旅游", "文物"), "文化和旅游局", "文化和旅游厅"),
    ("科技", ("科技", "科学技术", "创新"), "科学技术局", "科学技术厅"),
    ("公安", ("公安", "治安", "警务"), "公安局", "公安厅"),
    ("水务", ("水利", "水务", "水资源", "河道"), "水务局", "水利厅"),
    ("体育", ("体育", "全民健身", "赛事"), "体育局", "体育局"),
    ("市场监管", ("市场监管", "食品安全", "市场主体"), "市场监督管理局", "市场监督管理局"),
    ("应急管理", ("应急", "安全生产", "防灾"), "应急管理局", "应急管理厅"),
)
# "全市教育工作" names both the level of the issuer and its domain.
_SCOPE = re.compile(r"全(?P<lvl>省|市|州|县|区)")
# Place names before an administrative suffix; the gazetteer decides which are real.
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:自治州|自治县|地区|省|市|州|县|区|盟|旗)")


def find_publisher_in_page(text: str, body: Span, hints: dict[str, str] | None = None) -> PublisherRecord | None:
    """The issuer as the page states it: an HTML hint, or a 发文机关/来源 line before the body."""
    if hints and hints.get("publisher"):
        return PublisherRecord(hints["publisher"].strip())
    head = text[: body.start]
    for rx, where in ((_ISSUER_LABEL, head), (_SIGNATURE, text), (_SOURCE_LABEL, head)):
        for m in rx.finditer(where):
            name = strip_domains(m["name"])
            if len(name) >= 2 and _ORG_NOUN.search(name):
                return PublisherRecord(name, evidence=Span(m.start("name"), m.end("name")))
    return None


def _resolve(name: str):
    """The division a place name names, through the division helper's gazetteer (None when unknown)."""
    try:
        from policykg.loaders import divisions
    except ImportError:  # pragma: no cover - the module ships with the package
        return None
    resolve = getattr(divisions, "resolve_name", None)
    if resolve is None:
        # TODO(divisions): resolve_name(name) -> DivisionRecord | None is the agreed hook;
        # until it exists no place is recognised and the jurisdiction stays unknown.
        return None
    try:
        return resolve(name)
    except Exception:  # a gazetteer problem must not lose the whole document
        return None


def _places(text: str, body: Span) -> list[tuple[str, int, object]]:
    """Places named in the body that the gazetteer knows: (surface, offset, DivisionRecord)."""
    out = []
    cache: dict[str, object] = {}
    for m in _PLACE.finditer(text, body.start, body.end):
        # Try the shortest name ending at this suffix first, then longer ones, so
        # "举办昆明市" resolves as 昆明市.
        end = m.end()
        for start in range(end - 3 if end - 3 >= m.start() else m.start(), m.start() - 1, -1):
            surface = text[start:end]
            if surface not in cache:
                cache[surface] = _resolve(surface)
            if cache[surface] is not None:
                out.append((surface, start, cache[surface]))
                break
    return out


def _level_of(division) -> str:
    level = getattr(division, "level", None)
    return getattr(level, "value", str(level))


def infer_publisher(doc) -> PublisherRecord | None:
    """Infer the issuer from the body: its domain (教育 → 教育局) and its place (昆明市).

    Used when the page does not name the issuer (scraped pages often lose it). The
    place is the division the body names most at the level its scope words use
    (全市 → a prefecture); the evidence is that place's first mention.
    """
    body = doc.body or Span(0, len(doc.text))
    text = doc.text[body.start : body.end]
    scores = [(sum(text.count(w) for w in words), i) for i, (_, words, _, _) in enumerate(_DOMAINS)]
    best, index = max(scores)
    if best < 3:
        return None
    _, _, city_body, province_body = _DOMAINS[index]
    place = _main_place(doc)
    if place is None:
        return None
    surface, offset, division = place
    name = getattr(division, "name", surface)
    bureau = province_body if _level_of(division) == "Province" else city_body
    return PublisherRecord(name + bureau, inferred=True, evidence=Span(offset, offset + len(surface)))


def _main_place(doc):
    body = doc.body or Span(0, len(doc.text))
    places = _places(doc.text, body)
    if not places:
        return None
    scope = [m["lvl"] for m in _SCOPE.finditer(doc.text, body.start, body.end)]
    wanted = None
    if scope:
        top = max(set(scope), key=scope.count)
        wanted = {"省": "Province", "市": "Prefecture", "州": "Prefecture", "县": "County", "区": "County"}[top]
    counts: dict[str, int] = {}
    first: dict[str, tuple[str, int, object]] = {}
    for surface, offset, division in places:
        code = getattr(division, "code", surface)
        counts[code] = counts.get(code, 0) + 1
        first.setdefault(code, (surface, offset, division))
    ranked = sorted(counts, key=lambda c: (_level_of(first[c][2]) == wanted, counts[c], -first[c][1]), reverse=True)
    return first[ranked[0]]
