"""Many cases at once: :func:`calcgraph.diagnose.diagnose` for a chunk of cases, vectorised, straight to JSON bytes.

One case through :func:`~calcgraph.diagnose.diagnose` costs a few hundred microseconds, almost none of it the
likelihood-ratio product: most goes to small numpy calls per case, to building and copying explanation dicts and to
JSON. :func:`diagnose_chunk` does the same work for a whole chunk of cases:

* **scores** -- the log10 LR sums of every case at once, adding the model's rows in the same order as
  :func:`~calcgraph.diagnose.score` (so the sums are bit-for-bit the same), then the same rounding, posterior and
  ranking (``np.lexsort`` along each row);
* **next tests** -- the expected information gain of every unrecorded finding for every case of the chunk in a few
  array operations (the arithmetic of :func:`~calcgraph.diagnose.next_tests`, element for element);
* **explanations** -- each explanation item (a finding's evidence for or against a candidate) is serialised once per
  process, from :func:`calcgraph.diagnose._new_item` itself, and a case's lists are joined from those bytes: no dict
  is built or copied per case;
* **JSON** -- `orjson <https://github.com/ijl/orjson>`_ for the few values that change per case.

The output is the JSON of :func:`~calcgraph.diagnose.diagnose` (the same keys, values and order; a float may be
spelled differently, e.g. ``0.000056`` for ``5.6e-05``, the same number). ``tests/test_fast_paths.py`` compares
both on thousands of generated cases. The definitions stay in :mod:`calcgraph.diagnose`: the constants, the LR
tables, the items and the tie-break all come from there.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from calcgraph import diagnose as dg

__all__ = ["diagnose_chunk", "dumps", "rank_chunk", "rows_of"]

_OPT = orjson.OPT_SERIALIZE_NUMPY


def dumps(obj: Any) -> bytes:
    """Compact JSON (UTF-8, non-ASCII kept) of a result: what ``json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)`` writes, up to the spelling of floats."""
    return orjson.dumps(obj, option=_OPT)


def rows_of(model: dg.Model, present: Sequence[str], absent: Sequence[str]) -> tuple[list[int], list[int]]:
    """The model rows of a case's findings, as :func:`~calcgraph.diagnose.diagnose` takes them (first occurrence,
    in order); :class:`~calcgraph.errors.UnknownTermError` for a finding the model does not know."""
    return (
        list(dict.fromkeys(dg._row(model, f) for f in present)),
        list(dict.fromkeys(dg._row(model, f) for f in absent)),
    )


def _rounded(a: np.ndarray, digits: int) -> np.ndarray:
    """``round(x, digits)`` of every element: see :func:`rounded`."""
    f = 10.0**digits
    y = a * f
    out = np.rint(y) / f
    with np.errstate(invalid="ignore"):
        unsure = ~(np.abs(np.abs(y - np.floor(y)) - 0.5) >= 1e-6) | ~(np.abs(y) < 1e9)
    if unsure.any():
        out = out.copy()
        flat_in, flat_out = a.ravel(), out.reshape(-1)
        for i in np.flatnonzero(unsure).tolist():
            flat_out[i] = round(float(flat_in[i]), digits)
    return out


def rounded(a: np.ndarray, digits: int) -> list[Any]:
    """``[round(x, digits) for x in a]`` (nested like ``a.tolist()``), the same floats, computed for the array.

    ``rint(x * 10**digits) / 10**digits`` is the float nearest to the decimal that Python's ``round`` picks -- both
    end in one correctly rounded conversion of the same integer -- whenever ``x * 10**digits`` is not within 1e-6
    of a half (where the product's own rounding could pick the other integer) and below 1e9 in size; those few
    values, and any NaN or infinity, go through ``round`` itself."""
    return _rounded(a, digits).tolist()


def spelled(a: np.ndarray, digits: int) -> list[list[bytes]]:
    """Each row of the 2-d ``a`` rounded to ``digits`` (:func:`rounded`) and spelled as Python's ``repr`` (what the
    json module writes). orjson spells a float as ``repr`` does when it is 0 or between 1e-4 and 1e16 in size (the
    same shortest digits, positional); any other value is spelled by ``repr`` itself."""
    n_rows, n_cols = a.shape
    if n_rows == 0 or n_cols == 0:
        return [[] for _ in range(n_rows)]
    flat = _rounded(a, digits).reshape(-1)
    toks = orjson.dumps(flat, option=_OPT)[1:-1].split(b",")
    size = np.abs(flat)
    with np.errstate(invalid="ignore"):
        other = ~(((size >= 1e-4) & (size < 1e16)) | (size == 0))
    for i in np.flatnonzero(other).tolist():
        toks[i] = repr(float(flat[i])).encode()
    return [toks[r * n_cols : (r + 1) * n_cols] for r in range(n_rows)]


def _sums(table: np.ndarray, rows: Sequence[Sequence[int]]) -> np.ndarray:
    """Per case, the sum of ``table``'s rows ``rows[c]`` added in order (as ``table[rows].sum(axis=0)``)."""
    n_c, n_d = len(rows), table.shape[1]
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return np.zeros((n_c, n_d))
    padded = np.vstack([table, np.zeros((1, n_d))])  # the last row adds 0.0: x + 0.0 == x exactly
    idx = np.full((n_c, width), table.shape[0], dtype=np.intp)
    for c, r in enumerate(rows):
        idx[c, : len(r)] = r
    acc = padded[idx[:, 0]]
    for t in range(1, width):
        acc = acc + padded[idx[:, t]]
    return acc


