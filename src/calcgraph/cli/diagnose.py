"""``calcgraph diagnose`` (ranked, explained differential; one case or a JSON Lines batch) and ``calcgraph criteria``.

The progress bar of ``--batch`` is ``tqdm``: one small pure-Python dependency that writes to stderr and switches itself
off when stderr is not a terminal (``disable=None``), so pipes, CI logs and the JSON on stdout stay clean.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click

from calcgraph.errors import CalcgraphError, CaseError, JavaNotFoundError, UsageError


@dataclass(frozen=True)
class Loaded:
    index: Any
    model: Any
    ontology: Path


def load(ontology: Path | None = None) -> Loaded:
    """The finding index and the diagnostic model of an ontology file (default: the release Turtle), from the
    compiled-model cache when it is fresh (:mod:`calcgraph.compiled`)."""
    from calcgraph.compiled import load as load_compiled

    c = load_compiled(ontology)
    return Loaded(c.index, c.model, c.ontology)


# --- reasoner classes (calcgraph.reason is another module; imported lazily, optional) ---------------------------


def reasoner_status(reasoner: str = "fast") -> str | None:
    """``None`` if the reasoner can classify a case here; otherwise why not (never raises).

    The fast classifier needs no Java once HermiT's hierarchy of the release is known (cache or a fresh
    ``calcgraph-inferred.owl``); otherwise its one HermiT run reports a missing Java when it happens."""
    if importlib.util.find_spec("calcgraph.reason") is None:
        return "the module calcgraph.reason is not installed"
    if reasoner == "fast":
        return None
    reason = importlib.import_module("calcgraph.reason")
    try:
        finder = getattr(reason, "find_java", None)
        if finder is not None:
            finder()
        elif shutil.which("java") is None:
            return "no Java runtime on PATH"
    except CalcgraphError as exc:
        return str(exc)
    return None


def reasoner_classes(case: Any, ontology: Path | None = None, reasoner: str = "fast") -> list[dict[str, Any]]:
    """The defined classes inferred for one case: by the fast classifier (HermiT's types, ``calcgraph.fastclass``,
    the default) or by a reasoner call (``calcgraph.reason.classify_cases``, ``hermit`` or ``pellet``)."""
    release = ontology if ontology is not None and ontology.suffix.lower() == ".owl" else None
    if reasoner == "fast":
        from calcgraph.fastclass import classify_cases_fast

        (result,) = classify_cases_fast([case], release)
    else:
        reason = importlib.import_module("calcgraph.reason")
        (result,) = reason.classify_cases([case], reasoner, release=release)
    out = []
    for c in result.classes:
        out.append(
            {
                "id": c.curie,
                "label": c.label,
                "most_specific": c.most_specific,
                "suggests": c.suggests_label,
            }
        )
    return out


def _with_classes(
    result: dict[str, Any], case: Any, want: bool | None, ontology: Path | None, reasoner: str = "fast"
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
        result["classes"] = reasoner_classes(case, ontology, reasoner)
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


def render_table(result: dict[str, Any]) -> str:
    lines = [f"case {result['case']}", f"{'rank':>4}  {'prob':>7}  {'log10 LR':>8}  disease"]
    for d in result["differential"]:
        lines.append(f"{d['rank']:>4}  {d['probability']:>7.3f}  {d['score']:>8.3f}  {d['label']} ({d['id']})")
        for it in d["for"]:
            lines.append(f"{'':25}+ {_fmt_item(it)}")
        for it in d["against"]:
            lines.append(f"{'':25}- {_fmt_item(it)}")
    if result["next_tests"]:
        lines.append("next tests (expected information gain over the leading candidates, bits):")
        for t in result["next_tests"]:
            lines.append(
                f"  {t['label']} ({t['id']}): {t['expected_information_gain']:.3f}; "
                f"present favours {t['if_present_favours']}, absent favours {t['if_absent_favours']}"
            )
    if "classes" in result:
        lines.append(
            "reasoner classes: "
            + (", ".join(("*" if c["most_specific"] else "") + c["label"] for c in result["classes"]) or "(none)")
        )
    return "\n".join(lines)


@contextmanager
def _output(out: Path | None) -> Iterator[IO[str]]:
    if out is None:
        yield sys.stdout
        return
    from calcgraph.io import atomic_write

    with atomic_write(out) as fh:
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
) -> None:
    """Diagnose every line of ``batch`` (streamed, ``workers`` processes, output in input order); a bad line is
    reported with its number and skipped; ``out`` is written atomically. Raises :class:`CaseError` at the end if
    any line failed (after writing the others)."""
    from tqdm import tqdm

    from calcgraph.batch import DiagnoseJob
    from calcgraph.batch import run_batch as outcomes

    if not batch.is_file():
        raise CaseError(str(batch), "no such file")
    job = DiagnoseJob(
        loaded.ontology if loaded is not None else ontology,
        top=top,
        n_next=n_next,
        classes=bool(classes),
        reasoner=reasoner,
    )
    if loaded is not None:  # already parsed by the caller: reuse it
        job._state_loaded = loaded
    total = _count_lines(batch) if sys.stderr.isatty() else None
    ok = n_failed = 0
    failed: list[int] = []  # the first line numbers only: memory stays constant
    with _output(out) as fh, tqdm(total=total, unit="case", disable=None, file=sys.stderr) as bar:
        for o in outcomes(batch, job, workers=workers):
            bar.update(1)
            if o.error is not None:
                n_failed += 1
                if len(failed) < 20:
                    failed.append(o.line)
                msg = f"skipped: {o.error}"
                if bar.disable:
                    click.echo(msg, err=True)
                else:
                    bar.write(msg, file=sys.stderr)
                continue
            fh.write(o.value + "\n")
            ok += 1
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
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default=None, help="Output (default table).")
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
) -> None:
    """Rank the diseases for CASE (YAML/JSON case file or phenopacket), with the evidence for and against each."""
    if (case is None) == (batch is None):
        raise UsageError("give either a CASE file or --batch FILE.jsonl", hint="calcgraph diagnose --help")
    if batch is not None and fmt == "table":
        raise UsageError("--batch writes JSON Lines; --format table is for a single case")
    if out is not None and batch is None:
        raise UsageError("--out goes with --batch")
    if workers > 1 and batch is None:
        raise UsageError("--workers goes with --batch")
    loaded = load(ontology)
    if batch is not None:
        run_batch(loaded, batch, out, top, n_next, classes, workers=workers, reasoner=reasoner)
        return
    from calcgraph.cases import load_case_file
    from calcgraph.diagnose import diagnose

    assert case is not None  # exactly one of CASE and --batch is given, and --batch has returned above
    c = load_case_file(case, loaded.index)
    result = diagnose(loaded.model, c.present, c.absent, case_id=c.id, top=top, n_next=n_next)
    result = _with_classes(result, c, classes, loaded.ontology, reasoner)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(result))


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
    from calcgraph.cases import load_case_file
    from calcgraph.criteria import classify, render_text

    loaded = load(ontology)
    c = load_case_file(case, loaded.index)
    report = classify(c, loaded.index, alternative_explains_all=alternative)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if fmt == "json" else render_text(report))


COMMANDS = [diagnose_command, criteria_command]
