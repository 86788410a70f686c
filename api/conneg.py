"""Content negotiation with q-values (RFC 9110 §12.5.1)."""

from __future__ import annotations

from dataclasses import dataclass

#: SELECT / ASK results: media type -> format name, in the server's order of preference.
RESULT_TYPES: list[tuple[str, str]] = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/json", "json"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/xml", "xml"),
    ("text/xml", "xml"),
]
#: CONSTRUCT / DESCRIBE results and RDF documents.
RDF_TYPES: list[tuple[str, str]] = [
    ("text/turtle", "turtle"),
    ("application/n-triples", "ntriples"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("application/x-turtle", "turtle"),
    ("text/plain", "ntriples"),
    ("application/json", "jsonld"),
    ("application/xml", "rdfxml"),
]


@dataclass(frozen=True)
class Range:
    type: str
    subtype: str
    q: float
    params: int

    def matches(self, media: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*), 0 if none."""
        t, _, s = media.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == t and self.subtype == "*":
            return 2
        if self.type == t and self.subtype == s:
            return 3
        return 0


def parse_accept(header: str | None) -> list[Range]:
    if not header or not header.strip():
        return [Range("*", "*", 1.0, 0)]
    out = []
    for part in header.split(","):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        q = 1.0
        params = 0
        for b in bits[1:]:
            k, _, v = b.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(v)))
                except ValueError:
                    q = 0.0
            else:
                params += 1
        t, _, s = media.partition("/")
        out.append(Range(t, s, q, params))
    return out


def quality(ranges: list[Range], media: str) -> float:
    best, spec = 0.0, 0
    for r in ranges:
        m = r.matches(media)
        if m > spec or (m == spec and m and r.q > best):
            best, spec = r.q, m
    return best if spec else 0.0


def negotiate(header: str | None, offers: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The (media type, format) the client likes best among ``offers``; ties go to server order."""
    ranges = parse_accept(header)
    best = None
    best_q = 0.0
    for media, fmt in offers:
        q = quality(ranges, media)
        if q > best_q:
            best, best_q = (media, fmt), q
    return best


def prefers_html(header: str | None, others: list[tuple[str, str]]) -> bool:
    """True when the client explicitly asks for HTML more than any of ``others`` (a browser)."""
    if not header or "text/html" not in header.lower():
        return False
    ranges = parse_accept(header)
    q_html = quality(ranges, "text/html")
    return q_html > 0 and all(quality(ranges, m) <= q_html for m, _ in others)
