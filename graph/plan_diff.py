"""What changed between two plans: tasks matched, added and dropped; programs started and ended;
targets raised, lowered, kept, new or dropped — each with both quotes.

Planners compare this year's work plan with last year's. :func:`diff` reads two documents of
the store and lines them up:

- **Tasks** of the plan part are compared: a task in a section that looks back (工作回顾,
  过去一年…, 成效 — the rule the extractor uses to tell achievements from goals) recounts the
  year before, and is left out. Tasks are matched one to one by how alike they read: the
  better of their titles' similarity (difflib's ratio) and their texts' (cosine of character
  pairs weighted by how rare they are in the two plans, so 推进 and 加强 count for little),
  and the pairing that is best overall (a maximum-weight matching), not the first fit. A pair
  scoring under :data:`MATCH_THRESHOLD` is no match. Each match carries its score; the tasks
  left over were added (in B) or dropped (from A).
- **Programs** each document names outside its review sections (by IRI, so a registered
  program's spellings are one): started (only in B), ended (only in A), kept.
- **Targets** are lined up by indicator and place (the division a goal is scoped to, else none:
  the plan's own place). A pair with values in one unit is raised, lowered or kept; a target
  only in B is new, only in A dropped. Several targets on one indicator and place pair in the
  order the documents state them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import networkx as nx

from policykg.errors import NotFoundError, PolicyKGError
from policykg.graph.read import Ref, consistent, decimal, integer, rows, text
from policykg.graph.search import resolve
from policykg.graph.sparql_params import iri, sparql
from policykg.loaders.targets import REVIEW_TITLE

#: Two tasks whose score is below this are not one task.
MATCH_THRESHOLD = 0.3
#: A section that looks back on the year (or years) before: the extractor's rule for reviews
#: (loaders/targets.py), plus the work report's 过去一年/过去五年.
REVIEW_SECTION = re.compile(REVIEW_TITLE.pattern + "|过去(?:一|五)年")


@dataclass(frozen=True)
class TaskMatch:
    a: Ref
    b: Ref
    score: float  # 0..1, how alike they read
    a_text: str | None
    b_text: str | None


@dataclass(frozen=True)
class TargetSide:
    target: str
    value: float | None
    min_value: float | None
    max_value: float | None
    unit: str | None
    comparator: str | None
    deadline: str | None
    quote: str | None


@dataclass(frozen=True)
class TargetChange:
    indicator: Ref
    place: Ref | None  # the division the goals are scoped to; None: the plans' own place
    change: str  # raised | lowered | kept | changed (another unit or comparator) | new | dropped
    a: TargetSide | None
    b: TargetSide | None


@dataclass(frozen=True)
class PlanDiff:
    a: Ref
    b: Ref
    matched: list[TaskMatch]  # in A's order
    added: list[Ref]  # tasks of B matched by none of A, in B's order
    dropped: list[Ref]  # tasks of A matched by none of B
    programs_started: list[Ref]
    programs_ended: list[Ref]
    programs_kept: list[Ref]
    targets: list[TargetChange]


@consistent
def diff(store: Any, a: str, b: str) -> PlanDiff:
    doc_a, doc_b = _document(store, a), _document(store, b)
    tasks_a, tasks_b = _tasks(store, doc_a.iri), _tasks(store, doc_b.iri)
    matched, added, dropped = _match(tasks_a, tasks_b)
    progs_a, progs_b = _programs(store, doc_a.iri), _programs(store, doc_b.iri)
    return PlanDiff(
        doc_a,
        doc_b,
        matched,
        added,
        dropped,
        [progs_b[k] for k in sorted(progs_b.keys() - progs_a.keys())],
        [progs_a[k] for k in sorted(progs_a.keys() - progs_b.keys())],
        [progs_b[k] for k in sorted(progs_a.keys() & progs_b.keys())],
        _target_changes(_targets(store, doc_a.iri), _targets(store, doc_b.iri)),
    )


def _document(store: Any, name: str) -> Ref:
    """A document named by IRI, by its id (the end of its IRI: kunming-2017) or by its title."""
    if name.startswith(("http://", "https://")):
        candidates = [name]
    else:
        # The id is the last segment of …/doc/<id> under the store's base: one document of the
        # store gives the base, so the name is one lookup, not a scan of every document's IRI.
        some = rows(store, sparql("SELECT ?d WHERE { ?d a pkg:PolicyDocument } LIMIT 1"))
        base = some[0]["d"].value.rsplit("/doc/", 1)[0] if some else ""
        candidates = [f"{base}/doc/{name}"] if base and "/" not in name and " " not in name else []
    for candidate in candidates:
        try:
            node = iri(candidate)
        except PolicyKGError:
            continue
        found = rows(
            store,
            sparql("SELECT ?t WHERE { $d a pkg:PolicyDocument OPTIONAL { $d dcterms:title ?t } } LIMIT 1", d=node),
        )
        if found:
            return Ref(candidate, text(found[0]["t"]), "PolicyDocument")
    ref = resolve(store, name, ["PolicyDocument"])
    if ref.kind != "PolicyDocument":
        raise NotFoundError(f"no document {name!r}")
    return ref


@dataclass(frozen=True)
class _Task:
    ref: Ref
    ordinal: int
    title: str
    text: str


def _tasks(store: Any, document: str) -> list[_Task]:
    """The tasks of the plan part of ``document``, in order (not those of a review section)."""
    found = rows(
        store,
        sparql(
            """SELECT ?t ?n ?l ?x ?sl WHERE { ?t a pkg:Task ; prov:wasDerivedFrom $d ; pkg:ordinal ?n .
               OPTIONAL { ?t rdfs:label ?l } OPTIONAL { ?t pkg:text ?x }
               OPTIONAL { ?t dcterms:isPartOf ?s . ?s a pkg:Section ; rdfs:label ?sl } } ORDER BY ?n""",
            d=iri(document),
        ),
    )
    out: dict[str, _Task] = {}
    for r in found:
        if r["t"].value in out or (r["sl"] is not None and REVIEW_SECTION.search(r["sl"].value)):
            continue
        out[r["t"].value] = _Task(
            Ref(r["t"].value, text(r["l"]), "Task"), integer(r["n"]) or 0, text(r["l"]) or "", text(r["x"]) or ""
        )
    return list(out.values())


def _pairs(s: str) -> Counter[str]:
    s = "".join(s.split())
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def _weighted(texts: list[str]) -> list[dict[str, float]]:
    """Each text's character pairs, weighted by how rare they are among ``texts`` (tf-idf)."""
    counts = [_pairs(t) for t in texts]
    df = Counter(g for c in counts for g in c)
    n = len(counts)
    return [{g: k * math.log((n + 1) / (df[g] + 1)) for g, k in c.items()} for c in counts]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(v * b.get(g, 0.0) for g, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def similarity(title_a: str, text_a: str, title_b: str, text_b: str, weights: tuple[dict, dict] | None = None) -> float:
    """How alike two tasks read, 0..1: the better of their titles' similarity and their texts'
    (cosine of character pairs, weighted by ``weights`` when given, else counted plainly)."""
    title = SequenceMatcher(None, title_a, title_b, autojunk=False).ratio()
    if weights is None:
        weights = ({g: float(k) for g, k in _pairs(text_a).items()}, {g: float(k) for g, k in _pairs(text_b).items()})
    return min(1.0, max(title, _cosine(*weights)))


def _match(a: list[_Task], b: list[_Task]) -> tuple[list[TaskMatch], list[Ref], list[Ref]]:
    weights = _weighted([t.text for t in a] + [t.text for t in b])
    graph: nx.Graph = nx.Graph()
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            score = similarity(x.title, x.text, y.title, y.text, (weights[i], weights[len(a) + j]))
            if score >= MATCH_THRESHOLD:
                graph.add_edge(("a", i), ("b", j), weight=score)
    pairs = []
    for u, v in nx.max_weight_matching(graph):
        i, j = (u[1], v[1]) if u[0] == "a" else (v[1], u[1])
        pairs.append((i, j, graph[u][v]["weight"]))
    used_a = {i for i, _, _ in pairs}
    used_b = {j for _, j, _ in pairs}
    matched = [
        TaskMatch(a[i].ref, b[j].ref, round(score, 3), a[i].text or None, b[j].text or None)
        for i, j, score in sorted(pairs)
    ]
    added = [t.ref for j, t in enumerate(b) if j not in used_b]
    dropped = [t.ref for i, t in enumerate(a) if i not in used_a]
    return matched, added, dropped


def _programs(store: Any, document: str) -> dict[str, Ref]:
    """The programs ``document`` names outside its review sections (a program named only in
    the look back on last year is not one of this plan's)."""
    sections = rows(
        store,
        sparql(
            """SELECT ?s ?sl ?t WHERE { ?s a pkg:Section ; dcterms:isPartOf $d ; rdfs:label ?sl .
                 OPTIONAL { ?t dcterms:isPartOf ?s } }""",
            d=iri(document),
        ),
    )
    review = set()
    for r in sections:
        if REVIEW_SECTION.search(r["sl"].value):
            review.add(r["s"].value)
            if r["t"] is not None:
                review.add(r["t"].value)
    found = rows(
        store,
        sparql(
            """SELECT ?p ?l ?part WHERE { ?m a pkg:Mention ; pkg:mentionOf ?p ; pkg:mentionIn ?part ;
                 prov:wasDerivedFrom $d . ?p a pkg:Program OPTIONAL { ?p rdfs:label ?l } } ORDER BY ?p ?l""",
            d=iri(document),
        ),
    )
    kept: dict[str, Ref] = {}
    for r in found:
        if r["part"].value not in review:
            kept.setdefault(r["p"].value, Ref(r["p"].value, text(r["l"]), "Program"))
    return kept


def _targets(store: Any, document: str) -> dict[tuple[str, str | None], list[tuple[Ref, Ref | None, TargetSide]]]:
    found = rows(
        store,
        sparql(
            """
SELECT ?t ?i ?il ?place ?placel ?value ?min ?max ?unit ?cmp ?deadline ?quote ?start WHERE {
  ?t a pkg:Target ; prov:wasDerivedFrom $d ; pkg:indicator ?i .
  OPTIONAL { ?i rdfs:label ?il } OPTIONAL { ?t pkg:appliesTo ?place OPTIONAL { ?place rdfs:label ?placel } }
  OPTIONAL { ?t pkg:value ?value } OPTIONAL { ?t pkg:minValue ?min } OPTIONAL { ?t pkg:maxValue ?max }
  OPTIONAL { ?t pkg:unit ?unit } OPTIONAL { ?t pkg:comparator ?cmp } OPTIONAL { ?t pkg:deadline ?deadline }
  OPTIONAL { ?t pkg:evidence ?e . ?e oa:exact ?quote ; oa:start ?start }
} ORDER BY ?start ?t""",
            d=iri(document),
        ),
    )
    out: dict[tuple[str, str | None], list[tuple[Ref, Ref | None, TargetSide]]] = {}
    seen: set[str] = set()
    for r in found:
        t = r["t"].value
        if t in seen:  # a second label or place: the first reading stands
            continue
        seen.add(t)
        place = Ref(r["place"].value, text(r["placel"]), "AdministrativeDivision") if r["place"] else None
        side = TargetSide(
            t,
            decimal(r["value"]),
            decimal(r["min"]),
            decimal(r["max"]),
            text(r["unit"]),
            r["cmp"].value.rsplit("#", 1)[-1] if r["cmp"] else None,
            text(r["deadline"]),
            text(r["quote"]),
        )
        key = (r["i"].value, place.iri if place else None)
        out.setdefault(key, []).append((Ref(r["i"].value, text(r["il"]), "Indicator"), place, side))
    return out


def _change(a: TargetSide, b: TargetSide) -> str:
    va = a.value if a.value is not None else a.min_value
    vb = b.value if b.value is not None else b.min_value
    if va is None or vb is None or a.unit != b.unit:
        return "changed"
    if vb > va:
        return "raised"
    if vb < va:
        return "lowered"
    return "kept" if a.comparator == b.comparator and a.max_value == b.max_value else "changed"


def _target_changes(
    a: dict[tuple[str, str | None], list[tuple[Ref, Ref | None, TargetSide]]],
    b: dict[tuple[str, str | None], list[tuple[Ref, Ref | None, TargetSide]]],
) -> list[TargetChange]:
    out: list[TargetChange] = []
    for key in sorted(a.keys() | b.keys(), key=lambda k: (k[0], k[1] or "")):
        left, right = a.get(key, []), b.get(key, [])
        for k in range(max(len(left), len(right))):
            if k < len(left) and k < len(right):
                (indicator, place, sa), (_, _, sb) = left[k], right[k]
                out.append(TargetChange(indicator, place, _change(sa, sb), sa, sb))
            elif k < len(right):
                indicator, place, sb = right[k]
                out.append(TargetChange(indicator, place, "new", None, sb))
            else:
                indicator, place, sa = left[k]
                out.append(TargetChange(indicator, place, "dropped", sa, None))
    return out
