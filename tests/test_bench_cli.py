"""The benchmark runner's section selector (``benchmarks/run_all.py --only``)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def run_all():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def test_every_section_runs_without_only(run_all) -> None:  # type: ignore[no-untyped-def]
    assert run_all.parse_sections(None) == list(run_all.SECTIONS)


def test_only_keeps_run_order_and_resolves_aliases(run_all) -> None:  # type: ignore[no-untyped-def]
    assert run_all.parse_sections("load, single") == ["latency", "cohort"]
    assert run_all.parse_sections("workers,batch,workers") == ["batch", "workers"]


@pytest.mark.parametrize("spec", ["", "bogus", "batch,bogus"])
def test_unknown_or_empty_section_is_refused(run_all, spec: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(argparse.ArgumentTypeError):
        run_all.parse_sections(spec)
    with pytest.raises(SystemExit) as exc:
        run_all.main(["--only", spec])
    assert exc.value.code == 2
