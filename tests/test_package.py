"""The wheel carries its data: built, installed in a fresh venv and run from a directory outside the checkout.

Slow (about 30 s: it builds the wheel and installs it with its dependencies; pip reuses its cache and may reach the
package index for what the cache lacks), but part of ``make test``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    why = f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0, why
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(wheel, venv bin directory, environment) of a fresh venv with the wheel installed."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALCGRAPH_") and k != "PYTHONPATH"}
    env.update(HOME=str(base / "home"), XDG_CACHE_HOME=str(base / "cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("VIRTUAL_ENV", None)
    if "PIP_CACHE_DIR" not in os.environ:  # keep the user's pip cache although HOME moves
        env["PIP_CACHE_DIR"] = str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pip")
    dist = base / "dist"
    run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)], base, env)
    (wheel,) = dist.glob("calcgraph-*.whl")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], base, env)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], base, env)
    return wheel, bindir, env


def test_the_wheel_holds_the_release_the_hpo_import_queries_and_examples(installed) -> None:
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "calcgraph/data/ontology/calcgraph.owl",
        "calcgraph/data/ontology/calcgraph.ttl",
        "calcgraph/data/ontology/cohort.ttl",
        "calcgraph/data/ontology/catalog-v001.xml",
        "calcgraph/data/ontology/imports/hp_import.owl",
        "calcgraph/data/queries/differentials.rq",
        "calcgraph/data/examples/pseudogout.yaml",
        "calcgraph/data/examples/pseudogout.phenopacket.json",
    ):
        assert name in names, name
    assert not any(n.endswith("calcgraph-edit.ttl") or "/templates/relations-" in n for n in names)


def test_installed_calcgraph_works_from_any_directory(installed, tmp_path: Path) -> None:
    _, bindir, env = installed
    cg = str(bindir / "calcgraph")
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "case.yaml").write_text(
        "id: knee\nage: 78\npresent: [acute monoarthritis, CPP crystals in synovial fluid]\n", encoding="utf-8"
    )
    out = json.loads(run([cg, "diagnose", "case.yaml", "--format", "json", "--top", "3"], work, env).stdout)
    assert out["differential"][0]["label"] == "pseudogout"
    packet = str(ROOT / "examples" / "pseudogout.phenopacket.json")
    pp = json.loads(run([cg, "diagnose", packet, "--format", "phenopacket"], work, env).stdout)
    assert pp["interpretations"][0]["diagnosis"]["disease"]["label"] == "pseudogout"
    rows = run([cg, "query", "differentials", "--param", "disease=pseudogout", "--format", "csv"], work, env).stdout
    assert "septic arthritis" in rows
    listed = run([cg, "query", "--list"], work, env).stdout
    assert "differentials" in listed and "calcinosis-causes" in listed
    run([cg, "export", "--format", "graphml", "--out", "g.graphml"], work, env)
    assert (work / "g.graphml").stat().st_size > 10_000
    api = run(
        [str(bindir / "python"), "-c", "import calcgraph; kg = calcgraph.load(); print(kg.diagnose('case.yaml'))"],
        work,
        env,
    ).stdout
    assert "pseudogout" in api
    # nothing was written into the installed package: caches go to the user's cache directory
    site = next((bindir.parent / "lib").glob("python*/site-packages"))
    assert not (site / "calcgraph" / "data" / "ontology" / ".cache").exists()
    build = subprocess.run([cg, "build"], cwd=work, env=env, capture_output=True, text=True, check=False)
    assert build.returncode == 3 and "checkout" in build.stderr
