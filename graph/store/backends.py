"""Which store a location names: an embedded Oxigraph folder or a SPARQL server's URL.

The one module that knows both kinds of store (:mod:`.remote` builds on :mod:`.embedded`, never
the other way round). The remote store, and httpx with it, is imported only for a URL.
"""

from __future__ import annotations

from pathlib import Path

from policykg.graph.store.embedded import OxigraphStore
from policykg.graph.store.protocol import GraphStore
from policykg.settings import Settings, load_settings


def open_store(location: str | Path | None, *, read_only: bool = False, settings: Settings | None = None) -> GraphStore:
    """The store named by ``location``: a folder (embedded Oxigraph) or an http(s) URL.

    A URL opens a :class:`policykg.graph.store.remote.RemoteStore`; its update and Graph Store
    Protocol URLs come from ``settings`` (``remote_update_url``, ``remote_gsp_url``,
    ``remote_union``, ``remote_timeout``; read from the environment when not given) or
    are derived from the URL (see :func:`policykg.graph.store.remote.endpoints`).
    """
    if isinstance(location, str) and location.startswith(("http://", "https://")):
        from policykg.graph.store.remote import RemoteStore

        s = settings if settings is not None else load_settings()
        return RemoteStore(
            location,
            update_url=s.remote_update_url,
            gsp_url=s.remote_gsp_url,
            union=s.remote_union,
            timeout=s.remote_timeout,
            read_only=read_only,
        )
    return OxigraphStore(location, read_only=read_only)
