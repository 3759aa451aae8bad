"""The metrics of GLUE and of a study's own tasks.

Classification (integer label ids): accuracy, F1 of class 1 (binary tasks only, as GLUE reports it
for MRPC and QQP), macro-averaged F1, the Matthews correlation coefficient (multi-class as well),
and the mean of accuracy and F1. Regression (real-valued labels and predictions): Pearson and
Spearman correlation (scipy), their mean (GLUE's STS-B headline) and the coefficient of
determination (scikit-learn).

The classification metrics are read off the confusion matrix (`from_confusion`) with
scikit-learn's formulas in scikit-learn's order of operations: every count is an integer held
exactly in float64, so the only roundings are the final division and square root, and the scores
are bit for bit scikit-learn's (tested against it on random cases). Computing them here rather
than through `sklearn.metrics` keeps scikit-learn (0.8 s to import) out of a trial's start-up,
and lets the per-example analyses score a whole batch of weighted confusion matrices at once
with the same function (`predictions.weighted_scores`). scipy and scikit-learn are imported by
the regression metrics only when one is computed.

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

CLASSIFICATION = "classification"
REGRESSION = "regression"
CONFUSION_METRICS = ("accuracy", "f1", "mcc", "acc_and_f1", "macro_f1")


def _pair(labels, predictions) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(labels), np.asarray(predictions)
    if y.shape != p.shape:
        raise ValueError(f"labels and predictions differ in shape: {y.shape} vs {p.shape}")
    if y.size == 0:
        raise ValueError("a metric of an empty set")
    return y, p


def confusion_matrix(labels, predictions, classes=None) -> np.ndarray:
    """Counts [true class, predicted class] (float64) over `classes` (default: every class that
    occurs in labels or predictions, sorted, as scikit-learn's label encoding)."""
    y, p = _pair(labels, predictions)
    classes = np.union1d(y, p) if classes is None else np.asarray(classes)
    k = classes.size
    yi, pi = np.searchsorted(classes, y.ravel()), np.searchsorted(classes, p.ravel())
    inside = (yi < k) & (pi < k)
    inside[inside] = (classes[yi[inside]] == y.ravel()[inside]) & (
        classes[pi[inside]] == p.ravel()[inside]
    )
    return (
        np.bincount(yi[inside] * k + pi[inside], minlength=k * k).reshape(k, k).astype(np.float64)
    )


def from_confusion(confusion, metric: str) -> np.ndarray:
    """A classification metric of confusion matrices [..., true, predicted]
    (weighted counts allowed).

    accuracy = trace / total; F1 = 2 tp / (actual + predicted positives), 0 when that is 0; macro
    F1 = the mean per-class F1 over the classes that occur (actual + predicted > 0); MCC =
    cov(true, predicted) / sqrt(cov(predicted, predicted) cov(true, true)) from the margins, 0 when
    a margin is empty (Gorodkin 2004, as scikit-learn computes it)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum((-1, -2))
    correct = np.trace(confusion, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = correct / total
        if metric == "accuracy":
            return accuracy
        if metric in ("f1", "acc_and_f1"):
            if confusion.shape[-1] != 2:
                raise ValueError(f"metric {metric!r} is defined for two classes (positive class 1)")
            tp = confusion[..., 1, 1]
            denominator = (tp + confusion[..., 1, 0]) + (
                tp + confusion[..., 0, 1]
            )  # actual + predicted
            f1 = np.where(
                denominator > 0, 2.0 * tp / np.where(denominator > 0, denominator, 1), 0.0
            )
            return f1 if metric == "f1" else (accuracy + f1) / 2
        actual = confusion.sum(-1)
        predicted = confusion.sum(-2)
        if metric == "macro_f1":
            tp = np.diagonal(confusion, axis1=-2, axis2=-1)
            denominator = actual + predicted
            occurs = denominator > 0
            per_class = np.where(occurs, 2.0 * tp / np.where(occurs, denominator, 1), 0.0)
            return per_class.sum(-1) / occurs.sum(-1)
        if metric == "mcc":
            covariance = correct * total - (actual * predicted).sum(-1)
            product = (total**2 - (predicted * predicted).sum(-1)) * (
                total**2 - (actual * actual).sum(-1)
            )
            return np.where(
                product != 0, covariance / np.sqrt(np.where(product != 0, product, 1)), 0.0
            )
    raise ValueError(f"no confusion-matrix metric {metric!r}")


def _classification(metric: str, labels, predictions, classes=None) -> float:
    return float(from_confusion(confusion_matrix(labels, predictions, classes), metric))


def accuracy(labels, predictions) -> float:
    return _classification("accuracy", labels, predictions)


def f1(labels, predictions) -> float:
    """F1 of the positive class (label 1) of a binary task; 0 when there is no true positive."""
    return _classification("f1", labels, predictions, classes=[0, 1])


def macro_f1(labels, predictions) -> float:
    """Unweighted mean of the per-class F1 over the classes in labels or predictions."""
    return _classification("macro_f1", labels, predictions)


def mcc(labels, predictions) -> float:
    """Matthews correlation coefficient (its multi-class form for more than two classes)."""
    return _classification("mcc", labels, predictions)


def acc_and_f1(labels, predictions) -> float:
    return (accuracy(labels, predictions) + f1(labels, predictions)) / 2


def _correlation(name: str, labels, predictions) -> float:
    from scipy import stats

    y, p = _pair(labels, predictions)
    y, p = y.astype(np.float64), p.astype(np.float64)
    if y.size < 2 or np.all(y == y[0]) or np.all(p == p[0]):
        return 0.0  # a constant has no correlation with anything (scipy: NaN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        value = float(getattr(stats, name)(y, p)[0])
    return 0.0 if np.isnan(value) else value


def pearson(labels, predictions) -> float:
    return _correlation("pearsonr", labels, predictions)


def spearman(labels, predictions) -> float:
    return _correlation("spearmanr", labels, predictions)


def pearson_and_spearman(labels, predictions) -> float:
    """GLUE's STS-B headline: the mean of Pearson and Spearman correlation."""
    return (pearson(labels, predictions) + spearman(labels, predictions)) / 2


def r2(labels, predictions) -> float:
    """Coefficient of determination (1 - residual / total sum of squares); 0 for the dev mean."""
    from sklearn.metrics import r2_score

    y, p = _pair(labels, predictions)
    return float(r2_score(y.astype(np.float64), p.astype(np.float64)))


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
        name
        for name, info in METRIC_INFO.items()
        if info.kind == kind
        and not (info.binary_only and num_labels is not None and num_labels != 2)
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
