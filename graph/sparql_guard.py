"""Keep public SPARQL safe: refuse outbound requests before anything is evaluated.

:func:`inspect` reads a query or update the way a SPARQL parser does — first the
``\\uXXXX`` code-point escapes are decoded over the whole text (SPARQL 1.1 §19.2,
as Oxigraph does), then the text is cut into the grammar's terminals (comments,
the four string forms, IRIREFs, prefixed names, variables, keywords). Only a bare
keyword token can be ``SERVICE``, ``LOAD`` or ``FROM``: the same word inside a
comment, a string, an IRI, a prefixed name (``ex:service``) or a variable is never
mistaken for one. :func:`guard_query` / :func:`guard_update` refuse, before any
evaluation, ``SERVICE``, ``LOAD`` and ``FROM``/``FROM NAMED`` naming a graph that
is not in the store (a URL another engine would fetch). Oxigraph *does* fetch
SERVICE and LOAD over HTTP, so this check matters. They also refuse text nested more
than :data:`MAX_NESTING` levels deep: Oxigraph's parser recurses once per level and
overflows its stack (killing the process, not raising) a few thousand levels down.

Evaluation with time limits and row caps is :mod:`policykg.graph.query_runner`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from policykg.errors import ForbiddenQueryError, QueryError, QueryTooComplex

# -- lexing ------------------------------------------------------------------

_UESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_PN_CHARS_BASE = "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D" \
                 "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*")'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    rf"|(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)"
    rf"|(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
    rf"|(?P<pname>(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
    rf"(?:(?:[{_PN_CHARS_U}:0-9]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])"
    rf"(?:(?:[{_PN_CHARS}.:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])*"
    rf"(?:[{_PN_CHARS}:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]))?)?)"
    r"|(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
    r"|(?P<number>(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>\^\^|<=|>=|!=|&&|\|\|)"
    r"|(?P<other>.)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ws, comment, string, iri, var, bnode, pname, lang, number, word, punct, other
    text: str
    start: int

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def unescape_codepoints(text: str) -> str:
    """Decode ``\\uXXXX`` and ``\\UXXXXXXXX`` everywhere, as SPARQL parsers do before lexing."""
    def sub(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        try:
            return chr(code)
        except ValueError:
            return m.group(0)
    return _UESCAPE.sub(sub, text)


def tokenize(text: str) -> list[Token]:
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        assert m is not None  # 'other' matches any character
        kind = m.lastgroup or "other"
        out.append(Token(kind, m.group(0), pos))
        pos = m.end()
    return out


#: Deepest nesting of ``{ ( [ <<`` and ``!`` the guard lets through. Oxigraph's parser overflows
#: an 8 MB thread stack at 2 000–5 000 levels (measured with pyoxigraph 0.5); real queries
#: stay under 20. A tenth of the crash depth leaves room for smaller stacks.
MAX_NESTING = 200

_OPENERS = {"{", "(", "["}
_CLOSERS = {"}", ")", "]"}


def nesting_depth(tokens: Sequence[Token]) -> int:
    """The deepest nesting of the grammar's recursive forms: brackets, ``<< >>`` and ``!`` runs.

    A run of ``!`` (``!!!!true``) recurses in the parser like brackets do, so each counts
    as a level until the next other token.
    """
    depth = deepest = bangs = 0
    prev: Token | None = None
    for tok in tokens:
        text = tok.text
        if tok.kind == "other" and text in _OPENERS or _adjacent_pair(prev, tok, "<"):
            depth += 1
        elif tok.kind == "other" and text in _CLOSERS or _adjacent_pair(prev, tok, ">"):
            depth = max(0, depth - 1)
        bangs = bangs + 1 if tok.kind == "other" and text == "!" else 0
        deepest = max(deepest, depth + bangs)
        prev = tok
    return deepest


def _adjacent_pair(prev: Token | None, tok: Token, char: str) -> bool:
    """``<<`` / ``>>`` of RDF-star quoted triples: two single-character tokens side by side."""
    return (prev is not None and tok.kind == prev.kind == "other" and tok.text == prev.text == char
            and tok.start == prev.start + 1)


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass
class Inspection:
    text: str  # after code-point unescaping
    tokens: list[Token]
    form: str | None  # SELECT / ASK / CONSTRUCT / DESCRIBE for a query
    is_update: bool
    base: str | None
    prefixes: dict[str, str]
    service: bool = False
    load: bool = False
    from_graphs: list[str] = field(default_factory=list)  # FROM <g>
    from_named: list[str] = field(default_factory=list)  # FROM NAMED <g>
    using: bool = False  # USING / USING NAMED / WITH present in an update
    depth: int = 0  # see nesting_depth


def inspect(text: str, default_prefixes: dict[str, str] | None = None) -> Inspection:
    text = unescape_codepoints(text)
    tokens = [t for t in tokenize(text) if t.kind not in ("ws", "comment")]
    prefixes = dict(default_prefixes or {})
    base = None
    form = None
    is_update = False
    info = Inspection(text, tokens, None, False, None, prefixes)
    i = 0
    # prologue
    while i < len(tokens):
        kw = tokens[i].keyword
        if kw == "BASE" and i + 1 < len(tokens) and tokens[i + 1].kind == "iri":
            base = tokens[i + 1].text[1:-1]
            i += 2
        elif kw == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1].kind == "pname" and tokens[i + 2].kind == "iri":
            prefixes[tokens[i + 1].text[:-1] if tokens[i + 1].text.endswith(":") else tokens[i + 1].text.split(":")[0]] = \
                tokens[i + 2].text[1:-1]
            i += 3
        else:
            break
    for j, tok in enumerate(tokens):
        kw = tok.keyword
        if not kw:
            continue
        if form is None and not is_update:
            if kw in QUERY_FORMS:
                form = kw
            elif kw in UPDATE_WORDS:
                is_update = True
        if kw == "SERVICE":
            info.service = True
        elif kw == "LOAD":
            info.load = True
        elif kw in ("USING", "WITH"):
            info.using = True
        elif kw == "FROM":
            k = j + 1
            named = k < len(tokens) and tokens[k].keyword == "NAMED"
            if named:
                k += 1
            target = tokens[k] if k < len(tokens) else None
            iri = _resolve(target, prefixes, base) if target is not None else None
            (info.from_named if named else info.from_graphs).append(iri if iri is not None else "")
    info.form = form
    info.is_update = is_update
    info.base = base
    info.depth = nesting_depth(tokens)
    return info


def _refuse_deep(info: Inspection, what: str) -> None:
    if info.depth > MAX_NESTING:
        raise QueryTooComplex(f"this {what} is nested {info.depth} levels deep; the server accepts at most "
                              f"{MAX_NESTING}", hint="flatten the nested groups, brackets or ! operators")


def _resolve(tok: Token, prefixes: dict[str, str], base: str | None) -> str | None:
    if tok.kind == "iri":
        iri = tok.text[1:-1]
        if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri):
            from urllib.parse import urljoin
            iri = urljoin(base, iri)
        return iri
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        return tok.text
    return None


def guard_query(text: str, *, graph_exists: Callable[[str], bool], default_prefixes: dict[str, str] | None = None
                ) -> Inspection:
    """Refuse a query that would reach outside the store; return what was read of it."""
    info = inspect(text, default_prefixes)
    _refuse_deep(info, "query")
    if info.is_update:
        raise QueryError("this is a SPARQL Update, not a query: send it to the update endpoint with a token")
    if info.service:
        raise ForbiddenQueryError("SERVICE is not allowed: queries cannot call other endpoints",
                                  hint="copy the data you need into the store instead")
    if info.load:
        raise ForbiddenQueryError("LOAD is not allowed: the server does not fetch data from the web")
    for iri in info.from_graphs + info.from_named:
        if not iri or not graph_exists(iri):
            raise ForbiddenQueryError(
                f"FROM <{iri}> names no graph in this store; the server never fetches graphs from the web",
                hint="use FROM / FROM NAMED only with the IRIs of documents in the store (see /documents)")
    return info


def guard_update(text: str, default_prefixes: dict[str, str] | None = None) -> Inspection:
    """Refuse an update that would fetch data or nest too deeply; return what was read of it."""
    info = inspect(text, default_prefixes)
    _refuse_deep(info, "update")
    if info.load:
        raise ForbiddenQueryError("LOAD is not allowed: the server does not fetch data from the web",
                                  hint="upload the data with POST /documents or the Graph Store Protocol")
    if info.service:
        raise ForbiddenQueryError("SERVICE is not allowed: updates cannot call other endpoints")
    return info


def where_patterns(info: Inspection) -> list[str]:
    """Every top-level ``WHERE { … }`` of an update as an ASK query carrying the update's PREFIX
    and BASE declarations, so a worker can plan each pattern where a crash costs only the worker
    (see :meth:`policykg.graph.query_runner.QueryRunner.check_update`)."""
    tokens = info.tokens
    prologue: list[str] = []
    asks: list[str] = []
    depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kw = tok.keyword
        if depth == 0 and kw in ("PREFIX", "BASE"):
            width = 3 if kw == "PREFIX" else 2
            prologue.append(" ".join(t.text for t in tokens[i:i + width]))
            i += width
            continue
        if depth == 0 and kw == "WHERE" and i + 1 < len(tokens) and tokens[i + 1].text == "{":
            end = _closing_brace(tokens, i + 1)
            if end is None:
                break  # unbalanced: the parser will refuse the update anyway
            asks.append("\n".join(prologue + ["ASK " + info.text[tokens[i + 1].start:tokens[end].start + 1]]))
            i = end + 1
            continue
        if tok.kind == "other" and tok.text == "{":
            depth += 1
        elif tok.kind == "other" and tok.text == "}":
            depth = max(0, depth - 1)
        i += 1
    return asks


def _closing_brace(tokens: Sequence[Token], opening: int) -> int | None:
    depth = 0
    for k in range(opening, len(tokens)):
        if tokens[k].kind == "other" and tokens[k].text == "{":
            depth += 1
        elif tokens[k].kind == "other" and tokens[k].text == "}":
            depth -= 1
            if depth == 0:
                return k
    return None


def add_using(info: Inspection, using: Sequence[str], using_named: Sequence[str]) -> str:
    """Apply the protocol's using-graph-uri / using-named-graph-uri to every DELETE/INSERT … WHERE.

    The clauses go right before each top-level ``WHERE`` keyword that closes a
    Modify operation (``DELETE WHERE`` shorthand takes no USING and is left alone).
    """
    if not using and not using_named:
        return info.text
    if info.using:
        raise QueryError("using-graph-uri / using-named-graph-uri cannot be combined with USING or WITH in the update")
    clause = "".join(f" USING <{g}>" for g in using) + "".join(f" USING NAMED <{g}>" for g in using_named) + " "
    text = info.text
    depth = 0
    inserts: list[int] = []
    prev = None
    for tok in info.tokens:
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
        elif depth == 0 and tok.keyword == "WHERE" and (prev is None or prev.keyword != "DELETE"):
            inserts.append(tok.start)
        prev = tok
    for pos in reversed(inserts):
        text = text[:pos] + clause + text[pos:]
    return text
