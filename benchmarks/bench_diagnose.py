"""Throughput of ``calcgraph diagnose``: cases per second in one process, and through the batch path.

    python benchmarks/bench_diagnose.py [--cases 10000] [--repeats 5] [--seed 0]

Synthetic cases draw 3-8 present and 0-4 excluded findings at random from the ontology's findings (seeded), so they
exercise the scoring, the explanations and ``next_tests`` (not a clinical evaluation). Prints a table of medians over
the repeats; no assertion (speed lives here, not in the test suite).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from calcgraph.cli import main
from calcgraph.cli.diagnose import load
from calcgraph.diagnose import diagnose


def synthetic_cases(labels: list[str], n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        chosen = rng.sample(labels, rng.randint(3, 12))
        k = rng.randint(3, min(8, len(chosen)))
        cases.append({"id": f"syn-{i}", "present": chosen[:k], "absent": chosen[k:]})
    return cases


def main_(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    loaded = load()
    load_s = time.perf_counter() - t0
    labels = sorted(loaded.index.labels.values())
    cases = synthetic_cases(labels, args.cases, args.seed)
    resolved = [
        ([loaded.index.resolve(x) for x in c["present"]], [loaded.index.resolve(x) for x in c["absent"]]) for c in cases
    ]

    rows: list[tuple[str, list[float]]] = []
    for name, kwargs in (
        ("diagnose (top 10, explanations, next_tests)", {}),
        ("diagnose (top 1, no next_tests)", {"top": 1, "n_next": 0}),
    ):
        rates = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            for pres, abse in resolved:
                diagnose(loaded.model, pres, abse, **kwargs)
            rates.append(len(resolved) / (time.perf_counter() - t))
        rows.append((name, rates))

    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "cases.jsonl"
        batch.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
        out = Path(tmp) / "out.jsonl"
        rates = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            r = CliRunner().invoke(main, ["diagnose", "--batch", str(batch), "--out", str(out)])
            elapsed = time.perf_counter() - t
            if r.exit_code != 0:
                print(r.output, file=sys.stderr)
                return 1
            rates.append(len(cases) / elapsed)
        rows.append((f"batch path, {len(cases)} cases (parse + diagnose + JSONL, incl. ontology load)", rates))

    print(
        f"ontology load + model build: {load_s * 1000:.0f} ms; {len(loaded.model.candidates)} candidates, "
        f"{len(loaded.model.rows)} findings; {args.cases} synthetic cases, {args.repeats} repeats"
    )
    print(f"| {'what':<78} | {'median cases/s':>14} | {'min':>8} | {'max':>8} |")
    print(f"|{'-' * 80}|{'-' * 16}|{'-' * 10}|{'-' * 10}|")
    for name, rates in rows:
        print(f"| {name:<78} | {statistics.median(rates):>14,.0f} | {min(rates):>8,.0f} | {max(rates):>8,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
