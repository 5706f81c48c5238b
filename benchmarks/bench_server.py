"""Load test of ``calcgraph serve`` (issue #15): 8 clients on loopback run the competency queries for a bounded time,
then the same while hostile requests are in flight — runaway cross-joins (ended by the time limit), 5,000-deep
nesting, SERVICE and LOAD (refused before the engine). Throughput, p50/p90/p99 and errors per phase.

    python benchmarks/bench_server.py [--seconds 60] [--clients 8]

The server listens on 127.0.0.1 only and is stopped at the end. The clients are Python threads on the same machine
(and cores) as the server, so the throughput is a lower bound.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from calcgraph import query as q
from calcgraph.server import OxigraphServer

CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HOSTILE = [
    "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
]


def _post(url: str, text: str, timeout: float) -> tuple[int, bytes]:
    data = urllib.parse.urlencode({"query": text}).encode()
    req = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    per_query: dict[str, list[float]] = field(default_factory=dict)
    hostile: dict[int, int] = field(default_factory=dict)

    def line(self) -> str:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float:
            return lat[min(n - 1, int(p * n))] * 1000 if n else float("nan")

        errs = sum(self.errors.values())
        shown = ", ".join(f"HTTP {k or 'no answer'}: {v}" for k, v in sorted(self.errors.items())) or "none"
        return (
            f"{self.name}: requests={n + errs} errors={errs} ({shown}) throughput={n / self.seconds:.1f} req/s "
            f"p50={pct(0.5):.1f}ms p90={pct(0.9):.1f}ms p99={pct(0.99):.1f}ms max={pct(1.0):.1f}ms"
        )


def run_phase(srv: OxigraphServer, queries: dict[str, str], name: str, seconds: float, clients: int,
              hostile: bool) -> Phase:  # fmt: skip
    phase = Phase(name)
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    names = sorted(queries)

    def client(i: int) -> None:
        k = i
        while time.monotonic() < stop:
            qname = names[k % len(names)]
            k += 1
            t0 = time.perf_counter()
            status, _ = _post(srv.query_url, queries[qname], timeout=srv.timeout_s + 30)
            dt = time.perf_counter() - t0
            with lock:
                if status == 200:
                    phase.latencies.append(dt)
                    phase.per_query.setdefault(qname, []).append(dt)
                else:
                    phase.errors[status] = phase.errors.get(status, 0) + 1

    def attacker() -> None:
        runaways = [
            threading.Thread(target=lambda: _record(_post(srv.query_url, CROSS_JOIN, timeout=5)[0]), daemon=True)
            for _ in range(2)
        ]
        for t in runaways:  # two cross-joins whose clients give up after 5 s: the server must end them
            t.start()
        while time.monotonic() < stop:
            for text in HOSTILE:
                _record(_post(srv.query_url, text, timeout=10)[0])
            time.sleep(0.05)

    def _record(status: int) -> None:
        with lock:
            phase.hostile[status] = phase.hostile.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    if hostile:
        threads.append(threading.Thread(target=attacker))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - t0
    return phase


def measure(seconds: float, clients: int = 8) -> tuple[list[Phase], int, int]:
    """Both phases against one server (default limits: 30 s per query); returns them, the engine restarts and the
    reads sent again because the engine stopped under them."""
    queries = q.bundled_query_texts()
    with OxigraphServer() as srv:
        for text in queries.values():  # warm up
            _post(srv.query_url, text, timeout=60)
        calm = run_phase(srv, queries, "calm", seconds, clients, hostile=False)
        attacked = run_phase(srv, queries, "with hostile requests", seconds, clients, hostile=True)
        restarts, replays = srv.restarts, srv.replays
    return [calm, attacked], restarts, replays


def report(phases: list[Phase], restarts: int, clients: int, replays: int = 0) -> list[str]:
    lines = [f"clients={clients} (loopback, Python threads on the same cores as the server)"]
    for ph in phases:
        lines.append(ph.line())
        for qname, lat in sorted(ph.per_query.items()):
            lat = sorted(lat)
            lines.append(
                f"  {qname:<26} n={len(lat):>6} p50={statistics.median(lat) * 1000:>7.1f}ms "
                f"p99={lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000:>7.1f}ms"
            )
        if ph.hostile:
            shown = ", ".join(f"HTTP {k or 'client gave up'}: {v}" for k, v in sorted(ph.hostile.items()))
            lines.append(f"  hostile requests answered: {shown}")
    lines.append(f"engine restarts: {restarts}; reads in flight at a restart, sent again: {replays}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each phase (default 60)")
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    phases, restarts, replays = measure(args.seconds, args.clients)
    print("\n".join(report(phases, restarts, args.clients, replays)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
