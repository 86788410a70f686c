"""Programmes that build on other programmes: the dependencies whose cue a programme's own text carries.

A task's dependency on a programme is read from its cue words (依托X, 以X为抓手 …, see
``loaders/entities.py``). The annotation format says the task *or programme* whose text carries
the cue depends on X; a programme has text of its own in two forms:

- it is the subject of the clause that holds the cue: ``名校建设工程依托三名工程…``,
  ``智慧教育工程要以“互联网+”行动为抓手`` — the programme's name ends right before the cue (a
  modal 要/将/应/须 … may stand between);
- a 专栏 box named after it: ``专栏3  城市排洪防涝工程`` and the lines under it, up to the next
  box or the end of the task that holds it.

Each is a :class:`ProgramDependencyRecord` with the cue and its span: from the depending
programme's name to the end of the cue phrase in a clause, the cue phrase itself in a box. The
task's own dependency stays: the task's text carries the cue too. A programme never depends on
itself.
"""

from __future__ import annotations

import bisect
import re

from policykg.loaders.records import DocumentRecord, EntityKind, Mention, ProgramDependencyRecord, Span

#: What may stand between a subject programme's name and its cue: a closing quote, a modal.
_BEFORE_CUE = re.compile(r"[”」]?(?:要|将|应|须|需|还|也|主要|重点|着力|继续|进一步|全面)*")
#: A box heading: 专栏 and its number, then the box's name on the same line.
_BOX_HEAD = re.compile(r"^[ \t\u3000]*专栏\s*[0-9一二三四五六七八九十]+", re.M)


def find_program_dependencies(doc: DocumentRecord) -> None:
    """Fill ``doc.program_dependencies`` and each depending programme's ``depends_on``."""
    if not doc.dependencies:
        return
    programs = sorted(
        (m for m in doc.mentions if m.kind is EntityKind.PROGRAM), key=lambda m: (m.span.start, m.span.end)
    )
    boxes = _boxes(doc, programs)
    seen: set[tuple[str, str, int, int]] = set()
    for dep in doc.dependencies:
        for source, span in (_subject(doc, programs, dep.span), _box_of(boxes, dep.span)):
            if source is None or span is None or source == dep.program:
                continue
            key = (source, dep.program, span.start, span.end)
            if key in seen:
                continue
            seen.add(key)
            doc.program_dependencies.append(ProgramDependencyRecord(source, dep.program, dep.cue, span))
            if source in doc.programs:
                doc.programs[source].depends_on.add(dep.program)


def _subject(doc: DocumentRecord, programs: list[Mention], cue: Span) -> tuple[str | None, Span | None]:
    """The programme whose name ends right before the cue, in the same clause."""
    for m in reversed(programs):
        if m.span.end > cue.start:
            continue
        if _BEFORE_CUE.fullmatch(doc.text, m.span.end, cue.start):
            return m.key, Span(m.span.start, cue.end)
        break
    return None, None


def _boxes(doc: DocumentRecord, programs: list[Mention]) -> list[tuple[int, int, str]]:
    """(start, end, programme) of each 专栏 box named after a programme."""
    heads = []
    starts = [m.span.start for m in programs]  # ``programs`` are in text order
    for h in _BOX_HEAD.finditer(doc.text):
        line_end = doc.text.find("\n", h.end())
        line_end = len(doc.text) if line_end < 0 else line_end
        # The first mention that starts after the head and ends on its line; one that starts
        # past the line ends past it too.
        named = None
        for k in range(bisect.bisect_left(starts, h.end()), len(programs)):
            if starts[k] > line_end:
                break
            if programs[k].span.end <= line_end:
                named = programs[k]
                break
        heads.append((h.start(), line_end, named.key if named else None))
    out = []
    for i, (start, line_end, program) in enumerate(heads):
        if program is None:
            continue
        end = heads[i + 1][0] if i + 1 < len(heads) else len(doc.text)
        task = next((t for t in doc.tasks if t.span.start <= start < t.span.end), None)
        if task is not None:
            end = min(end, task.span.end)
        out.append((line_end, end, program))
    return out


def _box_of(boxes: list[tuple[int, int, str]], cue: Span) -> tuple[str | None, Span | None]:
    for start, end, program in boxes:
        if start <= cue.start and cue.end <= end:
            return program, cue
    return None, None
