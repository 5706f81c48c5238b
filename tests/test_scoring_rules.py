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
from calcgraph.calibrate import youden_threshold
from calcgraph.diagnose import (
    LOG_EXCLUDED,
    NOISE,
    NONE_FITS_LOG10_LR,
    P_TYPICAL,
    build_model,
    diagnose,
    lr_table,
    shared_ranks,
)
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


def test_scrotal_site_is_obligate_only_when_recorded(kg: KnowledgeGraph) -> None:
    """'lesion on the scrotum' is obligate for idiopathic scrotal calcinosis (by definition; 7/7 in Sutcu 2019):
    recorded as absent it excludes the disease, recorded as present it favours it, and a boy whose case does not
    mention the scrotum keeps scrotal calcinosis as a candidate (an unrecorded finding is no evidence)."""
    boy = {"id": "boy-hip", "age": 8, "sex": "male", "present": ["hard skin papules or nodules"]}
    unknown = run(kg, boy)
    assert entry(unknown, "idiopathic scrotal calcinosis")["probability"] > 0.0
    free = run(kg, {**boy, "id": "boy-scrotum-free", "absent": ["lesion on the scrotum"]})
    assert entry(free, "idiopathic scrotal calcinosis")["probability"] == 0.0
    scrotal = entry(free, "idiopathic scrotal calcinosis")
    assert next(x for x in scrotal["against"] if x["finding"] == "lesion on the scrotum")["lr"] == 0.0
    on = run(kg, {**boy, "id": "boy-scrotum", "present": [*boy["present"], "lesion on the scrotum"]})
    p_on, p_unknown = (entry(x, "idiopathic scrotal calcinosis")["probability"] for x in (on, unknown))
    assert p_on > p_unknown
    assert labels(on)[0] == "idiopathic scrotal calcinosis"


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


# --- (c) proven diagnoses ------------------------------------------------------------------------------------------

