"""HPO-aware input: one test per mapping rule, the import module, and real phenopacket-store phenopackets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDFS, SKOS

from calcgraph import paths
from calcgraph.cases import FindingIndex, load_case_file, opposite, parse_case_dict, suggest
from calcgraph.cli import main
from calcgraph.errors import UnknownTermError
from calcgraph.hpo import HP_ROOT, finding_mappings, load_hierarchy, module_terms

STORE = Path(__file__).parent / "data" / "phenopacket-store"
SAMPLE = sorted(STORE.glob("*.json"))


@pytest.fixture(scope="module")
def index(release_graph: Graph) -> FindingIndex:
    return FindingIndex.from_graph(release_graph)


def labels(index: FindingIndex, iris: tuple[str, ...]) -> list[str]:
    return sorted(index.label(i) for i in iris)


def packet(*features: tuple[str, str, bool]) -> dict[str, object]:
    return {
        "id": "t",
        "phenotypicFeatures": [
            {"type": {"id": i, "label": lab}, **({"excluded": True} if ex else {})} for i, lab, ex in features
        ],
    }


# --- the mapping rules --------------------------------------------------------------------------------------------


def test_exact_term_asserts_and_excludes(index: FindingIndex) -> None:
    assert labels(index, index.hpo_findings("HP:0000934")) == ["chondrocalcinosis on imaging"]
    assert labels(index, index.hpo_findings("HP:0000934", excluded=True)) == ["chondrocalcinosis on imaging"]


def test_a_descendant_asserts_its_ancestors_finding(index: FindingIndex) -> None:
    """HP:0005017 Polyarticular chondrocalcinosis is a kind of HP:0000934 Chondrocalcinosis."""
    assert labels(index, index.hpo_findings("HP:0005017")) == ["chondrocalcinosis on imaging"]


def test_an_excluded_descendant_does_not_exclude_the_general_finding(index: FindingIndex) -> None:
    assert index.hpo_findings("HP:0005017", excluded=True) == ()


def test_an_excluded_general_term_excludes_its_descendants_findings(index: FindingIndex) -> None:
    # HP:0000118 Phenotypic abnormality is an ancestor of every mapped term: lacking it lacks them all
    excluded = labels(index, index.hpo_findings("HP:0000118", excluded=True))
    assert "chondrocalcinosis on imaging" in excluded and "fever" in excluded
    assert index.hpo_findings("HP:0000118") == ()  # present, the general term asserts nothing specific


def test_a_narrow_match_asserts_the_finding(index: FindingIndex, release_graph: Graph) -> None:
    """history of chronic kidney disease skos:narrowMatch HP:0012622 Chronic kidney disease; stage 5 descends."""
    assert labels(index, index.hpo_findings("HP:0012622")) == ["history of chronic kidney disease"]
    assert labels(index, index.hpo_findings("HP:0003774")) == ["history of chronic kidney disease"]
    # ... but lacking the narrower term says nothing about the broader finding
    assert "history of chronic kidney disease" not in labels(index, index.hpo_findings("HP:0012622", excluded=True))


def test_a_broad_match_never_asserts_but_its_absence_excludes(index: FindingIndex) -> None:
    """acute monoarthritis skos:broadMatch HP:0001369 Arthritis: 'Arthritis' is not read as acute monoarthritis."""
    assert index.hpo_findings("HP:0001369") == ()
    assert "acute monoarthritis" in labels(index, index.hpo_findings("HP:0001369", excluded=True))
    # neck pain: present is not 'neck pain with fever' (the review's contradiction with fever excluded)
    case = parse_case_dict(packet(("HP:0030833", "Neck pain", False), ("HP:0001945", "Fever", True)), index, "x")
    assert case.present == ()
    assert "fever" in labels(index, case.absent)
    assert [u.id for u in case.unused] == ["HP:0030833"]


def test_a_close_match_never_asserts_or_excludes(index: FindingIndex) -> None:
    """haemorrhagic synovial fluid skos:closeMatch HP:0005261 Joint hemorrhage."""
    assert index.hpo_findings("HP:0005261") == ()
    assert index.hpo_findings("HP:0005261", excluded=True) == ()


def test_only_the_most_specific_mapped_term_counts(index: FindingIndex) -> None:
    """A term below two mapped terms asserts the finding of the nearer one only."""
    h = load_hierarchy(paths.hp_import())
    mapped = [c for c in finding_mappings(Graph().parse(paths.release_ttl())) if c in h]
    pairs = [(a, b) for a in mapped for b in mapped if a != b and b in h.ancestors(a) and index.hpo_findings(b)]
    for child, _parent in pairs:
        if index.hpo_findings(child):
            assert set(index.hpo_findings(child)) == set(index.hpo.present(child))  # type: ignore[union-attr]


def test_unmapped_terms_are_listed_never_fatal_and_fatal_with_strict(index: FindingIndex) -> None:
    data = packet(("HP:0000934", "Chondrocalcinosis", False), ("HP:0002148", "Hypophosphatemia", False))
    case = parse_case_dict(data, index, "p.json")
    assert labels(index, case.present) == ["chondrocalcinosis on imaging"]
    assert [u.as_dict() for u in case.unused] == [{"id": "HP:0002148", "label": "Hypophosphatemia", "excluded": False}]
    with pytest.raises(UnknownTermError, match="HP:0002148") as err:
        parse_case_dict(data, index, "p.json", strict=True)
    assert "--strict" in (err.value.hint or "")


def test_an_excluded_unknown_term_is_unused_not_an_error(index: FindingIndex) -> None:
    case = parse_case_dict(packet(("HP:0000316", "Hypertelorism", True)), index, "x")
    assert case.absent == () and [u.excluded for u in case.unused] == [True]


def test_an_excluded_abnormal_calcium_excludes_both_directions(index: FindingIndex) -> None:
    """GNAS P24 excludes HP:0004363 Abnormal circulating calcium concentration: no hyper- and no hypocalcaemia."""
    case = parse_case_dict(packet(("HP:0004363", "Abnormal circulating calcium concentration", True)), index, "x")
    assert {"hypercalcaemia", "hypocalcaemia"} <= set(labels(index, case.absent))
    assert case.unused == ()


def test_a_case_file_hpo_curie_that_maps_to_nothing_names_the_related_finding(index: FindingIndex) -> None:
    with pytest.raises(UnknownTermError) as err:
        parse_case_dict({"id": "c", "present": ["HP:0001369"]}, index, "c.yaml")
    assert "acute monoarthritis" in (err.value.hint or "") and "broader" in (err.value.hint or "")


def test_did_you_mean_never_offers_the_opposite(index: FindingIndex) -> None:
    assert opposite("Hypophosphatemia", "hyperphosphataemia")
    assert not opposite("hypocalcemia", "hypocalcaemia")
    got = suggest("Hypophosphatemia", index.labels.values())
    assert "hyperphosphataemia" not in got
    with pytest.raises(UnknownTermError) as err:
        index.resolve("Hypophosphatemia")
    assert "hyperphosphataemia" not in err.value.suggestions
    assert suggest("hypocalcemia", index.labels.values())[0] == "hypocalcaemia"


def test_skos_mappings_are_honest(release_graph: Graph) -> None:
    """The review's examples: the HPO term is broader than the finding, so it is a broadMatch, not exact or close."""
    expected_broad = {
        "acute monoarthritis": "HP_0001369",
        "neck pain with fever": "HP_0030833",
        "end-stage renal disease on dialysis": "HP_0003774",
        "hyperkeratotic nodule": "HP_0000962",
        "subchondral cysts": "HP_0012062",
    }
    by_label = {str(o): s for s, o in release_graph.subject_objects(RDFS.label)}
    for label, hp in expected_broad.items():
        targets = {str(o).rsplit("/", 1)[-1] for o in release_graph.objects(by_label[label], SKOS.broadMatch)}
        assert hp in targets, label
        assert not list(release_graph.objects(by_label[label], SKOS.exactMatch))


