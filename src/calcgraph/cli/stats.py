"""``calcgraph stats``: how many finding-disease relations carry a sourced figure (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from calcgraph import paths


@click.command("stats")
@click.argument("source", type=click.Path(path_type=Path), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON instead of a text report.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when fewer than 90 % of the relations carry a sourced figure or a figure lacks a primary source.",
)
def stats_command(source: Path | None, as_json: bool, check: bool) -> None:
    """Share of finding-disease relations with a sourced figure, by relation kind, disease family and source kind."""
    from calcgraph.build import load_sources
    from calcgraph.stats import TARGET_SHARE, figure_stats, format_stats, non_primary_figures

    source = source or paths.edit_file()
    g = load_sources(source)
    s, bad = figure_stats(g), non_primary_figures(g)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "sourced": s.sourced,
                    "total": s.total,
                    "share": round(s.share, 4),
                    "target": TARGET_SHARE,
                    "by_relation": s.by_relation,
                    "by_family": s.by_family,
                    "by_source_kind": dict(s.by_source_kind),
                    "by_status": dict(s.by_status),
                    "non_primary": [
                        {"finding": r.finding, "relation": r.relation, "disease": r.disease, "sources": r.sources}
                        for r in bad
                    ],
                },
                indent=2,
            )
        )
    else:
        click.echo(format_stats(s, bad))
    if check and (s.share < TARGET_SHARE or bad):
        raise SystemExit(1)


COMMANDS = [stats_command]
