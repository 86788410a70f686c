"""The ``policykg`` command line: a thin adapter over ``policykg.graph``.

Every command is a few lines: parse options, call the library, print. User
mistakes raise :class:`policykg.errors.PolicyKGError` and are printed without a
traceback, with a non-zero exit status. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from policykg import __version__
from policykg.cli.data import DATA_COMMANDS
from policykg.cli.network import NETWORK_COMMANDS
from policykg.cli.options import CliContext, base_iri_option, programs_option, setting_help, store_options
from policykg.cli.progress import IngestProgress
from policykg.errors import PolicyKGError


class FriendlyGroup(click.Group):
    """Turns user errors into one readable line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyKGError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.exit(0)
        except OSError as exc:  # a file the user named (an --output folder missing, a disk full)
            where = f": {exc.filename}" if exc.filename else ""
            click.secho(f"Error: {exc.strerror or exc}{where}", fg="red", err=True)
            sys.exit(1)
        except (KeyboardInterrupt, Terminated) as exc:
            stopped = isinstance(exc, Terminated)
            click.echo(f"{'Stopped' if stopped else 'Interrupted'}{_interrupted_note(exc)}.", err=True)
            sys.exit(143 if stopped else 130)


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that it ends as Ctrl+C does: workers shut down,
    the store closed after its last whole transaction, one line instead of a traceback."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


def _interrupted_note(exc: BaseException) -> str:
    """What an interrupted command leaves behind, if it said in a note (``ingest`` does)."""
    notes = getattr(exc, "__notes__", None)
    return f" {notes[-1]}" if notes else ""


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="policykg")
def cli() -> None:
    """Turn Chinese policy documents into an RDF knowledge graph: ingest, query, serve, browse."""


# -- ingest ----------------------------------------------------------------
@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--workers",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Extraction processes. Default: the number of CPUs.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@click.option("--verbose", "-v", is_flag=True, help="Print a line for every document, however many.")
@click.option(
    "--batch-bytes", type=click.IntRange(min=1), default=None, metavar="BYTES", help=setting_help("ingest_batch_bytes")
)
@programs_option
@store_options
def ingest(
    ctx: CliContext, paths: tuple[Path, ...], workers: int | None, quiet: bool, verbose: bool, batch_bytes: int | None
) -> None:
    """Extract documents and store each in its own named graph.

    PATHS are files, folders (searched recursively for .txt, .html, .docx, .pdf) and
    archives (.zip, .tar.gz). A document already stored with the same bytes is skipped
    without being read again, so an interrupted ingest resumes; a changed one is
    replaced. A file that fails is reported by name and the others go on; the exit
    status is 1 if any failed.
    """
    from policykg.graph.ingest import default_workers, ingest_corpus
    from policykg.graph.sources import list_sources

    ctx.settings = ctx.settings.with_overrides(ingest_batch_bytes=batch_bytes)
    skipped: list[Path] = []
    sources = list_sources(paths, skipped)
    if skipped and not quiet:
        names = ", ".join(_shown(p.name) for p in sorted(skipped)[:5]) + (", …" if len(skipped) > 5 else "")
        click.echo(
            f"skipped    {len(skipped)} file(s) that are not documents by their suffix ({names}); "
            "name a file to read it anyway",
            err=True,
        )
    if not sources:
        raise PolicyKGError(
            "no documents found in " + ", ".join(map(str, paths)),
            hint="a folder is searched for .txt, .html, .docx and .pdf files and archives",
        )
    total = len(sources)
    workers = max(1, min(workers or default_workers(), total))
    store = ctx.open_store()
    per_doc = verbose or (not quiet and total <= 100)
    progress = IngestProgress(total, enabled=not quiet and total > 1)

    def on_document(o) -> None:
        if o.status == "failed":
            progress.clear()
            click.secho(f"failed     {_shown(o.source)}: {_reason(o)}", fg="red", err=True)
        elif per_doc:
            progress.clear()
            click.echo(
                f"{o.status:<10} {_shown(o.source)}: {o.sections} sections, {o.tasks} tasks, {o.programs} "
                f"programs, {o.divisions} divisions, {o.targets} targets, {o.triples} triples (+{o.shared} in "
                f"shared entity graphs) -> <{o.graph}>"
                if o.status != "unchanged"
                else f"{o.status:<10} {_shown(o.source)} -> <{o.graph}>",
                err=True,
            )
        progress.update(o)

    try:
        report = ingest_corpus(
            store,
            None,
            ctx.iris,
            sources=sources,
            workers=workers,
            progress=on_document,
            batch_bytes=ctx.settings.ingest_batch_bytes,
        )
        store.flush()
    except (KeyboardInterrupt, Terminated) as exc:
        progress.clear()
        # Every write is one transaction: what was reported stored is whole, the rest is absent.
        exc.add_note(
            f"after storing all {total} document(s); nothing is left to store"
            if progress.stored >= total
            else f"after storing {progress.stored} of {total} document(s) whole; run the same command again to store "
            "the rest"
        )
        raise
    progress.done()
    if not quiet:
        secs = max(report.seconds, 1e-9)
        click.echo(
            f"{report.count('added')} added, {report.count('replaced')} replaced, "
            f"{report.count('unchanged')} unchanged, {report.count('failed')} failed "
            f"in {report.seconds:.1f}s ({len(report.outcomes) / secs:.1f} documents/s, "
            f"{report.bytes / secs / 1e6:.2f} MB/s, {workers} workers; "
            f"store: {ctx.settings.store}, {store.count()} quads)",
            err=True,
        )
    if report.failed:
        click.secho(f"{len(report.failed)} document(s) failed:", fg="red", err=True)
        for o in report.failed:
            click.secho(f"  {_shown(o.source)}", fg="red", err=True)
        sys.exit(1)


