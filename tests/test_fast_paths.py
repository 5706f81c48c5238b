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


def _generated(n: int, seed: int) -> list:
    """Cases aimed at the defined classes plus random ones (0-14 findings, any mix of present and absent)."""
    import random

    from calcgraph.cases import Case

    c = load()
    fc = fast_classifier()
    labels = sorted(c.index.labels)
    cases = list(synthetic_cases(fc, n, seed=seed, findings=labels))
    rng = random.Random(seed)
    for i in range(n):
        chosen = rng.sample(labels, rng.randint(0, 14))
        k = rng.randint(0, len(chosen))
        cases.append(Case(f"random-{seed}-{i}", tuple(chosen[:k]), tuple(chosen[k:])))
    return cases


@pytest.mark.parametrize(("top", "n_next"), [(10, 5), (3, 0), (40, 12), (1, 1)])
def test_vectorised_chunks_give_the_json_of_diagnose(top: int, n_next: int) -> None:
    import json

    from calcgraph import vectorised
    from calcgraph.diagnose import diagnose

    model = load().model
    cases = _generated(1500, seed=top)
    rows = [(c.id, *vectorised.rows_of(model, c.present, c.absent)) for c in cases]
    got: list[bytes] = []
    for start in range(0, len(rows), 250):
        got += vectorised.diagnose_chunk(model, rows[start : start + 250], top=top, n_next=n_next)
    assert len(got) == len(cases)
    for c, data in zip(cases, got, strict=True):
        assert json.loads(data) == diagnose(model, c.present, c.absent, case_id=c.id, top=top, n_next=n_next), c.id


@pytest.mark.parametrize("classes", [False, True])
def test_a_batch_chunk_equals_the_per_case_work(classes: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from calcgraph.batch import DiagnoseJob, Job
    from calcgraph.vocab import iri_to_curie

    job = DiagnoseJob(classes=classes)
    job.ensure()
    lines = []
    for c in _generated(150, seed=5):
        doc = {"id": c.id, "present": [iri_to_curie(x) for x in c.present]}
        doc["absent"] = [iri_to_curie(x) for x in c.absent]
        lines.append(json.dumps(doc))
    lines[3] = "{oops"
    lines[7] = json.dumps({"id": "x", "present": ["no such finding"]})
    chunk = list(enumerate(lines, 1))

    def outcomes() -> list[tuple[int, str | None, object]]:
        done = job.run_chunk("f.jsonl", chunk)
        return [(o.line, o.error, None if o.value is None else json.loads(o.value)) for o in done]

    fast = outcomes()
    monkeypatch.setattr(DiagnoseJob, "work_chunk", Job.work_chunk)  # work() per case: diagnose() and json
    assert fast == outcomes()
    assert sum(error is not None for _, error, _ in fast) >= 2
    assert all("unused_terms" in value and ("classes" in value) == classes for _, _, value in fast if value)


def test_cohort_chunks_store_the_triples_of_the_per_case_work(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from calcgraph.batch import Job
    from calcgraph.cohort import CohortJob
    from calcgraph.vocab import iri_to_curie

    job = CohortJob("load-x", with_results=True, top=3)
    job.ensure()
    lines = []
    for c in _generated(200, seed=8):
        doc = {"id": c.id, "present": [iri_to_curie(x) for x in c.present]}
        doc["absent"] = [iri_to_curie(x) for x in c.absent]
        lines.append(json.dumps(doc))
    lines[5] = json.dumps({"id": "y", "present": ["no such finding"]})
    chunk = list(enumerate(lines, 1))
    fast = [(o.line, o.error, o.value) for o in job.run_chunk("c.jsonl", chunk)]
    monkeypatch.setattr(CohortJob, "work_chunk", Job.work_chunk)  # work() per case: diagnose() and types()
    assert fast == [(o.line, o.error, o.value) for o in job.run_chunk("c.jsonl", chunk)]
    assert sum(e is not None for _, e, _ in fast) >= 1


@pytest.mark.parametrize("digits", [4, 6])
def test_vectorised_rounding_and_spelling_equal_round_and_repr(digits: int) -> None:
    import numpy as np

    from calcgraph.vectorised import rounded, spelled

    rng = np.random.default_rng(digits)
    halves = (np.arange(-2000, 2000) + 0.5) / 10**digits  # ties and near-ties, where the product's rounding matters
    tricky = [0.0, -0.0, 5e-5, -5e-5, 4.9999999e-5, 1e-300, 0.00015, 1e15, 2e16, np.nan, np.inf, -np.inf]
    small = [rng.random(5_000) * 1e-4, -rng.random(1_000) * 1e-4]  # spelled from a table of k / 10**digits
    a = np.concatenate([rng.normal(0, 8, 20_008), rng.random(20_000), rng.random(5_000) * 1e-3, *small, halves, tricky])
    a = a.reshape(-1, len(tricky))
    assert [[repr(x) for x in row] for row in rounded(a, digits)] == [
        [repr(round(float(x), digits)) for x in row] for row in a
    ]
    assert spelled(a, digits) == [repr(round(float(x), digits)).encode() for row in a for x in row]
    assert spelled(np.zeros((3, 0)), digits) == []


def test_the_flat_record_check_agrees_with_the_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    from calcgraph import safeparse
    from calcgraph.errors import CaseError

    docs = [
        {"id": "a", "present": ["acute monoarthritis"], "absent": [], "age": 71, "sex": "female"},
        {"id": "b", "present": ["x\udc80"]},
        {"id": "\ud83d", "present": ["\ude00"]},  # two halves in two texts: each is lone
        {"id": "c", "present": ["y" * 1001]},
        {"id": "d", "present": [["nested"]], "extra": {"k": "v"}},
        {"id": "e", "present": list(map(str, range(safeparse.MAX_ITEMS)))},
        {"id": "f", "age": 3.5, "ok": True, "none": None},
        [1, 2],
    ]

    def outcome(doc: object) -> str:
        try:
            safeparse._check(doc, "w")
        except CaseError as exc:
            return str(exc)
        return "ok"

    fast = [outcome(d) for d in docs]
    monkeypatch.setattr(safeparse, "_flat_ok", lambda value: False)
    assert fast == [outcome(d) for d in docs]
    assert fast[0] == "ok" and fast[-2] == "ok" and sum(x != "ok" for x in fast) == 4


def test_the_partial_sort_of_next_tests_equals_the_stable_argsort() -> None:
    """The n best findings, ties broken by column as a stable sort breaks them (many ties, recorded ones at inf)."""
    import numpy as np

    from calcgraph.vectorised import _first_n

    rng = np.random.default_rng(3)
    for trial in range(60):
        keys = rng.integers(0, 6, size=(40, 152)).astype(float) if trial % 2 else -rng.random((40, 152))
        keys[rng.random(keys.shape) < 0.2] = np.inf
        keys[0] = np.inf
        for n in (1, 5, 12, 152):
            assert np.array_equal(_first_n(keys, n), np.argsort(keys, axis=1, kind="stable")[:, :n])
