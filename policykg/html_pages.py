"""What every HTML page policykg serves shares: the headers it is sent with.

The API's pages (:mod:`policykg.api.pages`) and the network view's (:mod:`policykg.viz.routes`)
both send them.
"""

from __future__ import annotations

#: Scripts, styles and requests from this server only; no inline script or style, no plugin,
#: no <base> to re-point relative links, forms post here, and no other site may frame a page.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
#: The headers of every page (and of the RDF the pages offer): the CSP, and no MIME sniffing,
#: so a browser never reads a served text or JSON body as HTML.
SECURITY_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
