from decimal import Decimal

import pytest

from policykg.loaders.numerals import chinese_to_int, parse_number


@pytest.mark.parametrize(
    "s,value",
    [
        ("五", 5),
        ("十", 10),
        ("十五", 15),
        ("二十八", 28),
        ("一百零五", 105),
        ("一千零一十", 1010),
        ("三百五", 350),
        ("两千", 2000),
        ("三千五百万", 35_000_000),
        ("一亿二千万", 120_000_000),
        ("二〇一七", 2017),
    ],
)
def test_chinese_numerals(s, value):
    assert chinese_to_int(s) == value


@pytest.mark.parametrize("s", ["一两", "三四", "千万", "百", "万", "abc", ""])
def test_not_numerals(s):
    # 一两种 "one or two kinds", 千万 "by all means": prose, not numbers
    assert chinese_to_int(s) is None


@pytest.mark.parametrize(
    "s,value",
    [
        ("3.7万", "37000"),
        ("2.3亿", "230000000"),
        ("5000万", "50000000"),
        ("1,200", "1200"),
        ("１２", "12"),
        ("93.50", "93.5"),
        ("九十", "90"),
    ],
)
def test_parse_number(s, value):
    got = parse_number(s)
    assert got == Decimal(value) and str(got) == value  # plain notation, never 3.7E+4
