"""Variance components: hand-computed grids, independent numpy computations, REML vs moments,
unbalanced grids, replicate cells, intervals, and grids too small to say anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.synthetic_trials import make_trials

from seedstudy.analysis import variance_components as vc

# A 3 x 3 grid built as 6 + row effect (-2, -1, 3) + column effect (-3, 0, 3) + a double-centred
# residual [[1, -1, 0], [-1, 1, 0], [0, 0, 0]]:
#   SS_init = 3 * (4 + 1 + 9) = 42, MS_init = 21;  SS_order = 3 * (9 + 0 + 9) = 54, MS_order = 27;
#   SS_resid = 4 on 4 df, MS_resid = 1;
#   s2_init = (21 - 1) / 3, s2_order = (27 - 1) / 3, s2_resid = 1;
#   F(2, 4) = 21 and 27 with p = (1 + 2F/4)^-2 = 1 / 132.25 and 1 / 210.25.
HAND = np.array([[2, 3, 7], [1, 6, 8], [6, 9, 12]], dtype=float)


def grid_frame(matrix: np.ndarray, column: str = "best") -> pd.DataFrame:
    rows, cols = np.indices(matrix.shape)
    return pd.DataFrame(
        {"init_seed": rows.ravel() + 1, "order_seed": cols.ravel() + 1, column: matrix.ravel()}
    )


def numpy_anova_components(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain numpy sums of squares of a balanced I x J (x r) array: mean squares and the
    ANOVA (moments) estimators, without truncation."""
    if y.ndim == 2:
        i, j = y.shape
        grand, rows, cols = y.mean(), y.mean(axis=1), y.mean(axis=0)
        ms_a = j * ((rows - grand) ** 2).sum() / (i - 1)
        ms_b = i * ((cols - grand) ** 2).sum() / (j - 1)
        ms_e = ((y - rows[:, None] - cols[None, :] + grand) ** 2).sum() / ((i - 1) * (j - 1))
        return np.array([ms_a, ms_b, ms_e]), np.array([(ms_a - ms_e) / j, (ms_b - ms_e) / i, ms_e])
    i, j, r = y.shape
    grand, rows, cols, cells = y.mean(), y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=2)
    ms_a = j * r * ((rows - grand) ** 2).sum() / (i - 1)
    ms_b = i * r * ((cols - grand) ** 2).sum() / (j - 1)
    ms_ab = r * ((cells - rows[:, None] - cols[None, :] + grand) ** 2).sum() / ((i - 1) * (j - 1))
    ms_e = ((y - cells[:, :, None]) ** 2).sum() / (i * j * (r - 1))
    return (
        np.array([ms_a, ms_b, ms_ab, ms_e]),
        np.array([(ms_a - ms_ab) / (j * r), (ms_b - ms_ab) / (i * r), (ms_ab - ms_e) / r, ms_e]),
    )


def henderson_by_traces(frame: pd.DataFrame, y: np.ndarray, separate: bool) -> np.ndarray:
    """Henderson's Method I from dense matrices: each uncorrected sum of squares y' A_F y with
    A_F the projection on factor F's indicators, its expectation tr(A_F Z_k Z_k') per component;
    solved after subtracting the mean's. Independent of the library's counting formulas."""
    n = len(y)

    def indicators(codes):
        levels = np.unique(codes)
        return (np.asarray(codes)[:, None] == levels[None, :]).astype(float)

    cell = frame["init_seed"].astype(str) + ":" + frame["order_seed"].astype(str)
    z = {
        "init": indicators(frame["init_seed"]),
        "order": indicators(frame["order_seed"]),
        "cell": indicators(cell),
    }
    z["mean"] = np.ones((n, 1))
    z["trial"] = np.eye(n)
    projections = {k: m @ np.linalg.pinv(m.T @ m) @ m.T for k, m in z.items()}
    components = ["init", "order"] + (["cell"] if separate else []) + ["trial"]
    forms = components
    a = np.array(
        [
            [np.trace((projections[f] - projections["mean"]) @ z[c] @ z[c].T) for c in components]
            for f in forms
        ]
    )
    t = np.array([y @ (projections[f] - projections["mean"]) @ y for f in forms])
    return np.linalg.solve(a, t)


