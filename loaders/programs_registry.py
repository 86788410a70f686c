"""The program registry: national and provincial programs and campaigns, as hand-edited TOML.

A policy document names a program in many ways (全面改善贫困地区义务教育薄弱学校基本办学条件,
全面改薄, "全面改薄"工程 ...). The registry lists each program once, with a stable ASCII
``id`` that becomes its IRI (``…/id/program/<id>``), its official name, the short forms in
real use, and the documents that found it, so the extractor can give every spelling the
same node. The data are not code: one TOML file per domain under ``registry/programs/``
beside this module (shipped in the wheel as package data). ``docs/programs-registry.md``
describes the format and the rule for sources.

:func:`load_registry` reads the bundled files, then any user files in the same format on
top: a user entry whose ``id`` already exists replaces the bundled one whole, a new ``id``
adds a program. The merged result is validated as one; every problem is a
:class:`~policykg.errors.RegistryError` naming the file and the entry.

Links between programs are stated one way only: ``parent`` on the part (a 专项行动 points
at 健康中国行动) and ``successor_of`` on the newer program (义务教育薄弱环节改善与能力提升
points at 全面改薄). There is no ``predecessor_of``: one direction means one place to edit.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from policykg.errors import RegistryError

LEVELS = ("national", "provincial")
KINDS = ("program", "institution")
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DOMAIN_RE = _ID_RE
_FILE_KEYS = frozenset({"domain", "program"})
_ENTRY_KEYS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "parent",
        "successor_of",
        "ministry",
        "start_year",
        "level",
        "province",
        "kind",
        "sources",
        "note",
    }
)
# Quote marks a document may wrap a short name in (“全面改薄”, 「千万工程」, "三支一扶").
# Full-width/half-width forms are folded by NFKC first, so ＂ and ＇ arrive here as " and '.
_QUOTES = str.maketrans("", "", "“”‘’「」『』\"'〝〞")


@lru_cache(maxsize=65536)
def normalise(surface: str) -> str:
    """The form two spellings of one name share: NFKC (full-width letters, digits and
    punctuation to their half-width forms), quote marks dropped, whitespace removed.

    Kept per spelling: a document asks for the same few names again and again."""
    text = unicodedata.normalize("NFKC", surface).translate(_QUOTES)
    return "".join(text.split())


@dataclass(frozen=True)
class RegisteredProgram:
    """One program as the registry states it. Empty strings and ``None`` mean "not known"."""

    id: str
    name: str
    aliases: tuple[str, ...]
    parent: str
    successor_of: str
    ministry: str
    start_year: int | None
    level: str
    province: str
    domain: str
    sources: tuple[str, ...]
    kind: str = "program"  # "institution" for standing systems such as 河长制
    note: str = ""
    origin: str = ""  # the file the entry came from (for error messages), not part of the data

    @property
    def spellings(self) -> tuple[str, ...]:
        """The official name first, then each alias."""
        return (self.name, *self.aliases)


class ProgramRegistry:
    """A validated set of programs, indexed by id and by every spelling."""

    def __init__(self, programs: Iterable[RegisteredProgram]) -> None:
        self.by_id: dict[str, RegisteredProgram] = {p.id: p for p in programs}
        self._by_surface: dict[str, str] = {}
        self._surfaces: dict[str, str] = {}
        self._validate()

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[RegisteredProgram]:
        return iter(self.by_id.values())

    def __contains__(self, program_id: object) -> bool:
        return program_id in self.by_id

    def lookup(self, surface: str) -> RegisteredProgram | None:
        """The program that ``surface`` names exactly (after :func:`normalise`), or ``None``."""
        program_id = self._by_surface.get(normalise(surface))
        return self.by_id[program_id] if program_id else None

    def surfaces(self) -> dict[str, str]:
        """Every spelling -> program id: each name and alias as written, and its normalised form
        where that differs. Feed it to a multi-pattern matcher (longest match first)."""
        return dict(self._surfaces)

    def domains(self) -> dict[str, list[RegisteredProgram]]:
        """Programs grouped by domain, in file order."""
        out: dict[str, list[RegisteredProgram]] = {}
        for p in self.by_id.values():
            out.setdefault(p.domain, []).append(p)
        return out

    def successors(self, program_id: str) -> list[RegisteredProgram]:
        """The programs that state ``successor_of = program_id``."""
        return [p for p in self.by_id.values() if p.successor_of == program_id]

    def children(self, program_id: str) -> list[RegisteredProgram]:
        """The programs that state ``parent = program_id``."""
        return [p for p in self.by_id.values() if p.parent == program_id]

    # -- validation -----------------------------------------------------------------------------

    def _validate(self) -> None:
        for p in self.by_id.values():
            for spelling in p.spellings:
                key = normalise(spelling)
                other = self._by_surface.get(key)
                if other is not None and other != p.id:
                    first = self.by_id[other]
                    raise RegistryError(
                        f"{_where(p)}: the spelling {spelling!r} is already claimed by program "
                        f"{other!r} ({first.origin})",
                        hint="a spelling must name one program; drop the alias from one of them",
                    )
                self._by_surface[key] = p.id
                self._surfaces[spelling] = p.id
                self._surfaces.setdefault(key, p.id)
        for link in ("parent", "successor_of"):
            for p in self.by_id.values():
                target = getattr(p, link)
                if target and target not in self.by_id:
                    raise RegistryError(f"{_where(p)}: {link} {target!r} is not the id of any program")
            for p in self.by_id.values():
                seen = [p.id]
                target = getattr(p, link)
                while target:
                    if target in seen:
                        chain = " -> ".join([*seen, target])
                        raise RegistryError(f"{_where(p)}: its {link} chain is a cycle: {chain}")
                    seen.append(target)
                    target = getattr(self.by_id[target], link)


def _where(p: RegisteredProgram) -> str:
    return f"{p.origin}: program {p.id!r}"


def text_field(value: Any, key: str, where: str) -> str:
    """A string field of a registry entry, stripped; "" when absent (shared by the indicator registry)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {key} must be a string, not {type(value).__name__}")
    return value.strip()


