"""Quads to bytes in the formats users ask for."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from policykg.errors import PolicyKGError
from policykg.graph.store import DATASET_FORMATS, RDF_FORMATS
from policykg.ontology import PREFIXES

FORMAT_NAMES = tuple(RDF_FORMATS)


def serialize_quads(quads: Sequence[ox.Quad], fmt: str) -> bytes:
    if fmt not in RDF_FORMATS:
        raise PolicyKGError(f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_NAMES)}")
    prefixes = PREFIXES if fmt in {"turtle", "trig", "rdfxml"} else None
    if fmt in DATASET_FORMATS:
        # with no output file ox.serialize returns the bytes, never None
        return ox.serialize(quads, format=RDF_FORMATS[fmt], prefixes=prefixes) or b""
    triples = [q.triple for q in quads]
    return ox.serialize(triples, format=RDF_FORMATS[fmt], prefixes=prefixes) or b""
