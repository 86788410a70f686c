"""Two thread pools, so a flood of one kind of request cannot starve the other.

Blocking work leaves the event loop for a thread, and a thread comes from a pool with a fixed
number of places (an anyio ``CapacityLimiter``). With one pool for everything, 60 concurrent
``/api/targets`` calls (each ~0.7 s of Python over 30 000 targets, all sharing the GIL) held all
40 places and a public ``ASK {}`` waited 35 s for a thread to read it in.

* :func:`sparql_thread`: the SPARQL protocol (``/sparql``, ``/update``, ``/graph-store``) —
  reading a query, handing it to a query worker and waiting for its answer, updates, dumps.
  A pool of its own, :data:`SPARQL_THREADS` places.
* :func:`api_thread`: the JSON API, the pages, uploads and the network view. This is anyio's
  default pool (40 places), the one FastAPI also runs plain ``def`` routes in (the network
  view's), so everything that is not SPARQL shares one pool and SPARQL never waits on it.

Use these everywhere instead of Starlette's bare ``run_in_threadpool`` (which takes the default
pool for everything).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar

T = TypeVar("T")

#: Places in the SPARQL pool. A query waits for a worker on the event loop, not here (see
#: ``policykg.api.sparql.take_query_slot``), so these threads are busy only while a query is read,
#: runs in a worker, or a write or a dump runs in the store.
SPARQL_THREADS = 20

#: One limiter per event loop (a limiter belongs to the loop it was made in).
_sparql_limiter: RunVar[CapacityLimiter] = RunVar("policykg_sparql_limiter")


def sparql_limiter() -> CapacityLimiter:
    try:
        return _sparql_limiter.get()
    except LookupError:
        limiter = CapacityLimiter(SPARQL_THREADS)
        _sparql_limiter.set(limiter)
        return limiter


async def sparql_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` in a thread of the SPARQL pool."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=sparql_limiter())


async def api_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``func(*args, **kwargs)`` in a thread of the JSON API's pool (anyio's default)."""
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
