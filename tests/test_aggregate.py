"""aggregate.trials_table, where a trial's best, final, failed and diverged are defined."""

import math

import pytest

from seedstudy.analysis.aggregate import curves_table, finished_trials, trials_table


def trial(scores, status="completed", init=1, order=1, majority=0.5, losses=None, total_steps=None):
    steps = [0, 5, 10, 15][: len(scores)]
    return {
        "task": "rte",
        "init_seed": init,
        "order_seed": order,
        "dropout_seed": order,
        "dropout_owner": "order",
        "status": status,
        "metric": "accuracy",
        "majority": {"accuracy": majority},
        "evaluations": [{"step": s, "epoch": s / 10, "accuracy": a} for s, a in zip(steps, scores)],
        "epoch_end_steps": [10],
        "train_loss": losses if losses is not None else [0.7] * steps[-1],
        "total_steps": total_steps or 15,
        "data": {"train_size": 80, "dev_size": 40, "fingerprint": "f"},
        "config_hash": "h",
        "_path": f"init{init}_order{order}.json",
    }


def test_best_final_and_epoch_end_scores():
    row = trials_table([trial([0.5, 0.8, 0.6, 0.7])]).iloc[0]
    assert row["best"] == 0.8 and row["best_step"] == 5
    assert row["final"] == 0.7 and row["best_epoch_end"] == 0.6
    assert row["n_evals"] == 4 and row["steps_run"] == 15
    assert not row["failed"] and not row["diverged"] and row["complete"]
    assert math.isnan(row["wall_s"])  # no run record


def test_grid_points_of_the_authors_cadence():
    # evaluation: paper records its grid (without the dense and epoch-end evaluations): "end of
    # training" is the last grid point, "once per epoch" the notebook's points of the grid
    record = trial([0.5, 0.9, 0.6, 0.7])
    record["grid_steps"] = [0, 10]
    row = trials_table([record]).iloc[0]
    assert row["grid_end"] == 0.6 and row["best_epoch_grid"] == 0.6
    assert row["best"] == 0.9 and row["final"] == 0.7
    plain = trials_table([trial([0.5, 0.9, 0.6, 0.7])]).iloc[0]
    assert plain["grid_end"] == 0.7 and plain["best_epoch_grid"] == 0.7  # d[0], d[-1]


def test_early_stopping_reads_the_grid_of_the_authors_cadence():
    from seedstudy.analysis.early_stopping.simulation import load_task_curves

    records = [trial([0.5, 0.9, 0.6, 0.7], init=i) for i in (1, 2)]
    for record in records:
        record["grid_steps"] = [5, 15]
    curves = curves_table(records)
    assert curves["on_grid"].tolist() == [False, True, False, True] * 2
    (task_curves,), _ = load_task_curves(curves)
    assert task_curves.steps.tolist() == [5, 15]
    assert curves_table([trial([0.5, 0.9])])["on_grid"].all()  # no grid recorded: every point


def test_a_final_score_at_the_majority_is_a_failure_and_the_tolerance_widens_it():
    at_majority = trials_table([trial([0.5, 0.6, 0.55, 0.5])]).iloc[0]
    assert at_majority["failed"] and not at_majority["diverged"]
    near = [trial([0.5, 0.6, 0.55, 0.52])]
    assert not trials_table(near).iloc[0]["failed"]
    assert trials_table(near, failure_tolerance=0.03).iloc[0]["failed"]


def test_a_diverged_trial_failed_whatever_its_scores():
    # the loss became NaN at the 8th step: the curve ends at the evaluation before
    row = trials_table(
        [trial([0.5, 0.9], status="diverged", losses=[0.7] * 7 + [float("nan")])]
    ).iloc[0]
    assert row["diverged"] and row["failed"] and not row["complete"]
    assert row["final"] == 0.9 and row["steps_run"] == 7


def test_rows_are_sorted_by_seeds_and_stopped_trials_are_left_out_of_finished():
    table = trials_table(
        [
            trial([0.5, 0.7], init=2),
            trial([0.5, 0.6], init=1, order=2),
            trial([0.5, 0.8], init=1, status="stopped"),
        ]
    )
    assert list(zip(table["init_seed"], table["order_seed"])) == [(1, 1), (1, 2), (2, 1)]
    assert list(finished_trials(table)["status"]) == ["completed", "completed"]


def test_an_empty_study_gives_an_empty_table():
    assert len(trials_table([])) == 0


@pytest.mark.parametrize("scores", [[0.5], [0.5, 0.5, 0.5, 0.5]])
def test_ties_pick_the_earliest_evaluation(scores):
    assert trials_table([trial(scores)]).iloc[0]["best_step"] == 0
