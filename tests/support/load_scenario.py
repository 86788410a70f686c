"""Readers while a writer ingests, every reply checked: the scenario of ``tests/test_load.py``
(small, in CI) and of ``benchmarks/bench_load.py`` (big, timed).

Generated documents come in versions (:func:`corpus_versions`: the same file names, other
content) with the facts each version must show (:class:`Version`). Readers (:class:`ReadLoad`)
send SPARQL SELECT and ASK, ``/api/…`` and ``/id/`` page requests while a :class:`Writer`
uploads new versions; the :class:`History` oracle says which states of each document a request
may see — the last one acknowledged before the request was sent, or one written while it ran.
A document is absent or exactly one whole version (its sha256, title, task, target and triple
counts as the extractor computes them from the file), never a part, never a mix of two
versions, never older than an acknowledged write. A task or a node page is what the typed API
gives over that version alone; a program or a division, which gather tasks and targets from
many documents, shows each document's share as one version's.
"""

from __future__ import annotations

import html
import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

import httpx

from support import generate_corpus

SPARQL_JSON = {"Accept": "application/sparql-results+json"}

# One query, so one snapshot: every document graph with its version and its sizes.
DOCUMENTS_SPARQL = """
SELECT ?g ?sha ?title ?n ?nt ?ng WHERE {
  { SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?g a pkg:PolicyDocument } GRAPH ?g { ?s ?p ?o } } GROUP BY ?g }
  OPTIONAL { GRAPH ?g { ?g pkg:sha256 ?sha } }
  OPTIONAL { GRAPH ?g { ?g dcterms:title ?title } }
  OPTIONAL { SELECT ?g (COUNT(DISTINCT ?t) AS ?nt) WHERE { GRAPH ?g { ?t a pkg:Task } } GROUP BY ?g }
  OPTIONAL { SELECT ?g (COUNT(DISTINCT ?x) AS ?ng) WHERE { GRAPH ?g { ?x a pkg:Target } } GROUP BY ?g }
}"""


# -- what each version of a document must look like ------------------------------------------
@dataclass(frozen=True)
class Version:
    """One version of one document, with the sizes a reader must see when it is stored."""

    doc_id: str
    name: str  # the file name uploaded (gives the id and the format)
    data: bytes
    sha256: str
    title: str | None
    tasks: int
    targets: int
    triples: int  # quads in the document's own named graph
    quads: tuple = field(default=(), repr=False, compare=False)  # everything ingesting it writes

    def sizes(self) -> tuple:
        return (self.title, self.tasks, self.targets, self.triples)

    @cached_property
    def facts(self) -> Facts:
        return Facts.of(self.quads)

    @cached_property
    def store(self):
        """An in-memory store holding this version alone: what the typed API says about its tasks."""
        from policykg.graph.store import OxigraphStore

        store = OxigraphStore(None)
        by_graph: dict[str, list] = {}
        for q in self.quads:
            by_graph.setdefault(q.graph_name.value, []).append(q)
        for graph, quads in by_graph.items():
            store.replace_graph(graph, quads)
        return store


_P = {name: f"https://w3id.org/policykg/ontology#{name}" for name in ("mentions", "hasTarget", "appliesTo")}
_TYPE, _LABEL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2000/01/rdf-schema#label"
_SPATIAL = "http://purl.org/dc/terms/spatial"


