"""The network projection as a file for Gephi, igraph or Cytoscape: GraphML or GEXF.

The projection (:mod:`policykg.graph.projection`) is written as it is, one node per resource
(its IRI as id, its ``kind`` and ``label``) and one edge per public link (its ``kind``); the
named graphs a node or edge was read from are joined with ``;`` (file formats want scalars).
Nodes and edges are written in sorted order, so one store gives one file.
"""

from __future__ import annotations

import io
import re
from typing import Any

import networkx as nx

from policykg.graph.projection import project

#: The formats, as `policykg export -f` names them.
NETWORK_FORMATS = ("graphml", "gexf")


def network_file(store: Any, fmt: str) -> bytes:
    """The store's network projection as ``fmt`` (one of :data:`NETWORK_FORMATS`)."""
    g = project(store)
    flat: nx.MultiDiGraph = nx.MultiDiGraph()
    for n in sorted(g.nodes):
        a = g.nodes[n]
        flat.add_node(
            n, kind=str(a.get("kind") or ""), label=a.get("label") or "", graphs=";".join(sorted(a["graphs"]))
        )
    for s, o, key, a in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        flat.add_edge(s, o, key=str(key), kind=str(a["kind"]), graphs=";".join(sorted(a["graphs"])))
    out = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(flat, out, encoding="utf-8")
    elif fmt == "gexf":
        nx.write_gexf(flat, out, encoding="utf-8")
        # networkx stamps the day of writing: a file of the same store must not change with it.
        return re.sub(rb' lastmodifieddate="[^"]*"', b"", out.getvalue(), count=1)
    else:
        raise ValueError(f"no network format {fmt!r}: {', '.join(NETWORK_FORMATS)}")
    return out.getvalue()
