"""Validation on published patient cases: top-1/top-3 accuracy, calibration and the misses explained.

A validation case is a case file (``id``, ``age``, ``sex``, ``present``, ``absent``) with three more keys:
``citation`` (the case report's ``PMID:``, ``DOI:`` or ``PMCID:``), ``diagnosis`` (the paper's final diagnosis as an
ontology disease label, or ``not modelled``) and ``evidence`` (finding label -> the words of the paper that state it).
``note`` is free text. The set lives in ``validation/`` (one YAML file per case).

Scoring rules of the measurement:

* the true disease is found among the ranked candidates by label; a candidate that is a *subclass* of the true
  disease (a more specific correct answer, e.g. *pseudogout* for a paper that says *CPPD*) counts as the true one, and
  so does a label in ``also`` (a second diagnosis the paper equally makes, e.g. *dermatomyositis* behind the
  *dystrophic calcinosis cutis* of a child with juvenile dermatomyositis);
* ties count against: the true disease is within the top k only if fewer than k candidates outside its group score
  *at least as high* as it (a tie straddling the cut-off is a miss);
* calibration uses the probability of the top-ranked candidate against whether it was right (bins of 0.1, Brier score),
  plus the multi-class Brier score over every candidate;
* a ``not modelled`` case is right when the result says that no modelled disease fits (``none_fits``: a boolean at
  the top of the result or inside ``fit``); otherwise its top probability is reported, for calibrating that signal.

``python -m calcgraph.validate [DIR] [--plot PNG] [--markdown MD] [--readme README] [--format text|json|markdown]``
(``make validate``) prints the report; ``--readme`` rewrites the summary between the README's
``<!-- validate:start`` and ``<!-- validate:end -->`` lines from the same run (:func:`format_readme`). Each top-1
miss carries a ``reason`` (the finding whose likelihood ratios separate the winning rival from the true disease most,
with the relation and figures behind both, or a tie), and the report lists the ranked diseases that no validation
case names yet.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calcgraph.errors import CaseError

NOT_MODELLED = "not modelled"
CASE_FIELDS = ("id", "age", "sex", "present", "absent", "note")
VALIDATION_KEYS = {"citation", "diagnosis", "also", "evidence"}
CITATION = re.compile(r"^(PMID:\d+|DOI:10\.\d{4,9}/\S+|PMCID:PMC\d+)$")
BINS = 10

Ranker = Callable[[Mapping[str, Any]], Mapping[str, Any]]
"""Case mapping (calcgraph case shape) -> diagnose result (``{"differential": [{label, score, probability, ...}]}``)."""


@dataclass(frozen=True)
class ValidationCase:
    id: str
    diagnosis: str
    citation: str
    case: Mapping[str, Any]
    evidence: Mapping[str, str]
    path: str = ""
    also: tuple[str, ...] = ()
    """Other labels the paper equally supports (e.g. the connective-tissue disease behind dystrophic calcinosis)."""


@dataclass
class CaseResult:
    case: ValidationCase
    top_label: str
    top_probability: float
    true_probability: float
    rank: int | None
    """1-based rank of the true disease counting ties against (candidates outside its group scoring >= it, plus 1)."""
    hit1: bool
    hit3: bool
    none_fits: bool | None
    top_for: list[str] = field(default_factory=list)
    true_for: list[str] = field(default_factory=list)
    true_against: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    group: frozenset[str] = frozenset()
    """The true disease and its subclasses (labels)."""
    top_score: float = 0.0
    """log10 likelihood ratio of the top-ranked candidate (an absolute fit, for a 'none fits' threshold)."""
    reason: str = ""
    """For a top-1 miss: why the rival won (the finding that separates them most, with both figures), or a tie."""
    suggested: bool = False
    """A defined class of the case (fast classifier) suggests a disease."""
    disagreements: list[str] = field(default_factory=list)
    """The classes whose suggested disease the ranking puts below third place, with why (``class_disagreements``)."""


def load_case(path: Path) -> ValidationCase:
    """Read one validation case file; errors name the file and the field."""
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseError(where, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CaseError(where, "a validation case is a mapping")
    unknown = sorted(set(data) - set(CASE_FIELDS) - VALIDATION_KEYS)
    if unknown:
        raise CaseError(where, f"unknown field(s) {', '.join(map(repr, unknown))}")
    for key in ("id", "citation", "diagnosis"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise CaseError(where, f"'{key}' must be a non-empty string")
    if not CITATION.match(data["citation"]):
        raise CaseError(where, f"'citation' must be PMID:…, DOI:10.… or PMCID:PMC…, not {data['citation']!r}")
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise CaseError(where, "'evidence' must map finding labels to quotes")
    also = data.get("also") or []
    if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
        raise CaseError(where, "'also' must be a list of disease labels")
    case = {k: data[k] for k in CASE_FIELDS if k in data}
    return ValidationCase(
        data["id"], data["diagnosis"].strip(), data["citation"], case, evidence, where, tuple(a.strip() for a in also)
    )


def load_set(directory: Path) -> list[ValidationCase]:
    """Every ``*.yaml`` case under ``directory`` (sorted by file name)."""
    return [load_case(p) for p in sorted(Path(directory).glob("*.yaml"))]


def _none_fits(result: Mapping[str, Any]) -> bool | None:
    for holder in (result, result.get("fit") or {}):
        if isinstance(holder, Mapping) and isinstance(holder.get("none_fits"), bool):
            return bool(holder["none_fits"])
    return None


def _drivers(items: Iterable[Mapping[str, Any]], n: int = 3) -> list[str]:
    out = []
    for it in list(items)[:n]:
        name = it.get("finding") or it.get("label") or it.get("id") or "?"
        lr = it.get("lr")
        sign = "" if it.get("observed", "present") == "present" else "no "
        out.append(f"{sign}{name} (LR {lr:.3g})" if isinstance(lr, int | float) else f"{sign}{name}")
    return out


def _evidence(candidate: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Finding label (prefixed 'no ' when observed absent) -> its evidence row for one candidate."""
    out: dict[str, Mapping[str, Any]] = {}
    for row in (*candidate.get("for", ()), *candidate.get("against", ()), *candidate.get("neutral", ())):
        name = str(row.get("finding") or row.get("label") or row.get("id") or "?")
        key = name if row.get("observed", "present") == "present" else f"no {name}"
        out[key] = row
    return out


