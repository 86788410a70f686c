"""One identity per indicator across documents: each target's indicator looked up in the registry.

A target whose indicator the registry lists (by any spelling, compared by
:func:`~policykg.loaders.indicators_registry.indicator_key`: 全市学前三年毛入园率（%） is 学前三年毛入园率)
gets the registry's id and official name: its ``pkg:Indicator`` is ``…/indicator/<id>`` with that
name as label and the spelling the document uses as ``skos:altLabel``. Any other indicator keeps
the IRI its label as written gives.
"""

from __future__ import annotations

from policykg.loaders.indicators_registry import IndicatorRegistry, bundled_registry
from policykg.loaders.records import DocumentRecord


def identify_indicators(doc: DocumentRecord, registry: IndicatorRegistry | None = None) -> None:
    """Set ``indicator_id`` and ``indicator_name`` on each target of ``doc`` the registry knows."""
    registry = registry if registry is not None else bundled_registry()
    for target in doc.targets:
        found = registry.lookup(target.indicator)
        if found is not None:
            target.indicator_id, target.indicator_name = found.id, found.name
