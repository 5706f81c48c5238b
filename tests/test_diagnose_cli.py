"""``calcgraph diagnose`` and ``calcgraph criteria`` on the command line: shapes, errors, batches."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calcgraph import errors
from calcgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_diagnose_json_shape() -> None:
    r = invoke("diagnose", str(EXAMPLES / "pseudogout.yaml"), "--format", "json", "--top", "3", "--no-classes")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    keys = ["case", "differential", "proven", "proven_note", "families", "fit", "next_tests", "unused_terms"]
    assert list(out) == keys
    assert out["unused_terms"] == []
    assert out["case"] == "pseudogout"
    assert len(out["differential"]) == 3
    first = out["differential"][0]
    assert list(first) == ["rank", "id", "label", "score", "probability", "for", "against"]
    assert (first["rank"], first["label"]) == (1, "pseudogout")
    assert isinstance(out["next_tests"], list)


def test_diagnose_table_and_phenopacket() -> None:
    r = invoke("diagnose", str(EXAMPLES / "pseudogout.phenopacket.json"), "--no-classes")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    header = next(k for k, line in enumerate(lines) if line.lstrip().startswith("rank"))
    assert "pseudogout" in lines[header + 1]
    assert lines[1].startswith("proven: calcium pyrophosphate deposition disease")  # CPP crystals prove CPPD
    assert "next tests" in r.stdout


def test_unknown_finding_exits_2_with_suggestion(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("id: c\npresent: [chondrocalcinosis on imagng]\n", encoding="utf-8")
    r = invoke("diagnose", str(case), "--no-classes")
    assert r.exit_code == errors.UnknownTermError.exit_code == 2
    assert "chondrocalcinosis on imagng" in r.stderr
    assert "did you mean" in r.stderr and "'chondrocalcinosis on imaging'" in r.stderr
    assert "Traceback" not in r.output


def test_malformed_case_names_file_and_field(tmp_path: Path) -> None:
    case = tmp_path / "bad.yaml"
    case.write_text("id: c\nage: old\npresent: [fever]\n", encoding="utf-8")
    r = invoke("diagnose", str(case), "--no-classes")
    assert r.exit_code == errors.CaseError.exit_code
    assert str(case) in r.stderr and "field 'age'" in r.stderr
    assert "Traceback" not in r.output


def test_case_or_batch_is_required() -> None:
    assert invoke("diagnose").exit_code == errors.UsageError.exit_code
    assert invoke("diagnose", "a.yaml", "--batch", "b.jsonl").exit_code == errors.UsageError.exit_code


def test_batch_skips_a_bad_line_in_the_middle_and_reports_it(tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    lines = [
        json.dumps({"id": "a", "present": ["positive synovial fluid Gram stain"]}),
        '{"id": "broken", "present": [',
        json.dumps({"id": "b", "present": ["no such finding at all"]}),
        json.dumps({"id": "c", "age": 80, "present": ["calcium pyrophosphate crystals in synovial fluid"]}),
    ]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = invoke("diagnose", "--batch", str(batch), "--out", str(out), "--top", "2")
    assert r.exit_code == errors.CaseError.exit_code
    results = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["case"] for x in results] == ["a", "c"]
    assert results[0]["differential"][0]["label"] == "septic arthritis"
    assert f"{batch}:2" in r.stderr and f"{batch}:3" in r.stderr
    assert "diagnosed 2 case(s)" in r.stderr and "2 line(s) failed" in r.stderr
    assert "Traceback" not in r.output


def test_batch_to_stdout(tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps({"id": "a", "present": ["fever"]}) + "\n\n", encoding="utf-8")
    r = invoke("diagnose", "--batch", str(batch))
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["case"] for x in r.stdout.splitlines()] == ["a"]


def test_classes_requested_without_the_reasoner_module_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "calcgraph.reason" else real_find_spec(name, *a)
    )
    r = invoke("diagnose", str(EXAMPLES / "gout.yaml"), "--classes")
    assert r.exit_code == errors.UsageError.exit_code
    assert "calcgraph.reason" in r.stderr
    auto = invoke("diagnose", str(EXAMPLES / "gout.yaml"), "--format", "json")
    assert auto.exit_code == 0 and "classes" not in json.loads(auto.stdout)


def test_criteria_command_json_and_text() -> None:
    r = invoke("criteria", str(EXAMPLES / "pseudogout.yaml"), "--format", "json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["classification"] == "CPPD disease"
    assert [d["domain"] for d in report["domains"]] == list("ABCDEFGH")
    t = invoke("criteria", str(EXAMPLES / "pseudo-osteoarthritis-with-acute-attacks.yaml"))
    assert t.exit_code == 0, t.output
    assert "classification: undecided" in t.stdout and "NOT SCORED" in t.stdout


@pytest.mark.java
def test_classes_from_the_reasoner_appear_alongside_the_ranking() -> None:
    from calcgraph.cli.diagnose import reasoner_status

    why = reasoner_status()
    if why is not None:
        pytest.skip(why)
    r = invoke("diagnose", str(EXAMPLES / "pseudogout.yaml"), "--format", "json", "--top", "2", "--classes")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert list(out)[:3] == ["case", "differential", "proven"]
    assert out["classes"] and all({"id", "label"} <= set(c) for c in out["classes"])
