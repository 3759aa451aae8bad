"""Seed transfer: does a good weight-initialisation seed stay good on other tasks?

Per task, the mean best-found score of each init seed over its order seeds; then for every pair
of tasks the Spearman correlation of these means over the seeds the two tasks share, with a
permutation p-value (the seeds of one task shuffled against the other's); Kendall's W across all
tasks (seeds common to every task) with its chi-square and permutation p-values; and for each
task's best seed, its rank on every other task. The same for order seeds is the control: the
data differ between tasks, so a data order has no reason to transfer.

With one task there is nothing to compare: every table says so in its `note`. Trials stopped by
live early stopping are excluded (their scores are partial).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .aggregate import finished_trials
from .seed_effects import FACTORS

MIN_SEEDS = 3  # fewer common seeds make a rank correlation meaningless


def single_task_note(tasks) -> str:
    tasks = list(tasks)
    return f"seed transfer needs >= 2 tasks; this study has {len(tasks)} ({', '.join(tasks)})"


def single_task_table(tasks) -> pd.DataFrame:
    """A row per factor saying why there is nothing to compare."""
    return pd.DataFrame([{"factor": factor, "note": single_task_note(tasks)} for factor in FACTORS])


def seed_means(trials: pd.DataFrame, factor: str = "init", score: str = "best") -> pd.DataFrame:
    """Mean score of every seed of `factor` over the other factor's seeds: seeds x tasks."""
    return (
        finished_trials(trials)
        .pivot_table(index=FACTORS[factor], columns="task", values=score, aggfunc="mean")
        .sort_index()
    )


def seed_means_table(trials: pd.DataFrame, score: str = "best") -> pd.DataFrame:
    """`seed_means` of both factors in long form: factor, seed, task, mean_<score>."""
    frames = [
        seed_means(trials, factor, score)
        .stack()
        .rename(f"mean_{score}")
        .reset_index()
        .rename(columns={column: "seed"})
        .assign(factor=factor)
        for factor, column in FACTORS.items()
    ]
    return pd.concat(frames, ignore_index=True)[["factor", "seed", "task", f"mean_{score}"]]


