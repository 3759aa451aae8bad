"""Every analysis and figure on a study that mixes task types: a three-class task scored by
macro F1, a regression scored by R^2 (negative scores, no lower bound) and one by Pearson
correlation (baseline 0, the train mean's), beside a GLUE classification."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from support.synthetic_trials import make_curves, make_trials

from seedstudy.analysis import divergence, seed_effects, seed_transfer
from seedstudy.analysis.best_found import best_found_table
from seedstudy.analysis.expected_max import expected_max_table, metric_bounds, trials_needed_table
from seedstudy.analysis.variance_components import anova_table, variance_components_table
from seedstudy.figures import best_found as best_found_plots
from seedstudy.figures import divergence as divergence_plots
from seedstudy.figures import expected_max as expected_max_plots
from seedstudy.figures import seed_effects as seed_effects_plots
from seedstudy.figures import seed_transfer as seed_transfer_plots
from seedstudy.figures import variance_components as variance_plots

# task -> (metric, baseline, shift of the synthetic scores around 0.7)
OWN = {
    "reviews": ("macro_f1", 0.17, -0.2),
    "similarity": ("r2", -0.02, -0.75),
    "pairs": ("pearson", 0.0, -0.1),
}


@pytest.fixture(scope="module")
def mixed():
    frames = [make_trials(tasks=("rte",), n_init=4, n_order=4, failed_fraction=0.2, seed=1)]
    for k, (task, (metric, baseline, shift)) in enumerate(OWN.items()):
        frame = make_trials(tasks=("rte",), n_init=4, n_order=4, failed_fraction=0.2, seed=2 + k)
        failed = frame["failed"]
        for column in ("best", "best_epoch_end", "best_epoch_grid", "grid_end", "final"):
            # failed runs sit at the baseline, the others around 0.7 + shift
            frame[column] = np.where(
                failed, baseline + (frame[column] - 0.53), frame[column] + shift
            )
        frame["task"], frame["metric"], frame["majority"] = task, metric, baseline
        frame["path"] = frame["path"].str.replace("rte", task)
        frames.append(frame)
    import pandas as pd

    trials = pd.concat(frames, ignore_index=True)
    return trials, make_curves(trials)


def test_the_synthetic_study_mixes_types_and_signs(mixed):
    trials, _ = mixed
    assert set(trials["metric"]) == {"accuracy", "macro_f1", "r2", "pearson"}
    assert (trials.loc[trials["task"] == "similarity", "best"] < 0).all()


def test_failures_are_judged_against_each_tasks_baseline(mixed):
    trials, curves = mixed
    table = divergence.failure_table(trials).set_index("task")
    for task, group in trials.groupby("task"):
        assert table.loc[task, "failed"] == group["failed"].sum()
        assert table.loc[task, "majority"] == group["majority"].iloc[0]
    prediction = divergence.failure_prediction(trials, curves, 0.0)
    assert set(prediction["task"]) == set(trials["task"])


def test_expected_max_handles_unbounded_and_negative_scores(mixed):
    trials, _ = mixed
    assert metric_bounds("r2") == (-np.inf, 1.0) and metric_bounds("pearson") == (-1.0, 1.0)
    assert metric_bounds("accuracy_mismatched") == (0.0, 1.0)
    table = expected_max_table(trials, level=0.9)
    for task, group in table.groupby("task"):
        curve = group[group["frequency"] == group["frequency"].iloc[0]].sort_values("n")
        assert np.all(np.diff(curve["expected_max"]) >= -1e-12), task  # more trials, no worse
        scores = trials.loc[trials["task"] == task, "best"]
        assert curve["expected_max"].iloc[-1] <= scores.max() + 1e-12
    r2 = table[table["task"] == "similarity"]
    assert r2["expected_lower"].isna().all()  # no lower bound: no band of the expected curve
    assert table[table["task"] == "pairs"]["expected_lower"].notna().all()
    needed = trials_needed_table(trials, 0.9, 0.9)
    assert not needed[needed["task"] != "rte"]["threshold_name"].str.startswith("reported").any()
    assert needed[needed["task"] == "rte"]["threshold_name"].str.startswith("reported").any()


def test_best_found_in_percent_of_each_metric(mixed):
    trials, _ = mixed
    table = best_found_table(trials, "synthetic").set_index("task")
    assert table.loc["similarity", "best_found"] == pytest.approx(
        100 * trials.loc[trials["task"] == "similarity", "best"].max()
    )
    assert table.loc["similarity", "majority_baseline"] == pytest.approx(-2.0)
    assert np.isnan(table.loc["reviews"].filter(like="reported").astype(float)).all()


def test_best_found_leaves_out_stopped_trials(mixed):
    """A trial stopped by live early stopping has a partial score: it is in neither the best,
    the mean nor n."""
    trials, _ = mixed
    rte = trials[trials["task"] == "rte"]
    stopped = rte.iloc[[0]].assign(status="stopped", best=rte["best"].max() + 0.1)
    table = best_found_table(pd.concat([rte, stopped]), "synthetic").iloc[0]
    assert table["best_found"] == pytest.approx(100 * rte["best"].max())
    assert table["mean_best_found"] == pytest.approx(100 * rte["best"].mean())
    assert table["n_trials"] == len(rte)


def test_every_figure_draws_the_mixed_study(mixed):
    trials, curves = mixed
    matrices = {
        task: seed_effects.seed_matrix(group) for task, group in trials.groupby("task", sort=True)
    }
    within_sd = seed_effects.within_seed_sd(trials, "best")
    best_worst = seed_effects.best_worst_anova(trials, "best")
    components = variance_components_table(trials, level=0.9, samples=20, seed=0)
    assert set(components["task"]) == set(trials["task"])
    pairs = seed_transfer.pairs_table(trials, 50, 0)
    concordance = seed_transfer.concordance_table(trials, 50, 0)
    expected = expected_max_table(trials, level=0.9)
    figures = [
        best_found_plots.best_found(best_found_table(trials, "synthetic")),
        divergence_plots.failure_table_page(divergence.failure_table(trials)),
        divergence_plots.learning_curves(divergence.sample_curves(trials, curves, 3, 0), trials),
        divergence_plots.best_densities(trials),
        divergence_plots.failure_prediction(divergence.failure_prediction(trials, curves, 0.0)),
        expected_max_plots.expected_max(expected),
        expected_max_plots.tuning_curves(expected),
        expected_max_plots.trials_needed_page(trials_needed_table(trials, 0.9, 0.9)),
        seed_effects_plots.seed_grid(matrices),
        seed_effects_plots.seed_densities(trials),
        seed_effects_plots.seed_tables(within_sd, best_worst),
        variance_plots.variance_shares(components),
        variance_plots.variance_table_page(components, anova_table(trials)),
        seed_transfer_plots.transfer_matrices(pairs, concordance, trials["task"].unique()),
        seed_transfer_plots.transfer_table_page(pairs, seed_transfer.best_seed_ranks(trials)),
    ]
    for figure in figures:
        assert figure.axes
        plt.close(figure)
