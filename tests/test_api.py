"""The Python API: docs/api.md runs as doctests; the library never imports the command line; phenopacket output."""

from __future__ import annotations

import ast
import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import calcgraph
from calcgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "calcgraph"
EXAMPLES = ROOT / "examples"


def test_docs_api_examples_run() -> None:
    result = doctest.testfile(
        str(ROOT / "docs" / "api.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted >= 20
    assert result.failed == 0


def _imports_cli(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "calcgraph.cli" or a.name.startswith("calcgraph.cli.")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "calcgraph.cli" or node.module.startswith("calcgraph.cli."):
                found.append(node.module)
            elif node.module == "calcgraph" and any(a.name == "cli" for a in node.names):
                found.append("calcgraph.cli")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("calcgraph.cli"):
            found.append(node.value)  # importlib.import_module("calcgraph.cli...")
    return found


def test_no_library_module_imports_the_command_line() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts:
            continue
        found = _imports_cli(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[str(path.relative_to(SRC))] = found
    assert offenders == {}


def test_the_api_runs_without_loading_the_command_line() -> None:
    code = (
        "import sys, calcgraph; kg = calcgraph.load(); "
        "kg.diagnose({'id': 'x', 'present': ['fever']}); kg.query('mccarty-types'); "
        "print(sorted(m for m in sys.modules if m.startswith('calcgraph.cli')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "[]"


def test_results_are_plain_and_render_as_html() -> None:
    kg = calcgraph.load()
    d = kg.diagnose(EXAMPLES / "pseudogout.yaml", top=3)
    assert json.loads(json.dumps(d.to_dict()))["differential"][0]["label"] == d.differential[0].label
    q = kg.query("mccarty-types")
    assert "<table>" in q._repr_html_() and len(q) == len(q.to_dict()["rows"])
    info = {i.name: i for i in calcgraph.list_queries()}
    assert info["differentials"].parameters == {"disease": ("pseudogout",)}


def test_unknown_query_name_suggests_bundled_names() -> None:
    from calcgraph.errors import QueryFileError

    with pytest.raises(QueryFileError) as err:
        calcgraph.load().query("differential")
    assert "differentials" in (err.value.hint or "")


def test_query_by_name_and_list_on_the_command_line() -> None:
    r = CliRunner().invoke(main, ["query", "differentials", "--param", "disease=pseudogout", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["results"]["bindings"]) >= 3
    r = CliRunner().invoke(main, ["query", "--list"])
    assert r.exit_code == 0 and "differentials" in r.stdout and "which" in r.stdout.lower()
    r = CliRunner().invoke(main, ["query"])
    assert r.exit_code == 64


@pytest.mark.parametrize("case", ["pseudogout.yaml", "pseudogout.phenopacket.json"])
def test_diagnose_format_phenopacket_writes_valid_v2_with_ranked_interpretations(case: str) -> None:
    from google.protobuf.json_format import ParseDict
    from phenopackets.schema.v2 import Phenopacket

    r = CliRunner().invoke(main, ["diagnose", str(EXAMPLES / case), "--format", "phenopacket", "--no-classes"])
    assert r.exit_code == 0, r.output
    pp = json.loads(r.stdout)
    ParseDict(pp, Phenopacket())  # valid against the official schema
    interp = pp["interpretations"]
    assert [i["id"] for i in interp] == [f"calcgraph-{pp['id']}-{n}" for n in range(1, len(interp) + 1)]
    assert interp[0]["diagnosis"]["disease"] == {"id": "CALCGRAPH:0001021", "label": "pseudogout"}
    assert all(i["progressStatus"] == "IN_PROGRESS" for i in interp)
    prefixes = {r["namespacePrefix"] for r in pp["metaData"]["resources"]}
    assert {"HP", "CALCGRAPH"} <= prefixes
    ids = {f["type"]["id"] for f in pp["phenotypicFeatures"]}
    assert "HP:0000934" in ids  # a finding with an exact HPO term is written with it
    if case.endswith(".json"):  # the input phenopacket is kept as it was, interpretations added
        source = json.loads((EXAMPLES / case).read_text(encoding="utf-8"))
        assert pp["phenotypicFeatures"] == source["phenotypicFeatures"]
        assert pp["subject"] == source["subject"]


def test_phenopacket_output_round_trips_through_diagnose(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["diagnose", str(EXAMPLES / "pseudogout.yaml"), "--format", "phenopacket"])
    out = tmp_path / "p.json"
    out.write_text(r.stdout, encoding="utf-8")
    again = CliRunner().invoke(main, ["diagnose", str(out), "--format", "json", "--no-classes"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["differential"][0]["label"] == "pseudogout"


def test_a_v1_phenopacket_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "v1.json"
    p.write_text(json.dumps({"id": "x", "phenotypicFeatures": [{"type": {"id": "HP:0000934"}, "negated": True}]}))
    r = CliRunner().invoke(main, ["diagnose", str(p), "--no-classes"])
    assert r.exit_code == 5
    assert "not a valid GA4GH phenopacket v2" in r.stderr and "v1" in r.stderr
