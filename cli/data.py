"""Data commands for researchers, statisticians and network analysts: ``table``, ``compare``,
``timeline`` and ``diff``.

Thin adapters over :mod:`policykg.graph.fact_tables` (a table read from the store, written as
CSV — the default, to stdout — JSON, Parquet or an Excel workbook),
:mod:`policykg.graph.compare` (one indicator across documents, places and years),
:mod:`policykg.graph.timeline` (a program through time) and :mod:`policykg.graph.plan_diff`
(what changed between two plans). The network
projection as GraphML or GEXF is ``policykg export -f graphml|gexf``. Registered on the main
group by ``cli/main.py``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from policykg.cli.options import CliContext, echo_json, store_options


class _FactTableChoice(click.Choice[str]):
    """One of :mod:`policykg.graph.fact_tables`' lists (``TABLE_NAMES``, ``TABLE_FORMATS``), read
    from it only when ``table`` runs or shows its help: the other commands (``extract`` above
    all) start without importing it."""

    def __init__(self, attribute: str) -> None:
        self._attribute = attribute
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from policykg.graph import fact_tables

        return tuple(getattr(fact_tables, self._attribute))

    @choices.setter
    def choices(self, _value: object) -> None:
        pass  # click.Choice.__init__ sets it; the values are the module's


@click.command()
@click.argument("name", type=_FactTableChoice("TABLE_NAMES"))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=_FactTableChoice("TABLE_FORMATS"),
    default="csv",
    show_default=True,
    help="parquet and xlsx need the tables extra: pip install 'policykg[tables]'.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@store_options
def table(ctx: CliContext, name: str, fmt: str, output: Path | None) -> None:
    """One tidy table of the store: a row per fact, stable columns (docs/tables.md).

    NAME is documents, tasks, targets, mentions, programs, dependencies or
    responsibilities. Every row carries the IRIs it is about and, for facts read from a
    sentence, the quote and its offsets in the document's text.
    """
    from policykg.graph.fact_tables import fact_table, table_bytes

    found = fact_table(ctx.open_store(read_only=True), name)
    data = table_bytes(found, fmt)
    if output:
        output.write_bytes(data)
        click.echo(f"wrote {len(found.rows)} rows of {name} ({len(data)} bytes) to {output}", err=True)
    elif fmt in ("parquet", "xlsx") and sys.stdout.isatty():
        raise click.UsageError(f"{fmt} is binary: give --output FILE (or redirect stdout)")
    else:
        sys.stdout.buffer.write(data)


@click.command()
@click.argument("indicator")
@click.option("--place", metavar="PLACE", help="Only targets in this division or within it (name, code or IRI).")
@click.option("--from", "year_from", type=int, metavar="YEAR", help="Only targets of this year or later.")
@click.option("--to", "year_to", type=int, metavar="YEAR", help="Only targets of this year or earlier.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=500, show_default=True, help="Targets to show.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Targets to skip first.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@store_options
def compare(
    ctx: CliContext,
    indicator: str,
    place: str | None,
    year_from: int | None,
    year_to: int | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Every target on INDICATOR, by place and year: value, comparator, baseline, deadline, source.

    INDICATOR is a label as plans write it (学前三年毛入园率), any spelling the indicator
    registry lists, or an IRI. A target's place is the division it is scoped to, else the
    one its document governs; its year is its deadline's, else its document's.
    """
    from policykg.cli.tables import text_table
    from policykg.graph.compare import compare as read_comparison

    found = read_comparison(
        ctx.open_store(read_only=True),
        indicator,
        place=place,
        year_from=year_from,
        year_to=year_to,
        offset=offset,
        limit=limit,
    )
    if as_json:
        echo_json(dataclasses.asdict(found))
        return
    click.echo(f"{found.indicator.label or found.indicator.iri}  <{found.indicator.iri}>")
    rows = [
        [
            (t.place.label or t.place.iri) if t.place else "",
            str(t.year or ""),
            _number(t.value if t.value is not None else t.min_value) + (t.unit or ""),
            t.comparator or "",
            _number(t.baseline),
            t.deadline or "",
            t.document.label or t.document.iri,
            (t.quote or "")[:60],
        ]
        for t in found.targets
    ]
    header = ["place", "year", "value", "comparator", "baseline", "deadline", "document", "quote"]
    click.echo(text_table(header, rows), nl=False)
    shown = f"{len(rows)} of {found.total}" if found.total > len(rows) else str(len(rows))
    click.echo(f"({shown} target{'s' if found.total != 1 else ''})")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@click.command()
@click.argument("program")
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
@store_options
def timeline(ctx: CliContext, program: str, as_json: bool) -> None:
    """PROGRAM through time: the documents that name it by year and place, and its lineage.

    PROGRAM is a label or short name (全面改薄) or an IRI. Lists each document naming it
    with its year, place, how many tasks name it and how it is first written; then its umbrella
    and parts, the programs it continues and those that continue it (from the programme
    registry), with the years the store's documents name them.
    """
    from policykg.cli.tables import text_table
    from policykg.graph.timeline import timeline as read_timeline

    found = read_timeline(ctx.open_store(read_only=True), program)
    if as_json:
        echo_json(dataclasses.asdict(found))
        return
    click.echo(f"{found.program.label or found.program.iri}  <{found.program.iri}>")
    rows = [
        [
            str(e.year or ""),
            (e.place.label or e.place.iri) if e.place else "",
            e.document.label or e.document.iri,
            str(e.tasks),
            (e.quote or "")[:40],
        ]
        for e in found.entries
    ]
    click.echo(text_table(["year", "place", "document", "tasks", "named as"], rows), nl=False)
    for title, steps in (("continues", found.predecessors), ("continued by", found.successors)):
        for s in steps:
            years = f" ({s.first_year}–{s.last_year})" if s.first_year else " (named by no document here)"
            click.echo(f"{title}: {s.program.label}{years}")
    for title, refs in (("part of", found.part_of), ("part", found.parts)):
        for r in refs:
            click.echo(f"{title}: {r.label or r.iri}")


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@store_options
def diff_plans(ctx: CliContext, a: str, b: str, as_json: bool) -> None:
    """What changed from plan A to plan B: targets, programs and tasks.

    A and B are documents of the store (id, title or IRI). Targets on one indicator and
    place are raised, lowered, kept or changed, new or dropped; programs started, ended or
    kept; tasks matched by how alike they read (with the score), added or dropped.
    """
    from policykg.graph.plan_diff import diff

    found = diff(ctx.open_store(read_only=True), a, b)
    if as_json:
        echo_json(dataclasses.asdict(found))
        return
    click.echo(f"{found.a.label or found.a.iri}  →  {found.b.label or found.b.iri}")
    click.echo("targets:")
    for t in found.targets:
        before = t.a.quote if t.a else ""
        after = t.b.quote if t.b else ""
        place = f" [{t.place.label}]" if t.place else ""
        click.echo(f"  {t.change:8} {t.indicator.label}{place}: {before or '—'}  →  {after or '—'}")
    for word, refs in (
        ("programs started", found.programs_started),
        ("programs ended", found.programs_ended),
        ("programs kept", found.programs_kept),
    ):
        click.echo(f"{word}: {'、'.join(r.label or r.iri for r in refs) or 'none'}")
    click.echo("tasks:")
    for m in found.matched:
        click.echo(f"  matched  {m.a.label}  →  {m.b.label}  ({m.score:.2f})")
    for r in found.dropped:
        click.echo(f"  dropped  {r.label}")
    for r in found.added:
        click.echo(f"  added    {r.label}")


DATA_COMMANDS = (table, compare, timeline, diff_plans)
