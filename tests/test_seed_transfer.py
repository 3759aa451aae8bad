"""Seed transfer: rank correlations with permutation p-values, Kendall's W, best-seed ranks, and
a study with a single task."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.synthetic_trials import make_trials

from seedstudy.analysis import seed_transfer as st


def shared_init_trials(tasks=("mrpc", "rte", "cola"), n=8, seed=0, shared=True):
    """Trials whose init effects are the same on every task (shared=True) or independent;
    order effects are always independent between tasks."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0, 0.03, n)
    effects = {task: common if shared else rng.normal(0, 0.03, n) for task in tasks}
    return pd.concat(
        [
            make_trials(
                (task,),
                n,
                n,
                sd_order=0.02,
                sd_residual=0.005,
                seed=seed + k,
                init_effects={task: effects[task]},
            )
            for k, task in enumerate(tasks)
        ],
        ignore_index=True,
    )


def test_kendalls_w_by_hand():
    # rank sums 4, 6, 8 -> S = 8; W = 12 * 8 / (3^2 * (27 - 3)) = 4/9
    scores = np.array([[1, 2, 3], [1, 3, 2], [2, 1, 3]], dtype=float)
    assert st.kendalls_w(scores) == pytest.approx(4 / 9)
    assert st.kendalls_w(np.array([[1, 2, 3, 4]] * 3, dtype=float)) == pytest.approx(1.0)
    # two raters in reverse order disagree completely
    assert st.kendalls_w(np.array([[1, 2, 3, 4], [4, 3, 2, 1]], dtype=float)) == pytest.approx(0.0)


def test_kendalls_w_equals_friedman_and_mean_spearman():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(4, 9))
    w = st.kendalls_w(scores)
    # Friedman's chi-square = m (n - 1) W (scipy, independent)
    assert stats.friedmanchisquare(*scores.T).statistic == pytest.approx(4 * 8 * w)
    # without ties, mean pairwise Spearman = (m W - 1) / (m - 1)
    rhos = [stats.spearmanr(a, b).statistic for a, b in itertools.combinations(scores, 2)]
    assert np.mean(rhos) == pytest.approx((4 * w - 1) / 3)
    # with ties the correction still matches Friedman's
    tied = np.round(rng.normal(size=(3, 10)), 0)
    assert stats.friedmanchisquare(*tied.T).statistic == pytest.approx(3 * 9 * st.kendalls_w(tied))


def test_spearman_permutation_p_value_is_exact_for_few_seeds():
    x = np.array([0.61, 0.72, 0.55, 0.8, 0.66])
    y = np.array([0.52, 0.7, 0.6, 0.75, 0.58])
    rho, p = st.spearman_test(x, y, permutations=10000)
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic)
    # all 120 orderings of y against x
    null = [stats.spearmanr(x, np.array(perm)).statistic for perm in itertools.permutations(y)]
    exact = np.mean(np.abs(null) >= abs(rho) - 1e-12)
    assert p == pytest.approx(exact)


def test_shared_init_effects_transfer_and_order_effects_do_not():
    trials = shared_init_trials(n=10)
    pairs = st.pairs_table(trials, permutations=2000)
    init = pairs[pairs["factor"] == "init"]
    assert (init["spearman"] > 0.8).all() and (init["p_permutation"] < 0.01).all()
    concordance = st.concordance_table(trials, permutations=2000).set_index("factor")
    assert concordance.loc["init", "kendalls_w"] > 0.8
    assert (
        concordance.loc["init", "p_permutation"] < 0.01 and concordance.loc["init", "p_chi2"] < 0.01
    )
    assert concordance.loc["init", "mean_spearman"] == pytest.approx(
        (3 * concordance.loc["init", "kendalls_w"] - 1) / 2, abs=0.02
    )
    best = st.best_seed_ranks(trials)
    assert (best.loc[best["factor"] == "init", "rank_on_other"] <= 2).all()
    # order seeds: independent effects per task, no concordance to speak of
    assert concordance.loc["order", "kendalls_w"] < concordance.loc["init", "kendalls_w"]