class Ranked:
    """What :func:`rank_chunk` computes for a chunk: per case (rows) the rounded scores, the posterior, the ranking,
    which candidates carry a proof, and the proofs themselves (:func:`calcgraph.diagnose.case_proofs`)."""

    __slots__ = ("lifted", "order", "post", "proofs", "s")

    def __init__(
        self, s: np.ndarray, post: np.ndarray, order: np.ndarray, lifted: np.ndarray, proofs: list[list[dg.Proof]]
    ) -> None:
        self.s, self.post, self.order, self.lifted, self.proofs = s, post, order, lifted, proofs

    def ranks(self, n_top: int) -> list[list[int]]:
        """The shared ranks of each case's first ``n_top`` candidates (as :func:`~calcgraph.diagnose.diagnose`)."""
        top = self.order[:, :n_top]
        s = np.take_along_axis(self.s, top, axis=1).tolist()
        lifted = np.take_along_axis(self.lifted, top, axis=1).tolist()
        return [dg.shared_ranks(list(zip(a, b, strict=True))) for a, b in zip(lifted, s, strict=True)]


def rank_chunk(model: dg.Model, pres: Sequence[Sequence[int]], abse: Sequence[Sequence[int]]) -> Ranked:
    """Rounded scores, posterior, proofs and ranking of each case (rows of the arrays), as
    :func:`~calcgraph.diagnose.diagnose` computes them for one case."""
    n_d = len(model.candidates)
    s = np.zeros((len(pres), n_d)) + _sums(model.log_pos, pres)
    s = s + _sums(model.log_neg, abse)
    s = np.round(s, 9)
    lifted = np.zeros(s.shape, dtype=bool)
    if n_d == 0:
        return Ranked(s, s, np.zeros(s.shape, dtype=np.intp), lifted, [[] for _ in pres])
    post = np.power(10.0, s - s.max(axis=1, keepdims=True))
    post = post / post.sum(axis=1, keepdims=True)
    proving = model.proves
    proofs: list[list[dg.Proof]] = []
    for c, rows in enumerate(pres):
        found = dg.case_proofs(model, rows, s[c]) if proving and any(proving[i] for i in rows) else []
        for _, _, j in found:
            lifted[c, j] = True
        proofs.append(found)
    order = np.lexsort((np.broadcast_to(model.tiebreak, s.shape), -s, ~lifted), axis=-1)
    return Ranked(s, post, order, lifted, proofs)


def _entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p), 0.0)
    return terms.sum(axis=axis)


