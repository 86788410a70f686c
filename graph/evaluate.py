"""Score a document's graph against a hand-made annotation (a ``*.gold.json`` file).

This is the library form of the reference scorer ``shared/tools/score_extraction.py``
(kept verbatim for the tests in ``tests/data/reference_scorer.py``). It reads the
graph only through the public vocabulary, with the very same SPARQL queries, and
computes every figure the same way, so that ``policykg evaluate`` and the reference
agree to the last digit:

* sections, task titles and task-in-section are scored as sets of pairs;
* programs and regulations by name, one to one, where quote marks, width, white
  space and a trailing 计划/工程/项目/行动/活动/制度/行动计划 do not matter and
  aliases count;
* program mentions and part-of links through that name matching;
* division mentions and target scopes by (task ordinal, administrative code);
* quantified targets one to one on (task, value or [low, high], unit), with 人, 名,
  位 and 人次 as one unit; where several predicted targets fit, the one whose
  indicator reads most like the gold one; the comparator of each matched target is
  then checked, and so are its baseline and bindingness where the gold target gives them;
* responsibilities by (task, organization through the gold ``organizations`` and
  their aliases, lead or support), and dependencies by (task or program, program);
* items marked ``"optional": true`` are neither required nor penalised.

The annotation format is version 2 (docs/annotation-format.md). Rows a gold file cannot
judge are left out, as the reference leaves them out: "responsibilities" and
"dependencies" appear only when the gold file has those lists, "target baselines" and
"target bindingness" only when some matched gold target gives a baseline or a binding.

``overall`` is the mean of every row's F1 and of the accuracies (comparators, and
baselines and bindingness where present).

Usage::

    report = score_graph(graph, json.loads(Path("x.gold.json").read_text("utf-8")))
    print(report.format(details=True), end="")
    report.to_json()          # the reference's --json object

Why one module: it mirrors the reference scorer, a single file, row by row: the same
matching helpers, the same queries and the same order of rows, so that a change can be checked
against ``tests/data/reference_scorer.py`` side by side and the two agree to the last digit.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph, Namespace

__all__ = [
    "ACCURACY_ROWS",
    "BINDINGNESS",
    "COMPARATORS",
    "PERSON_UNITS",
    "PROGRAM_SUFFIXES",
    "EvaluationReport",
    "ScoreRow",
    "load_gold",
    "load_graph",
    "norm",
    "norm_unit",
    "same_name",
    "same_value",
    "score_files",
    "score_graph",
]

PKG = Namespace("https://w3id.org/policykg/ontology#")
_NS = {
    "pkg": PKG,
    "rdfs": Namespace("http://www.w3.org/2000/01/rdf-schema#"),
    "dcterms": Namespace("http://purl.org/dc/terms/"),
    "skos": Namespace("http://www.w3.org/2004/02/skos/core#"),
    "org": Namespace("http://www.w3.org/ns/org#"),
}

#: Annotation comparator -> local name of the pkg: comparator individual.
COMPARATORS: dict[str, str] = {
    ">=": "AtLeast",
    "<=": "AtMost",
    "=": "Exactly",
    "~": "Approximately",
    "+=": "IncreaseBy",
    "-=": "DecreaseBy",
    "between": "Between",
    "range": "Between",
}
#: Annotation ``binding`` -> local name of the pkg: bindingness individual.
BINDINGNESS: dict[str, str] = {"binding": "Binding", "anticipatory": "Anticipatory"}
#: Endings that do not distinguish two program names (名校建设 = 名校建设工程).
PROGRAM_SUFFIXES: tuple[str, ...] = ("计划", "工程", "项目", "行动", "活动", "制度", "行动计划")
#: Units that all count people.
PERSON_UNITS: frozenset[str] = frozenset({"人", "名", "位", "人次"})

COMPARATOR_ROW = "target comparators"
#: Rows that are accuracies on matched targets (tp right, fn wrong), not F1 figures.
ACCURACY_ROWS: tuple[str, ...] = (COMPARATOR_ROW, "target baselines", "target bindingness")

_STRIP = re.compile(r"[\s“”\"'‘’《》〈〉「」『』]")


# -- name, unit and value matching -------------------------------------------------
def norm(text: object) -> str:
    """Fold widths (NFKC) and drop white space, quote marks and title brackets."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", str(text)))


