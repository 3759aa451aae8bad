"""Divergence and failed runs (Table 2, Fig. 4, early recognition), and the figures of the
variance, expected-max, seed-transfer and divergence analyses on synthetic studies."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from pypdf import PdfReader
from support.synthetic_trials import make_curves, make_trials, study

from seedstudy import figures
from seedstudy.analysis import divergence, expected_max, seed_transfer, variance_components
from seedstudy.figures import divergence as divergence_figures
from seedstudy.figures import expected_max as tuning_curves
from seedstudy.figures import seed_transfer as transfer_figures
from seedstudy.figures import variance_components as variance

KEY = ["init_seed", "order_seed", "dropout_seed"]


def hand_study():
    """Four trials of one task (majority 0.5, tolerance 0.02) with three evaluations each:
    A: 0.50, 0.51, 0.52 -> failed at the end (0.52 <= 0.52);
    B: 0.50, 0.60, 0.70 -> fine;
    C: 0.55, 0.50, (diverged before the third) -> failed;
    D: 0.50, 0.51, 0.60 -> fine (recovers)."""
    trials = pd.DataFrame(
        {
            "task": "rte",
            "init_seed": [1, 1, 2, 2],
            "order_seed": [1, 2, 1, 2],
            "dropout_seed": [1, 2, 1, 2],
            "status": ["completed", "completed", "diverged", "completed"],
            "metric": "accuracy",
            "best": [0.52, 0.70, 0.55, 0.60],
            "final": [0.52, 0.70, 0.50, 0.60],
            "majority": 0.5,
            "diverged": [False, False, True, False],
            "failed": [True, False, True, False],
        }
    )
    scores = {
        (1, 1): [0.50, 0.51, 0.52],
        (1, 2): [0.50, 0.60, 0.70],
        (2, 1): [0.55, 0.50],
        (2, 2): [0.50, 0.51, 0.60],
    }
    rows = []
    for (init, order), values in scores.items():
        for index, score in enumerate(values):
            rows.append(
                {
                    "task": "rte",
                    "init_seed": init,
                    "order_seed": order,
                    "dropout_seed": order,
                    "eval_index": index,
                    "step": 10 * index,
                    "epoch": 0.5 * index,
                    "score": score,
                }
            )
    return trials, pd.DataFrame(rows)


def test_failure_prediction_by_hand():
    trials, curves = hand_study()
    table = divergence.failure_prediction(trials, curves, tolerance=0.02).set_index("eval_index")
    # step 0: A, B, D at 0.50 <= 0.52 are flagged (A fails): precision 1/3, recall 1/2
    assert table.loc[0, "n_predicted"] == 3 and table.loc[0, "true_positive"] == 1
    assert table.loc[0, "precision"] == pytest.approx(1 / 3) and table.loc[
        0, "recall"
    ] == pytest.approx(0.5)
    # eval 1: A 0.51, C 0.50, D 0.51 flagged: TP A, C -> precision 2/3, recall 1
    assert table.loc[1, "precision"] == pytest.approx(2 / 3) and table.loc[1, "recall"] == 1.0
    # eval 2: A 0.52 flagged, C diverged before (flagged), B and D above: precision 1, recall 1
    assert table.loc[2, "precision"] == 1.0 and table.loc[2, "recall"] == 1.0
    assert list(table["n_failed"]) == [2, 2, 2] and list(table["epoch"]) == [0.0, 0.5, 1.0]
    # tolerance 0: A (0.52) is no longer flagged at the end, only C (diverged before it) is
    strict = divergence.failure_prediction(trials, curves, tolerance=0.0).set_index("eval_index")
    assert strict.loc[2, "n_predicted"] == 1


def test_failure_table_counts_and_stopped_trials():
    trials, _ = hand_study()
    extra = trials.iloc[[1]].assign(init_seed=3, status="stopped")
    table = divergence.failure_table(pd.concat([trials, extra], ignore_index=True)).iloc[0]
    assert table["n_trials"] == 4 and table["n_stopped"] == 1
    assert table["diverged"] == 1 and table["failed"] == 2 and table["failed_not_diverged"] == 1
    assert table["failed_fraction"] == 0.5 and table["diverged_fraction"] == 0.25
    assert table["mean_best_failed"] == pytest.approx((0.52 + 0.55) / 2)
    assert table["mean_best_not_failed"] == pytest.approx(0.65)


def test_sample_curves_is_a_fixed_seed_sample():
    trials = make_trials(("rte", "sst2"), 5, 5, failed_fraction=0.2, seed=1)
    curves = make_curves(trials)
    sample = divergence.sample_curves(trials, curves, samples=7, seed=3)
    again = divergence.sample_curves(trials, curves, samples=7, seed=3)
    pd.testing.assert_frame_equal(sample, again)
    assert sample.groupby("task").apply(lambda g: g[KEY].drop_duplicates().shape[0]).eq(7).all()
    assert {"failed", "majority"} <= set(sample.columns)
    other = divergence.sample_curves(trials, curves, samples=7, seed=4)
    assert not sample[KEY].drop_duplicates().equals(other[KEY].drop_duplicates())
    # fewer trials than samples: all of them
    assert (
        divergence.sample_curves(trials, curves, samples=100)[KEY + ["task"]]
        .drop_duplicates()
        .shape[0]
        == 50
    )


def test_failed_runs_recognised_early_in_a_synthetic_study():
    trials = make_trials(("rte",), 6, 6, failed_fraction=0.3, seed=2)
    table = divergence.failure_prediction(trials, make_curves(trials))
    # synthetic failed runs sit at the majority from the second evaluation on: full recall there
    assert (table.loc[table["eval_index"] >= 1, "recall"] == 1.0).all()
    assert table["n_trials"].eq(36).all()


def page_count(path) -> int:
    return len(PdfReader(str(path)).pages)


@pytest.mark.parametrize(
    "trials",
    [
        make_trials(("sst2",), 2, 2, seed=5),  # the tiny study: one task, 2 x 2
        pd.concat(
            [
                make_trials(("rte", "mrpc"), 5, 5, failed_fraction=0.2, seed=6),
                make_trials(("sst2",), 4, 4, seed=7),
            ],
            ignore_index=True,
        ),
        make_trials(("rte",), 3, 3, replicates=2, failed_fraction=0.3, seed=8),
    ],
    ids=["tiny", "three-tasks", "replicates"],
)
def test_every_figure_renders(tmp_path, trials):
    caption = figures.study_caption(study(trials))
    curves = make_curves(trials)
    table = variance_components.variance_components_table(trials, samples=30)
    anova = variance_components.anova_table(trials)
    curves_table = expected_max.expected_max_table(trials)
    needed = expected_max.trials_needed_table(trials)
    pairs = seed_transfer.pairs_table(trials, permutations=50)
    concordance = seed_transfer.concordance_table(trials, permutations=50)
    best = seed_transfer.best_seed_ranks(trials)
    made = {
        "variance": variance.variance_shares(table),
        "variance_table": variance.variance_table_page(table, anova),
        "tuning": tuning_curves.tuning_curves(curves_table),
        "needed": tuning_curves.trials_needed_page(needed),
        "transfer": transfer_figures.transfer_matrices(pairs, concordance, trials["task"].unique()),
        "transfer_table": transfer_figures.transfer_table_page(pairs, best),
        "failures": divergence_figures.failure_table_page(divergence.failure_table(trials)),
        "curves": divergence_figures.learning_curves(
            divergence.sample_curves(trials, curves, 5), trials
        ),
        "densities": divergence_figures.best_densities(trials),
        "prediction": divergence_figures.failure_prediction(
            divergence.failure_prediction(trials, curves)
        ),
    }
    for name, fig in made.items():
        path = tmp_path / f"{name}.pdf"
        figures.save(fig, path, name, caption)
        assert page_count(path) == 1, name


def test_save_logs_the_seconds_of_each_page(tmp_path, caplog):
    """figures.save logs each page's layout and drawing time, in the line the analysis-scale
    benchmark reads from an analysis's log."""
    fig = divergence_figures.best_densities(make_trials(("rte",), 3, 3, seed=9))
    with caplog.at_level("INFO", logger="seedstudy.figures"):
        figures.save(fig, tmp_path / "page.pdf", "title", "caption")
    lines = [r.getMessage() for r in caplog.records if r.name == "seedstudy.figures"]
    assert len(lines) == 1
    match = re.fullmatch(r"figure (\S+) laid out and drawn in ([0-9.]+) s", lines[0])
    assert match and match.group(1) == str(tmp_path / "page.pdf") and float(match.group(2)) > 0