def next_tests_chunk(
    model: dg.Model, post: np.ndarray, recorded: Sequence[Sequence[int]], k: int, n: int
) -> list[list[dict[str, Any]]]:
    """:func:`~calcgraph.diagnose.next_tests` of every case of the chunk (same arithmetic, element for element)."""
    n_c, n_d = post.shape
    out: list[list[dict[str, Any]]] = [[] for _ in range(n_c)]
    if n_c == 0 or n <= 0 or n_d < 2 or k < 2:
        return out
    top = np.argsort(-post, axis=1, kind="stable")[:, :k]
    pi = np.take_along_axis(post, top, axis=1)
    total = pi.sum(axis=1)
    ok = total > 0
    pi = pi / np.where(ok, total, 1.0)[:, None]
    # Laid out (k, cases, findings): the sums over the top-k then run over the outer axis, which numpy adds in
    # sequence, exactly as it adds the short rows of next_tests' (findings, k) arrays -- and fast.
    pf = model.p.T[top.T]  # P(F|D) of each case's top-k
    w = pi.T[:, :, None]
    joint_pos = pf * w
    p_pos = joint_pos.sum(axis=0)
    joint_neg = (1 - pf) * w
    p_neg = joint_neg.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h_pos = _entropy(joint_pos / p_pos[None, :, :], axis=0)
        h_neg = _entropy(joint_neg / p_neg[None, :, :], axis=0)
    gain = _entropy(pi)[:, None] - (p_pos * h_pos + p_neg * h_neg)
    n_f = gain.shape[1]
    mask = np.ones((n_c, n_f), dtype=bool)
    flat = [c * n_f + i for c, r in enumerate(recorded) for i in r]
    if flat:
        mask.ravel()[flat] = False
    keyed = np.where(mask, -gain, np.inf)  # recorded findings sort last and are never taken
    best = np.argsort(keyed, axis=1, kind="stable")[:, :n]
    best_raw = np.take_along_axis(gain, best, axis=1)
    best_gain, best_rounded = best_raw.tolist(), rounded(best_raw, 4)
    best_ok = np.take_along_axis(mask, best, axis=1).tolist()
    # the candidate each outcome favours: argmax over the top-k of the joint, as next_tests takes it
    # the candidate each outcome of a chosen test favours: the first maximum over the top-k, as np.argmax takes it
    chosen = np.broadcast_to(best[None, :, :], (joint_pos.shape[0], *best.shape))
    fav_pos = np.take_along_axis(top, np.argmax(np.take_along_axis(joint_pos, chosen, axis=2), axis=0), axis=1)
    fav_neg = np.take_along_axis(top, np.argmax(np.take_along_axis(joint_neg, chosen, axis=2), axis=0), axis=1)
    fav_pos_l, fav_neg_l = fav_pos.tolist(), fav_neg.tolist()
    usable = (ok & mask.any(axis=1)).tolist()
    names, curies, fnames = model.names, model.finding_curies, model.finding_names
    for c, b_row in enumerate(best.tolist()):
        if not usable[c]:
            continue
        tests = out[c]
        g_row, r_row, ok_row, fp, fn = best_gain[c], best_rounded[c], best_ok[c], fav_pos_l[c], fav_neg_l[c]
        for t, b in enumerate(b_row):
            g = g_row[t]
            if not ok_row[t] or g <= 1e-6:
                break
            tests.append(
                {
                    "id": curies[b],
                    "label": fnames[b],
                    "expected_information_gain": r_row[t],
                    "if_present_favours": names[fp[t]],
                    "if_absent_favours": names[fn[t]],
                }
            )
    return out


#: One explanation item: (its LR, its JSON).
Cell = tuple[float, bytes]


