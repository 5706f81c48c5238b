"""CURIE prefixes and their expansion, without rdflib (the diagnose path needs only these).

:mod:`calcgraph.vocab` re-exports them beside the rdflib terms of the model.

>>> curie_to_iri("CALCGRAPH:0001009")
'https://w3id.org/calcgraph/CALCGRAPH_0001009'
>>> iri_to_curie("http://purl.obolibrary.org/obo/HP_0000934")
'HP:0000934'
>>> iri_to_curie("https://example.org/x") is None
True
"""

from __future__ import annotations

CALCGRAPH_PREFIX = "https://w3id.org/calcgraph/CALCGRAPH_"

#: CURIE prefix -> IRI prefix, for the prefixes calcgraph expands.
PREFIXES: dict[str, str] = {
    "CALCGRAPH": CALCGRAPH_PREFIX,
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "IAO": "http://purl.obolibrary.org/obo/IAO_",
    "ORPHA": "http://www.orpha.net/ORDO/Orphanet_",
}

#: The finding class (CALCGRAPH:0000002) as an IRI string.
FINDING_IRI = CALCGRAPH_PREFIX + "0000002"

#: Namespaces of the W3C and OBO vocabularies, as IRI prefixes (``vocab`` makes rdflib namespaces of some).
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
OIO_NS = "http://www.geneontology.org/formats/oboInOwl#"
IAO_DEFINITION_IRI = "http://purl.obolibrary.org/obo/IAO_0000115"


def curie_to_iri(curie: str) -> str | None:
    """Expand a CURIE with a known prefix, or return None."""
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES or not local:
        return None
    return PREFIXES[prefix] + local


def iri_to_curie(iri: str) -> str | None:
    """Compress an IRI with a known prefix, or return None."""
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and len(iri) > len(base):
            return f"{prefix}:{iri[len(base) :]}"
    return None
