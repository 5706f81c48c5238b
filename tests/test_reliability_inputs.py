"""Reliability of the input side (review findings F4, F8, F9, F10): every bad line is reported and skipped, every
good line is processed in order, a killed worker never hangs a batch, and no parser error escapes as a traceback."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calcgraph.batch import DiagnoseJob, Outcome, run_batch
from calcgraph.cases import load_case_file, suggest
from calcgraph.errors import CaseError, UnknownTermError

CG = [str(Path(sys.executable).parent / "calcgraph")]


def _good(i: int) -> str:
    return json.dumps({"id": f"g{i}", "present": ["acute monoarthritis", "knee involvement"]})


#: One line of each class of malformed input the reliability review used (F9), with a word its error must name.
BAD_LINES = {
    "deep nesting": ('{"id": "x", "present": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"),
    "5,000-digit integer": ('{"id": "x", "age": ' + "9" * 5000 + "}", "invalid JSON value"),
    "lone surrogate": ('{"id": "x", "present": ["\\ud800"]}', "surrogate"),
    "duplicate key": ('{"id": "x", "present": ["fever"], "present": ["knee involvement"]}', "duplicate key"),
    "not JSON": ("{oops", "invalid JSON"),
    "huge unknown name": (json.dumps({"id": "x", "present": ["y" * 2_000_000]}), "larger than"),
    "a list": ("[1, 2]", "mapping"),
}


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int], list[int]]:
    """Good lines interleaved with one line of every bad class (and a latin-1 byte)."""
    lines: list[bytes] = []
    good: list[int] = []
    bad: list[int] = []
    for i, (text, _) in enumerate(BAD_LINES.values()):
        lines.append(_good(i).encode())
        good.append(len(lines))
        lines.append(text.encode("utf-8"))
        bad.append(len(lines))
    lines.append('{"id": "caf\xe9", "present": ["fever"]}'.encode("latin-1"))
    bad.append(len(lines))
    lines.append(_good(99).encode())
    good.append(len(lines))
    path = tmp_path_factory.mktemp("batch") / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, good, bad


@pytest.mark.parametrize("workers", [1, 2])
def test_f9_every_bad_line_is_reported_and_every_good_line_kept_in_order(mixed_file, workers: int) -> None:
    path, good, bad = mixed_file
    outcomes = list(run_batch(path, DiagnoseJob(top=1, n_next=0), workers=workers, chunk=3))
    assert [o.line for o in outcomes] == sorted(good + bad)
    assert [o.line for o in outcomes if o.error is None] == good
    errors = {o.line: o.error for o in outcomes if o.error is not None}
    assert sorted(errors) == bad
    for (_, word), line in zip(BAD_LINES.values(), bad, strict=False):
        assert f"{path}:{line}" in str(errors[line]) and word in str(errors[line])
    assert "not UTF-8" in str(errors[bad[-1]])
    assert all(len(str(e)) < 600 for e in errors.values())  # a 2 MB name is never echoed back


class _KillerJob(DiagnoseJob):
    """Kills the worker process that gets line ``victim`` (only in a worker: the parent survives)."""

    def __init__(self, victim: int, parent: int) -> None:
        super().__init__(top=1, n_next=0)
        self.victim, self.parent = victim, parent

    def run_chunk(self, path: str, chunk: list[tuple[int, str]]) -> list[Outcome]:
        if os.getpid() != self.parent and any(n == self.victim for n, _ in chunk):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().run_chunk(path, chunk)


def test_f8_a_killed_worker_never_hangs_the_batch_and_loses_no_line(tmp_path: Path, capfd: Any) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(_good(i) + "\n" for i in range(60)), encoding="utf-8")
    outcomes = list(run_batch(path, _KillerJob(victim=25, parent=os.getpid()), workers=2, chunk=5))
    assert [o.line for o in outcomes] == list(range(1, 61))
    assert all(o.error is None for o in outcomes)
    err = capfd.readouterr().err
    assert "a batch worker died" in err and "held (lines " in err


def test_f8_cli_batch_with_a_killed_worker_ends(tmp_path: Path) -> None:
    """The whole command, with a worker killed from outside while it runs, ends (no hang) with every line done."""
    path = tmp_path / "many.jsonl"
    n = 6000
    path.write_text("".join(_good(i) + "\n" for i in range(n)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [*CG, "diagnose", "--batch", str(path), "--workers", "2", "--out", str(out), "--top", "1", "--next-tests", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    for _ in range(600):  # up to 60 s for a worker to appear
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            break
        if children:
            os.kill(int(children[0]), signal.SIGKILL)
            killed = True
            break
        if proc.poll() is not None:
            break
        import time

        time.sleep(0.1)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert len(out.read_text(encoding="utf-8").splitlines()) == n
    if killed:
        assert "a batch worker died" in err or "Traceback" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("dup.yaml", "id: a\npresent: [fever]\npresent: [knee involvement]\n", r"dup\.yaml:3:1: duplicate key"),
        ("dup.json", '{"id": "a", "present": ["fever"], "present": []}', "duplicate key 'present'"),
        ("mixed.yaml", "id: a\n1: x\nfoo: y\n", "not text"),
        ("deep.json", "[" * 10000 + "]" * 10000, "nested deeper"),
        ("deep.yaml", "[" * 10000 + "]" * 10000, "nested deeper|invalid YAML"),
        ("bigint.json", '{"id": "a", "age": ' + "1" * 5000 + "}", "invalid JSON value"),
        ("surrogate.json", '{"id": "a", "present": ["\\udc00"]}', "surrogate"),
        ("binary.yaml", "id: a\npresent: !!binary aGVsbG8=\n", "not case data"),
        ("key.yaml", "? [a, b]\n: c\n", "key must be text"),
        ("age.yaml", "id: a\nage: 70\nabsent: [age over 60 years]\n", "contradicts the absent finding"),
        ("sex.yaml", "id: a\nsex: male\nabsent: [male sex]\n", "contradicts the absent finding"),
    ],
)
def test_f4_f9_bad_case_files_are_documented_errors(
    tmp_path: Path, release_index: Any, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError, match=message):
        load_case_file(path, release_index)


def test_f10_suggestions_for_a_huge_name_are_bounded() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    suggest("x" * 50_000_000, ["fever", "acute monoarthritis", "knee involvement"] * 30)
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew_kb < 200_000  # a 50 MB name once took 2.2 GB in difflib
    err = UnknownTermError("y" * 10_000, "finding", [])
    assert len(str(err)) < 200


@pytest.fixture(scope="module")
def release_index() -> Any:
    from calcgraph.api import load

    return load().index


@pytest.mark.parametrize(
    "args",
    [
        ["diagnose", "--batch", "{cases}", "--out", "{file}/out.jsonl"],
        ["build", "--out-dir", "{file}/release"],
        ["reason", "--output", "{file}/inferred.owl"],
        ["load-cases", "{cases}", "--store", "{file}/store"],
    ],
    ids=["batch-out", "build", "reason", "load-cases"],
)
def test_f12_an_unwritable_target_is_a_documented_error(tmp_path: Path, args: list[str]) -> None:
    """A path through a file (ENOTDIR / EEXIST) stands for every OSError: full disk, read-only, no permission."""
    cases = tmp_path / "c.jsonl"
    cases.write_text(_good(1) + "\n", encoding="utf-8")
    blocker = tmp_path / "afile"
    blocker.write_text("keep me", encoding="utf-8")
    argv = [a.format(cases=cases, file=blocker) for a in args]
    r = subprocess.run([*CG, *argv], capture_output=True, text=True, timeout=300)
    assert r.returncode == 74, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.startswith("error: ")
    assert blocker.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("value", ["<foo>", "http://[::1", "<http://exa mple.org/>"])
def test_f14_bad_iri_parameters_exit_31(value: str) -> None:
    r = subprocess.run([*CG, "query", "differentials", "--param", f"disease={value}"], capture_output=True, timeout=120)
    assert r.returncode == 31, r.stderr
    assert b"Traceback" not in r.stderr


def test_f14_non_utf8_parameter_exits_31() -> None:
    argv: list[str | bytes] = [CG[0], "query", "differentials", "--param", b"disease=\xff\xfe"]
    r = subprocess.run(argv, capture_output=True, timeout=120)
    assert r.returncode == 31, r.stderr
    assert b"not UTF-8" in r.stderr


@pytest.mark.parametrize("age", ["P999999Y", "P" + "9" * 400 + "Y"])
def test_f19_phenopacket_age_is_range_checked(release_index: Any, age: str) -> None:
    from calcgraph.cases import parse_case_dict

    pp = {
        "id": "p1",
        "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": age}}},
        "phenotypicFeatures": [{"type": {"id": "HP:0001945", "label": "Fever"}}],
        "metaData": {"created": "2024-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
    }
    with pytest.raises(CaseError, match=r"not an age in years \(0-130\)"):
        parse_case_dict(pp, release_index, "p1.json")
