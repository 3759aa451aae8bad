"""Per-example dev predictions: the file a trial writes beside its result, and scores of many
prediction arrays at once.

A trial's predictions are one array, one row per evaluation in the order of the trial's
`evaluations`, one column per dev example in the prepared data's order:

- `labels`: the predicted class id (int8, or int16 beyond 127 classes), or the predicted value
  (float32) for a regression task;
- `probabilities`: the softmax of the logits, float16, shape [evaluations, examples, classes]
  (a regression task stores its values as with `labels`).

The file is a plain `.npy` (numpy's format: a fixed header and the raw array), written atomically
before the trial result, so a result on disk always has its predictions; the same predictions give
the same bytes. It is not a declared output of the trial rule: trials from before predictions were
kept are not rerun, and the analyses that need predictions say which trials lack them.

Scores of arrays: the analyses score thousands of (trial, evaluation, resample, subset)
combinations. `weighted_scores` computes a metric from weighted confusion counts (`metrics.from_confusion`), so that a
bootstrap resample (example counts) or a subset (0/1 weights) is one matrix product instead of a
call per combination. It equals `metrics.compute` on the materialised resample (tested).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np

from .metrics import CONFUSION_METRICS, from_confusion
from .store import write_bytes_atomic

SUFFIX = ".predictions.npy"
KINDS = ("labels", "probabilities", "none")
# the classification metrics come from a confusion matrix (metrics.from_confusion); these are the rest
REGRESSION_METRICS = ("pearson", "spearman", "pearson_and_spearman", "r2")


def path_for(trial_path: str | os.PathLike) -> Path:
    """The predictions file of the trial result at `trial_path` (….json -> ….predictions.npy)."""
    trial_path = Path(trial_path)
    return trial_path.with_name(trial_path.name.removesuffix(".json") + SUFFIX)


def encode(rows: list[np.ndarray], kind: str, regression: bool = False) -> np.ndarray:
    """Stack the per-evaluation predictions of a trial into the stored array.

    `rows` holds, per evaluation, the logits [examples, classes] (or the values [examples] of a
    regression task)."""
    if kind not in KINDS or kind == "none":
        raise ValueError(f"predictions kind must be 'labels' or 'probabilities', not {kind!r}")
    if regression:
        return np.stack([np.asarray(r, dtype=np.float32).reshape(-1) for r in rows])
    logits = np.stack([np.asarray(r, dtype=np.float64) for r in rows])  # [evals, examples, classes]
    if kind == "labels":
        dtype = np.int8 if logits.shape[-1] <= 127 else np.int16
        return logits.argmax(-1).astype(dtype)
    shifted = logits - logits.max(-1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(-1, keepdims=True)
    return probabilities.astype(np.float16)


def to_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def describe(array: np.ndarray, data: bytes, kind: str) -> dict:
    """What the trial result records about its predictions file (kind, shape, hash; not its name,
    which is the result's own with SUFFIX: a result is a function of the trial config only)."""
    return {"kind": kind, "shape": list(array.shape), "dtype": str(array.dtype),
            "sha256": hashlib.sha256(data).hexdigest()}


def write(path: str | os.PathLike, array: np.ndarray, kind: str = "labels") -> dict:
    """Write the array atomically; return what the trial result records about it."""
    data = to_bytes(array)
    write_bytes_atomic(path, data)
    return describe(array, data, kind)


def read(path: str | os.PathLike, mmap: bool = True) -> np.ndarray:
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def as_labels(array: np.ndarray) -> np.ndarray:
    """Predicted class ids of a stored array of either kind (values pass through for regression)."""
    array = np.asarray(array)
    return array.argmax(-1) if array.ndim == 3 else array


# ------------------------------------------------------------------------------ weighted scores


def _confusion_counts(predictions: np.ndarray, labels: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Weighted confusion matrices: [..., weight rows, n_classes (true), n_classes (predicted)].

    predictions: [..., examples] class ids; labels: [examples]; weights: [rows, examples].
    One matrix product per cell of the confusion matrix, in chunks of prediction rows (a paper-size
    task, 625 trials x 31 evaluations x 1,043 examples, stays within tens of MB)."""
    lead = predictions.shape[:-1]
    joint = (labels.astype(np.int64) * n_classes + predictions.astype(np.int64)).reshape(-1, predictions.shape[-1])
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
        return np.where((xx > tiny) & (yy > tiny), xy / np.sqrt(np.clip(xx, 0, None) * np.clip(yy, 0, None)), 0.0)


def _weighted_r2(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = weights.astype(np.float64)
    total = w.sum(-1)
    y = (w @ labels) / total
    ss_tot = w @ labels**2 - total * y**2
    ss_res = np.einsum("be,...e->...b", w, (values - labels) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        # scikit-learn: a constant label gives 1 for a perfect prediction, else 0
        return np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.where(ss_res == 0, 1.0, 0.0))


def _spearman_loop(values: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman's correlation of every row under every resample, one metrics.spearman call each."""
    from .metrics import spearman as spearmanr

    flat = values.reshape(-1, values.shape[-1])
    out = np.empty((flat.shape[0], weights.shape[0]))
    for b, w in enumerate(weights):
        index = np.repeat(np.arange(len(w)), w.astype(np.int64)) if np.allclose(w, np.round(w)) else None
        if index is None:
            raise ValueError("spearman under weights needs integer weights (resample counts or subsets)")
        for t, row in enumerate(flat):
            out[t, b] = spearmanr(labels[index], row[index])
    return out.reshape(values.shape[:-1] + (weights.shape[0],))


def weighted_scores(predictions, labels, metric: str, weights=None, n_classes: int | None = None) -> np.ndarray:
    """The metric of every prediction row under every weight row.

    predictions: [..., examples] class ids (or values, regression); labels: [examples];
    weights: [rows, examples] non-negative (bootstrap counts, 0/1 subsets; None: all ones).
    Returns [..., rows] (the weight axis last; dropped when weights is None)."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    single = weights is None
    weights = np.ones((1, labels.shape[0])) if single else np.atleast_2d(np.asarray(weights, dtype=np.float64))
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
            scores = pearson if metric == "pearson" else spearman if metric == "spearman" else (pearson + spearman) / 2
    else:
        raise ValueError(f"no weighted score for metric {metric!r}")
    return scores[..., 0] if single else scores


def bootstrap_counts(n_examples: int, samples: int, seed: int, strata=None) -> np.ndarray:
    """Example counts of `samples` bootstrap resamples of the dev set: [samples, examples].

    With `strata` (e.g. the labels), each stratum is resampled within itself, which keeps the label
    mix of the dev set; without, examples are drawn from the whole set."""
    rng = np.random.default_rng(seed)
    if strata is None:
        return rng.multinomial(n_examples, np.full(n_examples, 1.0 / n_examples), size=samples).astype(np.float64)
    strata = np.asarray(strata)
    counts = np.zeros((samples, n_examples))
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        counts[:, members] = rng.multinomial(len(members), np.full(len(members), 1.0 / len(members)), size=samples)
    return counts


def check_shape(array: np.ndarray, n_evals: int, n_examples: int, path) -> None:
    if array.shape[0] != n_evals or array.shape[1] != n_examples:
        raise ValueError(
            f"{path}: predictions have shape {tuple(array.shape)}, expected {n_evals} evaluations x "
            f"{n_examples} dev examples; the trial and its predictions do not belong together "
            f"(recompute: rm {path} and the trial result beside it)"
        )

