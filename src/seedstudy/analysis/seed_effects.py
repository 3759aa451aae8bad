"""Seed effects (paper Fig. 2, Table 3, Table 4, Fig. 3).

- `seed_matrix`: the WI x DO grid of a score, rows and columns sorted by their means.
- `within_seed_sd`: expected sd within a WI seed (population sd over DO seeds, averaged over WI
  seeds), the same within a DO seed (and within an adapter seed, with an adapter-seed grid), and
  the total population sd.
- `best_worst_anova`: for WI and for DO (and the adapter seed), the seeds with the highest and
  lowest mean score and a one-way ANOVA between the trials of those two seeds.

Each takes a trials table and leaves out the trials stopped by live early stopping (their scores
are partial), as every other analysis does (`aggregate.finished_trials`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .aggregate import finished_trials

FACTORS = {"init": "init_seed", "order": "order_seed"}


def factors(group: pd.DataFrame) -> dict[str, str]:
    """The seeds of a task's trials: init and order, and the adapter seed where LoRA trials
    have an adapter-seed grid."""
    if "adapter_seed" in group and group["adapter_seed"].nunique() > 1:
        return {**FACTORS, "adapter": "adapter_seed"}
    return FACTORS


def _finished(trials: pd.DataFrame) -> pd.DataFrame:
    return finished_trials(trials) if "status" in trials else trials


def seed_matrix(trials: pd.DataFrame, score: str = "best") -> pd.DataFrame:
    """Mean score per (init seed, order seed) cell; rows/columns sorted by mean, best first."""
    trials = _finished(trials)
    matrix = trials.pivot_table(
        index="init_seed", columns="order_seed", values=score, aggfunc="mean"
    )
    rows = matrix.mean(axis=1).sort_values(ascending=False).index
    columns = matrix.mean(axis=0).sort_values(ascending=False).index
    return matrix.loc[rows, columns]


def seed_grid_table(matrices: dict[str, pd.DataFrame], score: str = "best") -> pd.DataFrame:
    """The `seed_matrix` of every task in long form: init_seed, order_seed, <score>, task."""
    return pd.concat(
        [
            matrix.stack().rename(score).reset_index().assign(task=task)
            for task, matrix in matrices.items()
        ],
        ignore_index=True,
    )


def within_seed_sd(trials: pd.DataFrame, score: str = "best") -> pd.DataFrame:
    """Table 3 for every task: expected sd within WI, within DO, and total (population sds)."""
    trials = _finished(trials)
    rows = []
    for task, group in trials.groupby("task", sort=True):
        within = {
            f"within_{name}_sd": float(group.groupby(column)[score].std(ddof=0).mean())
            for name, column in factors(group).items()
        }
        rows.append(
            {
                "task": task,
                "score": score,
                **within,
                "total_sd": float(group[score].std(ddof=0)),
                "n_trials": len(group),
            }
        )
    return pd.DataFrame(rows)


def best_worst_seeds(group: pd.DataFrame, column: str, score: str) -> tuple[int, int]:
    means = group.groupby(column)[score].mean()
    return int(means.idxmax()), int(means.idxmin())


def best_worst_anova(trials: pd.DataFrame, score: str = "best") -> pd.DataFrame:
    """Table 4 for every task and factor: best and worst seed, their means,
    one-way ANOVA F and p."""
    trials = _finished(trials)
    rows = []
    for task, group in trials.groupby("task", sort=True):
        for factor, column in factors(group).items():
            best, worst = best_worst_seeds(group, column, score)
            best_scores = group.loc[group[column] == best, score].to_numpy()
            worst_scores = group.loc[group[column] == worst, score].to_numpy()
            if best == worst or min(len(best_scores), len(worst_scores)) < 2:
                f_value, p_value = np.nan, np.nan
            else:
                f_value, p_value = stats.f_oneway(best_scores, worst_scores)
            rows.append(
                {
                    "task": task,
                    "factor": factor,
                    "score": score,
                    "best_seed": best,
                    "best_mean": float(best_scores.mean()),
                    "worst_seed": worst,
                    "worst_mean": float(worst_scores.mean()),
                    "F": float(f_value),
                    "p": float(p_value),
                    "n_best": len(best_scores),
                    "n_worst": len(worst_scores),
                }
            )
    return pd.DataFrame(rows)