# --- the import module --------------------------------------------------------------------------------------------


def test_import_module_holds_mapped_terms_descendants_and_ancestors() -> None:
    h = load_hierarchy(paths.hp_import())
    assert h.version.startswith("HPO ")
    assert h.label("HP:0005017") == "Polyarticular chondrocalcinosis"
    assert "HP:0000934" in h.ancestors("HP:0005017")
    assert HP_ROOT in h.ancestors("HP:0000934")


def test_identifiers_come_from_the_packaged_hpo_only() -> None:
    from calcgraph.errors import OntologyQCError

    with pytest.raises(OntologyQCError, match="HP:9999999"):
        module_terms(["HP:0000934", "HP:9999999"])


# --- real phenopackets --------------------------------------------------------------------------------------------


def test_sample_has_its_licence_and_attribution() -> None:
    assert (STORE / "LICENSE").read_text(encoding="utf-8").startswith("BSD 3-Clause License")
    assert "b694d17e" in (STORE / "README.md").read_text(encoding="utf-8")
    assert len(SAMPLE) >= 15


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_every_real_phenopacket_gives_a_differential(path: Path, index: FindingIndex) -> None:
    r = CliRunner().invoke(main, ["diagnose", str(path), "--format", "json", "--no-classes", "--top", "3"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert len(out["differential"]) == 3
    feats = json.loads(path.read_text(encoding="utf-8"))["phenotypicFeatures"]
    case = load_case_file(path, index)
    assert len(out["unused_terms"]) == len(case.unused) <= len(feats)
    if out["unused_terms"]:
        assert "map to no calcgraph finding" in r.stderr


def test_polyarticular_chondrocalcinosis_is_used_through_chondrocalcinosis(index: FindingIndex) -> None:
    case = load_case_file(STORE / "ANKH__PMID_22647861_41_year_old_woman.json", index)
    assert "chondrocalcinosis on imaging" in labels(index, case.present)
    assert "HP:0005017" not in {u.id for u in case.unused}


def test_strict_makes_unused_terms_fatal() -> None:
    path = STORE / "ANKH__PMID_22647861_41_year_old_woman.json"
    r = CliRunner().invoke(main, ["diagnose", str(path), "--no-classes", "--strict"])
    assert r.exit_code == 2
    assert "HP:0002148" in r.stderr
