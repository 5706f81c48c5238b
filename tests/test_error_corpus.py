"""Part 3 of #15: a corpus of bad inputs through every command — ontology edits (build, qc), query files and query
parameters (query), stores (query --store, load-cases --store), outputs that cannot be written (every command that
writes), bad options (export, draw, serve) — with no Python traceback and only exit codes that docs/errors.md
documents. The case-file classes (diagnose, classify, criteria, batches) are in tests/test_bad_input_corpus.py.

Each entry also names the exit code it must end with, so a regression to another documented code fails too."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from calcgraph import paths
from calcgraph.cli import main

ERRORS_MD = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
EDIT = paths.edit_file()


def documented_codes() -> set[int]:
    """The exit codes of docs/errors.md: its table's second column, 0, and 1 only where documented (--check)."""
    text = ERRORS_MD.read_text(encoding="utf-8")
    codes = {int(m[1]) for m in re.finditer(r"^\| `\w+` \| (\d+) \|", text, flags=re.MULTILINE)}
    return codes | {0, 2}


def _edit(mutate: Callable[[list[str]], list[str]]) -> Callable[[Path], bytes]:
    def make(_: Path) -> bytes:
        lines = EDIT.read_text(encoding="utf-8").split("\n")
        return "\n".join(mutate(lines)).encode("utf-8")

    return make


def _replace_first(old: str, new: str) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        assert old in text, old
        return text.replace(old, new, 1).split("\n")

    return mutate


