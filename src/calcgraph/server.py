"""A real SPARQL 1.1 server: the ``oxigraph`` binary (PyPI package ``oxigraph``) on 127.0.0.1.

:class:`OxigraphServer` loads the materialised graph (:mod:`calcgraph.materialise`) into a fresh store directory,
in the named graph :data:`calcgraph.vocab.GRAPH_IRI`, and runs ``oxigraph serve-read-only`` (``serve`` when
writable) with ``--union-default-graph``, so the same query files give the same rows as the embedded store.
The store directory is temporary and removed when the server stops.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from calcgraph.errors import ServerError
from calcgraph.io import atomic_write_bytes
from calcgraph.vocab import GRAPH_IRI

HOST = "127.0.0.1"


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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed connection's TIME_WAIT is no listener
        try:
            s.bind((HOST, port))
        except OSError as exc:
            raise ServerError(
                f"port {port} on {HOST} is already in use", hint="choose another with --port, or stop what uses it"
            ) from exc


class OxigraphServer:
    """Context manager: a loaded oxigraph server on ``127.0.0.1:port``; ``query_url`` is the SPARQL endpoint."""

    def __init__(self, port: int | None = None, *, writable: bool = False, ntriples: bytes | None = None) -> None:
        self.port = port if port is not None else free_port()
        self.writable = writable
        self._ntriples = ntriples
        self._dir: Path | None = None
        self._log: Path | None = None
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

    def start(self, *, timeout: float = 30.0) -> OxigraphServer:
        from calcgraph.materialise import materialised_ntriples

        check_port_free(self.port)
        binary = oxigraph_binary()
        self._dir = Path(tempfile.mkdtemp(prefix="calcgraph-oxigraph-"))
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
        mode = "serve" if self.writable else "serve-read-only"
        cmd = [binary, mode, "--location", str(store), "--bind", f"{HOST}:{self.port}", "--union-default-graph"]
        self._log = self._dir / "server.log"
        with self._log.open("wb") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self._log.read_text(encoding="utf-8", errors="replace").strip()
                self.stop()
                raise ServerError(f"oxigraph server exited at start: {err.splitlines()[-1] if err else 'no message'}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"oxigraph server did not answer on {self.base_url} within {timeout:.0f} s")

    def _answers(self) -> bool:
        req = urllib.request.Request(
            f"{self.query_url}?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait(self) -> int:
        """Block until the server process ends; returns its exit code."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its store directory."""
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

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
