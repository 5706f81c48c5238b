"""The fast classifier (issue 6) against HermiT, the authority.

Comparison set (the one :func:`calcgraph.reason.classify_cases` reports): every entailed defined class of a case,
i.e. every subclass of 'patient case' with an EquivalentTo axiom that HermiT infers as a type of the case
individual. The whole classification (classes, most-specific flags, explanations) is compared as JSON, apart from
the name of the reasoner. HermiT costs ~1 s per call plus superlinear growth in the number of cases (~1.6 s for
50 cases, ~10 s for 150 on the development machine), so generated cases go to HermiT 50 at a time, two calls at once.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDFS

from calcgraph import fastclass
from calcgraph.cases import Case, FindingIndex, load_case_file
from calcgraph.cli import main
from calcgraph.errors import OntologySourceError, ReasonerError
from calcgraph.fastclass import FastClassifier, Hierarchy, classify_cases_fast, fast_classifier, synthetic_cases
from calcgraph.reason import classify_cases, classify_ontology, release_graph, write_inferred

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_FILES = sorted(
    [
        *(ROOT / "examples").glob("*.yaml"),
        *(ROOT / "examples").glob("*.json"),
        *(ROOT / "examples" / "cases").glob("*.yaml"),
    ]
)
N_GENERATED = 1000
HERMIT_CHUNK = 50

java = pytest.mark.java


@pytest.fixture(scope="module")
def fc() -> FastClassifier:
    return fast_classifier()


@pytest.fixture(scope="module")
def index() -> FindingIndex:
    return FindingIndex.from_graph(release_graph())


def _shape(result) -> dict:  # type: ignore[no-untyped-def]
    doc = result.to_json()
    doc.pop("reasoner")
    return doc


def test_there_are_examples_to_compare() -> None:
    assert len(EXAMPLE_FILES) >= 40
    assert any(p.suffix == ".json" for p in EXAMPLE_FILES)


@java
def test_every_bundled_example_is_typed_exactly_as_hermit_types_it(fc: FastClassifier, index: FindingIndex) -> None:
    cases = [load_case_file(p, index) for p in EXAMPLE_FILES]
    hermit = classify_cases(cases, "hermit")
    fast = classify_cases_fast(cases)
    assert sum(bool(r.classes) for r in hermit) >= 25, "the examples must make classes fire"
    for h, f in zip(hermit, fast, strict=True):
        assert f.reasoner == "fast" and h.reasoner == "hermit"
        assert _shape(f) == _shape(h), h.case_id


def _hermit_types(cases: list[Case]) -> list[list[str]]:
    return [[c.iri for c in r.classes] for r in classify_cases(cases, "hermit")]


@java
@pytest.mark.slow
def test_generated_cases_are_typed_exactly_as_hermit_types_them(fc: FastClassifier, index: FindingIndex) -> None:
    cases = synthetic_cases(fc, N_GENERATED, seed=6, findings=sorted(index.labels))
    fast = [sorted(fc.types(c.present, c.absent)) for c in cases]
    fired = Counter(t for types in fast for t in types)
    # the generator aims at the definitions: every defined class fires, most of them often
    assert set(fired) == fc.defined
    assert sum(1 for n in fired.values() if n >= 20) >= 20
    assert any(not t for t in fast), "some cases must stay unclassified (near misses)"
    chunks = [cases[i : i + HERMIT_CHUNK] for i in range(0, len(cases), HERMIT_CHUNK)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        hermit = [types for chunk in pool.map(_hermit_types, chunks) for types in chunk]
    assert len(hermit) == N_GENERATED
    disagree = [(c, f, sorted(h)) for c, f, h in zip(cases, fast, hermit, strict=True) if f != sorted(h)]
    assert not disagree, disagree[:3]


@java
def test_inconsistent_case_is_reported_like_the_reasoner_does(fc: FastClassifier, index: FindingIndex) -> None:
    radiograph, imaging = (
        index.resolve("chondrocalcinosis on radiograph"),
        index.resolve("chondrocalcinosis on imaging"),
    )
    case = Case("contradiction", (radiograph,), (imaging,))
    with pytest.raises(ReasonerError, match="inconsistent"):
        classify_cases([case], "hermit")
    with pytest.raises(ReasonerError, match="inconsistent") as info:
        classify_cases_fast([case])
    msg = str(info.value)
    assert info.value.exit_code == 9 and "\n" not in msg
    assert "contradiction" in msg and "chondrocalcinosis on radiograph" in msg and "chondrocalcinosis on imaging" in msg


@java
def test_hierarchy_from_cache_inferred_file_or_hermit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CALCGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    hermit = classify_ontology("hermit")
    inferred, _ = write_inferred(hermit, tmp_path / "inferred.owl")
    with caplog.at_level(logging.INFO, logger="calcgraph.fastclass"):
        h = fastclass.load_hierarchy(inferred=inferred)
    assert h.source == "calcgraph-inferred.owl", caplog.text  # why the inferred file was not used
    assert h.subclass == hermit.entailed_subclass
    cached = list((tmp_path / "cache").glob("hierarchy-*.json"))
    assert len(cached) == 1
    again = fastclass.load_hierarchy(inferred=tmp_path / "missing.owl")
    assert again == h  # read from the cache
    # a stale inferred file (one class missing) is not used: HermiT runs
    g = Graph().parse(inferred, format="xml")
    some = next(s for s, o in g.subject_objects(RDFS.label) if str(o) == "acute monoarthritis")
    g.remove((some, None, None))
    stale = tmp_path / "stale.owl"
    g.serialize(stale, format="xml")
    fresh = fastclass.load_hierarchy(use_cache=False, inferred=stale)
    assert fresh.source == "HermiT" and fresh.subclass == hermit.entailed_subclass


def test_classify_needs_no_java_once_the_hierarchy_is_known(
    fc: FastClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastclass, "_FAST", {})
    monkeypatch.setenv("CALCGRAPH_JAVA", str(tmp_path / "no-such-java"))
    case = str(ROOT / "examples" / "cases" / "reason-pseudogout.yaml")
    r = CliRunner().invoke(main, ["classify", case, "--format", "json"])
    assert r.exit_code == 0, r.output
    (doc,) = json.loads(r.output)
    assert doc["reasoner"] == "the fast classifier"
    assert "case suggestive of pseudogout" in {c["label"] for c in doc["inferred_classes"]}


def test_diagnose_classes_use_the_fast_classifier(fc: FastClassifier) -> None:
    case = str(ROOT / "examples" / "cases" / "reason-pseudo-oa-without-attacks.yaml")
    r = CliRunner().invoke(main, ["diagnose", case, "--format", "json", "--classes"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    labels = {c["label"] for c in doc["classes"] if c["most_specific"]}
    assert "case suggestive of pseudo-osteoarthritis without acute attacks" in labels


def test_open_world_three_valued_semantics(fc: FastClassifier, index: FindingIndex) -> None:
    r = index.resolve
    oa = [r("chondrocalcinosis on radiograph"), r("osteophytes")]
    without = "case suggestive of pseudo-osteoarthritis without acute attacks"
    unknown = {fc.label(t) for t in fc.types(oa, [])}
    excluded = {fc.label(t) for t in fc.types(oa, [r("acute arthritis episodes")])}
    assert "case suggestive of pseudo-osteoarthritis" in unknown and without not in unknown
    assert without in excluded


def test_unsupported_definitions_are_a_clear_error() -> None:
    g = Graph().parse(
        format="turtle",
        data="""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
        cg:0000006 a owl:Class . cg:0000099 a owl:ObjectProperty . cg:0003900 a owl:Class .
        cg:0004900 a owl:Class ; rdfs:label "odd case" ; rdfs:subClassOf cg:0000006 ;
            owl:equivalentClass [ a owl:Restriction ; owl:onProperty cg:0000099 ; owl:someValuesFrom cg:0003900 ] .
        """,
    )
    with pytest.raises(OntologySourceError, match="cannot compile") as info:
        FastClassifier.compile(g, Hierarchy.told(g))
    assert info.value.hint and "hermit" in info.value.hint
