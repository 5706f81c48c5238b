"""The generated figure tables of the docs (``calcgraph.doctables``, ``make docs``) match the relation tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcgraph import doctables
from calcgraph.tables import COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def test_docs_tables_match_the_relation_tables() -> None:
    stale = doctables.stale_files(ROOT)
    assert not stale, (
        f"{', '.join(str(p.relative_to(ROOT)) for p in stale)}: the generated relation tables are out of date with "
        "ontology/templates/relations-*.tsv; run `make docs`"
    )


def test_every_generated_table_is_in_the_docs() -> None:
    text = (ROOT / "docs" / "diagnosis.md").read_text(encoding="utf-8")
    for name in doctables.TABLES:
        assert f"<!-- relations-table:start {name} -->" in text
        assert f"<!-- relations-table:end {name} -->" in text


def test_every_relation_row_is_listed_once() -> None:
    """The skin table and the two joint tables together list each row of the relation tables exactly once."""
    templates = ROOT / "ontology" / "templates"
    for tsv, names in (("relations-skin.tsv", ["skin"]), ("relations-joint.tsv", ["joint", "joint-other"])):
        listed = [doctables.table_line(r) for n in names for r in doctables.TABLES[n].rows(templates)]
        rows = (templates / tsv).read_text(encoding="utf-8").strip("\n").split("\n")[1:]
        assert len(listed) == len(rows) == len(set(listed)), tsv


def _templates(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    templates = tmp_path / "ontology" / "templates"
    templates.mkdir(parents=True)
    lines = ["\t".join(COLUMNS)] + ["\t".join(r.get(c, "") for c in COLUMNS) for r in rows]
    (templates / "relations-skin.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return templates


ROWS = [
    {"finding": "b finding", "relation": "is typical of", "disease": "zeta", "status": "no published figure",
     "source": "PMID:1", "comment": "searched | nothing"},
    {"finding": "a finding", "relation": "is typical of", "disease": "zeta", "status": "sourced", "frequency": "0.4",
     "n": "20", "source": "PMID:2", "comment": "c" * 200},
    {"finding": "c finding", "relation": "argues against", "disease": "alpha", "status": "sourced",
     "frequency_class": "HP:0040285", "source": "PMID:3", "evidence": "the source's words"},
]  # fmt: skip

PAGE = """# Page

## Skin figures

9 of 99 skin relations carry a sourced figure (9 %); the other 90 are marked `no published figure`. More text.

<!-- relations-table:start skin -->
| stale |
<!-- relations-table:end skin -->

After.
"""


def test_render_writes_rows_and_counts(tmp_path: Path) -> None:
    out = doctables.render(PAGE, _templates(tmp_path, ROWS))
    assert "2 of 3 skin relations carry a sourced figure (67 %); the other 1 are marked" in out
    assert "| stale |" not in out
    table = out.split("<!-- relations-table:start skin -->\n")[1].split("\n<!-- relations-table:end skin -->")[0]
    lines = table.split("\n")
    assert lines[:2] == list(doctables.HEADER)
    # sourced rows first, each group by disease then finding; the figure and source only for sourced rows
    assert lines[2] == "| c finding | argues against | alpha | excluded | PMID:3 | the source's words |"
    assert lines[3] == f"| a finding | is typical of | zeta | 0.4 (n=20) | PMID:2 | {'c' * 150}... |"
    assert lines[4] == "| b finding | is typical of | zeta | default | - | searched / nothing |"
    assert out.endswith("<!-- relations-table:end skin -->\n\nAfter.\n")
    assert doctables.render(out, tmp_path / "ontology" / "templates") == out


def test_check_and_write(tmp_path: Path) -> None:
    _templates(tmp_path, ROWS)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    assert doctables.main(["--root", str(tmp_path), "--check"]) == 1
    assert page.read_text(encoding="utf-8") == PAGE
    assert doctables.main(["--root", str(tmp_path)]) == 0
    assert doctables.stale_files(tmp_path) == []
    assert doctables.main(["--root", str(tmp_path), "--check"]) == 0


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (PAGE.replace("start skin", "start lungs"), "unknown relations table 'lungs'"),
        (PAGE.replace("<!-- relations-table:end skin -->", ""), "no '<!-- relations-table:end skin -->' line"),
        (PAGE.replace("carry a sourced figure", "have figures"), "no 'N of M"),
    ],
)
def test_bad_markers_are_errors(tmp_path: Path, page: str, message: str) -> None:
    with pytest.raises(doctables.DocTablesError, match=message):
        doctables.render(page, _templates(tmp_path, ROWS))


def test_unreviewed_rows_contradict_the_text(tmp_path: Path) -> None:
    rows = [*ROWS, {**ROWS[0], "finding": "d finding", "status": "unreviewed"}]
    page = PAGE.replace("More text.", "No skin row is left `unreviewed`.")
    with pytest.raises(doctables.DocTablesError, match="unreviewed"):
        doctables.render(page, _templates(tmp_path, rows))
