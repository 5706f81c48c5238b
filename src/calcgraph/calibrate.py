"""Calibrate the "none of the modelled diseases fits well" threshold on the published validation cases.

The signal (:func:`calcgraph.diagnose.fit_of`) says that nothing modelled fits when the best candidate's log10
composite likelihood ratio -- how much better than the background over all candidates it explains the case -- is
below :data:`calcgraph.diagnose.NONE_FITS_LOG10_LR` and no finding proves a disease. This module measures that best
log10 LR on every case of ``validation/`` and picks the threshold that best separates the ``not modelled`` cases
(positives) from the modelled ones (negatives): the largest Youden's J (true-positive rate minus false-positive rate),
ties to the lower threshold (fewer modelled cases told that nothing fits). Only the threshold is calibrated; no figure
of the model is touched.

``python -m calcgraph.calibrate [DIR]`` prints the table and the threshold.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

from calcgraph.validate import NOT_MODELLED, load_set


def youden_threshold(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, float, float, float]:
    """(threshold, J, true-positive rate, false-positive rate) for "flag when value < threshold": the threshold is
    the midpoint between two neighbouring observed values (to 2 decimals) with the largest J, the lower on ties.

    >>> youden_threshold([0.2, 0.5, 1.0], [0.8, 1.5, 2.0, 3.0])
    (1.25, 0.75, 1.0, 0.25)
    """
    values = sorted({*positives, *negatives})
    cuts = [round((a + b) / 2, 2) for a, b in itertools.pairwise(values)]
    best = (0.0, -2.0, 0.0, 0.0)
    for t in sorted(set(cuts)):
        tpr = sum(v < t for v in positives) / len(positives) if positives else 0.0
        fpr = sum(v < t for v in negatives) / len(negatives) if negatives else 0.0
        j = tpr - fpr
        if j > best[1] + 1e-12:
            best = (round(t, 2), round(j, 4), round(tpr, 4), round(fpr, 4))
    return best


def measure(directory: Path) -> tuple[list[tuple[str, float, bool]], tuple[float, float, float, float]]:
    """Per case (id, best log10 LR, not modelled?) and the Youden threshold over them."""
    import calcgraph

    kg = calcgraph.load()
    rows = []
    for vc in load_set(directory):
        r = kg.diagnose_dict(dict(vc.case), top=1, next_tests=0)
        if r["proven"]:  # a proof is a fit whatever the score: such cases do not inform the threshold
            continue
        rows.append((vc.id, float(r["fit"]["best_log10_lr"]), vc.diagnosis == NOT_MODELLED))
    pos = [v for _, v, nm in rows if nm]
    neg = [v for _, v, nm in rows if not nm]
    return rows, youden_threshold(pos, neg)


def main(argv: Sequence[str] | None = None) -> int:
    from calcgraph.diagnose import NONE_FITS_LOG10_LR

    ap = argparse.ArgumentParser(prog="python -m calcgraph.calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("directory", nargs="?", default="validation", type=Path)
    args = ap.parse_args(argv)
    rows, (t, j, tpr, fpr) = measure(args.directory)
    for case_id, v, nm in sorted(rows, key=lambda r: r[1]):
        print(f"{v:8.3f}  {'not modelled' if nm else 'modelled    '}  {case_id}")
    n_pos = sum(nm for _, _, nm in rows)
    print(
        f"\nthreshold {t:g}: flags {tpr:.0%} of {n_pos} not-modelled cases and {fpr:.0%} of {len(rows) - n_pos} "
        f"modelled ones (Youden's J {j:.2f}); in use: NONE_FITS_LOG10_LR = {NONE_FITS_LOG10_LR:g}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
