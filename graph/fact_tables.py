"""Tidy tables of the graph for statisticians: one row per fact, stable column names.

Each table is one SPARQL query over the whole store, its columns named once here (the names are
documented in ``docs/tables.md`` and are a promise, like the vocabulary). Values are plain:
strings, integers and floats, ``None`` where the graph says nothing; a fact's quote and its
offsets in the document's text come with it, and every node is given by its IRI. Several
values of one cell (the divisions a target applies to) are joined with ``;`` (each query's
GROUP_CONCAT says so).
Rows are sorted, so the same store gives the same table on every machine.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from policykg.errors import MissingExtraError, NotFoundError
from policykg.graph.kinds import local_name
from policykg.graph.read import consistent, decimal, integer, rows, text
from policykg.graph.sparql_params import sparql

Cell = str | int | float | None


@dataclass(frozen=True)
class FactTable:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass(frozen=True)
class _Spec:
    columns: tuple[str, ...]
    query: str
    #: How each column's value is read from its variable (same name): text unless listed.
    numbers: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    local_names: tuple[str, ...] = ()


_SPECS: dict[str, _Spec] = {
    "documents": _Spec(
        (
            "document",
            "title",
            "issued",
            "division_code",
            "division",
            "publisher",
            "source",
            "sections",
            "tasks",
            "targets",
        ),
        """
SELECT ?document (SAMPLE(?t) AS ?title) (SAMPLE(?i) AS ?issued) (SAMPLE(?c) AS ?division_code)
       (SAMPLE(?dl) AS ?division) (SAMPLE(?pl) AS ?publisher) (SAMPLE(?s) AS ?source)
       (SAMPLE(?ns) AS ?sections) (SAMPLE(?nt) AS ?tasks) (SAMPLE(?ng) AS ?targets) WHERE {
  ?document a pkg:PolicyDocument .
  OPTIONAL { ?document dcterms:title ?t } OPTIONAL { ?document dcterms:issued ?i }
  OPTIONAL { ?document dcterms:spatial ?d . ?d pkg:adminCode ?c OPTIONAL { ?d rdfs:label ?dl } }
  OPTIONAL { ?document dcterms:publisher/rdfs:label ?pl } OPTIONAL { ?document dcterms:source ?s }
  OPTIONAL { SELECT ?document (COUNT(?x) AS ?ns) WHERE { ?x a pkg:Section ; dcterms:isPartOf ?document }
             GROUP BY ?document }
  OPTIONAL { SELECT ?document (COUNT(?x) AS ?nt) WHERE { ?x a pkg:Task ; prov:wasDerivedFrom ?document }
             GROUP BY ?document }
  OPTIONAL { SELECT ?document (COUNT(?x) AS ?ng) WHERE { ?x a pkg:Target ; prov:wasDerivedFrom ?document }
             GROUP BY ?document }
} GROUP BY ?document ORDER BY ?document""",
        integers=("sections", "tasks", "targets"),
    ),
    "tasks": _Spec(
        (
            "task",
            "document",
            "section_ordinal",
            "section",
            "ordinal",
            "number",
            "title",
            "lead_units",
            "supporting_units",
            "text",
        ),
        """
SELECT ?task ?document ?section_ordinal ?section ?ordinal ?number ?title ?text
       (GROUP_CONCAT(DISTINCT ?lead; separator=";") AS ?lead_units)
       (GROUP_CONCAT(DISTINCT ?support; separator=";") AS ?supporting_units) WHERE {
  ?task a pkg:Task ; prov:wasDerivedFrom ?document ; pkg:ordinal ?ordinal .
  OPTIONAL { ?task pkg:number ?number } OPTIONAL { ?task rdfs:label ?title } OPTIONAL { ?task pkg:text ?text }
  OPTIONAL { ?task dcterms:isPartOf ?s . ?s a pkg:Section ; pkg:ordinal ?section_ordinal
             OPTIONAL { ?s rdfs:label ?section } }
  OPTIONAL { ?task pkg:ledBy/rdfs:label ?lead } OPTIONAL { ?task pkg:supportedBy/rdfs:label ?support }
} GROUP BY ?task ?document ?section_ordinal ?section ?ordinal ?number ?title ?text
ORDER BY ?document ?ordinal""",
        integers=("section_ordinal", "ordinal"),
    ),
    "targets": _Spec(
        (
            "target",
            "document",
            "task",
            "indicator",
            "value",
            "min_value",
            "max_value",
            "unit",
            "comparator",
            "baseline",
            "bindingness",
            "deadline",
            "period",
            "division_codes",
            "quote",
            "start",
            "end",
        ),
        """
