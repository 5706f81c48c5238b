"""The command line renders errors as one or two lines with distinct exit codes; --debug shows the traceback."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from click.testing import CliRunner

from calcgraph import errors
from calcgraph.cli import main


def test_error_is_short_and_debug_shows_traceback(tmp_path: Path) -> None:
    src = tmp_path / "bad.ttl"
    src.write_text("@prefix a: <http://x/> .\na:b a:c ;; .\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--source", str(src), "--out-dir", str(tmp_path)])
    assert result.exit_code == errors.OntologySourceError.exit_code
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2
    assert lines[0].startswith(f"error: {src}:2:")
    assert not list(tmp_path.glob("calcgraph.*"))

    debug = CliRunner().invoke(main, ["--debug", "build", "--source", str(src), "--out-dir", str(tmp_path)])
    assert isinstance(debug.exception, errors.OntologySourceError)


def test_each_error_type_has_a_distinct_exit_code() -> None:
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, errors.CalcgraphError) and c is not errors.CalcgraphError
    ]
    by_code: dict[int, list[str]] = {}
    for c in classes:
        by_code.setdefault(c.exit_code, []).append(c.__name__)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert shared == {}, f"error types share exit codes: {shared}"
    assert all(c.exit_code not in (0, 1) for c in classes)


def test_errors_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    for _, c in inspect.getmembers(errors, inspect.isclass):
        if issubclass(c, errors.CalcgraphError) and c is not errors.CalcgraphError:
            assert re.search(rf"\|\s*`{c.__name__}`\s*\|\s*{c.exit_code}\s*\|", doc), (
                f"{c.__name__} not in docs/errors.md"
            )
