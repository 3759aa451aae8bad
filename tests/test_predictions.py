"""Per-example predictions: the stored file, weighted scores, held-out selection, evaluation
noise and flipping examples — hand-computed cases and independent implementations."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import f1_score, matthews_corrcoef

from seedstudy import metrics
from seedstudy.analysis import resampling
from seedstudy.analysis.per_example import evaluation_noise, flipping, held_out, scores
from seedstudy.store import predictions

# --------------------------------------------------------------------------- the stored file


def test_file_is_deterministic_and_atomic(tmp_path):
    logits = [
        np.array([[0.1, 0.9], [2.0, -1.0], [0.0, 0.5]]),
        np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 3.5]]),
    ]
    labels = predictions.encode(logits, "labels")
    assert labels.dtype == np.int8 and labels.tolist() == [[1, 0, 1], [0, 1, 1]]
    trial = tmp_path / "init1_order2.json"
    path = predictions.path_for(trial)
    assert path.name == "init1_order2.predictions.npy"
    record = predictions.write(path, labels)
    first = path.read_bytes()
    assert predictions.write(path, predictions.encode(logits, "labels")) == record
    assert path.read_bytes() == first  # byte-identical rewrite
    assert not list(tmp_path.glob(".*tmp"))
    assert predictions.read(path).tolist() == labels.tolist()
    probabilities = predictions.encode(logits, "probabilities")
    assert probabilities.shape == (2, 3, 2) and probabilities.dtype == np.float16
    assert np.allclose(probabilities.astype(float).sum(-1), 1, atol=1e-3)
    assert predictions.as_labels(probabilities).tolist() == labels.tolist()
    values = predictions.encode([np.array([0.5, 1.5, 2.5])], "labels", regression=True)
    assert values.dtype == np.float32 and values.shape == (1, 3)
    with pytest.raises(ValueError, match="'none'"):
        predictions.encode(logits, "none")


def test_shape_mismatch_names_the_file(tmp_path):
    with pytest.raises(ValueError, match="x.predictions.npy: predictions have shape"):
        predictions.check_shape(np.zeros((3, 4)), 3, 5, "x.predictions.npy")


# --------------------------------------------------------------------------- weighted scores


def test_weighted_scores_hand_computed():
    labels = np.array([1, 1, 0, 0])
    preds = np.array([1, 0, 0, 1])
    # all weights one: tp=1 fn=1 tn=1 fp=1 -> accuracy 0.5, f1 0.5, mcc 0
    assert scores.weighted_scores(preds, labels, "accuracy") == pytest.approx(0.5)
    assert scores.weighted_scores(preds, labels, "f1") == pytest.approx(0.5)
    assert scores.weighted_scores(preds, labels, "mcc") == pytest.approx(0.0)
    # weights (2, 0, 1, 0): the resample {ex0, ex0, ex2}: all right
    w = np.array([[2, 0, 1, 0], [0, 1, 0, 1]])
    assert scores.weighted_scores(preds, labels, "accuracy", w).tolist() == [1.0, 0.0]
    # the resample {ex1, ex3}: tp=0 -> f1 0 (as metrics.f1)
    assert scores.weighted_scores(preds, labels, "f1", w).tolist() == [1.0, 0.0]


def materialised(counts_row):
    """The dev-example indices of one bootstrap resample given as example counts."""
    return np.repeat(np.arange(counts_row.size), counts_row.astype(int))


@pytest.mark.parametrize("metric", ["accuracy", "f1", "mcc", "acc_and_f1"])
def test_weighted_scores_equal_metrics_on_materialised_resamples(metric):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 60)
    preds = np.where(rng.random((5, 60)) < 0.7, labels, 1 - labels)
    counts = resampling.bootstrap_counts(60, 20, seed=1)
    got = scores.weighted_scores(preds, labels, metric, counts)
    for t in range(5):
        for b in range(20):
            index = materialised(counts[b])
            assert got[t, b] == pytest.approx(
                metrics.compute([metric], labels[index], preds[t, index])[metric]
            )


def test_multiclass_scores_equal_scikit_learn():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 80)
    preds = np.where(rng.random((4, 80)) < 0.6, labels, rng.integers(0, 3, (4, 80)))
    for t in range(4):
        assert scores.weighted_scores(preds[t], labels, "mcc", n_classes=3) == pytest.approx(
            matthews_corrcoef(labels, preds[t])
        )
        assert scores.weighted_scores(preds[t], labels, "macro_f1", n_classes=3) == pytest.approx(
            f1_score(labels, preds[t], average="macro")
        )


def test_regression_scores_equal_scipy():
    rng = np.random.default_rng(5)
    labels = rng.normal(size=40)
    values = labels + rng.normal(scale=0.7, size=(3, 40))
    counts = resampling.bootstrap_counts(40, 5, seed=2)
    pearson = scores.weighted_scores(values, labels, "pearson", counts)
    spearman = scores.weighted_scores(values, labels, "spearman", counts)
    for t in range(3):
        for b in range(5):
            index = materialised(counts[b])
            assert pearson[t, b] == pytest.approx(
                stats.pearsonr(values[t, index], labels[index]).statistic
            )
            assert spearman[t, b] == pytest.approx(
                stats.spearmanr(values[t, index], labels[index]).statistic
            )


def test_r2_and_constants_as_the_metrics_module():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(6)
    labels = rng.normal(size=30)
    values = labels + rng.normal(scale=0.5, size=(2, 30))
    counts = resampling.bootstrap_counts(30, 4, seed=3)
    got = scores.weighted_scores(values, labels, "r2", counts)
    for t in range(2):
        for b in range(4):
            index = materialised(counts[b])
            assert got[t, b] == pytest.approx(r2_score(labels[index], values[t, index]))
    constant = np.full((1, 30), 0.3)
    for metric in ("pearson", "spearman", "pearson_and_spearman"):
        assert (
            scores.weighted_scores(constant, labels, metric)[0]
            == metrics.compute([metric], labels, constant[0])[metric]
            == 0.0
        )


def test_stratified_bootstrap_keeps_the_label_mix():
    labels = np.array([0] * 30 + [1] * 10)
    counts = resampling.bootstrap_counts(40, 50, seed=0, strata=labels)
    assert (counts[:, :30].sum(1) == 30).all() and (counts[:, 30:].sum(1) == 10).all()
    assert not np.array_equal(counts[0], counts[1])
    assert np.array_equal(counts, resampling.bootstrap_counts(40, 50, seed=0, strata=labels))


# ---------------------------------------------------------------------------- held-out selection


def test_selection_split_is_stratified_and_deterministic():
    labels = np.array([0] * 10 + [1] * 6 + [2] * 4)
    mask = held_out.selection_mask(labels, 0.5, seed=7)
    assert [int(mask[labels == k].sum()) for k in range(3)] == [5, 3, 2]
    assert np.array_equal(mask, held_out.selection_mask(labels, 0.5, seed=7))
    assert not np.array_equal(mask, held_out.selection_mask(labels, 0.5, seed=8))
    regression = held_out.selection_mask(np.linspace(0, 5, 40), 0.5, seed=1, regression=True)
    assert regression.sum() == 20
    with pytest.raises(ValueError, match="selection_split"):
        held_out.selection_mask(labels, 1.0, seed=0)


def test_held_out_best_hand_computed():
    # one trial, two evaluations, four examples; selection = examples 0, 1; report = 2, 3
    labels = np.array([1, 0, 1, 0])
    preds = np.array(
        [
            [
                [1, 0, 0, 1],  # eval 0: selection 2/2, report 0/2, full 2/4
                [0, 0, 1, 0],
            ]
        ]
    )  # eval 1: selection 1/2, report 2/2, full 3/4
    mask = np.array([True, True, False, False])
    scores = held_out.evaluation_scores(preds, labels, mask, "accuracy")
    best = held_out.trial_best(scores)
    assert best.loc[0, "paper"] == 0.75  # eval 1 on the full dev set
    assert best.loc[0, "selection"] == 1.0  # eval 0 chosen on selection
    assert best.loc[0, "held_out"] == 0.0  # ... scores 0 on the report half
    assert best.loc[0, "same_data"] == 1.0  # eval 1 chosen and scored on the report half


def test_expected_held_out_max_hand_computed():
    # three trials: selection scores 0.1, 0.3, 0.2 ; report scores 0.9, 0.5, 0.7
    selection, report = np.array([0.1, 0.3, 0.2]), np.array([0.9, 0.5, 0.7])
    assert held_out.expected_held_out_max(selection, report, 1) == pytest.approx(
        (0.9 + 0.5 + 0.7) / 3
    )
    # n = 2: P(max is the i-th smallest selection) = (i^2 - (i-1)^2)/9 = 1/9, 3/9, 5/9
    # over report 0.9, 0.7, 0.5
    assert held_out.expected_held_out_max(selection, report, 2) == pytest.approx(
        (0.9 + 3 * 0.7 + 5 * 0.5) / 9
    )
    # a tie in selection: the tied trials' report scores are averaged
    assert held_out.expected_held_out_max(
        np.array([0.2, 0.2]), np.array([1.0, 0.0]), 3
    ) == pytest.approx(0.5)


def test_choosing_on_noise_is_optimistic_and_held_out_is_not():
    """Trials all equally good (every prediction right with probability 0.7): the paper's best of
    many evaluations is above 0.7, the held-out one is not (on average)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    preds = np.where(rng.random((30, 10, 400)) < 0.7, labels, 1 - labels)
    mask = held_out.selection_mask(labels, 0.5, seed=0)
    best = held_out.trial_best(held_out.evaluation_scores(preds, labels, mask, "accuracy"))
    curves = held_out.expected_max_curves(best)
    assert curves["same_data"].iloc[-1] > 0.73
    assert abs(curves["held_out"].iloc[-1] - 0.7) < 0.02
    assert (curves["optimism"].iloc[1:] > 0).all()
    row = held_out.table_1_row(best)
    assert row["optimism"] > 0 and row["best_paper"] >= row["best_held_out"]