#: A toy ontology for proofs (test fixture, not medical claims): 'organism' proves the infection, 'crystal' proves the
#: crystal disease (a parent with a subtype), the two can coexist; 'fever' is strongly typical of a third disease.
PROOFS = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
cg:0001001 rdfs:subClassOf cg:0000001 ; rdfs:label "infection" ; cg:0000026 cg:0001002 .
cg:0001002 rdfs:subClassOf cg:0000001 ; rdfs:label "crystal disease" .
cg:0001003 rdfs:subClassOf cg:0001002 ; rdfs:label "acute crystal attack" .
cg:0001004 rdfs:subClassOf cg:0000001 ; rdfs:label "fever disease" .
cg:0001005 rdfs:subClassOf cg:0000001 ; rdfs:label "tumour" .
cg:0003001 rdfs:subClassOf cg:0000002 ; rdfs:label "organism" ; cg:0000021 cg:0001001 .
cg:0003002 rdfs:subClassOf cg:0000002 ; rdfs:label "crystal" ; cg:0000021 cg:0001002 .
cg:0003003 rdfs:subClassOf cg:0000002 ; rdfs:label "fever" ; cg:0000020 cg:0001004 .
cg:0003004 rdfs:subClassOf cg:0000002 ; rdfs:label "attack" ; cg:0000020 cg:0001003 .
cg:0003005 rdfs:subClassOf cg:0000002 ; rdfs:label "malignant cells" ; cg:0000021 cg:0001005 .
cg:0003006 rdfs:subClassOf cg:0000002 ; rdfs:label "chills" ; cg:0000020 cg:0001004 .
cg:0003007 rdfs:subClassOf cg:0000002 ; rdfs:label "rigors" ; cg:0000020 cg:0001004 .
"""


@pytest.fixture(scope="module")
def proofs() -> Any:
    return build_model(knowledge_base(Graph().parse(data=PROOFS, format="turtle")))


def labels(result: dict[str, Any]) -> list[str]:
    return [d["label"] for d in result["differential"]]


def test_a_proven_disease_ranks_above_the_unproven(proofs: Any) -> None:
    fever, organism = CG + "0003003", CG + "0003001"
    plain = diagnose(proofs, [fever, fever.replace("3003", "3004")], [], top=10)
    assert plain["proven"] == [] and plain["proven_note"] == ""
    r = diagnose(proofs, [organism, fever, CG + "0003006", CG + "0003007"], [], top=10)
    assert labels(r)[0] == "infection" and r["differential"][0]["rank"] == 1
    assert r["differential"][0]["score"] < max(d["score"] for d in r["differential"])  # outranks a better score
    assert [p["label"] for p in r["proven"]] == ["infection"]
    assert r["proven_note"] == "proven: infection (by organism)"


def test_two_proven_diagnoses_that_can_coexist_are_both_reported(proofs: Any) -> None:
    r = diagnose(proofs, [CG + "0003001", CG + "0003002", CG + "0003004"], [], top=10)
    proven = {p["label"]: p for p in r["proven"]}
    assert set(proven) == {"infection", "crystal disease"}
    # the proof is of the disease the axiom names; its best-scoring subtype carries it in the ranking
    assert proven["crystal disease"]["most_likely"]["label"] == "acute crystal attack"
    assert set(labels(r)[:2]) == {"infection", "acute crystal attack"}
    assert r["proven_note"].startswith("two proven diagnoses that can coexist")
    # the parent, proven through its subtype, is not a third proven diagnosis
    assert labels(r).index("crystal disease") >= 2


def test_proofs_not_declared_to_coexist_are_flagged(proofs: Any) -> None:
    r = diagnose(proofs, [CG + "0003001", CG + "0003005"], [], top=10)
    assert {p["label"] for p in r["proven"]} == {"infection", "tumour"}
    assert "not declared to coexist" in r["proven_note"]
    assert r["fit"]["none_fits"] is False  # a proof is a fit


def test_septic_arthritis_with_crystals_and_a_positive_gram_stain(kg: KnowledgeGraph) -> None:
    """Review case: 80 y, fever, knee, CPP crystals, chondrocalcinosis and a positive Gram stain."""
    case = {
        "id": "septic-cpp-gram-positive",
        "age": 80,
        "present": [
            "acute monoarthritis",
            "knee involvement",
            "fever",
            "calcium pyrophosphate crystals in synovial fluid",
            "chondrocalcinosis on imaging",
            "positive synovial fluid Gram stain",
        ],
    }
    r = run(kg, case)
    proven = {p["label"]: p for p in r["proven"]}
    assert set(proven) == {"septic arthritis", "calcium pyrophosphate deposition disease"}
    assert proven["septic arthritis"]["by"] == ["positive synovial fluid Gram stain"]
    assert r["proven_note"].startswith("two proven diagnoses that can coexist")
    assert "septic arthritis" in labels(r)[:2]
    assert labels(r)[0] == "septic arthritis" or len(proven) == 2


def test_septic_arthritis_with_crystals_and_a_negative_gram_stain(kg: KnowledgeGraph) -> None:
    """Review case c2: purulent fluid, fever, CPP crystals, chondrocalcinosis; Gram stain negative, culture pending.
    The crystals prove CPPD, not the absence of infection: septic arthritis stays second with real probability."""
    case = {
        "id": "septic-cpp-gram-negative",
        "age": 82,
        "sex": "female",
        "present": [
            "acute monoarthritis",
            "knee involvement",
            "fever",
            "purulent synovial fluid",
            "calcium pyrophosphate crystals in synovial fluid",
            "chondrocalcinosis on imaging",
            "synovial fluid leukocyte count above 50,000/mm3",
        ],
        "absent": ["positive synovial fluid Gram stain"],
    }
    r = run(kg, case)
    assert [p["label"] for p in r["proven"]] == ["calcium pyrophosphate deposition disease"]
    septic = entry(r, "septic arthritis")
    # >= 5 %: the sourced knee share of acute CPP crystal arthritis (0.76, Eliseev 2015) instead of the 0.65 default
    # lowered septic arthritis from about 0.10 to 0.09; it stays second, with a negative Gram stain barely counting
    assert septic["rank"] <= 2 and septic["probability"] >= 0.05
    gram = next(x for x in septic["against"] if x["finding"] == "positive synovial fluid Gram stain")
    assert gram["lr"] >= 0.5  # a negative Gram stain barely lowers infection (sensitivity 0.26)


def test_gout_with_septic_arthritis(kg: KnowledgeGraph) -> None:
    """Review case c11: urate crystals and a positive Gram stain: both diagnoses proven, neither argued away."""
    case = {
        "id": "gout-and-septic",
        "age": 66,
        "sex": "male",
        "present": [
            "acute monoarthritis",
            "knee involvement",
            "fever",
            "monosodium urate crystals in synovial fluid",
            "positive synovial fluid Gram stain",
            "hyperuricaemia",
        ],
    }
    r = run(kg, case)
    assert {p["label"] for p in r["proven"]} == {"septic arthritis", "gout"}
    assert set(labels(r)[:2]) == {"septic arthritis", "gout"}
    assert r["proven_note"].startswith("two proven diagnoses that can coexist")
    assert kg.model.kb.can_coexist(
        *(iri for iri in kg.model.candidates if kg.model.kb.label(iri) in ("gout", "septic arthritis"))
    )
    assert entry(r, "gout")["probability"] > 0.05  # was 0.002 before the coexistence (review c11)


# --- (e) families ----------------------------------------------------------------------------------------------------


def test_families_hold_each_candidate_once(kg: KnowledgeGraph) -> None:
    r = run(
        kg,
        {
            "id": "knee",
            "age": 75,
            "present": ["acute monoarthritis", "knee involvement", "chondrocalcinosis on imaging"],
        },
    )
    fams = r["families"]
    members = [m["id"] for f in fams for m in f["members"]]
    assert sorted(members) == sorted(d["id"] for d in r["differential"])  # a partition of the candidates
    assert sum(f["probability"] for f in fams) == pytest.approx(1.0, abs=1e-5)
    for f in fams:
        assert f["probability"] == pytest.approx(sum(m["probability"] for m in f["members"]), abs=1e-5)
        assert [m["probability"] for m in f["members"]] == sorted(
            (m["probability"] for m in f["members"]), reverse=True
        )
    cppd = fams[0]
    assert cppd["label"] == "calcium pyrophosphate deposition disease" and cppd["members"][0]["label"] == "pseudogout"
    assert [f["probability"] for f in fams] == sorted((f["probability"] for f in fams), reverse=True)


# --- (f) a case that fits nothing modelled ---------------------------------------------------------------------------


def test_a_disease_outside_the_model_says_none_fits(kg: KnowledgeGraph) -> None:
    """Calcific tendinitis of the shoulder (hydroxyapatite, not modelled): the best candidate barely beats the
    background, so the result says that no modelled disease fits instead of trusting its 0.26 for RA."""
    case = {
        "id": "calcific-tendinitis",
        "age": 45,
        "sex": "female",
        "present": ["tendon calcification on imaging", "elbow or shoulder involvement", "joint pain"],
        "absent": ["fever", "chondrocalcinosis on imaging"],
    }
    r = run(kg, case)
    assert r["fit"]["none_fits"] is True
    assert r["fit"]["best_log10_lr"] == max(d["score"] for d in r["differential"]) < NONE_FITS_LOG10_LR
    pseudogout = run(kg, {"id": "pg", "age": 75, "present": ["acute monoarthritis", "knee involvement", "fever"]})
    assert pseudogout["fit"]["none_fits"] is False


def test_the_none_fits_threshold_is_youdens_j() -> None:
    assert youden_threshold([0.2, 0.5, 1.0], [0.8, 1.5, 2.0, 3.0]) == (1.25, 0.75, 1.0, 0.25)
    t, j, tpr, fpr = youden_threshold([0.1, 0.2], [1.0, 2.0])  # separable: every positive, no negative flagged
    assert (tpr, fpr, j) == (1.0, 0.0, 1.0) and 0.2 < t < 1.0


def test_an_infection_proven_case_without_crystals_ranks_septic_arthritis_first(kg: KnowledgeGraph) -> None:
    """An elderly knee with chondrocalcinosis (evidence for pseudogout) whose culture grows an organism."""
    case = {
        "id": "culture-positive-with-chondrocalcinosis",
        "age": 78,
        "present": [
            "acute monoarthritis",
            "knee involvement",
            "chondrocalcinosis on imaging",
            "age over 60 years",
            "positive synovial fluid culture",
        ],
    }
    r = run(kg, case)
    assert labels(r)[0] == "septic arthritis" and r["differential"][0]["rank"] == 1
    assert r["differential"][1]["rank"] == 2
    assert r["proven_note"] == "proven: septic arthritis (by positive synovial fluid culture)"


# --- the review's cases (content review 2026-12, section 5.2) ----------------------------------------------------


def test_typical_knee_osteoarthritis_without_crystals(kg: KnowledgeGraph) -> None:
    """Review c7: 72 F, knee pain, osteophytes, subchondral cysts; chondrocalcinosis, crystals, flares, CRP absent."""
    case = {
        "id": "knee-oa",
        "age": 72,
        "sex": "female",
        "present": ["joint pain", "knee involvement", "osteophytes", "subchondral cysts"],
        "absent": [
            "chondrocalcinosis on imaging",
            "calcium pyrophosphate crystals in synovial fluid",
            "acute arthritis episodes",
            "elevated C-reactive protein",
        ],
    }
    r = run(kg, case)
    assert labels(r)[0] == "osteoarthritis" and r["differential"][1]["rank"] == 2
    assert r["families"][0]["label"] == "osteoarthritis" and r["proven"] == [] and not r["fit"]["none_fits"]


def test_diabetic_charcot_foot(kg: KnowledgeGraph) -> None:
    """Review c9: sensory neuropathy, destructive arthropathy, swelling, diabetes; syphilis serology negative."""
    case = {
        "id": "charcot-foot",
        "age": 58,
        "sex": "male",
        "present": [
            "sensory neuropathy",
            "severe destructive arthropathy",
            "joint swelling",
            "diabetes mellitus",
            "ankle involvement",
        ],
        "absent": ["abnormal syphilis serology"],
    }
    r = run(kg, case)
    assert labels(r)[0] == "neuropathic arthropathy"
    charcot = entry(r, "neuropathic arthropathy")
    assert all(x["finding"] != "abnormal syphilis serology" or x["lr"] > 0.5 for x in charcot["against"])


JDM_GIRL = {
    "id": "jdm-calcinosis",
    "age": 10,
    "sex": "female",
    "present": [
        "Gottron's papules",
        "heliotrope rash",
        "proximal muscle weakness",
        "soft-tissue calcification on radiograph",
        "chalky white discharge from skin lesions",
        "normal serum calcium and phosphate",
        "childhood onset",
    ],
}
DM_FINDINGS = ("Gottron's papules", "heliotrope rash", "proximal muscle weakness")


def test_jdm_calcinosis_in_a_girl(kg: KnowledgeGraph) -> None:
    """Review c6: 10 F, Gottron's papules, heliotrope rash, weakness, calcinosis on X-ray, chalky discharge, normal
    labs. Scrotal calcinosis is impossible; the dermatomyositis findings count for the dystrophic calcinosis that
    dermatomyositis can cause, with the sourced calcinosis frequency of its 'can cause' axiom (rule 7), so dystrophic
    calcinosis cutis leads (it was 6th to 8th with the findings neutral)."""
    r = run(kg, JDM_GIRL)
    assert entry(r, "idiopathic scrotal calcinosis")["probability"] == 0.0
    assert labels(r)[0] == "dystrophic calcinosis cutis"
    assert labels(r).index("dermatomyositis") < 3
    dystrophic = entry(r, "dystrophic calcinosis cutis")
    assert not any(x["finding"] in DM_FINDINGS for x in dystrophic["against"])
    for_ = {x["finding"]: x for x in dystrophic["for"]}
    assert set(DM_FINDINGS) <= set(for_)
    item = for_["Gottron's papules"]
    assert item["relation"] == "points to dermatomyositis, which can cause it"
    assert "PMCID:PMC5118224" in item["sources"] and "cause frequency 0.3" in item["figures"]
    # P(F|S) = w P(F|C) + (1 - w) NOISE: w = 0.30 (calcinosis in JDM), P(Gottron|DM) as the model has it
    i = kg.model.rows[kg.index.resolve("Gottron's papules")]
    j, c = kg.model.names.index("dystrophic calcinosis cutis"), kg.model.names.index("dermatomyositis")
    assert kg.model.p[i, j] == pytest.approx(0.30 * kg.model.p[i, c] + 0.70 * NOISE)
    table = lr_table(kg.model, kg.index.resolve("Gottron's papules"))
    assert table["dystrophic calcinosis cutis"][0] > 2 and table["pilomatricoma"][0] < 1
    assert table["dermatomyositis"][0] > table["dystrophic calcinosis cutis"][0]


def test_jdm_calcinosis_near_miss_without_the_dermatomyositis_findings(kg: KnowledgeGraph) -> None:
    """The same girl with the dermatomyositis findings excluded: nothing points to a cause, and dystrophic calcinosis
    cutis falls out of the top three; the excluded findings of the cause weigh against it only mildly (LR- of the
    same mixture, at most 1)."""
    case = {**JDM_GIRL, "id": "calcinosis-no-dm", "present": [x for x in JDM_GIRL["present"] if x not in DM_FINDINGS]}
    case["absent"] = list(DM_FINDINGS)
    r = run(kg, case)
    assert labels(r).index("dystrophic calcinosis cutis") >= 3
    against = {x["finding"]: x["lr"] for x in entry(r, "dystrophic calcinosis cutis")["against"]}
    assert set(DM_FINDINGS) <= set(against) and all(0.5 < against[f] < 1 for f in DM_FINDINGS)


#: A toy ontology (test fixture): a cause C of a calcinosis S with one finding F, a rival calcinosis R.
CAUSE_FIXTURE = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
cg:0001001 rdfs:subClassOf cg:0000001 ; rdfs:label "calcinosis S" .
cg:0001002 rdfs:subClassOf cg:0000001 ; rdfs:label "calcinosis R" .
cg:0001003 rdfs:subClassOf cg:0001001 ; rdfs:label "subtype of S" .
cg:0002001 rdfs:subClassOf cg:0000001 ; rdfs:label "cause C" ; cg:0000023 cg:0001001 .
cg:0003001 rdfs:subClassOf cg:0000002 ; rdfs:label "deposit" ; cg:0000020 cg:0001001, cg:0001002, cg:0002001 .
cg:0003002 rdfs:subClassOf cg:0000002 ; rdfs:label "sign of C" ; cg:0000020 cg:0002001 .
"""
CAUSE_FREQUENCY = """
[] a owl:Axiom ; owl:annotatedSource cg:0002001 ; owl:annotatedProperty cg:0000023 ; owl:annotatedTarget cg:0001001 ;
   cg:0000018 0.4 ; oio:hasDbXref "PMID:1" .
"""