def test_hand_computed_3x3_anova():
    table = vc.two_way_anova(grid_frame(HAND)).set_index("source")
    assert table.loc["init", "df"] == 2 and table.loc["residual", "df"] == 4
    assert table.loc["init", "sum_sq"] == pytest.approx(42)
    assert table.loc["order", "sum_sq"] == pytest.approx(54)
    assert table.loc["residual", "sum_sq"] == pytest.approx(4)
    assert table.loc["init", "mean_sq"] == pytest.approx(21)
    assert table.loc["order", "mean_sq"] == pytest.approx(27)
    assert table.loc["init", "F"] == pytest.approx(21)
    assert table.loc["order", "F"] == pytest.approx(27)
    assert table.loc["init", "p"] == pytest.approx(1 / 132.25)
    assert table.loc["order", "p"] == pytest.approx(1 / 210.25)
    assert table.loc["init", "share"] == pytest.approx(42 / 100)


def test_hand_computed_3x3_moments():
    frame = grid_frame(HAND)
    d = vc.design(frame["init_seed"], frame["order_seed"])
    assert d.components == ("init", "order", "residual") and d.balanced
    np.testing.assert_allclose(
        vc.moment_estimates(frame["best"].to_numpy(), d), [20 / 3, 26 / 3, 1.0]
    )


@pytest.mark.parametrize("shape", [(6, 5), (2, 2), (25, 25)])
def test_moments_equal_numpy_sums_of_squares(shape):
    rng = np.random.default_rng(sum(shape))
    y = (
        rng.normal(size=shape)
        + rng.normal(size=(shape[0], 1))
        + 0.5 * rng.normal(size=(1, shape[1]))
    )
    frame = grid_frame(y)
    d = vc.design(frame["init_seed"], frame["order_seed"])
    _, expected = numpy_anova_components(y)
    np.testing.assert_allclose(
        vc.moment_estimates(frame["best"].to_numpy(), d, truncate=False), expected, rtol=1e-10
    )
    # the ANOVA table's mean squares give the same estimators
    ms = vc.two_way_anova(frame).set_index("source")["mean_sq"]
    assert (ms["init"] - ms["residual"]) / shape[1] == pytest.approx(expected[0], rel=1e-9)
    assert (ms["order"] - ms["residual"]) / shape[0] == pytest.approx(expected[1], rel=1e-9)


def test_moments_with_replicate_cells_equal_numpy_sums_of_squares():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 3, 2)) + rng.normal(size=(4, 1, 1)) + rng.normal(size=(4, 3, 1))
    i, j, r = np.indices(y.shape)
    frame = pd.DataFrame({"init_seed": i.ravel(), "order_seed": j.ravel(), "best": y.ravel()})
    d = vc.design(frame["init_seed"], frame["order_seed"])
    assert d.components == ("init", "order", "interaction", "noise")
    mean_squares, expected = numpy_anova_components(y)
    np.testing.assert_allclose(
        vc.moment_estimates(frame["best"].to_numpy(), d, truncate=False), expected, rtol=1e-10
    )
    anova = vc.two_way_anova(frame, interaction=True).set_index("source")
    np.testing.assert_allclose(
        anova.loc[["init", "order", "interaction", "noise"], "mean_sq"], mean_squares, rtol=1e-10
    )
    # random-effects F: main effects against the interaction, the interaction against the noise
    assert anova.loc["init", "F"] == pytest.approx(mean_squares[0] / mean_squares[2])
    assert anova.loc["interaction", "F"] == pytest.approx(mean_squares[2] / mean_squares[3])
    assert anova.loc["interaction", "df"] == 6 and anova.loc["noise", "df"] == 12


@pytest.mark.parametrize("separate", [False, True])
def test_unbalanced_moments_equal_henderson_by_traces(separate):
    rng = np.random.default_rng(5)
    replicates = 2 if separate else 1
    frame = make_trials(("rte",), 6, 5, replicates=replicates, seed=11).sample(
        frac=0.8, random_state=1
    )
    frame = frame.reset_index(drop=True)
    y = frame["best"].to_numpy() + rng.normal(0, 0.01, len(frame))
    d = vc.design(frame["init_seed"], frame["order_seed"])
    assert d.separate_interaction == separate and not d.balanced
    np.testing.assert_allclose(
        vc.moment_estimates(y, d, truncate=False),
        henderson_by_traces(frame, y, separate),
        rtol=1e-8,
        atol=1e-12,
    )


