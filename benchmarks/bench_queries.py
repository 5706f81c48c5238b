"""Time every competency query (queries/*.rq, default parameters) on rdflib and on pyoxigraph in the same run.

    python benchmarks/bench_queries.py [--repeat N]

Prints the median wall time of each query on each engine and the ratio rdflib / pyoxigraph. Both stores hold the
same materialised graph (release ontology + OWL 2 RL entailments) in calcgraph's named graph; parameters are bound
once (label -> IRI) outside the timed part, so the times are of query evaluation and result reading only.
"""

from __future__ import annotations

import argparse
import statistics
import time

from calcgraph import query as q


def _median_ms(engine: q.Engine, qf: q.QueryFile, single: dict, multi: dict, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    engine.run(qf.text, single, multi)  # warm-up
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = len(engine.run(qf.text, single, multi))
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, rows


def measure(repeat: int = 15) -> tuple[float, list[tuple[str, int, float, float]]]:
    """(store load seconds, [(query file, rows, rdflib ms, pyoxigraph ms)]) for every competency query."""
    t0 = time.perf_counter()
    engines = {"rdflib": q.RdflibEngine(), "oxigraph": q.OxigraphEngine()}
    load_s = time.perf_counter() - t0
    rows = []
    for path in q.query_files():
        qf = q.load_query(path)
        single, multi = q.bind_parameters(qf, {}, engines["oxigraph"])
        rl, n1 = _median_ms(engines["rdflib"], qf, single, multi, repeat)
        ox, n2 = _median_ms(engines["oxigraph"], qf, single, multi, repeat)
        if n1 != n2:
            raise SystemExit(f"{path.name}: rdflib gave {n1} rows, pyoxigraph {n2}")
        rows.append((path.name, n1, rl, ox))
    return load_s, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15, help="timed runs per query and engine (default 15)")
    args = ap.parse_args()
    load_s, measured = measure(args.repeat)
    print(f"stores loaded in {load_s:.2f} s; median of {args.repeat} runs per query (ms)\n")
    header = f"{'query':<28} {'rows':>5} {'rdflib':>10} {'pyoxigraph':>11} {'ratio':>8}"
    print(header)
    print("-" * len(header))
    ratios = []
    for name, n1, rl, ox in measured:
        ratio = rl / ox if ox > 0 else float("inf")
        ratios.append(ratio)
        print(f"{name:<28} {n1:>5} {rl:>10.2f} {ox:>11.3f} {ratio:>7.0f}x")
    print("-" * len(header))
    print(f"{'geometric mean ratio':<28} {'':>5} {'':>10} {'':>11} {statistics.geometric_mean(ratios):>7.0f}x")


if __name__ == "__main__":
    main()
