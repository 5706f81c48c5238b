"""``calcgraph query`` (run a SPARQL query file) and ``calcgraph serve`` (a SPARQL 1.1 server on 127.0.0.1)."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from calcgraph import query as q
from calcgraph.vocab import GRAPH_IRI


@click.command("query")
@click.argument("query_file", metavar="QUERY", required=False)
@click.option("--list", "list_queries", is_flag=True, help="List the bundled queries with their questions and exit.")
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind parameter NAME (repeat for several; a label, synonym or CURIE where an IRI is expected).",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(q.FORMATS),
    default="table",
    show_default=True,
    help="table for people; csv, tsv, json: the SPARQL 1.1 result formats.",
)
@click.option(
    "--engine",
    type=click.Choice(q.ENGINES),
    default="oxigraph",
    show_default=True,
    help="Embedded store to run the query on (ignored with --endpoint).",
)
@click.option("--endpoint", metavar="URL", help="Run the query on this SPARQL 1.1 endpoint instead (HTTP POST).")
@click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    help="Run the query on this Oxigraph store directory (e.g. from calcgraph load-cases), read-only.",
)
@click.option(
    "--default-graph",
    metavar="IRI",
    default=str(GRAPH_IRI),
    show_default=True,
    help="With --endpoint: sent as default-graph-uri; '' sends none (the endpoint's own default graph).",
)
def query_command(
    query_file: str | None,
    list_queries: bool,
    params: tuple[str, ...],
    fmt: str,
    engine: str,
    endpoint: str | None,
    store: Path | None,
    default_graph: str,
) -> None:
    """Run QUERY on the ontology and its OWL 2 RL inferences: a bundled query by name (`calcgraph query --list`,
    e.g. `differentials`) or a SPARQL query file."""
    from calcgraph.errors import UsageError

    if list_queries:
        from calcgraph.api import list_queries as bundled

        for info in bundled():
            shown = ", ".join(f"{k}={'|'.join(v)}" if v else k for k, v in info.parameters.items())
            click.echo(f"{info.name}" + (f"  [{shown}]" if shown else ""))
            click.echo(f"    {info.question}")
        return
    if query_file is None:
        raise UsageError("give a QUERY (a bundled query name or a .rq file) or --list", hint="calcgraph query --list")
    if endpoint and store is not None:
        raise UsageError("give --endpoint URL or --store DIR, not both")
    qf = q.load_query(q.find_query(query_file))
    given = q.parse_param_args(params)
    if endpoint:
        eng = q.make_engine(engine, endpoint, default_graph=default_graph or None)
    else:
        eng = q.make_engine(engine, store=store)
    result = q.run_query(qf, given, eng)
    click.echo(q.serialise(result, fmt), nl=False)


@click.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="Port on 127.0.0.1.")
@click.option("--writable", is_flag=True, help="Accept SPARQL UPDATE and Graph Store writes (read-only otherwise).")
def serve_command(port: int, writable: bool) -> None:
    """Serve the ontology and its inferences over SPARQL 1.1 (Oxigraph) on 127.0.0.1 until Ctrl-C."""
    from calcgraph.server import OxigraphServer

    def _stop_on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A SIGTERM or SIGHUP to calcgraph stops the server too, as Ctrl-C does (no orphaned oxigraph process).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    server = OxigraphServer(port, writable=writable)
    server.start()
    mode = "read-write" if writable else "read-only"
    click.echo(f"SPARQL endpoint ({mode}): {server.query_url}")
    if writable:
        click.echo(f"SPARQL update: {server.update_url}   Graph Store: {server.store_url}")
    click.echo(f"data in named graph <{GRAPH_IRI}>; the default graph is the union of the named graphs")
    click.echo("press Ctrl-C to stop")
    try:
        code = server.wait()
    except KeyboardInterrupt:
        click.echo("\nstopping", err=True)
        code = 0
    finally:
        server.stop()
    if code not in (0, None):
        raise click.ClickException(f"the oxigraph server stopped with exit code {code}")


COMMANDS = [query_command, serve_command]
