"""Issue 11: the figures of septic arthritis, gout, pseudogout, lipohaemarthrosis and the crystal-identification rows of
the CPPD umbrella that the content review found wrong or missing (section 2 #1-3, #10-11, #20, #27-28; section 5.2
cases c1, c2, c13; section 6 #1-#3, #8)."""

from __future__ import annotations

import pytest

from calcgraph import paths
from calcgraph.tables import Row, read_table

from .conftest import check_sourced_or_searched, relation_row

JOINT = paths.ontology_dir() / "templates" / "relations-joint.tsv"

#: the diseases whose rows this module checks (the other joint differentials are checked in test_joint_figures)
DISEASES = {"septic arthritis", "gout", "pseudogout", "lipohaemarthrosis from subchondral fracture"}
CPP = "calcium pyrophosphate crystals in synovial fluid"
MSU = "monosodium urate crystals in synovial fluid"


def _rows() -> list[Row]:
    return [r for r in read_table(JOINT) if r["disease"] in DISEASES]


def _row(finding: str, relation: str, disease: str) -> dict[str, str]:
    return relation_row(JOINT, finding, relation, disease)


def test_every_row_is_sourced_or_says_what_was_searched() -> None:
    check_sourced_or_searched(JOINT, DISEASES, at_least=50)


def test_cpp_crystal_figures_are_cpp_specific_identification_not_any_crystal_detection() -> None:
    """Review section 2 #1-3: 0.95/0.86/7.09 was any-crystal detection (Lumbreras 2005) and LR+ did not match."""
    for disease in ("calcium pyrophosphate deposition disease", "pseudogout"):
        relation = "is diagnostic of" if disease != "pseudogout" else "is typical of"
        row = _row(CPP, relation, disease)
        assert (row["sensitivity"], row["specificity"]) == ("0.927", "0.921")
        assert row["lr_positive"] == "" and row["lr_negative"] == ""  # derived from sens/spec, so consistent
        assert row["source"].startswith("PMID:15769916")


def test_msu_crystals_carry_their_own_identification_figures() -> None:
    """Review section 5.3 #6: MSU crystals were scored with the default LR 90."""
    row = _row(MSU, "is diagnostic of", "gout")
    assert (row["sensitivity"], row["specificity"]) == ("0.953", "0.972")
    assert row["source"].startswith("PMID:15769916")


def test_gram_stain_sensitivity_is_the_published_one_not_the_default() -> None:
    """Review section 2 #27: default sensitivity 0.9 gave a negative Gram stain LR- 0.10."""
    row = _row("positive synovial fluid Gram stain", "is diagnostic of", "septic arthritis")
    sens, spec = float(row["sensitivity"]), float(row["specificity"])
    assert (sens, spec) == (0.26, 0.99)
    assert (1 - sens) / spec > 0.5  # a negative stain barely lowers the odds
    assert row["source"] == "DOI:10.5194/jbji-10-61-2025"


def test_double_contour_specificity_is_against_cppd() -> None:
    """Review section 2 #11: Filippucci 2009's 0.99 overstated LR+ for the gout/CPPD question."""
    row = _row("double contour sign on ultrasound", "is typical of", "gout")
    assert (row["sensitivity"], row["specificity"]) == ("0.58", "0.893")
    assert "PMID:36927850" in row["source"]
    against = _row("double contour sign on ultrasound", "argues against", "pseudogout")
    assert float(against["frequency"]) == pytest.approx(9 / 84, abs=0.001)


@pytest.mark.parametrize(
    ("finding", "disease", "low", "high"),
    [
        (MSU, "pseudogout", 0.02, 0.08),  # review #20: about 5 %, not P 0.01
        (CPP, "gout", 0.02, 0.08),
        ("double contour sign on ultrasound", "pseudogout", 0.05, 0.2),
        # review #28: first MTP only weighted -6 points in the 2023 criteria; 4 of 45 acute CPP arthritis (Eliseev 2015)
        ("first metatarsophalangeal joint involvement", "pseudogout", 0.05, 0.15),
    ],
)
def test_crystals_merely_rarer_are_frequencies_not_near_exclusion(
    finding: str, disease: str, low: float, high: float
) -> None:
    row = _row(finding, "argues against", disease)
    assert row["status"] == "sourced" and low <= float(row["frequency"]) <= high


def test_common_findings_of_gout_are_annotated() -> None:
    """Review section 5.1: male sex counted against gout (LR 0.73) because it was not annotated."""
    assert float(_row("male sex", "is typical of", "gout")["frequency"]) == 0.73
    assert float(_row("first metatarsophalangeal joint involvement", "is typical of", "gout")["frequency"]) == 0.67
    assert float(_row("tophi", "is typical of", "gout")["frequency"]) == 0.16
    keys = {(r["finding"], r["disease"]) for r in _rows() if r["relation"] == "is typical of"}
    for key in [
        ("knee involvement", "gout"),
        ("ankle involvement", "gout"),
        ("fever", "gout"),
        ("bone erosions", "gout"),
    ]:
        assert key in keys, key


def test_joint_distribution_and_attack_pattern_figures_are_the_published_ones() -> None:
    """Acute CPP crystal arthritis sites (Eliseev 2015, 45 crystal-proven outpatients), monoarticular onset of
    incident gout (Elfishawi 2020, 243/271), erythema LR+ for gout (EULAR 2006) and the lipohaemarthrosis imaging
    signs (CT study of 30 knees) replace the 0.65 default."""
    eliseev = "DOI:10.14412/1995-4484-2015-375-378"
    for finding, freq in (("knee involvement", "0.76"), ("ankle involvement", "0.30")):
        row = _row(finding, "is typical of", "pseudogout")
        assert (row["status"], row["frequency"], row["n"], row["source"]) == ("sourced", freq, "45", eliseev)
    mono = _row("acute monoarthritis", "is typical of", "gout")
    assert (mono["frequency"], mono["n"], mono["source"]) == ("0.90", "271", "DOI:10.3899/jrheum.190346")
    erythema = _row("erythema over the affected joint", "is typical of", "gout")
    assert (erythema["lr_positive"], erythema["source"]) == ("2.44", "DOI:10.1136/ard.2006.055251")
    for finding in ("fat-fluid level in the joint", "fracture line on imaging"):
        row = _row(finding, "is typical of", "lipohaemarthrosis from subchondral fracture")
        assert (row["status"], row["frequency_class"]) == ("sourced", "HP:0040281")  # very frequent, not obligate


def test_definitional_exclusions_and_the_gout_erosion_share() -> None:
    """No joint symptoms excludes acute CPP crystal arthritis (2023 entry criterion, as for asymptomatic CPPD);
    radiographic gout erosions are a minority finding (0.20 of 210), not the 0.65 default."""
    assert _row("no joint symptoms", "argues against", "pseudogout")["frequency_class"] == "HP:0040285"
    erosions = _row("bone erosions", "is typical of", "gout")
    assert (erosions["frequency"], erosions["n"]) == ("0.20", "210")
    cc = _row("chondrocalcinosis on imaging", "is typical of", "pseudogout")
    assert cc["frequency_class"] == "HP:0040282"  # 'most patients' (Fam 1981) read as frequent, not very frequent
    rows = [r for r in read_table(JOINT) if (r["finding"], r["relation"], r["disease"])
            == ("malignant cells on biopsy", "argues against", "tophaceous CPPD")]
    assert len(rows) == 1 and rows[0]["frequency_class"] == "HP:0040285" and rows[0]["status"] == "sourced"
