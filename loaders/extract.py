"""The extraction pipeline: one file in, one :class:`DocumentRecord` out.

    bytes -> text (read) -> body and metadata -> sections and tasks
          -> entities (programs, regulations, organizations) -> divisions -> targets

Each step is a function of the record built so far, in its own module, so a
step can be improved or replaced without touching the others.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from policykg.errors import InputError
from policykg.loaders import metadata
from policykg.loaders.attachments import find_attachments
from policykg.loaders.read import RawDocument, read_bytes, read_path
from policykg.loaders.records import DocumentRecord
from policykg.loaders.structure import body_lines, find_structure


def document_id(source: str) -> str:
    """A stable, path-independent id from the file name: its stem, lower-cased ASCII kept, spaces dashed."""
    stem = Path(source).name
    for suffix in (".txt", ".html", ".htm", ".shtml", ".docx", ".pdf", ".text", ".md"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    stem = unicodedata.normalize("NFC", stem).strip()
    stem = re.sub(r"\s+", "-", stem)
    if not stem.strip("."):
        # "", "." and ".." are no path segment of an IRI (…/doc/.. is …/), and a fallback name
        # would collide with a real file of that name: refuse by name instead.
        raise InputError(
            f"{source}: no document id can be made from this file name (it is {stem!r} without its suffix)",
            hint="rename the file: its name without the suffix becomes the document id",
        )
    return stem


def extract_raw(raw: RawDocument, doc_id: str | None = None) -> DocumentRecord:
    doc = DocumentRecord(
        doc_id=doc_id or document_id(raw.source),
        source=raw.source,
        sha256=raw.sha256,
        media_type=raw.media_type,
        encoding=raw.encoding,
        text=raw.text,
    )
    doc.body = metadata.find_body(doc.text)
    title = metadata.find_title(doc.text, doc.body, raw.hints.get("title"))
    if title:
        doc.title, doc.title_span = title
    doc.issued = metadata.find_issued(doc.text, doc.body) or metadata.parse_date(raw.hints.get("issued"))
    doc.publisher = metadata.find_publisher_in_page(doc.text, doc.body, raw.hints)
    doc.sections, doc.tasks = find_structure(doc.text, doc.body, raw.headings)
    doc.attachments = find_attachments(doc.text, body_lines(doc.text, doc.body), doc.body.end, doc.sections)
    _find_facts(doc)
    return doc


def _find_facts(doc: DocumentRecord) -> None:
    # Imported here so each step stays an independent module.
    from policykg.loaders import (
        divisions,
        entities,
        indicator_identity,
        organizations,
        program_dependencies,
        responsibilities,
        targets,
    )

    entities.find_entities(doc)
    program_dependencies.find_program_dependencies(doc)  # needs the programmes and the tasks' cues
    responsibilities.find_responsibilities(doc)
    if doc.publisher is None:
        # Scraped pages often lose the issuer: infer it from the body, marked as inferred.
        doc.publisher = metadata.infer_publisher(doc)
    divisions.find_divisions(doc)  # also sets the jurisdiction from the publisher or the body
    targets.find_targets(doc)
    indicator_identity.identify_indicators(doc)
    organizations.qualify_organizations(doc)  # needs the jurisdiction


def extract_bytes(data: bytes, source: str, doc_id: str | None = None) -> DocumentRecord:
    return extract_raw(read_bytes(data, source), doc_id)


def extract_path(path: str | Path, doc_id: str | None = None) -> DocumentRecord:
    return extract_raw(read_path(path), doc_id)
