"""Reasoner and ranking side by side: the defined classes of a case in ``diagnose`` form, and where they disagree.

A defined case class (``docs/reasoning.md``) may *suggest* a disease (annotation ``CALCGRAPH:0000031``). The
ranking (:mod:`calcgraph.diagnose`) weighs every finding's likelihood ratios. The two are built from different
knowledge (rules versus figures) and can disagree; ``diagnose --classes`` then says so, and why:

* a **disagreement** is an inferred class whose suggested disease -- or a subtype of it, a more specific answer --
  is ranked below :data:`WITHIN` (shared ranks, as in the differential), or is not a candidate at all;
* the class side names the findings that satisfy the class definition (present or excluded);
* the ranking side names the candidate ranked first outside the suggested disease's group and the finding whose
  likelihood ratios separate that leader from the suggested disease most, with the relation and figures behind
  both (or that the leader is ahead on a proof, or on no single finding).

Pure functions of the compiled model and the case: the single-case, batch and vectorised paths give the same
output. No reasoner is called (the classes come from the fast classifier or a reasoner run done before).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from calcgraph.casemodel import CaseClassification
from calcgraph.diagnose import Model, _item, _row, case_proofs, lifted_of, score, shared_ranks

__all__ = ["WITHIN", "class_items", "disagreements", "full_ranks", "render_disagreements"]

#: A suggested disease ranked at or above this place agrees with the ranking ("below third place" disagrees).
WITHIN = 3


def class_items(classification: CaseClassification) -> list[dict[str, Any]]:
    """The ``classes`` list of a diagnose result: each inferred class with its suggested disease and the findings
    that satisfy its definition."""
    return [
        {
            "id": c.curie,
            "label": c.label,
            "most_specific": c.most_specific,
            "suggests": c.suggests_label,
            "suggests_id": None if c.suggests is None else _curie(c.suggests),
            "satisfied_by": [{"label": w.label, "status": w.status} for w in c.satisfied_by],
        }
        for c in classification.classes
    ]


def _curie(iri: str) -> str:
    from calcgraph.iris import iri_to_curie

    return iri_to_curie(iri) or iri


def full_ranks(model: Model, present: Iterable[str], absent: Iterable[str]) -> tuple[np.ndarray, list[int]]:
    """(candidate columns best first, their shared ranks): the order of :func:`calcgraph.diagnose.diagnose` over
    every candidate."""
    pres = list(dict.fromkeys(_row(model, f) for f in present))
    abse = list(dict.fromkeys(_row(model, f) for f in absent))
    _, order, ranks, _ = _ranking(model, pres, abse)
    return order, ranks


def _ranking(
    model: Model, pres: Sequence[int], abse: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, list[int], np.ndarray]:
    s = np.round(score(model, pres, abse), 9)
    lifted = lifted_of(model, case_proofs(model, pres, s))
    order = np.lexsort((model.tiebreak, -s, ~lifted))
    keys = list(zip(lifted[order].tolist(), s[order].tolist(), strict=True))
    return s, order, shared_ranks(keys), lifted


def _cell(model: Model, i: int, j: int, observed: str) -> dict[str, Any]:
    mat = model.log_pos if observed == "present" else model.log_neg
    return _item(model, i, j, float(mat[i, j]), observed)


def _describe(it: Mapping[str, Any]) -> str:
    inh = f"; inherited from {it['inherited_from']}" if it.get("inherited_from") else ""
    return f"LR {it['lr']:g} ({it['relation']}{inh}; {it['figures']})"


def _separating(
    model: Model, present: Sequence[int], absent: Sequence[int], lead: int, j: int
) -> tuple[int, str, float] | None:
    """The (row, observed, fold) of the finding whose LRs favour column ``lead`` over ``j`` most, if any."""
    best: tuple[int, str, float] | None = None
    for rows, mat, observed in ((present, model.log_pos, "present"), (absent, model.log_neg, "absent")):
        for i in sorted(rows):
            d = float(mat[i, lead]) - float(mat[i, j])
            if d > 1e-9 and (best is None or d > best[2] + 1e-12):
                best = (i, observed, d)
    return best


def disagreements(
    model: Model, present: Iterable[str], absent: Iterable[str], classes: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The inferred ``classes`` (in :func:`class_items` form) whose suggested disease the ranking puts below
    :data:`WITHIN`, each with the findings that drive the class and the finding that drives the ranking."""
    wanted = [c for c in classes if c.get("suggests_id")]
    if not wanted:
        return []
    from calcgraph.iris import curie_to_iri

    pres = list(dict.fromkeys(_row(model, f) for f in present))
    abse = list(dict.fromkeys(_row(model, f) for f in absent))
    s, order, ranks, lifted = _ranking(model, pres, abse)
    rank_of = {int(j): r for j, r in zip(order.tolist(), ranks, strict=True)}
    col = {d: j for j, d in enumerate(model.candidates)}
    anc = model.kb.ancestors
    post = np.power(10.0, s - s.max())
    post = post / post.sum()
    out: list[dict[str, Any]] = []
    for c in wanted:
        d = curie_to_iri(str(c["suggests_id"])) or str(c["suggests_id"])
        group = [j for x, j in col.items() if x == d or d in anc.get(x, ())]
        best = min(group, key=lambda j: (rank_of[j], int(model.tiebreak[j]))) if group else None
        rank = None if best is None else rank_of[best]
        if rank is not None and rank <= WITHIN:
            continue
        entry: dict[str, Any] = {
            "class": {"id": c["id"], "label": c["label"]},
            "suggests": {"id": c["suggests_id"], "label": c["suggests"]},
            "rank": rank,
            "ranked": None if best is None else {"id": model.curies[best], "label": model.names[best]},
            "probability": None if best is None else round(float(post[best]), 6),
            "class_driven_by": [f"{w['label']} ({w['status']})" for w in c.get("satisfied_by", ())],
        }
        # the rival: the best candidate outside the group that is not a cause of the suggested disease (a cause
        # ranked above it, dermatomyositis above its dystrophic calcinosis, is no contradiction; it is listed)
        causes = {j for j in range(len(model.candidates)) if _causes(model, model.candidates[j], d)}
        above = [int(j) for j in order.tolist() if int(j) not in group]
        lead = next((j for j in above if j not in causes), None)
        entry["causes_ranked_above"] = [
            {"id": model.curies[j], "label": model.names[j], "rank": rank_of[j]}
            for j in above
            if j in causes and best is not None and rank_of[j] < rank_of[best]
        ]
        if lead is None or best is None:
            entry["rival"] = None
            entry["ranking_driven_by"] = f"{c['suggests']} is not a candidate of the ranking"
        else:
            entry["rival"] = {"id": model.curies[lead], "label": model.names[lead], "rank": rank_of[lead]}
            entry["ranking_driven_by"] = _why(model, pres, abse, lead, best, bool(lifted[lead] and not lifted[best]))
        out.append(entry)
    return out


