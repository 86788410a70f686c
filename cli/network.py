"""Network commands: ``trace``, ``rests-on``, ``path``, ``rank`` and ``viz``.

Thin adapters over the typed reads of :mod:`policykg.graph` (``trace``, ``reverse_trace``, ``paths``,
``rankings``) and the export of :mod:`policykg.viz.export`: ``--json`` prints the network
view's JSON (:mod:`policykg.viz.network_json`), text goes through :mod:`policykg.cli.render`.
Registered on the main group by ``cli/main.py``.
"""

from __future__ import annotations

from pathlib import Path

import click

from policykg.cli.options import CliContext, echo_json, store_options


@click.command()
@click.argument("program")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON (tree, nodes and edges).")
@click.option("--width", default=100, show_default=True, help="Cut quotes to this many characters in the tree.")
@store_options
def trace(ctx: CliContext, program: str, as_json: bool, width: int) -> None:
    """Everything PROGRAM reaches through pkg:partOf, pkg:dependsOn and pkg:successorOf.

    PROGRAM is a label or short name (三名工程) or an IRI. Shows its sub-programs, the
    programs it continues or that continue it (from the programme registry), the tasks
    that name any of them, their targets (with baselines), the divisions in scope, the
    units that lead and support them and the documents they cite, each with the quote
    it was read from. The other way round, from a task: policykg rests-on.
    """
    from policykg.cli.render import trace_tree
    from policykg.graph.trace import trace as read_trace
    from policykg.viz.network_json import trace_json

    result = read_trace(ctx.open_store(read_only=True), program, max_nodes=ctx.settings.max_trace_nodes)
    if as_json:
        echo_json(trace_json(result))
    else:
        click.echo(trace_tree(result, width=width), nl=False)


@click.command("rests-on")
@click.argument("task")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (tree, nodes and edges).")
@click.option("--width", default=100, show_default=True, help="Cut quotes to this many characters in the tree.")
@store_options
def rests_on(ctx: CliContext, task: str, as_json: bool, width: int) -> None:
    """What TASK rests on: the trace the other way round.

    TASK is a task's IRI (…/doc/ID/task/N) or its title. Shows the programs and tasks
    it depends on (pkg:dependsOn, each with the words that say so, followed on: their
    umbrella programs and the programs they continue), the documents it cites
    (dcterms:references) and the units that lead and support it and those tasks.
    """
    from policykg.cli.render import rests_on_tree
    from policykg.graph.reverse_trace import rests_on as read_rests_on
    from policykg.viz.network_json import rests_on_json

    result = read_rests_on(ctx.open_store(read_only=True), task, max_nodes=ctx.settings.max_trace_nodes)
    if as_json:
        echo_json(rests_on_json(result))
    else:
        click.echo(rests_on_tree(result, width=width), nl=False)


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the path as JSON.")
@store_options
def path(ctx: CliContext, a: str, b: str, as_json: bool) -> None:
    """The shortest explanation of how A and B connect (names or IRIs)."""
    from policykg.cli.render import path_steps
    from policykg.graph.paths import shortest_path
    from policykg.viz.network_json import path_json

    result = shortest_path(ctx.open_store(read_only=True), a, b)
    if as_json:
        echo_json(path_json(result))
    else:
        click.echo(path_steps(result), nl=False)


@click.command()
@click.option("--limit", "-n", default=10, show_default=True, help="Rows per ranking.")
@click.option("--json", "as_json", is_flag=True, help="Print the rankings as JSON.")
@store_options
def rank(ctx: CliContext, limit: int, as_json: bool) -> None:
    """Most connected programs, divisions with most targets, indicators shared across documents."""
    from policykg.cli.render import rankings_tables
    from policykg.graph.rankings import rankings
    from policykg.viz.network_json import rankings_json

    result = rankings(ctx.open_store(read_only=True), limit)
    if as_json:
        echo_json(rankings_json(result))
    else:
        click.echo(rankings_tables(result), nl=False)


@click.command()
@click.option("--focus", metavar="NODE", help="Start from this node (name or IRI) instead of the whole graph.")
@click.option("--depth", default=2, show_default=True, help="With --focus: how many links away to draw.")
@click.option("--trace", "trace_program", metavar="PROGRAM", help="Draw a program's trace instead.")
@click.option("--max-nodes", default=2000, show_default=True, help="Draw at most this many nodes.")
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML file to write."
)
@store_options
def viz(
    ctx: CliContext, focus: str | None, depth: int, trace_program: str | None, max_nodes: int, output: Path
) -> None:
    """Write a standalone HTML network view that opens offline (no CDN, assets inlined)."""
    from policykg.viz.export import write_standalone

    info = write_standalone(
        ctx.open_store(read_only=True),
        output,
        focus=focus,
        depth=depth,
        trace_program=trace_program,
        max_nodes=max_nodes,
    )
    click.echo(
        f"wrote {output}: {info['nodes']} nodes, {info['edges']} edges"
        + (f" ({info['omitted']} more not drawn)" if info.get("omitted") else ""),
        err=True,
    )


#: Registered on the main group by ``cli/main.py``.
NETWORK_COMMANDS = (trace, rests_on, path, rank, viz)
