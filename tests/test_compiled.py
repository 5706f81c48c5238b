"""The compiled-model cache: invalidated when the release (or the compiling code) changes, safe under concurrent
builders, and identical in its results to a model built straight from the release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calcgraph import cache, compiled, paths
from calcgraph.cases import load_case_file
from calcgraph.diagnose import diagnose

ROOT = Path(__file__).resolve().parents[1]
LABEL = '"calcium pyrophosphate crystals in synovial fluid"'


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("CALCGRAPH_CACHE_DIR", str(d))
    compiled._MEMO.clear()
    yield d
    compiled._MEMO.clear()


def _examples() -> list[Path]:
    return sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("examples/*.json"), *ROOT.glob("examples/cases/*.yaml")])


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.glob(f"{compiled.PREFIX}*"))


def test_cache_is_written_then_read(cache_dir: Path) -> None:
    first = compiled.load()
    assert not first.from_cache
    assert _files(cache_dir) == [f"{compiled.PREFIX}{first.key}.pickle"]
    assert compiled.load() is first  # the same process never reads the release twice
    compiled._MEMO.clear()
    again = compiled.load()
    assert again.from_cache and again.key == first.key


def test_cache_is_invalidated_when_the_release_changes(cache_dir: Path, tmp_path: Path) -> None:
    onto = tmp_path / "calcgraph.ttl"
    shutil.copy(paths.release_ttl(), onto)
    before = compiled.load(onto)
    cppd = "https://w3id.org/calcgraph/CALCGRAPH_0003101"
    assert before.index.label(cppd) == LABEL.strip('"')
    text = onto.read_text(encoding="utf-8")
    assert text.count(LABEL) == 1
    onto.write_text(text.replace(LABEL, '"CPP crystals, renamed"'), encoding="utf-8")
    after = compiled.load(onto)
    assert after.key != before.key and not after.from_cache
    assert after.index.label(cppd) == "CPP crystals, renamed"
    assert cppd in after.model.rows and after.model.finding_names[after.model.rows[cppd]] == "CPP crystals, renamed"
    assert len(_files(cache_dir)) == 2
    onto.write_text(text, encoding="utf-8")  # back to the first version: its file is still there
    compiled._MEMO.clear()
    back = compiled.load(onto)
    assert back.key == before.key and back.from_cache


def test_a_changed_hpo_import_is_a_new_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = paths.release_ttl().read_bytes()
    key = compiled.compiled_key(data)
    hp = tmp_path / "hp_import.owl"
    hp.write_bytes(paths.hp_import().read_bytes() + b"\n")
    monkeypatch.setattr(compiled, "inputs", lambda: [hp])
    assert compiled.compiled_key(data) != key


def test_a_code_change_is_a_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    data = paths.release_ttl().read_bytes()
    key = compiled.compiled_key(data)
    monkeypatch.setattr(compiled, "code_digest", lambda: b"other scoring rules")
    assert compiled.compiled_key(data) != key


def test_a_damaged_cache_file_is_rebuilt(cache_dir: Path) -> None:
    key = compiled.load().key
    file = cache_dir / f"{compiled.PREFIX}{key}.pickle"
    good = file.read_bytes()
    for junk in (b"", good[: len(good) // 2], b"not a pickle", good.replace(key.encode(), b"x" * len(key), 1)):
        file.write_bytes(junk)
        compiled._MEMO.clear()
        c = compiled.load()
        assert not c.from_cache and c.key == key
        assert compiled._load_file(file, key) is not None  # rewritten whole


def test_old_files_are_pruned(cache_dir: Path) -> None:
    cache_dir.mkdir()
    for i in range(cache.KEEP + 3):
        old = cache_dir / f"{compiled.PREFIX}old{i}.pickle"
        old.write_bytes(b"x")
        os.utime(old, (1000 + i, 1000 + i))
    key = compiled.load().key
    names = _files(cache_dir)
    assert len(names) == cache.KEEP and f"{compiled.PREFIX}{key}.pickle" in names


def test_read_only_ontology_directory_uses_the_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CALCGRAPH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir(tmp_path) == tmp_path / ".cache"
    monkeypatch.setattr(cache, "_writable", lambda d: False)
    if sys.platform.startswith("linux"):
        assert cache.cache_dir(tmp_path) == tmp_path / "xdg" / "calcgraph"
    assert cache.cache_dir(tmp_path) == cache.user_cache_dir()


def _diagnose_all(c: compiled.Compiled) -> list[dict]:
    out = []
    for path in _examples():
        case = load_case_file(path, c.index)
        out.append(diagnose(c.model, case.present, case.absent, case_id=case.id, top=40, n_next=10))
    return out


def test_cached_and_uncached_models_give_identical_results(cache_dir: Path) -> None:
    fresh = compiled.load(use_cache=False)
    compiled.load()  # writes the cache
    compiled._MEMO.clear()
    cached = compiled.load()
    assert cached.from_cache
    assert len(_examples()) >= 30
    assert json.dumps(_diagnose_all(cached)) == json.dumps(_diagnose_all(fresh))
    assert cached.index == fresh.index
    assert cached.case_model.defined == fresh.case_model.defined
    assert cached.case_model.labels == fresh.case_model.labels


def test_the_compiled_case_model_is_the_one_of_the_rdf_xml_release() -> None:
    """The fast classifier takes its defined classes from the compiled (Turtle) model instead of parsing the
    RDF/XML twin of the release a second time: both give the same model."""
    from calcgraph.reason import _cached

    _, from_owl = _cached(paths.release_owl())
    ours = compiled.load().case_model
    assert ours.defined == from_owl.defined
    assert ours.labels == from_owl.labels and ours.definitions == from_owl.definitions
    assert ours.suggests == from_owl.suggests and dict(ours.up) == dict(from_owl.up)


_BUILDER = """
import sys, time
from pathlib import Path
from calcgraph import compiled
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
c = compiled.load()
print(c.key, c.from_cache, flush=True)
"""

_READER = """
import sys, time
from pathlib import Path
from calcgraph import compiled
key, file, go, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
seen = bad = 0
while not stop.exists():
    if file.exists():
        seen += 1
        if compiled._load_file(file, key) is None:
            bad += 1
    time.sleep(0.001)
