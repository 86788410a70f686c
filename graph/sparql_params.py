"""How a value enters SPARQL: as a term pyoxigraph built, bound to a ``$name`` in constant text.

A read writes its query as one constant string, with ``$name`` where a value goes, and binds
every name to a term made here::

    sparql("SELECT ?l WHERE { $node rdfs:label ?l } LIMIT $limit", node=iri(x), limit=count(n))

This is the only way a caller's value (an IRI, a name, a number) reaches query text. A term is
serialized by pyoxigraph: an IRI it accepts cannot hold ``>``, a space or a quote, and a literal
comes out with every quote, backslash and control character escaped, so no value can close its
term and write query text (``} UNION { ?s ?p ?o }``). Fragments bound this way compose (a
fragment is a :class:`Sparql` too), and every read runs a :class:`Sparql`, never a plain string.
``tests/test_sparql_params.py`` fails on any other way of putting a value into query text
(f-strings, ``%``, ``.format``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from policykg.errors import QueryError
from policykg.ontology import XSD

#: Offsets and limits beyond this are clamped: Oxigraph reads them as 64-bit integers and
#: rejects a larger number as a syntax error; no page that far exists anyway.
MAX_COUNT = 2**53

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_XSD_DOUBLE = ox.NamedNode(XSD + "double")


@dataclass(frozen=True)
class Sparql:
    """Query text in which every value is a term built by this module. Made only here."""

    text: str

    def __str__(self) -> str:
        return self.text


def sparql(text: str, /, **terms: Sparql) -> Sparql:
    """``text`` with each ``$name`` replaced by the term bound to it.

    Every ``$name`` of the text must be bound and every binding used (a ``$name`` left over
    is a typo, not a SPARQL variable: the reads never write variables with ``$``). The terms
    are put in in one pass, so a ``$`` inside a bound term is never read as a name.
    """
    names = set(_NAME.findall(text))
    if names != set(terms):
        raise TypeError(f"unbound {sorted(names - set(terms))}, unused {sorted(set(terms) - names)} in {text!r}")
    for name, term in terms.items():
        if not isinstance(term, Sparql):
            raise TypeError(f"${name} is bound to a {type(term).__name__}, not to a term made by sparql_params")
    return Sparql(_NAME.sub(lambda m: terms[m.group(1)].text, text))


def shown(value: object, width: int = 200) -> str:
    """A caller's value for an error message, cut so a huge parameter is not echoed whole."""
    text = str(value)
    return text if len(text) <= width else text[:width] + "…"


def iri(value: str) -> Sparql:
    """An absolute IRI (``<…>``); QueryError (400) for anything else."""
    try:
        return Sparql(str(ox.NamedNode(value)))
    except (TypeError, ValueError):
        raise QueryError(f"not a valid IRI: {shown(value)!r}") from None


def literal(text: str) -> Sparql:
    """A string literal holding ``text`` exactly (N-Triples escaping, valid in SPARQL)."""
    return Sparql(str(ox.Literal(str(text))))


def number(value: float, name: str = "value") -> Sparql:
    """A finite number as an ``xsd:double`` literal; QueryError for NaN and infinities."""
    value = float(value)
    if not math.isfinite(value):
        raise QueryError(f"{name} must be a finite number, not {value}")
    return Sparql(str(ox.Literal(repr(value), datatype=_XSD_DOUBLE)))


def count(value: int) -> Sparql:
    """An OFFSET or LIMIT: a non-negative integer Oxigraph can read (clamped to :data:`MAX_COUNT`)."""
    return Sparql(str(max(0, min(int(value), MAX_COUNT))))


def iris(values: Iterable[str]) -> Sparql:
    """IRIs separated by spaces: the inside of ``VALUES ?x { … }``."""
    return joined((iri(v) for v in values), " ")


def one_of(values: Iterable[str]) -> Sparql:
    """IRIs separated by commas: the inside of ``FILTER(?x IN (…))``.

    For a variable the query does not start from, this filter is the cheap restriction:
    Oxigraph evaluates a ``VALUES`` block first, so ``VALUES ?c {classes}`` read every typed
    node of the store (0.1 s and more at 10^5 nodes) where ``FILTER(?c IN (…))`` costs nothing.
    """
    return joined((iri(v) for v in values), ", ")


def ntriples(triples: Iterable[ox.Triple]) -> Sparql:
    """Triples as N-Triples, serialized by pyoxigraph: valid SPARQL triples (the body of ``INSERT DATA``)."""
    return Sparql((ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode())


def joined(parts: Iterable[Sparql], separator: str = "\n") -> Sparql:
    """Bound fragments one after the other (the parts of a pattern, the operations of an update)."""
    texts = []
    for part in parts:
        if not isinstance(part, Sparql):
            raise TypeError(f"a {type(part).__name__} is not a term made by sparql_params")
        texts.append(part.text)
    return Sparql(separator.join(texts))
