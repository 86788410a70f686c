"""Find the registry's programs in a text, whatever spelling it uses: one multi-pattern pass.

The program registry (:mod:`policykg.loaders.programs_registry`) lists each program's official
name and the short forms in use (全面改薄, 两免一补, 特岗计划). An Aho–Corasick automaton over
every spelling finds them all in one pass over the text, leftmost and longest first, so that
农村义务教育学生营养改善计划 is one match and not 营养改善计划 inside it.

Which registry is in force: the bundled files plus the user's own, named (separated by the
system's path separator) in ``POLICYKG_PROGRAMS`` — set by ``policykg ingest --programs FILE``
before any worker starts, so workers read the same registry. The automaton is built once per
process and registry.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import ahocorasick

from policykg.loaders.programs_registry import ProgramRegistry, RegisteredProgram, load_registry, normalise
from policykg.loaders.scan import char_class

#: The environment variable naming the user's registry files (the ``programs`` setting).
ENV = "POLICYKG_PROGRAMS"

#: Class nouns that make a spelling a name on its own (…计划, …工程).
CLASS_NOUNS = ("计划", "工程", "项目", "行动", "活动", "运动")  # 运动: a mass campaign (爱国卫生运动)
_NUMERALS = set("一二三四五六七八九十两百千万")


def stands_alone(spelling: str, official: str) -> bool:
    """Whether ``spelling`` names its program without quote marks around it.

    A registry spelling is matched bare only when its form says it is a name: it ends in a
    class noun (特岗计划), it is a numbered set (两免一补, 一村一幼, 三支一扶), or it is an
    abbreviation of four or more characters that skips parts of the official name (全面改薄 of
    全面改善贫困地区义务教育薄弱学校基本办学条件). Other spellings — a topic or a policy word such
    as 校园足球, 精准扶贫, 医联体 or 生活垃圾分类, which documents use as plain words — count only
    in quote marks.
    """
    key = normalise(spelling)
    if key.endswith(("改革", "战略")):
        return False  # 放管服改革: a reform, named in passing
    if key.endswith(CLASS_NOUNS) or any(c in _NUMERALS for c in key):
        return True
    name = normalise(official)
    return len(key) >= 4 and key not in name and _in_order(key, name)


#: After a spelling, words that make it a reform or a strategy as written here (“放管服”改革).
_GOVERNING_AFTER = re.compile(r"(?:改革|战略)")


def _in_order(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


_HAN = range(0x4E00, 0xA000)
_QUOTE_MARK = re.compile(r"[“”「」]")


@dataclass(frozen=True)
class RegistryHit:
    start: int
    end: int
    program: RegisteredProgram


class RegistryMatcher:
    """Every spelling of every registered program, as one automaton."""

    def __init__(self, registry: ProgramRegistry) -> None:
        self.registry = registry
        self._automaton = ahocorasick.Automaton()
        for surface, program_id in sorted(registry.surfaces().items()):
            key = normalise(surface)
            entry = registry.by_id[program_id]
            if len(key) < 2 or key in self._automaton:
                continue
            # A standing system (河长制, 医共体) is named in passing far more often than carried
            # out as a programme: only in quote marks.
            bare = entry.kind == "program" and stands_alone(surface, entry.name)
            self._automaton.add_word(key, (len(key), program_id, bare))
        if len(self._automaton):
            self._automaton.make_automaton()
            letters = char_class(frozenset("".join(self._automaton.keys())))
            self._other = re.compile(f"[^{letters[1:]}")  # a character that no spelling holds
            self._letters_back = re.compile(f"{letters}*")

    def _across(self, window: str, junctions: list[int]) -> Iterator[tuple[int, tuple[int, str, bool]]]:
        """What ``iter_long(window)`` gives in the stretches of ``window`` that hold one of the
        ``junctions`` (sorted offsets where a quote mark was taken out), and nothing else.

        A character that no spelling holds sends the automaton back to its root, whatever came
        before it, and no spelling spans it: the window's matches are those of its stretches
        between such characters, each read on its own with the character that ends it (the
        automaton, failing there, may still report a spelling that ends before it). A match
        across a junction lies in the stretch that holds it; the automaton walks only those
        stretches (in text order), not the whole window a second time.
        """
        n = len(window)
        backwards = window[::-1]
        done = 0
        for j in junctions:
            if j < done or not 0 < j < n or self._other.match(window, j - 1) or self._other.match(window, j):
                continue  # read already, at an end, or beside a character no spelling holds
            after = self._other.search(window, j)
            b = after.end() if after else n
            run = self._letters_back.match(backwards, n - j)
            a = j - (run.end() - (n - j)) if run else j
            for last, value in self._automaton.iter_long(window[a:b]):
                yield a + last, value
            done = b

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[RegistryHit]:
        """Registered programs named in ``text[start:end]``: leftmost-longest, never overlapping.

        A spelling that does not stand alone (:func:`stands_alone`) counts only in quote marks
        (“医联体”); matching is on the text as written (registry spellings are written without
        quote marks or full-width forms).
        """
        end = len(text) if end is None else end
        if not len(self._automaton):
            return []
        hits = self._scan(text, start, end)
        # A quoted stem and its class noun (“三北”工程) is a name written in two parts: a second
        # pass reads the text without quote marks and keeps only such names where the first
        # found nothing. 专精特新“小巨人” or “双一流”建设 are a label and a word about it.
        pieces = _QUOTE_MARK.split(text[start:end])
        if len(pieces) == 1:
            return hits
        window = "".join(pieces)
        # Where each mark was taken out, in the window: the length of the text before it.
        shifts = list(accumulate(map(len, pieces[:-1])))
        extra = []
        for last, (length, program_id, _bare) in self._across(window, shifts):
            first = last - length + 1
            s = start + first + bisect.bisect_right(shifts, first)
            e = start + last + bisect.bisect_right(shifts, last) + 1
            if e - s == length:
                continue  # no mark inside: the first pass judged it
            close = max(text.rfind("”", s, e), text.rfind("」", s, e))
            if close < 0 or not text[close + 1 : e].endswith(CLASS_NOUNS) or e - close - 1 > 4:
                continue
            if text[s - 1 : s] in "“「":
                s -= 1  # the opening mark belongs to the name as written
            if any(h.start < e and s < h.end for h in hits):
                continue
            extra.append(RegistryHit(s, e, self.registry.by_id[program_id]))
        return sorted(hits + extra, key=lambda h: h.start)

    def _scan(self, text: str, start: int, end: int) -> list[RegistryHit]:
        """Spellings as written: leftmost-longest, bare only where they stand alone."""
        hits: list[RegistryHit] = []
        taken_until = start
        window = text[start:end]
        for last, (length, program_id, bare) in sorted(self._automaton.iter_long(window), key=lambda h: h[0] - h[1][0]):
            s = start + last - length + 1
            e = start + last + 1
            if s < taken_until:
                continue
            quoted = s > 0 and text[s - 1] in '“「"' and e < len(text) and text[e] in '”」"'
            if not (bare or quoted):
                continue
            if _GOVERNING_AFTER.match(text, e + (1 if quoted else 0)):
                continue  # 推进“放管服”改革, 实施乡村振兴战略: a reform or a strategy, not a programme
            hits.append(RegistryHit(s, e, self.registry.by_id[program_id]))
            taken_until = e
        return hits


def user_registry_files() -> tuple[Path, ...]:
    """The user's registry files named in ``POLICYKG_PROGRAMS``."""
    value = os.environ.get(ENV, "")
    return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())


@lru_cache(maxsize=4)
def _matcher(paths: tuple[Path, ...]) -> RegistryMatcher:
    return RegistryMatcher(load_registry(paths))


def active_matcher() -> RegistryMatcher:
    """The matcher of the registry in force in this process (bundled + ``POLICYKG_PROGRAMS``)."""
    return _matcher(user_registry_files())
