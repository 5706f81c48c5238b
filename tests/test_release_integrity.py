"""Release files are written both-or-neither (review F1); bad terms in the edit file fail the build with their line
(F2 relative IRI, F3 ill-typed literal, F13 NUL/control characters); syntax errors name the right line (F18); QC
problems name the line of the offending statement (F19)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from calcgraph import build as b
from calcgraph import paths
from calcgraph.cli import main
from calcgraph.errors import OntologyQCError, OntologySourceError

EDIT = paths.edit_file()


def _release(tmp_path: Path) -> Path:
    out = tmp_path / "release"
    out.mkdir()
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        (out / name).write_bytes(b"old " + name.encode())
    return out


def _digest(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir() if not p.name.startswith(".")}


def _mutated(tmp_path: Path, line: int, new: str) -> tuple[Path, int]:
    lines = EDIT.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = new
    src = tmp_path / "edit.ttl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src, line


def _line_with(text: str, start: int = 1) -> int:
    lines = EDIT.read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, 1) if i >= start and text in ln)


# ------------------------------------------------------------------------------------------------ F1


def test_a_crash_between_the_two_renames_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _release(tmp_path)
    real = os.replace
    calls: list[str] = []

    def crash_after_first_release_rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name in {"calcgraph.owl", "calcgraph.ttl"}:
            calls.append(Path(dst).name)
            if len(calls) == 2:
                raise KeyboardInterrupt("killed between the renames")
        real(src, dst)

    monkeypatch.setattr(b.os, "replace", crash_after_first_release_rename)
    with pytest.raises(KeyboardInterrupt):
        b.build(EDIT, out)
    monkeypatch.setattr(b.os, "replace", real)
    assert (out / "calcgraph.owl").read_bytes() != b"old calcgraph.owl"  # torn on disk for the moment ...
    assert (out / "calcgraph.ttl").read_bytes() == b"old calcgraph.ttl"
    assert (out / b.JOURNAL).exists()
    assert b.stale_release_files(EDIT, out) == []  # ... and any reader first completes it
    assert not (out / b.JOURNAL).exists() and not list(out.glob(".*.release-tmp"))
    assert not b.build(EDIT, out).written


def test_a_reader_of_the_release_never_sees_a_torn_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between a crash and the next build, every command that reads the release (paths.release_owl/_ttl/_path)
    completes the interrupted renames first, so none reads a new .owl beside the old .ttl."""
    out = tmp_path / "home" / "ontology"
    out.mkdir(parents=True)
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        (out / name).write_bytes(b"old " + name.encode())
    new = {"calcgraph.owl": b"new owl", "calcgraph.ttl": b"new ttl"}
    real = os.replace

    def crash_at_the_second_rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == "calcgraph.ttl":
            raise KeyboardInterrupt("killed between the renames")
        real(src, dst)

    monkeypatch.setattr(b.os, "replace", crash_at_the_second_rename)
    with pytest.raises(KeyboardInterrupt):
        b.write_release(out, new)
    monkeypatch.setattr(b.os, "replace", real)
    assert (out / "calcgraph.owl").read_bytes() == b"new owl" and (
        out / "calcgraph.ttl"
    ).read_bytes() == b"old calcgraph.ttl"
    monkeypatch.setenv(paths.HOME_VARIABLE, str(tmp_path / "home"))
    assert paths.release_ttl().read_bytes() == b"new ttl"
    assert paths.release_owl().read_bytes() == b"new owl"
    assert not (out / b.JOURNAL).exists() and not list(out.glob(".*.release-tmp"))


def test_a_crash_before_the_commit_leaves_both_old_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _release(tmp_path)
    before = _digest(out)
    real_dump = b.json.dump

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(b.json, "dump", full_disk)
    with pytest.raises(OSError):
        b.build(EDIT, out)
    monkeypatch.setattr(b.json, "dump", real_dump)
    assert _digest(out) == before
    assert not list(out.glob(".*tmp*")) and not (out / b.JOURNAL).exists()


def test_uncommitted_temp_files_are_dropped(tmp_path: Path) -> None:
    out = _release(tmp_path)
    before = _digest(out)
    (out / ".calcgraph.owl.release-tmp").write_bytes(b"half")
    assert b.recover_release(out)
    assert _digest(out) == before and not list(out.glob(".*.release-tmp"))


# ------------------------------------------------------------------------------------------------ F2, F3, F13


def _fails_with(src: Path, out: Path, line: int, words: str) -> None:
    before = _digest(out)
    with pytest.raises(OntologySourceError) as info:
        b.build(src, out)
    assert info.value.line == line, str(info.value)
    assert words in str(info.value)
    r = CliRunner().invoke(main, ["build", "--source", str(src), "--out-dir", str(out)])
    assert r.exit_code == OntologySourceError.exit_code and "Traceback" not in r.output
    assert f"{src}:{line}:" in r.output, r.output
    assert _digest(out) == before


