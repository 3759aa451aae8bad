"""Seed effects (paper Fig. 2, Table 3, Table 4, Fig. 3).

- `seed_matrix`: the WI x DO grid of a score, rows and columns sorted by their means.
- `within_seed_sd`: expected sd within a WI seed (population sd over DO seeds, averaged over WI
  seeds), the same within a DO seed (and within an adapter seed, with an adapter-seed grid), and
  the total population sd.
- `best_worst_anova`: for WI and for DO (and the adapter seed), the seeds with the highest and
  lowest mean score and a one-way ANOVA between the trials of those two seeds (the paper's Table
  4). The two seeds are picked for being extreme, so its p is post-selection, not a test: with 25
  seeds of each kind and no seed effect it is below 0.05 in nearly every grid. Beside it, the
  valid test of the same question: `range_permutation_test`, the best-minus-worst seed mean (the
  range of the seed means) against its distribution with the seed's labels permuted among the
  trials of each seed of the other kind (exact under no effect of the seed, whatever the other
  seed does).

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
        # the sd of one trial is undefined, not 0: seeds with a single trial are left out of the
        # mean, and a table cell without any seed of two trials is NaN, with a note
        within = {
            name: float(
                group.groupby(column)[score]
                .agg(lambda v: v.std(ddof=0) if len(v) > 1 else np.nan)
                .mean()
            )
            for name, column in factors(group).items()
        }
        total = float(group[score].std(ddof=0)) if len(group) > 1 else np.nan
        undefined = [name for name, value in {**within, "total": total}.items() if np.isnan(value)]
        rows.append(
            {
                "task": task,
                "score": score,
                **{f"within_{name}_sd": value for name, value in within.items()},
                "total_sd": total,
                "n_trials": len(group),
                "note": "undefined (no seed with two or more trials): " + ", ".join(undefined)
                if undefined
                else "",
            }
        )
    return pd.DataFrame(rows)


def best_worst_seeds(group: pd.DataFrame, column: str, score: str) -> tuple[int, int]:
    means = group.groupby(column)[score].mean()
    return int(means.idxmax()), int(means.idxmin())


def range_permutation_test(
    values, seeds, other_seeds, permutations: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The range (max - min) of the mean of `values` per seed, and its permutation p: the seeds'
    labels are shuffled among the trials of each `other_seeds` level (the crossed grid's
    exchangeable units under no effect of the seed), p = (1 + #{range* >= range}) / (1 + B)."""
    values = np.asarray(values, dtype=float)
    codes, levels = pd.factorize(np.asarray(seeds), sort=True)
    blocks = pd.factorize(np.asarray(other_seeds), sort=True)[0]
    counts = np.bincount(codes, minlength=len(levels))

    def ranges(labels: np.ndarray) -> np.ndarray:  # labels: [draws, trials]
        offset = labels + len(levels) * np.arange(len(labels))[:, None]
        sums = np.bincount(offset.ravel(), weights=np.tile(values, len(labels)))
        means = sums.reshape(len(labels), len(levels)) / counts
        return means.max(axis=1) - means.min(axis=1)

    observed = float(ranges(codes[None, :])[0])
    rng = np.random.default_rng(seed)
    keys = rng.random((permutations, len(values))) + blocks  # sorted within each block
    order = np.argsort(keys, axis=1)
    within = np.argsort(blocks, kind="stable")  # trials grouped by block, in block order
    shuffled = np.empty_like(order)
    shuffled[:, within] = codes[order]  # each trial gets the label of a trial of its block
    p = (1 + int(np.sum(ranges(shuffled) >= observed - 1e-12))) / (permutations + 1)
    return observed, float(p)


def best_worst_anova(
    trials: pd.DataFrame, score: str = "best", permutations: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Table 4 for every task and factor: best and worst seed, their means, one-way ANOVA F and
    p (post-selection, not a test: `p_note`), and the range of the seed means with its
    permutation p (`range_permutation_test`, `permutations` draws)."""
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
            other = FACTORS["order" if factor == "init" else "init"]
            kept = group.dropna(subset=[score])
            spread, p_range = range_permutation_test(
                kept[score], kept[column], kept[other], permutations, seed
            )
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
                    "p_note": "post-selection, not a test",
                    "max_minus_min": spread,
                    "p_permutation": p_range,
                    "n_best": len(best_scores),
                    "n_worst": len(worst_scores),
                }
            )
    return pd.DataFrame(rows)
