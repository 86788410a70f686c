"""The full name of a unit a document names by its level alone: 市教育局 in a 昆明 plan is 昆明市教育局.

Plans name their own government's bodies without the place (市教育局, 区住房城乡建设委, 省商务厅,
区教育厅 in a 广西 plan). As written, 市教育局 of 昆明 and 市教育局 of 北京 would be one
organization across documents; qualified by the document's jurisdiction they are two. The
level word that opens the name says which unit above or at the jurisdiction is meant: the
nearest one whose official name ends in that word (市 → 昆明市, or 北京市 for a municipality;
区 → 海淀区, or 广西壮族自治区; 省, 县, 州, 盟, 旗 alike). A name that already starts with a
place, or a document whose jurisdiction is unknown, is left as written.
"""

from __future__ import annotations

from policykg.loaders import gazetteer as gz
from policykg.loaders.records import DocumentRecord

_LEVEL_WORDS = "省市区县州盟旗"


def qualified_name(name: str, jurisdiction: str | None) -> str | None:
    """``name`` with the place it belongs to, or None when it needs none or cannot be told."""
    if not jurisdiction or len(name) < 3 or name[0] not in _LEVEL_WORDS:
        return None
    if name[1] in _LEVEL_WORDS:
        return None  # 市县教育局, 区县…: bodies of many places, not one
    try:
        chain = gz.with_ancestors(jurisdiction)
    except KeyError:
        return None
    unit = next((u for u in chain if u.name.endswith(name[0])), None)
    return unit.name + name[1:] if unit is not None else None


def qualify_organizations(doc: DocumentRecord) -> None:
    """Fill ``doc.organization_names``: each unit named by its level alone → its full name."""
    for name in sorted(doc.organizations):
        full = qualified_name(name, doc.jurisdiction)
        if full is not None:
            doc.organization_names[name] = full
