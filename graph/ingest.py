"""Ingest: files and folders into the store, one named graph per document.

A document is extracted fully in memory before the store is touched, then its
graph is swapped in one transaction; a file that cannot be read is reported by
name and the others go on. Re-ingesting the same bytes changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from policykg.errors import PolicyKGError
from policykg.graph.build import document_quads
from policykg.graph.iris import IriScheme
from policykg.graph.store import GraphStore
from policykg.loaders.extract import extract_bytes, extract_path
from policykg.loaders.read import SUPPORTED_SUFFIXES
from policykg.loaders.records import DocumentRecord

INGESTIBLE = SUPPORTED_SUFFIXES | {".docx", ".pdf"}


@dataclass
class DocumentOutcome:
    source: str
    graph: str | None = None
    status: str = "added"  # added | replaced | unchanged | failed
    triples: int = 0
    sections: int = 0
    tasks: int = 0
    programs: int = 0
    divisions: int = 0
    targets: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    outcomes: list[DocumentOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the ingestible files inside the folders named, in a stable order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in INGESTIBLE
                              and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def ingest_record(store: GraphStore, doc: DocumentRecord, iris: IriScheme) -> DocumentOutcome:
    quads = document_quads(doc, iris)
    result = store.replace_graph(iris.graph(doc.doc_id), quads, sha256=doc.sha256)
    status = "unchanged" if result.unchanged else "replaced" if result.replaced else "added"
    return DocumentOutcome(
        source=doc.source, graph=result.graph, status=status, triples=len(quads),
        sections=len(doc.sections), tasks=len(doc.tasks), programs=len(doc.programs),
        divisions=len(doc.divisions), targets=len(doc.targets))


def ingest_bytes(store: GraphStore, data: bytes, source: str, iris: IriScheme) -> DocumentOutcome:
    return ingest_record(store, extract_bytes(data, source), iris)


def ingest_files(store: GraphStore, files: list[Path], iris: IriScheme,
                 progress: Callable[[Path], None] | None = None) -> IngestReport:
    report = IngestReport()
    for path in files:
        try:
            outcome = ingest_record(store, extract_path(path), iris)
        except PolicyKGError as exc:
            outcome = DocumentOutcome(source=str(path), status="failed", error=str(exc))
        report.outcomes.append(outcome)
        if progress:
            progress(path)
    return report


def iter_documents(files: list[Path]) -> Iterator[DocumentRecord]:
    for f in files:
        yield extract_path(f)
