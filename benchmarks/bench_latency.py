"""What one command costs as a person feels it: whole processes, against the interpreter floors, in one run.

    python benchmarks/bench_latency.py [--rounds 11]

Targets (issue #16): ``calcgraph diagnose case.yaml`` < 0.3 s wall and ``calcgraph --help`` < 0.1 s, each measured
against ``python -c pass`` and ``python -c "import numpy"`` in the same interleaved rounds. The compiled-model cache
is warm (a warm-up round fills it); the cold start, which builds it, is reported separately. calcgraph's modules
are byte-compiled first, as ``pip install`` does: with ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``
(an editable checkout in such an environment), every process would compile them from source again.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sys
import tempfile
from pathlib import Path

from measure import CALCGRAPH, Run, Series, interleaved, load_average, ms, paired_ratio, run, table

import calcgraph

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
CASE = str(ROOT / "examples" / "pseudogout.yaml")

#: name -> (command, target seconds or None)
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    "floor: python -c pass": ([PY, "-c", "pass"], None),
    "floor: python -c 'import numpy'": ([PY, "-c", "import numpy"], None),
    "calcgraph --help": ([CALCGRAPH, "--help"], 0.1),
    "calcgraph diagnose pseudogout.yaml": ([CALCGRAPH, "diagnose", CASE], 0.3),
    "calcgraph diagnose pseudogout.yaml --no-classes": ([CALCGRAPH, "diagnose", CASE, "--no-classes"], None),
    "calcgraph diagnose pseudogout.yaml --format json": ([CALCGRAPH, "diagnose", CASE, "--format", "json"], None),
    "calcgraph classify pseudogout.yaml (fast classifier)": (
        [CALCGRAPH, "classify", CASE, "--reasoner", "fast"],
        None,
    ),
    "calcgraph query differentials.rq": ([CALCGRAPH, "query", str(ROOT / "queries" / "differentials.rq")], None),
}


def cold_start(rounds: int) -> list[Run]:
    """``diagnose`` with an empty compiled-model cache (other caches warm): the first run after a release change."""
    out = []
    hierarchy = list((ROOT / "ontology" / ".cache").glob("hierarchy-*.json"))
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="calcgraph-cold-") as tmp:
            for h in hierarchy:
                (Path(tmp) / h.name).write_bytes(h.read_bytes())
            env = {**os.environ, "CALCGRAPH_CACHE_DIR": tmp}
            out.append(run([CALCGRAPH, "diagnose", CASE, "--no-classes"], env=env))
    return out


def measure(rounds: int = 11, cold_rounds: int = 3) -> dict[str, Series]:
    """Print the table; return the series by name (cold start as ``cold``)."""
    before = load_average()
    # as an installed package has them (the timed processes read the bytecode even with PYTHONDONTWRITEBYTECODE set)
    compileall.compile_dir(str(Path(calcgraph.__file__).parent), quiet=1)
    supported = {}
    for name, (cmd, _) in COMMANDS.items():
        if "classify" in name and "--reasoner" in cmd:
            try:
                run(cmd)
            except SystemExit:
                continue  # an older CLI without the fast reasoner for classify
        supported[name] = cmd
    series = interleaved({n: (lambda c=c: run(c)) for n, c in supported.items()}, rounds)
    cold = cold_start(cold_rounds)
    after = load_average()
    floor, numpy_floor = series["floor: python -c pass"], series["floor: python -c 'import numpy'"]
    rows = []
    for name, s in series.items():
        target = COMMANDS[name][1]
        verdict = ""
        if target is not None:
            verdict = f"< {ms(target)} ms: " + ("met" if s.med() < target else "missed")
        rows.append(
            [
                name,
                f"{ms(s.med())} ({ms(s.lo())}-{ms(s.hi())})",
                ms(s.med("cpu")),
                f"{s.med('rss'):.0f}",
                f"{paired_ratio(s, floor):.1f}x",
                f"{paired_ratio(s, numpy_floor):.2f}x",
                verdict,
            ]
        )
    c_wall = sorted(r.wall for r in cold)
    rows.append(
        [
            "calcgraph diagnose --no-classes, cold compiled-model cache",
            f"{ms(c_wall[len(c_wall) // 2])} ({ms(c_wall[0])}-{ms(c_wall[-1])})",
            ms(sorted(r.cpu for r in cold)[len(cold) // 2]),
            f"{max(r.rss for r in cold):.0f}",
            "",
            "",
            "once per release",
        ]
    )
    table(
        f"Single-case latency: whole processes, {rounds} interleaved rounds (wall ms median (min-max), CPU ms "
        "median, peak RSS MiB, ratios = median of per-round ratios to the floors)",
        ["command", "wall ms", "CPU ms", "RSS MiB", "x pass", "x import numpy", "target"],
        rows,
        notes=[
            f"Load average before: {before}; after: {after}.",
            "Wall times grow with the load (waiting for a CPU); CPU times and the ratios to the floors measured in "
            "the same rounds much less. The targets are judged on the median wall time.",
            "calcgraph's modules are byte-compiled before the rounds (as pip install does). calcgraph commands run "
            f"numpy's OpenBLAS with one thread (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '1')} "
            "unless set); the numpy floor starts one per core.",
        ],
    )
    return {**series, "cold": Series("cold", cold)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=11)
    args = ap.parse_args()
    measure(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