# ----------------------------------------------------------------------------- evaluation noise


def test_example_bootstrap_sd_matches_scipy():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 300)
    preds = np.where(rng.random(300) < 0.8, labels, 1 - labels)
    ours = evaluation_noise.example_bootstrap_sd(
        preds, labels, "accuracy", samples=4000, seed=3, stratified=False
    )[0]
    theirs = stats.bootstrap(
        (labels == preds,),
        np.mean,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(9),
    ).standard_error
    assert ours == pytest.approx(theirs, rel=0.06)
    assert ours == pytest.approx(np.sqrt(0.8 * 0.2 / 300), rel=0.1)


def test_two_way_mean_bootstrap_hand_computed():
    """With one init seed drawn twice and one order seed drawn twice, the weights are products."""

    class Fixed:
        def __init__(self):
            self.calls = iter(
                [np.array([[2, 0]]), np.array([[0, 2]])]
            )  # counts per seed, per resample

        def multinomial(self, n, pvals, size):
            return next(self.calls)

    values = np.array([1.0, 2.0, 3.0, 4.0])  # cells (1,1) (1,2) (2,1) (2,2)
    out = evaluation_noise._two_way_mean_bootstrap(
        values, np.array([1, 1, 2, 2]), np.array([1, 2, 1, 2]), 1, Fixed()
    )
    assert out[0] == pytest.approx(2.0)  # init 1 only, order 2 only


