"""Chinese numerals to numbers: 五 -> 5, 二十八 -> 28, 一百零五 -> 105, 3.7万 -> 37000.

Parsing is strict: a string that is not a well-formed numeral gives None rather than a
guess, because running text is full of numeral characters that are not numbers
(一两种 "one or two kinds", 三四所 "three or four", 千万 "by all means"). Only
digit-by-digit years (二〇一七) are read positionally.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def _small(s: str) -> int | None:
    """A numeral below 10 000 written with 十/百/千 (一千零五, 二十, 十五), or None."""
    if not s:
        return 0
    if s[0] == "十":  # 十五 is 一十五
        s = "一" + s
    s = s.replace("零十", "零一十")  # 一百零十 is not written, 一千零十 is: 一千零一十
    total, digit, last_unit, zero = 0, None, 10_000, False
    for ch in s:
        if ch in "零〇○":
            if digit is not None:  # 三零: a digit run, not this grammar
                return None
            zero = True
            continue
        if ch in _DIGITS:
            if digit is not None:  # two digits in a row: 一两, 三四
                return None
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if digit is None or unit >= last_unit:  # 百 without a digit, 十百
                return None
            total += digit * unit
            digit, last_unit, zero = None, unit, False
        else:
            return None
    if digit is not None and not zero and 100 <= last_unit < 10_000:
        return total + digit * last_unit // 10  # 三百五 is 350, 一千二 is 1200
    return total + (digit or 0)


def chinese_to_int(s: str) -> int | None:
    """Value of a Chinese numeral (五, 二十八, 一百零五, 三千五百万, 二〇一七), or None."""
    if not s or any(ch not in _DIGITS and ch not in _UNITS and ch not in _BIG for ch in s):
        return None
    # 二〇一七: digits only, read one by one; only with a zero, as years are written
    # (a plain run such as 三四 means "three or four", not 34).
    if all(ch in _DIGITS for ch in s):
        if len(s) == 1:
            return _DIGITS[s]
        if any(ch in "零〇○" for ch in s) and "两" not in s and len(s) >= 3:
            return int("".join(str(_DIGITS[ch]) for ch in s))
        return None
    total = 0
    rest = s
    for big in ("亿", "万"):
        if big in rest:
            head, _, rest = rest.partition(big)
            if big in rest:
                return None
            value = _small(head) if big == "万" or len(head) <= 4 else None
            if big == "亿" and value is None:  # 一万亿 style: the head may itself hold 万
                value = chinese_to_int(head)
            if not value:
                return None
            total += value * _BIG[big]
    value = _small(rest)
    if value is None:
        return None
    return total + value


def _tidy(d: Decimal) -> Decimal:
    """37000.0 -> 37000, 93.50 -> 93.5: the plain decimal a reader expects (never 3.7E+4)."""
    if d == d.to_integral_value():
        return Decimal(int(d))
    return Decimal(format(d.normalize(), "f"))


def parse_number(s: str) -> Decimal | None:
    """Arabic (with , separators, full-width digits) or Chinese numerals, 万/亿 multiplied out.

    3.7万 -> 37000, 2.3亿 -> 230000000, 五 -> 5, 1,200 -> 1200.
    """
    s = s.strip().translate(_FULLWIDTH).replace(",", "")
    if not s:
        return None
    multiplier = 1
    head = s
    # An Arabic number followed by 万/亿 (3.7万, 1.2亿, 5000万): multiply out.
    while head and head[-1] in _BIG and head[:-1] and (head[-2].isdigit() or head[-2] in _BIG):
        multiplier *= _BIG[head[-1]]
        head = head[:-1]
    try:
        return _tidy(Decimal(head) * multiplier)
    except InvalidOperation:
        value = chinese_to_int(s)
        return None if value is None else Decimal(value)