@dataclass(frozen=True)
class Facts:
    """What one version contributes to the views that gather many documents (programs, divisions)."""

    tasks: frozenset[str]
    targets: frozenset[str]
    mentioned_by: dict[str, frozenset[str]]  # entity IRI -> tasks of this version that mention it
    targets_of: dict[str, frozenset[str]]  # task IRI -> its targets
    applying_to: dict[str, frozenset[str]]  # division IRI -> targets that apply to it directly
    spatial: frozenset[str]  # divisions the document governs
    names: dict[str, str]  # program IRI -> its name (rdfs:label)

    @classmethod
    def of(cls, quads: Iterable) -> Facts:
        types: dict[str, set[str]] = {}
        links: dict[str, dict[str, set[str]]] = {p: {} for p in _P.values()}
        spatial, names = set(), {}
        for q in quads:
            s, p, o = q.subject.value, q.predicate.value, q.object.value
            if p == _TYPE:
                types.setdefault(o.rsplit("#", 1)[-1], set()).add(s)
            elif p in links:
                links[p].setdefault(o if p != _P["hasTarget"] else s, set()).add(s if p != _P["hasTarget"] else o)
            elif p == _SPATIAL:
                spatial.add(o)
            elif p == _LABEL and "/program/" in s:
                names[s] = o
        tasks = frozenset(types.get("Task", ()))
        mentioned = {e: frozenset(ts & tasks) for e, ts in links[_P["mentions"]].items()}
        return cls(
            tasks,
            frozenset(types.get("Target", ())),
            mentioned,
            {t: frozenset(x) for t, x in links[_P["hasTarget"]].items()},
            {d: frozenset(x) for d, x in links[_P["appliesTo"]].items()},
            frozenset(spatial),
            names,
        )


NO_FACTS = Facts.of(())  # what an absent document contributes


def version_of(name: str, data: bytes, base_iri: str | None = None) -> Version:
    """Expected sizes from the file itself, by the same extractor and graph builder the server runs."""
    from policykg.graph.build import document_quads
    from policykg.graph.iris import IriScheme
    from policykg.loaders.extract import extract_bytes

    iris = IriScheme(base_iri) if base_iri else IriScheme()
    doc = extract_bytes(data, name)
    graph = iris.graph(doc.doc_id)
    quads = tuple(document_quads(doc, iris))
    own = sum(1 for q in quads if q.graph_name.value == graph)
    return Version(doc.doc_id, name, data, doc.sha256, doc.title, len(doc.tasks), len(doc.targets), own, quads)


def corpus_versions(count: int, seeds: Iterable[int]) -> list[dict[str, Version]]:
    """For each seed, ``count`` generated documents by id: same ids (file stems), other content."""
    out = []
    for seed in seeds:
        gen = generate_corpus.Generator(seed)
        versions = [version_of(*gen.document(i)) for i in range(count)]
        out.append({v.doc_id: v for v in versions})
    ids = [list(v) for v in out]
    assert all(i == ids[0] for i in ids), "every seed must give the same document ids"
    return out


def write_corpus(folder: Path, versions: Iterable[Version]) -> Path:
    """The files of ``versions`` in a new ``folder`` (under their own names), for `policykg ingest`."""
    folder.mkdir(parents=True)
    for v in versions:
        (folder / v.name).write_bytes(v.data)
    return folder


# -- the oracle -----------------------------------------------------------------------------
@dataclass
class _Op:
    state: Version | None  # None: the document is removed
    sent: float
    acked: float = float("inf")


class History:
    """What the writer did to each document and when; says what a reader may see.

    Writes to one document never overlap (one client doing one request at a time, or one
    ``policykg ingest`` run that writes each document once). A read sent at ``t0`` and answered
    at ``t1`` must see, for each document, the state the last write acknowledged before ``t0``
    left, or the state of a write that was under way between ``t0`` and ``t1`` — nothing else.
    A write that failed stays "under way": either state may be seen.
    """

    def __init__(self, initial: dict[str, Version | None]) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, list[_Op]] = {d: [_Op(v, float("-inf"), float("-inf"))] for d, v in initial.items()}

    @property
    def doc_ids(self) -> list[str]:
        return sorted(self._ops)

    def begin(self, doc_id: str, state: Version | None) -> _Op:
        op = _Op(state, time.monotonic())
        with self._lock:
            self._ops.setdefault(doc_id, [_Op(None, float("-inf"), float("-inf"))]).append(op)
        return op

    def versions(self, doc_id: str) -> list[Version]:
        """Every version of ``doc_id`` written or about to be, in order."""
        with self._lock:
            return [op.state for op in self._ops.get(doc_id, []) if op.state is not None]

    @staticmethod
    def done(op: _Op) -> None:
        op.acked = time.monotonic()

    def allowed(self, doc_id: str, t0: float, t1: float) -> list[Version | None]:
        with self._lock:
            ops = list(self._ops.get(doc_id, [_Op(None, float("-inf"), float("-inf"))]))
        settled = [op for op in ops if op.acked < t0]
        out = [settled[-1].state]
        out += [op.state for op in ops if op.acked >= t0 and op.sent <= t1]
        return out


