"""2023 ACR/EULAR CPPD classification criteria: entry, exclusion, sufficient criteria, verified domains A-D only."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcgraph.cases import Case, load_case_file, parse_case_dict
from calcgraph.cli.diagnose import Loaded, load
from calcgraph.criteria import DOMAINS, MAPPING, classify

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load()


def case(loaded: Loaded, present: list[str], absent: list[str] = (), age: int | None = None) -> Case:
    data: dict = {"id": "t", "present": present, "absent": list(absent)}
    if age is not None:
        data["age"] = age
    return parse_case_dict(data, loaded.index, "t")


def test_every_mapped_label_is_an_ontology_finding(loaded: Loaded) -> None:
    labels = {lab for labs in MAPPING.values() for lab in labs} | {x[1] for _, _, lv in DOMAINS for x in lv}
    assert sorted(lab for lab in labels if lab.casefold() not in loaded.index.keys) == []


def test_synovial_fluid_crystals_in_a_painful_joint_are_sufficient(loaded: Loaded) -> None:
    r = classify(case(loaded, ["joint pain", "calcium pyrophosphate crystals in synovial fluid"]), loaded.index)
    assert r["classification"] == "CPPD disease"
    assert r["sufficient"]["met_by"] == ["calcium pyrophosphate crystals in synovial fluid"]


def test_crowned_dens_syndrome_needs_clinical_and_imaging_features(loaded: Loaded) -> None:
    both = classify(case(loaded, ["neck pain with fever", "calcification of the dens"]), loaded.index)
    assert both["classification"] == "CPPD disease"
    clinical_only = classify(case(loaded, ["neck pain with fever"]), loaded.index)
    assert clinical_only["sufficient"]["status"] == "not met"


def test_entry_not_met_means_not_applicable(loaded: Loaded) -> None:
    r = classify(case(loaded, ["no joint symptoms", "chondrocalcinosis on imaging"], age=80), loaded.index)
    assert r["classification"] == "not applicable"


def test_exclusion_stated_by_the_user(loaded: Loaded) -> None:
    c = case(loaded, ["joint pain", "calcium pyrophosphate crystals in synovial fluid"])
    assert classify(c, loaded.index, alternative_explains_all=True)["classification"] == "not CPPD disease"
    assert classify(c, loaded.index)["exclusion"]["status"] == "not assessed"


def test_verified_domains_are_scored_and_e_to_h_are_not(loaded: Loaded) -> None:
    c = case(
        loaded,
        [
            "acute arthritis episodes",
            "knee involvement",
            "wrist involvement",
            "hypomagnesaemia",
            "chondrocalcinosis on imaging",
        ],
        age=75,
    )
    r = classify(c, loaded.index)
    by = {d["domain"]: d for d in r["domains"]}
    assert (by["A"]["min"], by["A"]["max"]) == (4, 4)
    assert (by["B"]["min"], by["B"]["max"]) == (12, 16)  # 'one or more episodes': 12, or 16 if more than one
    assert (by["C"]["min"], by["C"]["max"]) == (9, 9)  # knee outranks wrist: only the highest item counts
    assert (by["D"]["min"], by["D"]["max"]) == (6, 6)
    assert r["verified_score"] == {"min": 31, "max": 35}
    for code in "EFGH":
        assert by[code]["status"] == "not scored" and by[code]["min"] is None
    assert r["classification"] == "undecided"
    assert "cannot be decided" in r["explanation"]


def test_first_mtp_scores_negative_and_no_episode_scores_no_site(loaded: Loaded) -> None:
    r = classify(
        case(loaded, ["acute arthritis episodes", "first metatarsophalangeal joint involvement"]), loaded.index
    )
    assert next(d for d in r["domains"] if d["domain"] == "C")["min"] == -6
    r = classify(case(loaded, ["joint pain", "knee involvement"], ["acute arthritis episodes"]), loaded.index)
    c = next(d for d in r["domains"] if d["domain"] == "C")
    assert (c["min"], c["max"]) == (0, 0)


def test_without_imaging_the_weighted_criteria_cannot_apply(loaded: Loaded) -> None:
    r = classify(case(loaded, ["joint pain", "acute arthritis episodes", "knee involvement"], age=70), loaded.index)
    assert r["classification"] == "undecided"
    assert "imaging" in r["explanation"]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_never_classifies_without_a_sufficient_criterion(loaded: Loaded, path: Path) -> None:
    r = classify(load_case_file(path, loaded.index), loaded.index)
    if r["sufficient"]["status"] != "met":
        assert r["classification"] in ("undecided", "not applicable")