def test_a_sign_of_a_cause_counts_for_the_calcinosis_with_the_cause_frequency() -> None:
    """Rule 7 on a toy: with the frequency w of S in C on the 'can cause' axiom, a sign of C counts for S with
    P = w P(F|C) + (1 - w) NOISE (C's sign has the typical default); without it the sign is neutral for S. A subtype of
    S inherits the neutrality, not the figure, and the rival R gets the noise either way."""
    with_w = build_model(knowledge_base(Graph().parse(data=CAUSE_FIXTURE + CAUSE_FREQUENCY, format="turtle")))
    without = build_model(knowledge_base(Graph().parse(data=CAUSE_FIXTURE, format="turtle")))
    sign = CG + "0003002"
    t_with, t_without = lr_table(with_w, sign), lr_table(without, sign)
    assert t_without["calcinosis S"] == (1.0, 1.0) and t_without["subtype of S"] == (1.0, 1.0)
    i, j = with_w.rows[sign], with_w.names.index("calcinosis S")
    ps, b = 0.4 * P_TYPICAL + 0.6 * NOISE, float(with_w.background[i])
    assert with_w.p[i, j] == pytest.approx(ps)
    assert t_with["calcinosis S"] == pytest.approx((ps / b, (1 - ps) / (1 - b)))
    assert t_with["subtype of S"] == (1.0, 1.0)
    assert t_with["calcinosis R"][0] < 1 and t_with["cause C"][0] > t_with["calcinosis S"][0] > 1
    r = diagnose(with_w, [CG + "0003001", sign], [], top=10)
    assert [d["label"] for d in r["differential"]][:2] == ["cause C", "calcinosis S"]
    r0 = diagnose(without, [CG + "0003001", sign], [], top=10)
    assert r0["differential"][1]["probability"] < r["differential"][1]["probability"]