def _describe(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "LR 1 (not listed)"
    lr = row.get("lr")
    head = f"LR {lr:.3g}" if isinstance(lr, int | float) else "LR ?"
    basis = "; ".join(str(row[k]) for k in ("relation", "figures") if row.get(k))
    return f"{head} ({basis})" if basis else head


def miss_reason(rival: Mapping[str, Any], true: Mapping[str, Any]) -> str:
    """Why ``rival`` scored at least as high as ``true``: the finding whose likelihood ratios separate them most
    (with the relation and figures behind each), or a tie when no finding separates them."""
    r_ev, t_ev = _evidence(rival), _evidence(true)
    best, best_ratio = "", 1.0
    for name in sorted(set(r_ev) | set(t_ev)):
        r_lr = float(r_ev[name].get("lr", 1.0)) if name in r_ev else 1.0
        t_lr = float(t_ev[name].get("lr", 1.0)) if name in t_ev else 1.0
        ratio = r_lr / t_lr if t_lr > 0 else float("inf")
        if ratio > best_ratio * (1 + 1e-9):
            best, best_ratio = name, ratio
    if round(float(rival["score"]), 6) == round(float(true["score"]), 6) and best_ratio < 1.0 + 1e-6:
        return f"tie: no finding of the case separates {rival['label']} from {true['label']}"
    if not best:
        return f"{rival['label']} ahead on its prior, not on a finding"
    return (
        f"'{best}' favours {rival['label']} {best_ratio:.3g}-fold: {rival['label']} {_describe(r_ev.get(best))}, "
        f"{true['label']} {_describe(t_ev.get(best))}"
    )


def _tie_note(tied: Sequence[str], top_tied: bool) -> str:
    if not tied:
        return ""
    if not top_tied:
        return f" ({len(tied)} lower candidates tied with the true disease)"
    more = f", as are {len(tied) - 1} more" if len(tied) > 1 else ""
    return f" (tied with the true disease{more})"


def evaluate_case(
    vc: ValidationCase, result: Mapping[str, Any], descendants: Mapping[str, set[str]] | None = None
) -> CaseResult:
    """Score one diagnose result against the case's true diagnosis."""
    r = _evaluate(vc, result, descendants)
    diff = list(result.get("differential", ()))
    r.top_score = max(float(d["score"]) for d in diff)
    r.suggested = any(c.get("suggests") for c in result.get("classes", ()))
    r.disagreements = [
        f"{x['class']['label']} suggests {x['suggests']['label']}, "
        f"{'not ranked' if x['rank'] is None else 'ranked ' + str(x['rank'])}: {x['ranking_driven_by']}"
        for x in result.get("class_disagreements", ())
    ]
    return r


def _evaluate(vc: ValidationCase, result: Mapping[str, Any], descendants: Mapping[str, set[str]] | None) -> CaseResult:
    diff = list(result.get("differential", ()))
    if not diff:
        raise ValueError(f"{vc.id}: empty differential")
    ranked = sorted(diff, key=lambda d: -float(d["score"]))
    top = ranked[0]
    probs = {str(d["label"]): float(d["probability"]) for d in diff}
    none = _none_fits(result)
    if vc.diagnosis == NOT_MODELLED:
        return CaseResult(
            vc,
            top["label"],
            float(top["probability"]),
            0.0,
            None,
            bool(none),
            bool(none),
            none,
            _drivers(top.get("for", ())),
            probabilities=probs,
        )
    group = set()
    for label in (vc.diagnosis, *vc.also):
        group |= {label} | set((descendants or {}).get(label, set()))
    mine = [d for d in diff if d["label"] in group]
    if not mine:
        return CaseResult(
            vc,
            top["label"],
            float(top["probability"]),
            0.0,
            None,
            False,
            False,
            none,
            _drivers(top.get("for", ())),
            probabilities=probs,
            group=frozenset(group),
            reason="the true disease is not among the ranked candidates",
        )
    best = max(mine, key=lambda d: float(d["score"]))
    s = round(float(best["score"]), 6)
    rivals = [d for d in ranked if d["label"] not in group]
    ahead = [d for d in rivals if round(float(d["score"]), 6) >= s]
    rank = len(ahead) + 1
    if ahead:  # a miss at top-1: explain it by the best rival (tied or ahead), not by a tied true disease
        top = ahead[0]
    tied = [d["label"] for d in ahead if round(float(d["score"]), 6) == s]
    top_tied = bool(ahead) and round(float(top["score"]), 6) == s
    reason = miss_reason(top, best) if ahead else ""
    return CaseResult(
        vc,
        top["label"] + _tie_note(tied, top_tied),
        float(top["probability"]),
        sum(float(d["probability"]) for d in mine),
        rank,
        rank <= 1,
        rank <= 3,
        none,
        _drivers(top.get("for", ())),
        _drivers(best.get("for", ())),
        _drivers(best.get("against", ())),
        probs,
        frozenset(group),
        reason=reason,
    )


def calibration(results: Sequence[CaseResult], bins: int = BINS) -> dict[str, Any]:
    """Top-1 confidence vs accuracy in ``bins`` equal bins, the top-1 Brier score and the multi-class Brier score."""
    rows: list[dict[str, Any]] = []
    pairs = [(r.top_probability, 1.0 if r.hit1 else 0.0) for r in results]
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, y) for p, y in pairs if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if inside:
            rows.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}",
                    "n": len(inside),
                    "mean_predicted": sum(p for p, _ in inside) / len(inside),
                    "observed": sum(y for _, y in inside) / len(inside),
                }
            )
    brier_top = sum((p - y) ** 2 for p, y in pairs) / len(pairs) if pairs else float("nan")
    multi = [
        (1.0 - r.true_probability) ** 2 + sum(p**2 for lbl, p in r.probabilities.items() if lbl not in r.group)
        for r in results
    ]
    return {
        "bins": rows,
        "brier_top1": brier_top,
        "brier_multiclass": sum(multi) / len(multi) if multi else float("nan"),
    }


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Per-disease and overall top-1/top-3, calibration, misses and the not-modelled cases."""
    modelled = [r for r in results if r.case.diagnosis != NOT_MODELLED]
    other = [r for r in results if r.case.diagnosis == NOT_MODELLED]
    per: dict[str, list[CaseResult]] = defaultdict(list)
    for r in modelled:
        per[r.case.diagnosis].append(r)
    table = [
        {"disease": d, "n": len(rs), "top1": sum(r.hit1 for r in rs), "top3": sum(r.hit3 for r in rs)}
        for d, rs in sorted(per.items())
    ]
    n = len(modelled)
    misses = [
        {
            "id": r.case.id,
            "citation": r.case.citation,
            "true": r.case.diagnosis,
            "rank": r.rank,
            "true_probability": round(r.true_probability, 4),
            "top": r.top_label,
            "top_probability": round(r.top_probability, 4),
            "top_driven_by": r.top_for,
            "true_supported_by": r.true_for,
            "true_opposed_by": r.true_against,
            "reason": r.reason,
        }
        for r in modelled
        if not r.hit1
    ]
    named = {lbl for r in results for lbl in (r.case.diagnosis, *r.case.also)}
    candidates = {lbl for r in results for lbl in r.probabilities}
    return {
        "cases": len(results),
        "modelled": n,
        "top1": sum(r.hit1 for r in modelled),
        "top3": sum(r.hit3 for r in modelled),
        "per_disease": table,
        "calibration": calibration(modelled),
        "misses": misses,
        "not_covered": sorted(candidates - named),
        "classes_vs_ranking": {
            "suggested": sum(r.suggested for r in results),
            "disagree": [{"id": r.case.id, "why": r.disagreements} for r in results if r.disagreements],
        },
        "false_none_fits": sorted(r.case.id for r in modelled if r.none_fits),
        "not_modelled": [
            {
                "id": r.case.id,
                "citation": r.case.citation,
                "top": r.top_label,
                "top_probability": round(r.top_probability, 4),
                "top_score": round(r.top_score, 3),
                "none_fits": r.none_fits,
            }
            for r in other
        ],
        "per_case": [
            {
                "id": r.case.id,
                "true": r.case.diagnosis,
                "rank": r.rank,
                "top": r.top_label,
                "top_probability": round(r.top_probability, 4),
                "top_score": round(r.top_score, 3),
                "true_probability": round(r.true_probability, 4),
                "none_fits": r.none_fits,
            }
            for r in results
        ],
    }


def _pct(a: int, n: int) -> str:
    return f"{a}/{n} ({100.0 * a / n:.0f} %)" if n else "0/0"


def format_text(s: Mapping[str, Any]) -> str:
    """The report as plain text (a Markdown table per section)."""
    out = [
        f"validation: {s['cases']} published cases, {s['modelled']} with a modelled diagnosis",
        f"top-1 {_pct(s['top1'], s['modelled'])}   top-3 {_pct(s['top3'], s['modelled'])}   (ties count against)",
        "",
        "| disease | cases | top-1 | top-3 |",
        "|---|---:|---:|---:|",
    ]
    out += [f"| {r['disease']} | {r['n']} | {r['top1']} | {r['top3']} |" for r in s["per_disease"]]
    c = s["calibration"]
    out += [
        "",
        f"calibration of the top-ranked probability: Brier {c['brier_top1']:.3f} (top-1), "
        f"{c['brier_multiclass']:.3f} (multi-class)",
        "",
        "| predicted | cases | mean predicted | observed top-1 |",
        "|---|---:|---:|---:|",
    ]
    out += [f"| {b['bin']} | {b['n']} | {b['mean_predicted']:.2f} | {b['observed']:.2f} |" for b in c["bins"]]
    out += ["", f"misses ({len(s['misses'])}):"]
    for m in s["misses"]:
        rank = "not ranked" if m["rank"] is None else f"rank {m['rank']}"
        out.append(
            f"- {m['id']} ({m['citation']}): true {m['true']} ({rank}, p {m['true_probability']:.3f}); "
            f"top {m['top']} (p {m['top_probability']:.3f}) driven by {', '.join(m['top_driven_by']) or '-'}; "
            f"true supported by {', '.join(m['true_supported_by']) or '-'}, "
            f"opposed by {', '.join(m['true_opposed_by']) or '-'}"
        )
        if m.get("reason"):
            out.append(f"  - reason: {m['reason']}")
    cvr = s.get("classes_vs_ranking")
    if cvr is not None and cvr["suggested"]:
        out += [
            "",
            f"reasoner and ranking: a defined class suggests a disease in {cvr['suggested']} of {s['cases']} cases; "
            f"the ranking puts it below third place in {len(cvr['disagree'])}" + (":" if cvr["disagree"] else ""),
        ]
        out += [f"- {d['id']}: {w}" for d in cvr["disagree"] for w in d["why"]]
    if s.get("not_covered"):
        out += [
            "",
            f"ranked diseases without a validation case ({len(s['not_covered'])}): {', '.join(s['not_covered'])}",
        ]
    if s["not_modelled"]:
        fits = sum(bool(m["none_fits"]) for m in s["not_modelled"])
        out += [
            "",
            f"diseases outside the model (right when the result says none fits): {fits} of {len(s['not_modelled'])} "
            f"flagged; modelled cases wrongly flagged 'none fits': {len(s.get('false_none_fits', []))} of "
            f"{s['modelled']}" + (f" ({', '.join(s['false_none_fits'])})" if s.get("false_none_fits") else ""),
        ]
        for m in s["not_modelled"]:
            flag = {True: "none fits: yes", False: "none fits: no", None: "no none-fits signal"}[m["none_fits"]]
            out.append(
                f"- {m['id']} ({m['citation']}): top {m['top']} p {m['top_probability']:.3f}, "
                f"log10 LR {m['top_score']:.2f}; {flag}"
            )
    return "\n".join(out) + "\n"


MARKDOWN_HEAD = """# Validation on published cases

