"""Reads of programs: one program with its parts, the programs it continues and that continue it,
the tasks that name it or build on it, the units that lead them, their targets and divisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policykg.errors import NotFoundError
from policykg.graph.read import Ref, ask, consistent, linked, rows, values_of
from policykg.graph.sparql_params import iri, literal, shown, sparql
from policykg.graph.targets import TargetInfo, targets_where
from policykg.ontology import RDFS, SKOS


@dataclass(frozen=True)
class ProgramDetail:
    iri: str
    label: str | None
    alt_labels: list[str]
    part_of: list[Ref]
    parts: list[Ref]
    depends_on: list[Ref]
    successor_of: list[Ref]  # the programs it continues (pkg:successorOf)
    successors: list[Ref]  # the programs that continue it
    tasks: list[Ref]  # tasks that mention it
    dependent_tasks: list[Ref]  # tasks that build on it (pkg:dependsOn)
    dependent_programs: list[Ref]  # programs that build on it
    leads: list[Ref]  # units that lead the tasks naming it or building on it (pkg:ledBy)
    targets: list[TargetInfo]  # targets of those tasks
    divisions: list[Ref]  # divisions those targets apply to, or that those tasks mention
    documents: list[Ref]


@consistent
def get_program_named(store: Any, name: str, program: str) -> ProgramDetail:
    """The program called ``name``: at ``program`` (the IRI its name gives), or — a registered
    program, whose IRI comes from its registry id (…/program/quanmian-gaibao) — the one with that
    exact rdfs:label or skos:altLabel."""
    if not ask(store, sparql("ASK { $program a pkg:Program }", program=iri(program))):
        found = rows(
            store,
            sparql(
                "SELECT ?p WHERE { { ?p rdfs:label $name } UNION { ?p skos:altLabel $name } "
                "?p a pkg:Program } ORDER BY ?p LIMIT 1",
                name=literal(name),
            ),
        )
        if found:
            program = found[0]["p"].value
    return get_program(store, program)


@consistent
def get_program(store: Any, program: str) -> ProgramDetail:
    node = iri(program)
    if not ask(store, sparql("ASK { $program a pkg:Program }", program=node)):
        raise NotFoundError(f"no program {shown(program)}")
    return ProgramDetail(
        program,
        next(iter(values_of(store, program, RDFS + "label")), None),
        values_of(store, program, SKOS + "altLabel"),
        linked(store, sparql("$p pkg:partOf ?x .", p=node)),
        linked(store, sparql("?x pkg:partOf $p .", p=node)),
        linked(store, sparql("$p pkg:dependsOn ?x .", p=node)),
        linked(store, sparql("$p pkg:successorOf ?x .", p=node)),
        linked(store, sparql("?x pkg:successorOf $p .", p=node)),
        linked(store, sparql("?x pkg:mentions $p ; a pkg:Task .", p=node)),
        linked(store, sparql("?x pkg:dependsOn $p ; a pkg:Task .", p=node)),
        linked(store, sparql("?x pkg:dependsOn $p ; a pkg:Program .", p=node)),
        linked(
            store, sparql("{ ?_task pkg:mentions $p } UNION { ?_task pkg:dependsOn $p } ?_task pkg:ledBy ?x .", p=node)
        ),
        targets_where(store, sparql("?_task pkg:mentions $p ; pkg:hasTarget ?t .", p=node), limit=1000),
        linked(
            store,
            sparql(
                "{ ?_task pkg:mentions $p ; pkg:hasTarget/pkg:appliesTo ?x } UNION "
                "{ ?_task pkg:mentions $p, ?x . ?x a pkg:AdministrativeDivision }",
                p=node,
            ),
        ),
        linked(store, sparql("?_task pkg:mentions $p ; prov:wasDerivedFrom ?x . ?x a pkg:PolicyDocument", p=node)),
    )
