"""Validate a policykg graph against the SHACL shapes.

``policykg validate`` and the tests call :func:`validate`. It runs pyshacl with
``shapes.ttl`` and mixes ``policykg.ttl`` in as the ontology graph (so the
comparator and level individuals and the class hierarchy are known), without
inference: the shapes are written against the triples the builder emits, and
RDFS/OWL inference on a large union would cost more than it checks.

Warnings (``sh:Warning``) are reported but do not make a graph non-conforming:
the shapes use them for things a correct graph may show (two spellings of a
program's canonical label across documents built by different versions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.graph import ConjunctiveGraph, Dataset
from rdflib.namespace import RDF

from . import ONTOLOGY_FILE, PREFIXES, SH, SHAPES_FILE

SHAPES_NS = "https://w3id.org/policykg/shapes#"

_SH_RESULT = URIRef(SH + "ValidationResult")
_SH_FOCUS = URIRef(SH + "focusNode")
_SH_PATH = URIRef(SH + "resultPath")
_SH_VALUE = URIRef(SH + "value")
_SH_MESSAGE = URIRef(SH + "resultMessage")
_SH_SEVERITY = URIRef(SH + "resultSeverity")
_SH_SOURCE = URIRef(SH + "sourceShape")
_SH_PROPERTY = URIRef(SH + "property")
_SH_INVERSE = URIRef(SH + "inversePath")
_SH_ALTERNATIVE = URIRef(SH + "alternativePath")
_SH_ZERO_OR_MORE = URIRef(SH + "zeroOrMorePath")
_SH_ONE_OR_MORE = URIRef(SH + "oneOrMorePath")
_SH_ZERO_OR_ONE = URIRef(SH + "zeroOrOnePath")

# Most severe first, so a report starts with what makes the graph fail.
_SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}

# Long literals (a document's pkg:text) would swamp a one-line report.
_MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, as plain strings (full IRIs, lexical values)."""

    focus_node: str | None
    path: str | None
    value: str | None
    message: str | None
    severity: str | None  # "Violation", "Warning" or "Info"
    source_shape: str | None

    def sort_key(self) -> tuple:
        return (
            _SEVERITY_RANK.get(self.severity or "", 9),
            self.focus_node or "",
            self.path or "",
            self.message or "",
            self.value or "",
            self.source_shape or "",
        )


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of :func:`validate`: ``conforms`` is False iff any result is a Violation."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity != "Violation"]

    def format(self, prefixes: Mapping[str, str] | None = None) -> str:
        """A readable report: a summary line, then one line per result.

        ``prefixes`` adds to the known ones (e.g. ``{"id": base_iri}`` to shorten
        instance IRIs under the configured base).
        """
        known = _report_prefixes(prefixes)
        n_err, n_warn = len(self.errors), len(self.warnings)
        head = "Conforms" if self.conforms else "Does not conform"
        lines = [f"{head}: {n_err} violation(s), {n_warn} warning(s)."]
        for v in self.violations:
            focus = _shorten(v.focus_node, known) if v.focus_node else "-"
            path = _shorten_path(v.path, known) if v.path else "-"
            line = f"{v.severity or 'Violation'}: {focus} {path}: {v.message or '(no message)'}"
            if v.value is not None and v.value != v.focus_node:
                line += f" [value: {_shorten_value(v.value, known)}]"
            lines.append(line)
        return "\n".join(lines)