def test_unbalanced_moments_are_unbiased():
    """Henderson's Method I is unbiased on any grid: the mean of 4000 untruncated estimates on
    an 8 x 8 grid with 25% of the cells missing is within 4 standard errors of the truth."""
    rng = np.random.default_rng(8)
    keep = rng.random(64) > 0.25
    init, order = np.divmod(np.arange(64), 8)
    init, order = init[keep], order[keep]
    d = vc.design(init, order)
    truth = np.array([0.5, 0.3, 1.0])
    reps = 4000
    y = (
        rng.normal(0, np.sqrt(truth[0]), (reps, 8))[:, init]
        + rng.normal(0, np.sqrt(truth[1]), (reps, 8))[:, order]
        + rng.normal(0, np.sqrt(truth[2]), (reps, len(init)))
    )
    estimates = vc.moment_estimates(y, d, truncate=False)
    se = estimates.std(axis=0) / np.sqrt(reps)
    assert np.all(np.abs(estimates.mean(axis=0) - truth) < 4 * se)
    # truncation at 0 only ever raises an estimate
    assert np.all(vc.moment_estimates(y, d) >= estimates)


def test_reml_agrees_with_moments_on_a_balanced_grid():
    rng = np.random.default_rng(2)
    y = 2 * rng.normal(size=(12, 1)) + 1.5 * rng.normal(size=(1, 10)) + rng.normal(size=(12, 10))
    frame = grid_frame(y)
    d = vc.design(frame["init_seed"], frame["order_seed"])
    moments = vc.moment_estimates(frame["best"].to_numpy(), d, truncate=False)
    assert np.all(moments > 0)
    reml, note = vc.reml_estimates(frame["best"].to_numpy(), d)
    assert note == ""
    np.testing.assert_allclose(reml, moments, rtol=1e-3)
    # the closed form is statsmodels' REML maximum: every nearby point is lower
    y = frame["best"].to_numpy()
    model = vc.smf.mixedlm(
        "y ~ 1",
        vc._mixedlm_frame(y, d),
        groups="group",
        re_formula="0",
        vc_formula={"init": "0 + C(init)", "order": "0 + C(order)"},
    )
    fitted = model.fit(reml=True, method=["nm", "bfgs"])
    np.testing.assert_allclose([*fitted.vcomp, fitted.scale], reml, rtol=2e-3)
    at = model.loglike(vc._reml_params(reml, 0.0))
    for k in range(3):
        for step in (0.97, 1.03):
            moved = reml.copy()
            moved[k] *= step
            assert model.loglike(vc._reml_params(moved, 0.0)) < at


def test_reml_is_scale_invariant():
    """Scores in [0, 1] have variances near 1e-4: REML on y / 100 gives the components / 1e4."""
    rng = np.random.default_rng(9)
    y = rng.normal(size=(8, 1)) + 0.6 * rng.normal(size=(1, 8)) + rng.normal(size=(8, 8))
    frame = grid_frame(y)
    d = vc.design(frame["init_seed"], frame["order_seed"])
    reml, _ = vc.reml_estimates(frame["best"].to_numpy(), d)
    small, note = vc.reml_estimates(0.7 + frame["best"].to_numpy() / 100, d)
    np.testing.assert_allclose(small, reml / 1e4, rtol=1e-6)
    assert "REML at 0" not in note


def test_reml_agrees_with_moments_with_replicate_cells():
    rng = np.random.default_rng(4)
    y = (
        rng.normal(size=(6, 1, 1))
        + rng.normal(size=(1, 5, 1))
        + 0.7 * rng.normal(size=(6, 5, 1))
        + 0.5 * rng.normal(size=(6, 5, 3))
    )
    i, j, _ = np.indices(y.shape)
    d = vc.design(i.ravel(), j.ravel())
    moments = vc.moment_estimates(y.ravel(), d, truncate=False)
    assert np.all(moments > 0)
    reml, _ = vc.reml_estimates(y.ravel(), d)
    np.testing.assert_allclose(reml, moments, rtol=2e-3)


def _small_order_grids(count: int, seed: int):
    """10 x 10 grids with components init 0.3, order 0.05, residual 0.65."""
    rng = np.random.default_rng(seed)
    i, j = np.indices((10, 10))
    d = vc.design(i.ravel(), j.ravel())
    for _ in range(count):
        y = (
            rng.normal(0, np.sqrt(0.3), (10, 1))
            + rng.normal(0, np.sqrt(0.05), (1, 10))
            + rng.normal(0, np.sqrt(0.65), (10, 10))
        )
        yield y.ravel(), d


