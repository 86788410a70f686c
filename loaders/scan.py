"""Scanning a whole text at C speed: regexes that skip, in C, the characters no match starts at.

Python's regex engine tries a pattern at every position of the text, unless the pattern opens
with a literal or a character class: then its search jumps over the characters that cannot
start a match before it tries any. A pattern that opens with a lookbehind, an optional group
or an alternation of groups (``(?<![0-9])[0-9]+…|(?P<pct>百分之)…``) gets no such jump, and
trying it at each of a million characters costs more than everything done with its matches.

:func:`skipping` reads a pattern's parse tree, collects every character a match can start
with, and puts them in front as a lookahead class, ``(?=[…])(?:pattern)``. The engine then
looks only at those characters, and the matches are the same: the lookahead admits every
position where the pattern could match. A pattern that may match the empty string, or start
with any character (``.``, ``\\w``, ``[^…]``), or that opens with a literal or a class
already (the engine jumps by it), is returned as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

__all__ = ["skipping", "first_characters", "char_class", "Words"]


class _Any(Exception):
    """A match may start with (almost) any character: no class to skip by."""


#: Categories a class may hold, by their escape; a negated class [^\S\n] lies within \s.
_CATEGORIES = {c.CATEGORY_DIGIT: r"\d", c.CATEGORY_SPACE: r"\s"}
_WITHIN = {c.CATEGORY_NOT_DIGIT: r"\d", c.CATEGORY_NOT_SPACE: r"\s"}

#: The first characters of a match: code points, and categories by their escape (\d, \s).
_Firsts = tuple[set[int], set[str]]


def _first(items: Any) -> tuple[_Firsts, bool]:
    """What a sequence of parsed items can start with, and whether it can match empty."""
    chars: set[int] = set()
    cats: set[str] = set()
    for op, av in items:
        (first, first_cats), nullable = _first_item(op, av)
        chars |= first
        cats |= first_cats
        if not nullable:
            return (chars, cats), False
    return (chars, cats), True


def _first_item(op: Any, av: Any) -> tuple[_Firsts, bool]:
    if op is c.LITERAL:
        return ({av}, set()), False
    if op is c.IN:
        return _first_in(av), False
    if op is c.BRANCH:
        chars: set[int] = set()
        cats: set[str] = set()
        nullable = False
        for alternative in av[1]:
            (first, first_cats), empty = _first(alternative)
            chars |= first
            cats |= first_cats
            nullable = nullable or empty
        return (chars, cats), nullable
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        if (add_flags | del_flags) & (c.SRE_FLAG_IGNORECASE | c.SRE_FLAG_ASCII | c.SRE_FLAG_LOCALE):
            raise _Any  # the lookahead, under the pattern's own flags, would not read it alike
        return _first(p)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, _hi, p = av
        repeated, nullable = _first(p)
        return repeated, nullable or lo == 0
    if op is c.ATOMIC_GROUP:
        return _first(av)
    if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
        return (set(), set()), True  # zero width: what follows decides (a superset of the true first set)
    raise _Any  # ANY, NOT_LITERAL, GROUPREF, conditionals …


def _first_in(items: Any) -> _Firsts:
    r"""The characters a class ([…]) holds: its letters and ranges, its categories (\d, \s);
    a negated class only when it lies within a category ([^\S\n] is within \s)."""
    if items and items[0][0] is c.NEGATE:
        within = {_WITHIN[value] for kind, value in items[1:] if kind is c.CATEGORY and value in _WITHIN}
        if len(within) != 1:
            raise _Any
        return set(), within
    chars: set[int] = set()
    cats: set[str] = set()
    for kind, value in items:
        if kind is c.LITERAL:
            chars.add(value)
        elif kind is c.RANGE:
            lo, hi = value
            if hi - lo > 0x3000:  # a class this wide skips almost nothing
                raise _Any
            chars.update(range(lo, hi + 1))
        elif kind is c.CATEGORY and value in _CATEGORIES:
            cats.add(_CATEGORIES[value])
        else:  # \w, \D, \S …
            raise _Any
    return chars, cats


def first_characters(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every character a match of ``pattern`` can start with, a category as its escape (``\\d``,
    ``\\s``); None when that is any character, or when the pattern can match the empty string.
    Under re.I each stands for its case variants too, as in the pattern."""
    try:
        (chars, cats), nullable = _first(_parser.parse(pattern.pattern, pattern.flags).data)
    except _Any:
        return None
    return None if nullable or not (chars or cats) else frozenset(map(chr, chars)) | cats


def char_class(chars: frozenset[str]) -> str:
    """A regex class of ``chars`` (ranges where they run on); escapes such as ``\\d`` kept as they are."""
    escapes = sorted(ch for ch in chars if len(ch) > 1)
    codes = sorted(ord(ch) for ch in chars if len(ch) == 1)
    parts, k = [], 0
    while k < len(codes):
        j = k
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = chr(codes[k]), chr(codes[j])
        parts.append(re.escape(lo) if j == k else f"{re.escape(lo)}-{re.escape(hi)}")
        k = j + 1
    return "[" + "".join(parts + escapes) + "]"