def norm_unit(unit: object | None) -> str:
    """A unit for comparison: normalized, with every person unit as ``人``; ``""`` for none."""
    if unit is None:
        return ""
    u = norm(unit)
    return "人" if u in PERSON_UNITS else u


def same_name(a: str, b: str) -> bool:
    """Whether two names are one, quote marks and a trailing program word aside."""
    a, b = norm(a), norm(b)
    if a == b:
        return True
    return any(a == b + s or b == a + s for s in PROGRAM_SUFFIXES)


def same_value(pred: float | tuple[float | None, float | None] | None, gold: Any) -> bool:
    """A predicted number (or ``(low, high)``) against a gold number (or ``[low, high]``)."""

    def close(a, b) -> bool:
        return a is not None and b is not None and abs(a - float(b)) <= 1e-6 * max(1.0, abs(a))

    if isinstance(gold, list):
        return isinstance(pred, tuple) and close(pred[0], gold[0]) and close(pred[1], gold[1])
    return not isinstance(pred, tuple) and close(pred, gold)


# -- results -------------------------------------------------------------------------
@dataclass
class ScoreRow:
    """Counts for one kind of fact, with what was missed and what was extra.

    ``misses`` and ``extras`` hold the same items the reference lists: tuples such as
    ``(ordinal, title)`` or ``(task, value, unit, indicator)``, or names. In an accuracy
    row (:data:`ACCURACY_ROWS`) ``tp`` counts the matched targets judged right, ``fn``
    those judged wrong, and ``misses`` lists the wrong ones.
    """

    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list = field(default_factory=list)
    extras: list = field(default_factory=list)

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def precision(self) -> float:
        return self.prf()[0]

    @property
    def recall(self) -> float:
        return self.prf()[1]

    @property
    def f1(self) -> float:
        return self.prf()[2]

    @property
    def accuracy(self) -> float:
        """Right out of judged, for an accuracy row; 1.0 when nothing was judged."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class EvaluationReport:
    """Every row of the reference's table, the accuracies and the overall score."""

    rows: dict[str, ScoreRow]

    @property
    def comparators(self) -> ScoreRow:
        """tp: matched targets whose comparator is right; fn: those whose comparator is wrong."""
        return self.rows[COMPARATOR_ROW]

    @property
    def comparator_accuracy(self) -> float:
        return self.comparators.accuracy

    @property
    def accuracies(self) -> dict[str, float]:
        """The accuracy rows present (the comparator row always), by row name."""
        return {k: v.accuracy for k, v in self.rows.items() if k in ACCURACY_ROWS}

    @property
    def f1_rows(self) -> dict[str, ScoreRow]:
        """The rows whose F1 enters the overall score (all but the accuracy rows)."""
        return {k: v for k, v in self.rows.items() if k not in ACCURACY_ROWS}

    @property
    def overall(self) -> float:
        """The mean of every F1 and every accuracy present."""
        f1s = [v.prf()[2] for v in self.f1_rows.values()]
        accuracies = self.accuracies
        return (sum(f1s) + sum(accuracies.values())) / (len(f1s) + len(accuracies))

    def __getitem__(self, name: str) -> ScoreRow:
        return self.rows[name]

    def to_json(self, details: bool = False) -> dict[str, Any]:
        """The object the reference prints with ``--json``.

        Precision, recall and F1 of each F1 row, then ``"comparator accuracy"``, then
        ``"baselines accuracy"`` and ``"bindingness accuracy"`` where those rows are
        present, then ``"overall"``. With ``details``, a ``"details"`` entry is added
        with the counts and the missed and extra items of every row, accuracy rows
        included (as lists, so the object stays JSON).
        """
        out: dict[str, Any] = {
            k: dict(zip(("precision", "recall", "f1"), v.prf(), strict=True)) for k, v in self.f1_rows.items()
        }
        out["comparator accuracy"] = self.comparator_accuracy
        out |= {_accuracy_key(k): a for k, a in self.accuracies.items() if k != COMPARATOR_ROW}
        out["overall"] = self.overall
        if details:
            out["details"] = {
                k: {
                    "tp": v.tp,
                    "fp": v.fp,
                    "fn": v.fn,
                    "misses": [_jsonable(m) for m in v.misses],
                    "extras": [_jsonable(e) for e in v.extras],
                }
                for k, v in self.rows.items()
            }
        return out

    def format(self, details: bool = False) -> str:
        """The reference's table, line for line; the last line is ``overall: 0.xxx``.

        With ``details``, an F1 row is followed by its ``missed:`` and ``extra:`` items
        and an accuracy row by its ``wrong:`` ones.
        """
        lines = [f"{'fact':<20} {'prec':>6} {'recall':>6} {'F1':>6}   tp  fp  fn"]
        for k, v in self.rows.items():
            if k in ACCURACY_ROWS:
                lines.append(
                    f"{k:<20} {'':>6} {'':>6} {v.accuracy:6.3f}   accuracy on matched targets ({v.tp}/{v.tp + v.fn})"
                )
                if details:
                    lines.extend(f"    wrong:  {m}" for m in v.misses)
                continue
            p, r, f = v.prf()
            lines.append(f"{k:<20} {p:6.3f} {r:6.3f} {f:6.3f} {v.tp:4d}{v.fp:4d}{v.fn:4d}")
            if details:
                lines.extend(f"    missed: {m}" for m in v.misses)
                lines.extend(f"    extra:  {e}" for e in v.extras)
        lines.append(f"overall: {self.overall:.3f}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.format()


def _accuracy_key(row: str) -> str:
    """The JSON key of an accuracy row: "target baselines" -> "baselines accuracy"."""
    return row.replace("target ", "") + " accuracy"


def _jsonable(item: Any) -> Any:
    if isinstance(item, tuple):
        return [_jsonable(x) for x in item]
    return item


# -- scoring -------------------------------------------------------------------------
def _sorted(items: Iterable) -> list:
    """Items that came out of a set, in a stable order (the reference's is the set's)."""
    items = list(items)
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def _score_set(name: str, pred: set, gold: set, optional: set) -> ScoreRow:
    t = ScoreRow(name)
    for item in pred:
        if item in gold:
            t.tp += 1
        elif item not in optional:
            t.fp += 1
            t.extras.append(item)
    for item in gold - pred:
        t.fn += 1
        t.misses.append(item)
    t.extras = _sorted(t.extras)
    t.misses = _sorted(t.misses)
    return t


def _match_names(name: str, pred_names: set[str], gold_items: list[dict]) -> tuple[ScoreRow, dict[str, str]]:
    """One-to-one match of predicted names to gold names (aliases count); the row and pred -> gold."""
    t = ScoreRow(name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for pname in sorted(pred_names):
        hit = None
        for item in gold_items:
            names = [item["name"], *item.get("aliases", [])]
            if item["name"] not in used and any(same_name(pname, n) for n in names):
                hit = item
                break
        if hit is None:
            t.fp += 1
            t.extras.append(pname)
            continue
        used.add(hit["name"])
        mapping[pname] = hit["name"]
        if not hit.get("optional"):
            t.tp += 1
    for item in gold_items:
        if item["name"] not in used and not item.get("optional"):
            t.fn += 1
            t.misses.append(item["name"])
    return t, mapping


def _queryable(graph: Graph) -> Graph:
    """A graph whose SPARQL default graph is the union of all its triples, as the reference reads it."""
    if isinstance(graph, Dataset) and not graph.default_union:
        union = Graph()
        for s, p, o, _ in graph.quads((None, None, None, None)):
            union.add((s, p, o))
        return union
    return graph


def _rows(g: Graph, query: str) -> list:
    return list(g.query(query, initNs=_NS))


def score_graph(graph: Graph | Dataset, gold: Mapping[str, Any]) -> EvaluationReport:
    """Score the graph of ONE document against its annotation, exactly as the reference does."""
    g = _queryable(graph)
    out: dict[str, ScoreRow] = {}

    # Sections: ordinal and title.
    pred: set[tuple[Any, ...]] = {
        (int(r.n), norm(r.t))
        for r in _rows(
            g,
            """
        SELECT ?n ?t WHERE { ?s a pkg:Section ; pkg:ordinal ?n ; rdfs:label ?t }""",
        )
    }
    out["sections"] = _score_set("sections", pred, {(s["ordinal"], norm(s["title"])) for s in gold["sections"]}, set())

    # Tasks: ordinal and title.
    pred = {
        (int(r.n), norm(r.t))
        for r in _rows(
            g,
            """
        SELECT ?n ?t WHERE { ?s a pkg:Task ; pkg:ordinal ?n ; rdfs:label ?t }""",
        )
    }
    out["task titles"] = _score_set(
        "task titles", pred, {(t["ordinal"], norm(t["title"])) for t in gold["tasks"]}, set()
    )

    # Task -> section membership.
    pred = {
        (int(r.tn), int(r.sn))
        for r in _rows(
            g,
            """
        SELECT ?tn ?sn WHERE { ?t a pkg:Task ; pkg:ordinal ?tn ; dcterms:isPartOf ?s .
                               ?s a pkg:Section ; pkg:ordinal ?sn }""",
        )
    }
    gold_pairs = {(tn, s["ordinal"]) for s in gold["sections"] for tn in s.get("tasks", [])}
    out["task in section"] = _score_set("task in section", pred, gold_pairs, set())

    # Programs.
    names = {str(r.l) for r in _rows(g, "SELECT DISTINCT ?l WHERE { ?p a pkg:Program ; rdfs:label ?l }")}
    out["programs"], prog_map = _match_names("programs", names, gold["programs"])

    # Which task mentions which program.
    pred = set()
    for r in _rows(
        g,
        """SELECT ?n ?l WHERE { ?t a pkg:Task ; pkg:ordinal ?n ; pkg:mentions ?p .
                                              ?p a pkg:Program ; rdfs:label ?l }""",
    ):
        pred.add((int(r.n), prog_map.get(str(r.l), norm(r.l))))
    gold_m = {(tn, p["name"]) for p in gold["programs"] if not p.get("optional") for tn in p.get("tasks", [])}
    opt_m = {(tn, p["name"]) for p in gold["programs"] if p.get("optional") for tn in p.get("tasks", [])}
    out["program mentions"] = _score_set("program mentions", pred, gold_m, opt_m)

    # Program hierarchy.
    pred = set()
    for r in _rows(
        g,
        """SELECT ?a ?b WHERE { ?x a pkg:Program ; pkg:partOf ?y ; rdfs:label ?a .
                                              ?y rdfs:label ?b }""",
    ):
        pred.add((prog_map.get(str(r.a), norm(r.a)), prog_map.get(str(r.b), norm(r.b))))
    gold_h = {(p["name"], p["part_of"]) for p in gold["programs"] if p.get("part_of")}
    out["program part-of"] = _score_set("program part-of", pred, gold_h, set())

    # Divisions mentioned by tasks, by administrative code.
    pred = {
        (int(r.n), str(r.c))
        for r in _rows(
            g,
            """
        SELECT ?n ?c WHERE { ?t a pkg:Task ; pkg:ordinal ?n ; pkg:mentions ?d . ?d pkg:adminCode ?c }""",
        )
    }
    gold_d = {(tn, d["adcode"]) for d in gold["divisions"] if not d.get("optional") for tn in d["tasks"]}
    opt_d = {(tn, d["adcode"]) for d in gold["divisions"] if d.get("optional") for tn in d["tasks"]}
    out["division mentions"] = _score_set("division mentions", pred, gold_d, opt_d)

    # Regulations and other cited documents.
    names = {str(r.l) for r in _rows(g, "SELECT DISTINCT ?l WHERE { ?r a pkg:Regulation ; rdfs:label ?l }")}
    out["regulations"], _ = _match_names("regulations", names, gold.get("regulations", []))

    # Quantified targets, their comparators, scopes, baselines and bindingness.
    out["targets"], out[COMPARATOR_ROW], matched = _score_targets(g, gold)
    out["target scope"] = _score_target_scope(g, gold)
    out |= _score_target_facts(g, matched)

    # Who carries tasks out and what builds on what: only when the gold file says.
    if "responsibilities" in gold:
        out["responsibilities"] = _score_responsibilities(g, gold)
    if "dependencies" in gold:
        out["dependencies"] = _score_dependencies(g, gold, prog_map)
    return EvaluationReport(out)


# -- targets -------------------------------------------------------------------------
@dataclass(frozen=True)
class _PredictedTarget:
    """A target of the graph that has a number, as the reference reads it."""

    iri: str
    task: int
    value: float | tuple[float | None, float | None]
    unit: str  # through norm_unit
    comparator: str | None  # local name: "AtLeast", …
    indicator: str  # normalized label of its pkg:indicator (one of them), "" without

    def item(self) -> tuple:
        """How the reference lists it as an extra: (task, value, unit, comparator)."""
        return self.task, self.value, self.unit, self.comparator


def _predicted_targets(g: Graph) -> list[_PredictedTarget]:
    """Targets with a value or a bound, in the order the query yields them.

    A value is a number, or ``(low, high)`` for a range given by pkg:minValue and
    pkg:maxValue. The order matters: it breaks ties between equally good candidates.
    """
    out = []
    for r in _rows(
        g,
        """SELECT ?t ?n ?v ?lo ?hi ?u ?c (SAMPLE(?il) AS ?ind) WHERE {
            ?task a pkg:Task ; pkg:ordinal ?n ; pkg:hasTarget ?t .
            OPTIONAL { ?t pkg:value ?v } OPTIONAL { ?t pkg:minValue ?lo } OPTIONAL { ?t pkg:maxValue ?hi }
            OPTIONAL { ?t pkg:unit ?u } OPTIONAL { ?t pkg:comparator ?c }
            OPTIONAL { ?t pkg:indicator/rdfs:label ?il }
            FILTER(BOUND(?v) || BOUND(?lo) || BOUND(?hi)) } GROUP BY ?t ?n ?v ?lo ?hi ?u ?c""",
    ):
        if r.v is not None:
            value: float | tuple = float(r.v)
        else:
            value = (float(r.lo) if r.lo is not None else None, float(r.hi) if r.hi is not None else None)
        out.append(
            _PredictedTarget(
                iri=str(r.t),
                task=int(r.n),
                value=value,
                unit=norm_unit(r.u),
                comparator=str(r.c).rsplit("#", 1)[-1] if r.c is not None else None,
                indicator=norm(r.ind) if r.ind is not None else "",
            )
        )
    return out


def _best_target(pred: list[_PredictedTarget], taken: set[int], gt: Mapping[str, Any]) -> int | None:
    """The untaken predicted target that matches a gold one on (task, value, unit).

    Several may: the one whose indicator reads most like the gold indicator wins
    (difflib ratio), so that the order of the graph does not decide; on a tie, the first.
    """
    unit = norm_unit(gt.get("unit"))
    candidates = [
        i
        for i, p in enumerate(pred)
        if i not in taken and p.task == gt["task"] and same_value(p.value, gt["value"]) and p.unit == unit
    ]
    want = norm(gt.get("indicator") or "")
    return max(candidates, key=lambda i: (SequenceMatcher(None, pred[i].indicator, want).ratio(), -i), default=None)


def _score_targets(
    g: Graph, gold: Mapping[str, Any]
) -> tuple[ScoreRow, ScoreRow, list[tuple[Mapping[str, Any], _PredictedTarget]]]:
    """Gold targets with a value matched one to one: the targets row, the comparator row, the pairs.

    An optional gold target takes its match (no extra) but counts nothing; the comparator
    of a required matched target is judged when the gold target gives one.
    """
    pred = _predicted_targets(g)
    t = ScoreRow("targets")
    comp = ScoreRow(COMPARATOR_ROW)
    taken: set[int] = set()
    matched: list[tuple[Mapping[str, Any], _PredictedTarget]] = []
    for gt in (x for x in gold["targets"] if x.get("value") is not None):
        hit = _best_target(pred, taken, gt)
        if hit is None:
            if not gt.get("optional"):
                t.fn += 1
                t.misses.append((gt["task"], gt["value"], gt.get("unit"), gt.get("indicator")))
            continue
        taken.add(hit)
        if gt.get("optional"):
            continue
        matched.append((gt, pred[hit]))
        t.tp += 1
        if gt.get("comparator"):
            if pred[hit].comparator == COMPARATORS.get(gt["comparator"]):
                comp.tp += 1
            else:
                comp.fn += 1
    for i, p in enumerate(pred):
        if i not in taken:
            t.fp += 1
            t.extras.append(p.item())
    return t, comp, matched


def _score_target_scope(g: Graph, gold: Mapping[str, Any]) -> ScoreRow:
    """Targets scoped to divisions, as (task, administrative code) pairs; a value is not needed."""
    pred = set()
    for r in _rows(
        g,
        """SELECT ?n ?v ?c WHERE { ?task a pkg:Task ; pkg:ordinal ?n ; pkg:hasTarget ?t .
                                               ?t pkg:appliesTo ?d . ?d pkg:adminCode ?c .
                                               OPTIONAL { ?t pkg:value ?v } }""",
    ):
        pred.add((int(r.n), str(r.c)))
    gold_s = {(x["task"], c) for x in gold["targets"] if not x.get("optional") for c in x.get("divisions", [])}
    opt_s = {(x["task"], c) for x in gold["targets"] if x.get("optional") for c in x.get("divisions", [])}
    return _score_set("target scope", pred, gold_s, opt_s)


def _score_target_facts(g: Graph, matched: list[tuple[Mapping[str, Any], _PredictedTarget]]) -> dict[str, ScoreRow]:
    """Baseline and bindingness, as accuracies on the matched gold targets that give them.

    The baseline is the value a target starts from (从X提高到Y: X), right when a
    pkg:baseline of the same value is there; the bindingness (约束性 "binding", 预期性
    "anticipatory") is right when pkg:bindingness is the matching individual. A row
    is present only when some matched gold target gives that fact.
    """
    facts: dict[str, tuple[float | None, str | None]] = {}
    for r in _rows(
        g,
        """SELECT ?t ?b ?k WHERE { ?t a pkg:Target .
                         OPTIONAL { ?t pkg:baseline ?b } OPTIONAL { ?t pkg:bindingness ?k } }""",
    ):
        facts[str(r.t)] = (
            float(r.b) if r.b is not None else None,
            str(r.k).rsplit("#", 1)[-1] if r.k is not None else None,
        )
    base = ScoreRow("target baselines")
    bind = ScoreRow("target bindingness")
    for gt, p in matched:
        baseline, bindingness = facts.get(p.iri, (None, None))
        if gt.get("baseline") is not None:
            if baseline is not None and same_value(baseline, gt["baseline"]):
                base.tp += 1
            else:
                base.fn += 1
                base.misses.append((gt["task"], gt["value"], "baseline", gt["baseline"], baseline))
        if gt.get("binding"):
            if bindingness == BINDINGNESS.get(gt["binding"]):
                bind.tp += 1
            else:
                bind.fn += 1
                bind.misses.append((gt["task"], gt["value"], gt["binding"], bindingness))
    return {row.name: row for row in (base, bind) if row.tp + row.fn}


# -- responsibilities and dependencies ----------------------------------------------
def _org_name(name: str, orgs: list[Mapping[str, Any]]) -> str:
    """An organization's name for matching: the gold name it is (aliases count), else itself; normalized."""
    for o in orgs:
        if any(same_name(name, n) for n in [o["name"], *o.get("aliases", [])]):
            return norm(o["name"])
    return norm(name)


def _score_responsibilities(g: Graph, gold: Mapping[str, Any]) -> ScoreRow:
    """(task, organization, role) triples: pkg:ledBy is "lead" (牵头), pkg:supportedBy "support" (配合)."""
    orgs = gold.get("organizations", [])
    pred = set()
    for r in _rows(
        g,
        """SELECT ?n ?role ?l WHERE { ?t a pkg:Task ; pkg:ordinal ?n ; ?role ?o .
                         VALUES ?role { pkg:ledBy pkg:supportedBy } ?o rdfs:label ?l }""",
    ):
        role = "lead" if str(r.role).endswith("ledBy") else "support"
        pred.add((int(r.n), _org_name(str(r.l), orgs), role))
    resp = gold["responsibilities"]
    gold_r = {(x["task"], _org_name(x["org"], orgs), x["role"]) for x in resp if not x.get("optional")}
    opt_r = {(x["task"], _org_name(x["org"], orgs), x["role"]) for x in resp if x.get("optional")}
    return _score_set("responsibilities", pred, gold_r, opt_r)


def _dependency_key(x: Mapping[str, Any]) -> tuple:
    """A gold dependency as ("task", ordinal, program) or ("program", name, program)."""
    return ("task", x["task"], x["on"]) if "task" in x else ("program", x["program"], x["on"])


def _score_dependencies(g: Graph, gold: Mapping[str, Any], prog_map: dict[str, str]) -> ScoreRow:
    """A task or program pkg:dependsOn a program, program names through the programs' matching."""
    pred: set[tuple[Any, ...]] = set()
    for r in _rows(
        g,
        """SELECT ?n ?a ?b WHERE { ?x pkg:dependsOn ?y . ?y a pkg:Program ; rdfs:label ?b .
                         OPTIONAL { ?x a pkg:Task ; pkg:ordinal ?n }
                         OPTIONAL { ?x a pkg:Program ; rdfs:label ?a } }""",
    ):
        on = prog_map.get(str(r.b), norm(r.b))
        if r.n is not None:
            pred.add(("task", int(r.n), on))
        if r.a is not None:
            pred.add(("program", prog_map.get(str(r.a), norm(r.a)), on))
    deps = gold["dependencies"]
    return _score_set(
        "dependencies",
        pred,
        {_dependency_key(x) for x in deps if not x.get("optional")},
        {_dependency_key(x) for x in deps if x.get("optional")},
    )


# -- files ---------------------------------------------------------------------------
_FORMATS = (
    (".nq", "nquads"),
    (".trig", "trig"),
    (".nt", "nt"),
    (".ttl", "turtle"),
    (".jsonld", "json-ld"),
    (".json", "json-ld"),
    (".rdf", "xml"),
    (".xml", "xml"),
)


def load_graph(path: str | Path) -> Dataset:
    """Read a graph file as the reference does: into a Dataset whose default graph is the union."""
    ds = Dataset(default_union=True)
    fmt = None
    for ending, name in _FORMATS:
        if str(path).endswith(ending):
            fmt = name
    ds.parse(str(path), format=fmt)
    return ds


def load_gold(path: str | Path) -> dict[str, Any]:
    """Read an annotation (``*.gold.json``)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def score_files(graph_path: str | Path, gold_path: str | Path) -> EvaluationReport:
    """Score a graph file against an annotation file, as ``score_extraction.py GRAPH GOLD`` does."""
    return score_graph(load_graph(graph_path), load_gold(gold_path))
