"""Reasoner and ranking side by side (issue 12, part 4): ``diagnose --classes`` shows the defined classes with the
findings behind them, and says when a class suggests a disease the ranking puts below third place, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from calcgraph.agreement import WITHIN, disagreements, full_ranks
from calcgraph.cli import main
from calcgraph.diagnose import diagnose
from calcgraph.fastclass import fast_classifier, synthetic_cases
from calcgraph.validate import ValidationCase, evaluate_case, format_text, summarise

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

#: A woman with Gottron's papules and deep periarticular calcified masses, raised calcium and phosphate excluded:
#: typed dystrophic, but the deep masses are the picture of tumoral calcinosis and put dystrophic calcinosis cutis
#: fourth (with two more dermatomyositis findings it is second: the review's JDM girl c6 now agrees,
#: ``tests/test_scoring_rules.py``).
DM_DEEP = {
    "id": "dm-deep-calcinosis",
    "age": 45,
    "sex": "female",
    "present": ["Gottron's papules", "deep periarticular calcified masses"],
    "absent": ["hypercalcaemia", "hyperphosphataemia", "elevated calcium-phosphate product"],
}


@pytest.fixture(scope="module")
def kg():  # type: ignore[no-untyped-def]
    import calcgraph

    return calcgraph.load()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_a_class_whose_disease_is_ranked_low_is_flagged_with_both_drivers(kg) -> None:  # type: ignore[no-untyped-def]
    """A dermatomyositis patient with deep calcified masses is typed dystrophic; the ranking puts dystrophic calcinosis
    cutis below third."""
    r = kg.diagnose_dict(DM_DEEP, top=10, next_tests=0, classes=True)
    rank = {d["label"]: d["rank"] for d in r["differential"]}
    assert rank.get("dystrophic calcinosis cutis", 99) > WITHIN  # the premise of the test
    (x,) = [x for x in r["class_disagreements"] if x["suggests"]["label"] == "dystrophic calcinosis cutis"]
    assert x["class"]["label"] == "case suggestive of dystrophic calcinosis cutis"
    assert x["rank"] == rank["dystrophic calcinosis cutis"]
    assert "Gottron's papules (present)" in x["class_driven_by"] and "hypercalcaemia (excluded)" in x["class_driven_by"]
    # dermatomyositis above it is its cause, not a rival; the rival is the best other calcinosis
    assert [a["label"] for a in x["causes_ranked_above"]] == ["dermatomyositis"]
    assert x["rival"]["label"] != "dermatomyositis" and x["rival"]["rank"] < x["rank"]
    assert x["ranking_driven_by"].startswith("'") and f"favours {x['rival']['label']}" in x["ranking_driven_by"]
    # every class is listed with what satisfies it
    dys = next(c for c in r["classes"] if c["label"] == x["class"]["label"])
    assert (
        dys["suggests_id"] == x["suggests"]["id"]
        and {"label": "Gottron's papules", "status": "present"} in (dys["satisfied_by"])
    )


def test_agreeing_classes_are_not_flagged(kg) -> None:  # type: ignore[no-untyped-def]
    r = kg.diagnose_dict(EXAMPLES / "pseudogout.yaml", top=10, next_tests=0, classes=True)
    assert any(c["suggests"] == "pseudogout" for c in r["classes"])
    assert r["class_disagreements"] == []


@pytest.mark.parametrize(
    ("present", "leader"),
    [
        (
            [
                "acute monoarthritis",
                "knee involvement",
                "CPP crystals in synovial fluid confirmed by X-ray diffraction or spectroscopy",
            ],
            "pseudogout",
        ),
        (
            ["calcified soft-tissue mass", "CPP crystals in tissue confirmed by X-ray diffraction or spectroscopy"],
            "tophaceous CPPD",
        ),
    ],
)
def test_a_crystallographic_proof_is_criterion_i_for_the_reasoner_and_a_proof_for_the_ranking(  # type: ignore[no-untyped-def]
    kg, present: list[str], leader: str
) -> None:
    """Ryan-McCarty criterion I on fluid or tissue: the reasoner types definite CPPD, the ranking proves CPPD (its
    'is diagnostic of' rows) and leads with the picture's subtype, so the two agree; only the fluid proof is
    crystal-proven joint fluid."""
    r = kg.diagnose_dict({"id": "xrd", "age": 70, "present": present}, top=5, next_tests=0, classes=True)
    classes = {c["label"] for c in r["classes"]}
    assert {"case meeting Ryan-McCarty criterion I", "Ryan-McCarty definite CPPD case"} <= classes
    assert ("case with crystal-proven joint fluid" in classes) == ("synovial fluid" in present[-1])
    assert [p["label"] for p in r["proven"]] == ["calcium pyrophosphate deposition disease"]
    assert r["differential"][0]["label"] == leader and r["class_disagreements"] == []


def test_a_disease_ranked_below_the_shown_top_is_still_found(kg) -> None:  # type: ignore[no-untyped-def]
    full = kg.diagnose_dict(DM_DEEP, top=100, next_tests=0, classes=True)
    short = kg.diagnose_dict(DM_DEEP, top=1, next_tests=0, classes=True)
    assert short["class_disagreements"] == full["class_disagreements"]


def test_full_ranks_are_the_ranks_of_diagnose(kg) -> None:  # type: ignore[no-untyped-def]
    model = kg.model
    n = len(model.candidates)
    for c in synthetic_cases(fast_classifier(), 200, seed=12, findings=sorted(kg.index.labels)):
        order, ranks = full_ranks(model, c.present, c.absent)
        got = [(model.curies[j], r) for j, r in zip(order.tolist(), ranks, strict=True)]
        want = [(d["id"], d["rank"]) for d in diagnose(model, c.present, c.absent, top=n, n_next=0)["differential"]]
        assert got == want, c.id


def test_no_suggesting_class_no_work(kg) -> None:  # type: ignore[no-untyped-def]
    c = kg.case(DM_DEEP)
    assert disagreements(kg.model, c.present, c.absent, [{"id": "x", "label": "x", "suggests_id": None}]) == []


def test_text_output_says_so(tmp_path: Path) -> None:
    case = tmp_path / "dm-deep.json"
    case.write_text(json.dumps(DM_DEEP), encoding="utf-8")
    r = invoke("diagnose", str(case), "--classes", "--next-tests", "0")
    assert r.exit_code == 0, r.output
    assert "reasoner and ranking disagree" in r.stdout
    line = next(x for x in r.stdout.splitlines() if "suggests dystrophic calcinosis cutis" in x)
    assert "its cause dermatomyositis" in line and "Gottron's papules" in line and "favours" in line


def test_batch_line_equals_the_single_case_json(tmp_path: Path) -> None:
    case = tmp_path / "dm-deep.json"
    case.write_text(json.dumps(DM_DEEP), encoding="utf-8")
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps(DM_DEEP) + "\n", encoding="utf-8")
    one = invoke("diagnose", str(case), "--classes", "--format", "json", "--top", "4", "--next-tests", "2")
    many = invoke("diagnose", "--batch", str(batch), "--classes", "--top", "4", "--next-tests", "2")
    assert one.exit_code == 0 and many.exit_code == 0, many.output
    single: dict[str, Any] = json.loads(one.stdout)
    assert single["class_disagreements"] and json.loads(many.stdout.splitlines()[0]) == single


def test_validation_report_counts_the_disagreements() -> None:
    vc = ValidationCase("c1", "b", "PMID:1", {"id": "c1", "present": ["f"]}, {"f": "words"})
    result = {
        "differential": [
            {"label": "a", "score": 2.0, "probability": 0.9},
            {"label": "b", "score": 1.0, "probability": 0.1},
        ],
        "classes": [{"label": "k", "suggests": "z"}],
        "class_disagreements": [
            {"class": {"label": "k"}, "suggests": {"label": "z"}, "rank": None, "ranking_driven_by": "no z"}
        ],
    }
    s = summarise([evaluate_case(vc, result)])
    assert s["classes_vs_ranking"] == {
        "suggested": 1,
        "disagree": [{"id": "c1", "why": ["k suggests z, not ranked: no z"]}],
    }
    assert "a defined class suggests a disease in 1 of 1 cases; the ranking puts it below third place in 1" in (
        format_text(s)
    )
