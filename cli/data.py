"""Data commands for statisticians and network analysts: ``table``.

A thin adapter over :mod:`policykg.graph.fact_tables`: the table is read from the store and
written as CSV (the default, to stdout), JSON, Parquet or an Excel workbook. (The network
projection as GraphML or GEXF is ``policykg export -f graphml|gexf``.) Registered on the main
group by ``cli/main.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policykg.cli.options import CliContext, store_options
from policykg.graph.fact_tables import TABLE_FORMATS, TABLE_NAMES


@click.command()
@click.argument("name", type=click.Choice(TABLE_NAMES))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(TABLE_FORMATS),
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


DATA_COMMANDS = (table,)
