"""Keep public SPARQL safe: one reading of every query, checked, and that reading is what runs.

:func:`inspect` reads a query or update as Oxigraph 0.5's parser reads it (spargebra's PEG
grammar), token by token, and builds a **canonical text** from the tokens: what the endpoint
checks is what the endpoint runs. Its rules, each taken from that grammar:

* ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes are decoded only inside strings and IRIs, in one
  left-to-right pass with the string escapes (``"a\\u005Cnb"`` is ``a``, backslash, ``n``,
  ``b``); anywhere else a backslash is refused (Oxigraph does not decode it there, engines that
  follow SPARQL 1.1 §19.2 do, so ``\\u0053ERVICE`` is refused as SERVICE).
* ``<`` is read by grammar context, kept on a stack of frames: in a group, a triple, a
  collection, a property path, VALUES, a quoted triple or a clause (``SELECT``, ``GROUP BY``,
  ``ORDER BY``, ``HAVING``, ``FROM``, ``LOAD`` …) it starts an IRI (up to the next ``>``, as
  Oxigraph's IRIREF reads it) or ``<<`` / ``<<(``; inside an expression (the brackets after
  FILTER, BIND, a built-in or a function, a projection, a grouping or ordering condition, IN
  lists, and every bracket nested in one) it is less-than (or ``<=``) right after an operand,
  and an IRI anywhere else. ``{`` after EXISTS goes back to a group.
* keywords are ASCII words matched case-insensitively; any other bare word is refused. A
  prefixed name must use a declared prefix (or one of the endpoint's), and its IRI must be
  valid; a prefix named SERVICE, LOAD or FROM (``PREFIX service: …``) is refused, and so is a
  prefixed name that Oxigraph could read as one of those keywords followed by another prefixed
  name (``SERVICE:x``, ``LOADx:y`` beside ``PREFIX x:``, ``FROM:g``): its grammar matches
  keywords by their letters, with no word boundary, and backtracks into that reading.
* what the grammar cannot start with (a lone ``>``, ``&``, ``@`` away from a string, a
  character outside the grammar, unbalanced brackets) is refused (400), never passed on.

The canonical text joins the tokens with single spaces on one line: comments are dropped,
strings are re-written in one escaped form (no ``\\u``), IRIs with their escapes decoded (one
that decodes to a character IRIs may not hold is refused), every prefixed name as its full
``<IRI>`` (so the text needs no PREFIX, and the endpoint runs it without default prefixes:
a prefixed name that slipped through would be a syntax error). BASE and VERSION are kept.
Read that way, nothing in the canonical text can be taken for anything else: an IRI holds no
space, a ``<`` that compares is followed by a space, a ``#`` can only sit inside an IRI or a
string.

:func:`guard_query` / :func:`guard_update` then refuse, before any evaluation, ``SERVICE``,
``LOAD`` and ``FROM``/``FROM NAMED`` naming a graph that is not in the store (a URL another
engine would fetch). Oxigraph *does* fetch SERVICE and LOAD over HTTP, so this check matters.
They also refuse text nested more than :data:`MAX_NESTING` levels deep: Oxigraph's parser
recurses once per level and overflows its stack (killing the process, not raising) a few
thousand levels down. ``tests/test_sparql_guard_differential.py`` runs generated hostile texts
through pyoxigraph beside a loopback listener to hold the guard to this.

Evaluation with time limits and row caps is :mod:`policykg.graph.query_runner`.

Why one module: one lexer (``_Reader``) with the grammar's terminal tables it reads by, and
the guards that look only at its canonical text. What is checked must be exactly what runs, so
the reading and the checks on it stay in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from policykg.errors import ForbiddenQueryError, QueryError, QueryTooComplex

#: Deepest nesting of ``{ ( [ << <<( {|`` and ``!`` the guard lets through. Oxigraph's parser
#: overflows an 8 MB thread stack at 2 000–5 000 levels (measured with pyoxigraph 0.5); real
#: queries stay under 20. A tenth of the crash depth leaves room for smaller stacks.
MAX_NESTING = 200

# -- the grammar's terminals, as Oxigraph 0.5 writes them ------------------------------------------

# Oxigraph's PN_CHARS_BASE stops at U+FFFD (no supplementary planes, unlike the W3C grammar).
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_HEX4, _HEX8 = r"[0-9A-Fa-f]{4}", r"[0-9A-Fa-f]{8}"
_STR_ESC = rf"\\[tbnrf\"'\\]|\\u{_HEX4}|\\U{_HEX8}"

_PN_PREFIX = rf"[{_PN_CHARS_BASE}][{_PN_CHARS}]*(?:\.+[{_PN_CHARS}]+)*"
# Oxigraph's PN_LOCAL: after the first character, any run of name characters and then at most
# one group of dots and name characters (``ex:a.b.c`` is ``ex:a.b`` followed by ``.c``).
_PN_LOCAL = rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]|{_PLX})*(?:\.+(?:[{_PN_CHARS}:]|{_PLX})+)?"
_PNAME = re.compile(rf"(?P<prefix>(?:{_PN_PREFIX})?):(?P<local>{_PN_LOCAL})?")
_VAR = re.compile(rf"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*")
_BNODE = re.compile(rf"_:[{_PN_CHARS_U}0-9][{_PN_CHARS}]*(?:\.+[{_PN_CHARS}]+)*")
_LANG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+"
    r"|[0-9]*\.[0-9]+|[0-9]+)"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# \u escapes spelling a word: what engines that decode \u everywhere would read as a keyword
_ESCAPED_WORD = re.compile(rf"(?:[A-Za-z0-9_]|\\u{_HEX4}|\\U{_HEX8})+")
# The four string forms, long ones first (Oxigraph tries them in this order; an unclosed
# '''…''' falls back to the empty string '' followed by another string).
_STRING = re.compile(
    rf"'''(?:(?:''|')?(?:[^'\\]|{_STR_ESC}))*'''"
    rf'|"""(?:(?:""|")?(?:[^"\\]|{_STR_ESC}))*"""'
    rf"|'(?:[^'\\\n\r]|{_STR_ESC})*'"
    rf'|"(?:[^"\\\n\r]|{_STR_ESC})*"'
)
_ESCAPE = re.compile(rf"\\(?:([tbnrf\"'\\])|u({_HEX4})|U({_HEX8}))")
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_IRI_ESCAPE = re.compile(rf"\\u({_HEX4})|\\U({_HEX8})|\\")
#: What an IRIREF may not hold (the grammar's ``[^<>"{}|^`\\\x00-\x20]``), checked after decoding.
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SPACE = " \t\r\n"  # Oxigraph's only whitespace: any other (U+3000, NBSP, \f) is refused
_NIL = re.compile(r"\([ \t\r\n]*\)")
_ANON = re.compile(r"\[[ \t\r\n]*\]")

#: Every keyword of Oxigraph 0.5's grammar (``i("…")``: ASCII, any case).
KEYWORDS = frozenset(
    """
