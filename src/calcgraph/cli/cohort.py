"""``calcgraph load-cases``: cases (and their diagnoses and classes) as RDF in an Oxigraph store or SPARQL endpoint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from calcgraph.errors import CaseError, UsageError

if TYPE_CHECKING:
    from calcgraph.batch import Outcome


@click.command("load-cases")
@click.argument("cases_file", metavar="FILE.jsonl", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", type=click.Path(path_type=Path, file_okay=False), help="Oxigraph store directory.")
@click.option("--endpoint", metavar="URL", help="SPARQL 1.1 Update (or, with --protocol gsp, Graph Store) URL.")
@click.option(
    "--protocol",
    type=click.Choice(["update", "gsp"]),
    default="update",
    show_default=True,
    help="With --endpoint: SPARQL Update INSERT DATA, or Graph Store Protocol POST.",
)
@click.option(
    "--with-results",
    is_flag=True,
    help="Also write each case's ranked differential (--top diseases) and its defined classes (fast classifier).",
)
@click.option("--top", default=3, show_default=True, type=click.IntRange(1, None), help="Diseases kept per case.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, None), help="Cases per request.")
@click.option("--with-ontology", is_flag=True, help="With --endpoint: upload the ontology and cohort vocabulary too.")
@click.option("--strict", is_flag=True, help="Load nothing if any line is bad (default: skip bad lines).")
def load_cases_command(
    cases_file: Path,
    store: Path | None,
    endpoint: str | None,
    protocol: str,
    with_results: bool,
    top: int,
    workers: int,
    batch_size: int,
    with_ontology: bool,
    strict: bool,
) -> None:
    """Load the cases of FILE.jsonl into an Oxigraph store (--store DIR) or a SPARQL endpoint (--endpoint URL).

    Each run is one named graph (printed at the end). A store is never left half-loaded: a new store is built
    beside DIR and renamed into place, an existing one takes the load in one transaction. Bad lines are reported
    with their line numbers and skipped (exit 5 at the end), or, with --strict, nothing is loaded. See docs/cohort.md.
    """
    from tqdm import tqdm

    from calcgraph.cohort import CohortJob, load_into_endpoint, load_into_store, new_load_id

    if (store is None) == (endpoint is None):
        raise UsageError("give either --store DIR or --endpoint URL", hint="calcgraph load-cases --help")
    if with_ontology and endpoint is None:
        raise UsageError("--with-ontology goes with --endpoint (a store receives the ontology when it lacks it)")
    if not cases_file.is_file():
        raise CaseError(str(cases_file), "no such file")
    job = CohortJob(new_load_id(), with_results=with_results, top=top)
    with tqdm(unit="case", disable=None, file=sys.stderr) as bar:

        def progress(o: Outcome) -> None:
            bar.update(1)
            if o.error is not None:
                msg = f"skipped: {o.error}"
                if bar.disable:
                    click.echo(msg, err=True)
                else:
                    bar.write(msg, file=sys.stderr)

        if store is not None:
            report = load_into_store(cases_file, store, job, workers=workers, strict=strict, on_outcome=progress)
        else:
            report = load_into_endpoint(
                cases_file,
                endpoint,  # type: ignore[arg-type]
                job,
                protocol=protocol,
                batch_cases=batch_size,
                workers=workers,
                strict=strict,
                with_ontology=with_ontology,
                on_outcome=progress,
            )
    if strict and report.failed:
        click.echo(f"nothing loaded: {report.failed} bad line(s) (--strict)", err=True)
    else:
        click.echo(
            f"loaded {report.loaded} case(s) into {report.target}, graph <{report.graph}>; "
            f"{report.failed} line(s) failed",
            err=True,
        )
    if report.failed:
        shown = ", ".join(map(str, report.failed_lines)) + (" ..." if report.failed > len(report.failed_lines) else "")
        raise CaseError(str(cases_file), f"{report.failed} line(s) skipped (lines {shown})")


COMMANDS = [load_cases_command]