def test_reml_with_a_small_component_reaches_the_balanced_optimum():
    """On a balanced grid REML's optimum is the ANOVA moment point wherever no moment is
    truncated, and it is never below the truncated moment point's restricted likelihood: with a
    small order component (5 % of the variance) the fit must find it on every grid."""
    reached = 0
    for y, d in _small_order_grids(12, seed=11):
        moments = vc.moment_estimates(y, d, truncate=False)
        reml, note = vc.reml_estimates(y, d)
        assert "moment point" not in note
        if np.all(moments > 0):
            np.testing.assert_allclose(reml, moments, rtol=1e-3, atol=1e-4 * moments.sum())
            reached += 1
        else:
            assert reml[1] < 1e-4 * reml.sum() and "REML at 0: order" in note
    assert reached >= 6


def test_reml_below_the_moment_point_is_replaced(monkeypatch):
    """An optimiser that stops early (one BFGS step from statsmodels' default start) is caught:
    the moment point is reported and the note says so."""
    fit = vc.smf.mixedlm("y ~ 1", pd.DataFrame({"y": [0.0, 1.0], "g": 0}), groups="g").fit

    def stopped_early(self, **kwargs):
        return fit.__func__(self, reml=True, method="bfgs", maxiter=1)

    monkeypatch.setattr(type(fit.__self__), "fit", stopped_early)
    y, d = next(_small_order_grids(1, seed=3))
    reml, note = vc.reml_estimates(y, d)
    assert "the moment point is reported" in note
    np.testing.assert_allclose(reml, vc.moment_estimates(y, d))


def test_reml_covariance_equals_the_balanced_closed_form():
    """On a balanced grid the inverse REML information gives the exact variances of the ANOVA
    estimators: var(s2_e) = 2 s2_e^2 / ((I-1)(J-1)) and
    var(s2_a) = 2 / J^2 * [(J s2_a + s2_e)^2 / (I-1) + s2_e^2 / ((I-1)(J-1))]."""
    i, j = 7, 5
    init, order = np.divmod(np.arange(i * j), j)
    d = vc.design(init, order)
    sa, sb, se = 0.4, 0.2, 1.0
    covariance = vc.reml_covariance(np.array([sa, sb, se]), d)
    var_a = 2 / j**2 * ((j * sa + se) ** 2 / (i - 1) + se**2 / ((i - 1) * (j - 1)))
    var_b = 2 / i**2 * ((i * sb + se) ** 2 / (j - 1) + se**2 / ((i - 1) * (j - 1)))
    var_e = 2 * se**2 / ((i - 1) * (j - 1))
    np.testing.assert_allclose(np.diag(covariance), [var_a, var_b, var_e], rtol=1e-8)


def test_wald_intervals_contain_the_estimates_and_shares_sum_to_one():
    components = np.array([0.3, 0.0, 0.7])
    covariance = np.diag([0.01, 0.0004, 0.002])
    intervals = vc.wald_intervals(components, covariance, 0.95)
    assert np.all(intervals["lower"][:3] <= components) and np.all(
        components <= intervals["upper"][:3]
    )
    assert intervals["lower"][1] == 0.0  # a component at 0 gets a raw-scale interval from 0
    shares = components / components.sum()
    assert np.all(intervals["share_lower"][:3] <= shares + 1e-12)
    assert np.all(shares <= intervals["share_upper"][:3] + 1e-12)
    # a wider covariance, a wider interval
    wider = vc.wald_intervals(components, 4 * covariance, 0.95)
    assert wider["upper"][0] > intervals["upper"][0] and wider["lower"][0] < intervals["lower"][0]


