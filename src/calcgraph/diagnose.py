"""A ranked, explained differential: LIRICAL-style likelihood ratios over the ontology's knowledge (pure logic, no I/O).

The model (``docs/diagnosis.md`` and ``/shared/reference/diagnosis.md``): every candidate disease D starts from a
uniform prior; each present finding F multiplies its odds by ``LR+(F, D)``, each excluded finding by ``LR-(F, D)``
(findings conditionally independent); the post-test probability is normalised over the candidate set.

Per (finding, disease) the likelihood ratios come from the effective evidence of :mod:`calcgraph.knowledge`:

* figures in the ontology: ``LR+ = sens / (1 - spec)``, ``LR- = (1 - sens) / spec``; a published LR+/LR- annotated
  on the axiom is used as given (it is the paper's own figure); a frequency alone is ``P(F|D)``;
* 'is typical of' without figures: ``P(F|D) = P_TYPICAL``; 'is diagnostic of' without figures: sensitivity
  ``P_DIAGNOSTIC`` and specificity ``SPEC_DIAGNOSTIC``; 'argues against': ``P(F|D) = P_AGAINST``;
* a frequency-form LR divides by the background ``b(F)``, F's mean ``P(F|D)`` over all candidates, where a disease
  with no axiom for F contributes the noise probability ``NOISE`` (LIRICAL's background over the diseases of the model);
* a finding with no axiom for D: ``LR+ = NOISE / b(F)`` (never 0: one unexpected finding cannot erase a disease);
* **coexistence**: if D has no axiom for F and F is typical of / diagnostic of a disease E that 'can coexist with' D,
  F is neutral for D (LR 1): evidence that proves E says nothing against D (CPP crystals do not exclude septic
  arthritis; seed 000, ``domain.md`` section 3.3); the same holds for an 'argues against' axiom without figures (a
  sourced frequency stands);
* causes: a finding of a disease C that 'can cause' the calcinosis S, when S has no axiom for it, counts for S with
  ``P(F|S) = w P(F|C) + (1 - w) NOISE`` where the 'can cause' axiom gives the sourced frequency w of S in C (under the
  uniform prior P(C|S) = w), never below LR 1; without a frequency it is neutral for S;
* implied findings: a present finding with none of the above for D takes the LR+ of its nearest superclass finding
  with an axiom for D (a patient with *known dermatomyositis* has a *known connective tissue disease*); excluded, it
  keeps its own LR- (its absence says nothing about the superclass);
* a frequency counted in n patients (the axiom's ``n``) is read as ``(k + 1/2) / (n + 1)`` with ``k = frequency x n``
  (the posterior mean under Jeffreys' prior, :func:`counted_frequency`): a small series cannot make a finding certain
  or impossible (2 of 2 is 0.83, 0 of 8 is 0.06), while a large one keeps its figure;
* HPO frequency classes: *excluded* present or *obligate* absent make D impossible (``LOG_EXCLUDED``); the other
  classes give P(F|D) as the middle of their HPO range (``FREQUENCY_CLASS_P``);
* equal scores share a rank (:func:`shared_ranks`); within a tie candidates are listed by label.

Probabilities are clamped to ``[P_MIN, 1 - P_MIN]`` so that no likelihood ratio is 0 or infinite, except the
exclusions of an HPO frequency class above.

>>> from rdflib import Graph
>>> from calcgraph.knowledge import knowledge_base
>>> g = Graph().parse(data='''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix cg: <https://w3id.org/calcgraph/CALCGRAPH_> .
... cg:0001021 rdfs:subClassOf cg:0000001 ; rdfs:label "pseudogout" .
... cg:0001030 rdfs:subClassOf cg:0000001 ; rdfs:label "septic arthritis" ; cg:0000026 cg:0001021 .
... cg:0001033 rdfs:subClassOf cg:0000001 ; rdfs:label "rheumatoid arthritis" .
... cg:0003101 rdfs:subClassOf cg:0000002 ; rdfs:label "CPP crystals" ; cg:0000020 cg:0001021 .
... cg:0003102 rdfs:subClassOf cg:0000002 ; rdfs:label "Gram stain" ; cg:0000021 cg:0001030 .
... cg:0003103 rdfs:subClassOf cg:0000002 ; rdfs:label "anti-CCP" ; cg:0000020 cg:0001033 .
... ''', format="turtle")
>>> model = build_model(knowledge_base(g))
>>> cg = "https://w3id.org/calcgraph/CALCGRAPH_"
>>> r = diagnose(model, [cg + "0003101", cg + "0003102"], [], case_id="c1")
>>> [(d["label"], d["rank"]) for d in r["differential"]]
[('septic arthritis', 1), ('pseudogout', 2), ('rheumatoid arthritis', 3)]
>>> r["next_tests"][0]["label"]
'anti-CCP'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from calcgraph.errors import UnknownTermError
from calcgraph.knowledge import EXCLUDED, FREQUENCY_CLASSES, OBLIGATE, RELATION_LABELS, Evidence, KnowledgeBase

#: P(F|D) of a finding 'is typical of' D when the ontology gives no figures (middle of the 0.5-0.8 range).
P_TYPICAL = 0.65
#: Sensitivity and specificity of a finding 'is diagnostic of' D (it proves D) when the ontology gives no figures.
P_DIAGNOSTIC = 0.9
SPEC_DIAGNOSTIC = 0.99
#: P(F|D) of a finding that 'argues against' D when the ontology gives no frequency.
P_AGAINST = 0.01
#: P(F|D) of a finding not annotated to D at all (noise floor; LIRICAL's idea).
NOISE = 0.05
#: No probability is taken below P_MIN or above 1 - P_MIN.
P_MIN = 0.005
#: Explanations list a finding only when |log10 LR| exceeds this (LR outside about 0.95-1.05).
EXPLAIN_MIN = 0.02
#: ``next_tests``: expected information gain over the posterior of this many top candidates.
NEXT_TESTS_K = 5
#: log10 LR of a finding that is impossible for a disease (HPO frequency class *excluded* present, or *obligate*
#: absent): P(F|D) = 0, so the disease's posterior is 0 (kept finite so that scores stay JSON numbers and sums exact).
LOG_EXCLUDED = -100.0
#: "None of the modelled diseases fits well" when the best candidate's log10 composite LR (its likelihood of the case
#: against the background over all candidates) is below this and nothing is proven. Calibrated on the published cases
#: of ``validation/`` (the threshold that best separates the ``not-modelled-*`` cases from the others, Youden's J;
#: ``python -m calcgraph.calibrate validation``); no figure of the model was changed to fit a case.
NONE_FITS_LOG10_LR = 1.69
#: P(F|D) read from an HPO frequency class without a numeric figure: the middle of the range HPO defines for it
#: (``calcgraph.knowledge.FREQUENCY_CLASSES``); obligate is 1 and excluded 0 exactly (no clamping: they exclude).
FREQUENCY_CLASS_P: Mapping[str, float] = MappingProxyType(
    {curie: (lo + hi) / 2 for curie, (_, lo, hi) in FREQUENCY_CLASSES.items()}
)


def _clamp(p: float) -> float:
    return min(1.0 - P_MIN, max(P_MIN, p))


@dataclass(frozen=True)
class Detail:
    """Why a finding has the LR it has for a disease (for the explanation lists)."""

    relation: str
    figures: str
    sources: tuple[str, ...] = ()
    inherited_from: str | None = None


@dataclass(frozen=True)
class Model:
    """Precomputed log10 LR matrices (findings x candidates) and what explains each cell."""

    kb: KnowledgeBase
    candidates: tuple[str, ...]
    curies: tuple[str, ...]
    names: tuple[str, ...]
    rows: Mapping[str, int]
    finding_curies: tuple[str, ...]
    finding_names: tuple[str, ...]
    log_pos: np.ndarray
    log_neg: np.ndarray
    p: np.ndarray
    background: np.ndarray
    tiebreak: np.ndarray
    details: Mapping[tuple[int, int], Detail]
    #: per finding row: the diseases it proves ('is diagnostic of', asserted) with the candidate columns of each
    #: (the disease and its candidate subtypes, which inherit the proof), sorted
    proves: tuple[tuple[tuple[str, tuple[int, ...]], ...], ...] = ()
    #: the families of candidates: (columns of the roots, columns of every member), a root being a candidate with no
    #: candidate superclass; candidates reaching several roots join their families into one
    families: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()
    #: why a present finding has the LR+ it has where that LR+ is implied by a superclass finding (the finding has no
    #: evidence of its own for the candidate; its LR- and its cell in ``details``, if any, stay its own)
    present_details: Mapping[tuple[int, int], Detail] = field(default_factory=lambda: MappingProxyType({}))
    #: explanation items already built, keyed (finding row, candidate column, observed); copied on use
    item_cache: dict[tuple[int, int, str], dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)


def _figures_text(e: Evidence) -> str:
    parts = []
    for name, value in (
        ("sens", e.sensitivity),
        ("spec", e.specificity),
        ("LR+", e.lr_positive),
        ("LR-", e.lr_negative),
        ("freq", e.frequency),
    ):
        if value is not None:
            parts.append(f"{name} {value:g}")
    if e.frequency_class is not None:
        label = FREQUENCY_CLASSES.get(e.frequency_class, ("?",))[0]
        parts.append(f"frequency class {e.frequency_class} ({label})")
    return "ontology: " + ", ".join(parts)


def counted_frequency(frequency: float, n: int | None) -> float:
    """P(F|D) from a frequency counted in n patients: the posterior mean under Jeffreys' prior, (k + 1/2) / (n + 1)
    with k = frequency x n, so that 2 of 2 patients is 0.83, not a certainty, while 69 of 141 stays 0.489 (0.49 as
    given); without n the frequency as given.

    >>> counted_frequency(1.0, 2), counted_frequency(0.0, 8), round(counted_frequency(0.49, 141), 3)
    (0.8333333333333334, 0.05555555555555555, 0.489)
    >>> counted_frequency(0.3, None)
    0.3
    """
    if not n:
        return frequency
    return (round(frequency * n) + 0.5) / (n + 1)


def _frequency(e: Evidence) -> float | None:
    """P(F|D) from the axiom's frequency, else from its HPO frequency class; None when it gives neither."""
    if e.frequency is not None:
        return _clamp(counted_frequency(e.frequency, e.n))
    if e.frequency_class in (OBLIGATE, EXCLUDED):
        return None  # handled as an exclusion by _cell
    if e.frequency_class is not None and e.frequency_class in FREQUENCY_CLASS_P:
        return _clamp(FREQUENCY_CLASS_P[e.frequency_class])
    return None


