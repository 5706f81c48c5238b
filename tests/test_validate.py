"""The validator (tiny synthetic sets) and the published-case validation set itself (every case parses and cites)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from calcgraph.errors import CaseError
from calcgraph.validate import (
    NOT_MODELLED,
    README_END,
    README_START,
    ValidationCase,
    calibration,
    disease_descendants,
    evaluate_case,
    format_markdown,
    format_readme,
    format_text,
    load_case,
    load_set,
    miss_reason,
    reliability_plot,
    run,
    summarise,
    write_readme,
)

ROOT = Path(__file__).resolve().parents[1]
SET = ROOT / "validation"


def vc(diagnosis: str, also: tuple[str, ...] = (), cid: str = "c") -> ValidationCase:
    return ValidationCase(cid, diagnosis, "PMID:1", {"id": cid, "present": []}, {}, "", also)


def result(*rows: tuple[str, float], **extra: Any) -> dict[str, Any]:
    """A diagnose result from (label, score) rows; probabilities by softmax over log10 scores."""
    total = sum(10**s for _, s in rows)
    diff = [
        {"label": lbl, "score": s, "probability": 10**s / total, "for": [{"finding": "f", "lr": 10.0}], "against": []}
        for lbl, s in rows
    ]
    return {"differential": diff, **extra}


def test_top1_and_top3_hits() -> None:
    r = evaluate_case(vc("b"), result(("a", 3.0), ("b", 2.0), ("c", 1.0), ("d", 0.0)))
    assert (r.rank, r.hit1, r.hit3) == (2, False, True)
    assert r.top_label == "a" and r.top_for == ["f (LR 10)"]


def test_a_tie_at_the_cut_off_counts_as_a_miss() -> None:
    tie1 = evaluate_case(vc("b"), result(("a", 2.0), ("b", 2.0), ("c", 0.0)))
    assert (tie1.rank, tie1.hit1, tie1.hit3) == (2, False, True)
    tie3 = evaluate_case(vc("d"), result(("a", 3.0), ("b", 2.0), ("c", 1.0), ("d", 1.0)))
    assert (tie3.rank, tie3.hit3) == (4, False)
    # the order in which the ranker lists tied candidates does not matter
    tie1r = evaluate_case(vc("b"), result(("b", 2.0), ("a", 2.0), ("c", 0.0)))
    assert (tie1r.rank, tie1r.hit1) == (2, False)


def test_a_more_specific_correct_answer_counts_and_so_does_also() -> None:
    desc = {"cppd": {"pseudogout"}, "pseudogout": set()}
    r = evaluate_case(vc("cppd"), result(("pseudogout", 2.0), ("cppd", 1.5), ("gout", 1.0)), desc)
    assert r.hit1 and r.rank == 1
    # the parent ranked above the true child is a miss (less specific)
    r2 = evaluate_case(vc("pseudogout"), result(("cppd", 2.0), ("pseudogout", 1.5)), desc)
    assert (r2.rank, r2.hit1) == (2, False)
    r3 = evaluate_case(vc("dystrophic", ("dermatomyositis",)), result(("dermatomyositis", 2.0), ("dystrophic", 1.0)))
    assert r3.hit1


def test_true_disease_not_ranked_is_a_miss() -> None:
    r = evaluate_case(vc("zzz"), result(("a", 1.0)))
    assert r.rank is None and not r.hit3 and r.true_probability == 0.0


def test_not_modelled_case_reads_the_none_fits_signal() -> None:
    assert evaluate_case(vc(NOT_MODELLED), result(("a", 1.0))).none_fits is None
    assert evaluate_case(vc(NOT_MODELLED), result(("a", 1.0), none_fits=True)).hit1
    assert not evaluate_case(vc(NOT_MODELLED), result(("a", 1.0), fit={"none_fits": False})).hit1


def test_calibration_bins_and_brier() -> None:
    rs = [
        evaluate_case(vc("a"), result(("a", 1.0), ("b", 0.0))),  # top p 10/11, right
        evaluate_case(vc("b"), result(("a", 1.0), ("b", 0.0))),  # top p 10/11, wrong
    ]
    c = calibration(rs)
    assert len(c["bins"]) == 1 and c["bins"][0]["n"] == 2 and c["bins"][0]["observed"] == 0.5
    p = 10 / 11
    assert c["brier_top1"] == pytest.approx(((p - 1) ** 2 + p**2) / 2)
    q = 1 - p
    assert c["brier_multiclass"] == pytest.approx(((1 - p) ** 2 + q**2 + (1 - q) ** 2 + p**2) / 2)


def test_summary_text_lists_diseases_and_misses(tmp_path: Path) -> None:
    cases = [vc("a", cid="c1"), vc("b", cid="c2"), vc(NOT_MODELLED, cid="c3")]
    rs = run(cases, lambda case: result(("a", 1.0), ("b", 0.0)), {})
    s = summarise(rs)
    assert (s["modelled"], s["top1"], s["top3"]) == (2, 1, 2)
    text = format_text(s)
    assert "| a | 1 | 1 | 1 |" in text and "| b | 1 | 0 | 1 |" in text
    assert "- c2 (PMID:1): true b (rank 2" in text and "no none-fits signal" in text
    out = tmp_path / "rel.png"
    pytest.importorskip("matplotlib")
    assert reliability_plot(s, out) and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_descendants_from_parents() -> None:
    labels = {"c": "cppd", "p": "pseudogout", "o": "pseudo-OA", "oa": "pseudo-OA with attacks"}
    parents = {"p": {"c"}, "o": {"c"}, "oa": {"o"}, "c": set()}
    d = disease_descendants(labels, parents)
    assert d["cppd"] == {"pseudogout", "pseudo-OA", "pseudo-OA with attacks"} and d["pseudogout"] == set()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\ncitation: PMID:1\ndiagnosis: gout\nfoo: 1\n", "unknown field"),
        ("id: x\ncitation: pubmed 1\ndiagnosis: gout\n", "citation"),
        ("id: x\ncitation: PMID:1\n", "diagnosis"),
        ("id: x\ncitation: PMID:1\ndiagnosis: gout\nalso: gout\n", "also"),
    ],
)
def test_load_case_rejects_bad_files(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(CaseError, match=message):
        load_case(p)


# ------------------------------------------------------------------------------------------- the real validation set


@pytest.fixture(scope="module")
def kg():  # type: ignore[no-untyped-def]
    import calcgraph

    return calcgraph.load()


def test_every_validation_case_parses_cites_and_names_a_known_diagnosis(kg) -> None:  # type: ignore[no-untyped-def]
    from calcgraph.knowledge import load_knowledge

    kb = load_knowledge(kg.ontology)
    diseases = {kb.labels[d] for d in kb.parents if d in kb.labels} | {NOT_MODELLED}
    cases = load_set(SET)
    assert len(cases) >= 20
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for c in cases:
        assert Path(c.path).stem == c.id, f"{c.path}: the file is named after its id"
        assert c.diagnosis in diseases and all(a in diseases for a in c.also), f"{c.path}: unknown diagnosis"
        parsed = kg.case(dict(c.case))
        assert parsed.present or parsed.absent, f"{c.path}: no findings"
        named = [*c.case.get("present", []), *c.case.get("absent", [])]
        missing = [f for f in named if f not in c.evidence]
        assert not missing, f"{c.path}: findings without the paper's words in 'evidence': {missing}"


def test_a_miss_names_the_best_rival_and_only_calls_it_tied_when_it_is() -> None:
    r = evaluate_case(vc("c"), result(("a", 3.0), ("b", 1.0), ("c", 1.0)))
    assert r.rank == 3 and r.top_label == "a (1 lower candidates tied with the true disease)"
    r2 = evaluate_case(vc("c"), result(("a", 1.0), ("b", 1.0), ("c", 1.0)))
    assert r2.top_label == "a (tied with the true disease, as are 1 more)"


def test_pending_cases_are_well_formed() -> None:
    """Cases waiting in validation/pending/ for findings not yet in the ontology still cite and name a diagnosis."""
    pending = load_set(SET / "pending")
    for c in pending:
        assert Path(c.path).stem == c.id and c.evidence


def _cand(label: str, score: float, *rows: tuple[str, float, str]) -> dict[str, Any]:
    ev = [{"finding": f, "lr": lr, "observed": "present", "relation": rel, "figures": "fig"} for f, lr, rel in rows]
    return {
        "label": label,
        "score": score,
        "probability": 0.5,
        "for": [e for e in ev if e["lr"] >= 1],
        "against": [e for e in ev if e["lr"] < 1],
    }


def test_miss_reason_names_the_finding_that_separates_rival_and_true_disease_most() -> None:
    rival = _cand("gout", 2.0, ("male sex", 5.0, "is typical of"), ("bone erosions", 7.0, "is typical of"))
    true = _cand("tophaceous CPPD", 1.0, ("male sex", 0.35, "not annotated"), ("bone erosions", 5.0, "is typical of"))
    why = miss_reason(rival, true)
    assert why.startswith("'male sex' favours gout 14.3-fold")
    assert "gout LR 5 (is typical of; fig)" in why and "tophaceous CPPD LR 0.35 (not annotated; fig)" in why
    tied = miss_reason(_cand("a", 1.0, ("f", 2.0, "r")), _cand("b", 1.0, ("f", 2.0, "r")))
    assert tied == "tie: no finding of the case separates a from b"


def test_a_miss_carries_its_reason_and_the_report_lists_uncovered_diseases() -> None:
    rs = run(
        [vc("b", cid="c1")],
        lambda case: {
            "differential": [
                _cand("a", 2.0, ("f", 10.0, "is typical of")),
                _cand("b", 1.0, ("f", 1.0, "not annotated")),
                _cand("c", 0.0),
            ]
        },
        {},
    )
    assert rs[0].reason.startswith("'f' favours a 10-fold")
    s = summarise(rs)
    assert s["misses"][0]["reason"] == rs[0].reason and s["not_covered"] == ["a", "c"]
    text = format_text(s)
    assert "  - reason: 'f' favours a" in text and "without a validation case (2): a, c" in text
    md = format_markdown(s)
    assert md.startswith("# Validation on published cases") and "## misses (1)" in md and "| b | 1 | 0 | 1 |" in md


def test_the_report_counts_none_fits_on_both_sides() -> None:
    cases = [vc("a", cid="m1"), vc("a", cid="m2"), vc(NOT_MODELLED, cid="x1")]
    flags = {"m1": True, "m2": False, "x1": True}
    rs = run(cases, lambda case: result(("a", 1.0), ("b", 0.0), none_fits=flags[case["id"]]), {})
    s = summarise(rs)
    assert s["false_none_fits"] == ["m1"] and s["not_modelled"][0]["none_fits"] is True
    assert "1 of 1 flagged; modelled cases wrongly flagged 'none fits': 1 of 2 (m1)" in format_text(s)


def test_readme_summary_is_written_between_its_markers(tmp_path: Path) -> None:
    cases = [vc("a", cid="m1"), vc("b", cid="m2"), vc(NOT_MODELLED, cid="x1")]
    rs = run(cases, lambda case: result(("a", 1.0), ("b", 0.0), ("c", -1.0), none_fits=case["id"] == "x1"), {})
    s = summarise(rs)
    block = format_readme(s)
    assert block.startswith("Current result (3 cases, 2 with a modelled diagnosis): **top-1 1/2 (50 %), top-3 2/2")
    assert "1 of the 1 patients with a disease outside the model" in block and "no case yet: c." in block
    assert block.endswith(
        "| disease | cases | top-1 | top-3 |\n|---|---:|---:|---:|\n| a | 1 | 1 | 1 |\n| b | 1 | 0 | 1 |"
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{README_START} (generated) -->\nold numbers\n{README_END}\n\nmore\n", encoding="utf-8")
    write_readme(s, readme, tmp_path / "docs" / "validation.md")
    text = readme.read_text(encoding="utf-8")
    assert "old numbers" not in text and text.endswith(f"{README_END}\n\nmore\n")
    assert f"{README_START} (generated) -->\n{block}\n{README_END}" in text
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="validate:end"):
        write_readme(s, readme)


def _summary_lines(text: str) -> tuple[str, list[str]]:
    """The top-1/top-3 figures and the per-disease table rows of a report or of the README summary."""
    m = re.search(r"top-1 (\d+/\d+ \(\d+ %\)),? +top-3 (\d+/\d+ \(\d+ %\))", text)
    assert m is not None, "no top-1/top-3 figures"
    rows = re.findall(r"^\| [^|]+ \| \d+ \| \d+ \| \d+ \|$", text, re.M)
    assert rows, "no per-disease table"
    return f"{m[1]} {m[2]}", rows


def test_readme_summary_matches_the_validation_report() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(README_START), readme.index(README_END)
    report = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    table = report.split("| disease | cases | top-1 | top-3 |")[1].split("\n\n")[0]
    assert _summary_lines(readme[start:end]) == _summary_lines(report[: report.index("| disease |")] + table), (
        "the README's validation summary differs from docs/validation.md: run `make validate`"
    )


def test_the_report_covers_every_case_of_the_set() -> None:
    report = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    m = re.search(r"\*\*validation: (\d+) published cases", report)
    assert m is not None
    assert int(m[1]) == len(load_set(SET)), (
        f"docs/validation.md reports {m[1]} cases, validation/ holds {len(load_set(SET))}: run `make validate`"
    )


def _needles(citation: str) -> tuple[str, ...]:
    """How a case report's identifier shows up in a relation row's `source` or `read_at` column."""
    kind, _, value = citation.partition(":")
    if kind == "PMID":
        return (citation, f"pubmed.ncbi.nlm.nih.gov/{value}", f"access_num={value}&")
    if kind == "PMCID":
        return (citation, f"/articles/{value}")
    return (citation, value.lower())


# Reports that were sources of figures before their patients became cases (the HFTC siblings of Rafaelsen 2014, the
# dialysis patient of Kamar 2016, ...): checked even if their case leaves the set, so the figure does not come back.
FORMER_SOURCES = {
    "DOI:10.1186/s12863-014-0098-3": "hftc-galnt3-sibling-2014",
    "DOI:10.1186/s12882-016-0355-y": "tumoral-ckd-dialysis-kamar-2016",
    "PMCID:PMC5468049": "metastatic-fsgs-pmc5468049",
    "DOI:10.3389/fendo.2023.1249680": "utc-shoulder-elbow-wrist-fendo-2023",
    "PMID:29923062": "hftc-fgf23-lebanese-cousin1-2018",
    "PMID:21727721": "tumoral-sporadic-girl-ijdvl-2011",
}


def test_no_figure_is_read_in_a_paper_whose_patient_is_a_validation_case() -> None:
    """The set measures the figures, so it must stay independent of them: a relation that cites (or was read in) a
    validation case's paper would let that paper's patient vouch for the very number that ranks it."""
    from calcgraph.tables import read_table, table_paths

    rows = [r for t in table_paths(ROOT / "ontology" / "calcgraph-edit.ttl") for r in read_table(t)]
    cases = load_set(SET)
    assert rows and len(cases) > 50
    papers = {**FORMER_SOURCES, **{c.citation: c.id for c in cases}}
    clashes = []
    for citation, case in sorted(papers.items()):
        pages = [n.lower() for n in _needles(citation)[1:]]  # read_at is compared lower-cased
        for r in rows:
            cited = [s.strip() for s in r["source"].split(";")]
            if citation in cited or any(n in r["read_at"].lower() for n in pages):
                clashes.append(f"{r.where()} ({r['finding']} / {r['disease']}) cites {citation}, case {case}")
    assert not clashes, "\n".join(clashes)


def test_the_independence_check_finds_a_shared_paper() -> None:
    assert "10.1186/s12891-019-2873-9" in _needles("DOI:10.1186/S12891-019-2873-9")[1]
    assert _needles("PMID:123")[1] == "pubmed.ncbi.nlm.nih.gov/123"
