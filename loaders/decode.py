"""Bytes to text: detect the encoding without ever guessing wrong silently.

Chinese documents come as UTF-8 (with or without BOM), GB18030/GBK or UTF-16.
Short Chinese texts fool statistical detectors, so the order is: a BOM if there
is one, strict UTF-8, strict GB18030, then charset-normalizer — and every
decode is strict. A file nothing decodes cleanly is an error naming the file,
never a text with replacement characters.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from policykg.errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)

# Control characters other than tab and newline mean a binary file, not text.
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v"} | {"\x7f"}
_CONTROL_RE = re.compile("[" + "".join(map(re.escape, sorted(_CONTROL))) + "]")


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: ASCII, digits and line breaks leave zero bytes.

    A short Chinese text may have only a couple of them, and a few CJK
    characters (一 is U+4E00) put a zero on the other side too, so rather than
    count zeros both byte orders are decoded and the one that reads as text wins.
    """
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data:
        return None
    best, best_score = None, 0.0
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            score = _text_score(data.decode(codec))
        except UnicodeDecodeError:
            continue
        if score > best_score:
            best, best_score = codec, score
    return best if best_score >= 0.95 else None


# The characters a Chinese or English document is made of (see _text_score), counted in C.
_COMMON_RE = re.compile("[\n\t\r -~\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e\uffe0-\uffe6\u2000-\u206f\xa0·×÷°]")


def _text_score(text: str) -> float:
    """Share of characters a Chinese or English document is made of."""
    sample = text[:4096]
    if not sample:
        return 0.0
    # Of the half/full-width block only the full-width forms count (，（）％ …): half-width
    # katakana is what a GB18030 file read as Shift-JIS turns into.
    common = len(_COMMON_RE.findall(sample))
    return common / len(sample)


def _plausible(text: str) -> bool:
    """A decode that reads as a document rather than as a wrong guess's soup of rare symbols."""
    return _text_score(text) >= 0.8


def decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    """Decode ``data`` strictly; return ``(text, encoding name)``.

    The encoding name is what the document records (``utf-8``, ``gb18030``, ``utf-16`` …).
    """
    if not data or data.isspace():  # strip() would copy a big file
        raise InputError(f"{source}: the file is empty")
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _strict(data, codec, source), name
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            text = _check_text(data.decode(utf16), source)
            if _plausible(text):
                return text, "utf-16"
        except UnicodeDecodeError:
            pass  # zeros by chance: not UTF-16 after all
    if b"\x00" in data:
        raise InputError(
            f"{source}: this looks like a binary file, not text",
            hint="policykg reads plain text, HTML, .docx and PDF with a text layer",
        )
    errors: dict[str, UnicodeDecodeError] = {}
    for codec in ("utf-8", "gb18030"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            errors[codec] = exc
            if codec == "utf-8" and _cut_off(data, exc) and (exc.start == 0 or not data[: exc.start].isascii()):
                # UTF-8 Chinese cut in its last character: its tail may happen to read as GB18030 (鈥).
                raise _truncated(data, source, exc) from None
            continue
        # GB18030 maps almost any byte sequence to *some* characters; a decode
        # full of unassigned or private-use code points is a wrong guess.
        if codec == "utf-8" or _plausible(text):
            return _check_text(text, source), codec
    if len(errors) == 2:
        _refuse_damaged(data, source, errors["utf-8"], errors["gb18030"])
    return _detect(data, source, errors)


def _refuse_damaged(data: bytes, source: str, utf8: UnicodeDecodeError, gb: UnicodeDecodeError) -> None:
    """Name what is wrong with a file that is *almost* UTF-8 or GB18030, before any guessing.

    A file cut off in the middle of a character, or one that switches encoding half-way,
    would otherwise go to the statistical detector, which can read it as some other
    encoding's soup of symbols.
    """
    for exc in (utf8, gb):
        # The only fault is an incomplete character at the very end (after readable text, if any).
        if _cut_off(data, exc) and (exc.start == 0 or _plausible(data[: exc.start].decode(exc.encoding))):
            raise _truncated(data, source, exc)
    prefix = data[: utf8.start].decode("utf-8")
    if not prefix.isascii():
        raise InputError(
            f"{source}: mixed encodings: the text is UTF-8 up to byte {utf8.start} "
            f"(line {_line(data, utf8.start)}), then not",
            hint="save the whole file in one encoding (UTF-8) and try again",
        )


def _cut_off(data: bytes, exc: UnicodeDecodeError) -> bool:
    """The decode failed only because the last character is incomplete."""
    return exc.end >= len(data) and exc.start >= len(data) - 4


def _truncated(data: bytes, source: str, exc: UnicodeDecodeError) -> InputError:
    name = {"utf-8": "UTF-8", "gb18030": "GB18030"}.get(exc.encoding, exc.encoding.upper())
    return InputError(
        f"{source}: the file ends in the middle of a {name} character "
        f"(byte {exc.start} of {len(data)}): it looks truncated",
        hint="copy or download the file again",
    )


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _detect(data: bytes, source: str, errors: dict[str, UnicodeDecodeError]) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        try:
            text = data.decode(best.encoding)  # strict: never replacement characters
            if _plausible(text):
                return _check_text(text, source), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    where = ", ".join(
        f"invalid {name} at byte {errors[codec].start} (line {_line(data, errors[codec].start)})"
        for codec, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030"))
        if codec in errors
    )
    message = f"{source}: cannot decode the text (not UTF-8, UTF-16 or GB18030)"
    raise InputError(f"{message}: {where}" if where else message, hint="save the file as UTF-8 and try again")


def _strict(data: bytes, codec: str, source: str) -> str:
    try:
        return _check_text(data.decode(codec), source)
    except UnicodeDecodeError as exc:
        if _cut_off(data, exc):
            raise _truncated(data, source, exc) from None
        raise InputError(f"{source}: invalid {codec} at byte {exc.start} (line {_line(data, exc.start)})") from None


def _check_text(text: str, source: str) -> str:
    sample = text[:4096]
    if sample and len(_CONTROL_RE.findall(sample)) > len(sample) * 0.01:
        raise InputError(f"{source}: this looks like a binary file, not text")
    return text


def normalize_text(text: str) -> str:
    """The normalized form every span counts into.

    A BOM is dropped, line ends become ``\\n`` and the text is NFC-composed;
    widths and punctuation stay as written so quotes match the source.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub(" ", text)  # control characters become spaces
    return unicodedata.normalize("NFC", text)