def _cell(e: Evidence, b: float) -> tuple[float, float, float, str]:
    """(LR+, LR-, P(F|D), figures text) for one effective evidence, given the finding's background b."""
    sens = None if e.sensitivity is None else _clamp(e.sensitivity)
    spec = None if e.specificity is None else _clamp(e.specificity)
    freq = _frequency(e)
    if e.excluded and e.frequency is None and e.sensitivity is None:
        # impossible for D: present F gives P(F|D) = 0 (LR+ 0), absent F the LR- of P = 0
        return 0.0, 1 / (1 - b), 0.0, _figures_text(e) + ": excludes the disease when present"
    if e.obligate and e.frequency is None and e.sensitivity is None:
        # every patient with D has F: absent F gives P(not F|D) = 0 (LR- 0)
        return 1 / b, 0.0, 1.0, _figures_text(e) + ": excludes the disease when absent"
    if e.relation == "against":
        p = freq if freq is not None else P_AGAINST
        lr_pos = min(1.0, p / b) if e.lr_positive is None else e.lr_positive
        lr_neg = max(1.0, (1 - p) / (1 - b)) if e.lr_negative is None else e.lr_negative
        text = _figures_text(e) if e.has_figures else f"default P(F|D) {P_AGAINST:g} vs background {b:.3f}"
        return lr_pos, lr_neg, p, text
    if sens is None and spec is None and freq is None:
        if e.relation == "diagnostic":
            p, q = P_DIAGNOSTIC, 1 - SPEC_DIAGNOSTIC
            text = f"default sens {P_DIAGNOSTIC:g}, spec {SPEC_DIAGNOSTIC:g}"
            lr_pos, lr_neg = p / q, (1 - p) / SPEC_DIAGNOSTIC
        else:
            p = P_TYPICAL
            text = f"default P(F|D) {P_TYPICAL:g} vs background {b:.3f}"
            lr_pos, lr_neg = max(1.0, p / b), min(1.0, (1 - p) / (1 - b))
        if e.lr_positive is not None or e.lr_negative is not None:
            text = _figures_text(e)
    else:
        text = _figures_text(e)
        p = sens if sens is not None else freq if freq is not None else P_TYPICAL
        if spec is not None:
            lr_pos, lr_neg = p / (1 - spec), (1 - p) / spec
        else:
            lr_pos, lr_neg = p / b, (1 - p) / (1 - b)
    if e.lr_positive is not None:
        lr_pos = e.lr_positive
    if e.lr_negative is not None:
        lr_neg = e.lr_negative
    return max(lr_pos, 1e-6), max(lr_neg, 1e-6), p, text