def _show(v: Version | None) -> str:
    return "absent" if v is None else f"{v.sha256[:8]} ({v.tasks} tasks, {v.targets} targets, {v.triples} triples)"


def _problems(*found: str | None) -> list[str]:
    """The problems among ``found`` (a check gives None where it found none)."""
    return [p for p in found if p]


def check_seen(history: History, doc_id: str, t0: float, t1: float, seen: Version | None, what: str) -> str | None:
    """A problem if ``seen`` (a whole version, or None for absent) is not allowed at [t0, t1]."""
    allowed = history.allowed(doc_id, t0, t1)
    if any(seen is a or (seen is not None and a is not None and seen.sha256 == a.sha256) for a in allowed):
        return None
    return f"{what}: {doc_id} was {_show(seen)}, expected one of: {', '.join(_show(a) for a in allowed)}"


def match_version(
    history: History, doc_id: str, t0: float, t1: float, sizes: tuple, sha256: str | None, what: str
) -> str | None:
    """A stored document as a reader saw it: the sizes must be those of one allowed version."""
    allowed = [a for a in history.allowed(doc_id, t0, t1) if a is not None]
    for a in allowed:
        if (sha256 is None or sha256 == a.sha256) and all(
            s is None or s == e for s, e in zip(sizes, a.sizes(), strict=False)
        ):
            return None
    shown = "/".join("?" if s is None else str(s) for s in sizes)
    return (
        f"{what}: {doc_id} seen as {sha256 and sha256[:8]} title/tasks/targets/triples {shown} — not one whole "
        f"version of: {', '.join(_show(a) for a in history.allowed(doc_id, t0, t1))}"
    )


# -- readers ---------------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str
    status: int
    seconds: float
    problem: str | None = None


@dataclass
class ReadContext:
    base: str
    history: History
    base_iri: str = "https://w3id.org/policykg/id/"

    def doc_iri(self, doc_id: str) -> str:
        return f"{self.base_iri}doc/{doc_id}"


def _by_id(ctx: ReadContext, iri: str) -> str:
    return iri[len(ctx.base_iri) + len("doc/") :]


def read_sparql_documents(c: httpx.Client, ctx: ReadContext, _doc: str) -> tuple[httpx.Response, Callable]:
    r = c.post(ctx.base + "/sparql", data={"query": DOCUMENTS_SPARQL}, headers=SPARQL_JSON)

    def check(t0: float, t1: float) -> list[str]:
        rows = r.json()["results"]["bindings"]
        seen = {_by_id(ctx, row["g"]["value"]): row for row in rows}
        problems = []
        for doc in ctx.history.doc_ids:
            row = seen.pop(doc, None)
            if row is None:
                problems.append(check_seen(ctx.history, doc, t0, t1, None, "SPARQL documents"))
                continue
            val = {k: v["value"] for k, v in row.items()}
            sizes = (val.get("title"), int(val.get("nt", 0)), int(val.get("ng", 0)), int(val["n"]))
            problems.append(
                match_version(ctx.history, doc, t0, t1, sizes, val.get("sha", "(none)"), "SPARQL documents")
            )
        problems += [f"SPARQL documents: unexpected document graph {d}" for d in seen]
        return _problems(*problems)

    return r, check


