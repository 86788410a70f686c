"""Reads of tasks: a page of them (by document, by what they name) and one task in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.read import Page, Ref, consistent, integer, linked, refs, rows, text
from policykg.graph.sparql_params import count, iri, joined, shown, sparql
from policykg.graph.targets import TargetInfo, targets_where


@dataclass(frozen=True)
class TaskDetail:
    iri: str
    ordinal: int | None
    number: str | None
    label: str | None
    text: str | None
    document: Ref | None
    section: Ref | None
    mentions: list[Ref]
    targets: list[TargetInfo]
    depends_on: list[Ref]


@consistent
def list_tasks(
    store: Any, *, document: str | None = None, mentioning: str | None = None, offset: int = 0, limit: int = 100
) -> Page[Ref]:
    parts = []
    if document:
        parts.append(sparql("?x prov:wasDerivedFrom $document .", document=iri(document)))
    if mentioning:
        parts.append(sparql("?x pkg:mentions $entity .", entity=iri(mentioning)))
    where = joined(parts, " ")
    total = int(
        rows(store, sparql("SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a pkg:Task . $where }", where=where))[0][
            "n"
        ].value
    )
    items = refs(
        store,
        sparql(
            """SELECT ?x ?xl ?xt WHERE {
  { SELECT ?x ?doc ?ord WHERE { ?x a pkg:Task . $where OPTIONAL { ?x pkg:ordinal ?ord }
     OPTIONAL { ?x prov:wasDerivedFrom ?doc } } ORDER BY ?doc ?ord ?x
     OFFSET $offset LIMIT $limit }
  OPTIONAL { ?x rdfs:label ?xl } BIND(pkg:Task AS ?xt) } ORDER BY ?doc ?ord ?x""",
            where=where,
            offset=count(offset),
            limit=count(limit),
        ),
    )
    return Page(items, total, offset, limit)


@consistent
def get_task(store: Any, task: str) -> TaskDetail:
    node = iri(task)
    found = rows(
        store,
        sparql(
            """SELECT ?ord ?num ?label ?text ?doc ?docl ?sec ?secl WHERE {
  $task a pkg:Task .
  OPTIONAL { $task pkg:ordinal ?ord } OPTIONAL { $task pkg:number ?num }
  OPTIONAL { $task rdfs:label ?label } OPTIONAL { $task pkg:text ?text }
  OPTIONAL { $task prov:wasDerivedFrom ?doc OPTIONAL { ?doc dcterms:title ?docl } }
  OPTIONAL { $task dcterms:isPartOf ?sec . ?sec a pkg:Section OPTIONAL { ?sec rdfs:label ?secl } }
} LIMIT 1""",
            task=node,
        ),
    )
    if not found:
        raise NotFoundError(f"no task {shown(task)}")
    r = found[0]
    return TaskDetail(
        task,
        integer(r["ord"]),
        text(r["num"]),
        text(r["label"]),
        text(r["text"]),
        Ref(r["doc"].value, text(r["docl"]), "PolicyDocument") if r["doc"] is not None else None,
        Ref(r["sec"].value, text(r["secl"]), "Section") if r["sec"] is not None else None,
        linked(store, sparql("$task pkg:mentions ?x", task=node)),
        targets_where(store, sparql("$task pkg:hasTarget ?t .", task=node), limit=1000),
        linked(store, sparql("$task pkg:dependsOn ?x", task=node)),
    )
