"""How early a good run shows (paper Fig. 5): the correlation across trials between the dev scores
at every pair of evaluation points, Spearman (rank) and Pearson; the curve of each point's
correlation with the final one optionally smoothed as in the authors' notebook. Reads a task's
curves as the simulation does (`TaskCurves`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .curves import TaskCurves


def rank_correlation_matrix(scores: np.ndarray) -> np.ndarray:
    """Spearman rank correlation across trials (rows) between every pair of evaluation points
    (columns); ties get average ranks. NaN where a column is constant or there are < 2 trials."""
    scores = np.asarray(scores, dtype=float)
    return correlation_matrix(stats.rankdata(scores, axis=0) if scores.shape[0] >= 2 else scores)


def correlation_matrix(scores: np.ndarray) -> np.ndarray:
    """Pearson correlation across trials (rows) between every pair of evaluation points
    (columns). NaN where a column is constant or there are < 2 trials."""
    scores = np.asarray(scores, dtype=float)
    n_trials, n_points = scores.shape
    if n_trials < 2:
        return np.full((n_points, n_points), np.nan)
    ranks = scores
    centred = ranks - ranks.mean(axis=0)
    norms = np.sqrt(np.sum(centred**2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = (centred.T @ centred) / np.outer(norms, norms)
    constant = norms <= 1e-12 * max(1.0, n_trials)
    matrix[constant, :] = np.nan
    matrix[:, constant] = np.nan
    return np.clip(matrix, -1.0, 1.0)


def _final_column(curve: np.ndarray) -> np.ndarray:
    """A curve over eval_a placed in the eval_b = final column of a flattened square matrix."""
    n = len(curve)
    out = np.full((n, n), np.nan)
    out[:, -1] = curve
    return out.ravel()


def correlation_table(task_curves: list[TaskCurves], sigma: float | None = None) -> pd.DataFrame:
    """Fig. 5's data, one row per task and pair of evaluation points (completed trials only).

    Columns: task, eval_a, epoch_a, eval_b, epoch_b, spearman, pearson, with_final (True where
    eval_b is the final evaluation), n_trials. With `sigma`, also spearman_smoothed and
    pearson_smoothed on the `with_final` rows (NaN elsewhere): the curve of each evaluation's
    correlation with the final one smoothed as in the authors' notebook
    (scipy.ndimage.gaussian_filter1d, sigma 2 there); the matrices are not smoothed.
    """
    from scipy.ndimage import gaussian_filter1d

    frames = []
    for curves in task_curves:
        scores = curves.completed_scores
        matrix = rank_correlation_matrix(scores)
        pearson = correlation_matrix(scores)
        smoothed = {}
        if sigma is not None:
            smoothed = {
                f"{name}_smoothed": _final_column(gaussian_filter1d(values[:, -1], sigma))
                for name, values in (("spearman", matrix), ("pearson", pearson))
            }
        n = curves.n_points + 1
        a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        frames.append(
            pd.DataFrame(
                {
                    "task": curves.task,
                    "eval_a": a.ravel(),
                    "epoch_a": curves.epochs[a.ravel()],
                    "eval_b": b.ravel(),
                    "epoch_b": curves.epochs[b.ravel()],
                    "spearman": matrix.ravel(),
                    "pearson": pearson.ravel(),
                    "with_final": b.ravel() == n - 1,
                    "n_trials": len(scores),
                    **smoothed,
                }
            )
        )
    columns = [
        "task",
        "eval_a",
        "epoch_a",
        "eval_b",
        "epoch_b",
        "spearman",
        "pearson",
        "with_final",
        "n_trials",
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
