import numpy as np
import pytest

from seedstudy import metrics


def test_hand_computed_confusion():
    labels = [1, 1, 1, 0, 0, 0, 1, 0]
    predictions = [1, 1, 0, 0, 0, 1, 1, 1]
    # tp=3 fn=1 tn=2 fp=2
    assert metrics.accuracy(labels, predictions) == pytest.approx(5 / 8)
    assert metrics.f1(labels, predictions) == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    assert metrics.mcc(labels, predictions) == pytest.approx(
        (3 * 2 - 2 * 1) / np.sqrt(5 * 4 * 4 * 3)
    )
    assert metrics.acc_and_f1(labels, predictions) == pytest.approx((5 / 8 + 6 / 9) / 2)


def test_mcc_equals_pearson_correlation_of_binary_vectors():
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.integers(0, 2, 50)
        predictions = rng.integers(0, 2, 50)
        assert metrics.mcc(labels, predictions) == pytest.approx(
            np.corrcoef(labels, predictions)[0, 1]
        )


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
        "accuracy": 0.75,
        "f1": pytest.approx(6 / 7),
        "mcc": 0.0,
    }


def test_classification_metrics_are_scikit_learns_bit_for_bit():
    # the confusion-matrix formulas follow scikit-learn's order of operations:
    # equal, not approximately
    from sklearn import metrics as skm

    rng = np.random.default_rng(7)
    for case in range(400):
        n = int(rng.choice([1, 2, 3, 7, 50, 277, 1043, 5000]))
        classes = int(rng.integers(2, 6))
        labels = rng.integers(0, classes, n)
        skew = rng.random()  # often a near-constant prediction, sometimes constant
        predictions = np.where(rng.random(n) < skew, labels, rng.integers(0, classes, n))
        if case % 5 == 0:
            predictions[:] = predictions[0]
        assert metrics.accuracy(labels, predictions) == skm.accuracy_score(labels, predictions)
        assert metrics.macro_f1(labels, predictions) == skm.f1_score(
            labels, predictions, average="macro", zero_division=0
        )
        if np.unique(np.concatenate([labels, predictions])).size > 1:
            assert metrics.mcc(labels, predictions) == skm.matthews_corrcoef(labels, predictions)
        else:
            assert metrics.mcc(labels, predictions) == 0.0
        binary_labels, binary_predictions = labels % 2, predictions % 2
        assert metrics.f1(binary_labels, binary_predictions) == skm.f1_score(
            binary_labels,
            binary_predictions,
            labels=[0, 1],
            pos_label=1,
            average="binary",
            zero_division=0,
        )


def test_confusion_matrix_over_the_classes_that_occur():
    confusion = metrics.confusion_matrix([2, 2, 5, 7], [2, 5, 5, 2])  # classes 2, 5, 7
    assert confusion.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert metrics.confusion_matrix([0, 1, 2], [0, 1, 1], classes=[0, 1]).tolist() == [
        [1, 0],
        [0, 1],
    ]
    # a batch of matrices gives the batch of scores
    batch = np.stack([confusion, np.eye(3) * 2])
    assert metrics.from_confusion(batch, "accuracy").tolist() == [0.5, 1.0]
    with pytest.raises(ValueError, match="two classes"):
        metrics.from_confusion(confusion, "f1")


def test_a_trial_imports_neither_scikit_learn_nor_scipy():
    # 0.8 s of start-up per trial: only a regression metric (or an analysis) imports them
    import subprocess
    import sys

    code = (
        "import sys; import seedstudy.training.trainer, seedstudy.data.prepare; "
        "from seedstudy import metrics; "
        "metrics.compute(('accuracy', 'f1', 'mcc'), [0, 1, 1], [0, 1, 0]); "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
