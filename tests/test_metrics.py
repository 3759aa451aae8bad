import numpy as np
import pytest

from seedstudy import metrics


def test_hand_computed_confusion():
    labels = [1, 1, 1, 0, 0, 0, 1, 0]
    predictions = [1, 1, 0, 0, 0, 1, 1, 1]
    # tp=3 fn=1 tn=2 fp=2
    assert metrics.accuracy(labels, predictions) == pytest.approx(5 / 8)
    assert metrics.f1(labels, predictions) == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    assert metrics.mcc(labels, predictions) == pytest.approx((3 * 2 - 2 * 1) / np.sqrt(5 * 4 * 4 * 3))
    assert metrics.acc_and_f1(labels, predictions) == pytest.approx((5 / 8 + 6 / 9) / 2)


def test_mcc_equals_pearson_correlation_of_binary_vectors():
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.integers(0, 2, 50)
        predictions = rng.integers(0, 2, 50)
        assert metrics.mcc(labels, predictions) == pytest.approx(np.corrcoef(labels, predictions)[0, 1])


def test_degenerate_cases():
    assert metrics.mcc([0, 1, 1], [1, 1, 1]) == 0.0  # constant prediction
    assert metrics.f1([0, 0], [0, 0]) == 0.0  # no true positive
    assert metrics.accuracy([1, 0], [1, 0]) == 1.0
    with pytest.raises(ValueError):
        metrics.accuracy([], [])
    with pytest.raises(ValueError):
        metrics.f1([1, 0], [1])


def test_majority_prediction_scores():
    labels = [1, 1, 1, 0]
    predictions = metrics.majority_predictions(labels)
    assert list(predictions) == [1, 1, 1, 1]
    assert metrics.compute(("accuracy", "f1", "mcc"), labels, predictions) == {
        "accuracy": 0.75, "f1": pytest.approx(6 / 7), "mcc": 0.0,
    }
