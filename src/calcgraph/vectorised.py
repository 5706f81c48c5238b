"""Many cases at once: :func:`calcgraph.diagnose.diagnose` for a chunk of cases, vectorised, straight to JSON bytes.

One case through :func:`~calcgraph.diagnose.diagnose` costs a few hundred microseconds, almost none of it the
likelihood-ratio product: most goes to small numpy calls per case, to building and copying explanation dicts and to
JSON. :func:`diagnose_chunk` does the same work for a whole chunk of cases:

* **scores** -- the log10 LR sums of every case at once, adding the model's rows in the same order as
  :func:`~calcgraph.diagnose.score` (so the sums are bit-for-bit the same), then the same rounding, posterior and
  ranking (``np.lexsort`` along each row);
* **next tests** -- the expected information gain of every unrecorded finding for every case of the chunk in a few
  array operations (the arithmetic of :func:`~calcgraph.diagnose.next_tests`, element for element);
* **JSON** -- every piece of text that does not change from case to case (an explanation item: a finding's
  evidence for or against a candidate, from :func:`calcgraph.diagnose._new_item` itself; the head of an entry, a
  family, a member or a next test) is serialised once per process. A chunk's results are then sequences of piece
  ids, computed with numpy for the whole chunk (the explanation lists sorted by LR in one ``argsort``), and each
  case's JSON is one ``bytes.join``: no dict is built or copied per case, and `orjson
  <https://github.com/ijl/orjson>`_ spells the few values that change per case.

The output is the JSON of :func:`~calcgraph.diagnose.diagnose` (the same keys, values and order; a float may be
spelled differently, e.g. ``0.000056`` for ``5.6e-05``, the same number). ``tests/test_fast_paths.py`` compares
both on thousands of generated cases. The definitions stay in :mod:`calcgraph.diagnose`: the constants, the LR
tables, the items and the tie-break all come from there.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from calcgraph import diagnose as dg

__all__ = ["diagnose_chunk", "dumps", "prepare", "rank_chunk", "rows_of"]

_OPT = orjson.OPT_SERIALIZE_NUMPY


def dumps(obj: Any) -> bytes:
    """Compact JSON (UTF-8, non-ASCII kept) of a result: what ``json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)`` writes, up to the spelling of floats."""
    return orjson.dumps(obj, option=_OPT)


def rows_of(model: dg.Model, present: Sequence[str], absent: Sequence[str]) -> tuple[list[int], list[int]]:
    """The model rows of a case's findings, as :func:`~calcgraph.diagnose.diagnose` takes them (first occurrence,
    in order); :class:`~calcgraph.errors.UnknownTermError` for a finding the model does not know."""
    rows = model.rows
    try:
        return list(dict.fromkeys([rows[f] for f in present])), list(dict.fromkeys([rows[f] for f in absent]))
    except KeyError:  # the finding the model does not know, named as diagnose() names it
        for f in (*present, *absent):
            dg._row(model, f)
        raise


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


def spelled(a: np.ndarray, digits: int) -> list[bytes]:
    """The elements of ``a`` (row after row) rounded to ``digits`` (:func:`rounded`) and spelled as Python's
    ``repr`` (what the json module writes). orjson spells a float as ``repr`` does when it is 0 or between 1e-4 and
    1e16 in size (the same shortest digits, positional); any other value is spelled by ``repr`` itself."""
    if a.size == 0:
        return []
    flat = _rounded(a, digits).reshape(-1)
    toks = orjson.dumps(flat, option=_OPT)[1:-1].split(b",")
    size = np.abs(flat)
    with np.errstate(invalid="ignore"):
        other = ~(((size >= 1e-4) & (size < 1e16)) | (size == 0))
    idx = np.flatnonzero(other)
    if not idx.size:
        return toks
    # below 1e-4, a value rounded to `digits` is k / 10**digits for a small integer k: the spelling of that very float
    # is looked up (most such values are small probabilities); any other value is spelled by repr itself
    lut = _small_spellings(digits)
    f = 10.0**digits
    vals = size[idx]
    with np.errstate(invalid="ignore"):
        k = np.rint(vals * f)
        known = (k >= 1) & (k < len(lut)) & (vals == k / f)
    ks = np.where(known, k, 0).astype(np.intp).tolist()
    neg = (flat[idx] < 0).tolist()
    for i, j, minus in zip(idx.tolist(), ks, neg, strict=True):
        if j:
            toks[i] = b"-" + lut[j] if minus else lut[j]
        else:
            toks[i] = repr(float(flat[i])).encode()
    return toks


@functools.cache
def _small_spellings(digits: int) -> list[bytes]:
    """``repr(k / 10**digits)`` for every k with ``k / 10**digits < 1e-4`` (the values :func:`spelled` looks up)."""
    f = 10.0**digits
    return [repr(k / f).encode() for k in range(max(0, round(1e-4 * f)))]


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
    """The entropy (bits) along ``axis``: the floats of ``sum(where(p > 0, -p * log2(p), 0))``, with fewer
    temporaries (``0 - sum(p * log2(p))`` is the same float: negation is exact)."""
    pos = p > 0
    terms = np.log2(p, out=np.zeros(p.shape), where=pos)
    np.multiply(terms, p, out=terms, where=pos)
    return 0.0 - terms.sum(axis=axis)


def _first_n(keys: np.ndarray, n: int) -> np.ndarray:
    """``np.argsort(keys, axis=1, kind="stable")[:, :n]``: a partition finds each row's n-th smallest key, then only
    the n chosen (those below it, and the first of those equal to it) are sorted."""
    n_c, n_f = keys.shape
    if n >= n_f or n_f < 64 or np.isnan(keys).any():
        return np.argsort(keys, axis=1, kind="stable")[:, :n]
    nth = np.partition(keys, n - 1, axis=1)[:, n - 1 : n]
    below = keys < nth
    at = keys == nth
    take = below | (at & (np.cumsum(at, axis=1) <= n - below.sum(axis=1, keepdims=True)))
    chosen = np.nonzero(take)[1].reshape(n_c, n)  # in column order
    return np.take_along_axis(chosen, np.argsort(np.take_along_axis(keys, chosen, axis=1), axis=1, kind="stable"), 1)


class NextTests:
    """What :func:`next_tests` finds for a chunk: per case (rows) the chosen findings ``best`` (first ``count[c]`` of
    each row), their expected information gain rounded to 4 digits, and the candidate each outcome favours."""

    __slots__ = ("best", "count", "fav_neg", "fav_pos", "gain")

    def __init__(self, best: np.ndarray, count: np.ndarray, gain: np.ndarray, fav_pos: np.ndarray, fav_neg: np.ndarray):
        self.best, self.count, self.gain, self.fav_pos, self.fav_neg = best, count, gain, fav_pos, fav_neg


def next_tests(model: dg.Model, post: np.ndarray, recorded: Sequence[Sequence[int]], k: int, n: int) -> NextTests:
    """:func:`~calcgraph.diagnose.next_tests` of every case of the chunk (same arithmetic, element for element)."""
    n_c, n_d = post.shape
    n = max(0, min(n, len(model.rows)))
    none = np.zeros((n_c, 0), dtype=np.intp)
    if n_c == 0 or n == 0 or n_d < 2 or k < 2:
        return NextTests(none, np.zeros(n_c, dtype=np.intp), np.zeros((n_c, 0)), none, none)
    top = np.argsort(-post, axis=1, kind="stable")[:, :k]
    pi = np.take_along_axis(post, top, axis=1)
    total = pi.sum(axis=1)
    ok = total > 0
    pi = pi / np.where(ok, total, 1.0)[:, None]
    # Laid out (k, cases, findings): the sums over the top-k then run over the outer axis, which numpy adds in
    # sequence, exactly as it adds the short rows of next_tests' (findings, k) arrays -- and fast.
    pf = model.p.T[top.T]  # P(F|D) of each case's top-k
    w = pi.T[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        joint = pf * w  # P(F, D): the finding present
        p_pos = joint.sum(axis=0)
        joint /= p_pos  # (in place: the same floats as joint / p_pos)
        h_pos = _entropy(joint, axis=0)
        np.subtract(1, pf, out=joint)
        joint *= w  # the finding absent
        p_neg = joint.sum(axis=0)
        joint /= p_neg
        h_neg = _entropy(joint, axis=0)
        gain = _entropy(pi)[:, None] - (p_pos * h_pos + p_neg * h_neg)
    n_f = gain.shape[1]
    mask = np.ones((n_c, n_f), dtype=bool)
    flat = [c * n_f + i for c, r in enumerate(recorded) for i in r]
    if flat:
        mask.ravel()[flat] = False
    keyed = np.where(mask, -gain, np.inf)  # recorded findings sort last and are never taken
    best = _first_n(keyed, n)
    best_raw = np.take_along_axis(gain, best, axis=1)
    # taken while unrecorded and gaining more than 1e-6 bits (next_tests stops at the first that does not)
    take = np.take_along_axis(mask, best, axis=1) & ~(best_raw <= 1e-6)
    take &= (ok & mask.any(axis=1))[:, None]
    count = np.logical_and.accumulate(take, axis=1).sum(axis=1)
    # the candidate each outcome of a chosen test favours: the first maximum over the top-k, as np.argmax takes it
    # (the joint probabilities of the chosen findings again: the same products of the same floats)
    pf = np.take_along_axis(pf, np.broadcast_to(best[None, :, :], (pf.shape[0], *best.shape)), axis=2)
    fav_pos = np.take_along_axis(top, np.argmax(pf * w, axis=0), axis=1)
    fav_neg = np.take_along_axis(top, np.argmax((1 - pf) * w, axis=0), axis=1)
    return NextTests(best, count, _rounded(best_raw, 4), fav_pos, fav_neg)


#: Ids of the fixed pieces of every result (the first entries of :attr:`_Fragments.pieces`).
_EMPTY, _PROB, _FOR, _AGAINST, _CLOSE, _FAMILY_CLOSE = range(6)
_FIXED = [b"", b',"probability":', b',"for":[', b'],"against":[', b"]}", b"}]}"]


class _Fragments:
    """Serialised pieces of one model's output, built once per process (a few tens of milliseconds).

    :attr:`pieces` holds every piece of JSON that does not change from case to case, each running up to the next
    value that does: the explanation items (a finding's evidence for or against a candidate, from
    :func:`calcgraph.diagnose._new_item` itself; the first of a list with the list's key, the others with a leading
    comma), the heads of entries (with their rank), of families and of members. A chunk's results are sequences of
    piece ids, computed with numpy for the whole chunk and joined once per case (:func:`diagnose_chunk`)."""

    def __init__(self, model: dg.Model) -> None:
        self.model = model
        n_f, n_d = model.log_pos.shape
        pieces: list[bytes] = list(_FIXED)

        def add(items: list[bytes]) -> np.ndarray:
            ids = np.arange(len(pieces), len(pieces) + len(items), dtype=np.intp)
            pieces.extend(items)
            return ids

        # explanation items of the combined rows (0..n_f-1 present, n_f..2n_f-1 absent, 2n_f: no finding) x columns
        self.n_rows = n_f
        self.log = np.vstack([model.log_pos, model.log_neg, np.zeros((1, n_d))])
        self.lr = np.zeros(self.log.shape)
        first = np.full(self.log.size, _EMPTY, dtype=np.intp)
        comma = np.full(self.log.size, _EMPTY, dtype=np.intp)
        for r, row in enumerate(self.log[: 2 * n_f].tolist()):
            i, observed = (r, "present") if r < n_f else (r - n_f, "absent")
            for j, v in enumerate(row):
                if v > dg.EXPLAIN_MIN or v < -dg.EXPLAIN_MIN:
                    it = dg._new_item(model, i, j, v, observed)
                    data = orjson.dumps(it)
                    self.lr[r, j] = it["lr"]
                    key = _FIXED[_FOR] if v > dg.EXPLAIN_MIN else _FIXED[_AGAINST]
                    first[r * n_d + j], comma[r * n_d + j] = add([key + data, b"," + data])
        self.item_first, self.item_comma = first, comma
        # an entry's head, up to its score: b'{"rank":R,"id":...,"label":...,"score":' (with a leading comma after
        # the first entry), for ranks 0..n_d and columns
        heads = [
            b',"id":' + orjson.dumps(cur) + b',"label":' + orjson.dumps(name) + b',"score":'
            for cur, name in zip(model.curies, model.names, strict=True)
        ]
        self.entry_open = np.stack(
            [
                add([b'%s{"rank":%d%s' % (comma_, rank, h) for rank in range(n_d + 1) for h in heads]).reshape(
                    n_d + 1, n_d
                )
                for comma_ in (b"", b",")
            ]
        )
        member_head = [
            b'{"id":' + orjson.dumps(cur) + b',"label":' + orjson.dumps(name) + b',"probability":'
            for cur, name in zip(model.curies, model.names, strict=True)
        ]
        #: a family's first member (with the family's b',"members":['), the others (closing the one before)
        self.member_open = np.stack(
            [add([b',"members":[' + h for h in member_head]), add([b"}," + h for h in member_head])]
        )
        family_head = [
            b'{"id":'
            + orjson.dumps(model.curies[roots[0]])
            + b',"label":'
            + orjson.dumps(" / ".join(model.names[r] for r in roots))
            + b',"probability":'
            for roots, _ in model.families
        ]
        self.family_open = np.stack([add(family_head), add([b"," + h for h in family_head])])
        self.family_members = [np.array(members, dtype=np.intp) for _, members in model.families]
        self.family_tiebreak = np.array([model.tiebreak[roots[0]] for roots, _ in model.families], dtype=np.int64)
        #: a family's pieces: its head and probability, 2 per member, and b'}]}'
        self.family_size = np.array([3 + 2 * len(m) for m in self.family_members], dtype=np.intp)
        self.single_families = np.array([k for k, m in enumerate(self.family_members) if len(m) == 1], dtype=np.intp)
        self.single_members = np.array([m[0] for m in self.family_members if len(m) == 1], dtype=np.intp)
        self.multi_families = [k for k, m in enumerate(self.family_members) if len(m) > 1]
        # a next test's head, up to its gain (with a leading comma after the first), and its tail for each pair of
        # favoured candidates
        test_head = [
            b'{"id":' + orjson.dumps(cur) + b',"label":' + orjson.dumps(name) + b',"expected_information_gain":'
            for cur, name in zip(model.finding_curies, model.finding_names, strict=True)
        ]
        self.test_open = np.stack([add(test_head), add([b"," + h for h in test_head])])
        names = [orjson.dumps(name) for name in model.names]
        self.test_favours = add(
            [b',"if_present_favours":%s,"if_absent_favours":%s}' % (a, b) for a in names for b in names]
        ).reshape(n_d, n_d)
        self.pieces = np.array([*pieces, b""], dtype=object)[:-1]  # (the extra item keeps numpy from making 2-d)


_FRAGMENTS: dict[int, _Fragments] = {}


def prepare(model: dg.Model) -> None:
    """Serialise ``model``'s fixed pieces now (a few tens of milliseconds), e.g. before forking workers that share
    them; :func:`diagnose_chunk` otherwise does it on its first call."""
    _fragments(model)


def _fragments(model: dg.Model) -> _Fragments:
    f = _FRAGMENTS.get(id(model))
    if f is None or f.model is not model:
        _FRAGMENTS.clear()
        f = _FRAGMENTS[id(model)] = _Fragments(model)
    return f


_LOCAL = threading.local()


def _table(frag: _Fragments, dyn: list[bytes]) -> np.ndarray:
    """Every piece a chunk's results are joined from: the model's fixed pieces, then ``dyn`` (ids from
    ``len(frag.pieces)`` on). One array per thread is kept and only its tail rewritten for each chunk: building it
    anew would touch (and, in a forked worker, copy) every one of the fixed pieces each time."""
    n_static = len(frag.pieces)
    held = getattr(_LOCAL, "table", None)
    if held is None or held[0] is not frag or len(held[1]) < n_static + len(dyn):
        table = np.empty(n_static + max(2 * len(dyn), 1024), dtype=object)
        table[:n_static] = frag.pieces
        _LOCAL.table = held = (frag, table)
    table = held[1]
    table[n_static : n_static + len(dyn)] = np.array([*dyn, b""], dtype=object)[:-1]
    return table


def _shared_ranks(lifted: np.ndarray, s: np.ndarray) -> np.ndarray:
    """:func:`~calcgraph.diagnose.shared_ranks` of each row of ranking keys ``(lifted, s)``, sorted best first."""
    n_c, n_t = s.shape
    pos = np.broadcast_to(np.arange(1, n_t + 1), (n_c, n_t))
    if n_t == 0:
        return pos.copy()
    same = np.zeros((n_c, n_t), dtype=bool)
    same[:, 1:] = (lifted[:, 1:] == lifted[:, :-1]) & (s[:, 1:] == s[:, :-1])
    return np.maximum.accumulate(np.where(same, 0, pos), axis=1)


def _explained(frag: _Fragments, rows: np.ndarray, cols: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Piece ids of the explanation lists of every (case, entry): ``rows`` (cases x W combined rows, padded with
    the no-finding row, W >= 1) against ``cols`` (cases x entries); side 0 the evidence for (LR descending), 1
    against (LR ascending), equal LRs in the order of the case's findings, as :func:`~calcgraph.diagnose.diagnose`
    sorts them. Returns the ids (cases x entries x W; the first opens the list) and which of them are used."""
    n_d = frag.log.shape[1]
    cell = rows[:, None, :] * n_d + cols[:, :, None]
    log = frag.log.ravel()[cell]
    lr = frag.lr.ravel()[cell]
    if side == 0:
        member = log > dg.EXPLAIN_MIN
        key = np.where(member, -lr, np.inf)
    else:
        member = log < -dg.EXPLAIN_MIN
        key = np.where(member, lr, np.inf)
    cell = np.take_along_axis(cell, np.argsort(key, axis=-1, kind="stable"), axis=-1)
    count = member.sum(axis=-1)
    ids = frag.item_comma[cell]
    ids[:, :, 0] = np.where(count > 0, frag.item_first[cell[:, :, 0]], _AGAINST if side else _FOR)
    return ids, np.arange(rows.shape[1]) < np.maximum(count, 1)[:, :, None]