SELECT ?target ?document ?task ?indicator ?value ?min_value ?max_value ?unit ?comparator ?baseline
       ?bindingness ?deadline ?period ?quote ?start ?end
       (GROUP_CONCAT(DISTINCT ?code; separator=";") AS ?division_codes) WHERE {
  ?target a pkg:Target ; prov:wasDerivedFrom ?document .
  OPTIONAL { ?task pkg:hasTarget ?target }
  OPTIONAL { ?target pkg:indicator/rdfs:label ?indicator }
  OPTIONAL { ?target pkg:value ?value } OPTIONAL { ?target pkg:minValue ?min_value }
  OPTIONAL { ?target pkg:maxValue ?max_value } OPTIONAL { ?target pkg:unit ?unit }
  OPTIONAL { ?target pkg:comparator ?comparator } OPTIONAL { ?target pkg:baseline ?baseline }
  OPTIONAL { ?target pkg:bindingness ?bindingness } OPTIONAL { ?target pkg:deadline ?deadline }
  OPTIONAL { ?target pkg:period ?period }
  OPTIONAL { ?target pkg:appliesTo/pkg:adminCode ?code }
  OPTIONAL { ?target pkg:evidence ?e . ?e oa:exact ?quote ; oa:start ?start ; oa:end ?end }
} GROUP BY ?target ?document ?task ?indicator ?value ?min_value ?max_value ?unit ?comparator ?baseline
  ?bindingness ?deadline ?period ?quote ?start ?end
ORDER BY ?document ?task ?start ?target""",
        numbers=("value", "min_value", "max_value", "baseline"),
        integers=("start", "end"),
        local_names=("comparator", "bindingness"),
    ),
    "mentions": _Spec(
        ("document", "part", "part_kind", "entity", "entity_kind", "entity_label", "quote", "start", "end"),
        """
SELECT ?document ?part ?part_kind ?entity ?entity_kind (SAMPLE(?l) AS ?entity_label) ?quote ?start ?end WHERE {
  ?m a pkg:Mention ; pkg:mentionOf ?entity ; pkg:mentionIn ?part ; prov:wasDerivedFrom ?document ;
     pkg:evidence ?e .
  ?e oa:exact ?quote ; oa:start ?start ; oa:end ?end .
  VALUES ?part_kind { pkg:Task pkg:Section pkg:PolicyDocument } ?part a ?part_kind .
  VALUES ?entity_kind { pkg:Program pkg:AdministrativeDivision org:Organization pkg:Regulation }
  ?entity a ?entity_kind .
  OPTIONAL { ?entity rdfs:label ?l }
} GROUP BY ?document ?part ?part_kind ?entity ?entity_kind ?quote ?start ?end
ORDER BY ?document ?start ?end ?entity""",
        integers=("start", "end"),
        local_names=("part_kind", "entity_kind"),
    ),
    "programs": _Spec(
        ("program", "label", "alt_labels", "part_of", "successor_of", "documents", "tasks"),
        """
SELECT ?program (SAMPLE(?l) AS ?label) (GROUP_CONCAT(DISTINCT ?alt; separator=";") AS ?alt_labels)
       (GROUP_CONCAT(DISTINCT STR(?parent); separator=";") AS ?part_of)
       (GROUP_CONCAT(DISTINCT STR(?older); separator=";") AS ?successor_of)
       (SAMPLE(?nd) AS ?documents) (SAMPLE(?nt) AS ?tasks) WHERE {
  ?program a pkg:Program .
  OPTIONAL { ?program rdfs:label ?l } OPTIONAL { ?program skos:altLabel ?alt }
  OPTIONAL { ?program pkg:partOf ?parent } OPTIONAL { ?program pkg:successorOf ?older }
  OPTIONAL { SELECT ?program (COUNT(DISTINCT ?d) AS ?nd) WHERE {
               ?d a pkg:PolicyDocument . ?x pkg:mentions ?program ; prov:wasDerivedFrom ?d } GROUP BY ?program }
  OPTIONAL { SELECT ?program (COUNT(DISTINCT ?x) AS ?nt) WHERE { ?x a pkg:Task ; pkg:mentions ?program }
             GROUP BY ?program }
} GROUP BY ?program ORDER BY ?program""",
        integers=("documents", "tasks"),
    ),
    "dependencies": _Spec(
        ("document", "source", "source_kind", "program", "program_label", "cue", "quote", "start", "end"),
        """
