"""``calcgraph query`` (run a SPARQL query file) and ``calcgraph serve`` (a SPARQL 1.1 server on 127.0.0.1)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from calcgraph import query as q
from calcgraph.errors import ServerError
from calcgraph.sparqlguard import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_QUERY_BYTES,
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_TIMEOUT_S,
    TOKEN_ENV,
)
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


def _limit_option(
    *decls: str, kind: click.ParamType, default: float, text: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A ``serve`` limit: a bounded number whose default ``--help`` shows."""
    return click.option(*decls, type=kind, default=default, show_default=True, help=text)


@click.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--writable",
    is_flag=True,
    help=f"Accept SPARQL UPDATE and Graph Store writes with a bearer token (${TOKEN_ENV}, --token-file or generated).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="With --writable: read the bearer token that writes need from this file.",
)
@_limit_option(
    "--timeout",
    "timeout_s",
    kind=click.FloatRange(0.5, 86400),
    default=DEFAULT_TIMEOUT_S,
    text="Seconds a query may run; a longer one is cancelled (HTTP 504).",
)
@_limit_option(
    "--max-result-bytes",
    kind=click.IntRange(1),
    default=DEFAULT_MAX_RESULT_BYTES,
    text="Largest result sent (HTTP 422 above).",
)
@_limit_option(
    "--max-query-bytes",
    kind=click.IntRange(1),
    default=DEFAULT_MAX_QUERY_BYTES,
    text="Largest query or update accepted (HTTP 400 above).",
)
@_limit_option(
    "--max-depth",
    kind=click.IntRange(1, 1000),
    default=DEFAULT_MAX_DEPTH,
    text="Deepest nesting of { ( [ accepted (HTTP 400 above).",
)
@click.option("--allow-service", is_flag=True, help="Allow SERVICE (federated queries: the server fetches URLs).")
def serve_command(
    port: int,
    writable: bool,
    token_file: Path | None,
    timeout_s: float,
    max_result_bytes: int,
    max_query_bytes: int,
    max_depth: int,
    allow_service: bool,
) -> None:
    """Serve the ontology and its inferences over SPARQL 1.1 (Oxigraph) on 127.0.0.1 until Ctrl-C."""
    import os

    from calcgraph.errors import UsageError
    from calcgraph.server import OxigraphServer

    def _stop_on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    token: str | None = None
    if token_file is not None:
        if not writable:
            raise UsageError("--token-file needs --writable")
        token = token_file.read_text(encoding="utf-8").strip()
    elif writable:
        token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token is not None and len(token) < 16:
        raise UsageError("the token must be at least 16 characters")
    generated = writable and token is None
    # A SIGTERM or SIGHUP to calcgraph stops the server too, as Ctrl-C does (no orphaned oxigraph process).
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    server = OxigraphServer(
        port,
        writable=writable,
        token=token,
        timeout_s=timeout_s,
        max_result_bytes=max_result_bytes,
        max_query_bytes=max_query_bytes,
        max_depth=max_depth,
        allow_service=allow_service,
    )
    server.start()
    mode = "read-write" if writable else "read-only"
    click.echo(f"SPARQL endpoint ({mode}): {server.query_url}")
    if writable:
        click.echo(f"SPARQL update: {server.update_url}   Graph Store: {server.store_url}")
        if generated:
            click.echo(f"writes need the header 'Authorization: Bearer {server.token}'")
        else:
            click.echo("writes need the header 'Authorization: Bearer TOKEN' with the given token")
    click.echo(f"data in named graph <{GRAPH_IRI}>; the default graph is the union of the named graphs")
    click.echo(f"query time limit {timeout_s:g} s; press Ctrl-C to stop", nl=True)
    sys.stdout.flush()
    try:
        code = server.wait()
    except KeyboardInterrupt:
        click.echo("\nstopping", err=True)
        code = 0
    finally:
        server.stop()
    if code not in (0, None):
        raise ServerError(f"the oxigraph server stopped with exit code {code} and could not be restarted")


COMMANDS = [query_command, serve_command]
