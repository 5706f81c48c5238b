"""Issue 11 reporting: the share of finding-disease relations with a sourced figure (``calcgraph stats``, the
``calcgraph qc`` summary) and the skin figures the content review found wrong."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from rdflib import Graph

from calcgraph import paths
from calcgraph.cli import main as cli
from calcgraph.stats import TARGET_SHARE, figure_stats, is_primary, non_primary_figures, relations
from calcgraph.tables import read_table

SKIN = paths.ontology_dir() / "templates" / "relations-skin.tsv"
JOINT = paths.ontology_dir() / "templates" / "relations-joint.tsv"


def _skin_keys() -> set[tuple[str, str, str]]:
    return {(r["finding"], r["relation"], r["disease"]) for r in read_table(SKIN)}


def _row(finding: str, relation: str, disease: str) -> dict[str, str]:
    rows = [r for r in read_table(SKIN) if (r["finding"], r["relation"], r["disease"]) == (finding, relation, disease)]
    assert len(rows) == 1, (finding, relation, disease)
    cols = ("sensitivity", "specificity", "frequency", "frequency_class", "n", "status", "source", "evidence")
    cols += ("comment",)
    return {c: rows[0][c] for c in cols}


def test_stats_counts_every_relation_once(edit_graph: Graph) -> None:
    s = figure_stats(edit_graph)
    assert s.total == len(relations(edit_graph)) > 200
    assert sum(v[1] for v in s.by_relation.values()) == s.total
    assert sum(v[1] for v in s.by_family.values()) == s.total
    assert sum(s.by_source_kind.values()) == s.total
    assert s.by_source_kind["none"] == s.total - s.sourced


def test_stats_command_text_and_json() -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["stats"])
    assert text.exit_code == 0, text.output
    assert "relations with a sourced figure" in text.output and "by disease family:" in text.output
    assert "calcinosis cutis" in text.output
    data = json.loads(runner.invoke(cli, ["stats", "--json"]).output)
    assert 0 < data["sourced"] <= data["total"] and data["target"] == TARGET_SHARE


def test_qc_reports_the_share() -> None:
    result = CliRunner().invoke(cli, ["qc"])
    assert result.exit_code == 0, result.output
    assert "sourced figures:" in result.output
    assert "figures without a PMID/DOI/PMCID/ISBN source:" in result.output


def test_every_skin_row_is_sourced_or_says_what_was_searched() -> None:
    for r in read_table(SKIN):
        assert r["status"] in ("sourced", "no published figure"), (r.where(), r["status"])
        if r["status"] == "no published figure":
            assert r["comment"], f"{r.where()}: say what was searched"


def test_skin_figures_cite_primary_sources(edit_graph: Graph) -> None:
    skin = _skin_keys()
    bad = [r for r in non_primary_figures(edit_graph) if (r.finding, r.relation, r.disease) in skin]
    assert not bad, "skin figures without a PMID/DOI/PMCID/ISBN source: " + "; ".join(map(str, bad))
    for r in read_table(SKIN):
        if r["status"] == "sourced":
            assert r["source"] and all(is_primary(x.strip()) for x in r["source"].split(";")), r.where()


def test_no_figure_without_a_primary_source(edit_graph: Graph) -> None:
    bad = non_primary_figures(edit_graph)
    assert not bad, "figures without a PMID/DOI/PMCID/ISBN source: " + "; ".join(
        f"{r.finding} {r.relation} {r.disease}" for r in bad
    )


@pytest.mark.xfail(
    reason="issue 11 goal not reached yet: fewer than 90 % of the relations carry a sourced figure "
    "(see `calcgraph stats`); remove this mark when it passes",
    strict=False,
)
def test_at_least_90_percent_of_relations_have_a_sourced_figure(edit_graph: Graph) -> None:
    s = figure_stats(edit_graph)
    assert s.share >= TARGET_SHARE, f"only {s.sourced}/{s.total} ({s.share:.0%}) relations have a sourced figure"


# -- the skin figures the content review found wrong (section 2 #17, #18; section 6 #3, #6) --


def test_hyperphosphataemia_is_not_obligate_for_all_tumoral_calcinosis() -> None:
    row = _row("hyperphosphataemia", "is typical of", "tumoral calcinosis")
    assert row["frequency"] != "1.0" and row["frequency_class"] != "HP:0040280"
    assert "OMIM:211900" in row["comment"] and "OMIM:610455" in row["comment"]


def test_jdm_calcinosis_is_about_one_third_not_30_to_70_percent(edit_graph: Graph) -> None:
    text = paths.edit_file().read_text(encoding="utf-8")
    assert "30-70%" not in text
    row = _row("soft-tissue calcification on radiograph", "is typical of", "dermatomyositis")
    assert float(row["frequency"]) == pytest.approx(0.30) and row["source"] == "PMCID:PMC5118224"


def test_idiopathic_scrotal_calcinosis_is_male_only() -> None:
    row = _row("male sex", "is typical of", "idiopathic scrotal calcinosis")
    assert row["frequency_class"] == "HP:0040280" and row["status"] == "sourced"


def test_calciphylaxis_hallmarks_are_very_frequent() -> None:
    for finding in ("painful skin or soft-tissue lesion", "necrotic skin ulcers"):
        assert _row(finding, "is typical of", "calciphylaxis")["frequency_class"] == "HP:0040281"
    assert float(_row("end-stage renal disease on dialysis", "is typical of", "calciphylaxis")["frequency"]) >= 0.8


def test_no_skin_argues_against_row_uses_the_default() -> None:
    for r in read_table(SKIN):
        if r["relation"] == "argues against":
            has_figure = bool(r["frequency"] or r["frequency_class"] or r["sensitivity"])
            assert has_figure or r["status"] == "no published figure", r.where()


# -- the three forms of tumoral calcinosis carry their own figures (review section 2 #17, section 6 #9) --

HFTC = "hyperphosphataemic familial tumoral calcinosis"
NFTC = "normophosphataemic familial tumoral calcinosis"
UTC = "secondary tumoral calcinosis of chronic kidney disease"


def test_hyperphosphataemia_figure_sits_on_the_hyperphosphataemic_form() -> None:
    row = _row("hyperphosphataemia", "is typical of", HFTC)
    assert row["frequency"] == "1.0" and row["n"] == "8" and row["status"] == "sourced"
    assert "PMID:15687324" in row["source"] and "PMID:17710231" in row["source"]
    # the normophosphataemic form excludes it by definition (0/8)
    row = _row("hyperphosphataemia", "argues against", NFTC)
    assert row["frequency_class"] == "HP:0040285" and row["source"] == "PMID:16960814"


def test_hftc1_calcinosis_figure_left_the_tumoral_calcinosis_parent() -> None:
    assert _row("calcified soft-tissue mass", "is typical of", HFTC)["frequency"] == "0.60"
    parent = _row("calcified soft-tissue mass", "is typical of", "tumoral calcinosis")
    assert parent["frequency"] == "" and parent["source"] == "DOI:10.1148/rg.263055099"
    assert "PMID:15687324" not in parent["source"]


def test_hftc_normal_calcium_and_pth_override_the_metastatic_defaults() -> None:
    for finding in ("hypercalcaemia", "elevated parathyroid hormone"):
        row = _row(finding, "argues against", HFTC)
        assert row["frequency"] == "0.33" and row["n"] == "3", finding


def test_nftc_onset_and_labs_from_the_hpo_annotations() -> None:
    assert _row("childhood onset", "is typical of", NFTC)["frequency"] == "1.0"
    assert _row("normal serum calcium and phosphate", "is typical of", NFTC)["n"] == "8"
    hftc_onset = _row("childhood onset", "is typical of", HFTC)
    assert (hftc_onset["frequency"], hftc_onset["n"], hftc_onset["source"]) == ("1.0", "2", "PMID:15599692")


def test_uraemic_tumoral_calcinosis_is_a_disease_of_dialysis() -> None:
    assert _row("history of chronic kidney disease", "is typical of", UTC)["frequency_class"] == "HP:0040280"
    assert _row("end-stage renal disease on dialysis", "is typical of", UTC)["frequency_class"] == "HP:0040281"
    assert _row("elevated calcium-phosphate product", "is typical of", UTC)["status"] == "sourced"


def test_metastatic_periarticular_masses_are_not_read_in_a_validation_case() -> None:
    """The frequent class of periarticular masses in metastatic calcinosis cutis came from the report of the
    metastatic-fsgs-pmc5468049 validation case; no other source gives it, so it is unsourced again."""
    row = _row("deep periarticular calcified masses", "is typical of", "metastatic calcinosis cutis")
    assert row["status"] == "no published figure" and "PMC5468049" not in row["source"]


SOURCED_2026_12 = [
    # (finding, disease, frequency_class, source: exact, or "~..." for one of several)
    ("childhood onset", "tumoral calcinosis", "HP:0040282", "DOI:10.1055/s-0030-1254120"),
    ("lesion at a site of calcium or phosphate infusion", "iatrogenic calcinosis cutis", "HP:0040282",
     "DOI:10.7759/cureus.9712"),
    ("painful livedo racemosa", "calciphylaxis", "HP:0040282", "~PMID:26394755"),
    ("childhood onset", "subepidermal calcified nodule", "HP:0040282", "DOI:10.4103/0019-5154.117327"),
    ("elevated calcium-phosphate product", "metastatic calcinosis cutis", "HP:0040281", "PMID:28846311"),
    ("widespread deposits in skin, subcutis and muscle", "generalized idiopathic calcinosis", "HP:0040281",
     "PMID:28846311"),
    ("hypocalcaemia", "iatrogenic calcinosis cutis", "HP:0040282", "~PMID:830982"),
    ("history of chronic kidney disease", "metastatic calcinosis cutis", "HP:0040282",
     "DOI:10.1111/j.1525-1470.2006.00224.x"),
]


@pytest.mark.parametrize(("finding", "disease", "frequency_class", "source"), SOURCED_2026_12)
def test_skin_rows_sourced_in_the_2026_12_pass(finding: str, disease: str, frequency_class: str, source: str) -> None:
    """Rows that were 'no published figure' and now carry a class with the source's words (issue 11)."""
    row = _row(finding, "is typical of", disease)
    assert row["frequency_class"] == frequency_class
    assert source[1:] in row["source"] if source.startswith("~") else row["source"] == source


