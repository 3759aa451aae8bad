"""The recipe comparison: hand-computed small cases and independent implementations."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support.synthetic_trials import make_trials

from seedstudy.analysis import recipe_comparison as rc
from seedstudy.analysis import resampling
from seedstudy.analysis.expected_max import expected_max

CALIBRATION = Path(__file__).resolve().parents[1] / "benchmarks" / "calibration_recipes.py"


def recipe_trials(
    recipes=("base", "warmup"),
    shifts=(0.0, 0.01),
    n_init=5,
    n_order=5,
    tasks=("rte",),
    seed=0,
    failed=None,
):
    """The same seed grid trained with several recipes: shared seed effects (make_trials with one
    seed), a recipe shift and recipe-specific noise."""
    frames = []
    for k, (recipe, shift) in enumerate(zip(recipes, shifts)):
        table = make_trials(tasks=tasks, n_init=n_init, n_order=n_order, seed=seed)
        rng = np.random.default_rng(100 + k)
        table["best"] = table["best"] + shift + rng.normal(0, 0.01, len(table))
        table["final"] = table["final"] + shift + rng.normal(0, 0.01, len(table))
        table["failed"] = rng.random(len(table)) < (failed[k] if failed else 0.0)
        frames.append(table.assign(recipe=recipe))
    return pd.concat(frames, ignore_index=True)


def test_cell_weights_are_the_cells_of_the_resampled_seeds():
    """A resample's weighted mean equals the mean over the materialised cells of the drawn
    init rows and order columns (with multiplicity)."""
    rng = np.random.default_rng(1)
    grid = rng.normal(size=(4, 3))
    init, order = np.repeat(np.arange(4), 3), np.tile(np.arange(3), 4)
    counts = resampling.seed_counts(4, 3, 50, rng)
    means = resampling.weighted_means(
        grid[init, order], resampling.cell_weights(init, order, counts)
    )
    for b in range(50):
        rows = np.repeat(np.arange(4), counts[0][b])
        columns = np.repeat(np.arange(3), counts[1][b])
        assert means[b] == pytest.approx(grid[np.ix_(rows, columns)].mean())


def test_two_by_two_by_hand():
    # A - B per cell (init, order): (0,0) 1, (0,1) 2, (1,0) 0, (1,1) 3;
    # A beats B in 3 cells, one tie
    a = np.array([2.0, 3.0, 1.0, 4.0])
    b = np.array([1.0, 1.0, 1.0, 1.0])
    init, order = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    # resample 1: init seed 0 twice, order seeds once each: cells (0,0), (0,1) twice each;
    # resample 3: init seed 1 and order seed 0 twice each: cell (1,0) four times
    counts = (np.array([[2, 0], [1, 1], [0, 2]]), np.array([[1, 1], [1, 1], [2, 0]]))
    weights = resampling.cell_weights(init, order, counts)
    assert weights.tolist() == [[2, 2, 0, 0], [1, 1, 1, 1], [0, 0, 4, 0]]
    assert resampling.weighted_means(a - b, weights).tolist() == [1.5, 1.5, 0.0]
    assert resampling.outperform_indicator(a, b).tolist() == [1, 1, 0.5, 1]
    statistics = rc.pair_statistics(a, b, init, order, weights, 0.95)
    assert statistics["mean_diff"] == 1.5
    assert statistics["p_outperform"] == 0.875
    assert statistics["n_cells"] == 4
    # the crossed moment SE of the differences [[1, 2], [0, 3]]: MS_init 0, MS_order 4,
    # MS_residual 1, so s2_init = (0 - 1) / 2 -> 0, s2_order = (4 - 1) / 2 = 1.5, residual 1;
    # Var(mean) = 0 / 2 + 1.5 / 2 + 1 / 4 = 1; t on min(2, 2) - 1 = 1 df
    assert statistics["se"] == pytest.approx(1.0)
    assert statistics["df"] == 1
    half = stats.t.ppf(0.975, 1)
    assert (statistics["t_low"], statistics["t_high"]) == pytest.approx((1.5 - half, 1.5 + half))
    assert statistics["p_value"] == pytest.approx(2 * stats.t.sf(1.5, 1))


def test_bootstrap_p_value_by_hand():
    boot = np.array([-1.0, 0.5, 1.0, 2.0])  # sd 1.25
    assert resampling.bootstrap_p_value(1.0, boot) == pytest.approx(2 * stats.norm.sf(1.0 / 1.25))
    assert resampling.bootstrap_p_value(0.0, np.zeros(9)) == 1.0
    assert resampling.bootstrap_p_value(0.1, np.full(9, 0.1)) == 0.0


def test_one_order_seed_is_the_ordinary_bootstrap_of_scipy():
    """With one order seed, resampling init seeds is resampling cells: the percentile interval
    agrees with scipy.stats.bootstrap's up to Monte Carlo error."""
    rng = np.random.default_rng(3)
    diff = rng.normal(0.2, 1.0, 40)
    counts = resampling.seed_counts(40, 1, 20000, rng)
    boot = resampling.weighted_means(
        diff, resampling.cell_weights(np.arange(40), np.zeros(40, dtype=int), counts)
    )
    low, high = resampling.percentile_interval(boot, 0.95)
    reference = stats.bootstrap(
        (diff,),
        np.mean,
        n_resamples=20000,
        method="percentile",
        confidence_level=0.95,
        random_state=np.random.default_rng(4),
    ).confidence_interval
    assert low == pytest.approx(reference.low, abs=0.02)
    assert high == pytest.approx(reference.high, abs=0.02)