def _log10(x: np.ndarray) -> np.ndarray:
    """log10 of an LR table, with LR 0 (an exclusion) as LOG_EXCLUDED."""
    with np.errstate(divide="ignore"):
        out = np.log10(x)
    return np.where(x <= 0, LOG_EXCLUDED, out)


def build_model(kb: KnowledgeBase) -> Model:
    """Precompute the LR matrices of a knowledge base: one case then costs a few vector additions."""
    cands = kb.candidates
    col = {d: j for j, d in enumerate(cands)}
    findings = kb.findings
    rows = {f: i for i, f in enumerate(findings)}
    n_f, n_d = len(findings), len(cands)

    # P(F|D) as the model sees it, for the background b(F)
    p = np.full((n_f, n_d), NOISE)
    for (f, d), e in kb.effective.items():
        freq = _frequency(e)
        if e.sensitivity is None and e.frequency is None and (e.excluded or e.obligate):
            p[rows[f], col[d]] = 0.0 if e.excluded else 1.0
        elif e.relation == "against":
            p[rows[f], col[d]] = freq if freq is not None else P_AGAINST
        elif e.sensitivity is not None:
            p[rows[f], col[d]] = _clamp(e.sensitivity)
        elif freq is not None:
            p[rows[f], col[d]] = freq
        else:
            p[rows[f], col[d]] = P_DIAGNOSTIC if e.relation == "diagnostic" else P_TYPICAL
    # causes (clinical rule 7): a finding F of a disease C that can cause S, where S has no axiom of its own for F.
    # With a sourced frequency w of S in C (on the 'can cause' axiom), F counts for S: under the model's uniform prior
    # over candidates, P(C | S) = P(S | C) P(C) / P(S) = w, so P(F | S) = w P(F | C) + (1 - w) NOISE (the best such
    # cause). Without a frequency F is neutral for S (below).
    caused: dict[str, list[str]] = {}
    for c, s_ in sorted(kb.causes):
        caused.setdefault(c, []).append(s_)
    via_cause: dict[tuple[int, int], tuple[float, str, float, float, tuple[str, ...]]] = {}
    for (f, c), e in sorted(kb.effective.items()):
        if not e.positive or c not in caused:
            continue
        i = rows[f]
        for s_ in caused[c]:
            fig = kb.cause_figures.get((c, s_))
            if fig is None or (f, s_) in kb.effective:
                continue
            w, pc = _clamp(fig.frequency), float(p[i, col[c]])
            ps = _clamp(w * pc + (1 - w) * NOISE)
            best = via_cause.get((i, col[s_]))
            if best is None or (ps, c) > (best[0], best[1]):
                via_cause[(i, col[s_])] = (ps, c, w, pc, tuple(sorted({*fig.sources, *e.sources})))
    for (i, j), (ps, _c, _w, _pc, _src) in via_cause.items():
        p[i, j] = ps
    background = np.clip(p.mean(axis=1) if n_d else np.full(n_f, NOISE), P_MIN, 1 - P_MIN)

    lr_pos = np.minimum(1.0, NOISE / background)[:, None].repeat(n_d, axis=1)
    lr_neg = np.maximum(1.0, (1 - NOISE) / (1 - background))[:, None].repeat(n_d, axis=1)
    details: dict[tuple[int, int], Detail] = {}
    for (f, d), e in kb.effective.items():
        i, j = rows[f], col[d]
        a, b_, pp, text = _cell(e, float(background[i]))
        lr_pos[i, j], lr_neg[i, j], p[i, j] = a, b_, pp
        rel = RELATION_LABELS[e.relation] + (" (excludes)" if a <= 0 or b_ <= 0 else "")
        details[(i, j)] = Detail(rel, text, e.sources, None if e.disease == d else e.disease)
    for (i, j), (ps, c, w, pc, src) in sorted(via_cause.items()):
        b = float(background[i])
        # never below neutral: a finding of a cause does not count against the calcinosis it causes
        lr_pos[i, j], lr_neg[i, j] = max(1.0, ps / b), min(1.0, (1 - ps) / (1 - b))
        details[(i, j)] = Detail(
            f"points to {kb.label(c)}, which can cause it",
            f"P(F|D) = cause frequency {w:g} x P(F|{kb.label(c)}) {pc:.3g} + {1 - w:g} x noise {NOISE:g} = {ps:.3g}"
            f" vs background {b:.3f}",
            src,
        )
    # coexistence: F says nothing against D if it points to a disease D can coexist with
    positive_of: dict[str, list[str]] = {}
    for (f, d), e in kb.effective.items():
        if e.positive:
            positive_of.setdefault(f, []).append(d)
    for f, ds in positive_of.items():
        i = rows[f]
        for d in cands:
            j = col[d]
            own = kb.effective.get((f, d))
            # an axiom for (F, D) stands, except an 'argues against' without figures (the P_AGAINST default, a
            # guess that ignores the coexistence): 'can coexist with' overrides it. A sourced frequency is how often
            # F is seen in D, coexisting cases included, and stands.
            if (own is not None and (own.relation != "against" or own.has_figures)) or (i, j) in via_cause:
                continue
            partners = sorted(e for e in ds if kb.can_coexist(d, e))
            if partners:
                lr_pos[i, j] = lr_neg[i, j] = 1.0
                p[i, j] = background[i]
                details[(i, j)] = Detail(
                    "neutral: can coexist with " + ", ".join(kb.label(x) for x in partners), "LR 1 (coexistence)"
                )
    # causes without a frequency: F says nothing against S if it points to a disease C that can cause S (a finding of
    # dermatomyositis is expected in the dystrophic calcinosis it causes; un-annotated it would count as noise)
    for (f, c), e in sorted(kb.effective.items()):
        if not e.positive or c not in caused:
            continue
        i = rows[f]
        for s_ in caused[c]:
            j = col[s_]
            if (f, s_) in kb.effective or (i, j) in details:
                continue
            causing = sorted(
                x for x in caused if s_ in caused[x] and (f, x) in kb.effective and kb.effective[(f, x)].positive
            )
            lr_pos[i, j] = lr_neg[i, j] = 1.0
            p[i, j] = background[i]
            details[(i, j)] = Detail(
                "neutral: points to " + ", ".join(kb.label(x) for x in causing) + ", which can cause it",
                "LR 1 (cause)",
            )
    # implied findings: a present finding implies its superclass findings (known dermatomyositis is a known connective
    # tissue disease). Where F has no evidence of its own for D, a present F takes the LR+ of its nearest superclass
    # finding with an axiom for D (own or inherited over the disease hierarchy): the evidence the case holds through
    # the implied finding, assuming D does not change how the superclass finding splits into its subclasses. Excluded,
    # F says nothing about its superclass findings: its LR- stays its own.
    present_details: dict[tuple[int, int], Detail] = {}
    for f in findings:
        ups = [(g, rows[g]) for g in kb.finding_ancestors.get(f, ()) if g in rows]
        if not ups:
            continue
        i = rows[f]
        for j, d in enumerate(cands):
            if (i, j) in details:
                continue
            for g, k in ups:
                if (g, d) in kb.effective:
                    lr_pos[i, j] = lr_pos[k, j]
                    det = details[(k, j)]
                    present_details[(i, j)] = Detail(
                        f"{det.relation} (through {kb.label(g)}, which it implies)",
                        det.figures,
                        det.sources,
                        det.inherited_from,
                    )
                    break
    proves = _proofs(kb, col, rows, n_f)
    families = _families(kb, col)
    # listing order within a tie only (the rank is shared, see shared_ranks): by label, then IRI
    order = sorted(range(n_d), key=lambda j: (kb.label(cands[j]).casefold(), cands[j]))
    tiebreak = np.empty(n_d, dtype=np.int64)
    tiebreak[order] = np.arange(n_d)
    return Model(
        kb=kb,
        candidates=cands,
        curies=tuple(kb.curie(d) for d in cands),
        names=tuple(kb.label(d) for d in cands),
        rows=MappingProxyType(rows),
        finding_curies=tuple(kb.curie(f) for f in findings),
        finding_names=tuple(kb.label(f) for f in findings),
        log_pos=_log10(lr_pos),
        log_neg=_log10(lr_neg),
        p=p,
        background=background,
        tiebreak=tiebreak,
        details=MappingProxyType(details),
        present_details=MappingProxyType(present_details),
        proves=proves,
        families=families,
    )


