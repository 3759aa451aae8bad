"""Seed effects (Fig. 2, Tables 3 and 4) on a small hand-made grid."""

import numpy as np
import pandas as pd
import pytest

from seedstudy.analysis import seed_effects

#            order 1  order 2  order 3
# init 1       0.1      0.2      0.3
# init 2       0.5      0.6      1.0
SCORES = {(1, 1): 0.1, (1, 2): 0.2, (1, 3): 0.3, (2, 1): 0.5, (2, 2): 0.6, (2, 3): 1.0}


def grid():
    return pd.DataFrame(
        [
            {"task": "sst2", "init_seed": i, "order_seed": o, "best": v}
            for (i, o), v in SCORES.items()
        ]
    )


def test_seed_matrix_sorted_by_means():
    matrix = seed_effects.seed_matrix(grid())
    assert list(matrix.index) == [2, 1]  # init means 0.7, 0.2
    assert list(matrix.columns) == [3, 2, 1]  # order means 0.65, 0.4, 0.3
    assert matrix.loc[2, 3] == 1.0 and matrix.loc[1, 1] == 0.1


def test_seed_grid_table_is_the_long_form_of_the_matrices():
    matrices = {"sst2": seed_effects.seed_matrix(grid())}
    table = seed_effects.seed_grid_table(matrices)
    assert list(table.columns) == ["init_seed", "order_seed", "best", "task"]
    assert {(r.init_seed, r.order_seed): r.best for r in table.itertuples()} == SCORES
    assert list(table["init_seed"][:3]) == [2, 2, 2]  # in the matrix's sorted order


def test_within_seed_sd_by_hand():
    row = seed_effects.within_seed_sd(grid()).iloc[0]
    within_init = (
        np.sqrt(0.02 / 3) + np.sqrt(0.14 / 3)
    ) / 2  # population sds of (0.1, 0.2, 0.3) and (0.5, 0.6, 1.0)
    within_order = (0.2 + 0.2 + 0.35) / 3  # population sds of (0.1, 0.5), (0.2, 0.6), (0.3, 1.0)
    assert row["within_init_sd"] == pytest.approx(within_init)
    assert row["within_order_sd"] == pytest.approx(within_order)
    assert row["total_sd"] == pytest.approx(np.sqrt(0.535 / 6))
    assert row["n_trials"] == 6


def test_best_worst_anova_by_hand():
    table = seed_effects.best_worst_anova(grid()).set_index("factor")
    init, order = table.loc["init"], table.loc["order"]
    assert (init["best_seed"], init["worst_seed"]) == (2, 1)
    assert init["best_mean"] == pytest.approx(0.7) and init["worst_mean"] == pytest.approx(0.2)
    # SS between = 0.375 (df 1), SS within = 0.16 (df 4)
    assert init["F"] == pytest.approx(0.375 / (0.16 / 4))
    assert (order["best_seed"], order["worst_seed"]) == (3, 1)
    # groups (0.3, 1.0) and (0.1, 0.5): SS between 0.1225 (df 1), SS within 0.325 (df 2)
    assert order["F"] == pytest.approx(0.1225 / (0.325 / 2))
    from scipy import stats

    assert init["p"] == pytest.approx(stats.f.sf(9.375, 1, 4))


def test_single_trial_per_seed_gives_no_anova():
    one = grid()[grid()["order_seed"] == 1]
    row = seed_effects.best_worst_anova(one).set_index("factor").loc["init"]
    assert np.isnan(row["F"]) and row["n_best"] == 1


def test_trials_stopped_by_live_early_stopping_are_left_out():
    plain = grid().assign(status="completed")
    stopped = pd.concat(
        [
            plain,
            pd.DataFrame(
                [
                    {
                        "task": "sst2",
                        "init_seed": 1,
                        "order_seed": 4,
                        "best": 0.0,
                        "status": "stopped",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(
        seed_effects.seed_matrix(stopped), seed_effects.seed_matrix(plain)
    )
    pd.testing.assert_frame_equal(
        seed_effects.within_seed_sd(stopped), seed_effects.within_seed_sd(plain)
    )
    pd.testing.assert_frame_equal(
        seed_effects.best_worst_anova(stopped), seed_effects.best_worst_anova(plain)
    )
    # without the filter the stopped trial's partial score would be a fourth order seed
    assert 4 not in seed_effects.seed_matrix(stopped).columns


def test_range_permutation_p_equals_the_exact_enumeration():
    """2 x 3 grid: under no init effect the init labels swap within each order seed, 2^3 equally
    likely relabellings; the range of the init means is >= the observed 0.5 in 2 of them."""
    data = grid()
    spread, p = seed_effects.range_permutation_test(
        data["best"], data["init_seed"], data["order_seed"], permutations=20000, seed=1
    )
    assert spread == pytest.approx(0.5)
    assert p == pytest.approx(0.25, abs=0.015)
    row = seed_effects.best_worst_anova(data).set_index("factor").loc["init"]
    assert row["max_minus_min"] == pytest.approx(0.5)
    assert row["p_note"] == "post-selection, not a test"


def test_table_4_under_no_seed_effect():
    """10 x 10 grids with an order effect and no init effect: the best-vs-worst ANOVA's p is
    below 0.05 in about half the grids (it tests seeds picked for being extreme); the range
    permutation test rejects at its level (Monte Carlo sd 0.015 over 200 grids)."""
    rng = np.random.default_rng(0)
    n, datasets = 10, 200
    anova_rejects = permutation_rejects = 0
    for k in range(datasets):
        y = rng.normal(0, 0.5, (1, n)) + rng.normal(0, 1, (n, n))  # order effect, no init
        i, j = np.indices(y.shape)
        frame = pd.DataFrame(
            {"task": "t", "init_seed": i.ravel(), "order_seed": j.ravel(), "best": y.ravel()}
        )
        row = seed_effects.best_worst_anova(frame, permutations=199, seed=k)
        row = row.set_index("factor").loc["init"]
        anova_rejects += row["p"] < 0.05
        permutation_rejects += row["p_permutation"] <= 0.05
    assert anova_rejects / datasets > 0.35
    assert 0.01 <= permutation_rejects / datasets <= 0.085


def test_within_seed_sd_of_single_trials_is_undefined_not_zero():
    trials = grid()
    one_per_init = trials.drop_duplicates("init_seed")  # each init seed: one trial
    row = seed_effects.within_seed_sd(one_per_init).iloc[0]
    assert np.isnan(row["within_init_sd"]) and "init" in row["note"]
    assert row["within_order_sd"] == pytest.approx(0.2)  # order 1: trials 0.1 and 0.5
    single = seed_effects.within_seed_sd(trials.iloc[:1]).iloc[0]
    assert np.isnan(single["within_init_sd"]) and np.isnan(single["total_sd"])
    assert single["note"] == "undefined (no seed with two or more trials): init, order, total"
    assert seed_effects.within_seed_sd(trials).iloc[0]["note"] == ""