def _jumps_already(items: Any) -> bool:
    """Whether the engine finds the pattern's first character by itself: it opens (inside plain
    groups) with a literal, a class, an alternation whose branches each open with a literal, or
    an anchor."""
    while items and items[0][0] is c.SUBPATTERN and not (items[0][1][1] or items[0][1][2]):
        items = items[0][1][3].data
    if not items:
        return False
    op, av = items[0]
    if op in (c.LITERAL, c.IN, c.AT):
        return True  # an anchor (^ under re.M) fails as fast at each position as a lookahead would
    return op is c.BRANCH and all(alt and alt[0][0] is c.LITERAL for alt in av[1])


def skipping(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` with a lookahead of the characters its matches start with, so a search jumps
    to them in C. Same matches, same groups; ``pattern`` itself when no such class exists."""
    if _jumps_already(_parser.parse(pattern.pattern, pattern.flags).data):
        return pattern
    chars = first_characters(pattern)
    if chars is None:
        return pattern
    tail = "\n)" if pattern.flags & re.VERBOSE else ")"  # a comment on the last line ends at the line
    return re.compile(f"(?={char_class(chars)})(?:{pattern.pattern}{tail}", pattern.flags)


class Words:
    """A fixed set of words of two characters or more, found in a text by two of their characters.

    A regex of two character classes (the words' first characters, then, as a lookahead, their
    second ones) jumps in C to the few offsets where a word can start; only there are the
    word lengths that begin with those two characters tried, longest first, in a set. When the
    words share fewer last pairs than first ones (names that end in 工程, 计划, 行动), the last
    two characters are the anchor instead, and each word is tried where it would end. On
    Chinese text this beats one pass of an Aho–Corasick automaton with a root of a thousand
    children (pyahocorasick searches a node's children one by one).
    """

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        short = [w for w in self.words if len(w) < 2]
        if short:
            raise ValueError(f"words of one character cannot be looked for this way: {short[:5]}")
        heads = {w[:2] for w in self.words}
        tails = {w[-2:] for w in self.words}
        #: anchored at the last two characters of a word, not the first two
        self._by_tail = len(tails) < len(heads)
        lengths: dict[str, set[int]] = {}
        for w in self.words:
            lengths.setdefault(w[-2:] if self._by_tail else w[:2], set()).add(len(w))
        #: the anchoring pair -> the lengths of the words it opens (or ends), longest first
        self._lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}
        at = -2 if self._by_tail else 0
        one = frozenset(w[at] for w in self.words)
        two = frozenset(w[at + 1] for w in self.words)
        self._anchors = re.compile(f"{char_class(one)}(?={char_class(two)})") if self.words else None

    def _found(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        """(offset, length) of every word in ``text[start:end]``: by offset (by end when anchored
        at the tail), then longest first."""
        if self._anchors is None:
            return
        words, lengths = self.words, self._lengths
        if self._by_tail:
            for m in self._anchors.finditer(text, start, end):
                e = m.start() + 2
                for n in lengths.get(text[e - 2 : e], ()):
                    if e - n >= start and text[e - n : e] in words:
                        yield e - n, n
        else:
            for m in self._anchors.finditer(text, start, end):
                p = m.start()
                for n in lengths.get(text[p : p + 2], ()):
                    if p + n <= end and text[p : p + n] in words:
                        yield p, n

    def longest_at(self, text: str, start: int, end: int) -> dict[int, int]:
        """The length of the longest word at each offset of ``text[start:end]`` that starts one
        (words end by ``end``)."""
        out: dict[int, int] = {}
        if self._anchors is None:
            return out
        words, lengths = self.words, self._lengths
        # The loops of _found, written out: a generator's hand-off per anchor costs as much as
        # the look-up itself.
        if self._by_tail:
            for m in self._anchors.finditer(text, start, end):
                e = m.start() + 2
                for n in lengths.get(text[e - 2 : e], ()):
                    p = e - n
                    if p >= start and text[p:e] in words and n > out.get(p, 0):
                        out[p] = n
        else:
            for m in self._anchors.finditer(text, start, end):
                p = m.start()
                for n in lengths.get(text[p : p + 2], ()):
                    if p + n <= end and text[p : p + n] in words:
                        out[p] = n  # the lengths run longest first: the first word found is the longest
                        break
        return out

    def occurrences(self, text: str, start: int, end: int) -> dict[str, list[int]]:
        """Where each word occurs in ``text[start:end]``, overlaps included, in text order."""
        out: dict[str, list[int]] = {}
        for p, n in self._found(text, start, end):
            out.setdefault(text[p : p + n], []).append(p)
        return out