#: Rule 8 (toy): a finding with a subclass; the superclass is typical of D with a figure, the subclass has no axiom.
IMPLIED_FIXTURE = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
cg:0001001 rdfs:subClassOf cg:0000001 ; rdfs:label "disease D" .
cg:0001002 rdfs:subClassOf cg:0000001 ; rdfs:label "disease E" .
cg:0003001 rdfs:subClassOf cg:0000002 ; rdfs:label "known general disease" ; cg:0000020 cg:0001001 .
cg:0003002 rdfs:subClassOf cg:0003001 ; rdfs:label "known special disease" .
cg:0003003 rdfs:subClassOf cg:0003002 ; rdfs:label "known very special disease" .
cg:0003004 rdfs:subClassOf cg:0000002 ; rdfs:label "sign of E" ; cg:0000020 cg:0001002 .
[] a owl:Axiom ; owl:annotatedSource cg:0003001 ; owl:annotatedProperty cg:0000020 ;
   owl:annotatedTarget cg:0001001 ; cg:0000018 0.6 ; oio:hasDbXref "PMID:1" .
"""


def test_a_present_subclass_finding_counts_its_superclass_evidence(kg: KnowledgeGraph) -> None:
    """Rule 8: present, a finding without evidence of its own for D takes the LR+ of its nearest superclass finding
    with an axiom for D (through two levels); excluded, it keeps its own (noise) LR-. In the release, known
    dermatomyositis counts for dystrophic calcinosis cutis through known connective tissue disease."""
    data = "@prefix oio: <http://www.geneontology.org/formats/oboInOwl#> .\n" + IMPLIED_FIXTURE
    kb = knowledge_base(Graph().parse(data=data, format="turtle"))
    assert kb.finding_ancestors[CG + "0003003"] == (CG + "0003002", CG + "0003001")
    toy_model = build_model(kb)
    general, special, very = (lr_table(toy_model, CG + x) for x in ("0003001", "0003002", "0003003"))
    assert general["disease D"][0] > 1
    assert special["disease D"][0] == very["disease D"][0] == general["disease D"][0]
    assert special["disease D"][1] >= 1 > general["disease D"][1]  # excluded: its own noise LR-, not the superclass's
    assert special["disease E"] == very["disease E"]  # nothing to imply for E: noise both ways
    r = diagnose(toy_model, [CG + "0003003"], [CG + "0003002"], top=2)
    (item,) = [x for x in r["differential"][0]["for"] if x["observed"] == "present"]
    assert item["relation"] == "is typical of (through known general disease, which it implies)"
    assert item["sources"] == ["PMID:1"] and "freq 0.6" in item["figures"]
    assert all(x["relation"] == "not annotated" for x in r["differential"][0]["against"])

    model = kg.model
    dm, ctd = (kg.index.resolve(x) for x in ("known dermatomyositis", "known connective tissue disease"))
    dys_dm, dys_ctd = (lr_table(model, x)["dystrophic calcinosis cutis"] for x in (dm, ctd))
    assert dys_dm[0] == dys_ctd[0] > 1 and dys_dm[1] >= 1


def test_dialysis_patient_without_livedo_or_necrosis(kg: KnowledgeGraph) -> None:
    """Review c5: dialysis, periarticular calcified masses, raised phosphate, PTH and Ca x P, normal calcium, no
    livedo, no necrosis: metastatic calcinosis (its uraemic tumoral form), not calciphylaxis."""
    case = {
        "id": "dialysis-masses",
        "age": 55,
        "sex": "male",
        "present": [
            "end-stage renal disease on dialysis",
            "deep periarticular calcified masses",
            "hyperphosphataemia",
            "elevated parathyroid hormone",
            "elevated calcium-phosphate product",
        ],
        "absent": ["painful livedo racemosa", "necrotic skin ulcers", "hypercalcaemia"],
    }
    r = run(kg, case)
    top = [d["label"] for d in r["differential"] if d["rank"] == 1]
    # the uraemic tumoral form of metastatic calcinosis has its own figures (dialysis very frequent, Ca x P and
    # phosphate frequent, DOI:10.1186/s12893-019-0603-8), so it leads its parent
    assert top == ["secondary tumoral calcinosis of chronic kidney disease"] and "calciphylaxis" not in top
    assert entry(r, "calciphylaxis")["probability"] < 0.1
    assert r["families"][0]["label"] == "calcinosis cutis"
    members = {m["label"]: m["probability"] for m in r["families"][0]["members"]}
    assert members["secondary tumoral calcinosis of chronic kidney disease"] > members["metastatic calcinosis cutis"]
    assert members["metastatic calcinosis cutis"] > members["calciphylaxis"]


def test_crowned_dens_with_and_without_ct(kg: KnowledgeGraph) -> None:
    """Review c3/c3c: 80 F, neck pain with fever, raised CRP and ESR; then the CT shows calcification of the dens."""
    case = {
        "id": "crowned-dens",
        "age": 80,
        "sex": "female",
        "present": ["neck pain with fever", "elevated C-reactive protein", "elevated erythrocyte sedimentation rate"],
    }
    before = kg.diagnose_dict(case, top=1000, next_tests=5)
    assert "crowned dens syndrome" in labels(before)[:3]
    assert any("dens" in t["label"] for t in before["next_tests"][:3])  # imaging of the dens is the next test
    after = run(kg, {**case, "present": [*case["present"], "calcification around the dens on CT"]})
    assert labels(after)[0] == "crowned dens syndrome" and after["differential"][1]["rank"] == 2
    cds = entry(after, "crowned dens syndrome")
    assert cds["probability"] > entry(before, "crowned dens syndrome")["probability"]
    assert entry(after, "polymyalgia rheumatica")["probability"] < 0.05  # no longer tied with PMR (review c3c)


def test_childhood_onset_excludes_polymyalgia_rheumatica(kg: KnowledgeGraph) -> None:
    """PMR is classified only from age 50 (2012 EULAR/ACR criteria): a child's aching shoulders are not PMR."""
    case = {
        "id": "child-shoulders",
        "age": 9,
        "present": ["childhood onset", "bilateral shoulder pain", "elevated C-reactive protein", "morning stiffness"],
    }
    r = run(kg, case)
    pmr = entry(r, "polymyalgia rheumatica")
    assert pmr["probability"] == 0.0
    assert next(x for x in pmr["against"] if x["finding"] == "childhood onset")["lr"] == 0.0
    adult = run(kg, {**case, "id": "adult", "age": 72, "present": case["present"][1:]})
    assert labels(adult)[0] == "polymyalgia rheumatica"


