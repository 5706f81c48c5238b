"""Clinical scoring rules (issue 13, ``docs/diagnosis.md`` "Clinical rules"): each rule on a case written for it.

Cases are case dicts as a user would write them. Where the outcome depends on figures still being sourced in
``ontology/templates/relations-*.tsv``, the test asserts the rule's effect (an exclusion gives probability 0, a
coexistence makes the LR 1) rather than a rank.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from rdflib import Graph

import calcgraph
from calcgraph.api import KnowledgeGraph
from calcgraph.diagnose import LOG_EXCLUDED, build_model, diagnose, lr_table, shared_ranks
from calcgraph.knowledge import knowledge_base

CG = "https://w3id.org/calcgraph/CALCGRAPH_"

#: A toy ontology (test fixture, not medical claims): a sex-restricted disease through an HPO 'obligate' class, a
#: finding HPO-'excluded' for another disease, two diseases that can coexist while one finding argues against one.
FIXTURE = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
cg:0001001 rdfs:subClassOf cg:0000001 ; rdfs:label "scrotal disease" .
cg:0001002 rdfs:subClassOf cg:0000001 ; rdfs:label "skin disease" .
cg:0001003 rdfs:subClassOf cg:0000001 ; rdfs:label "crystal disease" ; cg:0000026 cg:0001004 .
cg:0001004 rdfs:subClassOf cg:0000001 ; rdfs:label "fracture disease" .
cg:0003001 rdfs:subClassOf cg:0000002 ; rdfs:label "male sex" ; cg:0000020 cg:0001001 .
cg:0003002 rdfs:subClassOf cg:0000002 ; rdfs:label "nodule" ; cg:0000020 cg:0001001, cg:0001002 .
cg:0003003 rdfs:subClassOf cg:0000002 ; rdfs:label "high calcium" ; cg:0000022 cg:0001002 .
cg:0003004 rdfs:subClassOf cg:0000002 ; rdfs:label "crystals" ; cg:0000021 cg:0001003 ; cg:0000022 cg:0001004 .
cg:0003005 rdfs:subClassOf cg:0000002 ; rdfs:label "fracture line" ; cg:0000020 cg:0001004 .
[] a owl:Axiom ; owl:annotatedSource cg:0003001 ; owl:annotatedProperty cg:0000020 ;
   owl:annotatedTarget cg:0001001 ; cg:0000040 obo:HP_0040280 .
[] a owl:Axiom ; owl:annotatedSource cg:0003003 ; owl:annotatedProperty cg:0000022 ;
   owl:annotatedTarget cg:0001002 ; cg:0000040 obo:HP_0040285 .
"""


@pytest.fixture(scope="module")
def toy() -> Any:
    return build_model(knowledge_base(Graph().parse(data=FIXTURE, format="turtle")))


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return calcgraph.load()


def entry(result: dict[str, Any], label: str) -> dict[str, Any]:
    return next(d for d in result["differential"] if d["label"] == label)


def run(kg: KnowledgeGraph, case: dict[str, Any]) -> dict[str, Any]:
    return kg.diagnose_dict(case, top=1000, next_tests=0)


# --- (a) impossible findings exclude -------------------------------------------------------------------------------


def test_obligate_finding_absent_excludes_the_disease(toy: Any) -> None:
    r = diagnose(toy, [CG + "0003002"], [CG + "0003001"], top=10)  # a nodule in a girl
    scrotal = entry(r, "scrotal disease")
    assert scrotal["probability"] == 0.0 and scrotal["score"] < LOG_EXCLUDED / 2
    assert r["differential"][0]["label"] == "skin disease"
    item = next(x for x in scrotal["against"] if x["finding"] == "male sex")
    assert item["lr"] == 0.0 and item["relation"] == "is typical of (excludes)" and "HP:0040280" in item["figures"]
    boy = diagnose(toy, [CG + "0003002", CG + "0003001"], [], top=10)
    assert boy["differential"][0]["label"] == "scrotal disease"