def diagnose_chunk(
    model: dg.Model,
    cases: Sequence[tuple[str, Sequence[int], Sequence[int]]],
    *,
    top: int = 10,
    n_next: int = 5,
    k_next: int = dg.NEXT_TESTS_K,
    tails: Sequence[bytes] | None = None,
) -> list[bytes]:
    """The JSON of :func:`calcgraph.diagnose.diagnose` for each ``(case id, present rows, absent rows)`` (rows from
    :func:`rows_of`), computed for the whole chunk at once (module docstring). ``tails``: per case, more
    ``,"key":value`` members to end its object with."""
    if not cases:
        return []
    n_c = len(cases)
    pres = [c[1] for c in cases]
    abse = [c[2] for c in cases]
    ranked = rank_chunk(model, pres, abse)
    s, post, order = ranked.s, ranked.post, ranked.order
    n_d = s.shape[1]
    n_top = max(0, min(top, n_d))
    top_cols = order[:, :n_top]
    tests = next_tests(model, post, [[*p, *a] for p, a in zip(pres, abse, strict=True)], k_next, n_next)
    frag = _fragments(model)
    n_fam = len(frag.family_members)
    n_static = len(frag.pieces)
    case_col = np.arange(n_c, dtype=np.intp)
    # the values that change per case, spelled as Python's repr: the entries' scores and probabilities, every
    # posterior, the families' probabilities; then each case's head, middle (proofs) and end (fit, next tests, tails)
    sums = dg.family_sums(model, post)
    dyn = spelled(np.take_along_axis(s, top_cols, axis=1), 4)
    base_prob = n_static + len(dyn)
    dyn += spelled(np.take_along_axis(post, top_cols, axis=1), 6)
    base_post = n_static + len(dyn)
    dyn += spelled(post, 6)
    base_fam = n_static + len(dyn)
    dyn += spelled(sums, 6)
    base_case = n_static + len(dyn)
    dyn += [b'{"case":%s,"differential":[' % orjson.dumps(c[0]) for c in cases]
    for proofs in ranked.proofs:
        if proofs:
            proven, note = dg.proven_of(model, proofs)
            dyn.append(b'],"proven":%s,"proven_note":%s,"families":[' % (orjson.dumps(proven), orjson.dumps(note)))
        else:
            dyn.append(b'],"proven":[],"proven_note":"","families":[')
    best = s.max(axis=1) if n_d else np.full(n_c, dg.LOG_EXCLUDED)
    best_tok = orjson.dumps(_rounded(best, 4).tolist())[1:-1].split(b",")
    below = (best < dg.NONE_FITS_LOG10_LR).tolist()
    end = b'],"fit":{"none_fits":%s,"best_log10_lr":%s,"threshold":' + orjson.dumps(dg.NONE_FITS_LOG10_LR)
    end += b'},"next_tests":['
    for c in range(n_c):
        none_fits = b"false" if ranked.proofs[c] or not below[c] else b"true"
        dyn.append(end % (none_fits, best_tok[c]))
    base_gain = n_static + len(dyn)
    if tests.gain.size:
        dyn += orjson.dumps(tests.gain.ravel().tolist())[1:-1].split(b",")
    base_tail = n_static + len(dyn)
    if tails is not None:
        dyn += [b"]%s}" % t for t in tails]
    # next tests: 3 pieces each, the first count[c] of each case
    n_t = tests.best.shape[1]
    test = np.empty((n_c, n_t, 3), dtype=np.intp)
    test[:, :, 0] = frag.test_open[(np.arange(n_t) > 0).astype(np.intp)[None, :], tests.best]
    test[:, :, 1] = base_gain + np.arange(n_c * n_t, dtype=np.intp).reshape(n_c, n_t)
    test[:, :, 2] = frag.test_favours[tests.fav_pos, tests.fav_neg]
    test_keep = np.broadcast_to((np.arange(n_t)[None, :] < tests.count[:, None])[:, :, None], test.shape)
    # the differential: n_top entries per case, each 5 pieces and two explanation lists of up to W items
    n_rows = frag.n_rows
    width = max(1, max((len(p) + len(a) for p, a in zip(pres, abse, strict=True)), default=0))
    rows = np.full((n_c, width), 2 * n_rows, dtype=np.intp)
    for c, (p, a) in enumerate(zip(pres, abse, strict=True)):
        rows[c, : len(p)] = p
        rows[c, len(p) : len(p) + len(a)] = [n_rows + i for i in a]
    entry = np.empty((n_c, n_top, 5 + 2 * width), dtype=np.intp)
    keep = np.ones(entry.shape, dtype=bool)
    ranks = _shared_ranks(np.take_along_axis(ranked.lifted, top_cols, axis=1), np.take_along_axis(s, top_cols, axis=1))
    entry[:, :, 0] = frag.entry_open[(np.arange(n_top) > 0).astype(np.intp)[None, :], ranks, top_cols]
    flat_ct = np.arange(n_c * n_top, dtype=np.intp).reshape(n_c, n_top)
    entry[:, :, 1] = n_static + flat_ct
    entry[:, :, 2] = _PROB
    entry[:, :, 3] = base_prob + flat_ct
    entry[:, :, 4 : 4 + width], keep[:, :, 4 : 4 + width] = _explained(frag, rows, top_cols, 0)
    entry[:, :, 4 + width : 4 + 2 * width], keep[:, :, 4 + width : 4 + 2 * width] = _explained(frag, rows, top_cols, 1)
    entry[:, :, 4 + 2 * width] = _CLOSE
    # families, best first (calcgraph.diagnose.families_of): each family's block of pieces put at its place
    fam_order = np.lexsort((np.broadcast_to(frag.family_tiebreak, sums.shape), -sums), axis=-1)
    size = frag.family_size
    start = np.zeros((n_c, n_fam), dtype=np.intp)  # where each family's block starts, per case
    if n_fam:
        np.put_along_axis(start, fam_order, np.cumsum(size[fam_order], axis=1) - size[fam_order], axis=1)
    fam = np.empty((n_c, int(size.sum())), dtype=np.intp)
    one, member = frag.single_families, frag.single_members
    if len(one):  # the one-member families at once: head, probability, member, its probability (the same), close
        at = start[:, one]
        cc = case_col[:, None]
        fam_tok = base_fam + cc * n_fam + one
        fam[cc, at] = frag.family_open[(at > 0).astype(np.intp), one]
        fam[cc, at + 1] = fam_tok
        fam[cc, at + 2] = frag.member_open[0, member]
        fam[cc, at + 3] = fam_tok
        fam[cc, at + 4] = _FAMILY_CLOSE
    for k in frag.multi_families:
        members = frag.family_members[k]
        at = start[:, k]
        fam[case_col, at] = frag.family_open[(at > 0).astype(np.intp), k]
        fam[case_col, at + 1] = base_fam + case_col * n_fam + k
        m = len(members)
        sub = post[:, members]
        by = members[np.lexsort((np.broadcast_to(model.tiebreak[members], sub.shape), -sub), axis=-1)]
        slots = at[:, None] + 2 + 2 * np.arange(m)[None, :]
        fam[case_col[:, None], slots] = frag.member_open[(np.arange(m) > 0).astype(np.intp)[None, :], by]
        fam[case_col[:, None], slots + 1] = base_post + case_col[:, None] * n_d + by
        fam[case_col, at + 2 + 2 * m] = _FAMILY_CLOSE
    head = (base_case + case_col)[:, None]
    close = (base_tail + case_col)[:, None] if tails is not None else np.full((n_c, 1), _CLOSE, dtype=np.intp)
    layout = np.concatenate(
        [head, entry.reshape(n_c, -1), head + n_c, fam, head + 2 * n_c, test.reshape(n_c, -1), close], axis=1
    )
    fixed = np.ones((n_c, fam.shape[1] + 2), dtype=bool)
    keep_all = np.concatenate(
        [fixed[:, :1], keep.reshape(n_c, -1), fixed, test_keep.reshape(n_c, -1), fixed[:, :1]], axis=1
    )
    parts = _table(frag, dyn)[layout[keep_all]].tolist()
    out = []
    begin = 0
    join = b"".join
    for stop in np.cumsum(keep_all.sum(axis=1)).tolist():
        out.append(join(parts[begin:stop]))
        begin = stop
    return out
