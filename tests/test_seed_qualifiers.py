"""The seed qualifiers the content review found missing (issue 12, part 5), each a relation that changes the
likelihood ratios the way the seed says, or a flagged seed-only claim where a default would mislead."""

from __future__ import annotations

import pytest

from calcgraph.diagnose import lr_table


@pytest.fixture(scope="module")
def kg():  # type: ignore[no-untyped-def]
    import calcgraph

    return calcgraph.load()


def lrs(kg, finding: str) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    return lr_table(kg.model, kg.index.resolve(finding))


def test_a_provoked_attack_points_to_pseudogout(kg) -> None:  # type: ignore[no-untyped-def]
    t = lrs(kg, "attack precipitated by trauma, surgery or another illness")
    assert t["pseudogout"][0] > 1 >= t["gout"][0] and t["pseudogout"][0] > t["septic arthritis"][0]


def test_elderly_onset_ra_involves_the_shoulder(kg) -> None:  # type: ignore[no-untyped-def]
    """Seed 000: RA in the elderly often involves large joints (shoulder 64 % in elderly-onset RA, PMID:10948762)."""
    t = lrs(kg, "elbow or shoulder involvement")
    assert t["rheumatoid arthritis"][0] > 1
    ev = next(
        e
        for e in kg.model.kb.asserted
        if kg.model.kb.label(e.finding) == "elbow or shoulder involvement"
        and kg.model.kb.label(e.disease) == "rheumatoid arthritis"
    )
    assert ev.frequency == 0.64 and "PMID:10948762" in ev.sources


def test_type_f_is_more_painful_than_a_charcot_joint(kg) -> None:  # type: ignore[no-untyped-def]
    t = lrs(kg, "joint pain")
    assert t["pseudo-neuropathic CPPD"][0] > 1 > t["neuropathic arthropathy"][0]


def test_friction_sites_point_to_calcinosis_cutis(kg) -> None:  # type: ignore[no-untyped-def]
    t = lrs(kg, "deposits at sites of friction or pressure on the limbs")
    assert t["calcinosis cutis"][0] > 1 and t["limited idiopathic calcinosis"][0] > 1 and t["gout"][0] <= 1


@pytest.mark.parametrize("finding", ["transepidermal elimination of calcified material", "slow course over years"])
def test_scrotal_calcinosis_course_and_histology(kg, finding: str) -> None:  # type: ignore[no-untyped-def]
    t = lrs(kg, finding)
    assert t["idiopathic scrotal calcinosis"][0] > 1
    assert max(v[0] for k, v in t.items() if k != "idiopathic scrotal calcinosis") <= 1


def test_childhood_predilection_is_a_flagged_claim_not_a_score(kg) -> None:  # type: ignore[no-untyped-def]
    """Seed 002 'commoner in older children' has no figure; as a default inherited by every subtype it would put the
    idiopathic forms above JDM calcinosis, so it is kept as a seed-only claim."""
    kb = kg.model.kb
    assert not any(
        kb.label(e.finding) == "childhood onset" and kb.label(e.disease) == "calcinosis cutis" for e in kb.asserted
    )
    from pathlib import Path

    edit = (Path(__file__).resolve().parents[1] / "ontology" / "calcgraph-edit.ttl").read_text(encoding="utf-8")
    assert 'CALCGRAPH:0000019 "Commoner in older children (seed 002); not scored' in edit
