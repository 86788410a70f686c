"""The network commands' answers as text for the terminal: a trace (and what a task rests on) as
a tree, a path as steps, the rankings as tables.

Labels and quotes come from the store, and a store may hold anything (a remote one, a SPARQL
update, a loaded export): :func:`printable` shows control characters and bidi overrides as
visible escapes, so none reaches the terminal as an escape sequence (a new window title, a
rewritten clipboard, text moved or hidden) or reorders what is read.
"""

from __future__ import annotations

import re

from policykg.cli.tables import text_table
from policykg.graph.kinds import WORDS
from policykg.graph.paths import PathResult
from policykg.graph.rankings import Rankings
from policykg.graph.read import Ref
from policykg.graph.trace import REGISTRY, PartFacts, TargetFacts, Trace, TraceNode

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_COMPARATOR_SIGNS = {
    "AtLeast": "≥",
    "AtMost": "≤",
    "Exactly": "=",
    "Approximately": "≈",
    "IncreaseBy": "+",
    "DecreaseBy": "−",
    "Between": "between",
}
_BINDINGNESS = {"Binding": "binding 约束性", "Anticipatory": "anticipatory 预期性"}
#: Characters of a quote shown in a path.
_PATH_QUOTE = 100


def printable(text: str) -> str:
    """``text`` with every control character and bidi override written as ``\\uXXXX``."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _word(kind: str) -> str:
    return WORDS.get(kind, kind)


def _value(facts: TargetFacts) -> str:
    """`` ≥ 90%``: a target's comparator, value and unit."""
    if facts.value is None:
        return ""
    value = _number(facts.value)
    sign = _COMPARATOR_SIGNS.get(facts.comparator or "", "")
    out = f" {sign} {value}{facts.unit or ''}".replace("  ", " ")
    if facts.baseline is not None:
        out += f" (from {_number(facts.baseline)}{facts.unit or ''})"
    if facts.bindingness:
        out += f" [{_BINDINGNESS.get(facts.bindingness, facts.bindingness)}]"
    return out


def _number(value: str) -> str:
    """``85`` for ``85.0``: a decimal as the text would write it."""
    return value.rstrip("0").rstrip(".") if "." in value else value


def _node_line(n: TraceNode) -> str:
    facts = n.facts
    if n.kind == "Task" and isinstance(facts, PartFacts):
        line = f"task {facts.number or None} {n.label or ''}".strip()
        return line + (f"  ({facts.document_title})" if facts.document_title else "")
    if n.kind == "Target" and isinstance(facts, TargetFacts):
        return f"target {facts.indicator_label or n.label or ''}{_value(facts)}"
    if n.kind == "Section":
        number = facts.number if isinstance(facts, PartFacts) else None
        return f"section {number or ''} {n.label or ''}".strip()
    if n.kind == "PolicyDocument" and n.label:  # a cited document: its title and where to find it
        return f"document {n.label}  <{n.iri}>"
    return f"{_word(n.kind)} {n.label or n.iri}"


def trace_tree(t: Trace, *, width: int = 100) -> str:
    """A program's trace as an indented tree, one line per node plus its quote cut to ``width`` (a
    link from the programme registry says so instead); last, the nodes reached by kind."""
    return _tree(t, width, "reach", count_root=True)


def rests_on_tree(t: Trace, *, width: int = 100) -> str:
    """What a task rests on, as :func:`trace_tree` draws a trace; last, what it rests on by kind."""
    return _tree(t, width, "rests on", count_root=False)


def _tree(t: Trace, width: int, summary: str, *, count_root: bool) -> str:
    lines: list[str] = []

    def quote(n: TraceNode) -> str:
        if not n.evidence:
            return ""
        q = (n.evidence.context or n.evidence.exact or "").replace("\n", " ")
        if len(q) > width:
            q = q[: width - 1] + "…"
        return f"“{q}”"

    def emit(n: TraceNode, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└── " if last else "├── ")
        relation = f"[{n.relation}] " if n.relation and not top else ""
        ref = "  (see above)" if n.ref else ""
        ref += "  (programme registry)" if n.basis == REGISTRY else ""
        lines.append(f"{prefix}{branch}{relation}{_node_line(n)}{ref}")
        child_prefix = prefix + ("" if top else ("    " if last else "│   "))
        q = quote(n)
        if q:
            lines.append(f"{child_prefix}{'│   ' if n.children else '    '}{q}")
        for i, c in enumerate(n.children):
            emit(c, child_prefix, i == len(n.children) - 1, False)

    emit(t.root, "", True, True)
    for p in t.part_of:
        lines.append(f"(part of {p.label or p.iri})")
    if t.truncated:
        lines.append(f"(cut at {t.max_nodes} nodes, max_trace_nodes: the program reaches more)")
    counts = sorted((_word(k), v) for k, v in t.counts(root=count_root).items())
    lines.append(f"{summary}: " + (", ".join(f"{v} {k}{'s' if v != 1 else ''}" for k, v in counts) or "nothing"))
    return printable("\n".join(lines) + "\n")


def path_steps(p: PathResult) -> str:
    """The path as one line per step, each with its quote."""

    def node(r: Ref) -> str:
        return f"{_word(r.kind or '')} {r.label or r.iri}"

    if not p.steps:
        return printable(f"{p.start.label or p.start.iri} is {p.end.label or p.end.iri}\n")
    lines = [node(p.steps[0].source)]
    for s in p.steps:
        lines.append(f"  └─[{s.relation}]→ {node(s.target)}")
        if s.evidence:
            q = (s.evidence.context or s.evidence.exact or "").replace("\n", " ")
            lines.append(f"       “{q[:_PATH_QUOTE]}{'…' if len(q) > _PATH_QUOTE else ''}”")
    lines.append(f"{len(p.steps)} step{'s' if len(p.steps) != 1 else ''}")
    return printable("\n".join(lines) + "\n")


def rankings_tables(r: Rankings) -> str:
    """The three rankings as tables, each under its title."""
    out = [
        "Most connected programs\n",
        text_table(
            ["program", "links", "tasks", "documents"],
            [[p.label or p.iri, str(p.degree), str(p.tasks), str(p.documents)] for p in r.programs],
        ),
        "\nDivisions with the most targets (including their sub-divisions)\n",
        text_table(
            ["division", "targets", "direct"], [[d.label or d.iri, str(d.targets), str(d.direct)] for d in r.divisions]
        ),
        "\nIndicators shared across documents\n",
    ]
    if r.indicators:
        out.append(
            text_table(
                ["indicator", "documents", "targets"],
                [[i.label or i.iri, str(i.documents), str(i.targets)] for i in r.indicators],
            )
        )
    else:
        out.append("(none: no indicator is measured in more than one document)\n")
    return printable("".join(out))
