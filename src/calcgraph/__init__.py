"""calcgraph: an OWL 2 knowledge graph for the differential diagnosis of calcium deposits.

The ontology lives in ``ontology/calcgraph-edit.ttl`` (the edit file); ``calcgraph build`` checks it and writes
the release files ``ontology/calcgraph.owl`` (RDF/XML) and ``ontology/calcgraph.ttl``.
"""

__version__ = "0.1.0"
