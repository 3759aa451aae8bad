"""A second, simpler implementation of the early-stopping simulation's kernel
(`seedstudy.analysis.early_stopping.kernel`), to check the fast one against."""

from __future__ import annotations

import numpy as np

from seedstudy.analysis.early_stopping.curves import TaskCurves
from seedstudy.analysis.early_stopping.kernel import stop_ranking


def outcomes(curves: TaskCurves, draws: np.ndarray, t: int, k: int, p: int) -> np.ndarray:
    """The best score Algorithm 1 (t, k, p) finds in each resample (row of draws); k = K with
    t = p is the baseline. Sorts each resample's ranks instead of the fast path's insertions: a
    second, simpler implementation of the simulation's kernel, used to check the fast one."""
    K = curves.n_points
    partial = np.maximum.accumulate(curves.scores, axis=1)
    sample = draws[:, :t]
    if k >= K or p >= t:
        return partial[:, K][sample].max(axis=1)
    n = curves.n_trials
    order = stop_ranking(partial[:, k], curves.n_evals, k)
    rank_of = np.empty(n, dtype=np.int16 if n <= np.iinfo(np.int16).max else np.int32)
    rank_of[order] = np.arange(n)
    ranked = np.sort(np.take(rank_of, sample), axis=1)
    if p == 0:
        result = partial[order, k][ranked[:, 0]]
    else:
        result = partial[order, K][ranked[:, :p]].max(axis=1)
    diverged = curves.n_evals <= k
    if diverged.any():
        diverged_best = np.where(diverged, partial[:, K], -np.inf)
        result = np.maximum(result, diverged_best[sample].max(axis=1))
    return result