def text_list(value: Any, key: str, where: str) -> tuple[str, ...]:
    """A list-of-strings field of a registry entry, stripped, without repeats; () when absent."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RegistryError(f"{where}: {key} must be a list of strings")
    out: list[str] = []
    for v in value:
        v = v.strip()
        if not v:
            raise RegistryError(f"{where}: {key} has an empty string")
        if v not in out:
            out.append(v)
    return tuple(out)


def _entry(raw: Any, index: int, domain: str, origin: str) -> RegisteredProgram:
    if not isinstance(raw, Mapping):
        raise RegistryError(f"{origin}: [[program]] number {index} is not a table")
    raw_id = raw.get("id")
    where = (
        f"{origin}: program {raw_id!r}" if isinstance(raw_id, str) and raw_id else f"{origin}: program number {index}"
    )
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        hint = "state links one way: successor_of on the newer program" if "predecessor_of" in unknown else None
        raise RegistryError(f"{where}: unknown field(s) {', '.join(unknown)}", hint=hint)
    program_id = text_field(raw.get("id"), "id", where)
    if not program_id:
        raise RegistryError(f"{where}: missing id")
    if not _ID_RE.match(program_id):
        raise RegistryError(f"{where}: id must be a lower-case ASCII slug like 'quanmian-gaibao'")
    name = text_field(raw.get("name"), "name", where)
    if not name:
        raise RegistryError(f"{where}: missing name")
    sources = text_list(raw.get("sources"), "sources", where)
    if not sources:
        raise RegistryError(
            f"{where}: missing sources (every entry needs at least one)",
            hint="a founding document (title, number, year) or an official page address",
        )
    level = text_field(raw.get("level"), "level", where) or "national"
    if level not in LEVELS:
        raise RegistryError(f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}")
    province = text_field(raw.get("province"), "province", where)
    if level == "provincial" and not province:
        raise RegistryError(f"{where}: a provincial program needs province")
    if level == "national" and province:
        raise RegistryError(f"{where}: a national program has no province")
    kind = text_field(raw.get("kind"), "kind", where) or "program"
    if kind not in KINDS:
        raise RegistryError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    start_year = raw.get("start_year")
    if start_year is not None and (
        not isinstance(start_year, int) or isinstance(start_year, bool) or not 1949 <= start_year <= 2100
    ):
        raise RegistryError(f"{where}: start_year must be a year such as 2014, not {start_year!r}")
    aliases = tuple(a for a in text_list(raw.get("aliases"), "aliases", where) if a != name)
    return RegisteredProgram(
        id=program_id,
        name=name,
        aliases=aliases,
        parent=text_field(raw.get("parent"), "parent", where),
        successor_of=text_field(raw.get("successor_of"), "successor_of", where),
        ministry=text_field(raw.get("ministry"), "ministry", where),
        start_year=start_year,
        level=level,
        province=province,
        domain=domain,
        sources=sources,
        kind=kind,
        note=text_field(raw.get("note"), "note", where),
        origin=origin,
    )


def parse_programs(text: str, origin: str) -> list[RegisteredProgram]:
    """The entries of one registry file (``origin`` names it in errors). Checks each entry and
    duplicate ids within the file; links and spellings are checked across the merged registry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{origin}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise RegistryError(
            f"{origin}: unknown top-level key(s) {', '.join(unknown)}",
            hint='a registry file has domain = "..." and [[program]] tables',
        )
    domain = data.get("domain")
    if not isinstance(domain, str) or not _DOMAIN_RE.match(domain):
        raise RegistryError(f'{origin}: missing domain (a slug such as domain = "education")')
    raw_programs = data.get("program", [])
    if not isinstance(raw_programs, list):
        raise RegistryError(f"{origin}: program must be an array of tables ([[program]])")
    out: list[RegisteredProgram] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_programs, 1):
        p = _entry(raw, i, domain, origin)
        if p.id in seen:
            raise RegistryError(f"{origin}: program {p.id!r}: duplicate id in this file")
        seen.add(p.id)
        out.append(p)
    return out


