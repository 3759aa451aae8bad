"""The planner (seedstudy.analysis.plan) and `seedstudy plan`: power and MDE against
statsmodels and a hand-computed grid case, the pilot's components, costs and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from statsmodels.stats.power import TTestIndPower, TTestPower
from support.synthetic_trials import make_trials

from seedstudy import cli
from seedstudy.analysis import crossed
from seedstudy.analysis import plan as p
from seedstudy.analysis.variance_components import design, moment_estimates

SD = p.Components(0.3, 0.2, 0.5)
TOTAL = math.sqrt(0.3**2 + 0.2**2 + 0.5**2)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 25, 50])
@pytest.mark.parametrize("effect", [0.05, 0.3, 1.0])
def test_one_factor_power_equals_statsmodels(n, effect):
    paired = TTestPower().power(effect / TOTAL, n, 0.05, alternative="two-sided")
    unpaired = TTestIndPower().power(effect / TOTAL, n, 0.05, ratio=1, alternative="two-sided")
    assert p.power(effect, "pairs", n, SD, 0.05) == pytest.approx(paired, abs=1e-10)
    assert p.power(effect, "independent", n, SD, 0.05) == pytest.approx(unpaired, abs=1e-10)


@pytest.mark.parametrize("n", [3, 10, 40])
def test_mde_inverts_statsmodels_solve_power(n):
    d = TTestPower().solve_power(None, nobs=n, alpha=0.05, power=0.8)
    d_ind = TTestIndPower().solve_power(None, nobs1=n, alpha=0.05, power=0.8, ratio=1)
    assert p.mde("pairs", n, SD, 0.05, 0.8) == pytest.approx(d * TOTAL, rel=1e-6)
    assert p.mde("independent", n, SD, 0.05, 0.8) == pytest.approx(d_ind * TOTAL, rel=1e-6)


def test_grid_power_by_hand():
    """4 x 4 grid, variances 0.04 / 0.01 / 0.16: Var = 0.04/4 + 0.01/4 + 0.16/16 = 0.0225, se
    0.15, t on 3 df; effect 0.3 is noncentrality 2. The power integrates the normal over the
    chi-square of the SE (independent of scipy's noncentral t)."""
    sd = p.Components(0.2, 0.1, 0.4)
    assert crossed.design_variance("grid", 4, 0.2, 0.1, 0.4) == pytest.approx(0.0225)
    q, df, ncp = stats.t.ppf(0.975, 3), 3, 2.0

    def rejects(v):
        threshold = q * math.sqrt(v / df)
        tails = stats.norm.sf(threshold - ncp) + stats.norm.cdf(-threshold - ncp)
        return tails * stats.chi2.pdf(v, df)

    expected = integrate.quad(rejects, 0, np.inf, epsabs=1e-13)[0]
    assert p.power(0.3, "grid", 4, sd, 0.05) == pytest.approx(expected, abs=1e-9)


def test_grid_against_pairs_example():
    """The recipe-comparison benchmark's variances 0.1 / 0.1 / 1.0: a 25 x 25 grid against the
    same 625 trials as seed pairs."""
    sd = p.Components(*(math.sqrt(v) for v in (0.1, 0.1, 1.0)))
    assert p.mde("grid", 25, sd) == pytest.approx(0.286, abs=1e-3)
    assert p.mde("pairs", 625, sd) == pytest.approx(0.123, abs=1e-3)
    assert "25 x 25 grid" in p.same_trials(
        p.Question("t", "a", "b", p.PilotComponents(sd, None, True), None),
        "estimate",
        25,
        0.05,
        0.8,
    )


@pytest.mark.parametrize("design_name", crossed.DESIGNS)
def test_smallest_n_reaches_the_target_and_one_less_does_not(design_name):
    n = p.smallest_n(0.2, design_name, SD, 0.05, 0.8)
    assert p.power(0.2, design_name, n, SD) >= 0.8
    assert n == 2 or p.power(0.2, design_name, n - 1, SD) < 0.8


def test_no_variance_is_full_power():
    zero = p.Components(0.0, 0.0, 0.0)
    assert p.power(0.1, "pairs", 2, zero) == 1.0


def test_largest_n_within_a_budget():
    assert p.largest_n_within(50.0, "grid", 0.5) == 10  # 100 cells: 10 x 10
    assert p.largest_n_within(50.0, "pairs", 0.5) == 100
    assert p.largest_n_within(1.0, "grid", 0.5) is None
    assert p.largest_n_within(1.0, "grid", np.nan) is None


def test_crossed_pilot_estimates_are_the_moments_and_bounds_above():
    trials = make_trials(n_init=5, n_order=5, sd_init=0.02, sd_order=0.01, sd_residual=0.01)
    found = p.pilot_components(trials["best"], trials["init_seed"], trials["order_seed"], 200)
    moments = moment_estimates(
        trials["best"].to_numpy(), design(trials["init_seed"], trials["order_seed"])
    )
    assert found.crossed
    assert [found.estimate.init**2, found.estimate.order**2, found.estimate.residual**2] == (
        pytest.approx(list(moments))
    )
    for name in ("init", "order", "residual"):
        assert getattr(found.conservative, name) >= getattr(found.estimate, name)


def test_pairs_pilot_chi_square_bound():
    values = np.array([0.1, 0.3, 0.2, 0.5, 0.4])
    found = p.pilot_components(values, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    s2 = np.var(values, ddof=1)
    assert not found.crossed
    assert found.estimate.residual == pytest.approx(math.sqrt(s2))
    assert found.conservative.residual**2 == pytest.approx(4 * s2 / stats.chi2.ppf(0.2, 4))
    question = p.Question("t", "a", "b", found, None)
    assert question.components("grid", "estimate") is None  # init and order confounded


def test_pilot_with_one_seed_on_an_axis_is_refused():
    with pytest.raises(ValueError, match="1 init seed"):
        p.pilot_components([0.1, 0.2, 0.3], [1, 1, 1], [1, 2, 3])


def _pilot(tmp_path, recipes=("adamw", "bertadam"), n=4, benchmarks=True):
    frames = []
    for k, recipe in enumerate(recipes):
        trials = make_trials(n_init=n, n_order=n, seed=k)
        trials.insert(0, "recipe", recipe)
        folder = f"{recipe}/" if len(recipes) > 1 else ""
        trials["path"] = [
            f"results/trials/{folder}rte/init{i}_order{o}.json"
            for i, o in zip(trials["init_seed"], trials["order_seed"])
        ]
        frames.append(trials)
        for i, o in zip(trials["init_seed"], trials["order_seed"]):
            stem = tmp_path / "benchmarks" / "finetune" / f"{folder}rte" / f"init{i}_order{o}"
            stem.parent.mkdir(parents=True, exist_ok=True)
            if benchmarks:
                stem.with_suffix(".tsv").write_text(f"s\th:m:s\n{60 * (k + 1)}\t0:01:00\n")
        trial_dir = tmp_path / "trials" / f"{folder}rte"
        trial_dir.mkdir(parents=True, exist_ok=True)
        device = {"environment": {"device": "cuda:NVIDIA H100"}}
        (trial_dir / "init1_order1.json").write_text(json.dumps(device))
    (tmp_path / "aggregate").mkdir(exist_ok=True)
    table = pd.concat(frames, ignore_index=True)
    table.to_parquet(tmp_path / "aggregate" / "trials.parquet")
    return table


def test_trial_costs_from_benchmarks_else_run_records(tmp_path):
    trials = _pilot(tmp_path)
    costs = p.trial_costs(trials, tmp_path)
    assert costs.set_index("recipe")["seconds"].to_dict() == {"adamw": 60.0, "bertadam": 120.0}
    assert set(costs["device"]) == {"cuda:NVIDIA H100"}
    assert p.cost_of(costs, "rte", ("adamw", "bertadam"))[0] == pytest.approx(180 / 3600)
    bare = _pilot(tmp_path / "bare", benchmarks=False)
    assert p.trial_costs(bare, tmp_path / "bare")["seconds"].tolist() == [1.0, 1.0]  # wall_s


def test_one_recipe_pilot_plans_over_a_range(tmp_path):
    trials = _pilot(tmp_path, recipes=("default",))
    questions = p.pilot_questions(trials, resamples=100)
    assert [q.assumption for q in questions][1:] == [
        f"recipe x seed variances = {f:g} x the pilot's" for f in p.RANGE
    ]
    table, _ = p.plan_tables(questions, 0.01)
    assert set(table.loc[table["design"] == "independent", "assumption"]) == {
        "both at the pilot's variances"
    }


def test_bad_names_are_refused(tmp_path):
    trials = _pilot(tmp_path)
    with pytest.raises(ValueError, match="unknown task 'mrpc'"):
        p.pilot_questions(trials, task="mrpc")
    with pytest.raises(ValueError, match="--recipes adamw sgd"):
        p.pilot_questions(trials, recipes=["adamw", "sgd"])
    with pytest.raises(ValueError, match="--effect must be > 0"):
        p.check_targets(0.0)
    with pytest.raises(ValueError, match="--power must be in"):
        p.check_targets(0.01, power=1.0)


def test_cli_plans_a_recipes_pilot(tmp_path, capsys):
    _pilot(tmp_path)
    out = tmp_path / "plan.csv"
    argv = ["plan", "--results", str(tmp_path), "--effect", "0.01", "--resamples", "100"]
    assert cli.main([*argv, "--budget-gpu-hours", "10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rte: adamw - bertadam" in printed and "recommended:" in printed
    assert "within 10 GPU-hours" in printed and "cuda:NVIDIA H100" in printed
    table = pd.read_csv(out)
    assert list(table.columns[:10]) == [
        "task",
        "recipe_a",
        "recipe_b",
        "design",
        "n",
        "trials",
        "power",
        "mde",
        "gpu_hours",
        "plan",
    ]
    assert set(table["plan"]) == {"estimate", "conservative"}
    assert set(table["n"]) == set(p.NS)


def test_cli_given_components(tmp_path, capsys):
    argv = ["plan", "--results", str(tmp_path), "--effect", "0.3", "--design", "pairs"]
    assert cli.main([*argv, "--sd-recipe-residual", "1.0"]) == 0
    printed = capsys.readouterr().out
    assert "smallest n, pairs, estimate plan: n = 90" in printed  # (2.8 / 0.3)^2 + t's share


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--effect", "0"], "--effect must be > 0"),
        (["--effect", "0.01", "--power", "1.2"], "--power must be in (0, 1)"),
        (["--effect", "0.01"], "no trials table at"),
        (["--effect", "0.01", "--sd-init", "-1"], "--sd-init must be"),
    ],
)
def test_cli_bad_input(tmp_path, capsys, extra, message):
    assert cli.main(["plan", "--results", str(tmp_path / "none"), *extra]) == 2
    assert message in capsys.readouterr().err


def test_cli_budget_without_times(tmp_path, capsys):
    argv = ["plan", "--results", str(tmp_path), "--effect", "0.3", "--sd-residual", "1"]
    assert cli.main([*argv, "--budget-gpu-hours", "5"]) == 2
    assert "needs the trials' wall times" in capsys.readouterr().err


def test_pilot_without_finished_trials_is_refused(tmp_path):
    trials = _pilot(tmp_path)
    trials.assign(status="stopped").to_parquet(tmp_path / "aggregate" / "trials.parquet")
    with pytest.raises(ValueError, match="no trials in"):
        p.load_pilot(tmp_path)


def test_study_plan_of_a_recipes_study_and_its_page(tmp_path):
    from seedstudy.figures import plan as plots

    trials = _pilot(tmp_path)
    tables, notes = p.study_plan(
        trials, p.trial_costs(trials, tmp_path), 0.01, budget_hours=5, resamples=50
    )
    assert notes == []
    assert set(tables["plan"]["design"]) == set(crossed.DESIGNS)
    assert set(tables["power_curves"]["design"]) == {"grid"}
    assert set(tables["mean"]["recipe"]) == {"adamw", "bertadam"}
    assert tables["needed"]["n_budget"].notna().all()
    assert len(plots.plan_page(tables, 0.8).axes) == 3


def test_study_plan_of_one_recipe_names_the_tasks_it_cannot_plan():
    trials = make_trials(tasks=("rte", "mrpc"), n_init=3, n_order=3)
    trials.insert(0, "recipe", "default")
    thin = trials[(trials["task"] == "rte") | (trials["init_seed"] == 1)]
    tables, notes = p.study_plan(thin, None, 0.01, resamples=50)
    assert notes and notes[0].startswith("mrpc: not planned") and "1 init seed" in notes[0]
    assert set(tables["plan"]["task"]) == {"rte"}
    best = tables["expected_max"].iloc[0]
    assert 1 <= best["n"] <= best["n_max"] == 9


def test_expected_max_trials_by_hand():
    # scores 0, 1: E[max of n] = 1 - 0.5^n; at n = 2 it is 0.75 -> within 0.25 of 0.75 from n = 1
    assert p.expected_max_trials([0.0, 1.0], 0.25) == {
        "n_max": 2,
        "expected_max_at_n_max": 0.75,
        "n": 1,
    }
    assert p.expected_max_trials([0.0, 1.0], 0.1)["n"] == 2


def test_mean_interval_width_by_hand():
    own = p.PilotComponents(p.Components(0.2, 0.1, 0.4), None, True)
    rows = p.mean_interval_rows("t", "r", own, 0.95, designs=("grid",), ns=(4,))
    assert rows[0]["interval_width"] == pytest.approx(2 * stats.t.ppf(0.975, 3) * 0.15)


def test_fresh_test_variance_equals_the_stratified_bootstrap_variance_by_hand():
    """Accuracy, labels stratified: the bootstrap variance of the mean over cells of A - B is
    sum over labels of m_l * var_l(delta) / m^2, delta the per-example mean difference."""
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], [30, 50])
    a = np.where(rng.random((6, 80)) < 0.8, labels, 1 - labels)
    b = np.where(rng.random((6, 80)) < 0.7, labels, 1 - labels)
    delta = (a == labels).mean(0) - (b == labels).mean(0)
    expected = sum((labels == k).sum() * np.var(delta[labels == k]) for k in (0, 1)) / 80**2
    found = p.fresh_test_variance(a, b, labels, "accuracy", samples=20000)
    assert found == pytest.approx(expected, rel=0.05)