def _simulated_task(accuracy_by_trial, n_dev, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_dev)
    rows = [np.where(rng.random(n_dev) < p, labels, 1 - labels) for p in accuracy_by_trial]
    return labels, np.array(rows)


def _noise_trials(labels, preds, cells, samples=300):
    boot = evaluation_noise.example_bootstrap(preds, labels, "accuracy", samples=samples, seed=0)
    sd, cov = evaluation_noise.bootstrap_moments(boot)
    return pd.DataFrame(
        {
            "task": "sim",
            "init_seed": [i + 1 for i, _ in cells],
            "order_seed": [o + 1 for _, o in cells],
            "final": (preds == labels).mean(1),
            "final_eval_sd": sd,
            "final_eval_cov": cov,
            "dev_size": len(labels),
        }
    )


def test_bootstrap_moments_by_hand():
    """Two trials, three resamples: sds and covariances with the mean score, by hand."""
    boot = np.array([[0.5, 0.7, 0.6], [0.4, 0.4, 0.7]])
    sd, cov = evaluation_noise.bootstrap_moments(boot)
    mean = boot.mean(axis=0)  # 0.45, 0.55, 0.65
    np.testing.assert_allclose(sd, [0.1, np.sqrt(0.03)])
    np.testing.assert_allclose(cov, [np.cov(boot[0], mean)[0, 1], np.cov(boot[1], mean)[0, 1]])
    assert cov.mean() == pytest.approx(np.var(mean, ddof=1))


