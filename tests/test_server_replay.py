"""Requests in flight when the engine restarts: reads are sent again and get their rows, the runaway that caused the
restart gets 504, and a write is never sent again (503).

Every server here listens on 127.0.0.1 only and is stopped at the end of its test."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

import pytest

from calcgraph import query as q
from calcgraph.server import MAX_REPLAYS, OxigraphServer

CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MARK = "<http://example.org/replay/x> <http://example.org/replay/n>"
SLOW_UPDATE = (
    f"INSERT {{ GRAPH <http://example.org/replay> {{ {MARK} ?n }} }} "
    "WHERE { SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } }"
)

pytestmark = pytest.mark.slow


def _post(url: str, body: str, ctype: str, extra: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"Content-Type": ctype, "Accept": "application/sparql-results+json", **(extra or {})},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _query(srv: OxigraphServer, text: str) -> tuple[int, bytes]:
    return _post(srv.query_url, urllib.parse.urlencode({"query": text}), "application/x-www-form-urlencoded")


def _rows(body: bytes) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in json.loads(body)["results"]["bindings"])


def _innocent_clients(
    srv: OxigraphServer, queries: dict[str, str], until: Callable[[], bool], clients: int = 6
) -> list[tuple[str, int, bytes]]:
    """``clients`` threads that run the competency queries one after another until ``until()`` is true."""
    results: list[tuple[str, int, bytes]] = []
    lock = threading.Lock()
    names = sorted(queries)

    def client(i: int) -> None:
        k = i
        while not until():
            name = names[k % len(names)]
            k += 1
            status, body = _query(srv, queries[name])
            with lock:
                results.append((name, status, body))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return results


def _wait_restarted(srv: OxigraphServer, restarts: int) -> None:
    """Until the engine has been started ``restarts`` times after the first and answers (the reply to the request
    that caused a restart can come before the supervisor counts it)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (srv.generation >= restarts + 1 and srv.ready.is_set()):
        time.sleep(0.02)
    assert srv.restarts == restarts and srv.generation == restarts + 1


def _check_innocent(results: list[tuple[str, int, bytes]], expected: dict[str, list[str]]) -> None:
    assert results
    failed = [(name, status, body[:200]) for name, status, body in results if status != 200]
    assert not failed, failed
    for name, _, body in results:
        assert _rows(body) == expected[name], name


def test_innocent_queries_survive_the_restart_that_ends_a_runaway() -> None:
    queries = q.bundled_query_texts()
    with OxigraphServer(timeout_s=4, grace_s=1) as srv:  # innocent queries far below the limit on a busy machine
        expected = {}
        for name, text in queries.items():
            status, body = _query(srv, text)
            assert status == 200, body
            expected[name] = _rows(body)
        runaways: list[tuple[int, bytes]] = []
        for _ in range(3):  # a replay needs an innocent query in flight at the kill: nearly always the first time
            done = threading.Event()

            def runaway(done: threading.Event) -> None:
                runaways.append(_query(srv, CROSS_JOIN))
                time.sleep(1.0)  # and some innocent queries on the new engine
                done.set()

            attacker = threading.Thread(target=runaway, args=(done,))
            attacker.start()
            results = _innocent_clients(srv, queries, done.is_set)
            attacker.join(timeout=60)
            _check_innocent(results, expected)
            if srv.replays:
                break
        assert [s for s, _ in runaways] == [504] * len(runaways), runaways
        assert b"limit" in runaways[-1][1]
        _wait_restarted(srv, len(runaways))
        assert srv.replays >= 1  # some innocent query was in flight at a kill, and got its rows anyway


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_innocent_queries_survive_an_engine_crash() -> None:
    queries = q.bundled_query_texts()
    with OxigraphServer(timeout_s=5, grace_s=1) as srv:
        expected = {name: _rows(_query(srv, text)[1]) for name, text in queries.items()}
        killed = threading.Event()
        after = [0.0]

        def crash() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(srv._inflight) < 3:
                time.sleep(0.005)
            assert srv.process is not None
            os.kill(srv.process.pid, signal.SIGKILL)
            killed.set()
            after[0] = time.monotonic() + 3.0  # some queries on the new engine too

        killer = threading.Thread(target=crash)
        killer.start()
        results = _innocent_clients(srv, queries, lambda: killed.is_set() and time.monotonic() > after[0])
        killer.join(timeout=60)
        _check_innocent(results, expected)
        _wait_restarted(srv, 1)
        assert srv.replays >= 1


def test_an_update_in_flight_at_a_kill_is_not_sent_again() -> None:
    """The runaway query is killed after timeout + grace (5 to 5.25 s); the update, started 3 s after it, is still
    running then and is no runaway itself (that would take until 8 s): it gets 503, not a replay."""
    with OxigraphServer(writable=True, timeout_s=4, grace_s=1) as srv:
        auth = {"Authorization": f"Bearer {srv.token}"}
        answers: dict[str, tuple[int, bytes]] = {}

        def runaway() -> None:
            answers["runaway"] = _query(srv, CROSS_JOIN)

        def update() -> None:
            answers["update"] = _post(srv.update_url, SLOW_UPDATE, "application/sparql-update", auth)

        first = threading.Thread(target=runaway)
        first.start()
        time.sleep(3.0)
        second = threading.Thread(target=update)
        second.start()
        first.join(timeout=60)
        second.join(timeout=60)
        assert answers["runaway"][0] == 504, answers
        status, body = answers["update"]
        assert status == 503, answers
        assert b"not sent again" in body and b"check the store" in body
        _wait_restarted(srv, 1)
        assert srv.replays == 0
        status, body = _query(srv, f"ASK {{ {MARK} ?n }}")
        assert status == 200 and json.loads(body)["boolean"] is False  # neither committed nor replayed
        # and the server takes writes again
        status, _ = _post(
            srv.update_url, f"INSERT DATA {{ GRAPH <http://example.org/replay> {{ {MARK} 1 }} }}",
            "application/sparql-update", auth,
        )  # fmt: skip
        assert status in {200, 204}
        assert json.loads(_query(srv, f"ASK {{ {MARK} ?n }}")[1])["boolean"] is True


def test_a_read_is_sent_again_at_most_max_replays_times() -> None:
    """A long read whose engine is killed under it three times: sent again twice, then 503."""
    with OxigraphServer(timeout_s=30, grace_s=5) as srv:
        answer: list[tuple[int, bytes]] = []
        reader = threading.Thread(target=lambda: answer.append(_query(srv, CROSS_JOIN)))
        reader.start()
        for kill in range(MAX_REPLAYS + 1):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (srv.generation == kill + 1 and len(srv._inflight) == 1):
                time.sleep(0.01)
            assert srv.generation == kill + 1 and len(srv._inflight) == 1, (srv.generation, srv._inflight)
            time.sleep(0.3)  # the query runs on this engine
            assert srv.process is not None
            os.kill(srv.process.pid, signal.SIGKILL)
        reader.join(timeout=60)
        assert answer and answer[0][0] == 503, answer
        assert f"sent {MAX_REPLAYS + 1} times".encode() in answer[0][1]
        assert srv.replays == MAX_REPLAYS
        _wait_restarted(srv, MAX_REPLAYS + 1)
        assert _query(srv, "ASK {}")[0] == 200  # and the server answers again
