"""``calcgraph diagnose --batch --workers N`` (issue 6): input order kept, bad lines skipped, --out atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calcgraph import batch
from calcgraph.cli import main
from calcgraph.errors import CaseError

FINDINGS = [
    "positive synovial fluid Gram stain",
    "calcium pyrophosphate crystals in synovial fluid",
    "acute monoarthritis",
    "chondrocalcinosis on imaging",
    "monosodium urate crystals in synovial fluid",
    "hypercalcaemia",
]


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def _cases(tmp_path: Path, n: int, bad: dict[int, str] | None = None) -> Path:
    lines = []
    for i in range(n):
        lines.append(json.dumps({"id": f"case-{i}", "present": [FINDINGS[i % len(FINDINGS)]]}))
    for at, text in sorted((bad or {}).items()):
        lines.insert(at, text)
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 7)  # many chunks in flight, so that reordering would show


def test_workers_keep_the_input_order_and_give_the_same_output(tmp_path: Path, small_chunks: None) -> None:
    cases = _cases(tmp_path, 60)
    one, three = tmp_path / "one.jsonl", tmp_path / "three.jsonl"
    r1 = invoke("diagnose", "--batch", str(cases), "--out", str(one), "--top", "2")
    r3 = invoke("diagnose", "--batch", str(cases), "--out", str(three), "--top", "2", "--workers", "3")
    assert r1.exit_code == 0 and r3.exit_code == 0, r3.stderr
    ids = [json.loads(x)["case"] for x in three.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"case-{i}" for i in range(60)]
    assert one.read_bytes() == three.read_bytes()
    assert "diagnosed 60 case(s)" in r3.stderr and "0 line(s) failed" in r3.stderr


@pytest.mark.parametrize("slot_bytes", [batch.SLOT_BYTES, 20_000])
def test_results_through_shared_memory_or_the_pipe_are_the_same(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch, slot_bytes: int
) -> None:
    """Workers leave a chunk's results in shared memory; a chunk too big for its slot goes through the pipe."""
    monkeypatch.setattr(batch, "SLOT_BYTES", slot_bytes)
    cases = _cases(tmp_path, 40, bad={5: "{oops"})
    job = batch.DiagnoseJob(top=10)
    one = [(o.line, o.value, o.error) for o in batch.run_batch(cases, job)]
    two = [(o.line, o.value, o.error) for o in batch.run_batch(cases, job, workers=2)]
    assert one == two and sum(e is not None for _, _, e in two) == 1
    assert all(type(v) is bytes for _, v, e in two if e is None)


def test_bad_lines_in_the_middle_are_reported_and_skipped(tmp_path: Path, small_chunks: None) -> None:
    cases = _cases(tmp_path, 30, bad={10: '{"id": "broken", ', 20: json.dumps({"id": "x", "present": ["nope!"]})})
    out = tmp_path / "out.jsonl"
    r = invoke("diagnose", "--batch", str(cases), "--out", str(out), "--workers", "2", "--top", "1")
    assert r.exit_code == CaseError.exit_code
    ids = [json.loads(x)["case"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert ids == [f"case-{i}" for i in range(30)]
    assert f"{cases}:11: invalid JSON" in r.stderr and f"{cases}:21: field 'present'" in r.stderr
    assert "diagnosed 30 case(s)" in r.stderr and "2 line(s) failed" in r.stderr
    assert "lines 11, 21" in r.stderr and "Traceback" not in r.stderr


def test_classes_in_a_batch_and_an_inconsistent_case(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"id": "pg", "present": ["calcium pyrophosphate crystals in synovial fluid", "acute monoarthritis"]}
        ),
        json.dumps(
            {"id": "bad", "present": ["chondrocalcinosis on radiograph"], "absent": ["chondrocalcinosis on imaging"]}
        ),
    ]
    cases = tmp_path / "c.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = invoke("diagnose", "--batch", str(cases), "--classes", "--workers", "2")
    assert r.exit_code == CaseError.exit_code
    (doc,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert "case suggestive of pseudogout" in {c["label"] for c in doc["classes"]}
    assert f"{cases}:2: the fast classifier: the case bad is inconsistent" in r.stderr


def test_out_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases(tmp_path, 20)
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    real = batch.DiagnoseJob.work

    def crash(self, case, where, line):  # type: ignore[no-untyped-def]
        if case.id == "case-15":
            raise RuntimeError("disk on fire")
        return real(self, case, where, line)

    monkeypatch.setattr(batch.DiagnoseJob, "work", crash)
    r = invoke("diagnose", "--batch", str(cases), "--out", str(out))
    assert r.exit_code != 0
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "out.jsonl"]
    monkeypatch.setattr(batch.DiagnoseJob, "work", real)
    assert invoke("diagnose", "--batch", str(cases), "--out", str(out)).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 20


def test_workers_need_a_batch() -> None:
    r = invoke("diagnose", "examples/gout.yaml", "--workers", "2")
    assert r.exit_code == 64 and "--workers goes with --batch" in r.stderr


def test_reading_is_lazy(tmp_path: Path) -> None:
    cases = _cases(tmp_path, 10)
    chunks = batch.read_chunks(cases, 3)
    first = next(chunks)
    assert [n for n, _ in first] == [1, 2, 3]
    assert sum(len(c) for c in chunks) == 7


@pytest.mark.parametrize("workers", [1, 2])
def test_blocks_hold_the_values_of_run_batch_each_followed_by_a_newline(
    tmp_path: Path, small_chunks: None, workers: int
) -> None:
    """``run_blocks`` (what ``diagnose --batch`` writes, a chunk at a time) and ``run_batch`` give the same lines,
    errors and values; a block held from shared memory is released when the next one is asked for."""
    cases = _cases(tmp_path, 40, bad={5: "{oops", 17: json.dumps({"id": "x", "present": ["nope!"]})})
    job = batch.DiagnoseJob(top=3)
    outcomes = list(batch.run_batch(cases, job, workers=workers))
    lines, errors, data, held = [], [], b"", []
    for block in batch.run_blocks(cases, job, workers=workers):
        assert block.data is not None and block.sizes is not None
        assert sum(s + 1 for s in block.sizes if s >= 0) == len(block.data)
        lines += block.lines
        errors += block.errors
        data += bytes(block.data)
        held.append(block.data)
        assert [(o.line, o.value, o.error) for o in block.outcomes()] == [
            (o.line, o.value, o.error) for o in outcomes[len(lines) - len(block.lines) : len(lines)]
        ]
    assert lines == [o.line for o in outcomes] and errors == [o.error for o in outcomes]
    assert sum(e is not None for e in errors) == 2
    assert data == b"".join(o.value + b"\n" for o in outcomes if o.error is None)
    if workers > 1:  # views of the slots: no stale read of a slot that took another chunk's results
        with pytest.raises(ValueError):
            bytes(held[0])


def test_the_parent_collects_its_objects_again_once_the_workers_are_forked(tmp_path: Path, small_chunks: None) -> None:
    """The parent's objects are frozen only while the workers fork (gc.freeze), also when the caller stops early."""
    import gc

    cases = _cases(tmp_path, 30)
    job = batch.DiagnoseJob(top=1, n_next=0)
    blocks = batch.run_blocks(cases, job, workers=2)
    next(blocks)
    assert gc.get_freeze_count() == 0
    blocks.close()
    assert len(list(batch.run_batch(cases, job, workers=2))) == 30
    assert gc.get_freeze_count() == 0