def test_batch_output_equals_single_case_on_the_rule_cases(kg: KnowledgeGraph) -> None:
    """Proofs, lifted ranks, families and fit come out of the vectorised chunk exactly as from diagnose()."""
    import json

    from calcgraph.vectorised import diagnose_chunk, rows_of

    model = kg.model
    findings = [
        ["calcium pyrophosphate crystals in synovial fluid", "positive synovial fluid Gram stain", "fever"],
        ["monosodium urate crystals in synovial fluid", "positive synovial fluid Gram stain", "knee involvement"],
        ["positive synovial fluid culture", "chondrocalcinosis on imaging", "age over 60 years"],
        ["tendon calcification on imaging", "joint pain"],
        ["childhood onset", "bilateral shoulder pain"],
        [
            "Gottron's papules",
            "soft-tissue calcification on radiograph",
            "CPP crystals on biopsy of a soft-tissue mass",
        ],
    ]
    cases = []
    for k, labels_ in enumerate(findings):
        present = [kg.index.resolve(x) for x in labels_]
        absent = [kg.index.resolve("male sex")] if k % 2 else []
        cases.append((f"c{k}", present, absent))
    chunk = diagnose_chunk(model, [(c, *rows_of(model, p, a)) for c, p, a in cases], top=8)
    for (case_id, present, absent), data in zip(cases, chunk, strict=True):
        assert json.loads(data) == diagnose(model, present, absent, case_id=case_id, top=8)