ABS ADD ADJUST ALL AS ASC ASK AVG BASE BIND BNODE BOUND BY CEIL CLEAR COALESCE CONCAT CONSTRUCT
CONTAINS COPY COUNT CREATE DATA DATATYPE DAY DEFAULT DELETE DESC DESCRIBE DISTINCT DROP
ENCODE_FOR_URI EXISTS FILTER FLOOR FROM GRAPH GROUP GROUP_CONCAT HASLANG HASLANGDIR HAVING HOURS IF
IN INSERT INTO IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI LANG LANGDIR LANGMATCHES LATERAL
LCASE LIMIT LOAD MAX MD5 MIN MINUS MINUTES MONTH MOVE NAMED NOT NOW OBJECT OFFSET OPTIONAL ORDER
PREDICATE PREFIX RAND REDUCED REGEX REPLACE ROUND SAMETERM SAMPLE SECONDS SELECT SEPARATOR SERVICE
SHA1 SHA256 SHA384 SHA512 SILENT STR STRAFTER STRBEFORE STRDT STRENDS STRLANG STRLANGDIR STRLEN
STRSTARTS STRUUID SUBJECT SUBSTR SUM TIMEZONE TO TRIPLE TZ UCASE UNDEF UNION URI USING UUID VALUES
VERSION WHERE WITH YEAR
""".split()
)
#: Keywords a bracket follows as a call: what is inside it is an expression.
BUILTINS = frozenset(
    """