def _proofs(
    kb: KnowledgeBase, col: Mapping[str, int], rows: Mapping[str, int], n_f: int
) -> tuple[tuple[tuple[str, tuple[int, ...]], ...], ...]:
    """Per finding row, the diseases an asserted 'is diagnostic of' axiom says it proves, each with the candidate
    columns of the disease and its subtypes."""
    found: dict[int, set[str]] = {}
    for e in kb.asserted:
        if e.relation == "diagnostic" and e.disease in col and e.finding in rows:
            found.setdefault(rows[e.finding], set()).add(e.disease)
    out: list[tuple[tuple[str, tuple[int, ...]], ...]] = [() for _ in range(n_f)]
    for i, diseases in found.items():
        out[i] = tuple(
            (d, tuple(sorted(j for c, j in col.items() if c == d or d in kb.ancestors.get(c, ()))))
            for d in sorted(diseases)
        )
    return tuple(out)


def _families(kb: KnowledgeBase, col: Mapping[str, int]) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """The candidates grouped under their roots (union of the families a candidate reaches), in column order."""

    def is_root(a: str) -> bool:
        return not (kb.ancestors.get(a, frozenset()) & col.keys())

    group = {d: d for d in col}

    def find(d: str) -> str:
        while group[d] != d:
            d = group[d]
        return d

    for d in sorted(col):
        for r in sorted(a for a in kb.ancestors.get(d, ()) if a in col and is_root(a)):
            a, b = sorted((find(d), find(r)))
            group[b] = a
    members: dict[str, list[str]] = {}
    for d in sorted(col):
        members.setdefault(find(d), []).append(d)
    out = []
    for ms in members.values():
        roots = sorted(col[d] for d in ms if is_root(d))
        out.append((tuple(roots), tuple(sorted(col[d] for d in ms))))
    return tuple(sorted(out))


