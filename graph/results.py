"""SPARQL results for programs (CSV, TSV, JSON, XML, RDF); the terminal's are in ``cli/tables.py``.

:func:`serialize_result` is the one serializer of query results for programs: the public
endpoint (in its query workers, cut at ``max_rows`` rows and ``max_reply_bytes`` bytes) and
``policykg query`` (uncut) both write through it. :func:`native_json` is the endpoint's fast way
for a SELECT whose own LIMIT keeps it under the row cap: pyoxigraph writes the JSON, no row
passes through Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape as _xml_escape

import pyoxigraph as ox

from policykg.errors import QueryError


def plural(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``: a count with its noun."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# -- results for programs: one serializer, cut at a row and a byte cap -------------------------


def _term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    # RDF-star triple term
    return {
        "type": "triple",
        "value": {
            "subject": _term_json(term.subject),
            "predicate": _term_json(term.predicate),
            "object": _term_json(term.object),
        },
    }


def _term_xml(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml_escape(term.language)}">{_xml_escape(term.value)}</literal>'
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f'<literal datatype="{_xml_escape(term.datatype.value)}">{_xml_escape(term.value)}</literal>'
        return f"<literal>{_xml_escape(term.value)}</literal>"
    return (
        f"<triple><subject>{_term_xml(term.subject)}</subject><predicate>{_term_xml(term.predicate)}</predicate>"
        f"<object>{_term_xml(term.object)}</object></triple>"
    )


#: A cell a spreadsheet would run as a formula (OWASP "CSV injection"): it starts with one of
#: these. A plain number (-5, +3.2e1) is left alone: it is a number, not a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def defuse_formula(value: str) -> str:
    """``value`` made inert for spreadsheets: a leading ``'`` where it would start a formula."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(term) -> str:
    if term is None:
        return ""
    v = f"_:{term.value}" if isinstance(term, ox.BlankNode) else (term.value if hasattr(term, "value") else str(term))
    v = defuse_formula(v)
    if any(c in v for c in ',"\r\n'):
        v = '"' + v.replace('"', '""') + '"'
    return v


def _tsv_cell(term) -> str:
    if term is None:
        return ""
    text = str(term)  # pyoxigraph's str() is the N-Triples / Turtle form
    if isinstance(term, ox.Literal) and text.startswith('"'):
        # The quotes are no protection: spreadsheets drop them and read what is inside.
        inner = defuse_formula(term.value)
        if inner != term.value:
            text = "\"'" + text[1:]
    return text


class _SolutionWriter:
    """One results format as a head, one chunk per row, a separator and a tail, so that a reply
    can stop at any row and still be a whole document."""

    def __init__(
        self,
        head: Callable[[list[str]], str],
        row: Callable[[list[str], list], str],
        sep: str,
        tail: Callable[[bool], str],
    ) -> None:
        self.head, self.row, self.sep, self.tail = head, row, sep, tail


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
_WRITERS = {
    "json": _SolutionWriter(
        lambda vs: '{"head": {"vars": ' + json.dumps(vs, ensure_ascii=False) + '}, "results": {"bindings": [',
        lambda vs, row: json.dumps(
            {v: _term_json(t) for v, t in zip(vs, row, strict=False) if t is not None}, ensure_ascii=False
        ),
        ", ",
        # "truncated" is an extra member; clients ignore it, people and our UI read it
        lambda truncated: "]}" + (', "truncated": true' if truncated else "") + "}",
    ),
    "xml": _SolutionWriter(
        lambda vs: _XML_HEAD + "".join(f'<variable name="{_xml_escape(v)}"/>' for v in vs) + "</head><results>",
        lambda vs, row: (
            "<result>"
            + "".join(
                f'<binding name="{_xml_escape(v)}">{_term_xml(t)}</binding>'
                for v, t in zip(vs, row, strict=False)
                if t is not None
            )
            + "</result>"
        ),
        "",
        lambda truncated: ("<!-- truncated -->" if truncated else "") + "</results></sparql>\n",
    ),
    "csv": _SolutionWriter(
        lambda vs: ",".join(vs) + "\r\n",
        lambda vs, row: ",".join(_csv_cell(t) for t in row) + "\r\n",
        "",
        lambda truncated: "",
    ),
    "tsv": _SolutionWriter(
        lambda vs: "\t".join("?" + v for v in vs) + "\n",
        lambda vs, row: "\t".join(_tsv_cell(t) for t in row) + "\n",
        "",
        lambda truncated: "",
    ),
}
_TAIL_ROOM = 64  # bytes kept for the tail, so the cut reply with its tail stays within the cap