def test_independent_init_effects_give_uniform_p_values():
    p_values = []
    for seed in range(20):
        trials = shared_init_trials(("rte", "sst2"), n=8, seed=100 + seed, shared=False)
        p_values.append(
            st.pairs_table(trials, permutations=500)
            .query("factor == 'init'")["p_permutation"]
            .iloc[0]
        )
    # under the null, p-values are spread out: few tiny ones, many large ones
    assert np.mean(np.array(p_values) < 0.05) <= 0.2
    assert np.median(p_values) > 0.2


def test_tasks_with_different_grids_use_common_seeds():
    trials = pd.concat(
        [make_trials(("rte",), 6, 6, seed=1), make_trials(("sst2",), 4, 4, seed=2)],
        ignore_index=True,
    )
    pairs = st.pairs_table(trials, permutations=100)
    assert (pairs["n_seeds"] == 4).all()
    means = st.seed_means(trials)
    assert means["sst2"].isna().sum() == 2


def test_seed_means_table_is_the_long_form_of_both_factors():
    trials = pd.concat(
        [make_trials(("rte",), 3, 2, seed=1), make_trials(("sst2",), 2, 2, seed=2)],
        ignore_index=True,
    )
    table = st.seed_means_table(trials)
    assert list(table.columns) == ["factor", "seed", "task", "mean_best"]
    # rte has init seeds 1..3 and order seeds 1..2, sst2 2 x 2: a row per (factor, seed, task),
    # NaN where the task lacks the seed (init seed 3 on sst2)
    assert len(table) == 3 * 2 + 2 * 2
    missing = table[table["mean_best"].isna()]
    assert missing[["factor", "seed", "task"]].values.tolist() == [["init", 3, "sst2"]]
    for row in table.dropna().itertuples(index=False):
        column = st.FACTORS[row.factor]
        chosen = trials[(trials["task"] == row.task) & (trials[column] == row.seed)]
        assert row.mean_best == pytest.approx(chosen["best"].mean())


def test_stopped_trials_are_excluded_from_the_means():
    trials = make_trials(("rte", "sst2"), 3, 3, seed=3)
    trials.loc[
        (trials["task"] == "rte") & (trials["init_seed"] == 1) & (trials["order_seed"] == 1),
        ["status", "best"],
    ] = ["stopped", 0.0]
    means = st.seed_means(trials)
    rte = trials[
        (trials["task"] == "rte") & (trials["init_seed"] == 1) & (trials["status"] != "stopped")
    ]
    assert means.loc[1, "rte"] == pytest.approx(rte["best"].mean())


def test_single_task_says_so():
    trials = make_trials(("sst2",), 2, 2)
    for table in (st.pairs_table(trials), st.concordance_table(trials), st.best_seed_ranks(trials)):
        assert table["note"].str.contains("needs >= 2 tasks").all()
        assert set(table["factor"]) == {"init", "order"}


def test_too_few_common_seeds_say_not_enough_data():
    trials = make_trials(("rte", "sst2"), 2, 2)
    pairs = st.pairs_table(trials, permutations=50)
    assert pairs["note"].str.startswith("not enough data").all()
    assert (
        st.concordance_table(trials, permutations=50)["note"]
        .str.startswith("not enough data")
        .all()
    )
    # the best-seed ranks still exist: 2 seeds each
    assert (st.best_seed_ranks(trials)["n_seeds"] == 2).all()


def test_correlation_matrix():
    trials = shared_init_trials(("mrpc", "rte"), n=6)
    pairs = st.pairs_table(trials, permutations=100)
    matrix = st.correlation_matrix(pairs, "init", ["mrpc", "rte"])
    assert matrix.loc["mrpc", "mrpc"] == 1.0
    assert (
        matrix.loc["mrpc", "rte"]
        == matrix.loc["rte", "mrpc"]
        == pytest.approx(pairs.query("factor == 'init'")["spearman"].iloc[0])
    )