def test_sclerodactyly_carries_its_cohort_figure() -> None:
    row = _row("sclerodactyly", "is typical of", "systemic sclerosis")
    assert (row["frequency"], row["n"]) == ("0.754", "256") and "PMCID:PMC10208607" in row["source"]


def test_hftc_overrides_the_metastatic_defaults_for_hypocalcaemia_and_renal_failure() -> None:
    """HFTC is a subclass of metastatic calcinosis cutis: without rows of its own it inherited the unsourced 0.65 of
    hypocalcaemia and of chronic kidney disease / dialysis (normocalcaemia, normal kidney function: PMID:29548779)."""
    for finding in ("hypocalcaemia", "history of chronic kidney disease", "end-stage renal disease on dialysis"):
        row = _row(finding, "argues against", HFTC)
        assert row["status"] == "sourced" and float(row["frequency"]) == 0.0 and "PMID:29548779" in row["source"]


def test_skin_common_findings_carry_their_cohort_figures() -> None:
    """Common findings that counted against their disease as noise before (issue 11)."""
    row = _row("diabetes mellitus", "is typical of", "calciphylaxis")
    assert row["frequency"] == "0.54" and row["n"] == "89" and row["source"] == "PMCID:PMC8494680"
    row = _row("male sex", "is typical of", "iatrogenic calcinosis cutis")
    assert float(row["frequency"]) == pytest.approx(10 / 16) and row["source"] == "PMID:37545297"
    row = _row("male sex", "is typical of", UTC)
    assert float(row["frequency"]) == pytest.approx(7 / 9, abs=0.01) and row["n"] == "9"
    row = _row("arteriolar calcification on biopsy", "is typical of", "calciphylaxis")
    assert row["frequency"] == "0.56" and row["n"] == "27"
    row = _row("malignant cells on biopsy", "is diagnostic of", "tumour-associated soft-tissue calcification")
    assert (row["sensitivity"], row["specificity"], row["source"]) == ("0.97", "0.99", "PMID:32022262")