def serialize_solutions(
    variables: list[str], rows: Iterable[list], fmt: str, *, max_rows: int | None = None, max_bytes: int | None = None
) -> tuple[bytes, int, bool]:
    """Rows as one results document, cut at ``max_rows`` rows or before ``max_bytes`` bytes.

    Returns the body, the rows written and whether rows were left out. Rows are read one past
    the cap at most (to tell whether there were more), never further.
    """
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise QueryError(f"unknown results format {fmt}")
    head = writer.head(variables).encode("utf-8")
    parts, size, count, truncated = [head], len(head) + _TAIL_ROOM, 0, False
    for row in rows:
        if max_rows is not None and count >= max_rows:
            truncated = True
            break
        chunk = ((writer.sep if count else "") + writer.row(variables, row)).encode("utf-8")
        if max_bytes is not None and size + len(chunk) > max_bytes:
            truncated = True
            break
        parts.append(chunk)
        size += len(chunk)
        count += 1
    parts.append(writer.tail(truncated).encode("utf-8"))
    return b"".join(parts), count, truncated


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    if fmt in ("csv", "tsv"):
        return (
            ("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + ("true" if value else "false") + "\n"
        ).encode()
    raise QueryError(f"unknown results format {fmt}")


class _OverCap(Exception):
    """The reply grew past its byte cap."""


class _CappedBuffer:
    """A file for pyoxigraph's serializers that refuses to hold more than ``cap`` bytes."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []
        self.over = False

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            self.over = True
            raise _OverCap
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None


#: Replies up to this size are counted by parsing them (the fastest count, but the parse holds
#: about ten times the text in objects); larger ones by a scan that holds one copy of the text.
_PARSE_COUNT_BYTES = 2_000_000
#: A JSON string, escapes and all: what is left without them holds ``{`` after ``[`` or ``,``
#: only where a row of the bindings array starts (no other array of the format holds objects).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_ROW_START = re.compile(rb"[\[,]\s*\{")


def _json_rows(body: bytes) -> tuple[int, dict | None]:
    """How many rows a SPARQL JSON results document holds, and the document when it was parsed
    to count them (a reply to cut needs it again)."""
    if len(body) <= _PARSE_COUNT_BYTES:
        doc = json.loads(body)
        return len(doc["results"]["bindings"]), doc
    return sum(1 for _ in _ROW_START.finditer(_JSON_STRING.sub(b"", body))), None


def native_json(result: ox.QuerySolutions, *, max_bytes: int | None = None, max_rows: int | None = None) -> dict | None:
    """SELECT solutions as SPARQL JSON written by pyoxigraph: the caller knows that they stay
    near its row cap (a LIMIT of at most ``max_rows + 1``), and rows past ``max_rows`` are cut
    from the written JSON. None when they would pass ``max_bytes`` (``result`` is then partly
    read: the caller evaluates the query again and cuts it row by row with
    :func:`serialize_result`). Same result shape as :func:`serialize_result`."""
    if max_bytes is None:
        body = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
    else:
        out = _CappedBuffer(max_bytes)
        try:
            result.serialize(out, format=ox.QueryResultsFormat.JSON)  # type: ignore[arg-type]  # any .write() will do
        except Exception:
            if out.over:  # whatever pyoxigraph wrapped the refusal in
                return None
            raise
        body = b"".join(out.parts)
    rows, doc = _json_rows(body)
    if max_rows is not None and rows > max_rows:
        doc = doc if doc is not None else json.loads(body)
        del doc["results"]["bindings"][max_rows:]
        doc["truncated"] = True  # as serialize_solutions says it (see its JSON writer)
        cut = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return {"kind": "solutions", "body": cut, "rows": max_rows, "truncated": True}
    return {"kind": "solutions", "body": body, "rows": rows, "truncated": False}


_RDF_OUT = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


def serialize_result(
    result,
    *,
    fmt: str,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    prefixes: dict[str, str] | None = None,
) -> dict:
    """A pyoxigraph query result as the protocol's body, cut at ``max_rows`` and ``max_bytes``.

    ``{"kind", "body", "rows", "truncated"}``; ``truncated`` says rows were left out.
    """
    if isinstance(result, ox.QueryBoolean):
        return {"kind": "boolean", "body": serialize_boolean(bool(result), fmt), "rows": 1, "truncated": False}
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows = ([sol[v] for v in variables] for sol in result)
        body, count, truncated = serialize_solutions(variables, rows, fmt, max_rows=max_rows, max_bytes=max_bytes)
        return {"kind": "solutions", "body": body, "rows": count, "truncated": truncated}
    if fmt not in _RDF_OUT:
        raise QueryError(f"unknown RDF format {fmt}")
    triples: list[ox.Triple] = []
    truncated, size = False, 0
    for triple in result:
        if max_rows is not None and len(triples) >= max_rows:
            truncated = True
            break
        size += len(str(triple).encode("utf-8")) + 3  # its N-Triples line: about its size in any format
        if max_bytes is not None and size > max_bytes:
            truncated = True
            break
        triples.append(triple)
    rdf_format = _RDF_OUT[fmt]
    body = (
        ox.serialize(triples, format=rdf_format, prefixes=prefixes if rdf_format == ox.RdfFormat.TURTLE else None)
        or b""
    )
    return {"kind": "graph", "body": body, "rows": len(triples), "truncated": truncated}
