"""Full disk (#15, review test 2c): every command that writes, on a tiny tmpfs, ends with a documented error, leaves
the previous output intact and leaves no temp file. Needs permission to mount a tmpfs (root, Linux); skipped
elsewhere. The mount is private to the test and unmounted at its end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calcgraph import paths

CG = str(Path(sys.executable).parent / "calcgraph")


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux mount")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(d: Path, keep: int) -> None:
    """Fill the file system but ``keep`` bytes."""
    st = shutil.disk_usage(d)
    (d / "filler").write_bytes(b"\0" * max(0, st.free - keep))


def _temps(d: Path) -> list[str]:
    return sorted(p.name for p in d.rglob("*") if p.name.endswith((".tmp", ".release-tmp")) or ".loading-" in p.name)


@pytest.mark.slow
def test_every_writing_command_on_a_full_disk(tiny: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"id": f"c{i}", "present": ["fever"]}) + "\n" for i in range(2000)))
    previous = {name: b"previous " + name.encode() for name in ("R.jsonl", "x.graphml")}
    for name, data in previous.items():
        (tiny / name).write_bytes(data)
    release = tiny / "release"
    release.mkdir()
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        (release / name).write_bytes(b"previous " + name.encode())
    _fill(tiny, 32_000)
    runs = {
        "batch": ([CG, "diagnose", "--batch", str(cases), "--out", str(tiny / "R.jsonl")], {74}),
        "export": ([CG, "export", "--format", "graphml", "--out", str(tiny / "x.graphml")], {50}),
        "build": ([CG, "build", "--source", str(paths.edit_file()), "--out-dir", str(release)], {74}),
        "load-cases": ([CG, "load-cases", str(cases), "--store", str(tiny / "S")], {60, 74}),
    }
    for name, (cmd, codes) in runs.items():
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert r.returncode in codes, f"{name}: {r.returncode} {r.stderr}"
        assert "Traceback" not in r.stderr and "error: " in r.stderr, r.stderr
    for name, data in previous.items():
        assert (tiny / name).read_bytes() == data
    for name in ("calcgraph.owl", "calcgraph.ttl"):
        assert (release / name).read_bytes() == b"previous " + name.encode()
    assert not (tiny / "S").exists()
    assert _temps(tiny) == []
