"""Generated cases for the benchmarks (seeded; not a clinical data set): JSON Lines, streamed to disk."""

from __future__ import annotations

import json
from pathlib import Path


def write_cases(path: Path, n: int, seed: int) -> None:
    """``n`` cases from :func:`calcgraph.fastclass.synthetic_cases` (aimed at the defined classes, plus noise
    findings), written 10,000 at a time, so that memory does not grow with ``n``."""
    from calcgraph.compiled import load
    from calcgraph.fastclass import fast_classifier, synthetic_cases
    from calcgraph.vocab import iri_to_curie

    fc = fast_classifier()
    noise = sorted(load().index.labels)
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, n, 10_000):
            for c in synthetic_cases(fc, min(10_000, n - start), seed=seed + start, findings=noise):
                doc = {"id": c.id, "present": [iri_to_curie(x) for x in c.present]}
                doc["absent"] = [iri_to_curie(x) for x in c.absent]
                fh.write(json.dumps(doc) + "\n")