def test_simulated_dev_noise_is_recovered_within_its_interval():
    """Synthetic predictions with known accuracies: a trial's dev-set sampling variance is
    p(1-p)/n; the decomposition recovers it, and the seed components of the known accuracies."""
    rng = np.random.default_rng(2)
    n_init = n_order = 6
    init_effect = rng.normal(0, 0.03, n_init)
    order_effect = rng.normal(0, 0.02, n_order)
    cells = [(i, o) for i in range(n_init) for o in range(n_order)]
    p = np.array([0.75 + init_effect[i] + order_effect[o] + rng.normal(0, 0.01) for i, o in cells])
    labels, preds = _simulated_task(p, 500, seed=3)
    table = evaluation_noise.decomposition_table(
        _noise_trials(labels, preds, cells), scores=("final",), samples=300, seed=0
    )
    rows = table.set_index("component")
    one_trial = rows.loc["dev-set sampling, one trial"]
    truth = float(np.mean(p * (1 - p) / 500))
    assert one_trial["lower"] <= truth <= one_trial["upper"]
    assert one_trial["variance"] == pytest.approx(truth, rel=0.15)
    # independent errors: the seed-averaged score's sampling variance is a trial's / 36
    assert rows.loc["dev-set sampling", "variance"] == pytest.approx(truth / 36, rel=0.3)
    assert rows.loc["trial-specific dev noise", "variance"] == pytest.approx(
        one_trial["variance"] - rows.loc["dev-set sampling", "variance"]
    )
    shares = rows["share"][["init", "order", "residual", "dev-set sampling"]]
    assert shares.sum() == pytest.approx(1.0)
    text = evaluation_noise.sentence(table, "sim")
    assert "seed noise is" in text and "500 dev examples" in text


def test_identical_population_accuracies_have_no_population_seed_variance():
    """100 models of identical population accuracy (each gets example k right with probability
    q_k, the same q for every model): their spread on one dev set is dev-set noise only. The
    population seed component is about 0, and the total is the law-of-total-variance value
    Var(score) = p (1 - p) / n, not twice it."""
    rng = np.random.default_rng(5)
    n_dev, side = 1000, 10
    q = rng.beta(3, 1, n_dev)  # example difficulties, mean 0.75
    labels = rng.integers(0, 2, n_dev)
    correct = rng.random((side * side, n_dev)) < q
    preds = np.where(correct, labels, 1 - labels)
    cells = [(i, o) for i in range(side) for o in range(side)]
    table = evaluation_noise.decomposition_table(
        _noise_trials(labels, preds, cells, samples=400), scores=("final",), samples=200, seed=0
    )
    rows = table.set_index("component")["variance"]
    p_bar = q.mean()
    truth_total = p_bar * (1 - p_bar) / n_dev
    assert rows["seed total"] == pytest.approx(np.mean(q * (1 - q)) / n_dev, rel=0.3)
    assert rows["seed total, population"] < 0.1 * rows["seed total"]
    assert rows["total"] == pytest.approx(truth_total, rel=0.2)
    # the per-trial dev noise added to the seed variance would double count
    assert rows["seed total"] + rows["dev-set sampling, one trial"] > 1.6 * truth_total


# ------------------------------------------------------------------------------ flipping examples