def test_effect_bootstrap_is_centred_on_the_estimates_and_reproducible():
    rng = np.random.default_rng(6)
    y = rng.normal(size=(15, 1)) + 0.5 * rng.normal(size=(1, 15)) + rng.normal(size=(15, 15))
    frame = grid_frame(y)
    d = vc.design(frame["init_seed"], frame["order_seed"])
    estimates = vc.moment_estimates(frame["best"].to_numpy(), d)
    boot = vc.effect_bootstrap(
        frame["best"].to_numpy(), d, estimates, 2000, np.random.default_rng(0)
    )
    again = vc.effect_bootstrap(
        frame["best"].to_numpy(), d, estimates, 2000, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(boot, again)
    # the resampled effects have exactly the estimated variances: the bootstrap is centred there
    np.testing.assert_allclose(boot.mean(axis=0), estimates, rtol=0.08)


def test_bootstrap_intervals_cover_known_components():
    """Coverage of the 90% random-effect bootstrap intervals (pivotal, log scale) on 150
    simulated 12 x 12 grids with known components (moments only, so it is fast): between 75%
    and 98% for every component. Resampling 12 effects under-covers somewhat (their spread
    looks lighter-tailed than it is); a broken resampling (wrong scale, effects not resampled)
    covers far less. 150 replications: a standard error of about 2.5 points."""
    rng = np.random.default_rng(12)
    init, order = np.divmod(np.arange(144), 12)
    d = vc.design(init, order)
    truth = np.array([0.5, 0.3, 1.0])
    covered = np.zeros(3)
    reps = 150
    for _ in range(reps):
        y = (
            rng.normal(0, np.sqrt(truth[0]), 12)[init]
            + rng.normal(0, np.sqrt(truth[1]), 12)[order]
            + rng.normal(0, np.sqrt(truth[2]), 144)
        )
        estimates = vc.moment_estimates(y, d)
        boot = vc.effect_bootstrap(y, d, estimates, 400, rng)
        lower, upper = vc.pivotal_interval(estimates, boot, 0.9)
        covered += (lower <= truth) & (truth <= upper)
    coverage = covered / reps
    assert np.all(coverage > 0.75) and np.all(coverage < 0.98), coverage


def test_pivotal_interval_by_hand():
    boot = np.array([[0.5], [1.0], [2.0], [4.0], [8.0]])
    # quantiles at level 0.5 (25% and 75%): 1 and 4; log-scale reflection around the estimate 2
    lower, upper = vc.pivotal_interval(np.array([2.0]), boot, 0.5)
    assert lower[0] == pytest.approx(2.0**2 / 4.0) and upper[0] == pytest.approx(2.0**2 / 1.0)
    # an estimate at 0: the percentile interval
    lower, upper = vc.pivotal_interval(np.array([0.0]), boot, 0.5)
    assert (lower[0], upper[0]) == (1.0, 4.0)
    # shares: logit-scale reflection
    shares = np.array([[0.2], [0.4], [0.5], [0.6], [0.8]])
    lower, upper = vc.pivotal_interval(np.array([0.5]), shares, 0.5, "logit")
    assert lower[0] == pytest.approx(0.4) and upper[0] == pytest.approx(0.6)


def test_variance_components_rows_and_intervals():
    trials = make_trials(("rte",), 8, 8, sd_init=0.03, sd_order=0.02, sd_residual=0.01, seed=1)
    table = vc.variance_components(trials, "best", level=0.9, samples=300, seed=0).set_index(
        "component"
    )
    assert list(table.index) == ["init", "order", "residual", "total"]
    parts = table.loc[["init", "order", "residual"]]
    assert parts["moments"].sum() == pytest.approx(table.loc["total", "moments"])
    assert parts["moments_share"].sum() == pytest.approx(1.0)
    assert parts["reml_share"].sum() == pytest.approx(1.0)
    for estimator in ("moments", "reml"):
        assert np.all(table[f"{estimator}_lower"] <= table[estimator] + 1e-12)
        assert np.all(table[estimator] <= table[f"{estimator}_upper"] + 1e-12)
    assert table.loc["init", "n_trials"] == 64 and bool(table.loc["init", "balanced"])
    # the same seed gives the same intervals, another seed others
    again = vc.variance_components(trials, "best", level=0.9, samples=300, seed=0).set_index(
        "component"
    )
    pd.testing.assert_frame_equal(table, again)
    other = vc.variance_components(trials, "best", level=0.9, samples=300, seed=1).set_index(
        "component"
    )
    assert not np.allclose(other["moments_lower"], table["moments_lower"])


def test_views_exclude_failed_and_stopped_trials():
    trials = make_trials(("rte", "sst2"), 5, 5, failed_fraction=0.3, seed=2)
    trials.loc[0, "status"] = "stopped"
    table = vc.variance_components_table(trials, samples=50)
    assert set(table["view"]) == {"all", "without failed"}
    n = table.groupby(["task", "view"])["n_trials"].first()
    rte = trials[trials["task"] == "rte"]
    assert n[("rte", "all")] == len(rte) - 1
    assert n[("rte", "without failed")] == int(
        (~rte["failed"] & (rte["status"] != "stopped")).sum()
    )
    anova = vc.anova_table(trials)
    assert set(anova["view"]) == {"all", "without failed"}
    assert set(anova["score"]) == {"best", "final"}


def test_failures_dominate_the_all_view():
    """Runs that fail sit at the majority score: they inflate the residual of the all-trials
    view, and excluding them brings the seed effects back."""
    trials = make_trials(
        ("rte",), 10, 10, sd_init=0.03, sd_order=0.0, sd_residual=0.005, failed_fraction=0.2, seed=3
    )
    table = vc.variance_components_table(trials, scores=("best",), samples=100)
    share = table[table["component"] == "init"].set_index("view")["moments_share"]
    assert share["without failed"] > 0.8 > share["all"]


def test_replicate_cells_separate_interaction_from_noise():
    trials = make_trials(("rte",), 4, 4, replicates=3, seed=4)
    table = vc.variance_components(trials, samples=50)
    assert list(table["component"]) == ["init", "order", "interaction", "noise", "total"]
    assert int(table["max_replicates"].iloc[0]) == 3
    anova = vc.anova_table(trials).query("view == 'all' and score == 'best'").set_index("source")
    assert anova.loc["interaction", "df"] == 9 and anova.loc["noise", "df"] == 32
    assert anova.loc["init", "tested_against"] == "interaction"


def test_interaction_df_with_an_empty_cell():
    trials = make_trials(("rte",), 3, 3, replicates=2, seed=5)
    trials = trials[~((trials["init_seed"] == 1) & (trials["order_seed"] == 1))]
    anova = vc.two_way_anova(trials, interaction=True).set_index("source")
    # 8 cells - 3 init - 3 order + 1 = 3 interaction df, 16 trials - 8 cells = 8 noise df
    assert anova.loc["interaction", "df"] == 3 and anova.loc["noise", "df"] == 8


def test_two_by_two_grid_and_too_little_data():
    tiny = make_trials(("sst2",), 2, 2, seed=6)
    table = vc.variance_components(tiny, samples=20)
    assert list(table["component"]) == ["init", "order", "residual", "total"]
    assert np.isfinite(table["moments"]).all()
    one_init = tiny[tiny["init_seed"] == 1]
    table = vc.variance_components(one_init, samples=20)
    assert table["note"].str.startswith("not enough data").all()
    assert table["moments"].isna().all() if "moments" in table else True
    empty = vc.variance_components(tiny.iloc[0:0], samples=20)
    assert empty["note"].str.startswith("not enough data").all()
    # a whole study whose failed-excluded view is empty: tables, no crash
    failed = tiny.assign(failed=True)
    assert (
        vc.variance_components_table(failed, samples=20)["note"]
        .str.contains("not enough data")
        .any()
    )
    assert vc.anova_table(failed)["note"].str.contains("not enough data").any()


def test_disconnected_grid_is_not_enough_data():
    # seeds (1, 1), (2, 2) only: init and order effects are confounded
    with pytest.raises(vc.NotEnoughData):
        vc.design([1, 1, 2, 2], [1, 1, 2, 2])


def test_a_study_too_small_for_any_estimate_still_gives_tables_and_figures():
    """Two completed trials of one init seed (live early stopping stopped the others)."""
    from seedstudy.figures import variance_components as variance

    trials = pd.DataFrame(
        {
            "task": "sst2",
            "init_seed": [1, 1, 2, 2],
            "order_seed": [1, 2, 1, 2],
            "status": ["stopped", "stopped", "completed", "completed"],
            "best": [0.56, 0.56, 0.59, 0.60],
            "final": [0.56, 0.56, 0.56, 0.57],
            "failed": [True, True, False, False],
            "diverged": False,
            "majority": 0.56,
        }
    )
    table = vc.variance_components_table(trials, samples=20)
    assert set(vc.ESTIMATE_COLUMNS) <= set(table.columns)
    assert table["moments"].isna().all() and table["note"].str.contains("not enough data").all()
    variance.variance_table_page(table, vc.anova_table(trials))
    variance.variance_shares(table)