def _row(model: Model, iri: str) -> int:
    try:
        return model.rows[iri]
    except KeyError:
        raise UnknownTermError(iri, "finding", [], where="diagnostic knowledge base") from None


def _item(model: Model, i: int, j: int, log_lr: float, observed: str) -> dict[str, Any]:
    key = (i, j, observed)
    cached = model.item_cache.get(key)
    if cached is None:
        cached = model.item_cache[key] = _new_item(model, i, j, log_lr, observed)
    return {**cached, "sources": list(cached["sources"])}


def _new_item(model: Model, i: int, j: int, log_lr: float, observed: str) -> dict[str, Any]:
    det = model.present_details.get((i, j)) if observed == "present" else None
    det = det or model.details.get((i, j))
    if det is None:
        b = float(model.background[i])
        det = Detail("not annotated", f"noise P(F|D) {NOISE:g} vs background {b:.3f}")
    return {
        "finding": model.finding_names[i],
        "id": model.finding_curies[i],
        "observed": observed,
        "lr": 0.0 if log_lr <= LOG_EXCLUDED else float(f"{10**log_lr:.4g}"),
        "relation": det.relation,
        "figures": det.figures,
        "sources": list(det.sources),
        "inherited_from": model.kb.label(det.inherited_from) if det.inherited_from else None,
    }


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p), 0.0)
    return terms.sum(axis=axis)


