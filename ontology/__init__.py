"""The policykg ontology: namespaces, the OWL file and the SHACL shapes.

``policykg.ttl`` defines every public term of the vocabulary (docs/vocabulary.md),
``shapes.ttl`` constrains every class. This module only names things; validation
lives in :mod:`policykg.ontology.validate`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PKG = "https://w3id.org/policykg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
OA = "http://www.w3.org/ns/oa#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SH = "http://www.w3.org/ns/shacl#"
ELI = "http://data.europa.eu/eli/ontology#"

#: Prefixes offered to every SPARQL query, the query editor and serializers.
PREFIXES: dict[str, str] = {
    "pkg": PKG,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "skos": SKOS,
    "prov": PROV,
    "org": ORG,
    "oa": OA,
    "geo": GEO,
    "eli": ELI,
}


def sparql_prologue() -> str:
    """``PREFIX`` lines for every known prefix, for queries written by people."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def _data_file(name: str) -> Path:
    return Path(str(resources.files(__name__).joinpath(name)))


ONTOLOGY_FILE = _data_file("policykg.ttl")
SHAPES_FILE = _data_file("shapes.ttl")
