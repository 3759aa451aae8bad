"""The mean's SE on crossed seed grids: hand-computed cases, an independent ANOVA, designs."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from seedstudy.analysis.crossed import design_df, design_variance, effective_size, mean_se
from seedstudy.analysis.variance_components import NotEnoughData


def grid(values: np.ndarray) -> pd.DataFrame:
    i, j = values.shape[:2]
    reps = values.shape[2] if values.ndim == 3 else 1
    return pd.DataFrame(
        {
            "y": values.ravel(),
            "init": np.repeat(np.arange(i), j * reps),
            "order": np.tile(np.repeat(np.arange(j), reps), i),
        }
    )


def test_two_by_two_by_hand():
    # MS_init 9, MS_order 4, MS_residual 1: Var = (9 + 4 - 1) / 4 = 3
    frame = grid(np.array([[1.0, 2.0], [3.0, 6.0]]))
    result = mean_se(frame["y"], frame["init"], frame["order"])
    assert result.mean == 3.0
    assert result.se == pytest.approx(np.sqrt(3.0), abs=1e-12)
    assert (result.df, result.method) == (1, "crossed")


def test_balanced_grid_equals_the_anova_mean_squares():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(5, 7)) + rng.normal(size=(5, 1)) + 0.7 * rng.normal(size=(1, 7))
    frame = grid(values)
    ms = anova_lm(smf.ols("y ~ C(init) + C(order)", frame).fit())["mean_sq"].to_numpy()
    expected = np.sqrt((ms[0] + ms[1] - ms[2]) / 35)
    result = mean_se(frame["y"], frame["init"], frame["order"])
    assert result.se == pytest.approx(expected, rel=1e-10)
    assert result.df == 4


def test_replicate_cells_use_the_cell_means():
    rng = np.random.default_rng(4)
    # an interaction large enough that no component is truncated at 0
    values = (
        rng.normal(size=(4, 5, 3)) + rng.normal(size=(4, 1, 1)) + 2 * rng.normal(size=(4, 5, 1))
    )
    frame = grid(values)
    cell_means = grid(values.mean(axis=2))
    with_replicates = mean_se(frame["y"], frame["init"], frame["order"])
    of_means = mean_se(cell_means["y"], cell_means["init"], cell_means["order"])
    assert with_replicates.se == pytest.approx(of_means.se, rel=1e-10)


def test_pairs_and_one_seed_axis_are_one_sample_t():
    rng = np.random.default_rng(5)
    y = rng.normal(size=8)
    pairs = mean_se(y, np.arange(8), np.arange(8) + 100)
    ttest = stats.ttest_1samp(y, 0.0)
    assert pairs.test()["p_value"] == pytest.approx(ttest.pvalue, rel=1e-10)
    assert (pairs.df, pairs.method) == (7, "one-factor")
    one_order = mean_se(y, np.arange(8), np.zeros(8))
    assert one_order.se == pytest.approx(pairs.se, rel=1e-12)


def test_too_few_seeds():
    with pytest.raises(NotEnoughData):
        mean_se([1.0], [0], [0])


def test_interval_holds_its_level_on_crossed_grids():
    # 10 x 10 grids with large seed effects and with none: the t interval on min(I, J) - 1 df
    rng = np.random.default_rng(6)
    for sd_seed in (1.0, 0.0):
        covered = 0
        for _ in range(300):
            values = (
                sd_seed * rng.normal(size=(10, 1))
                + sd_seed * rng.normal(size=(1, 10))
                + rng.normal(size=(10, 10))
            )
            frame = grid(values)
            test = mean_se(frame["y"], frame["init"], frame["order"]).test(0.95)
            covered += test["low"] <= 0 <= test["high"]
        assert 0.91 <= covered / 300 <= 0.995, (sd_seed, covered)


def test_design_variance_and_df():
    assert design_variance("grid", 5, 1.0, 2.0, 3.0) == pytest.approx(1 / 5 + 4 / 5 + 9 / 25)
    assert design_variance("pairs", 5, 1.0, 2.0, 3.0) == pytest.approx(14 / 5)
    assert design_variance("independent", 5, 1.0, 2.0, 3.0) == pytest.approx(28 / 5)
    assert (design_df("grid", 5), design_df("pairs", 5), design_df("independent", 5)) == (4, 4, 8)
    with pytest.raises(ValueError, match="design must be one of"):
        design_df("lattice", 5)


def test_effective_size_by_hand():
    # the 2 x 2 grid [[1, 2], [0, 3]]: MS_init 0, MS_order 4, MS_residual 1, components
    # (0, 1.5, 1) after truncation, Var(mean) = 0 / 2 + 1.5 / 2 + 1 / 4 = 1: 2.5 / 1
    frame = grid(np.array([[1.0, 2.0], [0.0, 3.0]]))
    assert effective_size(frame["y"], frame["init"], frame["order"]) == pytest.approx(2.5)
    # seed pairs (one factor): independent trials, the effective size is their number
    values = np.random.default_rng(7).normal(size=12)
    assert effective_size(values, np.arange(12), np.arange(12)) == pytest.approx(12)
    # no variance at all: every trial counts
    assert effective_size(np.ones(4), frame["init"], frame["order"]) == 4
