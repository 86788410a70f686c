"""Chinese numerals to numbers: 五 -> 5, 二十八 -> 28, 一百零五 -> 105, 3.7万 -> 37000."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS) + "".join(_BIG)


def chinese_to_int(s: str) -> int | None:
    """Value of a Chinese numeral, or None when ``s`` is not one."""
    if not s or any(ch not in _DIGITS and ch not in _UNITS and ch not in _BIG for ch in s):
        return None
    total = 0  # finished groups (万, 亿)
    section = 0  # the group being built
    digit = None
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch] if digit is None else digit * 10 + _DIGITS[ch]  # 二〇一七 style
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        else:
            section += digit or 0
            total = (total + (section or 1)) * _BIG[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


def parse_number(s: str) -> Decimal | None:
    """Arabic (with , separators and full-width digits) or Chinese numerals, with 万/亿 multiplied out."""
    s = s.strip().translate(str.maketrans("０１２３４５６７８９．，", "0123456789.,")).replace(",", "")
    if not s:
        return None
    multiplier = 1
    while s and s[-1] in _BIG and not (len(s) > 1 and s[:-1] and all(c in _DIGITS or c in _UNITS or c in _BIG for c in s[:-1])):
        multiplier *= _BIG[s[-1]]
        s = s[:-1]
    try:
        return Decimal(s) * multiplier
    except InvalidOperation:
        value = chinese_to_int(s)
        return None if value is None else Decimal(value) * multiplier