def validate(data_graph: Graph) -> ValidationResult:
    """Validate ``data_graph`` (a Graph, or a Dataset whose union is validated)."""
    # Imported here: pyshacl is heavy and only `validate` needs it.
    from pyshacl import validate as shacl_validate

    shapes, ontology = _shapes_graph(), _ontology_graph()
    _conforms, results, _text = shacl_validate(
        _union(data_graph),
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    violations = sorted(
        (_violation(results, node, shapes) for node in results.subjects(RDF.type, _SH_RESULT)),
        key=Violation.sort_key,
    )
    # Derive conforms from the results rather than trusting pyshacl's flag, so
    # the rule "only Violations fail" holds whatever allow_warnings does.
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationResult(conforms=conforms, violations=violations)


# --------------------------------------------------------------------------
# internals


@lru_cache(maxsize=1)
def _shapes_graph() -> Graph:
    # Parsed once per process; pyshacl only reads it.
    return Graph().parse(SHAPES_FILE, format="turtle")


@lru_cache(maxsize=1)
def _ontology_graph() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def _union(data_graph: Graph) -> Graph:
    """pyshacl validates each named graph of a Dataset on its own; we want the union.

    A shared entity (division, program) is described in every document graph
    that names it, but links cross graphs, so only the union is meaningful.
    """
    if isinstance(data_graph, (Dataset, ConjunctiveGraph)):
        union = Graph()
        for s, p, o, *_ in data_graph.quads((None, None, None, None)):
            union.add((s, p, o))
        return union
    return data_graph


def _one(graph: Graph, node, pred):
    """One object, chosen deterministically when there are several."""
    values = sorted(graph.objects(node, pred), key=lambda t: (type(t).__name__, str(t)))
    return values[0] if values else None


def _violation(results: Graph, node, shapes: Graph) -> Violation:
    messages = sorted(str(m) for m in results.objects(node, _SH_MESSAGE))
    severity = _one(results, node, _SH_SEVERITY)
    path = _one(results, node, _SH_PATH)
    value = _one(results, node, _SH_VALUE)
    focus = _one(results, node, _SH_FOCUS)
    return Violation(
        focus_node=_term(focus),
        path=_path_text(results, path) if path is not None else None,
        value=_term(value),
        message="; ".join(messages) if messages else None,
        severity=_local(severity) if severity is not None else None,
        source_shape=_shape_name(shapes, _one(results, node, _SH_SOURCE)),
    )


def _term(term) -> str | None:
    if term is None:
        return None
    if isinstance(term, BNode):
        # Blank-node ids change from run to run; keep reports deterministic.
        return "_:blank"
    return str(term)


def _local(iri) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _path_text(graph: Graph, path) -> str:
    """A SHACL property path as SPARQL-like text with full IRIs in <>, or a bare IRI."""
    if isinstance(path, URIRef):
        return str(path)
    return _path_expr(graph, path)


def _path_expr(graph: Graph, path) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    for pred, fmt in (
        (_SH_INVERSE, "^{}"),
        (_SH_ZERO_OR_MORE, "{}*"),
        (_SH_ONE_OR_MORE, "{}+"),
        (_SH_ZERO_OR_ONE, "{}?"),
    ):
        inner = graph.value(path, pred)
        if inner is not None:
            return fmt.format(_path_expr(graph, inner))
    alt = graph.value(path, _SH_ALTERNATIVE)
    if alt is not None:
        return "(" + "|".join(_path_expr(graph, p) for p in Collection(graph, alt)) + ")"
    if graph.value(path, RDF.first) is not None:
        return "/".join(_path_expr(graph, p) for p in Collection(graph, path))
    return "?"


def _shape_name(shapes: Graph, shape) -> str | None:
    """Property shapes are blank nodes: name them by the node shape holding them."""
    if shape is None:
        return None
    if isinstance(shape, BNode):
        owners = sorted(str(o) for o in shapes.subjects(_SH_PROPERTY, shape) if isinstance(o, URIRef))
        if owners:
            return owners[0]
        # pyshacl may copy shapes; fall back to something stable.
        return "_:blank"
    return str(shape)


def _report_prefixes(extra: Mapping[str, str] | None) -> list[tuple[str, str]]:
    known = dict(PREFIXES)
    known["pkgsh"] = SHAPES_NS
    if extra:
        known.update(extra)
    # Longest namespace first, so the most specific prefix wins.
    return sorted(known.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _shorten(iri: str, known: list[tuple[str, str]]) -> str:
    for prefix, ns in known:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri if iri.startswith("_:") else f"<{iri}>"


def _shorten_path(path: str, known: list[tuple[str, str]]) -> str:
    if not path.startswith(("<", "^", "(")):
        return _shorten(path, known)
    out, i = [], 0
    while i < len(path):
        if path[i] == "<":
            j = path.index(">", i)
            out.append(_shorten(path[i + 1 : j], known))
            i = j + 1
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _shorten_value(value: str, known: list[tuple[str, str]]) -> str:
    if value.startswith(("http://", "https://", "urn:")):
        return _shorten(value, known)
    text = value.replace("\n", "\\n")
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    return f'"{text}"'