def spearman_test(x, y, permutations: int = 10000, seed: int = 0) -> tuple[float, float]:
    """Spearman correlation of x and y and its two-sided permutation p-value (exact when the
    number of orderings is at most `permutations`)."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    ry = ry - ry.mean()

    def statistic(a, axis=-1):
        # Pearson correlation of the ranks: only x's ranks are shuffled (n! pairings)
        a = a - a.mean(axis=axis, keepdims=True)
        return (a * ry).sum(axis=axis) / np.sqrt((a * a).sum(axis=axis) * (ry * ry).sum())

    result = stats.permutation_test(
        (rx,),
        statistic,
        permutation_type="pairings",
        n_resamples=permutations,
        vectorized=True,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(result.statistic), float(result.pvalue)


def kendalls_w(scores: np.ndarray) -> float:
    """Kendall's coefficient of concordance of m raters (rows) ranking n objects (columns),
    with the correction for ties."""
    scores = np.asarray(scores, dtype=float)
    m, n = scores.shape
    ranks = np.apply_along_axis(stats.rankdata, 1, scores)
    totals = ranks.sum(axis=0)
    s = float(((totals - totals.mean()) ** 2).sum())
    ties = 0.0
    for row in scores:
        counts = np.unique(row, return_counts=True)[1]
        ties += float((counts**3 - counts).sum())
    denominator = m**2 * (n**3 - n) - m * ties
    return 12 * s / denominator if denominator > 0 else np.nan


def kendalls_w_test(scores: np.ndarray, permutations: int = 10000, seed: int = 0) -> dict:
    """W, the chi-square p-value (m (n-1) W ~ chi2(n-1)) and a permutation p-value (each rater's
    ranks shuffled independently)."""
    scores = np.asarray(scores, dtype=float)
    m, n = scores.shape
    w = kendalls_w(scores)
    ranks = np.apply_along_axis(stats.rankdata, 1, scores)
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.broadcast_to(ranks, (permutations, m, n)), axis=-1)
    totals = shuffled.sum(axis=1)
    s = ((totals - totals.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    s_observed = float(((ranks.sum(axis=0) - ranks.sum(axis=0).mean()) ** 2).sum())
    p_permutation = (1 + np.sum(s >= s_observed - 1e-9)) / (permutations + 1)
    return {
        "kendalls_w": w,
        "chi2": m * (n - 1) * w,
        "p_chi2": float(stats.chi2.sf(m * (n - 1) * w, n - 1)),
        "p_permutation": float(p_permutation),
        "n_tasks": m,
        "n_seeds": n,
    }


def pairs_table(
    trials: pd.DataFrame, permutations: int = 10000, seed: int = 0, score: str = "best"
) -> pd.DataFrame:
    """Spearman correlation of per-seed mean scores between every pair of tasks, per factor."""
    tasks = sorted(trials["task"].unique())
    if len(tasks) < 2:
        return single_task_table(tasks)
    rows = []
    for factor in FACTORS:
        means = seed_means(trials, factor, score)
        for a_index, task_a in enumerate(tasks):
            for task_b in tasks[a_index + 1 :]:
                common = means[[task_a, task_b]].dropna()
                row = {"factor": factor, "task_a": task_a, "task_b": task_b, "n_seeds": len(common)}
                if len(common) < MIN_SEEDS:
                    row["note"] = (
                        f"not enough data: {len(common)} common seed(s), need >= {MIN_SEEDS}"
                    )
                else:
                    row["spearman"], row["p_permutation"] = spearman_test(
                        common[task_a], common[task_b], permutations, seed
                    )
                    row["note"] = ""
                rows.append(row)
    return pd.DataFrame(rows)


def concordance_table(
    trials: pd.DataFrame, permutations: int = 10000, seed: int = 0, score: str = "best"
) -> pd.DataFrame:
    """Kendall's W across all tasks, per factor (seeds common to every task)."""
    rows = []
    tasks = sorted(trials["task"].unique())
    for factor in FACTORS:
        means = seed_means(trials, factor, score).dropna()
        row = {"factor": factor}
        if len(tasks) < 2:
            row["note"] = single_task_note(tasks)
        elif len(means) < MIN_SEEDS:
            row["note"] = (
                f"not enough data: {len(means)} seed(s) common to all tasks, need >= {MIN_SEEDS}"
            )
        else:
            row.update(kendalls_w_test(means.to_numpy().T, permutations, seed))
            row["mean_spearman"] = float(
                np.mean(
                    [
                        stats.spearmanr(means[a], means[b]).statistic
                        for i, a in enumerate(tasks)
                        for b in tasks[i + 1 :]
                    ]
                )
            )
            row["note"] = ""
        rows.append(row)
    return pd.DataFrame(rows)


def best_seed_ranks(trials: pd.DataFrame, score: str = "best") -> pd.DataFrame:
    """For each task's best seed (highest mean score), its rank (1 = best) on every other task
    among the seeds the two tasks share."""
    tasks = sorted(trials["task"].unique())
    if len(tasks) < 2:
        return single_task_table(tasks)
    rows = []
    for factor in FACTORS:
        means = seed_means(trials, factor, score)
        for task in tasks:
            for other in tasks:
                if other == task:
                    continue
                common = means[[task, other]].dropna()
                if common.empty:
                    continue
                best = common[task].idxmax()
                ranks = common[other].rank(ascending=False, method="min")
                rows.append(
                    {
                        "factor": factor,
                        "task": task,
                        "best_seed": int(best),
                        "best_mean": float(common.loc[best, task]),
                        "other_task": other,
                        "rank_on_other": int(ranks.loc[best]),
                        "n_seeds": len(common),
                        "mean_on_other": float(common.loc[best, other]),
                        "note": "",
                    }
                )
    return pd.DataFrame(rows)


def correlation_matrix(pairs: pd.DataFrame, factor: str, tasks) -> pd.DataFrame:
    """Task x task matrix of Spearman correlations of one factor (1 on the diagonal)."""
    tasks = list(tasks)
    matrix = pd.DataFrame(np.eye(len(tasks)), index=tasks, columns=tasks)
    if "spearman" not in pairs:
        return matrix
    for row in pairs[pairs["factor"] == factor].itertuples():
        if isinstance(row.task_a, str) and np.isfinite(row.spearman):
            matrix.loc[row.task_a, row.task_b] = matrix.loc[row.task_b, row.task_a] = row.spearman
    return matrix
