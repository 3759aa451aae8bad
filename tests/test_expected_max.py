"""Expected maximum: hand-computed cases, opda as the independent implementation, brute force
over subsets, confidence bands, and the trials needed to beat a score."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from opda.nonparametric import EmpiricalDistribution
from support.synthetic_trials import make_trials

from seedstudy.analysis import expected_max as em


def test_with_replacement_by_hand():
    # scores 1, 2, 3; n = 2: P(max = i) = (i/3)^2 - ((i-1)/3)^2 = 1/9, 3/9, 5/9
    table = em.expected_max([3, 1, 2]).set_index("n")
    assert table.loc[1, "expected_max"] == pytest.approx(2.0)
    assert table.loc[2, "expected_max"] == pytest.approx(22 / 9)
    # E[max^2] = (1 + 4*3 + 9*5)/9 = 58/9, variance 58/9 - (22/9)^2 = 38/81
    assert table.loc[2, "sd"] == pytest.approx(math.sqrt(38 / 81))
    assert table.loc[2, "upper"] <= 3 and table.loc[2, "lower"] >= 1


def test_unbiased_by_hand():
    # pairs of {1, 2, 3} without replacement: max 2, 3, 3 -> 8/3
    np.testing.assert_allclose(
        em.unbiased_expected_max([1, 2, 3], [1, 2, 3, 4]), [2.0, 8 / 3, 3.0, np.nan]
    )
    weights = em.unbiased_weights(3, 2)
    np.testing.assert_allclose(weights, [0, 1 / 3, 2 / 3])
    with pytest.raises(ValueError):
        em.unbiased_weights(3, 4)


@pytest.mark.parametrize("n_scores", [4, 30, 625])
def test_with_replacement_equals_opda_average_tuning_curve(n_scores):
    scores = np.random.default_rng(n_scores).beta(8, 2, n_scores)
    table = em.expected_max(scores)
    np.testing.assert_allclose(
        table["expected_max"],
        EmpiricalDistribution(scores).average_tuning_curve(table["n"].to_numpy()),
        rtol=1e-12,
    )


@pytest.mark.parametrize("n_scores", [5, 40, 625])
def test_unbiased_equals_opda_u_statistic(n_scores):
    scores = np.random.default_rng(n_scores + 1).normal(size=n_scores)
    ns = np.arange(1, n_scores + 1)
    np.testing.assert_allclose(
        em.unbiased_expected_max(scores, ns),
        EmpiricalDistribution(scores).u_tuning_curve(ns),
        rtol=1e-9,
        atol=1e-12,
    )


def test_unbiased_equals_brute_force_over_subsets():
    scores = np.array([0.61, 0.7, 0.55, 0.81, 0.7, 0.64, 0.9])
    for n in range(1, len(scores) + 1):
        brute = np.mean([max(c) for c in itertools.combinations(scores, n)])
        assert em.unbiased_expected_max(scores, [n])[0] == pytest.approx(brute)


def test_unbiased_estimator_is_unbiased_where_with_replacement_is_not():
    """Samples of N = 6 from a known discrete distribution: the unbiased estimate of E[max of 5]
    averages to the truth, the with-replacement one stays below."""
    values, probs = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.4, 0.3, 0.2, 0.1])
    cdf = np.cumsum(probs)
    n = 5
    truth = float(np.sum(values * (cdf**n - np.concatenate([[0], cdf[:-1]]) ** n)))
    rng = np.random.default_rng(0)
    samples = rng.choice(values, p=probs, size=(20000, 6))
    unbiased = np.array([em.unbiased_expected_max(s, [n])[0] for s in samples])
    replacement = np.array([em.expected_max(s, n)["expected_max"].iloc[-1] for s in samples[:2000]])
    assert abs(unbiased.mean() - truth) < 4 * unbiased.std() / np.sqrt(len(unbiased))
    assert replacement.mean() < truth - 0.05


def test_tuning_curves_median_and_bands():
    scores = np.random.default_rng(3).beta(8, 2, 50)
    table = em.tuning_curves(scores, 0.9, (0.0, 1.0))
    ns = table["n"].to_numpy()
    np.testing.assert_allclose(
        table["median"], EmpiricalDistribution(scores).quantile_tuning_curve(ns)
    )
    assert np.all(table["median_lower"] <= table["median"] + 1e-12)
    assert np.all(table["median"] <= table["median_upper"] + 1e-12)
    assert np.all(table["expected_lower"] <= table["expected_max"] + 1e-12)
    assert np.all(table["expected_max"] <= table["expected_upper"] + 1e-12)
    assert np.all(np.diff(table["expected_max"]) >= 0)
    # a higher level, a wider band
    wider = em.tuning_curves(scores, 0.99, (0.0, 1.0))
    assert np.all(wider["median_upper"] >= table["median_upper"] - 1e-12)
    assert (wider["median_upper"] - wider["median_lower"]).sum() > (
        table["median_upper"] - table["median_lower"]
    ).sum()
    # without finite bounds the band of the expected curve is undefined
    assert em.tuning_curves(scores, 0.9)["expected_lower"].isna().all()


def test_median_band_covers_the_true_median_curve():
    """Simultaneous 80% bands over n = 1..N from 150 samples of N = 40 uniform scores: the true
    median curve 0.5^(1/n) lies inside at every n in at least 80% of the samples (ks bands are
    exact for continuous scores; the tuning-curve band can only be more conservative)."""
    rng = np.random.default_rng(1)
    ns = np.arange(1, 41)
    truth = 0.5 ** (1 / ns)
    inside = 0
    for _ in range(150):
        table = em.tuning_curves(rng.random(40), 0.8, (0.0, 1.0))
        inside += np.all(
            (table["median_lower"] <= truth + 1e-12) & (truth <= table["median_upper"] + 1e-12)
        )
    assert 0.8 - 0.07 <= inside / 150 <= 1.0


def test_trials_needed_by_hand():
    scores = np.arange(1, 11) / 10  # F(0.8) = 0.8: n* = ceil(ln 0.05 / ln 0.8) = ceil(13.4) = 14
    row = em.trials_needed(scores, 0.8, 0.95, 0.9, (0.0, 1.0))
    assert row["cdf"] == pytest.approx(0.8)
    assert row["trials_needed"] == 14
    assert row["n_beating"] == 2
    assert row["trials_needed_lower"] <= 14 <= row["trials_needed_upper"]
    assert em.trials_needed(scores, 1.0, 0.95, 0.9, (0.0, 1.0))["trials_needed"] == math.inf
    assert em.trials_needed(scores, 0.0, 0.95, 0.9, (0.0, 1.0))["trials_needed"] == 1
    # a tie does not beat: F(0.5) counts the score 0.5
    assert em.trials_needed(scores, 0.5, 0.5)["trials_needed"] == 1  # ceil(ln 0.5 / ln 0.5)


def test_expected_max_table_frequencies_and_stopped_trials():
    trials = make_trials(("rte", "cola"), 3, 3, seed=1)
    trials.loc[0, "status"] = "stopped"
    table = em.expected_max_table(trials)
    assert set(table["frequency"]) == set(em.FREQUENCIES)
    n = table.groupby("task")["n_trials"].first()
    assert n["rte"] == 8 and n["cola"] == 9
    assert table.groupby(["task", "frequency"])["n"].max().loc[("cola", "end of training")] == 9
    for column in (
        "expected_max",
        "unbiased",
        "median",
        "median_lower",
        "median_upper",
        "expected_lower",
    ):
        assert table[column].notna().all(), column


def test_trials_needed_table_uses_reported_scores_in_percent():
    trials = make_trials(("rte",), 5, 5, seed=2)
    table = em.trials_needed_table(trials, 0.95, 0.9)
    reported = table[table["threshold_name"].str.startswith("reported")]
    assert sorted(reported["threshold"]) == pytest.approx([0.70, 0.704])
    ours = table[table["threshold_name"].str.startswith("our")]
    assert list(ours["threshold_name"]) == ["our q50", "our q75", "our q90"]
    assert (ours["trials_needed"] >= 1).all()


def test_two_by_two_grid():
    trials = make_trials(("sst2",), 2, 2, seed=3)
    table = em.expected_max_table(trials)
    assert table.groupby("frequency")["n"].max().eq(4).all()
    assert not em.trials_needed_table(trials).empty


def test_no_finite_scores():
    with pytest.raises(ValueError):
        em.expected_max([np.nan])
    trials = make_trials(("rte",), 2, 2).assign(best_epoch_end=np.nan)
    table = em.expected_max_table(trials)
    assert "once per epoch" not in set(table["frequency"])
    assert isinstance(table, pd.DataFrame)


def test_paper_grids_use_the_notebook_points():
    from seedstudy.analysis.aggregate import paper_epoch_grid_best

    # max(max(d[::10]), d[-1]): step 0 and 10 evaluations per epoch -> step 0 and the epoch ends
    scores = [0.5] * 31
    scores[10], scores[5] = 0.8, 0.99
    assert paper_epoch_grid_best(scores) == 0.8
    scores[30] = 0.9
    assert paper_epoch_grid_best(scores) == 0.9
    # SST-2 every 100 steps (0, 100, ..., 12600, 12630): 14 points, every 1,000th step and the end
    steps = [*range(0, 12601, 100), 12630]
    chosen = [s for s in steps if s % 1000 == 0] + [12630]
    assert len(chosen) == 14
    for step in steps:
        grid = [1.0 if s == step else 0.0 for s in steps]
        assert paper_epoch_grid_best(grid) == (1.0 if step in chosen else 0.0)
    trials = make_trials(("rte",), 3, 3, seed=1)
    plain = em.expected_max_table(trials)
    paper = em.expected_max_table(trials, paper_grids=True)
    epoch = paper["frequency"] == "once per epoch"
    assert np.allclose(paper.loc[epoch, "expected_max"], plain.loc[epoch, "expected_max"] - 0.001)
    assert paper.loc[~epoch, "expected_max"].tolist() == plain.loc[~epoch, "expected_max"].tolist()


def test_band_of_an_effective_size_is_the_band_of_that_many_scores():
    """With the effective size N, opda's band; with m < N, the ks band F -/+ eps(m) (opda's
    exact Kolmogorov-Smirnov quantile for m scores) at every score, clipped to [0, 1]."""
    from scipy import stats

    scores = np.sort(np.random.default_rng(2).normal(size=40))
    bounds = (-10.0, 10.0)
    own = em.cdf_bands(scores, 0.9, bounds, "ks", 40)
    reference = EmpiricalDistribution.confidence_bands(scores, 0.9, *bounds, method="ks")
    for band, expected in zip(own, reference):
        np.testing.assert_allclose(band.cdf(scores), expected.cdf(scores))
    lower, point, upper = em.cdf_bands(scores, 0.9, bounds, "ks", 10.4)
    eps = stats.kstwo(10).ppf(0.9)
    levels = np.arange(1, 41) / 40
    np.testing.assert_allclose(point.cdf(scores), levels)
    np.testing.assert_allclose(lower.cdf(scores), np.clip(levels - eps, 0, 1), atol=1e-12)
    np.testing.assert_allclose(upper.cdf(scores), np.clip(levels + eps, 0, 1), atol=1e-12)
    # every band method takes an effective size
    for method in ("dkw", "ld_equal_tailed"):
        low, _, high = em.cdf_bands(scores, 0.9, bounds, method, 10)
        assert np.all(low.cdf(scores) <= levels + 1e-12) and np.all(levels <= high.cdf(scores))


def test_band_covers_the_cdf_of_a_fresh_trial_on_a_seed_grid():
    """25 x 25 grids, seed shares 0.3 / 0.2 / 0.5: the band of the grid's effective size covers
    the CDF of a fresh trial (new seeds) in at least 93 % of 100 grids; the band that takes the
    625 trials as iid covers it in about 45 %."""
    from scipy import stats

    rng = np.random.default_rng(4)
    init, order = np.repeat(np.arange(25), 25), np.tile(np.arange(25), 25)
    t = np.linspace(-4, 4, 401)
    truth = stats.norm.cdf(t)
    covered = {"effective": 0, "iid": 0}
    for _ in range(100):
        scores = (
            rng.normal(0, 0.3**0.5, 25)[init]
            + rng.normal(0, 0.2**0.5, 25)[order]
            + rng.normal(0, 0.5**0.5, 625)
        )
        trials = pd.DataFrame({"init_seed": init, "order_seed": order, "best": scores})
        for name, size in (("effective", em.grid_effective_size(trials, "best")), ("iid", None)):
            low, _, high = em.cdf_bands(scores, 0.95, (-np.inf, np.inf), "ks", size)
            covered[name] += np.all(low.cdf(t) <= truth + 1e-12) and np.all(
                truth <= high.cdf(t) + 1e-12
            )
    assert covered["effective"] >= 93
    assert covered["iid"] <= 65
