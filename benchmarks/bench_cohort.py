"""``calcgraph load-cases`` against the bulk-load floor, and the cohort queries, in one run.

    python benchmarks/bench_cohort.py [--cases 100000] [--rounds 3] [--workers 2]

The floor is Oxigraph's own ``bulk_load`` of exactly the quads ``load-cases`` stored (dumped from its store as
N-Quads), into a fresh on-disk store, in a fresh process. Load and floor alternate (A B A B ...); the ratio is the
median of the per-round ratios. Targets (issue #16): load within 1.2x of the floor at 100,000 cases, peak memory
< 1 GB, every cohort query < 0.5 s on 100,000 cases.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

from measure import CALCGRAPH, PY, Series, load_average, ms, paired_ratio, run, table

FLOOR = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[2])
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
store.flush()
"""


def dump_nquads(store_dir: Path, out: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))
    store.dump(str(out), format=ox.RdfFormat.N_QUADS)
    return len(store)


def measure(work: Path, cases: Path, n: int, rounds: int, workers: int, query_repeat: int = 7) -> dict[str, float]:
    """Print both tables; return the headline figures (load/floor ratio, peak RSS MiB, slowest query median s)."""
    before = load_average()
    load, floor = Series("load-cases"), Series("floor")
    nq = work / "cohort.nq"
    store = work / "cohort.db"
    quads = 0
    for r in range(rounds):
        for what in ("load", "floor") if r % 2 == 0 else ("floor", "load"):
            if what == "load" or not nq.exists():
                shutil.rmtree(store, ignore_errors=True)
                cmd = [CALCGRAPH, "load-cases", str(cases), "--store", str(store), "--with-results"]
                load.runs.append(run([*cmd, "--workers", str(workers)]))
                if not quads:  # this run's own quads, also when --workdir holds an older dump
                    quads = dump_nquads(store, nq)
            if what == "floor":
                target = work / "floor.db"
                shutil.rmtree(target, ignore_errors=True)
                floor.runs.append(run([PY, "-c", FLOOR, str(nq), str(target)]))
                shutil.rmtree(target, ignore_errors=True)
    # the first load ran before the first floor; keep the rounds paired
    load.runs = load.runs[-len(floor.runs) :]
    rows = [
        [
            f"load-cases --with-results --workers {workers}",
            f"{load.med():.1f} ({load.lo():.1f}-{load.hi():.1f})",
            f"{load.med('cpu'):.1f}",
            f"{load.hi('rss'):,.0f}",
            f"{paired_ratio(load, floor):.2f}x",
        ],
        [
            f"floor: bulk_load of the same {quads:,} quads (N-Quads file)",
            f"{floor.med():.1f} ({floor.lo():.1f}-{floor.hi():.1f})",
            f"{floor.med('cpu'):.1f}",
            f"{floor.hi('rss'):,.0f}",
            "1.00x",
        ],
    ]
    after = load_average()
    table(
        f"Cohort load: {n:,} generated cases, {len(floor.runs)} paired rounds (wall s median (min-max), CPU s, "
        "peak RSS MiB of the process, ratio = median of per-round ratios)",
        ["what", "wall s", "CPU s", "peak RSS MiB", "x floor"],
        rows,
        notes=[
            f"Load average before: {before}; after: {after}. CPU s and peak RSS come from wait4 and include the "
            "worker processes; Oxigraph's bulk loader uses several threads, so its CPU time can exceed its wall time.",
            "load-cases bulk-loads in pieces of whole cases (bounded memory) and ends with one compaction "
            "(Store.optimize) that the floor does not do; it makes the cohort queries below 2-4x faster.",
            "Target: within 1.2x of the floor, < 1 GB.",
        ],
    )
    slowest = query_table(store, n, query_repeat)
    return {"ratio": paired_ratio(load, floor), "rss": load.hi("rss"), "load": load.med(), "floor": floor.med(),
            "cpu_ratio": load.med("cpu") / floor.med("cpu"), "slowest_query": slowest}  # fmt: skip


def query_table(store: Path, n: int, repeat: int) -> float:
    """Print the table; return the slowest median (seconds)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from calcgraph import query as q

    engine = q.OxigraphStoreEngine(store)
    rows = []
    slowest = 0.0
    for path in q.cohort_query_files():
        for target in ("pseudogout", "case suggestive of pseudogout", "septic arthritis"):
            qf = q.load_query(path)
            single, multi = q.bind_parameters(qf, {"target": [target]}, engine)
            times, cpus = [], []
            res: list[object] = []
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                res = engine.run(qf.text, single, multi)
                times.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            med = statistics.median(times)
            slowest = max(slowest, med)
            rows.append(
                [
                    f"{path.name} target={target!r}",
                    f"{ms(med)} ({ms(min(times))}-{ms(max(times))})",
                    ms(statistics.median(cpus)),
                    f"{len(res):,}",
                    "met" if med < 0.5 else "missed",
                ]
            )
    table(
        f"Cohort queries on the {n:,}-case store (median of {repeat} runs, in process)",
        ["query", "wall ms", "CPU ms", "rows", "< 500 ms"],
        rows,
        notes=[f"Load average: {load_average()}."],
    )
    return slowest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    import tempfile

    from gen_cases import write_cases

    with tempfile.TemporaryDirectory(prefix="calcgraph-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        cases = work / f"cohort-{args.cases}.jsonl"
        if not cases.exists():
            write_cases(cases, args.cases, seed=5000)
        measure(work, cases, args.cases, args.rounds, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