def _append(extra: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [*lines, extra]


def _insert(at: int, extra: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [*lines[:at], extra, *lines[at:]]


#: The review's Test 3 (ontology edits): name -> (edit file bytes, expected exit code of build and qc).
ONTOLOGY: dict[str, tuple[Callable[[Path], bytes], int]] = {
    "syntax-missing-dot": (_edit(_replace_first(" .\n\nCALCGRAPH:0001005", "\n\nCALCGRAPH:0001005")), 3),
    "syntax-garbage-line": (_edit(_insert(2000, "this is garbage")), 3),
    "syntax-unterminated-string": (_edit(_append('CALCGRAPH:0001005 rdfs:comment "open .')), 3),
    "syntax-undeclared-prefix": (_edit(_append("CALCGRAPH:0001005 rdfs:seeAlso NOPE:x .")), 3),
    "duplicate-label": (_edit(_append('CALCGRAPH:0009998 a owl:Class ; rdfs:label "Pseudogout" .')), 4),
    "dangling-reference": (_edit(_append("CALCGRAPH:0001005 rdfs:subClassOf CALCGRAPH:0009999 .")), 4),
    "invalid-iri-space": (_edit(_append("CALCGRAPH:0001005 rdfs:seeAlso <http://exa mple.org/x> .")), 4),
    "invalid-iri-braces": (_edit(_append("CALCGRAPH:0001005 rdfs:seeAlso <http://example.org/{x}> .")), 4),
    "relative-iri": (_edit(_append("CALCGRAPH:0001005 rdfs:seeAlso <not-an-iri> .")), 3),
    "base-directive": (_edit(lambda lines: ["@base <x/> .", *lines, "CALCGRAPH:0001005 rdfs:seeAlso <y> ."]), 3),
    "ill-typed-literal": (_edit(_append('CALCGRAPH:0001005 rdfs:comment "abc"^^xsd:integer .')), 3),
    "nul-escape": (_edit(_append('CALCGRAPH:0001005 rdfs:comment "a\\u0000b" .')), 3),
    "vertical-tab": (_edit(_append('CALCGRAPH:0001005 rdfs:comment "a\x0bb" .')), 3),
    "truncated": (lambda _: EDIT.read_bytes()[: len(EDIT.read_bytes()) // 2], 3),
    "empty": (lambda _: b"", 3),  # the relation tables name classes it lacks
    "not-utf8": (lambda _: EDIT.read_bytes().replace(b"pseudogout", b"pseudog\xf6ut", 1), 3),
    "nul-byte": (lambda _: EDIT.read_bytes().replace(b"pseudogout", b"pseudo\x00gout", 1), 3),
    "deep-list": (_edit(_append("CALCGRAPH:0001005 rdfs:seeAlso " + "(" * 3000 + ")" * 3000 + " .")), 3),
}


def _run(args: list[str], **kwargs: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, **kwargs)  # type: ignore[arg-type]
    assert not (result.exception and not isinstance(result.exception, SystemExit)), (
        f"{args}: uncaught {type(result.exception).__name__}: {result.exception}"
    )
    output = result.output
    assert "Traceback" not in output, output[-2000:]
    assert result.exit_code in documented_codes(), f"{args}: undocumented exit code {result.exit_code}: {output}"
    return result.exit_code, output


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("errors")
    (d / "a-file").write_text("not a directory\n")
    (d / "templates").symlink_to(EDIT.parent / "templates")  # the relation tables beside every edit copy
    return d


def test_the_documented_codes_are_read_from_the_docs() -> None:
    assert {3, 4, 5, 30, 31, 32, 33, 50, 60, 64, 74} <= documented_codes()
    assert 1 not in documented_codes()  # 1 is a bug (an uncaught exception)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["build", "qc"])
@pytest.mark.parametrize("name", sorted(ONTOLOGY))
def test_every_bad_ontology_edit_is_a_documented_error(work: Path, command: str, name: str) -> None:
    make, expected = ONTOLOGY[name]
    src = work / f"{name}.ttl"
    src.write_bytes(make(work))
    out = work / f"out-{name}"
    args = ["build", "--source", str(src), "--out-dir", str(out)] if command == "build" else ["qc", str(src)]
    code, output = _run(args)
    assert code == expected, output
    assert output.startswith("error: "), output
    assert not out.exists() or not any(p.name.endswith((".owl", ".ttl")) for p in out.iterdir())


QUERY_FILES: dict[str, tuple[bytes, int]] = {
    "no-question.rq": (b"SELECT * WHERE { ?s ?p ?o }\n", 30),
    "syntax.rq": (b"# question: q\nSELECT * WHERE { ?s ?p \n", 30),
    "deep.rq": (b"# question: q\nSELECT * WHERE " + b"{" * 5000 + b" ?s ?p ?o " + b"}" * 5000 + b"\n", 30),
    "not-utf8.rq": (b"# question: q\xff\nSELECT * WHERE { ?s ?p ?o }\n", 30),
    "construct.rq": (b"# question: q\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }\n", 30),
    "bad-param-kind.rq": (b"# question: q\n# param: x (weird) = 1\nSELECT ?x WHERE { ?x ?p ?o }\n", 30),
    "empty.rq": (b"", 30),
}

PARAMS = ["<foo>", "http://[::1", "http://a b", "", "pseudogout\udcff", "x" * 10_000, "diseas=gout"]


@pytest.mark.parametrize("name", sorted(QUERY_FILES))
def test_every_bad_query_file_is_a_documented_error(work: Path, name: str) -> None:
    data, expected = QUERY_FILES[name]
    f = work / name
    f.write_bytes(data)
    code, output = _run(["query", str(f)])
    assert code == expected, output


@pytest.mark.parametrize("value", PARAMS, ids=[f"param{i}" for i in range(len(PARAMS))])
def test_every_bad_query_parameter_is_a_documented_error(value: str) -> None:
    query = str(paths.queries_dir() / "differentials.rq")
    arg = value if value.startswith("diseas=") else f"disease={value}"
    code, output = _run(["query", query, "--param", arg])
    assert code in {2, 31}, output


def test_stores_that_are_not_stores(work: Path) -> None:
    query = str(paths.queries_dir() / "cohort-cases-classified-as.rq")
    mine = work / "mine"
    mine.mkdir(exist_ok=True)
    (mine / "LOG").write_text("mine\n")
    empty = work / "empty-dir"
    empty.mkdir(exist_ok=True)
    cases = work / "cases.jsonl"
    cases.write_text('{"id": "a", "present": ["fever"]}\n')
    assert _run(["query", query, "--store", str(mine)])[0] == 64
    assert _run(["query", query, "--store", str(empty)])[0] == 64
    assert _run(["query", query, "--store", str(work / "missing")])[0] == 64
    assert _run(["query", query, "--store", str(work / "a-file")])[0] == 2  # click: not a directory
    assert _run(["load-cases", str(cases), "--store", str(mine)])[0] == 60
    assert _run(["load-cases", str(cases), "--store", str(work / "a-file")])[0] == 2
    assert _run(["load-cases", str(cases), "--store", str(work / "a-file" / "S")])[0] == 74
    assert _run(["load-cases", str(cases)])[0] == 64  # neither --store nor --endpoint
    assert _run(["load-cases", str(cases), "--endpoint", "ftp://x/"])[0] == 60
    assert _run(["load-cases", str(work / "missing.jsonl"), "--store", str(work / "S")])[0] in {2, 5}
    assert (mine / "LOG").read_text() == "mine\n" and sorted(p.name for p in mine.iterdir()) == ["LOG"]


def test_outputs_that_cannot_be_written(work: Path) -> None:
    """A path through a file (ENOTDIR) stands for every unwritable target: full disk, read-only, no permission."""
    blocked = work / "a-file"
    case = str(paths.project_root() / "examples" / "pseudogout.yaml")
    cases = work / "cases.jsonl"
    cases.write_text('{"id": "a", "present": ["fever"]}\n')
    assert _run(["diagnose", "--batch", str(cases), "--out", str(blocked / "R.jsonl")])[0] == 74
    assert _run(["export", "--format", "graphml", "--out", str(blocked / "x.graphml")])[0] == 50
    assert _run(["build", "--out-dir", str(blocked / "release")])[0] == 74
    code, output = _run(["diagnose", case, "--format", "phenopacket"], catch_exceptions=True)
    assert code == 0, output


def test_bad_options_of_the_other_commands(work: Path) -> None:
    assert _run(["export", "--format", "graphml", "--out", str(work / "x.graphml"), "--focus", "no such"])[0] == 2
    assert _run(["export", "--format", "svg", "--out", str(work / "x.svg")])[0] == 2  # click: not a choice
    assert _run(["export", "--format", "graphml", "--out", str(work / "y.graphml"), "--kinds", "nosuchkind"])[0] == 64
    assert _run(["export", "--format", "graphml", "--out", str(work / "z"), "--ontology", str(work / "a-file")])[0] == 3
    assert _run(["draw", "--out", str(work / "p.png")])[0] == 64  # none of --focus, --case, --docs
    assert _run(["draw", "--focus", "no such", "--out", str(work / "p.png")])[0] in {2, 51}  # 51: no viz extra
    assert _run(["draw", "--focus", "gout", "--out", str(work / "p.xyz")])[0] in {50, 51}
    assert _run(["diagnose", str(work / "a-file")])[0] == 5
    assert (
        _run(["query", "--endpoint", "http://127.0.0.1:9/query", str(paths.queries_dir() / "subclasses.rq")])[0] == 32
    )
    with socket.socket() as s:  # a port in use: serve refuses before starting anything
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert _run(["serve", "--port", str(s.getsockname()[1])])[0] == 33


def test_classify_skips_every_bad_line_of_a_jsonl_and_classifies_the_good_ones(tmp_path: Path) -> None:
    """Like diagnose --batch and load-cases (tests/test_bad_input_corpus.py): classify used to stop at the first bad
    line of a JSON Lines file."""
    import json

    from tests.test_bad_input_corpus import CORPUS

    lines = [json.dumps({"id": "good-1", "present": ["fever"]}).encode()]
    lines += [data for name, data in sorted(CORPUS.items()) if name.endswith(".json") and b"\n" not in data]
    lines.append(json.dumps({"id": "good-2", "present": ["knee involvement"]}).encode())
    src = tmp_path / "all.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(main, ["classify", str(src), "--format", "json"])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), repr(result.exception)
    assert result.exit_code == 5
    assert "Traceback" not in result.output
    assert re.search(rf"error: {re.escape(str(src))}: \d+ of \d+ line\(s\) skipped \(lines 2, 3, ", result.output)
    start = result.output.index("[\n")
    end = result.output.index("\n]\n", start) + 2
    ids = [r["case"] for r in json.loads(result.output[start:end])]
    assert ids[0] == "good-1" and ids[-1] == "good-2", ids