def bundled_files() -> list[Traversable]:
    """The registry files that ship with policykg, in name order."""
    folder = files("policykg.loaders") / "registry" / "programs"
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def read_registry_file(source: Traversable | Path, origin: str) -> str:
    """A registry file's text; RegistryError naming ``origin`` when it is unreadable or not UTF-8."""
    try:
        return source.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RegistryError(f"{origin}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{origin}: not UTF-8 text") from None


@lru_cache(maxsize=1)
def _bundled() -> tuple[RegisteredProgram, ...]:
    programs: list[RegisteredProgram] = []
    seen: dict[str, str] = {}
    for f in bundled_files():
        origin = f"registry/programs/{f.name}"
        for p in parse_programs(read_registry_file(f, origin), origin):
            if p.id in seen:
                raise RegistryError(f"{origin}: program {p.id!r}: duplicate id (also in {seen[p.id]})")
            seen[p.id] = origin
            programs.append(p)
    return tuple(programs)


def load_registry(paths: Sequence[Path] = ()) -> ProgramRegistry:
    """The bundled registry with the user files ``paths`` merged on top, in order.

    A user entry whose id exists replaces the earlier entry whole; a new id adds one. Two
    entries with one id inside the same file are an error, as in the bundled files.
    Raises :class:`~policykg.errors.RegistryError` for any problem, naming file and entry.
    """
    merged: dict[str, RegisteredProgram] = {p.id: p for p in _bundled()}
    for path in paths:
        path = Path(path)
        for p in parse_programs(read_registry_file(path, str(path)), str(path)):
            merged[p.id] = p
    return ProgramRegistry(merged.values())
