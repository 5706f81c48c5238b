"""The server under attack (review F6, F7, F15, F16, F17): hostile queries are refused before the engine sees them,
runaway queries are stopped, writes need the token and the same origin, and the engine dies with its parent.

Every server here listens on 127.0.0.1 only and is stopped at the end of its test or module."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcgraph.server import OxigraphServer, check_port_free, free_port, remove_stale_stores
from calcgraph.sparqlguard import Limits, problem, scan

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SPARQL_QUERY = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}


def _call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _count(srv: OxigraphServer) -> int:
    status, body = _call(srv.query_url, COUNT.encode(), SPARQL_QUERY)
    assert status == 200, body
    import json

    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def server() -> Iterator[OxigraphServer]:
    with OxigraphServer(timeout_s=2, grace_s=1, max_result_bytes=200_000) as srv:
        yield srv
    check_port_free(srv.port)


# ------------------------------------------------------------------------------------------------ the scanner


def test_the_scanner_skips_strings_comments_and_iris() -> None:
    assert scan("SELECT * WHERE { ?s ?p \"{{{{\" . ?s ?p '(((' } # {{{{ SERVICE")[0] == 1
    assert scan('SELECT * WHERE { ?s ?p """ { " } """ }')[0] == 1
    assert scan("SELECT * WHERE { ?s <http://x/(> ?o FILTER(?o < 3 && (?o > 1)) }")[0] == 3
    assert "SERVICE" not in scan("SELECT ?service WHERE { ?service ex:SERVICE service:x }")[1]
    assert "SERVICE" in scan("select * where { service <http://x> { ?s ?p ?o } }")[1]