def next_tests(
    model: Model, posterior: np.ndarray, recorded: Iterable[int], k: int = NEXT_TESTS_K, n: int = 5
) -> list[dict[str, Any]]:
    """The unrecorded findings with the largest expected information gain (bits) over the top-k posterior."""
    top = np.argsort(-posterior, kind="stable")[:k]
    pi = posterior[top]
    total = pi.sum()
    if total <= 0 or len(top) < 2:
        return []
    pi = pi / total
    mask = np.ones(len(model.rows), dtype=bool)
    mask[list(recorded)] = False
    idx = np.nonzero(mask)[0]
    if not len(idx):
        return []
    pf = model.p[:, top][idx]  # P(F|D) for the top-k
    joint_pos = pf * pi
    p_pos = joint_pos.sum(axis=1)
    joint_neg = (1 - pf) * pi
    p_neg = joint_neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # an outcome impossible for all leaders (P 0)
        h_pos = _entropy(joint_pos / p_pos[:, None])
        h_neg = _entropy(joint_neg / p_neg[:, None])
    gain = _entropy(pi) - (p_pos * h_pos + p_neg * h_neg)
    best = np.argsort(-gain, kind="stable")[:n]
    out = []
    for b in best:
        if gain[b] <= 1e-6:
            break
        i = int(idx[b])
        out.append(
            {
                "id": model.finding_curies[i],
                "label": model.finding_names[i],
                "expected_information_gain": round(float(gain[b]), 4),
                "if_present_favours": model.names[int(top[int(np.argmax(joint_pos[b]))])],
                "if_absent_favours": model.names[int(top[int(np.argmax(joint_neg[b]))])],
            }
        )
    return out


def score(model: Model, present: Sequence[int], absent: Sequence[int]) -> np.ndarray:
    """log10 composite LR of every candidate (uniform prior)."""
    s = np.zeros(len(model.candidates))
    if present:
        s = s + model.log_pos[list(present)].sum(axis=0)
    if absent:
        s = s + model.log_neg[list(absent)].sum(axis=0)
    return s


def shared_ranks(sorted_scores: Sequence[object]) -> list[int]:
    """1-based ranks of scores (or ranking keys) sorted from best to worst, equal ones sharing the rank
    ("1, 2, 2, 4")."""
    out: list[int] = []
    for k, v in enumerate(sorted_scores):
        out.append(out[-1] if k and v == sorted_scores[k - 1] else k + 1)
    return out


#: One proven diagnosis of a case: (the disease the axiom names, the present finding rows that prove it, the column
#: of its best-scoring candidate -- the disease itself or a subtype -- which carries the proof in the ranking).
Proof = tuple[str, tuple[int, ...], int]


