"""Scores of many per-example prediction arrays at once.

The per-example analyses score thousands of (trial, evaluation, resample, subset) combinations.
`weighted_scores` computes a metric from weighted confusion counts (`metrics.from_confusion`), so
that a bootstrap resample (example counts) or a subset (0/1 weights) is one matrix product
instead of a call per combination. It equals `metrics.compute` on the materialised resample
(tested).
"""

from __future__ import annotations

import numpy as np

from ...metrics import CONFUSION_METRICS, from_confusion
from ...metrics import spearman as spearmanr

# the classification metrics come from a confusion matrix (metrics.from_confusion);
# these are the rest
REGRESSION_METRICS = ("pearson", "spearman", "pearson_and_spearman", "r2")


def _confusion_counts(
    predictions: np.ndarray, labels: np.ndarray, weights: np.ndarray, n_classes: int
) -> np.ndarray:
    """Weighted confusion matrices: [..., weight rows, n_classes (true), n_classes (predicted)].

    predictions: [..., examples] class ids; labels: [examples]; weights: [rows, examples].
    One matrix product per cell of the confusion matrix, in chunks of prediction rows (a paper-size
    task, 625 trials x 31 evaluations x 1,043 examples, stays within tens of MB)."""
    lead = predictions.shape[:-1]
    joint = (labels.astype(np.int64) * n_classes + predictions.astype(np.int64)).reshape(
        -1, predictions.shape[-1]
    )
    w = weights.astype(np.float64).T  # [examples, rows]
    counts = np.empty((joint.shape[0], weights.shape[0], n_classes * n_classes))
    chunk = max(1, 2**22 // max(1, joint.shape[1]))
    for start in range(0, joint.shape[0], chunk):
        part = joint[start : start + chunk]
        for k in range(n_classes * n_classes):
            counts[start : start + chunk, :, k] = (part == k).astype(np.float64) @ w
    return counts.reshape(lead + (weights.shape[0], n_classes, n_classes))


def _weighted_pearson(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = weights.astype(np.float64)
    total = w.sum(-1)
    x = np.einsum("be,...e->...b", w, values) / total
    y = (w @ labels) / total
    xx = np.einsum("be,...e->...b", w, values**2) / total - x**2
    yy = (w @ labels**2) / total - y**2
    xy = np.einsum("be,...e->...b", w, values * labels) / total - x * y
    with np.errstate(invalid="ignore", divide="ignore"):
        # a constant has no correlation with anything: 0, as metrics.pearson (scipy: NaN)
        tiny = 1e-12 * np.maximum(1.0, np.maximum(x**2, y**2))
        return np.where(
            (xx > tiny) & (yy > tiny),
            xy / np.sqrt(np.clip(xx, 0, None) * np.clip(yy, 0, None)),
            0.0,
        )


def _weighted_r2(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = weights.astype(np.float64)
    total = w.sum(-1)
    y = (w @ labels) / total
    ss_tot = w @ labels**2 - total * y**2
    ss_res = np.einsum("be,...e->...b", w, (values - labels) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        # scikit-learn: a constant label gives 1 for a perfect prediction, else 0
        return np.where(
            ss_tot > 0,
            1 - ss_res / np.where(ss_tot > 0, ss_tot, 1),
            np.where(ss_res == 0, 1.0, 0.0),
        )


def _spearman_loop(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman's correlation of every row under every resample, one metrics.spearman call each."""
    flat = values.reshape(-1, values.shape[-1])
    out = np.empty((flat.shape[0], weights.shape[0]))
    for b, w in enumerate(weights):
        index = (
            np.repeat(np.arange(len(w)), w.astype(np.int64))
            if np.allclose(w, np.round(w))
            else None
        )
        if index is None:
            raise ValueError(
                "spearman under weights needs integer weights (resample counts or subsets)"
            )
        for t, row in enumerate(flat):
            out[t, b] = spearmanr(labels[index], row[index])
    return out.reshape(values.shape[:-1] + (weights.shape[0],))


def weighted_scores(
    predictions, labels, metric: str, weights=None, n_classes: int | None = None
) -> np.ndarray:
    """The metric of every prediction row under every weight row.

    predictions: [..., examples] class ids (or values, regression); labels: [examples];
    weights: [rows, examples] non-negative (bootstrap counts, 0/1 subsets; None: all ones).
    Returns [..., rows] (the weight axis last; dropped when weights is None)."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    single = weights is None
    weights = (
        np.ones((1, labels.shape[0]))
        if single
        else np.atleast_2d(np.asarray(weights, dtype=np.float64))
    )
    if metric in CONFUSION_METRICS:
        classes = n_classes or int(max(labels.max(), predictions.max())) + 1
        if metric in ("f1", "acc_and_f1", "mcc") and n_classes is None:
            classes = max(classes, 2)
        scores = from_confusion(_confusion_counts(predictions, labels, weights, classes), metric)
    elif metric in REGRESSION_METRICS:
        values = predictions.astype(np.float64)
        y = labels.astype(np.float64)
        if metric == "r2":
            scores = _weighted_r2(values, y, weights)
        else:
            pearson = _weighted_pearson(values, y, weights) if metric != "spearman" else None
            spearman = _spearman_loop(values, y, weights) if metric != "pearson" else None
            scores = (
                pearson
                if metric == "pearson"
                else spearman
                if metric == "spearman"
                else (pearson + spearman) / 2
            )
    else:
        raise ValueError(f"no weighted score for metric {metric!r}")
    return scores[..., 0] if single else scores
