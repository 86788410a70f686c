"""Which store a location names: an embedded Oxigraph folder or a SPARQL server's URL.

The one module that knows both kinds of store, so that neither :mod:`policykg.graph.store`
nor :mod:`policykg.graph.remote` imports the other's way round (remote builds on store).
"""

from __future__ import annotations

from pathlib import Path

from policykg.graph.remote import RemoteStore
from policykg.graph.store import GraphStore, OxigraphStore
from policykg.settings import Settings, load_settings


def open_store(location: str | Path | None, *, read_only: bool = False, settings: Settings | None = None) -> GraphStore:
    """The store named by ``location``: a folder (embedded Oxigraph) or an http(s) URL.

    A URL opens a :class:`policykg.graph.remote.RemoteStore`; its update and Graph Store
    Protocol URLs come from ``settings`` (``remote_update_url``, ``remote_gsp_url``,
    ``remote_union``, ``remote_timeout``; read from the environment when not given) or
    are derived from the URL (see :func:`policykg.graph.remote.endpoints`).
    """
    if isinstance(location, str) and location.startswith(("http://", "https://")):
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