def test_excluded_frequency_class_present_excludes_the_disease(toy: Any) -> None:
    r = diagnose(toy, [CG + "0003002", CG + "0003003"], [], top=10)
    assert entry(r, "skin disease")["probability"] == 0.0
    assert lr_table(toy, CG + "0003003")["skin disease"][0] == 0.0
    # absent, an excluded finding is ordinary (weak) evidence for the disease, never an exclusion
    assert lr_table(toy, CG + "0003003")["skin disease"][1] >= 1.0


def test_scrotal_calcinosis_in_a_girl(kg: KnowledgeGraph) -> None:
    girl = {
        "id": "girl-scrotal-like",
        "age": 9,
        "sex": "female",
        "present": [
            "painless skin or soft-tissue lesion",
            "hard skin papules or nodules",
            "chalky white discharge from skin lesions",
        ],
    }
    r = run(kg, girl)
    assert entry(r, "idiopathic scrotal calcinosis")["probability"] == 0.0
    assert r["differential"][0]["label"] != "idiopathic scrotal calcinosis"
    boy = run(kg, {**girl, "id": "boy", "sex": "male", "present": [*girl["present"], "multiple scrotal nodules"]})
    assert entry(boy, "idiopathic scrotal calcinosis")["probability"] > 0.0


# --- (b) coexistence overrides opposing evidence -------------------------------------------------------------------


def test_coexistence_neutralises_an_argues_against(toy: Any) -> None:
    table = lr_table(toy, CG + "0003004")  # crystals argue against the fracture disease, which can coexist
    assert table["fracture disease"] == (1.0, 1.0)
    r = diagnose(toy, [CG + "0003004", CG + "0003005"], [], top=10)
    fracture = entry(r, "fracture disease")
    assert all(x["finding"] != "crystals" for x in fracture["for"] + fracture["against"])  # neutral
    assert {d["label"] for d in r["differential"][:2]} == {"fracture disease", "crystal disease"}


def test_pseudogout_with_subchondral_fracture(kg: KnowledgeGraph) -> None:
    """The seed's combined case: CPP crystals, bloody fluid, persistent tenderness and a fracture line."""
    case = {
        "id": "pseudogout-with-fracture",
        "age": 74,
        "sex": "female",
        "present": [
            "calcium pyrophosphate crystals in synovial fluid",
            "haemorrhagic synovial fluid",
            "persistent localized joint tenderness after synovitis settles",
            "fracture line on imaging",
            "knee involvement",
        ],
    }
    r = run(kg, case)
    lipo = entry(r, "lipohaemarthrosis from subchondral fracture")
    assert not any(x["finding"].startswith("calcium pyrophosphate") for x in lipo["against"])
    labels = [d["label"] for d in r["differential"]]
    assert labels.index("lipohaemarthrosis from subchondral fracture") < 3  # was fifth before the rule
    assert labels.index("pseudogout") < 3


# --- (d) ties are shown as ties ------------------------------------------------------------------------------------


def test_shared_ranks() -> None:
    assert shared_ranks([3.0, 2.0, 2.0, 1.0]) == [1, 2, 2, 4]
    assert shared_ranks([]) == []


def test_equal_scores_share_a_rank(kg: KnowledgeGraph) -> None:
    r = run(kg, {"id": "nodule", "present": ["hard skin papules or nodules"]})
    diff = r["differential"]
    for a, b in itertools.pairwise(diff):
        if a["rank"] == b["rank"]:  # a shared rank is an equal score (never a tie broken by generality/alphabet)
            assert a["score"] == b["score"] and a["probability"] == b["probability"]
            assert a["label"].casefold() <= b["label"].casefold()  # listed by label within the tie
        else:
            assert b["rank"] == diff.index(b) + 1
    assert any(a["rank"] == b["rank"] for a, b in itertools.pairwise(diff))
