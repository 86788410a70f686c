"""The C-speed scanning helpers (loaders/scan.py) find exactly what the plain scans find."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from policykg.loaders import divisions, entities, metadata, targets
from policykg.loaders.read import read_path
from policykg.loaders.scan import Words, first_characters, skipping

DATA = Path(__file__).parent / "data"


def _texts() -> list[str]:
    paths = sorted(p for p in DATA.rglob("*") if p.suffix in {".txt", ".html"} and p.is_file())
    return [read_path(p).text for p in paths if "docs" in p.parts or "unseen" in p.parts]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts()


def test_first_characters() -> None:
    assert first_characters(re.compile(r"(?<![0-9])[0-9]+|百分之")) == frozenset("0123456789百")
    assert first_characters(re.compile(r"(?:到|至)?[^\S\n]*20[0-9]{2}年")) == {"到", "至", "\\s", "2"}
    assert first_characters(re.compile(r"(?:到|至)?20")) == frozenset("到至2")
    assert first_characters(re.compile(r"\d+个|第")) == {"\\d", "第"}
    assert first_characters(re.compile(r"abc", re.I)) == {"a"}  # the lookahead is read under re.I too
    assert first_characters(re.compile(r"a?")) is None  # matches the empty string
    assert first_characters(re.compile(r".x")) is None
    assert first_characters(re.compile(r"[^x]")) is None
    assert first_characters(re.compile(r"\w")) is None
    assert first_characters(re.compile(r"(?i:a)b")) is None


def test_skipping_keeps_patterns_that_jump_already() -> None:
    for plain in (
        re.compile(r"[“「]x"),
        re.compile(r"结合|依托"),
        re.compile(r"(?P<y>19|20)年"),
        re.compile("^专栏", re.M),
    ):
        assert skipping(plain) is plain
    verbose = skipping(re.compile("(?:a|b)c  # a comment", re.X))
    assert [m.span() for m in verbose.finditer("acbcxc")] == [(0, 2), (2, 4)]


SKIPPED = [
    targets._QUANTITY_RE,
    targets._BLANK_RE,
    targets._DEADLINE_RE,
    targets._QUALITATIVE_RE,
    entities._LAUNCH,
    entities._CITE,
    entities._ORG,
    metadata._BODY_ENDS,
]


@pytest.mark.parametrize("fast", SKIPPED, ids=lambda p: p.pattern[:30])
def test_skipping_finds_the_same_matches(fast: re.Pattern[str], texts: list[str]) -> None:
    assert fast.pattern.startswith("(?=[")
    plain = re.compile(fast.pattern[fast.pattern.index("])(?:") + 5 : -1], fast.flags)
    rng = random.Random(0)
    for text in texts:
        for start, end in [(0, len(text)), *((rng.randrange(len(text)), len(text)) for _ in range(3))]:
            assert [(m.span(), m.groups()) for m in fast.finditer(text, start, end)] == [
                (m.span(), m.groups()) for m in plain.finditer(text, start, end)
            ]


def _longest_at_by_hand(words: set[str], text: str, start: int, end: int) -> dict[int, int]:
    out = {}
    for p in range(start, end):
        for n in range(end - p, 1, -1):
            if text[p : p + n] in words:
                out[p] = n
                break
    return out


def test_words_longest_at_is_the_longest_word_at_each_offset() -> None:
    words = {"昆明", "昆明市", "明市", "宜良", "宜良县", "良县", "呈贡区", "AB", "ABCD"}
    finder = Words(words)
    rng = random.Random(1)
    alphabet = "昆明市宜良县呈贡区ABCD、"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        start = rng.randrange(len(text) + 1)
        end = rng.randrange(start, len(text) + 1)
        assert finder.longest_at(text, start, end) == _longest_at_by_hand(words, text, start, end), text
    assert Words([]).longest_at("昆明", 0, 2) == {}
    with pytest.raises(ValueError):
        Words(["昆"])


def test_gazetteer_names_found_as_a_scan_at_every_offset_would(texts: list[str]) -> None:
    names = divisions._names()
    text = texts[0]
    assert names.longest_at(text, 0, len(text)) == _longest_at_by_hand(set(names.words), text, 0, len(text))


def test_occurrences_then_one_after_another_is_str_find_from_the_left() -> None:
    from policykg.loaders.entities import _one_after_another

    rng = random.Random(3)
    words = ["“两基”工程", "两基工程", "基工程工程", "工程工程", "AAAA", "AAAAA"]
    finder = Words(words)
    for _ in range(2000):
        text = "".join(rng.choice(["“", "”", "两", "基", "工程", "A", "AA", "，"]) for _ in range(rng.randrange(20)))
        start = rng.randrange(len(text) + 1)
        end = rng.randrange(start, len(text) + 1)
        where = finder.occurrences(text, start, end)
        for w in words:
            by_find, k = [], text.find(w, start, end)
            while k >= 0:
                by_find.append(k)
                k = text.find(w, k + len(w), end)
            assert list(_one_after_another(where.get(w, []), len(w))) == by_find, (text, w)
        assert entities._occurrences(text, set(words), start, end) == where  # by str.find, on a short text


def test_words_anchored_at_the_tail_find_the_same() -> None:
    words = {"昆明市", "宜良市", "明市", "良市", "ABCD市", "CD市"}
    finder = Words(words)
    assert finder._by_tail  # two last pairs (明市, 良市, D市), more first ones
    rng = random.Random(4)
    alphabet = ["昆", "明", "市", "宜", "良", "A", "B", "CD", "、"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(14)))
        start = rng.randrange(len(text) + 1)
        end = rng.randrange(start, len(text) + 1)
        assert finder.longest_at(text, start, end) == _longest_at_by_hand(words, text, start, end), text


def test_registry_second_pass_reads_only_the_stretches_across_a_quote_mark(texts: list[str]) -> None:
    """What the automaton reports across a junction (where a quote mark was taken out) is the
    same whether it walks the whole window or only the stretches that hold a junction."""
    import bisect

    from policykg.loaders.registry_match import _QUOTE_MARK, active_matcher

    matcher = active_matcher()
    automaton = matcher._automaton
    keys = list(automaton.keys())
    rng = random.Random(7)
    samples = [*texts]
    for _ in range(3000):
        samples.append(
            "".join(
                rng.choice(["“", "”", "「", "」", ""])
                + rng.choice(keys)[rng.randrange(3) :][: rng.randrange(1, 9)]
                + rng.choice(["", "，", "的", "“", "”", "工程", "计划"])
                for _ in range(rng.randrange(1, 8))
            )
        )
    for text in samples:
        marks = [m.start() for m in _QUOTE_MARK.finditer(text)]
        window = _QUOTE_MARK.sub("", text)
        shifts = [q - k for k, q in enumerate(marks)]

        def across(found: list, shifts: list[int] = shifts) -> list:
            return [
                (last, v)
                for last, v in found
                if bisect.bisect_right(shifts, last - v[0] + 1) != bisect.bisect_right(shifts, last)
            ]

        assert across(list(automaton.iter_long(window))) == across(list(matcher._across(window, shifts))), text[:80]
