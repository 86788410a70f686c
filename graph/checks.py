"""Bridges to rdflib for the checks that need it (SHACL validation, scoring)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib

from policykg.errors import InputError

_GUESS = {
    ".nq": "nquads",
    ".trig": "trig",
    ".nt": "nt",
    ".ttl": "turtle",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}


def quads_as_rdflib(quads: Sequence[ox.Quad]) -> rdflib.Dataset:
    """One document's quads as an rdflib Dataset whose default graph is the union."""
    ds = rdflib.Dataset(default_union=True)
    ds.parse(data=ox.serialize(quads, format=ox.RdfFormat.N_QUADS), format="nquads")
    return ds


def store_as_rdflib(store) -> rdflib.Graph:
    """The union of every graph in the store, as one rdflib Graph."""
    g = rdflib.Graph()
    g.parse(data=store.dump("ntriples"), format="nt")
    return g


def load_rdf_file(path: Path) -> rdflib.Graph:
    fmt = _GUESS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: cannot tell the RDF format from the file ending",
            hint="use .ttl, .nt, .nq, .trig, .jsonld or .rdf",
        )
    try:
        if fmt in {"nquads", "trig"}:
            ds = rdflib.Dataset(default_union=True)
            ds.parse(path, format=fmt)
            g = rdflib.Graph()
            for s, p, o, _ in ds.quads((None, None, None, None)):
                g.add((s, p, o))
            return g
        g = rdflib.Graph()
        g.parse(path, format=fmt)
        return g
    except Exception as exc:  # rdflib raises many kinds of parse errors
        raise InputError(f"{path}: not valid {fmt}: {exc}") from None