Generated by `make validate` (`python -m calcgraph.validate validation --plot docs/pictures/reliability.png
--markdown docs/validation.md`); do not edit by hand. Each case in `validation/` is one published patient (case
report or case series) with its citation, the paper's final diagnosis and, for every finding, the paper's words.
Ties count against (a tie at the cut-off is a miss); a more specific correct subtype counts as right. A miss names
the candidate ranked at or above the true disease, the findings behind each, and the single finding whose likelihood
ratios separate them most, with the relation and figures behind both (`not annotated` and `default` mark figures
without a source). The ontology's figures come from the literature on each finding-disease relation and are never
fitted to these cases.

![reliability diagram](pictures/reliability.png)

"""


def format_markdown(s: Mapping[str, Any]) -> str:
    """The report as a Markdown page (docs/validation.md)."""
    body = format_text(s).splitlines()
    out = [MARKDOWN_HEAD.rstrip("\n"), ""]
    for line in body:
        if line.startswith(("misses (", "diseases outside the model", "calibration of")):
            out += [f"## {line.rstrip(':')}", ""]
        elif line.startswith("validation: "):
            out += [f"**{line}**", ""]
        else:
            out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


README_START = "<!-- validate:start"
README_END = "<!-- validate:end -->"


def format_readme(s: Mapping[str, Any], report: str = "docs/validation.md") -> str:
    """The README's summary of the report (the lines between its validate markers), ``report`` its link."""
    n = s["modelled"]
    words = [
        f"Current result ({s['cases']} cases, {n} with a modelled diagnosis): "
        f"**top-1 {_pct(s['top1'], n)}, top-3 {_pct(s['top3'], n)}**, ties counting against; Brier score of the "
        f"top-ranked probability {s['calibration']['brier_top1']:.3f}"
    ]
    if s["not_modelled"]:
        fits = sum(bool(m["none_fits"]) for m in s["not_modelled"])
        words.append(
            f'; {fits} of the {len(s["not_modelled"])} patients with a disease outside the model get a "none fits" '
            f"signal, but so do {len(s.get('false_none_fits', []))} of the {n} patients whose disease is modelled"
        )
    words.append(".")
    if s.get("not_covered"):
        words.append(f" Ranked diseases with no case yet: {', '.join(s['not_covered'])}.")
    words.append(f" The full report, with every miss and its reason, is [{report}]({report}).")
    import textwrap

    para = textwrap.fill("".join(words), width=118, break_long_words=False, break_on_hyphens=False)
    table = ["| disease | cases | top-1 | top-3 |", "|---|---:|---:|---:|"]
    table += [f"| {r['disease']} | {r['n']} | {r['top1']} | {r['top3']} |" for r in s["per_disease"]]
    return "\n".join([para, "", *table])


