"""Modified large-sample intervals of the variance components of balanced grids."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from seedstudy.analysis import modified_large_sample as mls
from seedstudy.analysis import variance_components as vc


def test_mean_squares_equal_the_anova_table():
    rng = np.random.default_rng(0)
    cube = rng.normal(size=(4, 5, 1)) + rng.normal(size=(4, 1, 1))
    i, j = np.indices((4, 5))
    frame = pd.DataFrame({"init_seed": i.ravel(), "order_seed": j.ravel(), "y": cube.ravel()})
    table = vc.two_way_anova(frame, "y").set_index("source")
    ms = mls.mean_squares(cube)
    for ours, theirs in (("init", "init"), ("order", "order"), ("interaction", "residual")):
        assert ms[ours][0] == pytest.approx(table.loc[theirs, "mean_sq"])
        assert ms[ours][1] == table.loc[theirs, "df"]


def test_mean_squares_with_replicates_equal_the_anova_table():
    rng = np.random.default_rng(1)
    cube = rng.normal(size=(3, 4, 3)) + rng.normal(size=(3, 4, 1))
    i, j, _ = np.indices(cube.shape)
    frame = pd.DataFrame({"init_seed": i.ravel(), "order_seed": j.ravel(), "y": cube.ravel()})
    table = vc.two_way_anova(frame, "y", interaction=True).set_index("source")
    ms = mls.mean_squares(cube)
    for source in ("init", "order", "interaction", "noise"):
        assert ms[source][0] == pytest.approx(table.loc[source, "mean_sq"])


def test_mls_without_a_subtracted_term_is_the_exact_chi2_interval():
    """With c2 S2 = 0 the MLS interval is c1 times the exact chi-square interval of theta1."""
    low, high = mls.mls_difference(0.5, 2.0, 6, 0.5, 0.0, 30, 0.9)
    assert low == pytest.approx(0.5 * 6 * 2.0 / stats.chi2.ppf(0.95, 6))
    assert high == pytest.approx(0.5 * 6 * 2.0 / stats.chi2.ppf(0.05, 6))
    assert mls.chi2_interval(2.0, 6, 0.9) == pytest.approx((low / 0.5, high / 0.5))


@pytest.mark.parametrize(
    "shape, truth",
    [
        ((5, 5, 1), (0.3, 0.2, 0.5)),
        ((5, 5, 3), (0.3, 0.2, 0.1, 0.4)),
        ((10, 10, 1), (0.05, 0.02, 0.93)),
    ],
)
def test_mls_intervals_hold_their_level_on_small_grids(shape, truth):
    """The unfavourable cases of the moments' bootstrap (5 x 5 grids, small components): coverage
    within 3.5 points of 95 % over 600 grids (Monte Carlo sd 0.9 points)."""
    rng = np.random.default_rng(7)
    n_i, n_j, r = shape
    names = ("init", "order", "residual") if r == 1 else ("init", "order", "interaction", "noise")
    covered = dict.fromkeys(names, 0)
    for _ in range(600):
        cube = rng.normal(0, np.sqrt(truth[0]), (n_i, 1, 1)) + rng.normal(
            0, np.sqrt(truth[1]), (1, n_j, 1)
        )
        cube = cube + rng.normal(0, np.sqrt(truth[2]), (n_i, n_j, 1))
        if r > 1:
            cube = cube + rng.normal(0, np.sqrt(truth[3]), (n_i, n_j, r))
        intervals = mls.component_intervals(cube, 0.95)
        for name, value in zip(names, truth):
            covered[name] += intervals[name][0] <= value <= intervals[name][1]
    for name in names:
        assert covered[name] / 600 == pytest.approx(0.95, abs=0.035), name


def test_variance_components_use_mls_on_balanced_grids_only():
    rng = np.random.default_rng(3)
    cube = rng.normal(size=(6, 1, 1)) + rng.normal(size=(1, 5, 1)) + rng.normal(size=(6, 5, 1))
    i, j = np.indices((6, 5))
    frame = pd.DataFrame({"init_seed": i.ravel(), "order_seed": j.ravel(), "y": cube.ravel()})
    rows = vc.variance_components(frame, "y", samples=50).set_index("component")
    intervals = mls.component_intervals(cube, 0.95)
    assert rows.loc["init", "moments_lower"] == pytest.approx(intervals["init"][0])
    assert rows.loc["residual", "moments_upper"] == pytest.approx(intervals["residual"][1])
    assert (rows["moments_interval"] == "modified large-sample").all()
    unbalanced = vc.variance_components(frame.iloc[1:], "y", samples=50)
    assert (unbalanced["moments_interval"] == "random-effect bootstrap").all()
