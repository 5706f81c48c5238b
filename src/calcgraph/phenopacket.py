"""Write a case and its ranked differential as a GA4GH phenopacket v2 (``calcgraph diagnose --format phenopacket``).

The ranked diagnoses become the phenopacket's ``interpretations``, best first, as LIRICAL and Exomiser users expect:
one ``Interpretation`` per candidate disease, ``progressStatus`` ``IN_PROGRESS`` (a differential, not a confirmed
diagnosis), its ``diagnosis.disease`` the calcgraph disease class and a ``summary`` with the rank, the post-test
probability and the log10 likelihood ratio. A phenopacket given as input is kept as it was (every field) and its
calcgraph interpretations are replaced; a calcgraph case file becomes a new phenopacket whose features use each
finding's exact HPO term where it has one and its ``CALCGRAPH:`` CURIE otherwise. The result is checked against the
schema with the official ``phenopackets`` package before it is returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from calcgraph import __version__
from calcgraph.iris import iri_to_curie

#: Prefix of the interpretation ids calcgraph writes (earlier calcgraph interpretations are replaced).
INTERPRETATION_PREFIX = "calcgraph-"

HP_RESOURCE = {
    "id": "hp",
    "name": "human phenotype ontology",
    "url": "http://purl.obolibrary.org/obo/hp.owl",
    "version": "",
    "namespacePrefix": "HP",
    "iriPrefix": "http://purl.obolibrary.org/obo/HP_",
}
CALCGRAPH_RESOURCE = {
    "id": "calcgraph",
    "name": "calcgraph ontology of calcium deposits",
    "url": "https://w3id.org/calcgraph/calcgraph.owl",
    "version": __version__,
    "namespacePrefix": "CALCGRAPH",
    "iriPrefix": "https://w3id.org/calcgraph/CALCGRAPH_",
}
_SEX = {"male": "MALE", "female": "FEMALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX"}


def _iso_years(age: float) -> str:
    years = int(age)
    months = round((age - years) * 12)
    return f"P{years}Y" + (f"{months}M" if months else "")


def _feature(iri: str, excluded: bool, index: Any) -> dict[str, Any]:
    hp = index.hpo.exact_term(iri) if index.hpo is not None else None
    if hp:
        term = {"id": hp, "label": index.hpo.label(hp) or index.label(iri)}
    else:
        term = {"id": iri_to_curie(iri) or iri, "label": index.label(iri)}
    return {"type": term, "excluded": True} if excluded else {"type": term}


def interpretations(case_id: str, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ranked differential of ``result`` (``calcgraph diagnose`` JSON) as phenopacket v2 interpretations."""
    out = []
    for k, d in enumerate(result["differential"], 1):
        out.append(
            {
                "id": f"{INTERPRETATION_PREFIX}{case_id}-{k}",  # by position: equal scores share a rank
                "progressStatus": "IN_PROGRESS",
                "diagnosis": {"disease": {"id": d["id"], "label": d["label"]}},
                "summary": (
                    f"calcgraph differential rank {d['rank']}: post-test probability {d['probability']:.4f}, "
                    f"log10 likelihood ratio {d['score']:.3f}"
                ),
            }
        )
    return out


def write_phenopacket(
    case: Any, result: Mapping[str, Any], index: Any, source: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The phenopacket v2 (JSON form, a dict) of ``case`` with ``result``'s ranking as ``interpretations``."""
    from google.protobuf.json_format import MessageToDict, ParseDict
    from phenopackets.schema.v2 import Phenopacket

    if source is not None:
        packet = dict(source)
        earlier = packet.get("interpretations", [])
        kept = [i for i in earlier if not str(i.get("id", "")).startswith(INTERPRETATION_PREFIX)]
    else:
        packet = {"id": case.id, "subject": {"id": case.id}}
        if case.sex in _SEX:
            packet["subject"]["sex"] = _SEX[case.sex]
        if case.age is not None:
            packet["subject"]["timeAtLastEncounter"] = {"age": {"iso8601duration": _iso_years(case.age)}}
        demographic = {index.keys.get("male sex"), index.keys.get("age over 60 years")}
        packet["phenotypicFeatures"] = [_feature(i, False, index) for i in case.present if i not in demographic] + [
            _feature(i, True, index) for i in case.absent if i not in demographic
        ]
        kept = []
    meta = dict(packet.get("metaData") or {})
    meta.setdefault("created", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    meta.setdefault("createdBy", f"calcgraph {__version__}")
    meta.setdefault("phenopacketSchemaVersion", "2.0")
    resources = list(meta.get("resources") or [])
    have = {r.get("namespacePrefix") for r in resources}
    for r in (HP_RESOURCE, CALCGRAPH_RESOURCE):
        if r["namespacePrefix"] not in have:
            resources.append(dict(r))
    meta["resources"] = resources
    packet["metaData"] = meta
    packet["interpretations"] = kept + interpretations(str(packet.get("id", case.id)), result)
    # validated by the official schema classes; the output is their canonical JSON form
    message = ParseDict(packet, Phenopacket())
    out: dict[str, Any] = MessageToDict(message)
    return out