def _reason(outcome: Any) -> str:
    """Why a document failed, without the file name the loaders open their messages with."""
    error = outcome.error or "failed"
    for name in (outcome.source, Path(outcome.source).name):
        if error.startswith(name + ": "):
            error = error[len(name) + 2 :]
            break
    return _shown(error, keep="\n")  # a hint goes on a line of its own


# C0 and C1 control characters: a file may be named with a newline or a terminal escape sequence.
#: Printed as escapes: control characters, and the bidirectional formatting characters that
#: reorder what a terminal shows (a file name with U+202E reads backwards: "Trojan Source").
_CONTROL = frozenset(
    chr(c)
    for c in [
        *range(0x20),
        0x7F,
        *range(0x80, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)


def _shown(text: str, keep: str = "") -> str:
    """Text with a file name in it as the terminal should print it: control characters as escapes."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if ch in _CONTROL and ch not in keep else ch for ch in text
    )


# -- remove ----------------------------------------------------------------
@cli.command()
@click.argument("documents", nargs=-1, required=True, metavar="DOC...")
@store_options
def remove(ctx: CliContext, documents: tuple[str, ...]) -> None:
    """Delete documents' graphs from the store.

    DOC is a document id (as `policykg list` shows it), its IRI, or the source file
    name or path it was ingested from.
    """
    from policykg.errors import NotFoundError
    from policykg.loaders.extract import document_id

    store = ctx.open_store()
    stored = store.documents()
    by_iri = {d.iri: d for d in stored}
    for doc in documents:
        candidates = [doc, ctx.iris.graph(doc), ctx.iris.graph(document_id(Path(doc).name))]
        match = next((c for c in candidates if c in by_iri), None)
        if match is None:
            named = [d.iri for d in stored if d.source in {doc, Path(doc).name}]
            match = named[0] if len(named) == 1 else None
        if match is None:
            raise NotFoundError(
                f"no document {doc!r} in the store {ctx.settings.store}",
                hint="`policykg list` shows the stored documents",
            )
        store.remove_graph(match)
        click.echo(f"removed    <{match}> ({by_iri[match].triples} triples)", err=True)
    store.flush()


# -- extract ---------------------------------------------------------------
@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["turtle", "nquads", "trig", "jsonld", "ntriples"]),
    default="turtle",
    show_default=True,
    help="Serialization written to stdout.",
)
@programs_option
@base_iri_option
def extract(ctx: CliContext, file: Path, fmt: str) -> None:
    """Print one document's graph to stdout, without touching any store."""
    from policykg.loaders.extract import extract_path

    record = extract_path(file)
    if fmt == "nquads":
        # The builder's own N-Quads text is the N-Quads serialization; no term objects needed.
        from policykg.graph.build import document_graph

        sys.stdout.buffer.write(document_graph(record, ctx.iris).nquads())
    else:
        from policykg.graph.build import document_quads
        from policykg.graph.serialize import serialize_quads

        sys.stdout.buffer.write(serialize_quads(document_quads(record, ctx.iris), fmt))
    sys.stdout.flush()


# -- query -----------------------------------------------------------------
@cli.command()
@click.argument("sparql", required=False)
@click.option("--file", "query_file", type=click.File("r", encoding="utf-8"), help="Read the query from a file.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json", "turtle", "nquads"]),
    default="table",
    show_default=True,
    help="Output for SELECT/ASK (table, csv, tsv, json) or CONSTRUCT/DESCRIBE (turtle, nquads; table means turtle).",
)
@store_options
def query(ctx: CliContext, sparql: str | None, query_file: Any, fmt: str) -> None:
    """Run a SPARQL query over the union of all documents.

    The prefixes pkg, rdfs, dcterms, skos, prov, org, oa, geo, xsd are predeclared.
    """
    from policykg.cli.tables import render_result

    if query_file is not None:
        try:
            sparql = query_file.read()
        except UnicodeDecodeError as exc:
            raise PolicyKGError(
                f"{query_file.name}: not UTF-8 text (byte {exc.start} cannot be read)", hint="save the query as UTF-8"
            ) from None
    if not sparql:
        raise PolicyKGError("give a SPARQL query or --file Q.rq")
    store = ctx.open_store(read_only=True)
    sys.stdout.buffer.write(render_result(store.query(sparql), fmt))


