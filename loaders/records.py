"""The records that loaders produce and ``policykg.graph`` turns into triples.

This module is the contract between the two halves of the system: loaders know
nothing of RDF, the graph builder knows nothing of Chinese text. Every record
that states a fact carries the :class:`Span` it was read from; offsets count
Unicode code points of :attr:`DocumentRecord.text`, so ``text[start:end]`` is
always the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache


@dataclass(frozen=True, order=True)
class Span:
    """Half-open code-point range ``[start, end)`` in the document's text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}-{self.end}")

    def quote(self, text: str) -> str:
        return text[self.start : self.end]

    @classmethod
    def trimmed(cls, text: str, start: int, end: int) -> Span:
        """The span of ``text[start:end]`` without the blanks around it."""
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return cls(start, end)


class EntityKind(str, Enum):  # noqa: UP042 - StrEnum would change what str() of a member gives
    """What a mention names, by the local name of its class in the ontology: the kinds
    graph/kinds.py reads (``KINDS``, ``CLASSES``), so the write side and the read side share
    one vocabulary."""

    PROGRAM = "Program"
    DIVISION = "AdministrativeDivision"
    REGULATION = "Regulation"
    ORGANIZATION = "Organization"


class Comparator(str, Enum):  # noqa: UP042 - StrEnum would change what str() of a member gives
    """Local names of the comparator individuals in the ontology."""

    AT_LEAST = "AtLeast"
    AT_MOST = "AtMost"
    EXACTLY = "Exactly"
    APPROXIMATELY = "Approximately"
    BETWEEN = "Between"
    INCREASE_BY = "IncreaseBy"
    DECREASE_BY = "DecreaseBy"


class DivisionLevel(str, Enum):  # noqa: UP042 - StrEnum would change what str() of a member gives
    PROVINCE = "Province"
    PREFECTURE = "Prefecture"
    COUNTY = "County"


@dataclass(frozen=True)
class PartRef:
    """Which part of a document a fact sits in: a task, a section, or the document itself."""

    kind: str  # "task" | "section" | "document"
    ordinal: int = 0

    # A reference is frozen, so one object per part serves every fact in it (a plan has ten
    # thousand mentions; a frozen dataclass is slow to build).
    @staticmethod
    @cache
    def document() -> PartRef:
        return PartRef("document", 0)

    @staticmethod
    @lru_cache(maxsize=4096)
    def section(ordinal: int) -> PartRef:
        return PartRef("section", ordinal)

    @staticmethod
    @lru_cache(maxsize=4096)
    def task(ordinal: int) -> PartRef:
        return PartRef("task", ordinal)


@dataclass
class SectionRecord:
    ordinal: int  # 1-based position in the document
    number: str  # as printed: "一", "第一部分", "1"
    title: str  # the heading as written, without its number
    title_span: Span  # where the title was read
    span: Span  # the whole section, heading and body


@dataclass
class AttachmentRecord:
    """An attachment after the body's last section (附件1, 附表2, 附录): a part of the document
    of its own; the sections and tasks numbered inside it keep their place in the document."""

    ordinal: int  # position among the document's attachments, 1-based
    number: str  # as printed after 附件/附表 ("1", "二"), "" when it has none
    title: str  # the attached document's title (same line or the next), else the opening line
    title_span: Span
    span: Span  # from its opening line to the next attachment or the end of the body


@dataclass
class ItemRecord:
    """A numbered item inside a task (1. under （一）, （1） under 1.): a part of its task."""

    ordinal: int  # position within its task, 1-based
    number: str  # as printed ("1", "（1）")
    title: str  # its heading phrase, by the same rule as a task's title
    title_span: Span
    span: Span  # the whole item, number included


@dataclass
class TaskRecord:
    ordinal: int  # running position in the whole document, 1-based
    number: str  # as printed ("10", "（一）")
    title: str  # the short heading phrase
    title_span: Span
    span: Span  # the whole task, number included
    section: int | None  # ordinal of its section, None when the document has none
    depends_on: set[str] = field(default_factory=set)  # programs it builds on (依托X, 以X为抓手 …)
    items: list[ItemRecord] = field(default_factory=list)  # its numbered items, one level down

    def text(self, document_text: str) -> str:
        return self.span.quote(document_text)


