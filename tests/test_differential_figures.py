"""Issue 11: figures on the common findings of osteoarthritis, rheumatoid arthritis, polymyalgia rheumatica,
neuropathic arthropathy and septic arthritis that were scored with a default (review section 5.3, section 6 #3).
Each figure is pinned to the value read in its primary source."""

from __future__ import annotations

import pytest

from calcgraph import paths
from calcgraph.stats import is_primary
from calcgraph.tables import read_table

from .conftest import relation_row

JOINT = paths.ontology_dir() / "templates" / "relations-joint.tsv"


def _row(finding: str, relation: str, disease: str) -> dict[str, str]:
    return relation_row(JOINT, finding, relation, disease)


FIGURES = [
    # Arnett 1988: the 1987 ARA criteria count arthritis only after 6 weeks
    ("chronic arthritis lasting more than 6 weeks", "is typical of", "rheumatoid arthritis", "frequency_class",
     "HP:0040281", "DOI:10.1002/art.1780310302"),
    # Pekdiker 2024: 20 % of 300 new RA patients had no small joint involvement at onset
    ("small hand joint involvement", "is typical of", "rheumatoid arthritis", "frequency", "0.80",
     "DOI:10.46497/archrheumatol.2024.10417"),
    # ultrasound tenosynovitis in 44 of 90 RA patients
    ("tenosynovitis", "is typical of", "rheumatoid arthritis", "frequency", "0.489", "PMID:22055542"),
    # DXR hand bone loss in 59 % of 167 early RA patients
    ("periarticular osteoporosis", "is typical of", "rheumatoid arthritis", "frequency", "0.59", "PMCID:PMC5581443"),
    # diabetes in 42 of 141 septic arthritis patients
    ("diabetes mellitus", "is typical of", "septic arthritis", "frequency", "0.298", "PMID:39832148"),
    # Kosice series (141): hip 12.1 %, shoulder 9.9 %; Amiens (109): mean age 60.1
    ("hip involvement", "is typical of", "septic arthritis", "frequency", "0.121", "PMID:39832148"),
    ("elbow or shoulder involvement", "is typical of", "septic arthritis", "frequency_class", "HP:0040283",
     "PMID:39832148"),
    ("age over 60 years", "is typical of", "septic arthritis", "frequency_class", "HP:0040282",
     "DOI:10.1186/s12879-016-1540-0"),
    # EVALUA, 1258 primary-care OA patients: knee 84.3 %, hip 23.4 %, hands 14.7 %, onset around 60
    ("knee involvement", "is typical of", "osteoarthritis", "frequency", "0.843", "DOI:10.1016/j.reumae.2015.03.007"),
    ("hip involvement", "is typical of", "osteoarthritis", "frequency", "0.234", "DOI:10.1016/j.reumae.2015.03.007"),
    ("small hand joint involvement", "is typical of", "osteoarthritis", "frequency", "0.147",
     "DOI:10.1016/j.reumae.2015.03.007"),
    ("age over 60 years", "is typical of", "osteoarthritis", "frequency_class", "HP:0040282",
     "DOI:10.1016/j.reumae.2015.03.007"),
    # Margaretten 2007 (systematic review, abstract): joint pain 85 %, history of joint swelling 78 %
    ("joint pain", "is typical of", "septic arthritis", "sensitivity", "0.85", "PMID:17405973"),
    ("joint swelling", "is typical of", "septic arthritis", "sensitivity", "0.78", "PMID:17405973"),
    # Li 2007: ESR raised in 12 of 16 culture-proven cases
    ("elevated erythrocyte sedimentation rate", "is typical of", "septic arthritis", "sensitivity", "0.75",
     "PMID:17251607"),
    # PMR Cohort Study (654 incident primary-care PMR): severe stiffness through the day
    ("proximal limb girdle stiffness", "is typical of", "polymyalgia rheumatica", "frequency_class", "HP:0040281",
     "PMID:27605116"),
    # isolated PF OA in 186 of the 539 with radiographic knee OA (Keele cohort): frequent, not near-exclusion
    ("severe patellofemoral involvement", "argues against", "osteoarthritis", "frequency_class", "HP:0040282",
     "PMID:19401244"),
    # MCP OA in 138 of 425 hand OA patients (mild, mostly MCP 1-2)
    ("second and third metacarpophalangeal joint involvement", "argues against", "osteoarthritis", "frequency",
     "0.325", "PMID:33973396"),
    # radiocarpal involvement negligible in 368 hand OA patients
    ("wrist involvement", "argues against", "osteoarthritis", "frequency_class", "HP:0040284", "PMID:28161769"),
    # ACT-FLARE: 376 of 744 adults with (or at risk of) knee OA reported a flare in 13 weeks
    ("acute arthritis episodes", "argues against", "osteoarthritis", "frequency_class", "HP:0040283",
     "DOI:10.1016/j.joca.2021.04.007"),
    # Chingford: CRP IQR 1.0-5.1 mg/L in 105 women with knee OA -- about a quarter above 5 mg/L
    ("elevated C-reactive protein", "argues against", "osteoarthritis", "frequency_class", "HP:0040283",
     "DOI:10.1002/art.1780400419"),
    # McCabe 2017: no knee OA aspirate of 55 above 1,000 cells/mm3 -- rare, not excluded
    ("high synovial fluid leukocyte count", "argues against", "osteoarthritis", "frequency_class", "HP:0040284",
     "PMCID:PMC5340187"),
]


@pytest.mark.parametrize(("finding", "relation", "disease", "column", "value", "source"), FIGURES)
def test_figure_is_the_one_read_in_its_source(
    finding: str, relation: str, disease: str, column: str, value: str, source: str
) -> None:
    row = _row(finding, relation, disease)
    assert row["status"] == "sourced", row
    assert row[column] == value
    sources = [x.strip() for x in row["source"].split(";")]
    assert source in sources and all(is_primary(x) for x in sources)
    assert row["evidence"]


def test_argues_against_rows_are_frequencies_not_exclusions() -> None:
    for r in read_table(JOINT):
        if r["relation"] == "argues against" and r["disease"] == "osteoarthritis" and r["status"] == "sourced":
            assert r["frequency_class"] != "HP:0040285", r.where()


def test_margaretten_rows_cite_the_review_by_its_verified_pmid() -> None:
    for finding in (
        "synovial fluid leukocyte count above 50,000/mm3",
        "synovial fluid leukocyte count above 100,000/mm3",
        "recent joint surgery",
        "joint pain",
        "joint swelling",
    ):
        row = _row(finding, "is typical of", "septic arthritis")
        assert "PMID:17405973" in row["source"] and "https://medluna.com/article/17405973" in row["read_at"], finding
