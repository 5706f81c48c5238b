"""Measuring on a shared machine: fresh processes timed in interleaved rounds, wall and CPU time side by side.

Other jobs on the machine slow a command down by waiting for a CPU; that inflates its wall time but hardly its CPU
time (user + system), and it inflates every command of one round alike. So every benchmark here

* runs the commands it compares in the same rounds, round-robin, rotating the order each round;
* reports medians with min and max, CPU time beside wall time, and ratios to a floor measured in the same rounds
  (the median of the per-round ratios);
* prints the load average before and after, so a reader can judge how busy the machine was.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
PY = sys.executable
CALCGRAPH = str(BIN / "calcgraph")


@dataclass(frozen=True)
class Run:
    """One fresh process: wall and CPU seconds, peak resident memory (MiB)."""

    wall: float
    cpu: float
    rss: float


@dataclass
class Series:
    name: str
    runs: list[Run] = field(default_factory=list)

    def med(self, attr: str = "wall") -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)

    def lo(self, attr: str = "wall") -> float:
        return min(getattr(r, attr) for r in self.runs)

    def hi(self, attr: str = "wall") -> float:
        return max(getattr(r, attr) for r in self.runs)


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


def run(cmd: Sequence[str], *, stdout: int | None = subprocess.DEVNULL, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` in a fresh process; wall time, CPU time (user + system) and peak RSS from ``wait4``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err[-800:]}")
    rss = usage.ru_maxrss / (1024 if sys.platform != "darwin" else 1024 * 1024)
    return Run(wall, usage.ru_utime + usage.ru_stime, rss)


def interleaved(commands: dict[str, Callable[[], Run]], rounds: int, warmup: int = 1) -> dict[str, Series]:
    """Every command once per round, the order rotated each round; ``warmup`` rounds are run and dropped."""
    names = list(commands)
    out = {n: Series(n) for n in names}
    for r in range(warmup + rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            result = commands[name]()
            if r >= warmup:
                out[name].runs.append(result)
    return out


def paired_ratio(a: Series, b: Series, attr: str = "wall") -> float:
    """Median over rounds of a/b (both measured in the same rounds)."""
    return statistics.median(
        getattr(x, attr) / getattr(y, attr) for x, y in zip(a.runs, b.runs, strict=True) if getattr(y, attr) > 0
    )


def ms(x: float) -> str:
    return f"{x * 1000:,.0f}"


def table(title: str, header: list[str], rows: list[list[str]], notes: Sequence[str] = ()) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n### {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        cells = (c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        print("| " + " | ".join(cells) + " |")
    if notes:
        print()
        for n in notes:
            print(n)
    sys.stdout.flush()
