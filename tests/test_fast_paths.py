"""The fast paths give exactly the answers of the plain ones they replace (speed is measured by ``make bench``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcgraph.cases import load_case_file
from calcgraph.compiled import load
from calcgraph.errors import ReasonerError
from calcgraph.fastclass import FastClassifier, fast_classifier, synthetic_cases

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fc() -> FastClassifier:
    return fast_classifier()


def test_bitset_types_equal_the_reference_evaluation(fc: FastClassifier) -> None:
    noise = sorted(load().index.labels)
    cases = [c for seed in (1, 2) for c in synthetic_cases(fc, 3000, seed=seed, findings=noise)]
    index = load().index
    for path in sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("examples/cases/*.yaml")]):
        cases.append(load_case_file(path, index))
    fired = set()
    for c in cases:
        got = fc.types(c.present, c.absent, c.id)
        assert got == fc.types_reference(c.present, c.absent, c.id), c
        fired.update(got)
    assert fired == fc.defined  # every defined class was exercised


def test_bitset_types_report_inconsistent_cases_alike(fc: FastClassifier) -> None:
    r = fc.hierarchy.subclass
    sub, sup = sorted(r)[0]
    for present, absent in (([sub], [sup]), ([sub], [sub])):
        with pytest.raises(ReasonerError) as fast:
            fc.types(present, absent, "x")
        with pytest.raises(ReasonerError) as ref:
            fc.types_reference(present, absent, "x")
        assert str(fast.value) == str(ref.value)


def test_the_classifier_pickles_without_its_compiled_program(fc: FastClassifier) -> None:
    import pickle

    c = next(iter(synthetic_cases(fc, 1, seed=9)))
    fc.types(c.present, c.absent)
    again = pickle.loads(pickle.dumps(fc))
    assert again.types(c.present, c.absent) == fc.types(c.present, c.absent)
