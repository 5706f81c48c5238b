"""``calcgraph diagnose`` (ranked, explained differential; one case or a JSON Lines batch) and ``calcgraph criteria``.

The progress bar of ``--batch`` is ``tqdm``: one small pure-Python dependency that writes to stderr and switches itself
off when stderr is not a terminal (``disable=None``), so pipes, CI logs and the JSON on stdout stay clean.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from calcgraph.api import Loaded, add_classes, load, reasoner_classes, reasoner_status
from calcgraph.errors import CalcgraphError, CaseError, JavaNotFoundError, UsageError

# The library does the work (calcgraph.api); these names stay importable from here for existing callers.
__all__ = ["Loaded", "load", "reasoner_classes", "reasoner_status"]


def _with_classes(
    result: dict[str, Any], case: Any, want: bool | None, loaded: Loaded, reasoner: str = "fast"
) -> dict[str, Any]:
    if want is False:
        return result
    why = reasoner_status(reasoner)
    if why is not None:
        if want:
            if "Java" in why or "java" in why:
                raise JavaNotFoundError(f"--classes: {why}", hint="install a Java runtime or use --no-classes")
            raise UsageError(f"--classes: {why}", hint="use --no-classes")
        return result
    try:
        add_classes(result, loaded.model, case, reasoner_classes(case, loaded.ontology, reasoner))
    except CalcgraphError as exc:
        if want:
            raise
        click.echo(f"warning: the reasoner's classes are left out: {exc}", err=True)
    except Exception as exc:  # auto mode: a failing optional reasoner must not cost the user the ranking
        if want:
            raise UsageError(f"--classes: the reasoner failed: {exc}") from exc
        click.echo(f"warning: the reasoner's classes are left out: {exc}", err=True)
    return result


# --- rendering ------------------------------------------------------------------------------------------------------


def _fmt_item(it: dict[str, Any]) -> str:
    src = f"; {', '.join(it['sources'])}" if it["sources"] else ""
    inh = f"; inherited from {it['inherited_from']}" if it["inherited_from"] else ""
    absent = " (absent)" if it["observed"] == "absent" else ""
    return f"{it['finding']}{absent}: LR {it['lr']:g} [{it['relation']}{inh}; {it['figures']}{src}]"


def render_families(result: dict[str, Any], shown: int = 5, members: int = 4) -> list[str]:
    """The family view of a result: "CPPD 0.570: pseudogout 0.300, ..." for the leading families."""
    lines = []
    for fam in [f for f in result.get("families", []) if f["probability"] >= 0.001][:shown]:
        line = f"  {fam['label']} {fam['probability']:.3f}"
        ms = fam["members"]
        if len(ms) > 1:
            parts = [f"{m['label']} {m['probability']:.3f}" for m in ms[:members]]
            line += ": " + ", ".join(parts) + (", ..." if len(ms) > members else "")
        lines.append(line)
    return ["families (probability over their members, each disease counted once):", *lines] if lines else []


def render_verdict(result: dict[str, Any]) -> list[str]:
    """The proven diagnoses and the none-fits signal, for the head of the text output."""
    lines = []
    if result.get("proven_note"):
        lines.append(result["proven_note"])
    fit = result.get("fit") or {}
    if fit.get("none_fits"):
        lines.append(
            f"none of the modelled diseases fits well: best log10 LR {fit['best_log10_lr']:.2f} is below "
            f"{fit['threshold']:g}; consider a disease outside the model"
        )
    return lines


def render_table(result: dict[str, Any]) -> str:
    lines = [f"case {result['case']}", *render_verdict(result)]
    lines.append(f"{'rank':>4}  {'prob':>7}  {'log10 LR':>8}  disease")
    proven = {p["most_likely"]["id"] for p in result.get("proven", [])}
    for d in result["differential"]:
        mark = " [proven]" if d["id"] in proven else ""
        lines.append(
            f"{d['rank']:>4}  {d['probability']:>7.3f}  {d['score']:>8.3f}  {d['label']} ({d['id']}){mark}"
        )
        for it in d["for"]:
            lines.append(f"{'':25}+ {_fmt_item(it)}")
        for it in d["against"]:
            lines.append(f"{'':25}- {_fmt_item(it)}")
    lines += render_families(result)
    if result["next_tests"]:
        lines.append("next tests (expected information gain over the leading candidates, bits):")
        for t in result["next_tests"]:
            lines.append(
                f"  {t['label']} ({t['id']}): {t['expected_information_gain']:.3f}; "
                f"present favours {t['if_present_favours']}, absent favours {t['if_absent_favours']}"
            )
    if result.get("unused_terms"):
        lines.append("unused terms (map to no calcgraph finding): " + "; ".join(
            f"{u['id']} {u['label']}" + (" (excluded)" if u["excluded"] else "") for u in result["unused_terms"]
        ))
    if "classes" in result:
        lines.append(
            "reasoner classes: "
            + (", ".join(("*" if c["most_specific"] else "") + c["label"] for c in result["classes"]) or "(none)")
        )
        from calcgraph.agreement import render_disagreements

        lines += render_disagreements(result)
    return "\n".join(lines)


@contextmanager
def _output(out: Path | None) -> Iterator[IO[bytes]]:
    """Where ``--batch`` writes its JSON Lines (UTF-8 bytes): standard output, or ``out`` atomically."""
    if out is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    from calcgraph.io import atomic_write

    with atomic_write(out, "wb") as fh:
        yield fh


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as fh:
            return sum(1 for line in fh if line.strip())
    except OSError:
        return None


def run_batch(
    loaded: Loaded | None,
    batch: Path,
    out: Path | None,
    top: int,
    n_next: int,
    classes: bool | None,
    *,
    workers: int = 1,
    reasoner: str = "fast",
    ontology: Path | None = None,
    strict: bool = False,
) -> None:
    """Diagnose every line of ``batch`` (streamed, ``workers`` processes, output in input order); a bad line is
    reported with its number and skipped; ``out`` is written atomically. Raises :class:`CaseError` at the end if
    any line failed (after writing the others)."""
    from tqdm import tqdm

    from calcgraph.batch import DiagnoseJob
    from calcgraph.batch import run_blocks as blocks

    if not batch.is_file():
        raise CaseError(str(batch), "no such file")
    job = DiagnoseJob(
        loaded.ontology if loaded is not None else ontology,
        top=top,
        n_next=n_next,
        classes=bool(classes),
        reasoner=reasoner,
        strict=strict,
    )
    if loaded is not None:  # already parsed by the caller: reuse it
        job._state_loaded = loaded
    total = _count_lines(batch) if sys.stderr.isatty() else None
    ok = n_failed = 0
    failed: list[int] = []  # the first line numbers only: memory stays constant
    with _output(out) as fh, tqdm(total=total, unit="case", disable=None, file=sys.stderr) as bar:
        for block in blocks(batch, job, workers=workers):
            bar.update(len(block.lines))
            if block.data is not None:  # the chunk's results, each followed by a newline, at once
                fh.write(block.data)
            for o in block.outcomes() if block.data is None else ():
                if o.error is None:
                    fh.write(o.value)
                    fh.write(b"\n")
            for n, err in zip(block.lines, block.errors, strict=True):
                if err is None:
                    ok += 1
                    continue
                n_failed += 1
                if len(failed) < 20:
                    failed.append(n)
                msg = f"skipped: {err}"
                if bar.disable:
                    click.echo(msg, err=True)
                else:
                    bar.write(msg, file=sys.stderr)
    where = f" to {out}" if out else ""
    click.echo(f"diagnosed {ok} case(s){where}; {n_failed} line(s) failed", err=True)
    if n_failed:
        shown = ", ".join(map(str, failed)) + (" ..." if n_failed > len(failed) else "")
        raise CaseError(str(batch), f"{n_failed} of {ok + n_failed} line(s) skipped (lines {shown})")


@click.command("diagnose")
@click.argument("case", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--batch", type=click.Path(path_type=Path, dir_okay=False), help="JSON Lines file, one case per line.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="With --batch: write results here.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, None), help="Diseases to show.")
@click.option("--next-tests", "n_next", default=5, show_default=True, type=click.IntRange(0, None))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "phenopacket"]),
    default=None,
    help="Output (default table); phenopacket: the case as a GA4GH phenopacket v2 with the ranking as interpretations.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="A phenopacket term that maps to no calcgraph finding is an error (default: listed as unused_terms).",
)
@click.option(
    "--classes/--no-classes",
    default=None,
    help="Add the reasoner's inferred classes (needs calcgraph.reason and Java; on by default when both are there, "
    "for a single case).",
)
@click.option(
    "--reasoner",
    type=click.Choice(["fast", "hermit", "pellet"]),
    default="fast",
    show_default=True,
    help="Who infers --classes: the fast classifier (HermiT's types, no JVM per case) or a reasoner call.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="With --batch: worker processes (output keeps the input order).",
)
@click.option("--ontology", type=click.Path(path_type=Path, dir_okay=False), help="Ontology file (default: release).")
def diagnose_command(
    case: Path | None,
    batch: Path | None,
    out: Path | None,
    top: int,
    n_next: int,
    fmt: str | None,
    classes: bool | None,
    reasoner: str,
    workers: int,
    ontology: Path | None,
    strict: bool,
) -> None:
    """Rank the diseases for CASE (YAML/JSON case file or phenopacket), with the evidence for and against each.

    Phenopacket terms are read through the HPO hierarchy; those that map to no finding are listed as
    unused_terms (and warned about on stderr), or are an error with --strict."""
    if (case is None) == (batch is None):
        raise UsageError("give either a CASE file or --batch FILE.jsonl", hint="calcgraph diagnose --help")
    if batch is not None and fmt in ("table", "phenopacket"):
        raise UsageError(f"--batch writes JSON Lines; --format {fmt} is for a single case")
    if out is not None and batch is None:
        raise UsageError("--out goes with --batch")
    if workers > 1 and batch is None:
        raise UsageError("--workers goes with --batch")
    loaded = load(ontology)
    if batch is not None:
        run_batch(loaded, batch, out, top, n_next, classes, workers=workers, reasoner=reasoner, strict=strict)
        return
    assert case is not None  # exactly one of CASE and --batch is given, and --batch has returned above
    c = loaded.case(case, strict=strict)
    warn_unused(c)
    result = loaded.diagnose_dict(c, top=top, next_tests=n_next)
    result = _with_classes(result, c, classes, loaded, reasoner)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    elif fmt == "phenopacket":
        click.echo(json.dumps(loaded.to_phenopacket(case, result), ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(result))


def warn_unused(case: Any, shown: int = 8) -> None:
    """One warning on stderr naming the phenopacket terms that map to no calcgraph finding (they are unused)."""
    if not case.unused:
        return
    names = [f"{u.id} {u.label}" + (" (excluded)" if u.excluded else "") for u in case.unused]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    click.echo(
        f"warning: {case.source}: {len(names)} term(s) map to no calcgraph finding and are unused "
        f"(see unused_terms; --strict makes this an error): {'; '.join(names[:shown])}{more}",
        err=True,
    )


@click.command("criteria")
@click.argument("case", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--alternative-explains-all/--alternative-does-not-explain",
    "alternative",
    default=None,
    help="The absolute exclusion (a clinical judgement): all symptoms are (not) better explained by another condition.",
)
@click.option("--ontology", type=click.Path(path_type=Path, dir_okay=False), help="Ontology file (default: release).")
def criteria_command(case: Path, fmt: str, alternative: bool | None, ontology: Path | None) -> None:
    """Apply the 2023 ACR/EULAR CPPD classification criteria to CASE (verified domains only; see docs)."""
    from calcgraph.criteria import render_text

    loaded = load(ontology)
    c = loaded.case(case)
    warn_unused(c)
    report = loaded.criteria(c, alternative_explains_all=alternative)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else render_text(report))


COMMANDS = [diagnose_command, criteria_command]
