"""The ``calcgraph`` command line: a thin layer over the library.

Each concern keeps its commands in its own module of this package; :data:`COMMAND_MODULES` lists them.
Errors derived from :class:`calcgraph.errors.CalcgraphError` are shown as one or two lines with the error's
exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import sys

import click

from calcgraph import __version__
from calcgraph.errors import CalcgraphError

#: Modules of :mod:`calcgraph.cli` that define commands (each exposes ``COMMANDS``, a list of click commands).
COMMAND_MODULES = ["build", "reason", "query", "export", "diagnose", "cohort"]


class CalcgraphGroup(click.Group):
    """A click group that renders calcgraph errors briefly, with their exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CalcgraphError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=CalcgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="calcgraph")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """calcgraph: an OWL 2 knowledge graph for the differential diagnosis of calcium deposits."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f"calcgraph.cli.{_name}").COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
