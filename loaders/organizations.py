"""The full name of a unit a document names by its level alone: 市教育局 in a 昆明 plan is 昆明市教育局.

Plans name their own government's bodies without the place (市教育局, 区住房城乡建设委, 省商务厅,
区教育厅 in a 广西 plan). As written, 市教育局 of 昆明 and 市教育局 of 北京 would be one
organization across documents; qualified by the document's jurisdiction they are two. The
level word that opens the name says which unit above or at the jurisdiction is meant: the
nearest one whose official name ends in that word (市 → 昆明市, or 北京市 for a municipality;
区 → 海淀区, or 广西壮族自治区; 省, 县, 州, 盟, 旗 alike). A name that already starts with a
place, or a document whose jurisdiction is unknown, is left as written.

The place that opens a full name (昆明市 in 昆明市教育局, 云南省 in 云南省教育厅, after a leading
中共) is the division whose government the unit belongs to, and so gives its level. Only a
division's official full name counts: a short form (昆明教育局) or a name that is no division
(高新区管委会) gives none. A name several divisions share (朝阳区 of 北京 and of 长春) gives none
either: the unit's IRI is its full name, the same in every document, so what it says of the
unit must not depend on which document names it.
"""

from __future__ import annotations

from policykg.loaders import gazetteer as gz
from policykg.loaders.records import DocumentRecord

_LEVEL_WORDS = "省市区县州盟旗"
#: The longest official division name (新疆维吾尔自治区伊犁哈萨克自治州 is 15 characters).
_LONGEST_PLACE = 16


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


def place_of(full: str) -> str | None:
    """The code of the division whose official name opens ``full``, the longest that does."""
    name = full.removeprefix("中共")
    for end in range(min(len(name) - 1, _LONGEST_PLACE), 1, -1):
        if name[end - 1] not in _LEVEL_WORDS:
            continue
        unit = gz.resolve_name(name[:end])
        if unit is not None and unit.name == name[:end]:
            return unit.code
    return None


def qualify_organizations(doc: DocumentRecord) -> None:
    """Fill ``doc.organization_names`` (each unit named by its level alone → its full name) and
    ``doc.organization_places`` (full name → the division it belongs to, which joins
    ``doc.divisions`` with the units above it)."""
    for name in sorted(doc.organizations):
        full = qualified_name(name, doc.jurisdiction)
        if full is not None:
            doc.organization_names[name] = full
    publisher = {doc.publisher.name} if doc.publisher else set()
    for name in sorted(doc.organizations | publisher):
        full = doc.organization_names.get(name, name)
        code = place_of(full)
        if code is not None:
            doc.organization_places[full] = code
            for unit in gz.with_ancestors(code):
                doc.divisions.setdefault(unit.code, unit)