def test_a_relative_iri_fails_the_build(tmp_path: Path) -> None:
    n = _line_with("rdfs:subClassOf CALCGRAPH:0001003")
    old = EDIT.read_text(encoding="utf-8").splitlines()[n - 1]
    src, line = _mutated(tmp_path, n, old.replace("CALCGRAPH:0001003", "<not-an-iri>"))
    _fails_with(src, _release(tmp_path), line, "relative IRI <not-an-iri>")


def test_an_ill_typed_literal_fails_the_build(tmp_path: Path) -> None:
    n = _line_with('rdfs:comment "ACR/EULAR')
    old = EDIT.read_text(encoding="utf-8").splitlines()[n - 1]
    src, line = _mutated(tmp_path, n, old.split("rdfs:comment")[0] + 'rdfs:comment "abc"^^xsd:integer ;')
    _fails_with(src, _release(tmp_path), line, "not a valid integer")


@pytest.mark.parametrize("char", ["\\u0000", "\\u000B", "\\u0001"])
def test_a_control_character_fails_the_build_without_a_traceback(tmp_path: Path, char: str) -> None:
    n = _line_with('rdfs:comment "ACR/EULAR')
    old = EDIT.read_text(encoding="utf-8").splitlines()[n - 1]
    src, line = _mutated(tmp_path, n, old.replace("ACR/EULAR", f"ACR{char}EULAR"))
    _fails_with(src, _release(tmp_path), line, "control character")


# ------------------------------------------------------------------------------------------------ F18, F19


@pytest.mark.parametrize("at", [10, 1000, 3000, 6000])
def test_a_syntax_error_names_its_line(tmp_path: Path, at: int) -> None:
    lines = EDIT.read_text(encoding="utf-8").splitlines()
    while lines[at - 1].strip() and not lines[at - 1].rstrip().endswith("."):
        at += 1  # insert after a complete statement
    lines.insert(at, "this is not turtle .")
    src = tmp_path / "edit.ttl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(OntologySourceError) as info:
        b.parse_source(src)
    assert info.value.line == at + 1, str(info.value)


def test_a_syntax_error_after_multibyte_characters_names_its_line(tmp_path: Path) -> None:
    # accented names in citations (Linné, Jiménez) before a syntax error must not move the reported line
    src = tmp_path / "edit.ttl"
    src.write_text(
        '@prefix ex: <http://example.org/> .\nex:a ex:b "Linné, Jiménez, 5 μL" .\nthis is not turtle .\n',
        encoding="utf-8",
    )
    with pytest.raises(OntologySourceError) as info:
        b.parse_source(src)
    assert info.value.line == 3, str(info.value)


def test_qc_problems_name_the_line_of_the_statement(tmp_path: Path) -> None:
    n = _line_with('rdfs:label "gout"')
    text = EDIT.read_text(encoding="utf-8").replace('rdfs:label "gout"', 'rdfs:label "pseudogout"', 1)
    src = tmp_path / "edit.ttl"
    src.write_text(text, encoding="utf-8")
    out = _release(tmp_path)
    with pytest.raises(OntologyQCError) as info:
        b.build(src, out)
    (dup,) = [p for p in info.value.problems if "duplicate-label" in p]
    other = _line_with('rdfs:label "pseudogout"')
    first, second = sorted((n, other))
    assert dup.startswith(f"{src}:{first}: [duplicate-label]"), dup
    assert dup.endswith(f"(written at lines {first}, {second})"), dup
    shutil.rmtree(out)


@pytest.mark.parametrize(
    ("added", "rule"),
    [
        ("CALCGRAPH:0001005 rdfs:subClassOf CALCGRAPH:0009999 .", "dangling-reference"),
        ("CALCGRAPH:0001005 rdfs:seeAlso <http://exa mple.org/x> .", "invalid-iri"),
        ('CALCGRAPH:0001005 rdfs:label "a second label" .', "multiple-labels"),
    ],
)
def test_each_qc_problem_names_the_line_it_is_written_at(tmp_path: Path, added: str, rule: str) -> None:
    """F19: a dangling reference, an invalid IRI and a second label named no line (or the subject's first one)."""
    text = EDIT.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + added + "\n"
    src = tmp_path / "edit.ttl"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(OntologyQCError) as info:
        b.check(src)
    (problem,) = [p for p in info.value.problems if f"[{rule}]" in p]
    assert problem.startswith(f"{src}:{len(text.splitlines())}: [{rule}]"), problem


@pytest.mark.parametrize(
    ("text", "at", "token"),
    [
        ('ex:a ex:b "a biopsy." .\nthis is not turtle .\n', 20, "this"),  # rdflib points at the closing quote
        ("ex:a ex:b ex:c .\nthis is not turtle .\n", 16, "this"),  # ... or at the newline after the '.'
        ('ex:a ex:b "x" ;\n    ex:d this .\n', 15, "ex:d"),
        ("ex:a ex:b ex:c bad ex:e .\n", 15, "bad"),  # an error inside a line stays where it is
    ],
)
def test_a_syntax_error_is_placed_at_its_token_not_the_previous_statement(text: str, at: int, token: str) -> None:
    assert text[b._error_start(text, at) :].startswith(token)