def test_aso_point_is_deepsigs_violation_ratio():
    """With resamples that all keep every cell once, eps_min is the violation ratio itself,
    deepsig's; the weighted quantiles with unit weights are deepsig's quantile function."""
    from deepsig.aso import compute_violation_ratio, get_quantile_function

    rng = np.random.default_rng(5)
    for n, shift in ((30, 0.3), (25, -0.2), (12, 0.0)):
        a, b = rng.normal(shift, 1, n), rng.normal(0, 1, n)
        expected = compute_violation_ratio(np.sort(a), np.sort(b), dt=rc.ASO_DT)
        assert rc.aso_eps_min(a, b, np.ones((5, n)), 0.95) == pytest.approx(expected)
        t = np.arange(0.01, 1, 0.01)
        quantile = get_quantile_function(np.sort(a))
        assert rc._weighted_quantiles(a, np.ones((1, n)), t)[0] == pytest.approx(
            [float(quantile(p)) for p in t]
        )


def test_aso_on_independent_cells_agrees_with_deepsig():
    """With one order seed the seed resamples are resamples of independent cells, as deepsig
    draws them: eps_min agrees with deepsig's up to Monte Carlo error."""
    from deepsig import aso

    rng = np.random.default_rng(9)
    a, b = rng.normal(0.4, 1, 40), rng.normal(0, 1, 40)
    counts = resampling.seed_counts(40, 1, 2000, rng)
    weights = resampling.cell_weights(np.arange(40), np.zeros(40, dtype=int), counts)
    expected = aso(
        a, b, confidence_level=0.95, num_bootstrap_iterations=500, seed=1, show_progress=False
    )
    assert rc.aso_eps_min(a, b, weights, 0.95) == pytest.approx(expected, abs=0.04)


def test_weighted_expected_max_is_the_studys_estimator():
    rng = np.random.default_rng(6)
    values = rng.normal(size=12)
    ns = [1, 3, 12]
    unit = rc.weighted_expected_max(values, np.ones((1, 12)), ns)[0]
    reference = expected_max(values).set_index("n")["expected_max"]
    assert unit == pytest.approx(reference[ns].to_numpy())
    # integer weights: the estimator of the values repeated that often
    weights = rng.integers(0, 4, 12)
    weights[0] = 1
    repeated = expected_max(np.repeat(values, weights)).set_index("n")["expected_max"]
    assert rc.weighted_expected_max(values, weights[None, :], [1, 5])[0] == pytest.approx(
        repeated[[1, 5]].to_numpy()
    )


