"""Store directories (#15): ``--store`` refuses a directory that is not an Oxigraph store (F5), what a killed load
leaves beside a store is swept by the next load (2a), and a store left with an unflushed write-ahead log is
recovered instead of making every query slow (F11)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from calcgraph import storedir
from calcgraph.errors import CohortLoadError, UsageError

CG = str(Path(sys.executable).parent / "calcgraph")
COUNT = "# question: how many quads\nSELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }\n"


def _cases(path: Path, n: int) -> Path:
    rows = [{"id": f"c{i}", "present": ["acute monoarthritis", "knee involvement", "fever"]} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _cg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CG, *args], capture_output=True, text=True, timeout=600)


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".loading-" in p.name or p.name.endswith(".tmp"))


def test_load_cases_refuses_an_ordinary_directory_and_leaves_it_untouched(tmp_path: Path) -> None:
    """F5: RocksDB used to add ~20 files to the directory and rename the user's ``LOG`` to ``LOG.old.<time>``."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "LOG").write_text("my own log\n")
    (mine / "notes.txt").write_text("notes\n")
    before = _snapshot(mine)
    r = _cg("load-cases", str(_cases(tmp_path / "c.jsonl", 3)), "--store", str(mine))
    assert r.returncode == CohortLoadError.exit_code, r.stderr
    assert "not an Oxigraph store (it holds LOG, notes.txt); nothing was written to it" in r.stderr
    assert "Traceback" not in r.stderr
    assert _snapshot(mine) == before
    assert _leftovers(tmp_path) == []
    q = tmp_path / "count.rq"
    q.write_text(COUNT)
    r = _cg("query", str(q), "--store", str(mine))
    assert r.returncode == UsageError.exit_code and "not an Oxigraph store" in r.stderr, r.stderr
    assert _snapshot(mine) == before


def test_an_empty_directory_or_a_store_is_accepted(tmp_path: Path) -> None:
    cases = _cases(tmp_path / "c.jsonl", 3)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not storedir.is_store(empty)
    assert _cg("load-cases", str(cases), "--store", str(empty)).returncode == 0
    assert storedir.is_store(empty)
    storedir.check_target(empty)  # a store: accepted
    r = _cg("load-cases", str(cases), "--store", str(empty))  # a second load into the store
    assert r.returncode == 0, r.stderr
    assert storedir.log_bytes(empty) < 1 << 20  # the flushed log is dropped after the load
    assert _leftovers(tmp_path) == []


def test_a_dead_load_s_directory_is_swept_and_a_live_one_kept(tmp_path: Path) -> None:
    """2a: ``.NAME.loading-PID-XXXX`` of a process that is gone is removed by the next load into NAME."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".S.loading-{dead.pid}-abcd"
    (stale / "store").mkdir(parents=True)
    (stale / "store" / "000001.sst").write_bytes(b"x" * 100_000)
    live = tmp_path / f".S.loading-{os.getpid()}-efgh"
    live.mkdir()
    other = tmp_path / f".T.loading-{dead.pid}-ijkl"  # another store's: not ours to touch
    other.mkdir()
    r = _cg("load-cases", str(_cases(tmp_path / "c.jsonl", 3)), "--store", str(tmp_path / "S"))
    assert r.returncode == 0, r.stderr
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.slow
def test_kill_9_of_a_fresh_load_leaves_nothing_after_the_next_load(tmp_path: Path) -> None:
    """2a with real kills at seeded moments: no store or a complete one, and the next load leaves no temp dir."""
    cases = _cases(tmp_path / "c.jsonl", 3000)
    store = tmp_path / "S"
    rng = random.Random("20261207-load")
    for _ in range(3):
        proc = subprocess.Popen(
            [CG, "load-cases", str(cases), "--store", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=rng.uniform(0.5, 3.0))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert not store.exists() or storedir.is_store(store)
        if store.exists():
            break
    r = _cg("load-cases", str(cases), "--store", str(store))
    assert r.returncode == 0, r.stderr
    assert _leftovers(tmp_path) == []


_UNFLUSHED = textwrap.dedent(
    """
    import os, sys, time
    import pyoxigraph as ox
    store = ox.Store(sys.argv[1])
    nt = "".join(f"<http://x/s{i}> <http://x/p> \\"value {i}\\" .\\n" for i in range(int(sys.argv[2])))
    store.load(nt.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("http://x/g"))  # committed
    if sys.argv[3] == "exit":
        os._exit(0)  # killed between commit and flush: the load is only in the write-ahead log
    print("ready", flush=True)
    time.sleep(600)  # a writer that holds the store
    """
)


def _unflushed_store(tmp_path: Path, triples: int, mode: str = "exit") -> tuple[Path, subprocess.Popen[str]]:
    store = tmp_path / "S"
    r = _cg("load-cases", str(_cases(tmp_path / "c.jsonl", 3)), "--store", str(store))
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen(
        [sys.executable, "-c", _UNFLUSHED, str(store), str(triples), mode], stdout=subprocess.PIPE, text=True
    )
    if mode == "exit":
        proc.wait(timeout=300)
    else:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return store, proc


def _count(store: Path) -> int:
    from calcgraph import query as q

    eng = q.OxigraphStoreEngine(store)
    res = eng.store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(next(iter(res))[0].value)


def test_a_store_left_with_an_unflushed_log_is_recovered_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """F11: after a load killed between commit and flush, every read-only open replayed the whole log in memory
    (25-35 s and 2.9 GB per query at 1.5 million triples). The first open now replays it into the store once."""
    store, _ = _unflushed_store(tmp_path, 30_000)
    unflushed = storedir.log_bytes(store)
    assert unflushed > 4 << 20  # the load is in the log only
    monkeypatch.setattr(storedir, "UNCLEAN_LOG_BYTES", 1 << 20)  # the default (32 MB) needs a slow big load
    n = _count(store)
    err = capsys.readouterr().err
    assert "write-ahead log not flushed into the store" in err and "recovered" in err, err
    assert storedir.log_bytes(store) < 1 << 20  # recovered: the next opens are fast
    assert _count(store) == n and n >= 30_000  # nothing lost
    assert "note:" not in capsys.readouterr().err  # clean now: nothing more to say


def test_a_store_held_by_a_running_writer_is_only_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """While another process writes the store (its lock held), the query reads it and says why it may be slow."""
    store, proc = _unflushed_store(tmp_path, 30_000, mode="hold")
    try:
        monkeypatch.setattr(storedir, "UNCLEAN_LOG_BYTES", 1 << 20)
        assert _count(store) >= 30_000
        assert "another process (a running load-cases?) is writing the store" in capsys.readouterr().err
    finally:
        proc.kill()
        proc.wait()


def test_the_loser_of_two_fresh_loads_is_told_what_happened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """F19: the second of two loads into a new store saw "[Errno 39] Directory not empty"."""
    from calcgraph import cohort

    cases = _cases(tmp_path / "c.jsonl", 3)
    target = tmp_path / "S"
    real = os.replace

    def other_load_wins(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == target and not target.exists():
            r = _cg("load-cases", str(cases), "--store", str(target))  # the other load finishes first
            assert r.returncode == 0, r.stderr
        real(src, dst)

    monkeypatch.setattr(cohort.os, "replace", other_load_wins)
    job = cohort.CohortJob(cohort.new_load_id(), with_results=False)
    with pytest.raises(CohortLoadError, match="another load created the store while this one ran"):
        cohort.load_into_store(cases, target, job)
    assert storedir.is_store(target) and _leftovers(tmp_path) == []
