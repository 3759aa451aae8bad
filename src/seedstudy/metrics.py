"""GLUE metrics on binary predictions: accuracy, F1 (positive class 1), MCC, mean of accuracy and F1."""

from __future__ import annotations

import math

import numpy as np


def _confusion(labels, predictions) -> tuple[int, int, int, int]:
    y = np.asarray(labels)
    p = np.asarray(predictions)
    if y.shape != p.shape:
        raise ValueError(f"labels and predictions differ in shape: {y.shape} vs {p.shape}")
    tp = int(np.sum((p == 1) & (y == 1)))
    tn = int(np.sum((p == 0) & (y == 0)))
    fp = int(np.sum((p == 1) & (y == 0)))
    fn = int(np.sum((p == 0) & (y == 1)))
    return tp, tn, fp, fn


def accuracy(labels, predictions) -> float:
    y = np.asarray(labels)
    if y.size == 0:
        raise ValueError("accuracy of an empty set")
    return float(np.mean(y == np.asarray(predictions)))


def f1(labels, predictions) -> float:
    """F1 of the positive class (label 1); 0 when there is no true positive."""
    tp, _, fp, fn = _confusion(labels, predictions)
    if tp == 0:
        return 0.0
    return 2 * tp / (2 * tp + fp + fn)


def mcc(labels, predictions) -> float:
    """Matthews correlation coefficient; 0 when a margin of the confusion matrix is empty."""
    tp, tn, fp, fn = _confusion(labels, predictions)
    denominator = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    if denominator == 0:
        return 0.0
    return (tp * tn - fp * fn) / denominator


def acc_and_f1(labels, predictions) -> float:
    return (accuracy(labels, predictions) + f1(labels, predictions)) / 2


METRICS = {"accuracy": accuracy, "f1": f1, "mcc": mcc, "acc_and_f1": acc_and_f1}


def compute(names, labels, predictions) -> dict[str, float]:
    """Every metric in `names` on the same predictions."""
    return {name: METRICS[name](labels, predictions) for name in names}


def majority_predictions(labels):
    """Predict the most frequent label for every example (ties go to the smaller label)."""
    y = np.asarray(labels)
    values, counts = np.unique(y, return_counts=True)
    return np.full_like(y, values[np.argmax(counts)])
