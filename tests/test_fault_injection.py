"""Fault injection: ``kill -9`` at seeded random moments of export, batch diagnosis and build. After each
kill the previous output is intact (byte for byte, or the complete new one), and the next run leaves no temp file."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CG = str(Path(sys.executable).parent / "calcgraph")
SEED = 20261207
KILLS = 4


def _kill_at(argv: list[str], delay: float) -> int | None:
    """Start ``argv`` in its own process group, kill -9 the group after ``delay`` s; the return code, or None if
    it was killed."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        return proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def _temps(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.endswith(".tmp") or ".loading-" in p.name)


def _assert_complete(name: str, out: Path) -> None:
    if name == "batch":
        lines = out.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 3000 and all(json.loads(x) for x in lines)
    else:
        import networkx as nx

        g = nx.read_graphml(out)
        assert g.number_of_nodes() > 100


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("fi") / "cases.jsonl"
    rows = [{"id": f"c{i}", "present": ["acute monoarthritis", "knee involvement", "fever"]} for i in range(3000)]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("export", ["export", "--format", "graphml", "--out", "{out}"]),
        ("batch", ["diagnose", "--batch", "{cases}", "--out", "{out}", "--workers", "2"]),
    ],
)
def test_kill_9_leaves_the_previous_output_and_no_temp_file(
    tmp_path: Path, cases: Path, name: str, argv: list[str]
) -> None:
    out = tmp_path / f"{name}.out"
    out.write_text("the previous output\n", encoding="utf-8")
    rng = random.Random(f"{SEED}-{name}")
    cmd = [CG, *(a.format(out=out, cases=cases) for a in argv)]
    for _ in range(KILLS):
        before = out.read_bytes()
        rc = _kill_at(cmd, rng.uniform(0.3, 2.5))
        after = out.read_bytes()
        assert rc in (None, 0)
        if after != before:  # never torn: the previous bytes, or a complete new output
            _assert_complete(name, out)
    # one clean run: it completes and sweeps any temp file a kill left
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert _temps(tmp_path) == []
    if name == "batch":
        assert len(out.read_text(encoding="utf-8").splitlines()) == 3000


def test_a_temp_file_left_by_a_killed_run_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """What kill -9 leaves beside an output (``.NAME.PID.XXXX.tmp`` of a dead process) is swept by the next write;
    a live process's temp file (a concurrent writer) is kept."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "g.graphml"
    stale = tmp_path / f".g.graphml.{dead.pid}.abcd1234.tmp"
    stale.write_bytes(b"x" * 1000)
    live = tmp_path / f".g.graphml.{os.getpid()}.efgh5678.tmp"
    live.write_bytes(b"mine")
    r = subprocess.run([CG, "export", "--format", "graphml", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not stale.exists() and live.exists() and out.exists()


@pytest.mark.slow
def test_kill_9_of_build_never_leaves_a_mixed_release(tmp_path: Path) -> None:
    """build killed at seeded moments: what a reader sees (after paths.complete_release, which every reader of the
    release runs) is the old pair or the new pair, never one of each; the next build leaves no temp file."""
    from calcgraph import paths

    edit = paths.edit_file()
    src = tmp_path / "edit.ttl"
    src.write_text(
        edit.read_text(encoding="utf-8") + '\nCALCGRAPH:0001005 rdfs:comment "fault-injection marker" .\n',
        encoding="utf-8",
    )
    (tmp_path / "templates").symlink_to(edit.parent / "templates")
    out = tmp_path / "release"
    out.mkdir()
    old = {}
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        old[name] = (edit.parent / name).read_bytes()
        (out / name).write_bytes(old[name])
    rng = random.Random(f"{SEED}-build")
    cmd = [CG, "build", "--source", str(src), "--out-dir", str(out)]
    for _ in range(KILLS):
        rc = _kill_at(cmd, rng.uniform(0.5, 6.0))
        assert rc in (None, 0)
        paths.complete_release(out)
        now = {name: (out / name).read_bytes() for name in old}
        marked = [b"fault-injection marker" in data for data in now.values()]
        assert marked in ([False, False], [True, True]), "a new release file beside an old one"
        if not any(marked):
            assert now == old
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert all(b"fault-injection marker" in (out / n).read_bytes() for n in old)
    leftovers = [p.name for p in out.iterdir() if p.name.endswith((".tmp", ".release-tmp", ".journal"))]
    assert leftovers == []
