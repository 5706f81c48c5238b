"""The ranked differential: knowledge read from the ontology, LIRICAL-style scoring, the bundled examples."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from calcgraph import paths, vocab
from calcgraph.cases import load_case_file
from calcgraph.cli.diagnose import Loaded, load
from calcgraph.diagnose import LOG_EXCLUDED, build_model, diagnose, lr_table
from calcgraph.knowledge import knowledge_base

from .conftest import read_tsv

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: Phenopackets cannot carry comments: their expected top diagnosis is declared here.
PHENOPACKETS = {
    "pseudogout.phenopacket.json": ("pseudogout", 1),
    "septic-arthritis.phenopacket.json": ("septic arthritis", 1),
}


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load()


def iri(loaded: Loaded, label: str) -> str:
    return loaded.index.resolve(label)


def run(loaded: Loaded, present: list[str], absent: list[str] = (), top: int = 40) -> dict:
    return diagnose(
        loaded.model, [iri(loaded, x) for x in present], [iri(loaded, x) for x in absent], case_id="t", top=top
    )


def ranked(result: dict) -> list[str]:
    return [d["label"] for d in result["differential"]]


def example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.yaml")) + sorted(EXAMPLES.glob("*.phenopacket.json"))


def expectation(path: Path) -> tuple[str, int]:
    if path.name in PHENOPACKETS:
        return PHENOPACKETS[path.name]
    text = path.read_text(encoding="utf-8")
    top = re.search(r"^# expected-top: (.+)$", text, re.M)
    assert top, f"{path.name} declares no '# expected-top:' comment"
    within = re.search(r"^# expected-within: (\d+) \((.+)\)$", text, re.M)
    return top.group(1).strip(), int(within.group(1)) if within else 1


# --- the bundled examples --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_example_expected_top_diagnosis(loaded: Loaded, path: Path) -> None:
    expected, within = expectation(path)
    case = load_case_file(path, loaded.index)
    result = diagnose(loaded.model, case.present, case.absent, case_id=case.id, top=len(loaded.model.candidates))
    rank = next(d["rank"] for d in result["differential"] if d["label"] == expected)  # a shared rank counts
    shown = ranked(result)[: within + 2]
    assert rank <= within, f"{path.name}: {expected!r} ranked {rank}, not in the top {within}: {shown}"
    if path.suffix == ".yaml":
        assert re.search(r"^# Reference: .*reference/.*§", path.read_text(encoding="utf-8"), re.M)


def test_every_reference_disease_has_an_example() -> None:
    expected = {expectation(p)[0] for p in example_files()}
    missing = [row["label"] for row in read_tsv("diseases.tsv") if row["label"] not in expected]
    assert missing == []


def test_two_phenopacket_examples_exist() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.phenopacket.json")) == sorted(PHENOPACKETS)


# --- scoring --------------------------------------------------------------------------------------------------------


def test_gram_stain_with_cpp_crystals_keeps_septic_arthritis_in_top_two(loaded: Loaded) -> None:
    result = run(loaded, ["positive synovial fluid Gram stain", "calcium pyrophosphate crystals in synovial fluid"])
    assert ranked(result)[0] == "septic arthritis"
    assert "pseudogout" in ranked(result)[:3]


def test_crystals_with_a_full_pseudogout_picture_do_not_rank_infection_away(loaded: Loaded) -> None:
    pres = ["acute monoarthritis", "knee involvement", "fever", "calcium pyrophosphate crystals in synovial fluid"]
    assert "septic arthritis" in ranked(run(loaded, pres))[:2]


def test_gram_stain_proves_septic_arthritis(loaded: Loaded) -> None:
    assert ranked(run(loaded, ["positive synovial fluid Gram stain"]))[0] == "septic arthritis"


def test_cpp_crystals_make_the_cppd_family_dominate(loaded: Loaded) -> None:
    kb = loaded.model.kb
    cppd = iri(loaded, "calcium pyrophosphate crystals in synovial fluid")
    root = next(d for d in kb.candidates if kb.label(d) == "calcium pyrophosphate deposition disease")
    family = {kb.label(d) for d in kb.candidates if d == root or root in kb.ancestors.get(d, ())}
    assert len(family) >= 8
    result = diagnose(loaded.model, [cppd], [], top=len(family))
    assert set(ranked(result)) == family
    full = diagnose(loaded.model, [cppd], [], top=len(kb.candidates))
    mass = sum(d["probability"] for d in full["differential"] if d["label"] in family)
    assert mass > 0.8


def test_an_excluded_finding_lowers_a_disease(loaded: Loaded) -> None:
    base = ["chronic symmetric polyarthritis", "morning stiffness"]

    def ra(result: dict) -> dict:
        return next(d for d in result["differential"] if d["label"] == "rheumatoid arthritis")

    before = ra(run(loaded, base))
    after = ra(run(loaded, base, ["anti-CCP antibody positive"]))
    assert after["score"] < before["score"]
    assert after["probability"] < before["probability"]
    item = next(x for x in after["against"] if x["finding"] == "anti-CCP antibody positive")
    assert item["observed"] == "absent"
    assert item["lr"] == pytest.approx(0.36)  # Nishimura 2007 LR-, read from the ontology axiom


def test_figures_from_the_ontology_give_the_lr(loaded: Loaded) -> None:
    table = lr_table(loaded.model, iri(loaded, "anti-CCP antibody positive"))
    assert table["rheumatoid arthritis"][0] == pytest.approx(12.46)
    cc = lr_table(loaded.model, iri(loaded, "chondrocalcinosis on radiograph"))
    assert cc["calcium pyrophosphate deposition disease"][0] == pytest.approx(0.47 / 0.05)


def test_subtypes_inherit_evidence_from_their_superclass(loaded: Loaded) -> None:
    table = lr_table(loaded.model, iri(loaded, "calcium pyrophosphate crystals in synovial fluid"))
    assert table["pseudogout"] == pytest.approx(table["calcium pyrophosphate deposition disease"])
    assert table["crowned dens syndrome"][0] > 1  # not asserted on it: inherited from CPPD
    # CPP crystals accompany urate in about 5 % of gouty fluids (issue 11): rarer, not near-exclusion
    assert table["gout"][0] < 1 < table["pseudogout"][0]
    assert table["tophaceous CPPD"] == pytest.approx(table["calcium pyrophosphate deposition disease"])
    assert table["rheumatoid arthritis"][0] < 1  # 'argues against' / noise where no coexistence is declared


def test_coexisting_disease_is_neutral_not_penalised(loaded: Loaded) -> None:
    table = lr_table(loaded.model, iri(loaded, "calcium pyrophosphate crystals in synovial fluid"))
    assert table["septic arthritis"] == (1.0, 1.0)
    gram = lr_table(loaded.model, iri(loaded, "positive synovial fluid Gram stain"))
    assert gram["pseudogout"] == (1.0, 1.0)
    assert gram["rheumatoid arthritis"][0] < 1


def test_unexpected_finding_never_erases_a_disease(loaded: Loaded) -> None:
    model = loaded.model
    for table in (model.log_pos, model.log_neg):
        hard = table <= LOG_EXCLUDED
        assert (table[~hard] > -3).all()  # only an HPO 'excluded'/'obligate' frequency class erases a disease
        for i, j in zip(*hard.nonzero(), strict=True):
            assert model.details[(int(i), int(j))].relation.endswith("(excludes)")
    result = run(loaded, ["anti-CCP antibody positive", "fever"], top=len(model.candidates))
    assert all(d["probability"] > 0 for d in result["differential"])


def test_output_shape_and_order(loaded: Loaded) -> None:
    result = run(loaded, ["fever", "knee involvement"], ["positive synovial fluid culture"], top=5)
    assert list(result) == ["case", "differential", "proven", "proven_note", "families", "fit", "next_tests"]
    scores = [d["score"] for d in result["differential"]]
    assert scores == sorted(scores, reverse=True)
    for d in result["differential"]:
        assert list(d) == ["rank", "id", "label", "score", "probability", "for", "against"]
        assert d["id"].startswith("CALCGRAPH:")
        for item in d["for"] + d["against"]:
            assert {"finding", "lr", "relation", "figures", "sources"} <= set(item)
    total = sum(d["probability"] for d in run(loaded, ["fever"], top=100)["differential"])
    assert total == pytest.approx(1.0, abs=1e-4)


def test_next_tests_are_unrecorded_and_separate_the_leaders(loaded: Loaded) -> None:
    pres = ["acute monoarthritis", "knee involvement", "fever", "calcium pyrophosphate crystals in synovial fluid"]
    result = run(loaded, pres)
    tests = result["next_tests"]
    assert tests and all(t["label"] not in pres for t in tests)
    gains = [t["expected_information_gain"] for t in tests]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    labels = [t["label"] for t in tests]
    assert "positive synovial fluid Gram stain" in labels or "positive synovial fluid culture" in labels


# --- knowledge from the ontology -----------------------------------------------------------------------------------


def test_knowledge_base_is_immutable(loaded: Loaded) -> None:
    kb = loaded.model.kb
    with pytest.raises(dataclasses.FrozenInstanceError):
        kb.candidates = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        kb.effective[("a", "b")] = None  # type: ignore[index]


def test_adding_an_axiom_to_the_ontology_changes_the_ranking(tmp_path: Path, loaded: Loaded) -> None:
    """A synthetic axiom (test only, not a medical claim): the ranking follows the ontology with no code change."""
    copy = tmp_path / "calcgraph.ttl"
    shutil.copy(paths.release_ttl(), copy)
    finding = URIRef(iri(loaded, "shadow cells on biopsy"))
    target_label = "asymptomatic CPPD"  # a leaf far down this case's ranking
    target = URIRef(next(d for d in loaded.model.kb.candidates if loaded.model.kb.label(d) == target_label))
    case = [str(finding), iri(loaded, "calcified soft-tissue mass")]
    before = diagnose(build_model(knowledge_base(copy)), case, [], top=40)

    g = Graph().parse(copy, format="turtle")
    assert (finding, vocab.IS_TYPICAL_OF, target) not in g
    g.add((finding, vocab.IS_TYPICAL_OF, target))
    g.serialize(copy, format="turtle")
    after_model = build_model(knowledge_base(copy))
    after = diagnose(after_model, case, [], top=40)
    old = next(d for d in before["differential"] if d["label"] == target_label)
    top = next(d for d in after["differential"] if d["label"] == target_label)
    assert top["rank"] < old["rank"] and top["score"] > old["score"]
    assert any(x["finding"] == "shadow cells on biopsy" and x["relation"] == "is typical of" for x in top["for"])


def test_knowledge_base_from_rdflib_graph_matches_file(release_graph: Graph) -> None:
    from_file = knowledge_base(paths.release_ttl())
    from_graph = knowledge_base(release_graph)
    assert from_file.candidates == from_graph.candidates
    assert set(from_file.effective) == set(from_graph.effective)


def test_a_frequency_counted_in_few_patients_is_not_a_certainty(loaded: Loaded) -> None:
    """Childhood onset in HFTC is 2 of 2 patients (HPO annotation): read as (2 + 1/2) / 3, so an adult onset lowers
    HFTC without all but excluding it, while a figure from a large series keeps its value."""
    model = loaded.model
    col = {n: j for j, n in enumerate(model.names)}
    row = {n: i for i, n in enumerate(model.finding_names)}
    hftc = col["hyperphosphataemic familial tumoral calcinosis"]
    e = model.kb.effective[(model.kb.findings[row["childhood onset"]], model.candidates[hftc])]
    assert (e.frequency, e.n) == (1.0, 2)
    assert model.p[row["childhood onset"], hftc] == pytest.approx(2.5 / 3)
    ra = col["rheumatoid arthritis"]
    e = model.kb.effective[(model.kb.findings[row["age over 60 years"]], model.candidates[ra])]
    assert e.n == 872 and model.p[row["age over 60 years"], ra] == pytest.approx(e.frequency, abs=1e-3)
