"""What every HTML page policykg serves or writes shares: templates that escape, and the headers.

Pages are Jinja2 templates with autoescape on: every value from the store or the request is
escaped where the template puts it, in text and in attributes alike, so a label that is markup
(``<img src=x onerror=…>``) shows as text. Values are escaped as :func:`html.escape` does
(``"`` as ``&quot;``). Only text the code makes itself (a script, a CSP of hashes) is marked
safe, with a comment saying why. The API's pages (:mod:`policykg.api.pages`) and the network
view's (:mod:`policykg.viz`) each keep their templates in their own ``templates`` folder.
"""

from __future__ import annotations

from html import escape
from typing import Any

import jinja2
from markupsafe import Markup

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


def _as_text(value: Any) -> Any:
    """Every value a template writes, escaped as ``html.escape`` does; None writes nothing."""
    if isinstance(value, Markup):
        return value
    return Markup(escape("" if value is None else str(value), quote=True))


def templates(package: str) -> jinja2.Environment:
    """The templates of ``package`` (its ``templates`` folder), escaping every value."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        finalize=_as_text,
        undefined=jinja2.StrictUndefined,
    )
