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


def _first(items: Any) -> tuple[set[int], bool]:
    """The characters a sequence of parsed items can start with, and whether it can match empty."""
    chars: set[int] = set()
    for op, av in items:
        first, nullable = _first_item(op, av)
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _first_item(op: Any, av: Any) -> tuple[set[int], bool]:
    if op is c.LITERAL:
        return {av}, False
    if op is c.IN:
        chars: set[int] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(value)
            elif kind is c.RANGE:
                lo, hi = value
                if hi - lo > 0x3000:  # a class this wide skips almost nothing
                    raise _Any
                chars.update(range(lo, hi + 1))
            else:  # NEGATE, CATEGORY (\w, \d, \s …)
                raise _Any
        return chars, False
    if op is c.BRANCH:
        out: set[int] = set()
        nullable = False
        for alternative in av[1]:
            first, empty = _first(alternative)
            out |= first
            nullable = nullable or empty
        return out, nullable
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, p = av
        if (add_flags | del_flags) & c.SRE_FLAG_IGNORECASE:
            raise _Any
        return _first(p)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, _hi, p = av
        first, nullable = _first(p)
        return first, nullable or lo == 0
    if op is c.ATOMIC_GROUP:
        return _first(av)
    if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
        return set(), True  # zero width: what follows decides (a superset of the true first set)
    raise _Any  # ANY, NOT_LITERAL, GROUPREF, conditionals …


def first_characters(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every character a match of ``pattern`` can start with; None when that is any character,
    or when the pattern can match the empty string."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        chars, nullable = _first(_parser.parse(pattern.pattern, pattern.flags).data)
    except _Any:
        return None
    return None if nullable or not chars else frozenset(map(chr, chars))


def char_class(chars: frozenset[str]) -> str:
    codes = sorted(map(ord, chars))
    parts, k = [], 0
    while k < len(codes):
        j = k
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = chr(codes[k]), chr(codes[j])
        parts.append(re.escape(lo) if j == k else f"{re.escape(lo)}-{re.escape(hi)}")
        k = j + 1
    return "[" + "".join(parts) + "]"


def skipping(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` with a lookahead of the characters its matches start with, so a search jumps
    to them in C. Same matches, same groups; ``pattern`` itself when no such class exists."""
    items = _parser.parse(pattern.pattern, pattern.flags).data
    if items and items[0][0] in (c.LITERAL, c.IN):
        return pattern  # the engine jumps by its first character already
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
        for p, n in self._found(text, start, end):
            if n > out.get(p, 0):
                out[p] = n
        return out

    def occurrences(self, text: str, start: int, end: int) -> dict[str, list[int]]:
        """Where each word occurs in ``text[start:end]``, overlaps included, in text order."""
        out: dict[str, list[int]] = {}
        for p, n in self._found(text, start, end):
            out.setdefault(text[p : p + n], []).append(p)
        return out
