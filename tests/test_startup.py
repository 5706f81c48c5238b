"""Start-up: sub-command modules are imported only when their command runs, and the lazy command table stays in
step with the modules that define the commands. (Speed itself is measured by ``make bench``, not asserted here.)"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from calcgraph import cli
from calcgraph.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]


def test_the_command_table_matches_the_command_modules() -> None:
    found = {}
    for module in cli.COMMAND_MODULES:
        for cmd in importlib.import_module(f"calcgraph.cli.{module}").COMMANDS:
            found[cmd.name] = (module, cmd.get_short_help_str(limit=10_000))
    assert found == COMMANDS


def test_help_lists_every_command_as_the_eager_group_would() -> None:
    eager = click.Group("calcgraph", help=main.help, params=main.params, callback=main.callback)
    for name, (module, _) in COMMANDS.items():
        eager.add_command(cli.command_from(module, name))
    lazy = CliRunner().invoke(main, ["--help"])
    assert lazy.exit_code == 0
    assert lazy.output.split("Commands:")[1] == CliRunner().invoke(eager, ["--help"]).output.split("Commands:")[1]
    for name in COMMANDS:
        sub = CliRunner().invoke(main, [name, "--help"])
        assert sub.exit_code == 0 and f"Usage: main {name}" in sub.output


def test_unknown_command_is_a_usage_error() -> None:
    r = CliRunner().invoke(main, ["no-such-command"])
    assert r.exit_code == 2 and "No such command" in r.output


def _modules_after(*argv: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from calcgraph.cli import main\n"
        f"sys.argv = ['calcgraph', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(r.stderr.strip().splitlines()[-1]))


def test_help_imports_no_command_module() -> None:
    mods = _modules_after("--help")
    assert not {m for m in mods if m.startswith("calcgraph.cli.")}
    assert not {"numpy", "rdflib", "networkx", "pyoxigraph", "yaml"} & mods


def test_diagnose_imports_only_what_it_needs() -> None:
    mods = _modules_after("diagnose", str(ROOT / "examples" / "pseudogout.yaml"), "--no-classes")
    assert {m for m in mods if m.startswith("calcgraph.cli.")} == {"calcgraph.cli.diagnose"}
    assert "networkx" not in mods and "owlready2" not in mods


def test_diagnose_with_classes_reads_no_rdf() -> None:
    """With a warm compiled-model cache, diagnosing a case (classes included) needs neither rdflib nor the reasoner
    module: the compiled model, the fast classifier's hierarchy and the case file are all it reads."""
    case = str(ROOT / "examples" / "pseudogout.yaml")
    _modules_after("diagnose", case)  # warms the caches if the release changed
    mods = _modules_after("diagnose", case)
    assert "calcgraph.fastclass" in mods  # the classes were computed
    assert not {m for m in mods if m.split(".")[0] in ("rdflib", "owlready2", "networkx", "pyoxigraph")}
    assert "difflib" not in mods  # only to suggest a name for an unknown term
    assert "calcgraph.reason" not in mods and "calcgraph.materialise" not in mods
