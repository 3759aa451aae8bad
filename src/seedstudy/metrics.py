"""The metrics of GLUE and of a study's own tasks, computed with scikit-learn and scipy.

Classification (integer label ids): accuracy, F1 of class 1 (binary tasks only, as GLUE reports it
for MRPC and QQP), macro-averaged F1, the Matthews correlation coefficient (multi-class as well),
and the mean of accuracy and F1. Regression (real-valued labels and predictions): Pearson and
Spearman correlation, their mean (GLUE's STS-B headline) and the coefficient of determination.

Every metric is higher-is-better (the analyses assume it: best found is a maximum, a failed run
is one at or below the trivial baseline). Degenerate cases give a number, never NaN: F1 without
a true positive is 0, MCC with an empty margin of the confusion matrix is 0 (scikit-learn's
convention), and the correlation of a constant prediction (or constant labels) is defined as 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn import metrics as skm

CLASSIFICATION = "classification"
REGRESSION = "regression"


def _pair(labels, predictions) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(labels), np.asarray(predictions)
    if y.shape != p.shape:
        raise ValueError(f"labels and predictions differ in shape: {y.shape} vs {p.shape}")
    if y.size == 0:
        raise ValueError("a metric of an empty set")
    return y, p


def accuracy(labels, predictions) -> float:
    return float(skm.accuracy_score(*_pair(labels, predictions)))


def f1(labels, predictions) -> float:
    """F1 of the positive class (label 1) of a binary task; 0 when there is no true positive."""
    y, p = _pair(labels, predictions)
    return float(skm.f1_score(y, p, labels=[0, 1], pos_label=1, average="binary", zero_division=0))


def macro_f1(labels, predictions) -> float:
    """Unweighted mean of the per-class F1 over the classes in labels or predictions."""
    return float(skm.f1_score(*_pair(labels, predictions), average="macro", zero_division=0))


def mcc(labels, predictions) -> float:
    """Matthews correlation coefficient (its multi-class form for more than two classes)."""
    y, p = _pair(labels, predictions)
    if np.unique(np.concatenate([y.ravel(), p.ravel()])).size < 2:
        return 0.0  # one class in labels and predictions: an empty margin (scikit-learn's 0, unwarned)
    return float(skm.matthews_corrcoef(y, p))


def acc_and_f1(labels, predictions) -> float:
    return (accuracy(labels, predictions) + f1(labels, predictions)) / 2


def _correlation(function, labels, predictions) -> float:
    y, p = _pair(labels, predictions)
    y, p = y.astype(np.float64), p.astype(np.float64)
    if y.size < 2 or np.all(y == y[0]) or np.all(p == p[0]):
        return 0.0  # a constant has no correlation with anything (scipy: NaN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        value = float(function(y, p)[0])
    return 0.0 if np.isnan(value) else value


def pearson(labels, predictions) -> float:
    return _correlation(stats.pearsonr, labels, predictions)


def spearman(labels, predictions) -> float:
    return _correlation(stats.spearmanr, labels, predictions)


def pearson_and_spearman(labels, predictions) -> float:
    """GLUE's STS-B headline: the mean of Pearson and Spearman correlation."""
    return (pearson(labels, predictions) + spearman(labels, predictions)) / 2


def r2(labels, predictions) -> float:
    """Coefficient of determination (1 - residual / total sum of squares); 0 for the dev mean."""
    y, p = _pair(labels, predictions)
    return float(skm.r2_score(y.astype(np.float64), p.astype(np.float64)))


@dataclass(frozen=True)
class Metric:
    function: Callable
    kind: str  # classification | regression
    bounds: tuple[float, float]  # the range of the metric
    binary_only: bool = False


METRIC_INFO: dict[str, Metric] = {
    "accuracy": Metric(accuracy, CLASSIFICATION, (0.0, 1.0)),
    "f1": Metric(f1, CLASSIFICATION, (0.0, 1.0), binary_only=True),
    "macro_f1": Metric(macro_f1, CLASSIFICATION, (0.0, 1.0)),
    "mcc": Metric(mcc, CLASSIFICATION, (-1.0, 1.0)),
    "acc_and_f1": Metric(acc_and_f1, CLASSIFICATION, (0.0, 1.0), binary_only=True),
    "pearson": Metric(pearson, REGRESSION, (-1.0, 1.0)),
    "spearman": Metric(spearman, REGRESSION, (-1.0, 1.0)),
    "pearson_and_spearman": Metric(pearson_and_spearman, REGRESSION, (-1.0, 1.0)),
    "r2": Metric(r2, REGRESSION, (-np.inf, 1.0)),
}
METRICS = {name: info.function for name, info in METRIC_INFO.items()}
KINDS = (CLASSIFICATION, REGRESSION)
DEFAULT_METRIC = {CLASSIFICATION: "accuracy", REGRESSION: "pearson_and_spearman"}


def valid_metrics(kind: str, num_labels: int | None = None) -> tuple[str, ...]:
    """The metrics of a task type, in a fixed order (binary-only ones only when `num_labels` is 2
    or still unknown)."""
    return tuple(
        name for name, info in METRIC_INFO.items()
        if info.kind == kind and not (info.binary_only and num_labels is not None and num_labels != 2)
    )


def base_name(name: str) -> str:
    """The metric of a recorded score name: a score on a second dev set carries the set's name
    as a suffix (MNLI's `accuracy_mismatched` is accuracy)."""
    head = name.rpartition("_")[0]
    return head if name not in METRIC_INFO and head in METRIC_INFO else name


def bounds(name: str) -> tuple[float, float]:
    """The range of a metric (unbounded for a name it does not know)."""
    info = METRIC_INFO.get(base_name(name))
    return info.bounds if info else (-np.inf, np.inf)


def compute(names, labels, predictions) -> dict[str, float]:
    """Every metric in `names` on the same predictions."""
    return {name: METRICS[name](labels, predictions) for name in names}


def majority_predictions(labels):
    """Predict the most frequent label for every example (ties go to the smaller label)."""
    y = np.asarray(labels)
    values, counts = np.unique(y, return_counts=True)
    return np.full_like(y, values[np.argmax(counts)])


def mean_predictions(train_labels, size: int) -> np.ndarray:
    """The trivial regression predictor: the mean of the train labels for every example."""
    return np.full(size, float(np.mean(np.asarray(train_labels, dtype=np.float64))))