def read_sparql_tasks(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    """The planner's "one document's tasks": the count must be a whole version's (0 if absent)."""
    q = f"SELECT DISTINCT ?task WHERE {{ GRAPH <{ctx.doc_iri(doc)}> {{ ?task a pkg:Task }} }}"
    r = c.get(ctx.base + "/sparql", params={"query": q}, headers=SPARQL_JSON)

    def check(t0: float, t1: float) -> list[str]:
        n = len(r.json()["results"]["bindings"])
        counts = {0 if a is None else a.tasks for a in ctx.history.allowed(doc, t0, t1)}
        return [] if n in counts else [f"SPARQL tasks: {doc} has {n} tasks, expected one of {sorted(counts)}"]

    return r, check


def read_sparql_ask(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    q = f"ASK {{ GRAPH <{ctx.doc_iri(doc)}> {{ <{ctx.doc_iri(doc)}> pkg:sha256 ?sha }} }}"
    r = c.post(
        ctx.base + "/sparql", content=q.encode(), headers={**SPARQL_JSON, "Content-Type": "application/sparql-query"}
    )

    def check(t0: float, t1: float) -> list[str]:
        present = r.json()["boolean"]
        states = {a is not None for a in ctx.history.allowed(doc, t0, t1)}
        return (
            []
            if present in states
            else [
                f"SPARQL ASK: {doc} {'present' if present else 'absent'}, "
                f"expected {'present' if True in states else 'absent'}"
            ]
        )

    return r, check


def _api_item(ctx: ReadContext, item: dict, t0: float, t1: float, what: str) -> str | None:
    doc = _by_id(ctx, item["iri"])
    sizes = (item["title"], item["tasks"], item["targets"], item["triples"])
    return match_version(ctx.history, doc, t0, t1, sizes, item["sha256"], what)


def read_api_list(c: httpx.Client, ctx: ReadContext, _doc: str) -> tuple[httpx.Response, Callable]:
    r = c.get(ctx.base + "/api/documents", params={"limit": 1000})

    def check(t0: float, t1: float) -> list[str]:
        page = r.json()
        items = {_by_id(ctx, i["iri"]): i for i in page["items"]}
        problems = [_api_item(ctx, i, t0, t1, "/api/documents") for i in items.values()]
        problems += [
            check_seen(ctx.history, d, t0, t1, None, "/api/documents") for d in ctx.history.doc_ids if d not in items
        ]
        if page["total"] != len(page["items"]):
            problems.append(f"/api/documents: total {page['total']} but {len(page['items'])} items on the only page")
        return _problems(*problems)

    return r, check


def read_api_document(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    r = c.get(ctx.base + f"/api/documents/{doc}")

    def check(t0: float, t1: float) -> list[str]:
        if r.status_code == 404:
            return _problems(check_seen(ctx.history, doc, t0, t1, None, "/api/documents/{id}"))
        return _problems(_api_item(ctx, r.json(), t0, t1, "/api/documents/{id}"))

    return r, check


def read_api_outline(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    r = c.get(ctx.base + f"/api/documents/{doc}/outline")

    def check(t0: float, t1: float) -> list[str]:
        if r.status_code == 404:
            return _problems(check_seen(ctx.history, doc, t0, t1, None, "outline"))
        o = r.json()
        tasks = len(o["tasks"]) + sum(len(s["tasks"]) for s in o["sections"])
        return _problems(
            match_version(
                ctx.history, doc, t0, t1, (o["title"], tasks, None, None), None, "/api/documents/{id}/outline"
            )
        )

    return r, check


def read_page(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    r = c.get(ctx.base + f"/id/doc/{quote(doc)}", headers={"Accept": "text/html"})

    def check(t0: float, t1: float) -> list[str]:
        allowed = ctx.history.allowed(doc, t0, t1)
        if r.status_code == 404:
            return _problems(check_seen(ctx.history, doc, t0, t1, None, "/id/ page"))
        for a in allowed:
            if a is not None and f"<h1>{html.escape(a.title or '')}</h1>" in r.text and a.sha256 in r.text:
                return []
        return [f"/id/ page: {doc} shows no whole version of: {', '.join(_show(a) for a in allowed)}"]

    return r, check


def read_search(c: httpx.Client, ctx: ReadContext, _doc: str) -> tuple[httpx.Response, Callable]:
    r = c.get(ctx.base + "/api/search", params={"q": "工程", "kind": "Program", "limit": 50})
    return r, lambda t0, t1: [] if isinstance(r.json(), list) else ["/api/search: not a list"]


def _canon(value):
    """A JSON value with every list sorted: the typed API does not promise an order in every list."""
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canon(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def _typed(read: Callable, version: Version, *args):
    """What the typed API answers over ``version`` alone (None: not found), as JSON."""
    from fastapi.encoders import jsonable_encoder

    from policykg.errors import NotFoundError

    try:
        return _canon(json.loads(json.dumps(jsonable_encoder(read(version.store, *args)), ensure_ascii=False)))
    except NotFoundError:
        return None


_pick = random.Random(0)  # which task, program or division of the chosen document a read asks for


def _task_iri(ctx: ReadContext, doc: str) -> str:
    most = max((v.tasks for v in ctx.history.versions(doc)), default=1)
    return f"{ctx.doc_iri(doc)}/task/{_pick.randint(1, max(most, 1))}"


def _one_node(ctx: ReadContext, doc: str, iri: str, r: httpx.Response, read: Callable, what: str):
    """A check that the node ``iri`` of ``doc`` is shown exactly as one allowed version shows it."""

    def check(t0: float, t1: float) -> list[str]:
        allowed = ctx.history.allowed(doc, t0, t1)
        seen = None if r.status_code == 404 else _canon(r.json())
        if any((None if a is None else _typed(read, a, iri)) == seen for a in allowed):
            return []
        shown = "absent" if seen is None else json.dumps(seen, ensure_ascii=False)[:300]
        return [f"{what}: {iri} shown as {shown} — not as one of: {', '.join(_show(a) for a in allowed)}"]

    return check


def read_api_task(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    """One task with its section, mentions and targets: all from one version of its document."""
    from policykg.graph.tasks import get_task

    iri = _task_iri(ctx, doc)
    r = c.get(ctx.base + f"/api/tasks/{doc}/{iri.rsplit('/', 1)[1]}")
    return r, _one_node(ctx, doc, iri, r, get_task, "/api/tasks/{id}/{n}")


def read_api_resource(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    """Everything about one task (properties, incoming links, quoted evidence): one version's."""
    from policykg.graph.resources import describe

    iri = _task_iri(ctx, doc)
    r = c.get(ctx.base + "/api/resource", params={"iri": iri})
    return r, _one_node(ctx, doc, iri, r, describe, "/api/resource")


def _doc_of(ctx: ReadContext, iri: str) -> str | None:
    """The document a task or target IRI belongs to (…/doc/{id}/task/3)."""
    prefix = ctx.base_iri + "doc/"
    return iri[len(prefix) :].split("/", 1)[0] if iri.startswith(prefix) else None


def _shares(ctx: ReadContext, items: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for iri in items:
        doc = _doc_of(ctx, iri)
        if doc is not None:
            out.setdefault(doc, set()).add(iri)
    return out


def _gathered(
    ctx: ReadContext, t0: float, t1: float, what: str, seen: dict[str, tuple], share: Callable[[Facts], tuple]
) -> list[str]:
    """Each document's share of a gathering view (``seen[doc]``; nothing shown of it is the share
    of no facts) must be the share of one allowed version of that document (absent: no facts)."""
    nothing = share(NO_FACTS)
    problems = []
    for doc in ctx.history.doc_ids:
        allowed = ctx.history.allowed(doc, t0, t1)
        got = seen.get(doc, nothing)
        if got not in [share(a.facts if a is not None else NO_FACTS) for a in allowed]:
            sizes = "/".join(str(len(x)) if isinstance(x, frozenset) else str(x) for x in got)
            problems.append(
                f"{what}: {doc}'s part was {sizes}, not one whole version of: {', '.join(_show(a) for a in allowed)}"
            )
    return problems


def _an_entity(ctx: ReadContext, doc: str, choose: Callable[[Facts], list[str]]) -> str | None:
    candidates = sorted({e for v in ctx.history.versions(doc) for e in choose(v.facts)})
    if not candidates:
        candidates = sorted({e for d in ctx.history.doc_ids for v in ctx.history.versions(d) for e in choose(v.facts)})
    return _pick.choice(candidates) if candidates else None


def read_api_program(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    """A program named by the document: for every document, the tasks mentioning it and their
    targets are one version's, and the documents listed are those of the tasks listed."""
    program = _an_entity(ctx, doc, lambda f: [e for e in f.mentioned_by if e in f.names and f.mentioned_by[e]])
    names = {e: n for d in ctx.history.doc_ids for v in ctx.history.versions(d) for e, n in v.facts.names.items()}
    name = names.get(program or "", "不存在的工程")
    r = c.get(ctx.base + "/api/programs/" + quote(name, safe=""))

    def share(f: Facts) -> tuple:
        tasks = f.mentioned_by.get(program or "", frozenset())
        return tasks, frozenset(t for task in tasks for t in f.targets_of.get(task, ()))

    def check(t0: float, t1: float) -> list[str]:
        if r.status_code == 404:
            return _gathered(ctx, t0, t1, "/api/programs/{name} (404)", {}, share)
        p = r.json()
        tasks, targets = _shares(ctx, (t["iri"] for t in p["tasks"])), _shares(ctx, (t["iri"] for t in p["targets"]))
        seen = {d: (frozenset(tasks.get(d, ())), frozenset(targets.get(d, ()))) for d in set(tasks) | set(targets)}
        problems = _gathered(ctx, t0, t1, f"/api/programs/{name}", seen, share)
        listed = {_by_id(ctx, d["iri"]) for d in p["documents"]}
        if listed != set(tasks):
            problems.append(f"/api/programs/{name}: documents {sorted(listed)} but tasks from {sorted(tasks)}")
        return problems

    return r, check


def read_api_division(c: httpx.Client, ctx: ReadContext, doc: str) -> tuple[httpx.Response, Callable]:
    """A division the document governs or names: for every document, whether it governs it, its
    tasks mentioning it and its targets applying to it are one version's."""
    division = _an_entity(
        ctx,
        doc,
        lambda f: sorted(f.spatial) + sorted(e for e in f.mentioned_by if "/division/" in e and f.mentioned_by[e]),
    )
    code = (division or "000000").rsplit("/", 1)[1]
    r = c.get(ctx.base + f"/api/divisions/{code}")

    def share(f: Facts) -> tuple:
        return (
            division in f.spatial,
            f.mentioned_by.get(division or "", frozenset()),
            f.applying_to.get(division or "", frozenset()),
        )

    def check(t0: float, t1: float) -> list[str]:
        if r.status_code == 404:
            return _gathered(ctx, t0, t1, "/api/divisions/{code} (404)", {}, share)
        dv = r.json()
        governs = {_by_id(ctx, d["iri"]) for d in dv["documents"]}
        tasks = _shares(ctx, (t["iri"] for t in dv["tasks"]))
        direct = _shares(ctx, (t["iri"] for t in dv["targets"] if division in {x["iri"] for x in t["divisions"]}))
        seen = {
            d: (d in governs, frozenset(tasks.get(d, ())), frozenset(direct.get(d, ())))
            for d in governs | set(tasks) | set(direct)
        }
        return _gathered(ctx, t0, t1, f"/api/divisions/{code}", seen, share)

    return r, check


READS: dict[str, Callable] = {
    "SPARQL SELECT, all documents": read_sparql_documents,
    "SPARQL SELECT, one document's tasks": read_sparql_tasks,
    "SPARQL ASK": read_sparql_ask,
    "/api/documents": read_api_list,
    "/api/documents/{id}": read_api_document,
    "/api/documents/{id}/outline": read_api_outline,
    "/api/tasks/{id}/{n}": read_api_task,
    "/api/resource (a task)": read_api_resource,
    "/api/programs/{name}": read_api_program,
    "/api/divisions/{code}": read_api_division,
    "/api/search": read_search,
    "/id/doc/{id} page": read_page,
}
#: Reads whose reply is one query, or shows each document from one query: one snapshot on any
#: store. The others (a task with its targets, a node page, a program, a division) are several
#: queries, one view only where the store has a sequence lock (the embedded store); behind a
#: SPARQL server that another process writes they can mix two states (docs/scale.md).
ONE_SNAPSHOT_READS = [
    "SPARQL SELECT, all documents",
    "SPARQL SELECT, one document's tasks",
    "SPARQL ASK",
    "/api/documents",
    "/api/documents/{id}",
    "/api/documents/{id}/outline",
    "/api/search",
    "/id/doc/{id} page",
]
#: Reads of one thing by its id: 404 is their answer while it is absent (the oracle says when).
MAY_BE_ABSENT = {
    "/api/documents/{id}",
    "/api/documents/{id}/outline",
    "/id/doc/{id} page",
    "/api/tasks/{id}/{n}",
    "/api/resource (a task)",
    "/api/programs/{name}",
    "/api/divisions/{code}",
}


def one_read(c: httpx.Client, ctx: ReadContext, kind: str, doc: str) -> Sample:
    """One timed request of ``kind`` (about ``doc`` where it names one), its reply checked."""
    t0 = time.monotonic()
    try:
        r, check = READS[kind](c, ctx, doc)
    except httpx.HTTPError as exc:
        return Sample(kind, 0, time.monotonic() - t0, f"{kind}: {type(exc).__name__}: {exc}")
    t1 = time.monotonic()
    if r.status_code != 200 and not (r.status_code == 404 and kind in MAY_BE_ABSENT):
        return Sample(kind, r.status_code, t1 - t0, f"{kind} {doc}: HTTP {r.status_code}: {r.text[:300]}")
    try:
        problems = check(t0, t1)
    except (ValueError, KeyError, TypeError) as exc:
        problems = [f"{kind} {doc}: unreadable reply ({type(exc).__name__}: {exc}): {r.text[:300]}"]
    return Sample(kind, r.status_code, t1 - t0, "\n".join(problems) if problems else None)


@dataclass
class ReadLoad:
    """Reader threads sharing a budget of requests; they stop at the budget, at ``until()`` or at the deadline."""

    ctx: ReadContext
    readers: int = 8
    max_requests: int = 1000
    deadline_s: float = 60.0
    seed: int = 0
    until: Callable[[], bool] | None = None  # stop early once this is true (the writer is done)
    kinds: list[str] = field(default_factory=lambda: list(READS))  # the reads to mix
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0

    def run(self) -> list[Sample]:
        lock = threading.Lock()
        budget = iter(range(self.max_requests))
        kinds = self.kinds
        ids = self.ctx.history.doc_ids
        stop_at = time.monotonic() + self.deadline_s

        def reader(n: int) -> None:
            rnd = random.Random(f"{self.seed}:{n}")
            with httpx.Client(timeout=60) as c:
                k = n
                while time.monotonic() < stop_at and not (self.until and self.until()):
                    with lock:
                        if next(budget, None) is None:
                            return
                    s = one_read(c, self.ctx, kinds[k % len(kinds)], rnd.choice(ids))
                    k += 1
                    with lock:
                        self.samples.append(s)

        started = time.monotonic()
        threads = [threading.Thread(target=reader, args=(n,), name=f"reader-{n}") for n in range(self.readers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.wall = time.monotonic() - started
        return self.samples


# -- the writer ------------------------------------------------------------------------------
@dataclass
class Write:
    doc_id: str
    state: Version | None  # the version uploaded, or None to remove the document


@dataclass
class Writer:
    """One client ingesting through the server, one request at a time, recorded in the history."""

    base: str
    token: str
    history: History
    base_iri: str = "https://w3id.org/policykg/id/"
    samples: list[Sample] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)
    wall: float = 0.0

    def run(self, script: list[Write], deadline_s: float = 120.0) -> list[Sample]:
        auth = {"Authorization": f"Bearer {self.token}"}
        started = time.monotonic()
        try:
            with httpx.Client(timeout=60, headers=auth) as c:
                for w in script:
                    if time.monotonic() - started > deadline_s:
                        self.samples.append(
                            Sample(
                                "write",
                                0,
                                0.0,
                                f"writer: out of time after {len(self.samples)} of {len(script)} writes",
                            )
                        )
                        break
                    op = self.history.begin(w.doc_id, w.state)
                    t0 = time.monotonic()
                    kind = "upload" if w.state else "remove"
                    try:
                        if w.state is not None:
                            r = c.post(
                                self.base + "/documents",
                                params={"name": w.state.name},
                                content=w.state.data,
                                headers={"Content-Type": "application/octet-stream"},
                            )
                            ok = r.status_code in (200, 201)
                        else:
                            r = c.delete(self.base + "/graph-store", params={"graph": f"{self.base_iri}doc/{w.doc_id}"})
                            ok = r.status_code == 204
                        status, problem = (
                            r.status_code,
                            None if ok else f"{kind} {w.doc_id}: HTTP {r.status_code}: {r.text[:300]}",
                        )
                    except httpx.HTTPError as exc:
                        status, problem = 0, f"{kind} {w.doc_id}: {type(exc).__name__}: {exc}"
                    if problem is None:
                        History.done(op)  # a failed write stays "under way": readers may see either state
                    self.samples.append(Sample(kind, status, time.monotonic() - t0, problem))
        finally:
            self.wall = time.monotonic() - started
            self.finished.set()
        return self.samples


def mixed_script(first: dict[str, Version], second: dict[str, Version], *, changed: int, removed: int) -> list[Write]:
    """Add every document; replace ``changed`` of them by their second version; remove ``removed``
    others and add them back; turn half of the changed ones back to their first version."""
    ids = list(first)
    script = [Write(d, first[d]) for d in ids]
    script += [Write(d, second[d]) for d in ids[:changed]]
    gone = ids[changed : changed + removed]
    script += [Write(d, None) for d in gone] + [Write(d, first[d]) for d in gone]
    script += [Write(d, first[d]) for d in ids[: changed // 2]]
    return script


# -- figures ---------------------------------------------------------------------------------
def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def summary(samples: list[Sample], wall: float) -> dict:
    times = sorted(s.seconds for s in samples if s.status)
    return {
        "requests": len(samples),
        "failed": sum(1 for s in samples if s.problem),
        "seconds": wall,
        "per_s": len(samples) / wall if wall else 0.0,
        "p50_ms": percentile(times, 50) * 1000,
        "p95_ms": percentile(times, 95) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
        "max_ms": (times[-1] if times else float("nan")) * 1000,
    }


def by_kind(samples: list[Sample]) -> dict[str, dict]:
    kinds: dict[str, list[Sample]] = {}
    for s in samples:
        kinds.setdefault(s.kind, []).append(s)
    return {k: summary(v, 0.0) for k, v in kinds.items()}


def problems(samples: list[Sample]) -> list[str]:
    return [s.problem for s in samples if s.problem]


def concurrent(
    ctx: ReadContext,
    writer: Writer,
    script: list[Write],
    *,
    readers: int,
    max_reads: int,
    deadline_s: float,
    seed: int = 0,
) -> tuple[ReadLoad, Writer]:
    """Readers for as long as the writer works (bounded by ``max_reads`` and the deadline)."""
    load = ReadLoad(
        ctx, readers=readers, max_requests=max_reads, deadline_s=deadline_s, seed=seed, until=writer.finished.is_set
    )
    t = threading.Thread(target=writer.run, args=(script, deadline_s), name="writer")
    t.start()
    load.run()
    t.join()
    return load, writer
