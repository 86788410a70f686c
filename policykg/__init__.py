"""policykg: Chinese policy documents as an RDF knowledge graph.

The parts live in their own subpackages and depend on each other one way:
``policykg.loaders`` (bytes -> records) -> ``policykg.graph`` (records -> triples
-> store, networkx projections) -> ``policykg.api``, ``policykg.viz`` and
``policykg.cli`` (thin adapters over ``policykg.graph``).
"""

__version__ = "0.1.0"