class _Fragments:
    """Serialised pieces of one model's output, built once per process (a few tens of milliseconds).

    ``cells[side][o][i][j]`` is the explanation item of finding row ``i`` observed ``o`` (0 present, 1 absent) for
    candidate ``j`` -- from :func:`calcgraph.diagnose._new_item` -- where :func:`~calcgraph.diagnose.diagnose` lists
    it for (side 0: ``log10 LR > EXPLAIN_MIN``) or against (side 1: ``< -EXPLAIN_MIN``) the candidate, else
    ``None``."""

    def __init__(self, model: dg.Model) -> None:
        self.model = model
        pos = self._cells(model.log_pos, "present")
        neg = self._cells(model.log_neg, "absent")
        self.cells = ((pos[0], neg[0]), (pos[1], neg[1]))
        self.head = [
            b',"id":' + orjson.dumps(cur) + b',"label":' + orjson.dumps(name)
            for cur, name in zip(model.curies, model.names, strict=True)
        ]
        # families (calcgraph.diagnose.families_of): the head of each family's and each member's object
        self.member_head = [
            b'{"id":' + orjson.dumps(cur) + b',"label":' + orjson.dumps(name) + b',"probability":'
            for cur, name in zip(model.curies, model.names, strict=True)
        ]
        self.family_head = [
            b'{"id":'
            + orjson.dumps(model.curies[roots[0]])
            + b',"label":'
            + orjson.dumps(" / ".join(model.names[r] for r in roots))
            + b',"probability":'
            for roots, _ in model.families
        ]
        self.family_members = [np.array(members, dtype=np.intp) for _, members in model.families]
        # a one-member family's object, its probability (the member's own) spelled twice: one % per case
        self.single = [
            self.family_head[k] + b'%s,"members":[' + self.member_head[members[0]] + b"%s}]}"
            if len(members) == 1
            else None
            for k, (_, members) in enumerate(model.families)
        ]
        self.family_tiebreak = np.array([model.tiebreak[roots[0]] for roots, _ in model.families], dtype=np.int64)

    def _cells(self, table: np.ndarray, observed: str) -> tuple[list[list[Cell | None]], list[list[Cell | None]]]:
        fors: list[list[Cell | None]] = []
        against: list[list[Cell | None]] = []
        for i, row in enumerate(table.tolist()):
            f_row: list[Cell | None] = []
            a_row: list[Cell | None] = []
            for j, v in enumerate(row):
                cell = None
                if v > dg.EXPLAIN_MIN or v < -dg.EXPLAIN_MIN:
                    it = dg._new_item(self.model, i, j, v, observed)
                    cell = (it["lr"], orjson.dumps(it))
                f_row.append(cell if v > dg.EXPLAIN_MIN else None)
                a_row.append(cell if v < -dg.EXPLAIN_MIN else None)
            fors.append(f_row)
            against.append(a_row)
        return fors, against


_FRAGMENTS: dict[int, _Fragments] = {}


def _fragments(model: dg.Model) -> _Fragments:
    f = _FRAGMENTS.get(id(model))
    if f is None or f.model is not model:
        _FRAGMENTS.clear()
        f = _FRAGMENTS[id(model)] = _Fragments(model)
    return f


_LR = operator.itemgetter(0)
#: One entry of the differential; score and probability come spelled as Python's repr (:func:`spelled`), which is
#: what the json module writes.
_ENTRY = b'{"rank":%d%s,"score":%s,"probability":%s,"for":[%s],"against":[%s]}'