def test_wilson_and_mcnemar_by_hand():
    failed, n, z = 3, 20, stats.norm.ppf(0.975)
    p = failed / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert resampling.wilson_interval(failed, n, 0.95) == pytest.approx(
        (centre - half, centre + half)
    )
    failed_a = np.array([1, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    failed_b = np.array([0, 0, 0, 1, 1, 0, 0, 0], dtype=bool)
    b, c, p_value = resampling.mcnemar_exact(failed_a, failed_b)
    assert (b, c) == (4, 1)
    assert p_value == pytest.approx(stats.binomtest(1, 5, 0.5).pvalue)


def test_holm_by_hand_and_as_statsmodels():
    from statsmodels.stats.multitest import multipletests

    assert resampling.holm([0.01, 0.04, 0.03, np.nan]) == pytest.approx(
        [0.03, 0.06, 0.06, np.nan], nan_ok=True
    )
    p = np.random.default_rng(8).uniform(0, 0.2, 15) ** 2
    assert resampling.holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    assert resampling.holm([]).size == 0


def test_compare_tables_have_the_agreed_columns():
    trials = recipe_trials(
        recipes=("base", "warmup", "llrd"),
        shifts=(0.0, 0.04, 0.0),
        tasks=("rte", "mrpc"),
        failed=(0.1, 0.3, 0.0),
    )
    tables = rc.compare(trials, resamples=200)
    assert set(tables) == set(rc.COLUMNS)
    for name, table in tables.items():
        assert list(table.columns) == rc.COLUMNS[name], name
    differences = tables["differences"]
    # 2 tasks x 2 scores x 3 pairs, each pair once in the order the recipes appear
    assert len(differences) == 12
    assert set(zip(differences["recipe_a"], differences["recipe_b"])) == {
        ("base", "warmup"),
        ("base", "llrd"),
        ("warmup", "llrd"),
    }
    assert (differences["n_cells"] == 25).all()
    assert (differences["boot_low"] <= differences["mean_diff"]).all()
    assert (differences["mean_diff"] <= differences["boot_high"]).all()
    assert (
        (differences["p_low"] <= differences["p_outperform"])
        & (differences["p_outperform"] <= differences["p_high"])
    ).all()
    assert (differences["p_holm"] >= differences["p_value"]).all()
    # a shift of 4 sd of the noise on 5 x 5 seeds (t on 4 df, Holm over 12) is found;
    # warmup beats both others
    found = differences[(differences["score"] == "best") & (differences["recipe_b"] == "warmup")]
    assert (found["decision"] == "warmup > base").all()
    assert (
        (differences["decision"] == "no difference shown") == (differences["p_holm"] >= 0.05)
    ).all()
    emax = tables["expected_max"]
    assert sorted(emax["n"].unique()) == [1, 5, 10, 25]
    # no interval at n = N (the estimator's bias there is not resampled away); n = 1 has one
    assert emax.loc[emax["n"] == 25, ["low", "high"]].isna().all().all()
    printed = emax[emax["low"].notna()]
    assert set(printed["n"]) >= {1}
    assert (
        (printed["low"] < printed["expected_max"]) & (printed["expected_max"] < printed["high"])
    ).all()
    emax_diff = tables["expected_max_differences"]
    first = emax_diff[emax_diff["n"] == 1].set_index(["task", "score", "recipe_a", "recipe_b"])[
        "diff"
    ]
    # the expected best of one trial is the mean: its difference is the mean paired difference
    assert first.to_numpy() == pytest.approx(
        differences.set_index(["task", "score", "recipe_a", "recipe_b"])
        .loc[first.index, "mean_diff"]
        .to_numpy()
    )
    mixed = tables["mixed_model"]
    effect = mixed[mixed["term"] == "base - warmup: difference"]
    # a balanced grid: the GLS recipe effect is the mean paired difference
    assert effect["estimate"].to_numpy() == pytest.approx(
        differences[(differences["recipe_a"] == "base") & (differences["recipe_b"] == "warmup")][
            "mean_diff"
        ].to_numpy(),
        abs=1e-6,
    )
    assert {"base: variance init", "warmup: variance order", "llrd: variance residual"} <= set(
        mixed["term"]
    )
    failures = tables["failures"]
    assert len(failures) == 6 and (failures["trials"] == 25).all()
    tests = tables["failure_tests"]
    assert len(tests) == 6 and (tests["p_holm"] >= tests["p_value"]).all()


def test_compare_is_reproducible_and_leaves_out_stopped_trials():
    trials = recipe_trials()
    first = rc.compare(trials, resamples=100, seed=3)["differences"]
    assert rc.compare(trials, resamples=100, seed=3)["differences"].equals(first)
    stopped = trials.copy()
    stopped.loc[0, "status"] = "stopped"
    assert rc.compare(stopped, resamples=100, seed=3)["differences"]["n_cells"].tolist() == [24, 24]


def test_a_single_recipe_gives_empty_tables_with_their_columns():
    tables = rc.compare(recipe_trials(recipes=("base",), shifts=(0.0,)), resamples=50)
    for name, table in tables.items():
        assert table.empty and list(table.columns) == rc.COLUMNS[name]


def test_bad_input_is_named():
    trials = recipe_trials()
    with pytest.raises(ValueError, match="recipe"):
        rc.compare(trials.drop(columns="recipe"))
    with pytest.raises(ValueError, match="same"):
        rc.compare(pd.concat([trials, trials.iloc[:1]]))
    with pytest.raises(ValueError, match="level"):
        rc.compare(trials, level=95)


def test_figure_pages(tmp_path):
    from seedstudy.figures import recipe_comparison as figures
    from seedstudy.figures import save

    trials = recipe_trials(recipes=("base", "warmup", "llrd"), shifts=(0.0, 0.02, 0.0))
    tables = rc.compare(trials, resamples=100)
    page = figures.task_page(trials, tables, "rte")
    # per score: cells, P(A > B), expected max; every recipe's curve on the expected-max axes
    assert len(page.axes) == 6
    labels = [
        line.get_label()
        for line in page.axes[2].get_lines()
        if not line.get_label().startswith("_")
    ]
    assert labels == ["base (N=25)", "warmup (N=25)", "llrd (N=25)"]
    save(page, tmp_path / "task.pdf", "recipes", "caption")
    decisions = figures.table_page(tables)
    assert "Holm" in decisions.axes[0].get_title()
    save(decisions, tmp_path / "table.pdf", "decisions", "caption")
    assert (tmp_path / "task.pdf").stat().st_size > 0 and (
        tmp_path / "table.pdf"
    ).stat().st_size > 0
    empty = figures.table_page(
        rc.compare(recipe_trials(recipes=("base",), shifts=(0.0,)), resamples=50)
    )
    assert empty.axes[0].texts


def _simulated_pairs(n_seeds, interaction, effect, datasets, resamples, seed):
    """Two recipes on an n x n grid, shared seed effects (0.3, 0.2), recipe-by-seed effects of
    variance `interaction`, residual 0.5, A ahead by `effect`: the pair statistics, the two-way
    bootstrap z p-value and the data of every data set."""
    rng = np.random.default_rng(seed)
    init, order = np.repeat(np.arange(n_seeds), n_seeds), np.tile(np.arange(n_seeds), n_seeds)
    for _ in range(datasets):
        shared = rng.normal(0, 0.3**0.5, n_seeds)[init] + rng.normal(0, 0.2**0.5, n_seeds)[order]
        a, b = (
            mean
            + shared
            + rng.normal(0, interaction**0.5, n_seeds)[init]
            + rng.normal(0, interaction**0.5, n_seeds)[order]
            + rng.normal(0, 0.5**0.5, init.size)
            for mean in (effect, 0.0)
        )
        weights = resampling.cell_weights(
            init, order, resampling.seed_counts(n_seeds, n_seeds, resamples, rng)
        )
        statistics = rc.pair_statistics(a, b, init, order, weights, 0.95)
        boot = resampling.weighted_means(a - b, weights)
        yield statistics, resampling.bootstrap_p_value(statistics["mean_diff"], boot), a, b, weights


@pytest.mark.parametrize("interaction", [0.0, 0.3])
def test_decision_holds_its_level_under_the_null(interaction):
    """5 x 5 seeds, with and without a recipe that reshuffles which seeds are good (the
    unfavourable case: the cells of a pair are correlated through their seeds): the crossed t
    test rejects at most 5 % (+ Monte Carlo error) and its interval covers at most 99 %."""
    runs = list(_simulated_pairs(5, interaction, 0.0, 400, 50, seed=int(10 * interaction)))
    rejected = np.mean([statistics["p_value"] < 0.05 for statistics, *_ in runs])
    covered = np.mean([s["t_low"] <= 0 <= s["t_high"] for s, *_ in runs])
    assert rejected <= 0.075
    assert 0.925 <= covered <= (0.99 if interaction else 1.0)


def test_decision_is_more_powerful_than_the_seed_bootstrap():
    """25 x 25 seeds, a recipe that shifts every score by 0.1 sd without reshuffling the seeds:
    the crossed t test finds it about 57 % of the time, the two-way bootstrap z test about
    20 % (its SE is 1.6-1.7 times too large there)."""
    runs = list(_simulated_pairs(25, 0.0, 0.1, 100, 300, seed=3))
    power = np.mean([statistics["p_value"] < 0.05 for statistics, *_ in runs])
    bootstrap_power = np.mean([p < 0.05 for _, p, *_ in runs])
    assert power >= 0.42
    assert power >= bootstrap_power + 0.2


@pytest.mark.slow
def test_aso_under_the_null_rarely_declares_dominance():
    """Two recipes that differ only in recipe-by-seed effects and noise, 10 x 10 seeds: eps_min
    < 0.2 in at most 7 % of data sets (resampling the cells as independent trials, as deepsig
    does, declares it in about a third on 25 x 25)."""
    runs = _simulated_pairs(10, 0.3, 0.0, 150, 200, seed=4)
    declared = np.mean([rc.aso_eps_min(a, b, weights, 0.95) < 0.2 for *_, a, b, weights in runs])
    assert declared <= 0.07


@pytest.mark.slow
def test_expected_max_intervals_cover_where_given():
    """10 x 10 seeds with large seed shares: a recipe's expected best of n trials gets an
    interval only for small n (a quarter of the effective sample size, about 20 here) and it
    covers E[max of n fresh trials], N(0, 1 + 2 x 0.3), near 95 %; never at n = N."""
    from scipy import integrate

    sd = (1 + 2 * 0.3) ** 0.5
    ns = [1, 2, 5, 100]

    def truth(n):
        density = stats.norm.pdf
        return (
            sd
            * integrate.quad(lambda x: x * n * density(x) * stats.norm.cdf(x) ** (n - 1), -12, 12)[
                0
            ]
        )

    hits = {n: [] for n in ns}
    init, order = np.repeat(np.arange(10), 10), np.tile(np.arange(10), 10)
    own = pd.DataFrame({"init_seed": init, "order_seed": order})
    for _, _, a, _, weights in _simulated_pairs(10, 0.3, 0.0, 200, 300, seed=5):
        own["score"] = a
        boot = rc.weighted_expected_max(a, weights, ns)
        for n, (low, high) in zip(ns, rc.expected_max_intervals(own, "score", ns, boot, 0.95)):
            if np.isfinite(low):
                hits[n].append(low <= truth(n) <= high)
    assert not hits[100]
    assert len(hits[1]) == 200 and len(hits[5]) < 50
    for n in (1, 2):
        assert 0.92 <= np.mean(hits[n]) <= 0.995, n


def test_calibration_rows_have_the_harness_columns(monkeypatch):
    """benchmarks/calibration_recipes.py on one small scenario and three data sets: every check
    once, the columns the calibration harness reads, rates in [0, 1]."""
    spec = importlib.util.spec_from_file_location("calibration_recipes", CALIBRATION)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    rows = pd.DataFrame(module.scenario_rows(module.SCENARIOS[1], 3, 50, seed=1))
    assert list(rows.columns) == ["check", "scenario", "nominal", "observed", "n_datasets"]
    assert rows["check"].is_unique
    assert {
        "recipe decision: type-I error",
        "ASO eps_min < 0.2 under the null",
        "P(A > B): two-way bootstrap interval",
        "CDF band (effective size)",
        "recipe difference: mixed model Wald interval",
    } <= set(rows["check"])
    assert rows["check"].str.contains("power").sum() == 1
    assert rows["observed"].between(0, 1).all() and rows["nominal"].between(0, 1).all()
