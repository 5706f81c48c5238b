"""Shared fixtures: the project's ontology files and the domain reference beside the checkout."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

import pytest
from rdflib import Graph

from calcgraph import paths
from calcgraph.build import load_sources

ROOT = Path(__file__).resolve().parents[1]


def reference_dir() -> Path:
    env = os.environ.get("CALCGRAPH_REFERENCE")
    return Path(env) if env else ROOT.parent / "shared" / "reference"


def read_tsv(name: str) -> list[dict[str, str]]:
    path = reference_dir() / name
    if not path.exists():
        pytest.fail(
            f"domain reference {path} is missing: clone the project with ../shared beside it or set CALCGRAPH_REFERENCE"
        )
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def edit_graph() -> Graph:
    return load_sources(paths.edit_file())


@pytest.fixture(scope="session")
def ox():  # type: ignore[no-untyped-def]
    """The embedded Oxigraph engine over the release + OWL RL inferences (built once per session)."""
    from calcgraph.query import OxigraphEngine

    return OxigraphEngine()


@pytest.fixture(scope="session")
def rl():  # type: ignore[no-untyped-def]
    """The rdflib engine over the same data."""
    from calcgraph.query import RdflibEngine

    return RdflibEngine()


@pytest.fixture(scope="session")
def release_graph() -> Graph:
    return Graph().parse(paths.release_owl(), format="xml")


# Property-based tests run with a fixed budget and no randomness, so CI stays deterministic.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "calcgraph",
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("calcgraph")


def relation_row(table: Path, finding: str, relation: str, disease: str) -> dict[str, str]:
    """The one row of a relation table for (finding, relation, disease), as a column -> value dict."""
    from calcgraph.tables import read_table

    key = (finding, relation, disease)
    rows = [r for r in read_table(table) if (r["finding"], r["relation"], r["disease"]) == key]
    assert len(rows) == 1, key
    return {c: rows[0][c] for c in rows[0].values}


def check_sourced_or_searched(table: Path, diseases: Iterable[str], at_least: int) -> None:
    """Every row of these diseases is sourced from a primary source with the source's words, or says what was
    searched (issue 11)."""
    from calcgraph.stats import is_primary
    from calcgraph.tables import read_table

    wanted = set(diseases)
    rows = [r for r in read_table(table) if r["disease"] in wanted]
    assert len(rows) > at_least
    for r in rows:
        assert r["status"] in ("sourced", "no published figure"), (r.where(), r["status"])
        if r["status"] == "no published figure":
            assert r["comment"], f"{r.where()}: say what was searched"
        else:
            assert r["source"] and all(is_primary(x.strip()) for x in r["source"].split(";")), r.where()
            assert r["evidence"], f"{r.where()}: quote the source"
