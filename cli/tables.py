"""What the terminal shows: text tables, and ``policykg query``'s output in each ``--format``.

A table's columns are padded by display width (a CJK character takes two columns). Programs'
formats (CSV, TSV, JSON, XML) are written by :func:`policykg.graph.results.serialize_result`.
"""

from __future__ import annotations

import unicodedata

import pyoxigraph as ox

from policykg.errors import PolicyKGError
from policykg.graph.results import plural, serialize_boolean, serialize_result
from policykg.ontology import PREFIXES

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]
    line = "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    return "\n".join(out) + "\n"


def shorten(term) -> str:
    """A term as people read it: prefixed names for IRIs, plain lexical forms for literals."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in PREFIXES.items():
            if term.value.startswith(ns):
                return f"{prefix}:{term.value[len(ns) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def render_result(result, fmt: str) -> bytes:
    if isinstance(result, ox.QueryBoolean):
        if fmt == "table":
            return b"true\n" if bool(result) else b"false\n"
        _results_format(fmt)
        return serialize_boolean(bool(result), fmt)
    if isinstance(result, ox.QuerySolutions):
        if fmt == "table":
            variables = [v.value for v in result.variables]
            rows = [[shorten(sol[v]) for v in variables] for sol in result]
            return text_table(variables, rows).encode("utf-8") + f"({plural(len(rows), 'row')})\n".encode()
        _results_format(fmt)
        return serialize_result(result, fmt=fmt)["body"]
    # CONSTRUCT / DESCRIBE
    rdf = {"table": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE, "nquads": ox.RdfFormat.N_TRIPLES}.get(fmt)
    if rdf is None:
        raise PolicyKGError(f"--format {fmt} does not fit a CONSTRUCT or DESCRIBE query; use turtle or nquads")
    if rdf == ox.RdfFormat.TURTLE:
        return ox.serialize(result, format=rdf, prefixes=PREFIXES) or b""
    return ox.serialize(result, format=rdf) or b""


def _results_format(fmt: str) -> ox.QueryResultsFormat:
    if fmt not in RESULT_FORMATS:
        raise PolicyKGError(f"--format {fmt} does not fit a SELECT or ASK query; use table, csv, tsv or json")
    return RESULT_FORMATS[fmt]