def diagnose_chunk(
    model: dg.Model,
    cases: Sequence[tuple[str, Sequence[int], Sequence[int]]],
    *,
    top: int = 10,
    n_next: int = 5,
    k_next: int = dg.NEXT_TESTS_K,
) -> list[bytes]:
    """The JSON of :func:`calcgraph.diagnose.diagnose` for each ``(case id, present rows, absent rows)`` (rows from
    :func:`rows_of`), computed for the whole chunk at once (module docstring)."""
    if not cases:
        return []
    ids = [c[0] for c in cases]
    pres = [c[1] for c in cases]
    abse = [c[2] for c in cases]
    ranked = rank_chunk(model, pres, abse)
    s, post, order = ranked.s, ranked.post, ranked.order
    n_top = max(0, min(top, s.shape[1]))
    tops = order[:, :n_top].tolist()
    scores = spelled(np.take_along_axis(s, order[:, :n_top], axis=1), 4)
    all_ranks = ranked.ranks(n_top)
    probs = spelled(np.take_along_axis(post, order[:, :n_top], axis=1), 6)
    tests = (
        next_tests_chunk(model, post, [[*p, *a] for p, a in zip(pres, abse, strict=True)], k_next, n_next)
        if n_next > 0
        else [[] for _ in cases]
    )
    frag = _fragments(model)
    (for_pos, for_neg), (against_pos, against_neg) = frag.cells
    head = frag.head
    # families: the sums and orders of calcgraph.diagnose.families_of for the whole chunk
    f_head, m_head = frag.family_head, frag.member_head
    sums = dg.family_sums(model, post)
    fam_order = np.lexsort((np.broadcast_to(frag.family_tiebreak, sums.shape), -sums), axis=-1).tolist()
    fam_tok = spelled(sums, 6)
    post_tok = spelled(post, 6)
    member_order = []
    for members in frag.family_members:
        sub = post[:, members]
        by = np.lexsort((np.broadcast_to(model.tiebreak[members], sub.shape), -sub), axis=-1)
        member_order.append(members[by].tolist())
    single = frag.single
    # fit (calcgraph.diagnose.fit_of) for the chunk: the best score per case, rounded as round() does and spelled
    # as orjson spells that float
    best = s.max(axis=1) if s.shape[1] else np.full(len(ids), dg.LOG_EXCLUDED)
    best_tok = orjson.dumps(_rounded(best, 4).tolist())[1:-1].split(b",")
    below = (best < dg.NONE_FITS_LOG10_LR).tolist()
    fit_tail = b',"best_log10_lr":%s,"threshold":' + orjson.dumps(dg.NONE_FITS_LOG10_LR) + b"}"
    proofs_all = ranked.proofs
    out = []
    for c, case_id in enumerate(ids):
        p_rows, a_rows = pres[c], abse[c]
        rows_for = [for_pos[i] for i in p_rows] + [for_neg[i] for i in a_rows]
        rows_against = [against_pos[i] for i in p_rows] + [against_neg[i] for i in a_rows]
        entries = []
        for rank, j, sc, pr in zip(all_ranks[c], tops[c], scores[c], probs[c], strict=True):
            fors = [x for r in rows_for if (x := r[j]) is not None]
            against = [x for r in rows_against if (x := r[j]) is not None]
            if len(fors) > 1:
                fors.sort(key=_LR, reverse=True)  # stable: equal LRs keep their order, as diagnose() sorts
            if len(against) > 1:
                against.sort(key=_LR)
            entries.append(
                _ENTRY
                % (
                    rank,
                    head[j],
                    sc,
                    pr,
                    b",".join([x[1] for x in fors]),
                    b",".join([x[1] for x in against]),
                )
            )
        proofs = proofs_all[c]
        if proofs:
            proven, note = dg.proven_of(model, proofs)
            head_c = b'"proven":%s,"proven_note":%s' % (orjson.dumps(proven), orjson.dumps(note))
        else:
            head_c = b'"proven":[],"proven_note":""'
        families = []
        ptok, ftok = post_tok[c], fam_tok[c]
        for k in fam_order[c]:
            one = single[k]
            if one is not None:
                tok = ftok[k]
                families.append(one % (tok, tok))
                continue
            body = b",".join([m_head[j] + ptok[j] + b"}" for j in member_order[k][c]])
            families.append(f_head[k] + ftok[k] + b',"members":[' + body + b"]}")
        fit = (b'{"none_fits":false' if proofs or not below[c] else b'{"none_fits":true') + fit_tail % best_tok[c]
        extra = b'%s,"families":[%s],"fit":%s' % (head_c, b",".join(families), fit)
        out.append(
            b'{"case":%s,"differential":[%s],%s,"next_tests":%s}'
            % (orjson.dumps(case_id), b",".join(entries), extra, orjson.dumps(tests[c]))
        )
    return out
