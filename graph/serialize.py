"""Quads to bytes in the formats users ask for."""

from __future__ import annotations

from typing import Sequence

import pyoxigraph as ox

from policykg.errors import PolicyKGError
from policykg.graph.store import DATASET_FORMATS, RDF_FORMATS
from policykg.ontology import PREFIXES

FORMAT_NAMES = tuple(RDF_FORMATS)
# File endings for each format, for output files and for guessing a format from a name.
SUFFIXES = {"nquads": ".nq", "trig": ".trig", "turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld",
            "rdfxml": ".rdf"}


def serialize_quads(quads: Sequence[ox.Quad], fmt: str) -> bytes:
    if fmt not in RDF_FORMATS:
        raise PolicyKGError(f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_NAMES)}")
    prefixes = PREFIXES if fmt in {"turtle", "trig", "rdfxml"} else None
    if fmt in DATASET_FORMATS:
        return ox.serialize(quads, format=RDF_FORMATS[fmt], prefixes=prefixes) if prefixes else \
            ox.serialize(quads, format=RDF_FORMATS[fmt])
    triples = [q.triple for q in quads]
    if prefixes:
        return ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=prefixes)
    return ox.serialize(triples, format=RDF_FORMATS[fmt])
