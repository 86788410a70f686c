"""Deterministic IRIs.

The same input gives the same IRIs on every run and machine. A program,
indicator, organization, regulation or division has ONE IRI across all
documents (built from its canonical name or code); everything that belongs to a
document (its sections, tasks, targets, spans, mentions) lives under the
document's IRI, which comes from its path-independent id.

IRIs keep Chinese letters as they are (they are IRIs, not URIs) and
percent-encode only what would break an IRI, a path segment or a Turtle name.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox

from policykg.errors import InputError

# Path heads of the entities that are shared across documents.
SHARED_KINDS = ("program/", "indicator/", "org/", "regulation/", "division/")
# ASCII characters left as they are in a segment; everything else ASCII is percent-encoded.
_SAFE_ASCII = "-._~"


@functools.lru_cache(maxsize=8192)  # the same few names and ids, over and over in one document
def segment(value: str) -> str:
    """One IRI path segment from free text: NFC, letters and digits kept, the rest escaped."""
    value = unicodedata.normalize("NFC", value.strip())
    out = []
    for ch in value:
        if ch.isascii():
            out.append(ch if ch.isalnum() or ch in _SAFE_ASCII else quote(ch, safe=""))
        elif unicodedata.category(ch)[0] in "LN":
            out.append(ch)
        else:
            # Non-ASCII punctuation and spaces (“”、——) are legal in IRIs but
            # unsafe in Turtle names and confusing in URLs: encode them.
            out.append(quote(ch, safe=""))
    return "".join(out) or "_"


@dataclass(frozen=True)
class IriScheme:
    base: str = "https://w3id.org/policykg/id/"

    def __post_init__(self) -> None:
        given = self.base
        if not self.base.endswith(("/", "#")):
            object.__setattr__(self, "base", self.base + "/")
        # Every IRI is this base plus segments of letters, digits and %-escapes, so a valid base
        # makes valid IRIs: the store's bulk load of the graph can skip checking them again.
        try:
            ox.NamedNode(self.base + "x")
        except ValueError as exc:
            raise InputError(
                f"not a valid base IRI: {given!r} ({exc})",
                hint="set base_iri (--base-iri, POLICYKG_BASE_IRI) to an absolute IRI such as https://example.org/id/",
            ) from None

    # Shared entities: one IRI across documents.
    def program(self, name: str, registry_id: str | None = None) -> str:
        """A program's IRI: from its registry id when it is registered (one IRI whatever
        spelling a document uses: …/program/quanmian-gaibao), else from its name."""
        if registry_id:
            return f"{self.base}program/{registry_id}"
        return f"{self.base}program/{segment(name)}"

    def indicator(self, label: str, registry_id: str | None = None) -> str:
        """An indicator's IRI: from its registry id when the indicator registry lists it (one IRI
        whatever spelling a plan uses), else from its label as written."""
        if registry_id:
            return f"{self.base}indicator/{registry_id}"
        return f"{self.base}indicator/{segment(label)}"

    def organization(self, name: str) -> str:
        return f"{self.base}org/{segment(name)}"

    def regulation(self, name: str) -> str:
        return f"{self.base}regulation/{segment(name)}"

    def division(self, code: str) -> str:
        return f"{self.base}division/{code}"

    # Things of one document.
    def document(self, doc_id: str) -> str:
        return f"{self.base}doc/{segment(doc_id)}"

    def graph(self, doc_id: str) -> str:
        """The named graph holding one document's triples: the document IRI itself."""
        return self.document(doc_id)

    def section(self, doc_id: str, ordinal: int) -> str:
        return f"{self.document(doc_id)}/section/{ordinal}"

    def task(self, doc_id: str, ordinal: int) -> str:
        return f"{self.document(doc_id)}/task/{ordinal}"

    def attachment(self, doc_id: str, ordinal: int) -> str:
        return f"{self.document(doc_id)}/attachment/{ordinal}"

    def item(self, doc_id: str, task: int, ordinal: int) -> str:
        return f"{self.task(doc_id, task)}/item/{ordinal}"

    def dependency(self, doc_id: str, start: int, end: int) -> str:
        """The statement that a task depends on a programme, read from the span start-end."""
        return f"{self.document(doc_id)}/dependency/{start}-{end}"

    def program_dependency(self, doc_id: str, start: int, end: int) -> str:
        """The statement that a programme depends on another, read from the span start-end."""
        return f"{self.document(doc_id)}/program-dependency/{start}-{end}"

    def target(self, doc_id: str, part: str, index: int) -> str:
        return f"{self.document(doc_id)}/target/{part}-{index}"

    def span(self, doc_id: str, start: int, end: int) -> str:
        return f"{self.document(doc_id)}/span/{start}-{end}"

    def mention(self, doc_id: str, kind: str, start: int, end: int) -> str:
        return f"{self.document(doc_id)}/mention/{kind}-{start}-{end}"

    def is_shared(self, iri: str) -> bool:
        """An entity with one IRI across documents (it gets a named graph of its own)."""
        return iri.startswith(self.base) and iri[len(self.base) :].startswith(SHARED_KINDS)