SELECT ?document ?source ?source_kind ?program (SAMPLE(?pl) AS ?program_label) ?cue ?quote ?start ?end WHERE {
  ?statement a rdf:Statement ; rdf:predicate pkg:dependsOn ; rdf:subject ?source ; rdf:object ?program ;
             prov:wasDerivedFrom ?document ; pkg:evidence ?e .
  OPTIONAL { ?statement pkg:cue ?cue }
  ?e oa:exact ?quote ; oa:start ?start ; oa:end ?end .
  VALUES ?source_kind { pkg:Task pkg:Program } ?source a ?source_kind .
  OPTIONAL { ?program rdfs:label ?pl }
} GROUP BY ?document ?source ?source_kind ?program ?cue ?quote ?start ?end
ORDER BY ?document ?start ?program""",
        integers=("start", "end"),
        local_names=("source_kind",),
    ),
    "responsibilities": _Spec(
        ("document", "task", "role", "unit", "unit_label", "division_code"),
        """
SELECT ?document ?task ?role ?unit (SAMPLE(?l) AS ?unit_label) (SAMPLE(?c) AS ?division_code) WHERE {
  VALUES ?role { pkg:ledBy pkg:supportedBy }
  ?task a pkg:Task ; ?role ?unit ; prov:wasDerivedFrom ?document .
  OPTIONAL { ?unit rdfs:label ?l } OPTIONAL { ?unit dcterms:spatial/pkg:adminCode ?c }
} GROUP BY ?document ?task ?role ?unit ORDER BY ?document ?task ?role ?unit""",
        local_names=("role",),
    ),
}

#: The tables, by name, in the order the docs list them.
TABLE_NAMES: tuple[str, ...] = tuple(_SPECS)


def _reader(spec: _Spec, column: str) -> Callable[[Any], Cell]:
    if column in spec.numbers:
        return decimal
    if column in spec.integers:
        return integer
    if column in spec.local_names:
        return lambda term: None if term is None else local_name(term.value)
    return text


@consistent
def fact_table(store: Any, name: str) -> FactTable:
    """The table ``name`` (one of :data:`TABLE_NAMES`) over everything in the store."""
    spec = _SPECS.get(name)
    if spec is None:
        raise NotFoundError(f"no table {name!r}: the tables are {', '.join(TABLE_NAMES)}")
    readers = [(c, _reader(spec, c)) for c in spec.columns]
    out = []
    for r in rows(store, sparql(spec.query)):
        cells = []
        for column, read in readers:
            value = read(r[column])
            cells.append(None if value == "" and column not in ("quote",) else value)
        out.append(tuple(cells))
    return FactTable(name, spec.columns, out)


def dataframe(table: FactTable) -> Any:
    """The table as a pandas DataFrame (pandas is an optional extra: ``policykg[tables]``)."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise MissingExtraError(
            "tables as DataFrames, Parquet or Excel need pandas", hint="pip install 'policykg[tables]'"
        ) from exc
    return pd.DataFrame.from_records(table.rows, columns=list(table.columns))


#: The file formats a table is written in; parquet and xlsx need the ``tables`` extra.
TABLE_FORMATS = ("csv", "json", "parquet", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_bytes(table: FactTable, fmt: str) -> bytes:
    """``table`` as a file: CSV (UTF-8, a header row, empty cells for None), JSON (a list of
    records), Parquet or an Excel workbook (one sheet named after the table)."""
    if fmt == "csv":
        text_out = io.StringIO(newline="")
        writer = csv.writer(text_out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(["" if c is None else c for c in r] for r in table.rows)
        return text_out.getvalue().encode("utf-8")
    if fmt == "json":
        return json.dumps(table.records(), ensure_ascii=False, indent=1).encode("utf-8")
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"no table format {fmt!r}: {', '.join(TABLE_FORMATS)}")
    frame = dataframe(table)
    out = io.BytesIO()
    if fmt == "parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_excel(out, index=False, sheet_name=table.name)
    return out.getvalue()
