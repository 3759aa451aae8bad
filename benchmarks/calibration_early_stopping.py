"""Calibration of early stopping's cross-fitted error reduction on simulated learning curves.

A study: an init x order grid of trials whose dev score at evaluation j of K is

    q_ij * (1 - exp(-3 j / K)) + N(0, noise),   q_ij = 0.8 + a_i + b_j + e_ij,

and with probability `failed` a trial fails (its curve stays near 0.5). The cross-fitted error
reduction (`early_stopping.cross_fit`) estimates what the setting chosen on half the trials does
on trials that did not choose it; its truth here is the error reduction of the chosen settings
on fresh studies of the same size (FRESH new grids per fold, the same simulator). The in-sample
error reduction (`simulate`) is biased above that truth.

Rows (`check, scenario, nominal, observed, n_datasets`; `calibration.py` explains the columns):
`early stopping: cross-fitted error reduction interval (budget x)`: coverage of the truth by the
bootstrap interval. `summary(quick, seed)` gives the mean in-sample, cross-fitted and fresh error
reductions behind them.

    python benchmarks/calibration_early_stopping.py --quick
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from seedstudy.analysis.early_stopping import cross_fit
from seedstudy.analysis.early_stopping.curves import TaskCurves
from seedstudy.analysis.early_stopping.simulation import draw_resamples, simulate

LEVEL = 0.95
K, BUDGETS, MAX_START, RESAMPLES = 6, 6, 30, 2000
CHECKED_BUDGETS = (3, 6)
FRESH = 10
# name: (init seeds, order seeds, sd of a, b, e; failed fraction; data sets quick, full)
SCENARIOS = {
    "10x5 trials, 20 % failed": (10, 5, 0.02, 0.01, 0.02, 0.2, 12, 60),
    "10x10 trials, no failures": (10, 10, 0.02, 0.01, 0.02, 0.0, 0, 30),
}


def study(n_init, n_order, sd_a, sd_b, sd_e, failed, rng) -> TaskCurves:
    i, j = np.indices((n_init, n_order))
    q = 0.8 + rng.normal(0, sd_a, n_init)[i] + rng.normal(0, sd_b, n_order)[j]
    q = (q + rng.normal(0, sd_e, q.shape)).ravel()
    q = np.where(rng.random(q.size) < failed, 0.5, q)
    steps = np.arange(K + 1)
    scores = q[:, None] * (1 - np.exp(-3 * steps / K))[None, :] + 0.5 * np.exp(-3 * steps / K)
    scores = scores + rng.normal(0, 0.01, scores.shape)
    return TaskCurves(
        task="sim",
        scores=scores,
        n_evals=np.full(q.size, K + 1),
        trials=pd.DataFrame({"init_seed": i.ravel(), "order_seed": j.ravel()}),
        steps=steps * 10,
        epochs=steps / K * 3,
    )


def _fresh_truth(chosen_by_fold, sizes, params, rng) -> np.ndarray:
    """Mean over folds of the chosen settings' error reduction on fresh studies of the
    measurement fold's size."""
    per_fold = []
    for chosen, (n_init, n_order) in zip(chosen_by_fold, sizes):
        values = []
        for _ in range(FRESH):
            fresh = study(n_init, n_order, *params, rng)
            draws = draw_resamples(fresh.n_trials, RESAMPLES, max(MAX_START, BUDGETS), rng)
            values.append(cross_fit._reductions(fresh, chosen, draws, BUDGETS))
        per_fold.append(np.mean(values, axis=0))
    return np.mean(per_fold, axis=0)


def scenario_results(name: str, quick: bool, seed: int) -> pd.DataFrame:
    n_init, n_order, sd_a, sd_b, sd_e, failed, n_quick, n_full = SCENARIOS[name]
    datasets = n_quick if quick else n_full
    rng = np.random.default_rng(seed)
    params = (sd_a, sd_b, sd_e, failed)
    frames = []
    for k in range(datasets):
        curves = study(n_init, n_order, *params, rng)
        _, best = simulate(curves, BUDGETS, MAX_START, RESAMPLES, seed=seed + k)
        choices = cross_fit.fold_choices(curves, BUDGETS, MAX_START, RESAMPLES, rng)
        fitted = cross_fit.cross_fitted(
            curves,
            BUDGETS,
            MAX_START,
            RESAMPLES,
            seed + k,
            LEVEL,
            100 if quick else 200,
            choices=choices,
        )
        sizes = [
            tuple(curves.trials.iloc[rows][c].nunique() for c in ("init_seed", "order_seed"))
            for _, rows in choices
        ]
        truth = _fresh_truth([chosen for chosen, _ in choices], sizes, params, rng)
        frames.append(fitted.assign(in_sample=best["error_reduction"].to_numpy(), fresh=truth, k=k))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def rows(quick: bool = False, seed: int = 2020) -> list[dict]:
    out = []
    for index, name in enumerate(SCENARIOS):
        results = scenario_results(name, quick, seed + 1000 * index)
        if results.empty:
            continue
        for budget in CHECKED_BUDGETS:
            group = results[results["budget"] == budget]
            covered = (group["cross_fitted_lower"] <= group["fresh"]) & (
                group["fresh"] <= group["cross_fitted_upper"]
            )
            out.append(
                {
                    "check": "early stopping: cross-fitted error reduction interval "
                    f"(budget {budget})",
                    "scenario": name,
                    "nominal": LEVEL,
                    "observed": float(covered.mean()),
                    "n_datasets": len(group),
                }
            )
    return out


def summary(quick: bool = False, seed: int = 2020) -> pd.DataFrame:
    """Mean in-sample, cross-fitted and fresh error reductions per scenario and budget."""
    frames = []
    for index, name in enumerate(SCENARIOS):
        results = scenario_results(name, quick, seed + 1000 * index)
        if not results.empty:
            means = results.groupby("budget")[
                ["in_sample", "error_reduction_cross_fitted", "fresh"]
            ].mean()
            frames.append(means.reset_index().assign(scenario=name))
    return pd.concat(frames, ignore_index=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--summary", action="store_true", help="mean error reductions instead")
    args = parser.parse_args(argv)
    pd.set_option("display.width", 250)
    table = (
        summary(args.quick, args.seed)
        if args.summary
        else pd.DataFrame(rows(args.quick, args.seed))
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