# Each entry: name, query text, the words the refusal must contain.
HOSTILE = [
    ("deep-braces-5000", "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000, "nested 5000 levels"),
    ("deep-parens", "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }", "nested"),
    ("deep-brackets", "SELECT * WHERE { ?s ?p " + "[ ?p " * 3000 + "1" + " ]" * 3000 + " }", "nested"),
    ("deep-unbalanced", "SELECT * WHERE " + "{" * 10000, "nested"),
    ("huge", "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_100_000, "bytes"),
    ("service", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("service-silent", "SELECT * WHERE { SERVICE SILENT <http://169.254.169.254/> { ?s ?p ?o } }", "SERVICE"),
    ("service-lower", "select * where { ?x ?y ?z . service <http://example.org/> { ?s ?p ?o } }", "SERVICE"),
]


@pytest.mark.parametrize(("name", "text", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_queries_are_refused_before_the_engine(
    server: OxigraphServer, name: str, text: str, words: str
) -> None:
    assert problem(text, limits=server.limits) is not None
    pid = server.process.pid if server.process else None
    for how in ("post", "form", "get"):
        if how == "get" and len(text) > 20_000:
            continue  # a URL that long is refused by the HTTP layer anyway
        if how == "post":
            status, body = _call(server.query_url, text.encode(), SPARQL_QUERY)
        elif how == "form":
            form = urllib.parse.urlencode({"query": text}).encode()
            status, body = _call(server.query_url, form, {"Content-Type": "application/x-www-form-urlencoded"})
        else:
            status, body = _call(f"{server.query_url}?{urllib.parse.urlencode({'query': text})}")
        assert status in {400, 413}, (how, status, body[:200])
        assert status == 413 or words in body.decode(), body[:200]
    assert server.process is not None and server.process.pid == pid and server.process.poll() is None
    assert _count(server) > 1000  # the service still answers


def test_a_listener_sees_no_request_from_service(server: OxigraphServer) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        status, _ = _call(
            server.query_url,
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}".encode(),
            SPARQL_QUERY,
        )
        assert status == 400
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.slow
def test_a_runaway_query_is_stopped_and_the_server_keeps_answering(server: OxigraphServer) -> None:
    results: list[tuple[int, float]] = []

    def run() -> None:
        t0 = time.monotonic()
        status, _ = _call(server.query_url, CROSS_JOIN.encode(), SPARQL_QUERY)
        results.append((status, time.monotonic() - t0))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [s for s, _ in results] == [504, 504, 504] or all(s in {503, 504} for s, _ in results), results
    assert all(dt < 60 for _, dt in results), results
    assert _count(server) > 1000
    # and the engine is idle again: no thread keeps burning CPU on the abandoned join
    assert server.process is not None
    assert _cpu_seconds(server.process.pid, 1.0) < 0.5


def _cpu_seconds(pid: int, window: float) -> float:
    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    before = ticks()
    time.sleep(window)
    return (ticks() - before) / os.sysconf("SC_CLK_TCK")


def test_a_result_larger_than_the_limit_is_not_sent(server: OxigraphServer) -> None:
    status, body = _call(server.query_url, b"SELECT * WHERE { ?s ?p ?o }", SPARQL_QUERY)
    assert status == 422 and b"limit" in body
    status, _ = _call(server.query_url, b"SELECT * WHERE { ?s ?p ?o } LIMIT 10", SPARQL_QUERY)
    assert status == 200


def test_foreign_hosts_and_origins_are_refused(server: OxigraphServer) -> None:
    q = f"{server.query_url}?{urllib.parse.urlencode({'query': COUNT})}"
    assert _call(q, headers={"Origin": "http://evil.example"})[0] == 403
    assert _call(q, headers={"Host": "evil.example"})[0] == 403  # DNS rebinding
    assert _call(q, headers={"Origin": server.base_url})[0] == 200
    assert _call(f"{server.base_url}/../etc/passwd")[0] == 404


def test_unknown_paths_and_writes_on_the_read_only_server(server: OxigraphServer) -> None:
    before = _count(server)
    assert _call(server.update_url, b"DROP ALL", {"Content-Type": "application/sparql-update"})[0] == 403
    assert _call(server.store_url, b"", method="DELETE")[0] == 403
    assert _count(server) == before


# ------------------------------------------------------------------------------------------------ --writable


@pytest.fixture(scope="module")
def writable() -> Iterator[OxigraphServer]:
    with OxigraphServer(writable=True, token="t" * 24) as srv:
        yield srv


def test_csrf_form_post_cannot_wipe_the_store(writable: OxigraphServer) -> None:
    before = _count(writable)
    form = urllib.parse.urlencode({"update": "DROP ALL"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
    assert _call(writable.update_url, form, headers)[0] == 403  # foreign origin
    del headers["Origin"]
    assert _call(writable.update_url, form, headers)[0] == 401  # no token
    headers["Authorization"] = "Bearer wrong-token-wrong-token"
    assert _call(writable.update_url, form, headers)[0] == 401
    assert _call(writable.store_url, b"", {"Authorization": "Bearer x"}, method="DELETE")[0] == 401
    assert _count(writable) == before


def test_load_of_a_url_is_refused(writable: OxigraphServer) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {writable.token}"}
        status, body = _call(writable.update_url, f"LOAD <http://127.0.0.1:{port}/x.ttl>".encode(), headers)
        assert status == 400 and b"LOAD" in body
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux answers on all of 127.0.0.0/8")
def test_the_engine_is_not_on_a_guessable_port(writable: OxigraphServer) -> None:
    """The engine has no authentication: on 127.0.0.1 a web page could find it by trying the ~28,000 ephemeral
    ports and post a cross-site ``DROP ALL`` straight to it, past the proxy's token and Origin checks (F17). It
    listens on a random loopback address instead, and nothing of it is on 127.0.0.1 at its port."""
    host, port = writable.engine_host, writable.engine_port
    assert host.startswith("127.") and host != "127.0.0.1"
    assert _listening(port, host)
    assert not _listening(port)  # a blind cross-site post to 127.0.0.1:PORT finds nothing


def test_the_token_allows_writes(writable: OxigraphServer) -> None:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {writable.token}"}
    body = b"INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }"
    assert _call(writable.update_url, body, headers)[0] in {200, 204}


# ------------------------------------------------------------------------------------------------ F15


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_kill_9_of_serve_leaves_no_engine_and_no_store(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "calcgraph"), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and b"press Ctrl-C" not in proc.stdout.readline():
            assert proc.poll() is None, "serve ended early"
        children = _children(proc.pid)
        engine = [pid for pid, cmd in children if "--bind" in cmd]
        stores = [Path(arg) for _, cmd in children for arg in cmd.split() if "calcgraph-oxigraph-" in arg]
        assert engine and stores
        engine_host, engine_port_text = (
            next(c for p, c in children if p == engine[0]).split("--bind")[1].split()[0].rsplit(":", 1)
        )
        engine_port = int(engine_port_text)
        assert engine_host.startswith("127.") and _listening(engine_port, engine_host)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (_listening(engine_port, engine_host) or any(s.exists() for s in stores)):
            time.sleep(0.2)
        assert not _listening(engine_port, engine_host), "the engine outlived serve"
        assert not _listening(port)
        assert not any(s.exists() for s in stores), "the temporary store was left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _children(ppid: int) -> list[tuple[int, str]]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == ppid:
            out.append((int(d.name), cmd))
    return out


def test_stale_store_directories_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / "calcgraph-oxigraph-stale"
    stale.mkdir()
    (stale / "owner.pid").write_text(f"{dead.pid}\n")
    alive = tmp_path / "calcgraph-oxigraph-alive"
    alive.mkdir()
    (alive / "owner.pid").write_text(f"{os.getppid()}\n")
    other = tmp_path / "calcgraph-oxigraph-other"
    other.mkdir()
    assert remove_stale_stores(tmp_path) == [stale]
    assert alive.exists() and other.exists() and not stale.exists()


def test_limits_are_configurable() -> None:
    assert problem("SELECT * WHERE {{{ }}}", limits=Limits(max_depth=2)) is not None
    assert problem("SELECT * WHERE {{{ }}}", limits=Limits(max_depth=3)) is None
    assert problem("SELECT * WHERE { SERVICE <http://x/> {} }", limits=Limits(allow_service=True)) is None
    assert problem("SELECT * WHERE { }", limits=Limits(max_bytes=5)) is not None
