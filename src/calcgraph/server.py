"""A real SPARQL 1.1 server: the ``oxigraph`` binary (PyPI package ``oxigraph``) behind a guarding proxy on 127.0.0.1.

:class:`OxigraphServer` loads the materialised graph (:mod:`calcgraph.materialise`) into a fresh store directory,
in the named graph :data:`calcgraph.vocab.GRAPH_IRI`, and runs ``oxigraph serve-read-only`` (``serve`` when
writable) with ``--union-default-graph`` on a private port, so the same query files give the same rows as the
embedded store. Clients talk to a small HTTP proxy on the public port, which

* refuses a request whose query or update is too large, nested too deep, uses ``SERVICE`` (unless allowed) or
  ``LOAD`` (:mod:`calcgraph.sparqlguard`) with HTTP 400, before the engine sees it;
* refuses a ``Host`` other than 127.0.0.1/localhost:PORT and an ``Origin`` other than this server (DNS rebinding,
  cross-site requests) with HTTP 403, and every write without ``Authorization: Bearer TOKEN`` with HTTP 401;
* gives each request a time limit: the engine cancels a query after it (``--timeout-s``), and a query that still
  runs ``grace`` seconds later is ended by killing and restarting the engine (HTTP 504); a result larger than
  ``max_result_bytes`` is not sent (HTTP 422);
* restarts the engine if it dies, so no single request takes the service down.

**Requests in flight when the engine restarts.** When the engine dies, or is killed because one query outlived its
limit, every request it was evaluating loses its connection. A *read* — ``GET``/``HEAD`` on any path, or ``POST`` of a
query to ``/query`` — that was not itself the runaway is sent again, transparently, once the engine answers again:
at most :data:`MAX_REPLAYS` times, and only while the request is within its time limit (``timeout_s`` after it
reached the engine first; each attempt is then limited like any request). Reads have no effect, so sending one again
gives the same rows. The runaway itself gets ``504``. A *write* (``/update``, or ``POST``/``PUT``/``DELETE`` on
``/store``) is never sent again — whether the engine committed it before it stopped is unknown — and gets ``503``
saying so: check the store before sending it again. A request that arrives while the engine restarts waits for it
(up to ``timeout_s``) and gets ``503 ... restarting`` if it is not back by then.

The engine dies with its parent (Linux ``PR_SET_PDEATHSIG``), and a watchdog process removes the temporary store
directory when the parent is gone, however it ended; a directory left by a run killed with its watchdog is removed
by the next start.
"""

from __future__ import annotations

import contextlib
import hmac
import http.client
import http.server
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from calcgraph.errors import ServerError
from calcgraph.io import atomic_write_bytes, pid_alive
from calcgraph.sparqlguard import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_QUERY_BYTES,
    DEFAULT_MAX_RESULT_BYTES,
    DEFAULT_TIMEOUT_S,
    Limits,
    problem,
)
from calcgraph.vocab import GRAPH_IRI

HOST = "127.0.0.1"
DEFAULT_MAX_UPLOAD_BYTES = 128_000_000
DEFAULT_MAX_CONCURRENT = 16
_DIR_PREFIX = "calcgraph-oxigraph-"
_CANCELLED = b"The SPARQL operation has been cancelled"
MAX_REPLAYS = 2  # how many times a read in flight when the engine stopped is sent again


