"""The real SPARQL server (oxigraph) on a free 127.0.0.1 port: same rows as the embedded store, read-only."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcgraph import query as q
from calcgraph.errors import EndpointError, ServerError
from calcgraph.server import OxigraphServer, check_port_free

COUNT = "# question: how many triples?\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n"


@pytest.fixture(scope="module")
def embedded() -> q.OxigraphEngine:
    return q.OxigraphEngine()


@pytest.fixture(scope="module")
def server() -> Iterator[OxigraphServer]:
    srv = OxigraphServer()
    with srv:
        yield srv
    assert srv.process is not None and srv.process.poll() is not None, "the server process has stopped"
    check_port_free(srv.port)  # and its port is free again


def _status(req: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("path", q.query_files(), ids=lambda p: p.name)
def test_every_query_gives_the_embedded_rows_over_http(path: Path, server: OxigraphServer, embedded) -> None:
    qf = q.load_query(path)
    expected = q.run_query(qf, {}, embedded)
    assert len(expected) >= 1
    named = q.run_query(qf, {}, q.EndpointEngine(server.query_url))
    assert named.variables == expected.variables
    assert named.solutions() == expected.solutions()
    # The server's default graph is the union of its graphs, so no default-graph-uri gives the same rows.
    union = q.run_query(qf, {}, q.EndpointEngine(server.query_url, default_graph=None))
    assert union.solutions() == expected.solutions()


def test_parameters_over_http(server: OxigraphServer, embedded) -> None:
    path = q.queries_dir() / "candidate-diseases.rq"
    params = {"finding": ["positive synovial fluid Gram stain", "chondrocalcinosis on imaging"]}
    remote = q.run_query(path, params, q.EndpointEngine(server.query_url))
    assert remote.solutions() == q.run_query(path, params, embedded).solutions()
    path = q.queries_dir() / "differentials.rq"
    remote = q.run_query(path, {"disease": ["gout"]}, q.EndpointEngine(server.query_url))
    assert remote.solutions() == q.run_query(path, {"disease": ["gout"]}, embedded).solutions()


def test_read_only_server_refuses_writes(server: OxigraphServer, tmp_path: Path) -> None:
    count = tmp_path / "count.rq"
    count.write_text(COUNT)
    before = q.run_query(count, {}, q.EndpointEngine(server.query_url)).rows
    update = urllib.request.Request(
        server.update_url,
        data=b"INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
        headers={"Content-Type": "application/sparql-update"},
        method="POST",
    )
    assert _status(update) in {403, 405}
    put = urllib.request.Request(
        f"{server.store_url}?graph={urllib.parse.quote('http://example.org/g', safe='')}",
        data=b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n",
        headers={"Content-Type": "application/n-triples"},
        method="PUT",
    )
    assert _status(put) in {403, 405}
    assert q.run_query(count, {}, q.EndpointEngine(server.query_url)).rows == before


def test_a_port_in_use_is_refused(server: OxigraphServer) -> None:
    with pytest.raises(ServerError, match=f"port {server.port} on 127.0.0.1 is already in use"):
        OxigraphServer(server.port).start()


def test_writable_server_accepts_updates_with_its_token() -> None:
    with OxigraphServer(writable=True) as srv:
        assert srv.token and len(srv.token) >= 16
        body = b"INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }"
        headers = {"Content-Type": "application/sparql-update"}
        update = urllib.request.Request(srv.update_url, data=body, headers=headers, method="POST")
        assert _status(update) == 401
        headers["Authorization"] = f"Bearer {srv.token}"
        update = urllib.request.Request(srv.update_url, data=body, headers=headers, method="POST")
        assert _status(update) in {200, 204}


def test_endpoint_errors_are_one_line(server: OxigraphServer) -> None:
    with pytest.raises(EndpointError) as err:
        q.EndpointEngine(f"{server.base_url}/no-such-path").run("SELECT * WHERE { ?s ?p ?o } LIMIT 1", {}, {})
    assert "\n" not in str(err.value) and "HTTP 404" in str(err.value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EndpointError, match="cannot reach"):
        q.EndpointEngine(f"http://127.0.0.1:{port}/query", timeout=5).run("ASK {}", {}, {})
