"""The ``calcgraph`` command line: a thin layer over the library.

Each concern keeps its commands in its own module of this package; :data:`COMMANDS` lists them with the module
that defines each and its one-line help. A sub-command's module is imported only when that sub-command runs (or
its own ``--help`` is asked for): ``calcgraph --help`` and ``calcgraph diagnose`` do not pay for networkx, rdflib
or the reasoners they do not use. ``tests/test_cli.py`` checks that the table matches the modules' commands.

Errors derived from :class:`calcgraph.errors.CalcgraphError` are shown as one or two lines with the error's
exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from calcgraph import __version__
from calcgraph.errors import CalcgraphError

# numpy's OpenBLAS starts one thread per core when numpy is imported, which costs a command about 50 ms of CPU
# (more on a busy machine, where the threads wait for a core); calcgraph does no BLAS work (no matrix products), so
# a command starts it with one thread. A value set by the user is kept. Set before any command module imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: Sub-command name -> (module of :mod:`calcgraph.cli` that defines it, its one-line help as ``--help`` lists it).
#: Each module exposes ``COMMANDS``, a list of click commands. Keep in step with the modules (a test checks).
COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("build", "Check the ontology source (syntax and QC) and write the release files."),
    "qc": (
        "build",
        "Report quality-control problems of an ontology source (labels, definitions, identifiers, references).",
    ),
    "reason": (
        "reason",
        "Classify the ontology: consistency, unsatisfiable classes, inferred hierarchy; write calcgraph-inferred.owl.",
    ),
    "classify": (
        "reason",
        "Classify patient cases (YAML, JSON, phenopacket or JSON Lines) with an OWL reasoner and explain why.",
    ),
    "query": (
        "query",
        "Run QUERY on the ontology and its OWL 2 RL inferences: a bundled query by name (`calcgraph query --list`, "
        "e.g.",
    ),
    "serve": ("query", "Serve the ontology and its inferences over SPARQL 1.1 (Oxigraph) on 127.0.0.1 until Ctrl-C."),
    "export": (
        "export",
        "Export the knowledge graph (whole, or the neighbourhood of one class) as GraphML, GEXF, Cytoscape JSON, "
        "node-link JSON, DOT or a self-contained HTML page.",
    ),
    "draw": (
        "export",
        "Draw a picture: one disease's differential neighbourhood (--focus), a diagnosed case (--case), or the "
        "documentation pictures (--docs).",
    ),
    "diagnose": (
        "diagnose",
        "Rank the diseases for CASE (YAML/JSON case file or phenopacket), with the evidence for and against each.",
    ),
    "criteria": (
        "diagnose",
        "Apply the 2023 ACR/EULAR CPPD classification criteria to CASE (verified domains only; see docs).",
    ),
    "stats": (
        "stats",
        "Share of finding-disease relations with a sourced figure, by relation kind, disease family and source kind.",
    ),
    "load-cases": (
        "cohort",
        "Load the cases of FILE.jsonl into an Oxigraph store (--store DIR) or a SPARQL endpoint (--endpoint URL).",
    ),
}

#: Modules of :mod:`calcgraph.cli` that define commands (in the order they were first registered).
COMMAND_MODULES = list(dict.fromkeys(module for module, _ in COMMANDS.values()))


def command_from(module: str, name: str) -> click.Command:
    """The click command ``name`` of ``calcgraph.cli.<module>`` (imports the module)."""
    for cmd in importlib.import_module(f"calcgraph.cli.{module}").COMMANDS:
        if cmd.name == name:
            return cmd
    raise LookupError(f"calcgraph.cli.{module} defines no command {name!r}")


class CalcgraphGroup(click.Group):
    """A click group that imports a sub-command's module on first use and renders calcgraph errors briefly, with
    their exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(command_from(COMMANDS[cmd_name][0], cmd_name))
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from :data:`COMMANDS`, without importing any command module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                text = self.commands[name].get_short_help_str(limit)
            else:
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            try:
                return super().invoke(ctx)
            except OSError as exc:  # full disk, read-only directory, unreadable file: a documented error, not a trace
                if isinstance(exc, BrokenPipeError) or (ctx.obj and ctx.obj.get("debug")):
                    raise
                from calcgraph.errors import FileSystemError

                raise FileSystemError.from_oserror(exc) from exc
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
