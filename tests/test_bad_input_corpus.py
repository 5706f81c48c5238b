"""A corpus of bad inputs — every input class of the reliability review's Test 1 — through every command that reads
a case: no traceback, and only documented exit codes (docs/errors.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from calcgraph.cli import main

#: Exit codes a case-reading command may end with: success, unknown term, bad case, file-system error (docs/errors.md).
DOCUMENTED = {0, 2, 5, 74}

DEEP = "[" * 6000 + "]" * 6000
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

#: name -> file content (bytes), one per input class of the review.
CORPUS: dict[str, bytes] = {
    "empty.yaml": b"",
    "empty.json": b"",
    "garbage.json": bytes(range(256)),
    "deep.json": DEEP.encode(),
    "deep-in-note.json": ('{"id": "a", "note": ' + DEEP + "}").encode(),
    "deep.yaml": DEEP.encode(),
    "deep-block.yaml": "".join("  " * i + "- \n" for i in range(3000)).encode(),
    "laughs-note.yaml": (LAUGHS + "id: x\n").encode(),
    "laughs-present.yaml": (LAUGHS + "id: x\npresent: *i\n").encode(),
    "present5.yaml": b"id: a\npresent: 5\n",
    "age-old.yaml": b"id: a\nage: old\n",
    "age-neg.yaml": b"id: a\nage: -3\n",
    "age-1e309.json": b'{"id": "a", "age": 1e309}',
    "age-nan.json": b'{"id": "a", "age": NaN}',
    "age-bigint.json": b'{"id": "a", "age": ' + b"9" * 5000 + b"}",
    "age-bigint.yaml": b"id: a\nage: " + b"9" * 5000 + b"\n",
    "id-bigint.json": b'{"id": ' + b"9" * 5000 + b"}",
    "id-list.yaml": b"id: [a]\n",
    "sex-list.yaml": b"id: a\nsex: [male]\n",
    "present-nested.yaml": b"id: a\npresent: [[fever]]\n",
    "present-null-item.yaml": b"id: a\npresent: [null]\n",
    "toplevel-list.yaml": b"- a\n",
    "mixed-keys.yaml": b"id: a\n1: x\nfoo: y\n",
    "null-key.yaml": b"id: a\n~: x\n",
    "dup-keys.yaml": b"id: a\npresent: [fever]\npresent: [knee involvement]\n",
    "dup-keys.json": b'{"id": "a", "present": ["fever"], "present": ["knee involvement"]}',
    "both.yaml": b"id: a\npresent: [fever]\nabsent: [fever]\n",
    "age-both.yaml": b"id: a\nage: 70\nabsent: [age over 60 years]\n",
    "nonutf8.yaml": b"id: caf\xe9\n",
    "utf16.json": '{"id": "a"}'.encode("utf-16"),
    "surrogate-id.json": b'{"id": "\\ud800"}',
    "surrogate-id.yaml": b'id: "\\ud800"\n',
    "python-tag.yaml": b"id: !!python/object/apply:os.system [echo]\n",
    "tab.yaml": b"id: a\n\tpresent: []\n",
    "multidoc.yaml": b"id: a\n---\nid: b\n",
    "huge-name.yaml": b"id: a\npresent: [" + b"y" * 5_000_000 + b"]\n",
    "pp-sex-list.json": json.dumps(
        {"id": "p", "subject": {"id": "s", "sex": ["MALE"]}, "phenotypicFeatures": [{"type": {"id": "HP:0001945"}}]}
    ).encode(),
    "pp-age.json": json.dumps(
        {
            "id": "p",
            "subject": {"id": "s", "timeAtLastEncounter": {"age": {"iso8601duration": "P999999Y"}}},
            "phenotypicFeatures": [{"type": {"id": "HP:0001945"}}],
        }
    ).encode(),
    "pp-bad-type.json": b'{"id": "p", "phenotypicFeatures": [{"type": 5}]}',
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    for name, data in CORPUS.items():
        (d / name).write_bytes(data)
    return d


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        f"{args}: {type(result.exception).__name__}: {result.exception}"
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["diagnose", "classify", "criteria"])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_bad_case_file_is_a_documented_error(corpus: Path, command: str, name: str) -> None:
    code, output = _run([command, str(corpus / name)])
    assert code in DOCUMENTED, output[:500]
    assert "Traceback" not in output
    assert len(output) < 5000  # a 5 MB name is never echoed back


@pytest.mark.parametrize("command", [["diagnose", "--batch"], ["load-cases"]])
def test_a_jsonl_of_every_bad_record_keeps_its_good_lines(corpus: Path, tmp_path: Path, command: list[str]) -> None:
    lines = [json.dumps({"id": "good-1", "present": ["fever"]}).encode()]
    for name, data in sorted(CORPUS.items()):
        if name.endswith(".json") and b"\n" not in data:
            lines.append(data)
    lines.append(json.dumps({"id": "good-2", "present": ["knee involvement"]}).encode())
    src = tmp_path / "all.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / ("out.jsonl" if command[0] == "diagnose" else "store")
    extra = ["--out", str(out)] if command[0] == "diagnose" else ["--store", str(out)]
    code, output = _run([*command, str(src), *extra])
    assert code in DOCUMENTED, output[:500]
    assert "Traceback" not in output
    if command[0] == "diagnose":
        assert len(out.read_text(encoding="utf-8").splitlines()) == 2  # both good lines, nothing else
