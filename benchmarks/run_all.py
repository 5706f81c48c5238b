"""Every calcgraph benchmark in one run (``make bench``): tables of medians and ratios measured in this run.

    python benchmarks/run_all.py [--quick] [--workdir DIR]

1. rdflib vs pyoxigraph on every competency query (``bench_queries.measure``);
2. HermiT vs the fast classifier per case, with their agreement on the cases timed;
3. ``calcgraph diagnose --batch`` (one worker = one core) at 1,000, 10,000 and 100,000 generated cases, each size
   in a fresh subprocess whose peak memory (max RSS, ``os.wait4``) is read when it ends;
4. ``calcgraph load-cases --with-results`` of 100,000 generated cases into an Oxigraph store (load time), then the
   median time of each cohort query (``queries/cohort-*.rq``) on that store.

Generated cases come from :func:`calcgraph.fastclass.synthetic_cases` (seeded; aimed at the defined classes, plus
noise findings). ``--quick`` divides the sizes by 10 (a smoke run). Speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_queries

from calcgraph import query as q
from calcgraph.cases import FindingIndex
from calcgraph.fastclass import fast_classifier, synthetic_cases
from calcgraph.reason import classify_cases, release_graph
from calcgraph.vocab import iri_to_curie

CALCGRAPH = str(Path(sys.executable).parent / "calcgraph")


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n### {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(
            "| "
            + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |"
        )
    sys.stdout.flush()


def write_cases(path: Path, n: int, seed: int) -> None:
    fc = fast_classifier()
    noise = sorted(FindingIndex.from_graph(release_graph()).labels)
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, n, 10_000):  # stream: never all cases in memory
            for c in synthetic_cases(fc, min(10_000, n - start), seed=seed + start, findings=noise):
                doc = {"id": c.id, "present": [iri_to_curie(x) for x in c.present]}
                doc["absent"] = [iri_to_curie(x) for x in c.absent]
                fh.write(json.dumps(doc) + "\n")


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of a fresh subprocess."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def bench_queries_section(repeat: int) -> None:
    load_s, rows = bench_queries.measure(repeat)
    ratios = [rl / ox for _, _, rl, ox in rows]
    out = [[name, str(n), f"{rl:.2f}", f"{ox:.3f}", f"{rl / ox:.0f}x"] for name, n, rl, ox in rows]
    out.append(["geometric mean", "", "", "", f"{statistics.geometric_mean(ratios):.0f}x"])
    out.append(["minimum", "", "", "", f"{min(ratios):.0f}x"])
    table(
        f"1. Competency queries: rdflib vs pyoxigraph (median of {repeat} runs, ms; stores loaded in {load_s:.1f} s)",
        ["query", "rows", "rdflib ms", "pyoxigraph ms", "ratio"],
        out,
    )


def bench_classifier(n_fast: int, hermit_runs: int) -> None:
    fc = fast_classifier()
    noise = sorted(FindingIndex.from_graph(release_graph()).labels)
    cases = synthetic_cases(fc, n_fast, seed=42, findings=noise)
    hermit_one = []
    for c in cases[:hermit_runs]:
        t0 = time.perf_counter()
        classify_cases([c], "hermit")
        hermit_one.append(time.perf_counter() - t0)
    chunk = cases[:50]
    t0 = time.perf_counter()
    hermit_chunk = classify_cases(chunk, "hermit")
    chunk_s = time.perf_counter() - t0
    agree = sum(
        [x.iri for x in h.classes] == [x.iri for x in f.classes]
        for h, f in zip(hermit_chunk, [fc.classify(c) for c in chunk], strict=True)
    )
    types_s, full_s = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        for c in cases:
            fc.types(c.present, c.absent)
        types_s.append((time.perf_counter() - t0) / len(cases))
        t0 = time.perf_counter()
        for c in cases:
            fc.classify(c)
        full_s.append((time.perf_counter() - t0) / len(cases))
    h1 = statistics.median(hermit_one)
    rows = [
        ["HermiT, one case per call (JVM start + classification)", f"{h1 * 1000:,.0f}", "1x"],
        [f"HermiT, {len(chunk)} cases in one call (per case)", f"{chunk_s / len(chunk) * 1000:,.1f}",
         f"{h1 / (chunk_s / len(chunk)):,.0f}x"],
        [f"fast classifier, types only (median of 5 x {len(cases)} cases)", f"{statistics.median(types_s) * 1000:.4f}",
         f"{h1 / statistics.median(types_s):,.0f}x"],
        ["fast classifier, full classification with explanations", f"{statistics.median(full_s) * 1000:.4f}",
         f"{h1 / statistics.median(full_s):,.0f}x"],
    ]  # fmt: skip
    table(
        f"2. Classifying a case: HermiT vs the fast path (agreement on the {len(chunk)} cases HermiT classified "
        f"together: {agree}/{len(chunk)}; the test suite checks 1,000 + every example)",
        ["what", "ms per case", "speed-up vs one HermiT call"],
        rows,
    )


def bench_diagnose(workdir: Path, sizes: list[int]) -> None:
    rows = []
    per_case = []
    for n in sizes:
        cases = workdir / f"cases-{n}.jsonl"
        write_cases(cases, n, seed=1000)
        out = workdir / f"out-{n}.jsonl"
        wall, rss = run_measured([CALCGRAPH, "diagnose", "--batch", str(cases), "--out", str(out), "--workers", "1"])
        lines = sum(1 for _ in out.open(encoding="utf-8"))
        if lines != n:
            raise SystemExit(f"diagnose wrote {lines} results for {n} cases")
        per_case.append(wall / n)
        rows.append([f"{n:,}", f"{wall:.2f}", f"{n / wall:,.0f}", f"{wall / n * 1e6:,.0f}", f"{rss:,.0f}"])
        out.unlink()
    wall0, rss0 = run_measured([CALCGRAPH, "diagnose", "--batch", str(workdir / "empty.jsonl"), "--workers", "1"])
    if len(sizes) >= 2:
        marginal = (per_case[-1] * sizes[-1] - per_case[-2] * sizes[-2]) / (sizes[-1] - sizes[-2])
        rows.append(
            [f"marginal {sizes[-2]:,}->{sizes[-1]:,}", "", f"{1 / marginal:,.0f}", f"{marginal * 1e6:,.0f}", ""]
        )
    rows.append(["0 (start-up: load ontology, build model)", f"{wall0:.2f}", "", "", f"{rss0:,.0f}"])
    table(
        "3. calcgraph diagnose --batch, one worker (one core), top 10 with explanations and next tests",
        ["cases", "wall s", "cases/s", "us per case", "peak RSS MiB"],
        rows,
    )


def bench_cohort(workdir: Path, n: int, repeat: int, workers: int) -> None:
    cases = workdir / f"cohort-{n}.jsonl"
    write_cases(cases, n, seed=5000)
    store = workdir / "cohort.db"
    wall, rss = run_measured(
        [CALCGRAPH, "load-cases", str(cases), "--store", str(store), "--with-results", "--workers", str(workers)]
    )
    engine = q.OxigraphStoreEngine(store)
    triples = len(engine.store)
    rows = [[f"load-cases --with-results --workers {workers} ({n:,} cases, {triples:,} triples)", f"{wall * 1000:,.0f}",
             "", f"{rss:,.0f}"]]  # fmt: skip
    for path in q.cohort_query_files():
        for target in ("pseudogout", "case suggestive of pseudogout", "septic arthritis"):
            qf = q.load_query(path)
            single, multi = q.bind_parameters(qf, {"target": [target]}, engine)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                res = engine.run(qf.text, single, multi)
                times.append(time.perf_counter() - t0)
            rows.append(
                [f"{path.name} target={target!r}", f"{statistics.median(times) * 1000:,.1f}", f"{len(res):,}", ""]
            )
    table(
        f"4. Cohort store: {n:,} generated cases in Oxigraph (query medians of {repeat} runs)",
        ["what", "ms", "rows", "peak RSS MiB"],
        rows,
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="sizes / 10: a smoke run")
    ap.add_argument("--workdir", type=Path, help="keep generated files here (default: a temporary directory)")
    args = ap.parse_args()
    div = 10 if args.quick else 1
    cpu = os.cpu_count() or 1
    print(f"calcgraph benchmarks: {platform.platform()}, {platform.processor() or platform.machine()}, {cpu} CPU(s), "
          f"Python {platform.python_version()}")  # fmt: skip
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calcgraph-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "empty.jsonl").write_text("", encoding="utf-8")
        bench_queries_section(repeat=15)
        bench_classifier(n_fast=1000, hermit_runs=3)
        bench_diagnose(work, [1000 // div, 10_000 // div, 100_000 // div])
        bench_cohort(work, 100_000 // div, repeat=7, workers=min(2, cpu))
    print(f"\nall benchmarks: {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