print(seen, bad)
"""


def test_concurrent_builders_do_not_corrupt_the_cache(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    env = {**os.environ, "CALCGRAPH_CACHE_DIR": str(d)}
    key = compiled.compiled_key(paths.release_ttl().read_bytes())
    file = d / f"{compiled.PREFIX}{key}.pickle"
    go, stop = tmp_path / "go", tmp_path / "stop"
    run = [sys.executable, "-c"]
    reader = subprocess.Popen(
        [*run, _READER, key, str(file), str(go), str(stop)], env=env, stdout=subprocess.PIPE, text=True
    )
    builders = [
        subprocess.Popen([*run, _BUILDER, str(go)], env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    time.sleep(0.5)
    go.touch()
    outs = [b.communicate(timeout=300)[0].split() for b in builders]
    assert all(b.returncode == 0 for b in builders)
    stop.touch()
    seen, bad = map(int, reader.communicate(timeout=60)[0].split())
    assert {o[0] for o in outs} == {key}
    assert bad == 0 and seen > 0  # a reader never saw a partial file
    assert _files(d) == [file.name] and not [p for p in d.iterdir() if p.name.endswith(".tmp")]
    c = compiled._load_file(file, key)
    assert c is not None
    fresh = compiled.load(use_cache=False)
    assert json.dumps(_diagnose_all(c)) == json.dumps(_diagnose_all(fresh))


def test_cli_output_is_the_same_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    env = {**os.environ, "CALCGRAPH_CACHE_DIR": str(tmp_path / "cache")}
    hierarchy = list((paths.ontology_dir() / ".cache").glob("hierarchy-*.json"))
    (tmp_path / "cache").mkdir()
    for h in hierarchy:  # HermiT's hierarchy is another cache (fastclass); keep the test free of Java
        shutil.copy(h, tmp_path / "cache" / h.name)
    cli = str(Path(sys.executable).parent / "calcgraph")
    cmd = [cli, "diagnose", str(ROOT / "examples" / "pseudogout.yaml"), "--format", "json"]
    cold = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert _files(tmp_path / "cache")
    warm = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert cold.stdout == warm.stdout and "classes" in json.loads(warm.stdout)