# -- export ----------------------------------------------------------------
@cli.command()
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["nquads", "trig", "turtle", "ntriples", "jsonld", "rdfxml", "graphml", "gexf"]),
    default="nquads",
    show_default=True,
    help="nquads, trig and jsonld keep one named graph per document; turtle, ntriples and rdfxml "
    "merge them; graphml and gexf write the network projection (for Gephi, igraph, Cytoscape).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@store_options
def export(ctx: CliContext, fmt: str, output: Path | None) -> None:
    """Write the whole store in an RDF format, or its network as GraphML or GEXF."""
    store = ctx.open_store(read_only=True)
    if fmt in ("graphml", "gexf"):
        from policykg.graph.network_files import network_file

        data = network_file(store, fmt)
    else:
        data = store.dump(fmt)
    if output:
        output.write_bytes(data)
        click.echo(f"wrote {len(data)} bytes to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


# -- list ------------------------------------------------------------------
@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@store_options
def list_documents(ctx: CliContext, as_json: bool) -> None:
    """List the documents in the store."""
    docs = ctx.open_store(read_only=True).documents()
    if as_json:
        click.echo(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=2))
        return
    if not docs:
        click.echo("The store is empty. Add documents with: policykg ingest PATH", err=True)
        return
    from policykg.cli.tables import text_table

    click.echo(
        text_table(
            ["document", "title", "issued", "triples"],
            [[d.iri, d.title or "", d.issued or "", str(d.triples)] for d in docs],
        ),
        nl=False,
    )


# -- validate --------------------------------------------------------------
@cli.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@store_options
def validate(ctx: CliContext, file: Path | None) -> None:
    """Check the store (or an RDF FILE) against the SHACL shapes of the ontology.

    Exits with status 1 and lists every violation when the graph does not conform.
    """
    from policykg.graph.checks import load_rdf_file, store_as_rdflib
    from policykg.ontology.validate import validate as shacl_validate

    graph = load_rdf_file(file) if file else store_as_rdflib(ctx.open_store(read_only=True))
    result = shacl_validate(graph)
    if result.conforms:
        click.echo(
            f"Conforms: {len(graph)} triples checked against the shapes"
            + (f", {len(result.warnings)} warnings:" if result.warnings else ".")
        )
        if result.warnings:
            click.echo(result.format())
        return
    click.echo(result.format())
    sys.exit(1)


# -- evaluate --------------------------------------------------------------
@cli.command()
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--details", is_flag=True, help="List what was missed and what was extra.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@base_iri_option
def evaluate(ctx: CliContext, document: Path, gold: Path, details: bool, as_json: bool) -> None:
    """Extract DOCUMENT and score it against an annotation GOLD.json.

    Prints precision, recall and F1 per kind of fact and an overall score,
    computed exactly as the reference scorer does.
    """
    from policykg.graph.build import document_quads
    from policykg.graph.checks import quads_as_rdflib
    from policykg.graph.evaluate import score_graph
    from policykg.loaders.extract import extract_path

    try:
        gold_data = json.loads(gold.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PolicyKGError(f"{gold}: not a JSON annotation ({exc})") from None
    graph = quads_as_rdflib(document_quads(extract_path(document), ctx.iris))
    report = score_graph(graph, gold_data)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        click.echo(report.format(details=details), nl=False)


# -- serve -----------------------------------------------------------------
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's, quietest first


@cli.command()
@click.option("--host", default=None, help=setting_help("host"))
@click.option("--port", default=None, type=int, help=setting_help("port"))
@click.option("--write-token", default=None, help=setting_help("write_token"))
@click.option("--query-timeout", default=None, type=float, help=setting_help("query_timeout"))
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS),
    default="warning",
    show_default=True,
    help="What the server logs (uvicorn's levels; `info` and below log every request, never its token).",
)
@store_options
def serve(
    ctx: CliContext,
    host: str | None,
    port: int | None,
    write_token: str | None,
    query_timeout: float | None,
    log_level: str,
) -> None:
    """Serve the SPARQL endpoint, the JSON API, resource pages and the network view."""
    from policykg.api import server
    from policykg.api.app import create_app

    settings = ctx.settings.with_overrides(host=host, port=port, write_token=write_token, query_timeout=query_timeout)
    server.protocol_class(settings.header_timeout, settings.max_connections, settings.write_timeout)  # checked
    sock = server.bind(settings.host, settings.port)  # a taken port fails here, before anything starts
    server.raise_open_file_limit()
    server.return_freed_replies()
    app = create_app(settings)
    click.echo(f"Serving {settings.store} on http://{settings.host}:{settings.port}/ (Ctrl+C to stop)", err=True)
    server.serve(
        app,
        sock,
        header_timeout=settings.header_timeout,
        idle_timeout=settings.idle_timeout,
        max_connections=settings.max_connections,
        write_timeout=settings.write_timeout,
        log_level=log_level,
    )


for _command in (*NETWORK_COMMANDS, *DATA_COMMANDS):  # trace, rests-on, path, rank, viz; table
    cli.add_command(_command)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)  # `serve`: uvicorn installs its own while it runs
    cli(prog_name="policykg")


if __name__ == "__main__":
    main()
