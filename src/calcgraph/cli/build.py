"""``calcgraph build`` and ``calcgraph qc``: check the edit file and write the release files."""

from __future__ import annotations

from pathlib import Path

import click

from calcgraph import paths
from calcgraph.build import build as build_release
from calcgraph.build import check, parse_source, stale_release_files
from calcgraph.errors import OntologySourceError
from calcgraph.hpo import build_import, stale_import
from calcgraph.qc import duplicate_publications


@click.command("build")
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=None,
    help="The ontology edit file (default: ontology/calcgraph-edit.ttl).",
)
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write calcgraph.owl and calcgraph.ttl (default: ontology/).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 if the release files are stale against the source.",
)
def build_command(source: Path | None, out_dir: Path | None, check_only: bool) -> None:
    """Check the ontology source (syntax and QC) and write the release files."""
    source = source or paths.edit_file()
    out_dir = out_dir or paths.ontology_dir()
    if not source.exists() and not paths.is_checkout():
        raise OntologySourceError(
            str(source),
            None,
            "no edit file: an installed calcgraph ships the built release, not the source it is built from",
            hint=f"the release needs no build; to rebuild, run calcgraph in a checkout or set {paths.HOME_VARIABLE}",
        )
    if check_only:
        stale = stale_release_files(source, out_dir)
        if stale_import(parse_source(source), out_dir):
            stale.append(out_dir / "imports" / "hp_import.owl")
        if stale:
            click.echo("stale: " + ", ".join(str(p) for p in stale) + " (run `calcgraph build`)", err=True)
            raise SystemExit(1)
        click.echo(f"release files in {out_dir} are up to date with {source}")
        return
    result = build_release(source, out_dir)
    if result.written:
        click.echo(f"built {result.owl} and {result.ttl} ({result.triples} triples) from {source}")
    else:
        click.echo(f"{result.owl} and {result.ttl} are up to date with {source} ({result.triples} triples)")
    imp = build_import(parse_source(result.ttl), out_dir, str(source))
    state = "built" if imp.written else "up to date:"
    click.echo(f"{state} {imp.path} ({imp.terms} HPO {imp.hpo_version} terms for {imp.mapped} mapped terms)")


@click.command("qc")
@click.argument("source", type=click.Path(path_type=Path), required=False)
def qc_command(source: Path | None) -> None:
    """Report quality-control problems of an ontology source (labels, definitions, identifiers, references)."""
    source = source or paths.edit_file()
    g = check(source)  # every problem with the line it is written at; source IRIs reused across statement blocks
    click.echo(f"{source}: no QC problems")
    from calcgraph.stats import qc_summary

    click.echo(qc_summary(g))
    twice = duplicate_publications(g)
    if twice:
        click.echo(
            f"publications registered under more than one source IRI ({len(twice)}; not an error, worth merging): "
            + "; ".join(f"{x} ({', '.join(owners)})" for x, owners in twice.items())
        )


COMMANDS = [build_command, qc_command]
