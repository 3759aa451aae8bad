"""Algorithm 1's error reduction, cross-fitted: the setting is chosen on half of the trials and
its error reduction measured on the other half.

`simulate` chooses, per budget, the setting (t, k, p) with the highest expected best among
hundreds of candidates and reports its error reduction on the same trials: the maximum of noisy
estimates is biased upwards (the winner's curse). Here the init seeds are split at random into
two folds (every trial of an init seed in one fold, so the folds share no init seed); for each
fold the setting is chosen on it and its error reduction against the baseline measured on the
other fold (same draws for both); the cross-fitted error reduction is the mean over the two
folds. Its interval: a percentile bootstrap over the measurement folds' init seeds (resampled
with replacement within each fold, the choices held fixed), which assumes the trials of
different init seeds are independent.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .curves import TaskCurves
from .kernel import candidate_means, candidate_outcomes
from .simulation import best_per_budget, candidates, draw_resamples, error_reduction, task_seed

# draws per bootstrap resample of a measurement fold
BOOTSTRAP_RESAMPLES = 2000
COLUMNS = ["error_reduction_cross_fitted", "cross_fitted_lower", "cross_fitted_upper"]


def subset(curves: TaskCurves, rows: np.ndarray) -> TaskCurves:
    """The curves of some trials (rows may repeat: a bootstrap resample)."""
    return dataclasses.replace(
        curves,
        scores=curves.scores[rows],
        n_evals=curves.n_evals[rows],
        trials=curves.trials.iloc[rows].reset_index(drop=True),
    )


def folds(curves: TaskCurves, rng: np.random.Generator) -> list[np.ndarray]:
    """Two folds of trial rows, by init seed (by trial when there is one init seed)."""
    groups = pd.factorize(curves.trials["init_seed"].to_numpy())[0]
    if groups.max() < 1:
        groups = np.arange(curves.n_trials)
    levels = rng.permutation(groups.max() + 1)
    first = np.isin(groups, levels[: len(levels) // 2])
    return [np.flatnonzero(first), np.flatnonzero(~first)]


def _choose(curves: TaskCurves, table: pd.DataFrame, draws: np.ndarray, budgets: int):
    means, baseline_means = candidate_means(curves, table, draws, budgets)
    return best_per_budget(table.assign(expected_best=means), baseline_means)


def _reductions(curves: TaskCurves, chosen: pd.DataFrame, draws: np.ndarray, budgets: int):
    """Error reduction of every budget's chosen setting on these curves."""
    settings = chosen[~chosen["baseline"]]
    found, baselines = candidate_outcomes(
        curves, settings[["t", "k", "p"]].astype(int), draws, budgets
    )
    out = np.zeros(budgets)
    for row, budget in enumerate(settings["budget"]):
        base = float(baselines[budget - 1].mean())
        out[budget - 1] = error_reduction(base, float(found[row].mean()))
    return out


def fold_choices(
    curves: TaskCurves,
    budgets: int,
    max_start: int,
    resamples: int,
    rng: np.random.Generator,
    accounting: str = "exact",
) -> list[tuple[pd.DataFrame, np.ndarray]]:
    """For each fold: the best setting per budget chosen on it (`best_per_budget`'s table) and
    the rows of the other fold, which measure it. Empty when a fold has fewer than two trials."""
    parts = folds(curves, rng)
    if min(len(rows) for rows in parts) < 2:
        return []
    table = candidates(curves.n_points, budgets, max_start, accounting)
    width = max(max_start, budgets)
    out = []
    for choose_rows, measure_rows in (parts, parts[::-1]):
        draws = draw_resamples(len(choose_rows), resamples, width, rng)
        out.append((_choose(subset(curves, choose_rows), table, draws, budgets), measure_rows))
    return out


def cross_fitted(
    curves: TaskCurves,
    budgets: int,
    max_start: int,
    resamples: int,
    seed,
    level: float = 0.95,
    bootstrap: int = 200,
    accounting: str = "exact",
    choices: list | None = None,
) -> pd.DataFrame:
    """Per budget the cross-fitted error reduction and its bootstrap interval at `level`
    (`COLUMNS`; NaN with fewer than two trials in a fold). `resamples` draws per fold;
    `bootstrap` resamples of the measurement folds' init seeds. `choices` (`fold_choices`)
    replaces the choices made here."""
    rng = np.random.default_rng(seed)
    if choices is None:
        choices = fold_choices(curves, budgets, max_start, resamples, rng, accounting)
    out = pd.DataFrame({"budget": np.arange(1, budgets + 1), **dict.fromkeys(COLUMNS, np.nan)})
    if not choices:
        return out
    width = max(max_start, budgets)
    boot_resamples = min(resamples, BOOTSTRAP_RESAMPLES)
    estimates, boots = [], []
    for chosen, measure_rows in choices:
        measure = subset(curves, measure_rows)
        draws = draw_resamples(len(measure_rows), resamples, width, rng)
        estimates.append(_reductions(measure, chosen, draws, budgets))
        seeds = pd.factorize(measure.trials["init_seed"].to_numpy())[0]
        members = [np.flatnonzero(seeds == s) for s in range(seeds.max() + 1)]
        fold_boots = []
        for _ in range(bootstrap):
            rows = np.concatenate([members[s] for s in rng.integers(0, len(members), len(members))])
            small = draw_resamples(len(rows), boot_resamples, width, rng)
            fold_boots.append(_reductions(subset(measure, rows), chosen, small, budgets))
        boots.append(np.array(fold_boots))
    alpha = (1 - level) / 2
    boot = (boots[0] + boots[1]) / 2
    out[COLUMNS[0]] = (estimates[0] + estimates[1]) / 2
    out[COLUMNS[1]] = np.quantile(boot, alpha, axis=0)
    out[COLUMNS[2]] = np.quantile(boot, 1 - alpha, axis=0)
    return out


def cross_fitted_table(
    task_curves: list[TaskCurves],
    budget_table: pd.DataFrame,
    budgets: int = 30,
    max_start: int = 200,
    resamples: int = 50_000,
    seed: int = 0,
    confidence_level: float = 0.95,
    accounting: str = "exact",
    bootstrap: int = 200,
) -> pd.DataFrame:
    """The budgets table of `simulation_tables` with the `COLUMNS` of every task beside the
    in-sample error reduction (each task seeded by `task_seed`)."""
    frames = [
        cross_fitted(
            item,
            budgets,
            max_start,
            resamples,
            task_seed(seed, item.task),
            confidence_level,
            bootstrap,
            accounting,
        ).assign(task=item.task)
        for item in task_curves
    ]
    if not frames:
        return budget_table.assign(**dict.fromkeys(COLUMNS, np.nan))
    return budget_table.merge(pd.concat(frames), on=["task", "budget"], how="left")