def test_flipping_hand_computed():
    # 4 trials x 5 examples: ex0 always right, ex1 always wrong, ex2 right for 2 of 4,
    # ex3 3 of 4, ex4 1 of 4
    c = np.array([[1, 0, 1, 1, 0], [1, 0, 1, 1, 0], [1, 0, 0, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    table = flipping.example_table(c, texts=list("abcde"))
    assert table["share_right"].tolist() == [1.0, 0.0, 0.5, 0.75, 0.25]
    assert table["kind"].tolist() == [
        "always right",
        "always wrong",
        "unstable",
        "unstable",
        "unstable",
    ]
    assert flipping.most_flipping(table, 1)["text"].tolist() == ["c"]
    # disagreeing pairs per example: right * wrong = 0, 0, 4, 3, 3
    unstable = np.array([False, False, True, False, False])
    assert flipping.disagreement_share(c, unstable) == pytest.approx(4 / 10)
    s = flipping.summary(c)
    assert (s["always_right"], s["always_wrong"], s["unstable"]) == (1, 1, 3)
    assert s["unstable_share_of_disagreements"] == pytest.approx(1.0)
    assert s["unstable_share_of_dev"] == pytest.approx(0.6)


# ------------------------------------------------------------------------------ the whole study


def test_a_study_without_predictions_gets_empty_tables_with_a_reason(tmp_path):
    from seedstudy.analysis.per_example import tables as per_example
    from seedstudy.figures import evaluation_noise as noise_plots
    from seedstudy.figures import flipping as flipping_plots
    from seedstudy.figures import held_out as held_out_plots

    trials = pd.DataFrame(
        {
            "task": "sst2",
            "init_seed": [1, 2],
            "order_seed": [1, 1],
            "dropout_seed": [1, 1],
            "status": "completed",
            "metric": "accuracy",
            "dev_size": 4,
            "best": 0.5,
            "final": 0.5,
            "path": [str(tmp_path / "init1_order1.json"), str(tmp_path / "init2_order1.json")],
        }
    )
    tables = per_example.analyse(
        trials, {"sst2": {"labels": np.array([0, 1, 0, 1]), "texts": list("abcd")}}, 0.5
    )
    assert tables["coverage"]["with_predictions"].tolist() == [0]
    assert "leave this task out" in tables["coverage"]["note"].iloc[0]
    for name in per_example.TABLES:
        if name in per_example.COLUMNS:
            assert list(tables[name].columns) == per_example.COLUMNS[name]
        assert name == "coverage" or tables[name].empty, name
    assert (
        list(per_example.multi_bootstrap_table(trials, {}).columns)
        == per_example.COLUMNS["multi_bootstrap"]
    )
    skipped = {"sst2": "no predictions here"}
    for fig in (
        held_out_plots.table_1_page(tables["held_out"]),
        held_out_plots.curves_page(tables["held_out_curves"], ["sst2"], skipped),
        noise_plots.decomposition_page(tables["evaluation_noise"], ["sst2"], skipped),
        flipping_plots.histogram_page(
            tables["flipping_examples"], tables["flipping_summary"], ["sst2"], skipped
        ),
        flipping_plots.most_flipping_page(tables["flipping_examples"]),
    ):
        assert fig is not None


def test_a_study_with_predictions_end_to_end(tmp_path):
    """Two seeds x two seeds of synthetic trials with prediction files: every table filled."""
    from seedstudy.analysis.per_example import tables as per_example

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 40)
    rows = []
    for i in (1, 2):
        for o in (1, 2):
            path = tmp_path / f"init{i}_order{o}.json"
            preds = np.where(rng.random((3, 40)) < 0.7, labels, 1 - labels).astype(np.int8)
            predictions.write(predictions.path_for(path), preds)
            rows.append(
                {
                    "task": "sst2",
                    "init_seed": i,
                    "order_seed": o,
                    "dropout_seed": o,
                    "status": "completed",
                    "metric": "accuracy",
                    "dev_size": 40,
                    "n_evals": 3,
                    "path": str(path),
                    "best": (preds == labels).mean(1).max(),
                    "final": (preds == labels).mean(1)[-1],
                }
            )
    trials = pd.DataFrame(rows)
    tables = per_example.analyse(
        trials, {"sst2": {"labels": labels, "texts": [str(k) for k in range(40)]}}, 0.5, samples=50
    )
    assert tables["coverage"]["with_predictions"].tolist() == [4]
    assert np.allclose(tables["trial_noise"]["best"], trials["best"]) and np.allclose(
        tables["trial_noise"]["final"], trials["final"]
    )
    assert tables["held_out"]["best_paper"].iloc[0] == pytest.approx(trials["best"].max())
    assert len(tables["held_out_curves"]) == 4 and len(tables["flipping_examples"]) == 40
    assert set(tables["evaluation_noise"]["score"]) == {"final", "best"}
    # predictions that do not belong to their trial (another dev size) are refused, naming the file
    trials.loc[0, "dev_size"] = 41
    with pytest.raises(
        ValueError, match=r"init1_order1.predictions.npy: predictions have shape \(3, 40\)"
    ):
        per_example.analyse(
            trials,
            {"sst2": {"labels": labels, "texts": [str(k) for k in range(40)]}},
            0.5,
            samples=50,
        )
