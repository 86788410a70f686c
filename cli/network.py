"""Network commands: ``trace``, ``path``, ``rank`` and ``viz``.

Thin adapters over :mod:`policykg.graph.trace` and :mod:`policykg.viz.export`;
registered on the main group by ``cli/main.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from policykg.cli.main import CliContext, store_options


def _dump(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))  # JSON escapes every control character


# Labels and quotes come from the store, and a store may hold anything (a remote one, a
# SPARQL update, a loaded export). Control characters would reach the terminal as escape
# sequences (a new window title, a rewritten clipboard, text moved or hidden), and bidi
# overrides would reorder what is read; the text output shows them as visible escapes.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _echo(text: str, **kwargs) -> None:
    click.echo(_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text), **kwargs)


@click.command()
@click.argument("program")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON (tree, nodes and edges).")
@click.option("--width", default=100, show_default=True, help="Cut quotes to this many characters in the tree.")
@store_options
def trace(ctx: CliContext, program: str, as_json: bool, width: int) -> None:
    """Everything PROGRAM reaches through pkg:partOf and pkg:dependsOn.

    PROGRAM is a label or short name (三名工程) or an IRI. Shows its sub-programs, the
    tasks that name any of them, their targets and the divisions in scope, each with
    the quote it was read from.
    """
    from policykg.graph.trace import render_tree, trace as run_trace

    result = run_trace(ctx.open_store(read_only=True), program, max_nodes=ctx.settings.max_trace_nodes)
    if as_json:
        _dump(result.to_json())
    else:
        _echo(render_tree(result, width=width), nl=False)


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the path as JSON.")
@store_options
def path(ctx: CliContext, a: str, b: str, as_json: bool) -> None:
    """The shortest explanation of how A and B connect (names or IRIs)."""
    from policykg.graph.trace import shortest_path

    result = shortest_path(ctx.open_store(read_only=True), a, b)
    if as_json:
        _dump(result.to_json())
    else:
        _echo(result.render(), nl=False)


@click.command()
@click.option("--limit", "-n", default=10, show_default=True, help="Rows per ranking.")
@click.option("--json", "as_json", is_flag=True, help="Print the rankings as JSON.")
@store_options
def rank(ctx: CliContext, limit: int, as_json: bool) -> None:
    """Most connected programs, divisions with most targets, indicators shared across documents."""
    from policykg.graph.results import text_table
    from policykg.graph.trace import rankings

    r = rankings(ctx.open_store(read_only=True), limit)
    if as_json:
        _dump(r)
        return
    _echo("Most connected programs")
    _echo(text_table(["program", "links", "tasks", "documents"],
                     [[p["label"] or p["iri"], str(p["degree"]), str(p["tasks"]), str(p["documents"])]
                      for p in r["programs"]]), nl=False)
    _echo("\nDivisions with the most targets (including their sub-divisions)")
    _echo(text_table(["division", "targets", "direct"],
                     [[d["label"] or d["iri"], str(d["targets"]), str(d["direct"])] for d in r["divisions"]]),
          nl=False)
    _echo("\nIndicators shared across documents")
    if r["indicators"]:
        _echo(text_table(["indicator", "documents", "targets"],
                         [[i["label"] or i["iri"], str(i["documents"]), str(i["targets"])]
                          for i in r["indicators"]]), nl=False)
    else:
        _echo("(none: no indicator is measured in more than one document)")


@click.command()
@click.option("--focus", metavar="NODE", help="Start from this node (name or IRI) instead of the whole graph.")
@click.option("--depth", default=2, show_default=True, help="With --focus: how many links away to draw.")
@click.option("--trace", "trace_program", metavar="PROGRAM", help="Draw a program's trace instead.")
@click.option("--max-nodes", default=2000, show_default=True, help="Draw at most this many nodes.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The HTML file to write.")
@store_options
def viz(ctx: CliContext, focus: str | None, depth: int, trace_program: str | None, max_nodes: int,
        output: Path) -> None:
    """Write a standalone HTML network view that opens offline (no CDN, assets inlined)."""
    from policykg.viz.export import write_standalone

    info = write_standalone(ctx.open_store(read_only=True), output, focus=focus, depth=depth,
                            trace_program=trace_program, max_nodes=max_nodes)
    click.echo(f"wrote {output}: {info['nodes']} nodes, {info['edges']} edges"
               + (f" ({info['omitted']} more not drawn)" if info.get("omitted") else ""), err=True)


COMMANDS = (trace, path, rank, viz)


def register(group: click.Group) -> None:
    for cmd in COMMANDS:
        group.add_command(cmd)
