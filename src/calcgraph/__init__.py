"""calcgraph: an OWL 2 knowledge graph for the differential diagnosis of calcium deposits.

The ontology lives in ``ontology/calcgraph-edit.ttl`` (the edit file); ``calcgraph build`` checks it and writes
the release files ``ontology/calcgraph.owl`` (RDF/XML) and ``ontology/calcgraph.ttl``.

In Python (``docs/api.md``): ``kg = calcgraph.load()``, then ``kg.diagnose(case)``, ``kg.classify(case)``,
``kg.query("differentials", disease="pseudogout")`` and ``kg.graph()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from calcgraph.api import KnowledgeGraph

__all__ = ["KnowledgeGraph", "__version__", "list_queries", "load"]


def load(ontology: Any = None) -> KnowledgeGraph:
    """Load the knowledge once (default: the release ontology); see :func:`calcgraph.api.load`."""
    from calcgraph.api import load as _load

    return _load(ontology)


def __getattr__(name: str) -> Any:  # the API's names, imported on first use (``import calcgraph`` stays cheap)
    if name in ("KnowledgeGraph", "list_queries", "Diagnosis", "Classification", "QueryResult"):
        from calcgraph import api

        return getattr(api, name)
    raise AttributeError(f"module 'calcgraph' has no attribute {name!r}")