def case_proofs(model: Model, present: Sequence[int], s: np.ndarray) -> list[Proof]:
    """The diseases proven by a present finding ('is diagnostic of'), best first: a disease whose every candidate is
    excluded is not proven, and a proven disease that is a superclass of another proven one is implied by it."""
    if not model.proves:
        return []
    by: dict[str, list[int]] = {}
    cols_of: dict[str, list[int]] = {}
    for i in present:
        for d, cols in model.proves[i]:
            ok = [j for j in cols if s[j] > LOG_EXCLUDED / 2]
            if ok:
                by.setdefault(d, []).append(i)
                cols_of[d] = ok
    if not by:
        return []
    anc = model.kb.ancestors
    out = []
    for d in sorted(by):
        if any(d in anc.get(o, ()) for o in by if o != d):
            continue
        best = min(cols_of[d], key=lambda j: (-float(s[j]), int(model.tiebreak[j])))
        out.append((d, tuple(by[d]), best))
    out.sort(key=lambda x: (-float(s[x[2]]), int(model.tiebreak[x[2]])))
    return out


def lifted_of(model: Model, proofs: Sequence[Proof]) -> np.ndarray:
    """Per candidate: does it carry a proof in the ranking (proven diagnoses rank above the unproven)?"""
    out = np.zeros(len(model.candidates), dtype=bool)
    for _, _, j in proofs:
        out[j] = True
    return out


def _coexist(model: Model, a: Proof, b: Proof) -> bool:
    kb = model.kb
    xs = {a[0], model.candidates[a[2]]}
    ys = {b[0], model.candidates[b[2]]}
    return any(kb.can_coexist(x, y) for x in xs for y in ys)


_COUNT = {2: "two", 3: "three", 4: "four"}


def proven_of(model: Model, proofs: Sequence[Proof]) -> tuple[list[dict[str, Any]], str]:
    """The ``proven`` list of a result and its ``proven_note`` (``docs/diagnosis.md``, rule 4)."""
    kb = model.kb
    items = []
    parts = []
    for d, rows_, j in proofs:
        by = [model.finding_names[i] for i in rows_]
        items.append(
            {
                "id": kb.curie(d),
                "label": kb.label(d),
                "by": by,
                "most_likely": {"id": model.curies[j], "label": model.names[j]},
            }
        )
        form = "" if model.candidates[j] == d else f", most likely {model.names[j]}"
        parts.append(f"{kb.label(d)} (by {', '.join(by)}{form})")
    if not proofs:
        return items, ""
    if len(proofs) == 1:
        return items, "proven: " + parts[0]
    n = _COUNT.get(len(proofs), str(len(proofs)))
    pairs = [(a, b) for k, a in enumerate(proofs) for b in proofs[k + 1 :]]
    if all(_coexist(model, a, b) for a, b in pairs):
        both = "both stand; the ranking's probabilities do not split them"
        return items, f"{n} proven diagnoses that can coexist ({both}): " + "; ".join(parts)
    return items, f"{n} proven diagnoses not declared to coexist (recheck the proofs): " + "; ".join(parts)


def family_sums(model: Model, post: np.ndarray) -> np.ndarray:
    """Each family's probability for a posterior (1-d) or a chunk of them (2-d, cases in rows): its members' posteriors
    added one by one in column order, so that one case and a chunk give the same floats."""
    out = np.zeros((*post.shape[:-1], len(model.families)))
    for k, (_, members) in enumerate(model.families):
        acc = post[..., members[0]]
        for j in members[1:]:
            acc = acc + post[..., j]
        out[..., k] = acc
    return out