def _with_predictions(tmp_path):
    """The recipes pilot with a predictions file per trial and a prepared dev split."""
    from datasets import Dataset

    from seedstudy.store import predictions

    trials = _pilot(tmp_path)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 50)
    dev = tmp_path / "data" / "model" / "rte" / "dev"
    Dataset.from_dict({"label": labels, "input_ids": [[1, 2]] * 50}).save_to_disk(str(dev))
    for recipe, path in zip(trials["recipe"], trials["path"]):
        right = 0.8 if recipe == "adamw" else 0.7
        preds = np.where(rng.random((5, 50)) < right, labels, 1 - labels).astype(np.int8)
        trial = tmp_path / "trials" / path[len("results/trials/") :]
        trial.parent.mkdir(parents=True, exist_ok=True)
        predictions.write(predictions.path_for(trial), preds)
    return trials


def test_a_pilot_with_predictions_plans_for_a_fresh_test_set(tmp_path, capsys):
    trials = _with_predictions(tmp_path)
    variance = p.pilot_test_variance(trials, tmp_path, "adamw", "bertadam", "final")
    assert 0 < variance < 0.01
    out = tmp_path / "plan.csv"
    argv = ["plan", "--results", str(tmp_path), "--effect", "0.01", "--resamples", "50"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert "fresh test set of the dev set's size" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert set(table["evaluation"]) == {"same dev set", "fresh test set"}
    same, fresh = (
        table[table["evaluation"] == e].reset_index() for e in ("same dev set", "fresh test set")
    )
    assert (fresh["mde"] > same["mde"]).all()