ABS ADJUST AVG BNODE BOUND CEIL COALESCE CONCAT CONTAINS COUNT DATATYPE DAY ENCODE_FOR_URI FLOOR
GROUP_CONCAT HASLANG HASLANGDIR HOURS IF IRI ISBLANK ISIRI ISLITERAL ISNUMERIC ISTRIPLE ISURI LANG
LANGDIR LANGMATCHES LCASE MAX MD5 MIN MINUTES MONTH NOW OBJECT PREDICATE RAND REGEX REPLACE ROUND
SAMETERM SAMPLE SECONDS SHA1 SHA256 SHA384 SHA512 STR STRAFTER STRBEFORE STRDT STRENDS STRLANG
STRLANGDIR STRLEN STRSTARTS STRUUID SUBJECT SUBSTR SUM TIMEZONE TRIPLE TZ UCASE UUID YEAR
""".split()
)
_EXPRESSION_AFTER = BUILTINS | {"FILTER", "BIND", "HAVING", "ASC", "DESC"}
#: Oxigraph reads these glued to their bracket (``CONCAT(`` but not ``CONCAT (``; ``BNODE()``).
_GLUED_CALLS = frozenset({"CONCAT", "COALESCE", "BNODE"})
#: The keywords that reach outside the store, and what may follow them before a graph name.
_OUTWARD = (("SERVICE", "SILENT"), ("LOAD", "SILENT"), ("FROM", "NAMED"))
#: Prefix names refused at PREFIX: those that spell an outward keyword (``PREFIX service: …``),
#: by what they spell. (Not every keyword: ``in:``, ``FILTER:``, ``UNION:`` are in the W3C tests.)
_OUTWARD_PREFIXES = {kw: kw for kw, _ in _OUTWARD} | {kw + more: f"{kw} {more}" for kw, more in _OUTWARD}

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass(frozen=True)
class Token:
    kind: str  # word, var, bnode, iri, string, lang, number, punct, nil, anon
    text: str  # canonical: what the canonical text holds
    start: int  # offset in the text the client sent

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass
class Inspection:
    text: str  # the canonical text: what runs
    tokens: list[Token]
    form: str | None  # SELECT / ASK / CONSTRUCT / DESCRIBE for a query
    is_update: bool
    base: str | None  # the base IRI in force after the prologue (the endpoint's, or BASE)
    prefixes: dict[str, str]
    service: bool = False
    load: bool = False
    from_graphs: list[str] = field(default_factory=list)  # FROM <g>
    from_named: list[str] = field(default_factory=list)  # FROM NAMED <g>
    using: bool = False  # USING / USING NAMED / WITH present in an update
    depth: int = 0  # deepest nesting seen
    prologue: list[str] = field(default_factory=list)  # canonical BASE / VERSION declarations
    source: str = ""  # the text as sent
    #: the query's own top-level ``LIMIT n`` (outside every group, so not a subquery's): a SELECT
    #: returns at most this many rows
    limit: int | None = None
    #: a SELECT without a top-level LIMIT: its canonical text cut where one may go (before a
    #: trailing ``VALUES`` clause, else at the end), so that ``head + " LIMIT n " + tail`` is the
    #: same query returning at most n rows (see :func:`policykg.graph.query_runner.evaluate`)
    limit_slot: tuple[str, str] | None = None


# -- reading -------------------------------------------------------------------------------------


class _Frame:
    """One open bracket. ``kind``: top, group (``{``), expr, paren (a collection, path or VALUES
    row), bracket (``[``), rt (``<<``), tt (``<<(``), annot (``{|``). ``clause``: a frame
    where ``(`` opens an expression (the query's top level, a subquery's group).
    ``after``: in an expression, whether the last token ended an operand."""

    __slots__ = ("kind", "clause", "after")

    def __init__(self, kind: str, clause: bool = False) -> None:
        self.kind = kind
        self.clause = clause
        self.after = False


_CLOSERS = {"}": ("group",), ")": ("expr", "paren"), "]": ("bracket",), ">>": ("rt",), ")>>": ("tt",), "|}": ("annot",)}


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def _ascii_upper(s: str) -> str:
    return s.upper() if s.isascii() else "".join(c.upper() if c.isascii() else c for c in s)


def _decode_string(raw: str, text: str, pos: int) -> str:
    """A string's value as Oxigraph's ``unescape_string`` makes it: ECHAR and UCHAR decoded in one
    left-to-right pass; what one escape yields is never read again."""

    def sub(m: re.Match) -> str:
        if m.group(1):
            return _ECHARS[m.group(1)]
        code = int(m.group(2) or m.group(3), 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise QueryError(
                f"the string at {_where(text, pos)} holds the escape {m.group(0)}, which is no Unicode character"
            )
        return chr(code)

    return _ESCAPE.sub(sub, raw)


def canonical_string(value: str) -> str:
    """One way to write a string: double quotes, and only ``\\\\ \\" \\n \\r`` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _decode_iri(raw: str, text: str, pos: int) -> str:
    def sub(m: re.Match) -> str:
        if m.group(0) == "\\":
            raise QueryError(
                f"the IRI at {_where(text, pos)} holds a backslash: IRIs take only \\uXXXX and \\UXXXXXXXX escapes"
            )
        code = int(m.group(1) or m.group(2), 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise QueryError(f"the IRI at {_where(text, pos)} holds an escape that is no Unicode character")
        return chr(code)

    iri = _IRI_ESCAPE.sub(sub, raw) if "\\" in raw else raw
    bad = _IRI_FORBIDDEN.search(iri)
    if bad:
        raise QueryError(
            f"the IRI <{raw[:80]}> at {_where(text, pos)} holds {bad.group(0)!r}, which an IRI cannot hold",
            hint="percent-encode it (a space is %20)",
        )
    return iri


def resolve_iri(base: str | None, iri: str) -> str:
    """``iri`` resolved against ``base`` exactly as Oxigraph resolves it (RFC 3987, by oxiri)."""
    if _ABSOLUTE.match(iri):
        ox.NamedNode(iri)  # validates; raises ValueError
        return iri
    if base is None:
        raise ValueError(f"the relative IRI <{iri}> needs a base IRI")
    # Oxigraph's own resolution, through its Turtle parser (the IRI holds no '>' or space).
    triple = next(iter(ox.parse(f"<{iri}> <urn:x:p> <urn:x:o> .".encode(), format=ox.RdfFormat.TURTLE, base_iri=base)))
    return triple.subject.value


class _Reader:
    """One pass over the text: tokens with their canonical text, and what they say."""

    def __init__(self, text: str, prefixes: dict[str, str], base: str | None) -> None:
        self.text = text
        self.prefixes = prefixes
        self.base = base
        self.tokens: list[Token] = []
        self.frames = [_Frame("top", clause=True)]
        self.depth = 0
        self.bangs = 0
        self.prologue: list[str] = []
        self.form: str | None = None
        self.is_update = self.service = self.load = self.using = False
        self.from_graphs: list[str] = []
        self.from_named: list[str] = []
        #: where the token after the top-level LIMIT goes (-1: no such LIMIT, -2: more than one,
        #: which Oxigraph refuses, but the row cap must not rest on which one it would take)
        self.limit_at = -1
        #: the index of the token that opens a top-level (trailing) VALUES clause, if any
        self.values_at = -1

    # -- errors
    def fail(self, pos: int, what: str, hint: str | None = None) -> QueryError:
        return QueryError(
            f"cannot read the query at {_where(self.text, pos)}: {what}",
            hint=hint or "check the SPARQL syntax near that point",
        )

    # -- emitting
    def emit(self, kind: str, text: str, start: int) -> Token:
        tok = Token(kind, text, start)
        self.tokens.append(tok)
        frame = self.frames[-1]
        if frame.kind == "expr":
            frame.after = kind in ("var", "number", "string", "lang", "iri", "nil") or (
                kind == "word" and text in ("true", "false")
            )
        if kind == "punct" and text == "!":
            self.bangs += 1
            self._check_depth(start)
        else:
            self.bangs = 0
        return tok

    def push(self, kind: str, text: str, start: int, clause: bool = False) -> None:
        self.emit("punct", text, start)
        self.frames.append(_Frame(kind, clause))
        self._check_depth(start)

    def pop(self, text: str, start: int) -> None:
        frame = self.frames[-1]
        if frame.kind not in _CLOSERS[text]:
            raise self.fail(start, f"{text!r} closes nothing open here", "check that the brackets are balanced")
        self.frames.pop()
        self.emit("punct", text, start)
        parent = self.frames[-1]
        if parent.kind == "expr":
            parent.after = True

    def _check_depth(self, pos: int) -> None:
        depth = len(self.frames) - 1 + self.bangs
        self.depth = max(self.depth, depth)
        if depth > MAX_NESTING:
            raise QueryTooComplex(
                f"this text is nested more than {MAX_NESTING} levels deep (at "
                f"{_where(self.text, pos)}); the server accepts at most {MAX_NESTING}",
                hint="flatten the nested groups, brackets or ! operators",
            )

    def prev(self, back: int = 1) -> Token | None:
        return self.tokens[-back] if len(self.tokens) >= back else None

    # -- the pass
    def read(self) -> None:
        text = self.text
        n = len(text)
        pos = 0
        in_prologue = True
        while True:
            # whitespace and comments
            gap = pos
            while pos < n:
                c = text[pos]
                if c in _SPACE:
                    pos += 1
                elif c == "#":
                    while pos < n and text[pos] not in "\r\n":
                        pos += 1
                else:
                    break
            if pos >= n:
                break
            spaced = pos > gap
            c = text[pos]
            if in_prologue:
                word = _WORD.match(text, pos)
                kw = word.group(0).upper() if word else ""
                if word and kw in ("PREFIX", "BASE", "VERSION"):
                    pos = self.declaration(kw, word.end())
                    continue
                in_prologue = False
            frame = self.frames[-1]
            if c == '"' or c == "'":
                m = _STRING.match(text, pos)
                if not m:
                    raise self.fail(
                        pos,
                        "a string that is not closed on its line, or holds an escape other than "
                        "\\t \\b \\n \\r \\f \\\" \\' \\\\ \\uXXXX \\UXXXXXXXX",
                    )
                value = _decode_string(
                    m.group(0)[3:-3] if m.group(0)[:3] in ('"""', "'''") else m.group(0)[1:-1], text, pos
                )
                self.emit("string", canonical_string(value), pos)
                pos = m.end()
            elif c == "<":
                pos = self.angle(pos, frame)
            elif c == ">":
                if frame.kind == "expr" and frame.after:
                    op = ">=" if text.startswith(">=", pos) else ">"
                    self.emit("punct", op, pos)
                    pos += len(op)
                elif frame.kind == "rt" and text.startswith(">>", pos):
                    self.pop(">>", pos)
                    pos += 2
                else:
                    raise self.fail(pos, "'>' where no comparison or '>>' can be")
            elif c == "(":
                m = _NIL.match(text, pos)
                prev = self.prev()
                if (
                    prev is not None
                    and prev.kind == "word"
                    and prev.keyword in _GLUED_CALLS
                    and spaced
                    and (m or prev.keyword != "BNODE")
                ):
                    raise self.fail(
                        pos,
                        f"{prev.text} takes its bracket without a space before it "
                        f"({prev.text}(…)), as Oxigraph reads it",
                    )
                if m:
                    self.emit("nil", "()", pos)
                    pos = m.end()
                else:
                    self.push(self.paren_kind(frame), "(", pos)
                    pos += 1
            elif c == ")":
                if frame.kind == "tt" and text.startswith(")>>", pos):
                    self.pop(")>>", pos)
                    pos += 3
                else:
                    self.pop(")", pos)
                    pos += 1
            elif c == "{":
                if text.startswith("{|", pos):
                    self.push("annot", "{|", pos)
                    pos += 2
                    continue
                prev = self.prev()
                if frame.kind == "expr" and (prev is None or prev.keyword != "EXISTS"):
                    raise self.fail(pos, "'{' inside an expression, not after EXISTS")
                self.push("group", "{", pos)
                pos += 1
            elif c == "}":
                self.pop("}", pos)
                pos += 1
            elif c == "[":
                m = _ANON.match(text, pos)
                if m:
                    self.emit("anon", "[]", pos)
                    pos = m.end()
                elif frame.kind == "expr":
                    raise self.fail(pos, "'[' inside an expression")
                else:
                    self.push("bracket", "[", pos)
                    pos += 1
            elif c == "]":
                self.pop("]", pos)
                pos += 1
            elif c == "|":
                if text.startswith("|}", pos) and frame.kind == "annot":
                    self.pop("|}", pos)
                    pos += 2
                else:
                    op = "||" if text.startswith("||", pos) else "|"
                    self.emit("punct", op, pos)
                    pos += len(op)
            elif c == "?" or c == "$":
                m = _VAR.match(text, pos)
                if m:
                    self.emit("var", m.group(0), pos)
                    pos = m.end()
                elif c == "?":
                    self.emit("punct", "?", pos)  # a property path's zero-or-one
                    pos += 1
                else:
                    raise self.fail(pos, "'$' that starts no variable name")
            elif c == "@":
                m = _LANG.match(text, pos)
                prev = self.prev()
                if not m or prev is None or prev.kind != "string":
                    raise self.fail(pos, "'@' that is no language tag after a string")
                self.emit("lang", m.group(0), pos)
                pos = m.end()
            elif c == "^":
                op = "^^" if text.startswith("^^", pos) else "^"
                self.emit("punct", op, pos)
                pos += len(op)
            elif c in "+-.0123456789" and (num := _NUMBER.match(text, pos)):  # a digit always matches
                self.emit("number", num.group(0), pos)
                pos = num.end()
            elif c in ".,;*/=~+-":
                self.emit("punct", c, pos)
                pos += 1
            elif c == "!":
                op = "!=" if text.startswith("!=", pos) else "!"
                self.emit("punct", op, pos)
                pos += len(op)
            elif c == "&":
                if not text.startswith("&&", pos):
                    raise self.fail(pos, "'&' that is not '&&'")
                self.emit("punct", "&&", pos)
                pos += 2
            elif c == "_" and text.startswith("_:", pos):
                m = _BNODE.match(text, pos)
                if not m:
                    raise self.fail(pos, "'_:' that starts no blank node label")
                self.emit("bnode", m.group(0), pos)
                pos = m.end()
            elif c == "\\":
                self.escaped_word(pos)
            else:
                pos = self.name(pos)

    # -- the prologue
    def declaration(self, kw: str, pos: int) -> int:
        text = self.text
        pos = self.skip(pos)
        if kw == "VERSION":
            m = _STRING.match(text, pos)
            if not m or m.group(0)[:3] in ('"""', "'''"):
                raise self.fail(pos, "VERSION takes a short string")
            raw = m.group(0)[1:-1]
            self.prologue.append("VERSION " + canonical_string(_decode_string(raw, text, pos)))
            return m.end()
        name = ""
        if kw == "PREFIX":
            m = _PNAME.match(text, pos)
            if not m or m.group("local"):
                raise self.fail(pos, "PREFIX takes a name ending in ':' and then an IRI")
            name = m.group("prefix")
            spelled = _OUTWARD_PREFIXES.get(_ascii_upper(name))
            if spelled:
                raise QueryError(
                    f"the prefix name {name}: spells {spelled}: choose another name",
                    hint=f"SPARQL engines may read {name}:x as {spelled} followed by :x",
                )
            pos = self.skip(m.end())
        if not text.startswith("<", pos) or text.find(">", pos) < 0:
            raise self.fail(pos, f"{kw} takes an IRI in <…>")
        end = text.index(">", pos)
        iri = _decode_iri(text[pos + 1 : end], text, pos)
        try:
            resolved = resolve_iri(self.base, iri)
        except (ValueError, SyntaxError) as exc:
            raise QueryError(f"the {kw} IRI <{iri}> at {_where(text, pos)} is not valid: {exc}") from None
        if kw == "BASE":
            self.base = resolved
            self.prologue.append(f"BASE <{iri}>")
        else:
            self.prefixes[name] = resolved
        return end + 1

    def skip(self, pos: int) -> int:
        text = self.text
        n = len(text)
        while pos < n:
            if text[pos] in _SPACE:
                pos += 1
            elif text[pos] == "#":
                while pos < n and text[pos] not in "\r\n":
                    pos += 1
            else:
                break
        return pos

    # -- context
    def paren_kind(self, frame: _Frame) -> str:
        """What a ``(`` opens here: an expression, or a collection / path / VALUES row."""
        if frame.kind == "expr":
            return "expr"
        prev, prev2 = self.prev(), self.prev(2)
        kw = prev.keyword if prev is not None else ""
        if kw in _EXPRESSION_AFTER:
            return "expr"
        if kw == "VALUES":
            return "paren"
        if frame.clause:
            return "expr"  # SELECT ( … AS ?x ), GROUP BY ( … ), ORDER BY ( … ), HAVING ( … ), f( … )
        if prev is not None and prev.kind == "iri" and prev2 is not None and prev2.keyword == "FILTER":
            return "expr"  # FILTER <function>( … )
        return "paren"

    def angle(self, pos: int, frame: _Frame) -> int:
        text = self.text
        if frame.kind == "expr" and frame.after:
            op = "<=" if text.startswith("<=", pos) else "<"
            self.emit("punct", op, pos)
            return pos + len(op)
        if text.startswith("<<(", pos):
            self.push("tt", "<<(", pos)
            return pos + 3
        if text.startswith("<<", pos):
            if frame.kind == "expr":
                raise self.fail(pos, "'<<' inside an expression (a triple term there is <<( … )>>)")
            self.push("rt", "<<", pos)
            return pos + 2
        end = text.find(">", pos + 1)
        if end < 0:
            raise self.fail(pos, "'<' that starts an IRI no '>' closes")
        iri = _decode_iri(text[pos + 1 : end], text, pos)
        self.emit("iri", f"<{iri}>", pos)
        self.after_iri(iri, pos)
        return end + 1

    def after_iri(self, iri: str, pos: int) -> None:
        """FROM / FROM NAMED: record the graph, resolved as Oxigraph resolves it."""
        prev = self.prev(2)
        if prev is None:
            return
        kw = prev.keyword
        if kw == "NAMED":
            before = self.prev(3)
            if before is None or before.keyword != "FROM":
                return
        elif kw != "FROM":
            return
        try:
            resolved = resolve_iri(self.base, iri)
        except (ValueError, SyntaxError):
            resolved = ""
        (self.from_named if kw == "NAMED" else self.from_graphs).append(resolved)

    # -- names: prefixed names, keywords
    def name(self, pos: int) -> int:
        text = self.text
        m = _PNAME.match(text, pos)
        if m:
            self.pname(m, pos)
            return m.end()
        w = _WORD.match(text, pos)
        if not w:
            char = text[pos]
            raise self.fail(
                pos,
                f"the character {char!r} (U+{ord(char):04X}) has no place in SPARQL here",
                "SPARQL's only spaces are space, tab, CR and LF" if char.isspace() else None,
            )
        word = w.group(0)
        if w.end() < len(text) and text[w.end()] == "\\":
            self.escaped_word(pos)
        kw = word.upper()
        if word in ("a", "true", "false"):
            self.emit("word", word, pos)
        elif kw in KEYWORDS:
            self.keyword(word, kw, pos)
        else:
            for outward, _ in _OUTWARD[:2]:
                if kw.startswith(outward):
                    raise ForbiddenQueryError(
                        f"{outward} is not allowed: {word!r} at {_where(text, pos)} reads as "
                        f"the keyword {outward} followed by more"
                    )
            raise self.fail(pos, f"{word!r} is no SPARQL keyword")
        return w.end()

    def keyword(self, word: str, kw: str, pos: int) -> None:
        frame = self.frames[-1]
        self.emit("word", word, pos)
        if kw == "SERVICE":
            self.service = True
        elif kw == "LOAD":
            self.load = True
        elif kw in ("USING", "WITH"):
            self.using = True
        elif kw == "SELECT" and frame.kind == "group":
            frame.clause = True  # a subquery: its projection, GROUP BY, ORDER BY take expressions
        elif kw == "LIMIT" and frame.kind == "top":
            self.limit_at = len(self.tokens) if self.limit_at == -1 else -2
        elif kw == "VALUES" and frame.kind == "top":
            self.values_at = len(self.tokens) - 1
        elif kw in ("PREFIX", "BASE", "VERSION"):
            raise self.fail(
                pos,
                f"{kw} after the start: declarations come first (Oxigraph takes them only "
                "before the first query form or update operation)",
            )
        if self.form is None and not self.is_update:
            if kw in QUERY_FORMS:
                self.form = kw
            elif kw in UPDATE_WORDS:
                self.is_update = True

    def pname(self, m: re.Match, pos: int) -> None:
        prefix, local = m.group("prefix"), m.group("local") or ""
        raw = m.group(0)
        hidden = self.hidden_keyword(prefix)
        if hidden:
            rest = raw[len(hidden) :]
            msg = (
                f"{raw!r} at {_where(self.text, pos)} reads as the keyword {hidden} followed by {rest!r} "
                "(Oxigraph does not need a space there)"
            )
            if hidden == "FROM":
                raise QueryError(msg, hint="write FROM, a space, then the graph's IRI")
            raise ForbiddenQueryError(f"{hidden} is not allowed: {msg}")
        if prefix not in self.prefixes:
            raise QueryError(
                f"the prefix {prefix}: of {raw!r} at {_where(self.text, pos)} is not declared",
                hint=f"add PREFIX {prefix}: <…> at the start of the query",
            )
        iri = self.prefixes[prefix] + local.replace("\\", "")
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise QueryError(
                f"{raw!r} at {_where(self.text, pos)} makes the IRI <{iri}>, which is not valid: {exc}"
            ) from None
        self.emit("iri", f"<{iri}>", pos)
        self.after_iri(iri, pos)

    def hidden_keyword(self, prefix: str) -> str:
        """SERVICE, LOAD or FROM when Oxigraph could read ``prefix:local`` as that keyword (maybe
        with SILENT / NAMED) followed by another prefixed name: its grammar matches keywords by
        their letters alone, and backtracks into that reading where a prefixed name fails."""
        up = _ascii_upper(prefix)
        for kw, extra in _OUTWARD:
            if up.startswith(kw):
                rests = [prefix[len(kw) :]]
                if up[len(kw) :].startswith(extra):
                    rests.append(prefix[len(kw) + len(extra) :])
                if any(r == "" or r in self.prefixes for r in rests):
                    return kw
        return ""

    def escaped_word(self, pos: int) -> None:
        """A ``\\u`` escape outside strings and IRIs: Oxigraph reads no such thing there; engines
        that decode escapes first would read a word. Refuse, as forbidden if that word reaches out."""
        m = _ESCAPED_WORD.match(self.text, pos)
        raw = m.group(0) if m else self.text[pos : pos + 2]
        decoded = re.sub(
            r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
            lambda e: chr(min(int(e.group(1) or e.group(2), 16), 0x10FFFF)),
            raw,
        )
        up = _ascii_upper(decoded)
        for kw, _ in _OUTWARD:
            if up.startswith(kw) and "\\" in raw:
                if kw == "FROM":
                    raise ForbiddenQueryError(
                        f"FROM written as {raw!r}: the server never fetches graphs from the "
                        "web, and reads \\u escapes only inside strings and IRIs"
                    )
                raise ForbiddenQueryError(
                    f"{kw} is not allowed (written as {raw!r}: \\u escapes are read only inside strings and IRIs)"
                )
        raise self.fail(
            pos,
            "a backslash outside a string, an IRI or a prefixed name's \\-escape",
            "\\uXXXX escapes are read only inside strings and IRIs",
        )


def _join(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    prev: Token | None = None
    for tok in tokens:
        if prev is not None and not (
            tok.kind == "lang" or (prev.kind == "word" and prev.keyword in _GLUED_CALLS and tok.text in ("(", "()"))
        ):
            parts.append(" ")
        parts.append(tok.text)
        prev = tok
    return "".join(parts)


def inspect(text: str, default_prefixes: dict[str, str] | None = None, *, base_iri: str | None = None) -> Inspection:
    """Read ``text`` once, as Oxigraph does; raise :class:`QueryError` for what cannot be read that
    way, :class:`QueryTooComplex` past :data:`MAX_NESTING`, :class:`ForbiddenQueryError` for an
    outward keyword hidden where Oxigraph would still find it. ``base_iri`` is the base the text
    will run with (relative PREFIX and FROM IRIs are resolved against it, as Oxigraph does)."""
    reader = _Reader(text, dict(default_prefixes or {}), base_iri)
    reader.read()
    if len(reader.frames) > 1:
        open_ = reader.frames[-1].kind
        raise QueryError(
            f"the text ends with a bracket still open ({open_})", hint="check that the brackets are balanced"
        )
    body = _join(reader.tokens)
    canonical = " ".join(reader.prologue + ([body] if body else []))
    limit = None
    if 0 <= reader.limit_at < len(reader.tokens):
        count = reader.tokens[reader.limit_at]
        if count.kind == "number" and count.text.isdigit():
            limit = int(count.text)
    limit_slot = None
    if reader.form == "SELECT" and not reader.is_update and reader.limit_at == -1:
        if reader.values_at < 0:
            limit_slot = (canonical, "")
        else:  # a LIMIT comes before the query's trailing VALUES clause, not after it
            head = _join(reader.tokens[: reader.values_at])
            limit_slot = (" ".join(reader.prologue + [head]), _join(reader.tokens[reader.values_at :]))
    return Inspection(
        canonical,
        reader.tokens,
        reader.form,
        reader.is_update,
        reader.base,
        reader.prefixes,
        service=reader.service,
        load=reader.load,
        from_graphs=reader.from_graphs,
        from_named=reader.from_named,
        using=reader.using,
        depth=reader.depth,
        prologue=reader.prologue,
        source=text,
        limit=limit,
        limit_slot=limit_slot,
    )


def guard_query(
    text: str,
    *,
    graph_exists: Callable[[str], bool],
    default_prefixes: dict[str, str] | None = None,
    base_iri: str | None = None,
) -> Inspection:
    """Refuse a query that would reach outside the store; return what was read of it. Run
    ``info.text`` (the canonical text), never ``text``."""
    info = inspect(text, default_prefixes, base_iri=base_iri)
    check_query(info, graph_exists=graph_exists)
    return info


def check_query(info: Inspection, *, graph_exists: Callable[[str], bool]) -> None:
    """:func:`guard_query`'s refusals for a query already read by :func:`inspect` (a reading
    depends on the text, the prefixes and the base IRI alone, so it may be kept; these checks
    also ask the store, so they run for every request)."""
    if info.is_update:
        raise QueryError("this is a SPARQL Update, not a query: send it to the update endpoint with a token")
    if info.service:
        raise ForbiddenQueryError(
            "SERVICE is not allowed: queries cannot call other endpoints",
            hint="copy the data you need into the store instead",
        )
    if info.load:
        raise ForbiddenQueryError("LOAD is not allowed: the server does not fetch data from the web")
    for iri in info.from_graphs + info.from_named:
        if not iri or not graph_exists(iri):
            raise ForbiddenQueryError(
                f"FROM <{iri}> names no graph in this store; the server never fetches graphs from the web",
                hint="use FROM / FROM NAMED only with the IRIs of documents in the store (see /documents)",
            )


def guard_update(
    text: str, default_prefixes: dict[str, str] | None = None, *, base_iri: str | None = None
) -> Inspection:
    """Refuse an update that would fetch data or nest too deeply; return what was read of it. Run
    ``info.text`` (or :func:`add_using`'s text), never ``text``."""
    info = inspect(text, default_prefixes, base_iri=base_iri)
    if info.load:
        raise ForbiddenQueryError(
            "LOAD is not allowed: the server does not fetch data from the web",
            hint="upload the data with POST /documents or the Graph Store Protocol",
        )
    if info.service:
        raise ForbiddenQueryError("SERVICE is not allowed: updates cannot call other endpoints")
    return info


def where_patterns(info: Inspection) -> list[str]:
    """Every top-level ``WHERE { … }`` of an update as an ASK query (canonical, with the update's
    BASE), so a worker can plan each pattern where a crash costs only the worker (see
    :meth:`policykg.graph.query_runner.QueryRunner.check_update`)."""
    tokens = info.tokens
    asks: list[str] = []
    depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if depth == 0 and tok.keyword == "WHERE" and i + 1 < len(tokens) and tokens[i + 1].text == "{":
            end = _closing_brace(tokens, i + 1)
            if end is None:
                break
            asks.append(" ".join(info.prologue + ["ASK", _join(tokens[i + 1 : end + 1])]))
            i = end + 1
            continue
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth = max(0, depth - 1)
        i += 1
    return asks


def _closing_brace(tokens: Sequence[Token], opening: int) -> int | None:
    depth = 0
    for k in range(opening, len(tokens)):
        if tokens[k].kind == "punct" and tokens[k].text == "{":
            depth += 1
        elif tokens[k].kind == "punct" and tokens[k].text == "}":
            depth -= 1
            if depth == 0:
                return k
    return None


def add_using(info: Inspection, using: Sequence[str], using_named: Sequence[str]) -> str:
    """The canonical text with the protocol's using-graph-uri / using-named-graph-uri applied to
    every DELETE/INSERT … WHERE.

    The clauses go right before each top-level ``WHERE`` keyword that closes a
    Modify operation (``DELETE WHERE`` shorthand takes no USING and is left alone).
    """
    if not using and not using_named:
        return info.text
    if info.using:
        raise QueryError("using-graph-uri / using-named-graph-uri cannot be combined with USING or WITH in the update")
    clause: list[Token] = []
    for g in using:
        clause += [Token("word", "USING", -1), Token("iri", f"<{g}>", -1)]
    for g in using_named:
        clause += [Token("word", "USING", -1), Token("word", "NAMED", -1), Token("iri", f"<{g}>", -1)]
    out: list[Token] = []
    depth = 0
    prev: Token | None = None
    for tok in info.tokens:
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
        elif depth == 0 and tok.keyword == "WHERE" and (prev is None or prev.keyword != "DELETE"):
            out += clause
        out.append(tok)
        prev = tok
    return " ".join(info.prologue + [_join(out)])