def families_of(model: Model, post: np.ndarray, order: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Each family's probability (the sum over its members, each candidate counted once) and its members, best
    first (``docs/diagnosis.md``, rule 5). ``order``: the candidates by (-posterior, tiebreak), if known."""
    p = post.tolist()
    sums = []
    for _, members in model.families:  # family_sums, in Python floats: the same IEEE additions in the same order
        acc = p[members[0]]
        for j in members[1:]:
            acc += p[j]
        sums.append(acc)
    if order is None:
        order = np.lexsort((model.tiebreak, -post))
    pos = [0] * len(p)
    for k, j in enumerate(order.tolist()):
        pos[j] = k
    curies, names, tiebreak = model.curies, model.names, model.tiebreak
    out = []
    for k, (roots, members) in enumerate(model.families):
        ms = sorted(members, key=pos.__getitem__)
        out.append(
            (
                -sums[k],
                int(tiebreak[roots[0]]),
                {
                    "id": curies[roots[0]],
                    "label": " / ".join(names[r] for r in roots),
                    "probability": round(sums[k], 6),
                    "members": [{"id": curies[j], "label": names[j], "probability": round(p[j], 6)} for j in ms],
                },
            )
        )
    out.sort(key=lambda x: (x[0], x[1]))
    return [x[2] for x in out]


def fit_of(s: np.ndarray, proofs: Sequence[Proof]) -> dict[str, Any]:
    """Whether any modelled disease fits the case (``docs/diagnosis.md``, rule 6)."""
    best = float(s.max()) if len(s) else LOG_EXCLUDED
    return {
        "none_fits": not proofs and best < NONE_FITS_LOG10_LR,
        "best_log10_lr": round(best, 4),
        "threshold": NONE_FITS_LOG10_LR,
    }


def summary_of(model: Model, s: np.ndarray, post: np.ndarray, proofs: Sequence[Proof]) -> dict[str, Any]:
    """The keys of a result beside the differential: ``proven``, ``proven_note``, ``families``, ``fit``."""
    proven, note = proven_of(model, proofs)
    return {"proven": proven, "proven_note": note, "families": families_of(model, post), "fit": fit_of(s, proofs)}


def diagnose(
    model: Model,
    present: Iterable[str],
    absent: Iterable[str] = (),
    *,
    case_id: str = "",
    top: int = 10,
    n_next: int = 5,
    k_next: int = NEXT_TESTS_K,
) -> dict[str, Any]:
    """The differential for one case (finding IRIs present/absent): ``{"case", "differential", "next_tests"}``."""
    pres = list(dict.fromkeys(_row(model, f) for f in present))
    abse = list(dict.fromkeys(_row(model, f) for f in absent))
    s = score(model, pres, abse)
    s = np.round(s, 9)
    post = np.power(10.0, s - s.max()) if len(s) else s
    post = post / post.sum() if len(s) else post
    proofs = case_proofs(model, pres, s)
    lifted = lifted_of(model, proofs)
    order = np.lexsort((model.tiebreak, -s, ~lifted))
    shown = order[: max(0, top)]
    differential = []
    keys = list(zip(lifted[shown].tolist(), s[shown].tolist(), strict=True))
    for rank, j in zip(shared_ranks(keys), shown.tolist(), strict=True):
        for_items: list[dict[str, Any]] = []
        against: list[dict[str, Any]] = []
        for rows_, mat, observed in ((pres, model.log_pos, "present"), (abse, model.log_neg, "absent")):
            for i in rows_:
                v = float(mat[i, j])
                if v > EXPLAIN_MIN:
                    for_items.append(_item(model, i, j, v, observed))
                elif v < -EXPLAIN_MIN:
                    against.append(_item(model, i, j, v, observed))
        for_items.sort(key=lambda x: -x["lr"])
        against.sort(key=lambda x: x["lr"])
        differential.append(
            {
                "rank": rank,
                "id": model.curies[j],
                "label": model.names[j],
                "score": round(float(s[j]), 4),
                "probability": round(float(post[j]), 6),
                "for": for_items,
                "against": against,
            }
        )
    tests = next_tests(model, post, [*pres, *abse], k=k_next, n=n_next) if n_next > 0 else []
    return {"case": case_id, "differential": differential, **summary_of(model, s, post, proofs), "next_tests": tests}


def lr_table(model: Model, finding: str) -> dict[str, tuple[float, float]]:
    """(LR+, LR-) of one finding for every candidate, keyed by candidate label (for inspection and tests)."""
    i = _row(model, finding)

    def lr(v: float) -> float:
        return 0.0 if v <= LOG_EXCLUDED else 10**v

    return {
        model.names[j]: (lr(float(model.log_pos[i, j])), lr(float(model.log_neg[i, j])))
        for j in range(len(model.candidates))
    }


def summary(model: Model) -> Mapping[str, Any]:
    """Size of the model and the defaults it uses (for ``docs`` and ``--debug`` output)."""
    return {
        "candidates": len(model.candidates),
        "findings": len(model.rows),
        "annotated_cells": sum(1 for d in model.details.values() if not d.relation.startswith("neutral")),
        "defaults": {
            "P_TYPICAL": P_TYPICAL,
            "P_DIAGNOSTIC": P_DIAGNOSTIC,
            "SPEC_DIAGNOSTIC": SPEC_DIAGNOSTIC,
            "P_AGAINST": P_AGAINST,
            "NOISE": NOISE,
            "P_MIN": P_MIN,
        },
        "log10_lr_range": (
            float(min(model.log_pos.min(), model.log_neg.min())) if model.log_pos.size else math.nan,
            float(max(model.log_pos.max(), model.log_neg.max())) if model.log_pos.size else math.nan,
        ),
    }