def write_readme(s: Mapping[str, Any], readme: Path, report: Path | None = None) -> None:
    """Replace the lines between the validate markers of ``readme`` with :func:`format_readme`."""
    import os

    from calcgraph.doctables import replace_block

    link = Path(os.path.relpath(report, readme.parent)).as_posix() if report is not None else "docs/validation.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(replace_block(text, README_START, README_END, format_readme(s, link)), encoding="utf-8")


def reliability_plot(s: Mapping[str, Any], out: Path) -> bool:
    """Write the reliability diagram PNG; False (nothing written) when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    bins = s["calibration"]["bins"]
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    xs = [b["mean_predicted"] for b in bins]
    ys = [b["observed"] for b in bins]
    ax.plot(xs, ys, marker="o", color="tab:blue", label="calcgraph (top-1)")
    for x, y, b in zip(xs, ys, bins, strict=True):
        ax.annotate(str(b["n"]), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("predicted probability of the top-ranked disease")
    ax.set_ylabel("observed fraction correct")
    ax.set_title(f"{s['modelled']} published cases, Brier {s['calibration']['brier_top1']:.3f}", fontsize=9)
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return True


def disease_descendants(labels: Mapping[str, str], parents: Mapping[str, Iterable[str]]) -> dict[str, set[str]]:
    """Label -> labels of all its subclasses, from IRI -> label and IRI -> direct superclasses."""
    down: dict[str, set[str]] = defaultdict(set)
    for child, ps in parents.items():
        for p in ps:
            down[p].add(child)
    out: dict[str, set[str]] = {}
    for iri in labels:
        seen: set[str] = set()
        stack = [iri]
        while stack:
            for c in down.get(stack.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        out[labels[iri]] = {labels[c] for c in seen if c in labels}
    return out


def run(cases: Sequence[ValidationCase], rank: Ranker, descendants: Mapping[str, set[str]]) -> list[CaseResult]:
    return [evaluate_case(vc, rank(vc.case), descendants) for vc in cases]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="calcgraph-validate", description=__doc__.split("\n")[0])
    ap.add_argument("directory", nargs="?", default="validation", type=Path)
    ap.add_argument("--plot", type=Path, default=None, help="write the reliability diagram PNG here")
    ap.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the report as a Markdown page here")
    ap.add_argument(
        "--readme", type=Path, default=None, help="rewrite the summary between this file's validate markers"
    )
    args = ap.parse_args(argv)

    import calcgraph
    from calcgraph.knowledge import load_knowledge

    kg = calcgraph.load()
    kb = load_knowledge(kg.ontology)
    labels = {d: kb.labels[d] for d in kb.parents if d in kb.labels}
    descendants = disease_descendants(labels, kb.parents)
    cases = load_set(args.directory)
    known = set(labels.values()) | {NOT_MODELLED}
    bad = [f"{c.path}: unknown diagnosis {d!r}" for c in cases for d in (c.diagnosis, *c.also) if d not in known]
    if bad:
        print("\n".join(bad), file=sys.stderr)
        return 2

    from calcgraph.api import reasoner_status

    classes = reasoner_status("fast") is None  # the defined classes beside the ranking (fast classifier, no JVM)

    def rank(case: Mapping[str, Any]) -> Mapping[str, Any]:
        return kg.diagnose_dict(dict(case), top=10_000, next_tests=0, classes=classes)

    summary = summarise(run(cases, rank, descendants))
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    elif args.format == "markdown":
        sys.stdout.write(format_markdown(summary))
    else:
        sys.stdout.write(format_text(summary))
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(format_markdown(summary), encoding="utf-8")
        print(f"report: {args.markdown}", file=sys.stderr)
    if args.readme is not None:
        write_readme(summary, args.readme, args.markdown)
        print(f"summary: {args.readme}", file=sys.stderr)
    if args.plot is not None:
        if reliability_plot(summary, args.plot):
            print(f"reliability plot: {args.plot}", file=sys.stderr)
        else:
            print("matplotlib is not installed: no reliability plot (pip install 'calcgraph[test]')", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