@dataclass
class ProgramRecord:
    name: str  # canonical: no quote marks
    alt_labels: set[str] = field(default_factory=set)
    part_of: str | None = None  # canonical name of the umbrella program
    depends_on: set[str] = field(default_factory=set)
    registry_id: str | None = None  # the program registry's id, when it is a registered program
    successor_of: str | None = None  # canonical name of the older program it continues


@dataclass(frozen=True)
class ResponsibilityRecord:
    """A unit named as carrying out a task: ``role`` is "lead" (牵头) or "support" (配合)."""

    task: int  # the task's ordinal
    org: str  # the unit's name as written
    role: str
    span: Span  # the bracket that says so


@dataclass(frozen=True)
class DependencyRecord:
    """A task that builds on a programme, and the words that say so (依托X, 以X为抓手 …)."""

    task: int  # the task's ordinal
    program: str  # the programme's key
    cue: str  # the cue words as written: 依托, 以…为抓手, 按照…要求
    span: Span  # the cue and the programme's name, as one stretch of text


@dataclass(frozen=True)
class ProgramDependencyRecord:
    """A programme that builds on another, its own text carrying the cue (Y依托X…, a 专栏 box)."""

    program: str  # the depending programme's key
    on: str  # the programme it builds on
    cue: str  # the cue words as written
    span: Span  # the depending programme's name through the cue phrase (a box: the cue phrase)


@dataclass
class DivisionRecord:
    code: str  # 6-digit GB/T 2260 code
    name: str  # official full name
    level: DivisionLevel
    parent_code: str | None = None
    short_names: set[str] = field(default_factory=set)
    lat: Decimal | None = None
    long: Decimal | None = None


@dataclass
class Mention:
    """One occurrence of an entity in the text."""

    kind: EntityKind
    key: str  # program/regulation/organization canonical name, or division code
    surface: str  # the characters as written
    span: Span
    part: PartRef


@dataclass
class TargetRecord:
    """One goal stated in one task (or section, for documents without tasks)."""

    part: PartRef
    indicator: str
    span: Span
    value: Decimal | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    unit: str | None = None
    comparator: Comparator | None = None
    deadline: date | None = None
    divisions: list[str] = field(default_factory=list)  # division codes
    value_missing: bool = False  # the source leaves the number blank ("示范幼儿园 所")
    period: str | None = None  # "year" for 每年 …
    baseline: Decimal | None = None  # the value it starts from (从3.5万吨/日提高到6万吨/日: 35000)
    bindingness: str | None = None  # "Binding" (约束性) or "Anticipatory" (预期性), as the plan labels it
    indicator_id: str | None = None  # the indicator registry's id, when it lists the indicator
    indicator_name: str | None = None  # and its official name there


@dataclass
class PublisherRecord:
    name: str
    inferred: bool = False
    evidence: Span | None = None


@dataclass
class DocumentRecord:
    """Everything a loader read from one document."""

    doc_id: str  # stable, path-independent identifier (from the file name)
    source: str  # file name or URL as given
    sha256: str  # of the bytes as read
    media_type: str
    encoding: str | None
    text: str  # normalized text; every span counts into it
    title: str | None = None
    title_span: Span | None = None
    issued: date | None = None
    publisher: PublisherRecord | None = None
    jurisdiction: str | None = None  # division code of the body that issued it
    body: Span | None = None  # where the body starts and ends, furniture excluded
    sections: list[SectionRecord] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    attachments: list[AttachmentRecord] = field(default_factory=list)
    programs: dict[str, ProgramRecord] = field(default_factory=dict)
    divisions: dict[str, DivisionRecord] = field(default_factory=dict)
    regulations: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)  # names as written
    organization_names: dict[str, str] = field(default_factory=dict)  # 市教育局 -> 昆明市教育局
    organization_places: dict[str, str] = field(default_factory=dict)  # 昆明市教育局 -> 530100
    responsibilities: list[ResponsibilityRecord] = field(default_factory=list)
    dependencies: list[DependencyRecord] = field(default_factory=list)
    program_dependencies: list[ProgramDependencyRecord] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    targets: list[TargetRecord] = field(default_factory=list)

    def quote(self, span: Span) -> str:
        return span.quote(self.text)
