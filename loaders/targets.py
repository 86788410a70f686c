"""targets (first cut: finds nothing yet)."""

from __future__ import annotations

from policykg.loaders.records import DocumentRecord


def find_targets(doc: DocumentRecord) -> None:
    return None