def _causes(model: Model, c: str, d: str) -> bool:
    """Does candidate ``c`` 'can cause' disease ``d`` (or an ancestor of it)?"""
    causes: frozenset[tuple[str, str]] = model.kb.causes
    return any((c, x) in causes for x in (d, *model.kb.ancestors.get(d, ())))


def _why(model: Model, pres: Sequence[int], abse: Sequence[int], lead: int, j: int, proof: bool) -> str:
    lname, jname = model.names[lead], model.names[j]
    if proof:
        return f"{lname} is proven by a finding of the case and ranks above the unproven {jname}"
    sep = _separating(model, pres, abse, lead, j)
    if sep is None:
        return f"{lname} ahead of {jname} on no single finding"
    i, observed, d = sep
    a, b = _cell(model, i, lead, observed), _cell(model, i, j, observed)
    name = model.finding_names[i] if observed == "present" else f"no {model.finding_names[i]}"
    return f"'{name}' favours {lname} {10**d:.3g}-fold: {lname} {_describe(a)}, {jname} {_describe(b)}"


def render_disagreements(result: Mapping[str, Any]) -> list[str]:
    """Text lines for the ``class_disagreements`` of a result (nothing when the classes agree with the ranking)."""
    lines = []
    for x in result.get("class_disagreements") or ():
        where = "not ranked" if x["rank"] is None else f"ranked {x['rank']}"
        if x["ranked"] is not None and x["ranked"]["label"] != x["suggests"]["label"]:
            where += f" (as {x['ranked']['label']})"
        shown = [w for w in x["class_driven_by"] if not w.endswith("(excluded)")]
        n_excl = len(x["class_driven_by"]) - len(shown)
        by = ", ".join(s.removesuffix(" (present)") for s in shown) + (f" and {n_excl} excluded" if n_excl else "")
        above = "; ".join(f"its cause {a['label']} ranked {a['rank']}" for a in x.get("causes_ranked_above", ()))
        lines.append(
            f"  {x['class']['label']} suggests {x['suggests']['label']}, {where}"
            + (f" ({above})" if above else "")
            + f": the class by {by or '-'}; the ranking by {x['ranking_driven_by']}"
        )
    if lines:
        lines.insert(0, f"reasoner and ranking disagree (a class suggests a disease ranked below {WITHIN}):")
    return lines