def oxigraph_binary() -> str:
    """The ``oxigraph`` executable: beside this Python (a venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise ServerError(
            "the `oxigraph` server binary is not installed", hint="pip install oxigraph (the PyPI package of the CLI)"
        )
    return found


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` (127.0.0.1) that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def engine_address() -> tuple[str, int]:
    """Where the engine listens: a random address of the loopback network 127.0.0.0/8 and a free port on it.

    Oxigraph has no authentication, and anything that reaches its port bypasses the proxy's checks (token, origin,
    limits). A web page cannot find ``127.R.R.R:PORT`` by trying ports (about 10^12 combinations instead of 28,000 on
    127.0.0.1), nor can a DNS-rebinding page name it. Linux answers on every 127.x.y.z; where binding one fails
    (other systems), the engine falls back to a random port on 127.0.0.1. Local processes can still see the address
    in the process table: the proxy's guarantees are for clients that use its port (docs/sparql.md)."""
    rng = secrets.SystemRandom()
    for _ in range(8):
        host = f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(2, 255)}"
        try:
            return host, free_port(host)
        except OSError:
            break
    return HOST, free_port()


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed connection's TIME_WAIT is no listener
        try:
            s.bind((HOST, port))
        except OSError as exc:
            raise ServerError(
                f"port {port} on {HOST} is already in use", hint="choose another with --port, or stop what uses it"
            ) from exc


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """preexec_fn of the engine: Linux kills it (SIGKILL) when the thread that started it ends."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def _load_prctl() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover
        return None


_PRCTL: Any = _load_prctl()

# The watchdog: waits until its stdin (a pipe from the server) is closed — the server ended, however it ended —
# then gives the engine a moment to die and removes the store directory.
_WATCHDOG = (
    "import os,shutil,signal,sys,time\n"
    "signal.signal(signal.SIGINT,signal.SIG_IGN)\n"
    "sys.stdin.buffer.read()\n"
    "time.sleep(0.3)\n"
    "shutil.rmtree(sys.argv[1],ignore_errors=True)\n"
)


def remove_stale_stores(tmp: Path | None = None) -> list[Path]:
    """Remove the temporary store directories of servers whose process is gone (killed with their watchdog)."""
    removed = []
    base = Path(tmp or tempfile.gettempdir())
    for d in sorted(base.glob(_DIR_PREFIX + "*")):
        owner = d / "owner.pid"
        try:
            pid = int(owner.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        if pid != os.getpid() and not pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


class _Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    server_ref: OxigraphServer


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Proxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    # ---------------------------------------------------------------- replies

    def _reply(self, status: int, message: str, *, extra: dict[str, str] | None = None) -> None:
        body = (message + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    # ---------------------------------------------------------------- checks

    def _handle(self) -> None:
        srv = self.server.server_ref
        try:
            refused = self._refusal(srv)
            if refused is not None:
                self.close_connection = True
                self._reply(*refused)
                return
            body = self._body
            self._forward(srv, body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    _body: bytes = b""
    _replayable: bool = False

    def _refusal(self, srv: OxigraphServer) -> tuple[int, str] | None:
        host = self.headers.get("Host", "")
        if host not in srv.allowed_hosts:
            return 403, f"Host {host[:100]!r} is not this server (use {HOST}:{srv.port} or localhost:{srv.port})"
        origin = self.headers.get("Origin")
        if origin is not None and origin not in srv.allowed_origins:
            return 403, f"cross-origin request from {origin[:100]!r} refused"
        if self.headers.get("Sec-Fetch-Site", "") == "cross-site":
            return 403, "cross-site request refused"
        parts = urllib.parse.urlsplit(self.path)
        route = parts.path
        if route not in {"/", "/query", "/update", "/store"}:
            return 404, f"no such path {route[:100]!r}: use /query, /update or /store"
        write = route == "/update" or (route == "/store" and self.command in {"POST", "PUT", "DELETE"})
        # a read can be sent to the engine again (after a restart); a write never (it may have been committed)
        self._replayable = not write and (self.command in {"GET", "HEAD"} or route == "/query")
        if route == "/query" and self.command not in {"GET", "POST", "HEAD"}:
            return 405, f"{self.command} is not allowed on /query"
        if write:
            if not srv.writable:
                return 403, "this server is read-only (start it with --writable to accept writes)"
            auth = self.headers.get("Authorization", "")
            if not (srv.token and hmac.compare_digest(auth.encode("utf-8", "replace"), f"Bearer {srv.token}".encode())):
                return (
                    401,
                    "writes need the header 'Authorization: Bearer TOKEN' (the token printed by calcgraph serve)",
                )
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return 411, "send a Content-Length (chunked request bodies are not accepted)"
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError:
            return 400, "invalid Content-Length"
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        form = ctype == "application/x-www-form-urlencoded"
        cap = srv.max_upload_bytes if route == "/store" else srv.limits.max_bytes * (3 if form else 1) + 4096
        if length < 0 or length > cap:
            if 0 < length <= 16 * cap:  # read it, so that the client sees the answer rather than a broken pipe
                remaining = length
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            return 413, f"request body of {length} bytes (the limit is {cap})"
        self._body = self.rfile.read(length) if length else b""
        texts: list[tuple[str, bool]] = []
        if route == "/query":
            texts += [(t, False) for t in urllib.parse.parse_qs(parts.query).get("query", [])]
            if self.command == "POST":
                if form:
                    texts += [
                        (t, False)
                        for t in urllib.parse.parse_qs(self._body.decode("utf-8", "replace")).get("query", [])
                    ]
                elif ctype == "application/sparql-query":
                    texts.append((self._body.decode("utf-8", "replace"), False))
                else:
                    return 415, "POST a query as application/sparql-query or application/x-www-form-urlencoded"
        elif route == "/update":
            if form:
                texts += [
                    (t, True) for t in urllib.parse.parse_qs(self._body.decode("utf-8", "replace")).get("update", [])
                ]
            elif ctype == "application/sparql-update":
                texts.append((self._body.decode("utf-8", "replace"), True))
            else:
                return 415, "POST an update as application/sparql-update or application/x-www-form-urlencoded"
        for text, is_update in texts:
            why = problem(text, limits=srv.limits, update=is_update)
            if why is not None:
                return 400, f"refused before evaluation: {why}"
        return None

    # ---------------------------------------------------------------- forwarding

    def _forward(self, srv: OxigraphServer, body: bytes) -> None:
        if not srv.ready.wait(srv.timeout_s):
            self._reply(503, "the SPARQL engine is restarting; try again", extra={"Retry-After": "2"})
            return
        if not srv.slots.acquire(blocking=False):
            self._reply(
                503, f"too many requests at once (the limit is {srv.max_concurrent})", extra={"Retry-After": "1"}
            )
            return
        ticket = srv.begin_request()
        try:
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in {"host", "connection", "keep-alive", "transfer-encoding", "authorization", "origin"}
            }
            headers["Host"] = f"{srv.engine_host}:{srv.engine_port}"
            deadline = time.monotonic() + srv.timeout_s  # a read is sent again only within its time limit
            replays = 0
            while True:
                generation = srv.generation
                try:
                    resp, data, too_big = self._exchange(srv, body, headers)
                    break
                except (OSError, http.client.HTTPException):
                    if srv.killed_for_timeout(ticket):
                        self._reply(504, f"the query ran longer than the {srv.timeout_s:g} s limit and was stopped")
                        return
                    if not self._replayable:
                        self._reply(
                            503,
                            "the SPARQL engine stopped during this write; it is not sent again, and whether it was "
                            "applied is unknown: check the store before sending it again",
                        )
                        return
                    if replays >= MAX_REPLAYS or not srv.await_engine(ticket, generation, deadline):
                        again = f" (sent {replays + 1} times)" if replays else ""
                        self._reply(
                            503, f"the SPARQL engine stopped during this request{again}; try again",
                            extra={"Retry-After": "2"},
                        )  # fmt: skip
                        return
                    replays += 1
                    srv.count_replay()
            if too_big:
                self._reply(
                    422, f"the result is larger than the {srv.max_result_bytes}-byte limit; ask for less (LIMIT)"
                )
                return
            if data.rstrip().endswith(_CANCELLED):
                self._reply(504, f"the query ran longer than the {srv.timeout_s:g} s limit and was cancelled")
                return
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in {"transfer-encoding", "connection", "keep-alive", "content-length"}:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            srv.end_request(ticket)
            srv.slots.release()

    def _exchange(
        self, srv: OxigraphServer, body: bytes, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes, bool]:
        """Send the request to the engine and read its whole answer (at most ``max_result_bytes``): the response,
        its body, and whether the body was larger than the limit. Raises OSError/HTTPException if the engine
        stopped (nothing has been sent to the client yet, so a read can be sent again)."""
        conn = http.client.HTTPConnection(srv.engine_host, srv.engine_port, timeout=srv.timeout_s + srv.grace_s + 5)
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = resp.read1(65536) if self.command != "HEAD" else b""
                if not chunk:
                    break
                size += len(chunk)
                if size > srv.max_result_bytes:
                    return resp, b"", True
                chunks.append(chunk)
            return resp, b"".join(chunks), False
        finally:
            conn.close()


class OxigraphServer:
    """Context manager: a loaded oxigraph server behind the guarding proxy on ``127.0.0.1:port``; ``query_url`` is
    the SPARQL endpoint. ``token``: the bearer token writes need (generated when writable and not given)."""

    def __init__(
        self,
        port: int | None = None,
        *,
        writable: bool = False,
        ntriples: bytes | None = None,
        token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        grace_s: float = 5.0,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        max_query_bytes: int = DEFAULT_MAX_QUERY_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        allow_service: bool = False,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.writable = writable
        self.token = token or (secrets.token_urlsafe(24) if writable else None)
        self.timeout_s, self.grace_s = timeout_s, grace_s
        self.max_result_bytes, self.max_upload_bytes = max_result_bytes, max_upload_bytes
        self.max_concurrent = max_concurrent
        self.limits = Limits(max_bytes=max_query_bytes, max_depth=max_depth, allow_service=allow_service)
        self.allowed_hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}
        self.engine_host, self.engine_port = HOST, 0
        self.restarts = 0
        self.replays = 0  # reads sent again after the engine stopped under them
        self.generation = 0  # engines started so far: a request knows which engine it was sent to
        self.ready = threading.Event()
        self.slots = threading.BoundedSemaphore(max_concurrent)
        self._ntriples = ntriples
        self._dir: Path | None = None
        self._log: Path | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._proxy: _Proxy | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._inflight: dict[int, float] = {}
        self._timed_out: set[int] = set()
        self._next_ticket = 0
        self._stopping = threading.Event()
        self._ended = threading.Event()
        self._exit_code: int | None = None
        self._start_error: ServerError | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/update"

    @property
    def store_url(self) -> str:
        return f"{self.base_url}/store"

    @property
    def store_dir(self) -> Path | None:
        """The temporary directory of the store (removed when the server stops)."""
        return self._dir

    # ---------------------------------------------------------------- requests in flight

    def begin_request(self) -> int:
        with self._lock:
            self._next_ticket += 1
            self._inflight[self._next_ticket] = time.monotonic()
            return self._next_ticket

    def end_request(self, ticket: int) -> None:
        with self._lock:
            self._inflight.pop(ticket, None)
            self._timed_out.discard(ticket)

    def killed_for_timeout(self, ticket: int) -> bool:
        with self._lock:
            return ticket in self._timed_out

    def count_replay(self) -> None:
        with self._lock:
            self.replays += 1

    def await_engine(self, ticket: int, generation: int, deadline: float) -> bool:
        """After a request sent to engine number ``generation`` lost its connection: wait until an engine answers
        again — a new one, or the same one if it still runs (the connection failed for another reason) — and
        restart the request's clock. The request is not in flight while it waits (the supervisor does not count
        the wait against its limit). False when ``deadline`` (monotonic) passes or the server stops first."""
        with self._lock:
            t0 = self._inflight.pop(ticket, None)
        if t0 is None:  # pragma: no cover - end_request ran already
            return False
        while not self._stopping.is_set() and not self._ended.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not self.ready.wait(min(remaining, 0.1)):
                continue
            with self._lock:
                current, process = self.generation, self.process
            if current == generation:
                # the same engine: it runs (retry), or it died and the supervisor has not seen it yet (wait)
                if process is None or process.poll() is not None:
                    self._stopping.wait(0.05)
                    continue
                self._stopping.wait(0.1)  # a moment, in case the supervisor is about to restart it
                with self._lock:
                    if self.generation != generation or not self.ready.is_set() or process.poll() is not None:
                        continue
            with self._lock:
                self._inflight[ticket] = time.monotonic()
            return True
        return False

    # ---------------------------------------------------------------- start and stop

    def start(self, *, timeout: float = 30.0) -> OxigraphServer:
        from calcgraph.materialise import materialised_ntriples

        check_port_free(self.port)
        binary = oxigraph_binary()
        remove_stale_stores()
        self._dir = Path(tempfile.mkdtemp(prefix=_DIR_PREFIX))
        (self._dir / "owner.pid").write_text(f"{os.getpid()}\n", encoding="ascii")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-I", "-c", _WATCHDOG, str(self._dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        data = self._dir / "calcgraph.nt"
        atomic_write_bytes(data, self._ntriples if self._ntriples is not None else materialised_ntriples())
        store = self._dir / "store"
        load = subprocess.run(
            [binary, "load", "--location", str(store), "--file", str(data), "--graph", str(GRAPH_IRI)],
            capture_output=True,
            text=True,
            check=False,
        )
        if load.returncode != 0:
            self.stop()
            raise ServerError(f"oxigraph could not load the data: {load.stderr.strip().splitlines()[-1:]}")
        data.unlink()
        mode = "serve" if self.writable else "serve-read-only"
        self.engine_host, self.engine_port = engine_address()
        timeout_arg = str(max(1, int(self.timeout_s + 0.999)))
        self._cmd = [
            binary, mode, "--location", str(store), "--bind", f"{self.engine_host}:{self.engine_port}",
            "--union-default-graph", "--timeout-s", timeout_arg,
        ]  # fmt: skip
        self._log = self._dir / "server.log"
        try:
            self._proxy = _Proxy((HOST, self.port), _Handler)
        except OSError as exc:
            self.stop()
            raise ServerError(
                f"port {self.port} on {HOST} is already in use", hint="choose another with --port"
            ) from exc
        self._proxy.server_ref = self
        started = threading.Event()
        supervisor = threading.Thread(target=self._supervise, args=(started, timeout), name="oxigraph-supervisor")
        supervisor.daemon = True
        supervisor.start()
        self._threads.append(supervisor)
        started.wait()
        if self._start_error is not None:
            self.stop()
            raise self._start_error
        serving = threading.Thread(target=self._proxy.serve_forever, kwargs={"poll_interval": 0.2}, name="proxy")
        serving.daemon = True
        serving.start()
        self._threads.append(serving)
        return self

    def _spawn(self, timeout: float) -> None:
        """Start the engine (from the supervisor thread: it dies when this thread ends) and wait until it answers."""
        assert self._log is not None
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                self._cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C on the terminal goes to calcgraph, which stops the engine in order
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self._log.read_text(encoding="utf-8", errors="replace").strip()
                raise ServerError(f"oxigraph server exited at start: {err.splitlines()[-1] if err else 'no message'}")
            if self._answers():
                with self._lock:
                    self.generation += 1
                self.ready.set()
                return
            time.sleep(0.1)
        where = f"{self.engine_host}:{self.engine_port}"
        raise ServerError(f"oxigraph server did not answer on {where} within {timeout:.0f} s")

    def _kill_engine(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _supervise(self, started: threading.Event, timeout: float) -> None:
        try:
            self._spawn(timeout)
        except ServerError as exc:
            self._start_error = exc
            self._kill_engine()
            started.set()
            return
        started.set()
        crashes: list[float] = []
        while not self._stopping.is_set():
            assert self.process is not None
            code = self.process.poll()
            now = time.monotonic()
            with self._lock:
                runaway = [t for t, t0 in self._inflight.items() if now - t0 > self.timeout_s + self.grace_s]
                self._timed_out.update(runaway)
            if code is None and not runaway:
                self._stopping.wait(0.25)
                continue
            if self._stopping.is_set():
                break
            self.ready.clear()
            if code is None:  # a query outlived its time limit: end it by restarting the engine
                self._kill_engine()
            else:
                crashes = [t for t in crashes if now - t < 60] + [now]
                if len(crashes) > 5:
                    self._exit_code = code if code else 1
                    break
            self.restarts += 1
            try:
                self._spawn(timeout)
            except ServerError:
                self._exit_code = 1
                break
        self._kill_engine()
        self._ended.set()

    def _answers(self) -> bool:
        # http.client, not urllib: no $http_proxy may see the engine's address (it is not in a usual $no_proxy)
        conn = http.client.HTTPConnection(self.engine_host, self.engine_port, timeout=2)
        try:
            conn.request("GET", "/query?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            resp.read()
            return resp.status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def wait(self) -> int:
        """Block until the server ends (the engine cannot be kept running); returns its exit code."""
        while not self._ended.wait(0.5):
            pass
        return self._exit_code or 0

    def stop(self) -> None:
        """Stop the proxy and the engine (SIGTERM, then SIGKILL after 10 s) and remove the store directory."""
        self._stopping.set()
        self.ready.clear()
        if self._proxy is not None:
            if len(self._threads) > 1:  # serve_forever runs
                self._proxy.shutdown()
            self._proxy.server_close()
            self._proxy = None
        for t in self._threads:
            t.join(timeout=15)
        self._threads = []
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._dir)
            self._dir = None
        if self._watchdog is not None:
            with contextlib.suppress(OSError):
                assert self._watchdog.stdin is not None
                self._watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=5)
            self._watchdog = None
        self._ended.set()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
