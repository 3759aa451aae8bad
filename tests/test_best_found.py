"""Table 1 (best found): a task whose every trial failed says so."""

import pandas as pd
import pytest

from seedstudy.analysis.best_found import best_found_table


def _trials(failed, diverged):
    return pd.DataFrame(
        {
            "task": "rte",
            "metric": "accuracy",
            "init_seed": [1, 2],
            "order_seed": [1, 1],
            "best": [0.55, 0.53],
            "majority": 0.53,
            "failed": failed,
            "diverged": diverged,
        }
    )


def test_every_trial_failed_is_noted():
    [row] = best_found_table(_trials([True, True], [True, False]), "m").to_dict("records")
    assert row["failed_trials"] == 2 and row["best_found"] == pytest.approx(55.0)
    assert row["note"].startswith("every trial failed (1 diverged)")


def test_a_study_with_a_good_trial_has_no_note():
    [row] = best_found_table(_trials([True, False], [True, False]), "m").to_dict("records")
    assert row["failed_trials"] == 1 and row["note"] == ""
