"""Generated blocks of the documentation: the per-disease figure tables of the relation tables.

``docs/diagnosis.md`` lists every row of ``ontology/templates/relations-{skin,joint}.tsv`` with its figure, source
and a shortened comment. Those tables are generated, never edited by hand: each sits between two markers ::

    <!-- relations-table:start joint -->
    | finding | relation | disease | figure | source | why |
    ...
    <!-- relations-table:end joint -->

and the count sentence of the paragraph before it (``N of M ... carry a sourced figure[ (P %)]; the other K are
marked``) is rewritten with the table's counts. ``make docs`` (``python -m calcgraph.doctables``) rewrites every
block of ``README.md`` and ``docs/*.md``; ``python -m calcgraph.doctables --check`` writes nothing and exits 1 when a
block is out of date (``tests/test_doctables.py`` does the same). :data:`TABLES` names the tables a marker can ask
for; :func:`replace_block` is the marker-replacement that ``make validate`` also uses for the README's summary.

Rows are listed sourced first, then the others; the figure column is the sensitivity and specificity, the
likelihood ratios and the frequency a row gives (its HPO frequency class when it gives only words), with ``n``;
``default`` for a row without a sourced figure (the scorer's documented default applies).

>>> row = {"status": "sourced", "sensitivity": "0.85", "specificity": "0.87", "n": "40"}
>>> figure_cell(row)
'sens 0.85, spec 0.87 (n=40)'
>>> figure_cell({"status": "sourced", "frequency_class": "HP:0040282"})
'frequent'
>>> figure_cell({"status": "no published figure", "frequency": "0.3"})
'default'
>>> shorten("x" * 151)[-6:], len(shorten("x" * 151)), shorten("short | text")
('xxx...', 153, 'short / text')
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from calcgraph import paths
from calcgraph.errors import CalcgraphError
from calcgraph.tables import read_table

#: Words of the HPO frequency classes, as the tables print them.
FREQUENCY_WORDS: Mapping[str, str] = {
    "HP:0040280": "obligate",
    "HP:0040281": "very frequent",
    "HP:0040282": "frequent",
    "HP:0040283": "occasional",
    "HP:0040284": "very rare",
    "HP:0040285": "excluded",
}
HEADER = ("| finding | relation | disease | figure | source | why |", "|---|---|---|---|---|---|")
#: Longest comment kept in the ``why`` column (longer ones are cut there and end in ``...``).
WHY_LENGTH = 150

_CPPD = "calcium pyrophosphate deposition disease"
#: Diseases of the joint differential table (the CPPD subtypes and the non-crystal differentials of CPPD).
JOINT_DIFFERENTIALS = frozenset(
    {
        "osteoarthritis",
        "rheumatoid arthritis",
        "polymyalgia rheumatica",
        "neuropathic arthropathy",
        "crowned dens syndrome",
        "asymptomatic CPPD",
        "pseudo-rheumatoid CPPD",
        "pseudo-osteoarthritis",
        "pseudo-osteoarthritis with acute attacks",
        "pseudo-osteoarthritis without acute attacks",
        "pseudo-neuropathic CPPD",
        "tophaceous CPPD",
    }
)

Record = Mapping[str, str]


class DocTablesError(ValueError):
    """A marker block that cannot be written: unknown table, unpaired marker, missing count sentence."""


def figure_cell(row: Record) -> str:
    """The ``figure`` column of one row: its sourced figures, or ``default``."""
    if row.get("status") != "sourced":
        return "default"

    def pair(a: str, b: str, label_a: str, label_b: str) -> str:
        return ", ".join(x for x in (row.get(a) and f"{label_a} {row[a]}", row.get(b) and f"{label_b} {row[b]}") if x)

    parts = [
        p
        for p in (
            pair("sensitivity", "specificity", "sens", "spec"),
            pair("lr_positive", "lr_negative", "LR+", "LR-"),
            row.get("frequency", ""),
        )
        if p
    ]
    if not parts and row.get("frequency_class"):
        parts.append(FREQUENCY_WORDS.get(row["frequency_class"], row["frequency_class"]))
    out = "; ".join(parts)
    return out + (f" (n={row['n']})" if row.get("n") else "")


def shorten(text: str, length: int = WHY_LENGTH) -> str:
    """``text`` cut after ``length`` characters (then ``...``), with ``|`` made ``/`` so it stays one table cell."""
    cut = text if len(text) <= length else text[:length] + "..."
    return cut.replace("|", "/")


def table_line(row: Record) -> str:
    """One Markdown table line: finding, relation, disease, figure, source (sourced rows only), why."""
    source = (row.get("source") or "-") if row.get("status") == "sourced" else "-"
    why = shorten(row.get("comment") or row.get("evidence") or "")
    return f"| {row['finding']} | {row['relation']} | {row['disease']} | {figure_cell(row)} | {source} | {why} |"


@dataclass(frozen=True)
class TableSpec:
    """A generated table: the relation table it reads, which rows and in which order (sourced rows first)."""

    name: str
    tsv: str
    select: Callable[[Record], bool]
    order: Callable[[Record], tuple[object, ...]] | None = None

    def rows(self, templates: Path) -> list[Record]:
        """The selected rows of ``templates/<tsv>``, sourced first, each group in :attr:`order` (stable)."""
        rows: list[Record] = [dict(r.values) for r in read_table(templates / self.tsv)]
        chosen = [r for r in rows if self.select(r)]
        if self.order is not None:
            chosen = sorted(chosen, key=self.order)
        return [r for r in chosen if r["status"] == "sourced"] + [r for r in chosen if r["status"] != "sourced"]


def _joint_differential(row: Record) -> bool:
    crystal_row = "crystals" in row["finding"] or "chondrocalcinosis" in row["finding"]
    return row["disease"] in JOINT_DIFFERENTIALS or (row["disease"] == _CPPD and not crystal_row)


#: The tables a ``relations-table`` marker can name.
TABLES: Mapping[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("skin", "relations-skin.tsv", lambda r: True, lambda r: (r["disease"].lower(), r["finding"].lower())),
        # the CPPD differentials and subtypes, then the non-crystal rows of the CPPD umbrella, in table order
        TableSpec("joint", "relations-joint.tsv", _joint_differential, lambda r: (r["disease"] == _CPPD,)),
        # the rest of the joint table: septic arthritis, gout, pseudogout, fracture, meningitis, CPPD crystal rows
        TableSpec("joint-other", "relations-joint.tsv", lambda r: not _joint_differential(r)),
    )
}

_START = re.compile(r"^<!-- relations-table:start (?P<name>[\w-]+) -->$", re.M)
_COUNTS = re.compile(
    r"(?P<s>\d+) of (?P<n>\d+) (?P<what>[^;]*?)carry a sourced figure(?P<pct> \(\d+ %\))?; the other (?P<o>\d+) are "
    r"marked"
)


def replace_block(text: str, start: str, end: str, body: str) -> str:
    """``text`` with the lines between the line starting with ``start`` and the line ``end`` replaced by ``body``.

    >>> page = "a\\n<!-- x:start note -->\\nold\\n<!-- x:end -->\\nb\\n"
    >>> replace_block(page, "<!-- x:start", "<!-- x:end -->", "new")
    'a\\n<!-- x:start note -->\\nnew\\n<!-- x:end -->\\nb\\n'
    """
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(start)]
    ends = [i for i, line in enumerate(lines) if line == end]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise DocTablesError(f"expected one {start!r} line followed by one {end!r} line")
    return "\n".join(lines[: starts[0] + 1] + body.split("\n") + lines[ends[0] :])


def _counted(prose: str, name: str, rows: Sequence[Record]) -> str:
    """``prose`` (the text before a table's start marker) with the last count sentence set to ``rows``' counts."""
    found = list(_COUNTS.finditer(prose))
    if not found:
        raise DocTablesError(
            f"table {name!r}: no 'N of M ... carry a sourced figure; the other K are marked' sentence before it"
        )
    m = found[-1]
    sourced, total = sum(r["status"] == "sourced" for r in rows), len(rows)
    if "No skin row is left `unreviewed`" in prose[m.end() :] and any(r["status"] == "unreviewed" for r in rows):
        raise DocTablesError(f"table {name!r}: the text says no row is left unreviewed, but some are")
    pct = f" ({round(100 * sourced / total)} %)" if m["pct"] and total else (m["pct"] or "")
    sentence = f"{sourced} of {total} {m['what']}carry a sourced figure{pct}; the other {total - sourced} are marked"
    return prose[: m.start()] + sentence + prose[m.end() :]


def render(text: str, templates: Path) -> str:
    """``text`` (a Markdown page) with every ``relations-table`` block and its count sentence regenerated."""
    out: list[str] = []
    pos = 0
    for m in _START.finditer(text):
        name = m["name"]
        spec = TABLES.get(name)
        if spec is None:
            raise DocTablesError(f"unknown relations table {name!r} (known: {', '.join(sorted(TABLES))})")
        end = f"<!-- relations-table:end {name} -->"
        stop = text.find("\n" + end, m.end())
        nested = _START.search(text, m.end())
        if stop < 0 or (nested is not None and nested.start() < stop):
            raise DocTablesError(f"relations table {name!r}: no {end!r} line after its start marker")
        rows = spec.rows(templates)
        heading = text.rfind("\n## ", pos, m.start())
        head = max(heading, pos)
        out.append(text[pos:head] + _counted(text[head : m.start()], name, rows))
        out.append(m.group(0) + "\n" + "\n".join([*HEADER, *(table_line(r) for r in rows)]))
        pos = stop
    out.append(text[pos:])
    return "".join(out)


def doc_files(root: Path) -> list[Path]:
    """The pages that may hold generated blocks: ``README.md`` and ``docs/*.md``."""
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.is_file()]


def stale_files(root: Path | None = None) -> list[Path]:
    """The pages under ``root`` (the checkout) whose generated tables differ from the relation tables."""
    root = root or paths.project_root()
    templates = root / "ontology" / "templates"
    stale = []
    for page in doc_files(root):
        text = page.read_text(encoding="utf-8")
        if _START.search(text) and render(text, templates) != text:
            stale.append(page)
    return stale


def write_all(root: Path | None = None) -> list[Path]:
    """Regenerate every block under ``root``; the pages that changed."""
    root = root or paths.project_root()
    templates = root / "ontology" / "templates"
    changed = []
    for page in doc_files(root):
        text = page.read_text(encoding="utf-8")
        if not _START.search(text):
            continue
        new = render(text, templates)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="calcgraph-doctables", description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=None, help="the checkout (default: this package's)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page is out of date")
    args = ap.parse_args(argv)
    try:
        if args.check:
            stale = stale_files(args.root)
            if stale:
                names = ", ".join(str(p) for p in stale)
                print(f"out of date with the relation tables: {names} (run `make docs`)", file=sys.stderr)
                return 1
            print("generated documentation tables are up to date")
            return 0
        changed = write_all(args.root)
    except (DocTablesError, CalcgraphError, OSError) as exc:
        print(f"calcgraph-doctables: {exc}", file=sys.stderr)
        return 2
    print("rewrote " + ", ".join(str(p) for p in changed) if changed else "generated documentation tables up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
