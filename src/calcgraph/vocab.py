"""Namespaces and the fixed IRIs of the calcgraph model as rdflib terms, with the CURIE helpers of
:mod:`calcgraph.iris` (which needs no rdflib)."""

from __future__ import annotations

from rdflib import Namespace, URIRef

from calcgraph.iris import CALCGRAPH_PREFIX, IAO_DEFINITION_IRI, OIO_NS, PREFIXES, curie_to_iri, iri_to_curie

__all__ = ["CALCGRAPH_PREFIX", "PREFIXES", "curie_to_iri", "iri_to_curie"]  # and the terms below

CG = Namespace(CALCGRAPH_PREFIX)
OBO = Namespace("http://purl.obolibrary.org/obo/")
OIO = Namespace(OIO_NS)
IAO_DEFINITION = URIRef(IAO_DEFINITION_IRI)
ONTOLOGY_IRI = URIRef("https://w3id.org/calcgraph/calcgraph.owl")
#: Named graph that holds calcgraph's triples in a SPARQL store.
GRAPH_IRI = URIRef("https://w3id.org/calcgraph/graph")


# Fixed model IRIs (see docs/model.md).
DISEASE = CG["0000001"]
FINDING = CG["0000002"]
DISTINGUISHING_FINDING = CG["0000004"]
SOURCE = CG["0000005"]
MCCARTY_TYPE = CG["0000010"]
EULAR_NAME = CG["0000011"]
SEED_ONLY = CG["0000012"]
SEED_WORDING = CG["0000013"]
SENSITIVITY = CG["0000014"]
SPECIFICITY = CG["0000015"]
LR_POSITIVE = CG["0000016"]
LR_NEGATIVE = CG["0000017"]
FREQUENCY = CG["0000018"]
SEED_ONLY_CLAIM = CG["0000019"]
IS_TYPICAL_OF = CG["0000020"]
IS_DIAGNOSTIC_OF = CG["0000021"]
ARGUES_AGAINST = CG["0000022"]
CAN_CAUSE = CG["0000023"]
PREDISPOSES_TO = CG["0000024"]
DIFFERENTIAL_OF = CG["0000025"]
CAN_COEXIST_WITH = CG["0000026"]
FAVOURS = CG["0000027"]
DISFAVOURS = CG["0000028"]
CONCERNS_FINDING = CG["0000029"]
