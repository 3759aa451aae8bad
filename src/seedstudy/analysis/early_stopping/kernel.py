"""The fast path of Algorithm 1's simulation (`simulation`): the best score every candidate
(t, k, p) finds, over every resample, without a loop over resamples.

The fast path never loops over resamples. For a stop index k the trials are pre-ranked once (small
integers), and for each resample the smallest L ranks of the prefix of t draws are kept sorted while
t grows (L = the largest p any later candidate needs; an insertion is two vectorised min/max
passes). With the prefix's sorted ranks a_1 <= a_2 <= ..., the result for p is

    max( max_{i <= p} full(a_i), best of any drawn trial diverged before k ),

all p of one (t, k) at once. A stopped trial still training never decides the result: its partial
best is at most the partial best of every continued trial, which is at most that trial's full best
(`reference_best` in the tests counts the stopped trials literally). Scores are replaced by their
integer codes (position among the sorted distinct scores) and a drawn trial by one integer key
holding its rank and its full best, so everything but the final mean runs on small integers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .curves import TaskCurves


@dataclass
class _Coded:
    """Scores as integer codes: code c >= 1 is levels[c];
    code 0 is 'nothing' (below every score)."""

    levels: np.ndarray  # levels[0] = nan (unused), levels[1:] sorted distinct scores
    partial: np.ndarray  # (N, K+1) codes of the best over evaluations 0..k
    dtype: type

    @classmethod
    def of(cls, scores: np.ndarray) -> _Coded:
        partial = np.maximum.accumulate(scores, axis=1)
        distinct = np.unique(partial)
        dtype = np.int16 if distinct.size + 1 <= np.iinfo(np.int16).max else np.int32
        codes = (np.searchsorted(distinct, partial) + 1).astype(dtype)
        return cls(levels=np.concatenate([[np.nan], distinct]), partial=codes, dtype=dtype)


@dataclass
class _StopPoint:
    """Everything the fast path needs for one stop index k.

    A drawn trial is held as one integer key, rank << bits | code of its full best, so that keys
    sort by rank and the full best comes back with a mask instead of a table look-up. The absent
    key (n_trials << bits) sorts after every trial and has full best code 0.
    """

    k: int
    key_of: np.ndarray  # trial -> key
    diverged_best: np.ndarray | None  # trial -> code of best if diverged before k, else 0
    bits: int
    partial_by_rank: np.ndarray | None = None  # rank -> code of the partial best at k (absent: 0)
    plan: list = field(default_factory=list)  # [(t, [(p, candidate index), ...]), ...] by t


def stop_ranking(partial: np.ndarray, n_evals: np.ndarray, k: int) -> np.ndarray:
    """Trial indices in the order Algorithm 1 continues them at stop index k: trials still training
    first, by partial best descending, ties by trial order; trials diverged before k last."""
    partial = np.asarray(partial, dtype=float)
    diverged_before = np.asarray(n_evals) <= k
    index = np.arange(len(partial))
    return np.lexsort((index, -partial, diverged_before))


def _stop_point(coded: _Coded, n_evals: np.ndarray, k: int) -> _StopPoint:
    K = coded.partial.shape[1] - 1
    n = coded.partial.shape[0]
    order = stop_ranking(coded.partial[:, k], n_evals, k)
    bits = int(len(coded.levels)).bit_length()
    key_dtype = np.int32 if (n + 1) << bits <= np.iinfo(np.int32).max else np.int64
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(n)
    key_of = ((rank_of << bits) | coded.partial[:, K].astype(np.int64)).astype(key_dtype)
    diverged = n_evals <= k
    diverged_best = None
    if diverged.any():
        diverged_best = np.where(diverged, coded.partial[:, K], 0).astype(coded.dtype)
    partial_by_rank = np.concatenate([coded.partial[order, k], [0]]).astype(coded.dtype)
    return _StopPoint(k, key_of, diverged_best, bits, partial_by_rank=partial_by_rank)


def _running_max(rows: np.ndarray) -> np.ndarray:
    """Row-wise running maximum down axis 0 (numpy's accumulate is slow along that axis)."""
    out = np.array(rows, copy=True)
    for j in range(1, len(out)):
        np.maximum(out[j - 1], out[j], out=out[j])
    return out


def _chunk_results(
    draws_t: np.ndarray,
    coded: _Coded,
    points: list[_StopPoint],
    n_candidates: int,
    budgets: int,
    collect: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """For one chunk of resamples (draws_t: T x C, one column per resample): the sums over the
    chunk of every candidate's best score and of the baseline's for x = 1..budgets; with
    `collect`, the codes of the best scores themselves (n_candidates x C and budgets x C)."""
    levels = coded.levels
    chunk = draws_t.shape[1]
    sums = np.zeros(n_candidates)
    codes = np.zeros((n_candidates, chunk), dtype=coded.dtype) if collect else None
    full = coded.partial[:, -1]
    baseline = _running_max(np.take(full, draws_t[:budgets]))
    baseline_sums = np.array([np.take(levels, row).sum() for row in baseline])
    n_trials = coded.partial.shape[0]
    for point in points:
        if not point.plan:
            continue
        mask = (1 << point.bits) - 1
        keys = np.take(point.key_of, draws_t[: point.plan[-1][0]])
        diverged = None
        # rows needed from each t on: the largest p of any later t
        # (at least 1: p = 0 reads the top-ranked trial's partial best)
        widths = np.maximum.accumulate(
            [max(1, max(p for p, _ in needs)) for _, needs in point.plan][::-1]
        )[::-1]
        state = np.full(
            (int(widths[0]), draws_t.shape[1]), n_trials << point.bits, dtype=keys.dtype
        )
        scratch = np.empty_like(state)
        t = 0
        for (target, needs), width in zip(point.plan, widths):
            state = state[:width]
            while t < target:
                new = keys[t]
                # insert `new` into every column's sorted keys, dropping the largest
                if width > 1:
                    np.maximum(state[:-1], new, out=scratch[: width - 1])
                    np.minimum(state[1:], scratch[: width - 1], out=state[1:])
                np.minimum(state[0], new, out=state[0])
                if point.diverged_best is not None:
                    best = np.take(point.diverged_best, draws_t[t])
                    diverged = best if diverged is None else np.maximum(diverged, best)
                t += 1
            best_full, done = None, 0
            for p, index in needs:
                if p == 0:
                    # nothing continued: the best partial best, that of the top-ranked trial
                    result = np.take(point.partial_by_rank, state[0] >> point.bits)
                else:
                    block = (state[done:p] & mask).max(axis=0)
                    best_full = block if best_full is None else np.maximum(best_full, block)
                    done = p
                    result = best_full
                if diverged is not None:
                    result = np.maximum(result, diverged)
                if collect:
                    codes[index] = result
                else:
                    sums[index] += np.take(levels, result).sum()
    if collect:
        return codes, baseline
    return sums, baseline_sums


def _plan(table: pd.DataFrame, coded: _Coded, n_evals: np.ndarray) -> list[_StopPoint]:
    points = []
    for k, group in table.groupby("k", sort=True):
        point = _stop_point(coded, n_evals, int(k))
        by_t: dict[int, list] = {}
        for index, t, p in zip(group.index, group["t"], group["p"]):
            by_t.setdefault(int(t), []).append((int(p), int(index)))
        point.plan = [(t, sorted(by_t[t])) for t in sorted(by_t)]
        points.append(point)
    return points


def _by_chunk(
    curves: TaskCurves,
    table: pd.DataFrame,
    draws: np.ndarray,
    budgets: int,
    threads: int,
    chunk: int,
    collect: bool,
) -> tuple[_Coded, list]:
    table = table.reset_index(drop=True)
    coded = _Coded.of(curves.scores)
    points = _plan(table, coded, curves.n_evals)
    draws_t = np.ascontiguousarray(draws.T)
    bounds = [
        (start, min(start + chunk, draws.shape[0])) for start in range(0, draws.shape[0], chunk)
    ]

    def run(bound):
        part = np.ascontiguousarray(draws_t[:, bound[0] : bound[1]])
        return _chunk_results(part, coded, points, len(table), budgets, collect)

    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(threads) as pool:
            return coded, list(pool.map(run, bounds))
    return coded, [run(bound) for bound in bounds]


def candidate_means(
    curves: TaskCurves,
    table: pd.DataFrame,
    draws: np.ndarray,
    budgets: int,
    threads: int = 1,
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the resamples (rows of `draws`) of the best score of every candidate in `table`
    (columns t, k, p) and of the baseline for x = 1..budgets."""
    _, parts = _by_chunk(curves, table, draws, budgets, threads, chunk, collect=False)
    sums = np.sum([part[0] for part in parts], axis=0)
    baseline_sums = np.sum([part[1] for part in parts], axis=0)
    return sums / draws.shape[0], baseline_sums / draws.shape[0]


def candidate_outcomes(
    curves: TaskCurves,
    table: pd.DataFrame,
    draws: np.ndarray,
    budgets: int,
    threads: int = 1,
    chunk: int = 8192,
) -> tuple[np.ndarray, np.ndarray]:
    """The best score found in every resample (row of `draws`) by every candidate in `table`
    (len(table) x R) and by the baseline for x = 1..budgets (budgets x R): the fast path of
    `candidate_means`, keeping every value (for a few candidates, not for all)."""
    coded, parts = _by_chunk(curves, table, draws, budgets, threads, chunk, collect=True)
    found = np.concatenate([part[0] for part in parts], axis=1)
    baseline = np.concatenate([part[1] for part in parts], axis=1)
    return np.take(coded.levels, found), np.take(coded.levels, baseline)
