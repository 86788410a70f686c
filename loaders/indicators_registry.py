"""The indicator registry: what targets measure, one entry per indicator, as hand-edited TOML.

Plans write one indicator in several ways (学前三年毛入园率, 学前教育三年毛入园率, 全市学前三年毛入园率,
学前三年毛入园率（%）). The registry lists national statistical and planning indicators once each,
with a stable ASCII ``id`` that becomes the indicator's IRI (``…/id/indicator/<id>``), its
official name, the variants in real use, the unit its values are stated in, and the documents
that define it. Like the program registry (:mod:`policykg.loaders.programs_registry`), the data
are one TOML file per domain under ``registry/indicators/`` beside this module, shipped in the
wheel; ``docs/indicators-registry.md`` describes the format.

:func:`indicator_key` is the form every spelling of a name is compared in: NFKC, quote marks and
blanks dropped, a leading scope (全市, 全省, 我县 …) and a trailing bracketed unit
(（%）, (万人)) cut. An indicator the registry does not list is still named by that key, so two
spellings that differ only so are one indicator.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from policykg.errors import RegistryError
from policykg.loaders.programs_registry import normalise, read_registry_file, text_field, text_list

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_KEYS = frozenset({"domain", "indicator"})
_ENTRY_KEYS = frozenset({"id", "name", "aliases", "unit", "sources", "note"})
#: A scope before the indicator's name: the whole of the plan's place (全市, 全省, 我县, 本区 …).
_SCOPE = re.compile(r"^(?:全|我|本)(?:国|省|区|市|州|县|旗|盟|镇|乡)")
#: A unit after the name, in brackets: 城市内涝防治达标率（%）, 新增就业(万人).
_UNIT_AFTER = re.compile(r"[（(][^（）()]{1,12}[）)]$")


def indicator_key(label: str) -> str:
    """The form two spellings of one indicator share (see the module's docstring)."""
    key = normalise(label)
    key = _UNIT_AFTER.sub("", key)
    stripped = _SCOPE.sub("", key)
    return stripped if len(stripped) >= 2 else key


@dataclass(frozen=True)
class RegisteredIndicator:
    id: str
    name: str
    aliases: tuple[str, ...]
    unit: str
    domain: str
    sources: tuple[str, ...]
    note: str = ""
    origin: str = ""  # the file the entry came from (for error messages)

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class IndicatorRegistry:
    """A validated set of indicators, indexed by id and by the key of every spelling."""

    def __init__(self, indicators: Iterable[RegisteredIndicator]) -> None:
        self.by_id: dict[str, RegisteredIndicator] = {i.id: i for i in indicators}
        self._by_key: dict[str, str] = {}
        for ind in self.by_id.values():
            for spelling in ind.spellings:
                key = indicator_key(spelling)
                other = self._by_key.get(key)
                if other is not None and other != ind.id:
                    raise RegistryError(
                        f"{ind.origin}: indicator {ind.id!r}: the spelling {spelling!r} is already claimed by "
                        f"indicator {other!r} ({self.by_id[other].origin})",
                        hint="a spelling must name one indicator; drop the alias from one of them",
                    )
                self._by_key[key] = ind.id

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[RegisteredIndicator]:
        return iter(self.by_id.values())

    def lookup(self, label: str) -> RegisteredIndicator | None:
        """The indicator ``label`` names (compared by :func:`indicator_key`), or None."""
        found = self._by_key.get(indicator_key(label))
        return self.by_id[found] if found else None

    def domains(self) -> dict[str, list[RegisteredIndicator]]:
        out: dict[str, list[RegisteredIndicator]] = {}
        for ind in self.by_id.values():
            out.setdefault(ind.domain, []).append(ind)
        return out


def _entry(raw: Any, index: int, domain: str, origin: str) -> RegisteredIndicator:
    if not isinstance(raw, Mapping):
        raise RegistryError(f"{origin}: [[indicator]] number {index} is not a table")
    raw_id = raw.get("id")
    where = f"{origin}: indicator {raw_id!r}" if isinstance(raw_id, str) and raw_id else f"{origin}: number {index}"
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)}")
    ind_id = text_field(raw_id, "id", where)
    if not _ID_RE.match(ind_id):
        raise RegistryError(f"{where}: id must be a lower-case ASCII slug like 'xueqian-sannian-maoruyuanlv'")
    name = text_field(raw.get("name"), "name", where)
    if not name:
        raise RegistryError(f"{where}: missing name")
    unit = text_field(raw.get("unit"), "unit", where)
    if not unit:
        raise RegistryError(f"{where}: missing unit (the unit its values are stated in, such as '%')")
    sources = text_list(raw.get("sources"), "sources", where)
    if not sources:
        raise RegistryError(f"{where}: missing sources (every entry needs at least one)")
    aliases = tuple(a for a in text_list(raw.get("aliases"), "aliases", where) if a != name)
    return RegisteredIndicator(
        ind_id, name, aliases, unit, domain, sources, text_field(raw.get("note"), "note", where), origin
    )


def parse_indicators(text: str, origin: str) -> list[RegisteredIndicator]:
    """The entries of one registry file (``origin`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{origin}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise RegistryError(f"{origin}: unknown top-level key(s) {', '.join(unknown)}")
    domain = data.get("domain")
    if not isinstance(domain, str) or not _ID_RE.match(domain):
        raise RegistryError(f'{origin}: missing domain (a slug such as domain = "education")')
    raw = data.get("indicator", [])
    if not isinstance(raw, list):
        raise RegistryError(f"{origin}: indicator must be an array of tables ([[indicator]])")
    out = [_entry(r, i, domain, origin) for i, r in enumerate(raw, 1)]
    ids = [i.id for i in out]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise RegistryError(f"{origin}: indicator {dup!r}: duplicate id in this file")
    return out


def bundled_files() -> list[Traversable]:
    """The indicator files that ship with policykg, in name order."""
    folder = files("policykg.loaders") / "registry" / "indicators"
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


@lru_cache(maxsize=1)
def _bundled() -> tuple[RegisteredIndicator, ...]:
    found: list[RegisteredIndicator] = []
    seen: dict[str, str] = {}
    for f in bundled_files():
        origin = f"registry/indicators/{f.name}"
        for ind in parse_indicators(read_registry_file(f, origin), origin):
            if ind.id in seen:
                raise RegistryError(f"{origin}: indicator {ind.id!r}: duplicate id (also in {seen[ind.id]})")
            seen[ind.id] = origin
            found.append(ind)
    return tuple(found)


def load_indicator_registry(paths: Sequence[Path] = ()) -> IndicatorRegistry:
    """The bundled registry with the user files ``paths`` merged on top (an existing id replaced
    whole, a new one added); :class:`~policykg.errors.RegistryError` for any problem."""
    merged = {i.id: i for i in _bundled()}
    for path in paths:
        path = Path(path)
        for ind in parse_indicators(read_registry_file(path, str(path)), str(path)):
            merged[ind.id] = ind
    return IndicatorRegistry(merged.values())


@lru_cache(maxsize=1)
def bundled_registry() -> IndicatorRegistry:
    """The bundled indicators, read once per process."""
    return load_indicator_registry()
