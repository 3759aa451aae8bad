"""Early stopping offline: the paper's Algorithm 1 simulated at equal compute budgets (Figs. 6
and 7); the rank correlation between evaluation points (Fig. 5) is `early_stopping_correlation`.

Algorithm 1 ("start t trials, evaluate all after a fraction f of training, continue the best p")
is simulated on a task's observed learning curves. With K evaluations after step 0 the stop point
is an evaluation of the grid, f = k/K (1 <= k < K), and the cost in full trainings is

    cost(t, k, p) = (t*k + p*(K - k)) / K .

For a budget x the candidates are every integer (t, k, p) with cost exactly x, 1 <= p <= t <=
max_start, plus the baseline "train x trials fully" (k = K, t = p = x). A candidate's expected best
score is the mean, over R bootstrap draws of t trials with replacement from the task's trials, of
the best score the algorithm finds:

- a trial's *partial best* at k is its best score over evaluations 0..k (step 0 included, as in the
  trials table's `best`); its *full best* is its best over every evaluation;
- the t drawn trials are ranked by partial best (descending; ties by trial order: init seed, order
  seed, dropout seed), the first p are continued and count their full best, the others count their
  partial best; the result is the maximum over the t trials.

Accounting "paper" (analysis.early_stopping.accounting; the authors' simulation) changes three
things and nothing else: a stopped run is charged k + 1 of K + 1 intervals (the evaluation at step
0 counts as one), cost (t*(k + 1) + p*(K - k)) / (K + 1); p = 0 is a candidate (the result is the
best partial best of the t drawn trials, that of the top-ranked one); and the curves lose their
final evaluation where it is off the regular grid (`TaskCurves.without_off_grid_final`, applied
by `load_task_curves` before downsampling), so a fully trained run's best is over the grid only.

Which trials are simulated:

- completed trials, with their whole curve;
- diverged trials (curve ends early): after their last evaluation they keep their last score, so a
  diverged trial's best is the best of its recorded curve (as in the trials table). A trial that
  diverged before the stop point (no evaluation at k) is known to have diverged when the
  selection is made and is never continued (as in the live mode): it ranks after every trial still
  training, and counts its recorded best either way;
- stopped trials (live early stopping, partial curves) are left out: their curve after the stop
  point is unknown. Their number is reported; a study run with live early stopping holds only
  the survivors' full curves, so simulate on a study run without it.

Common random numbers: one R x T matrix of trial indices (T = max(max_start, budgets)) is drawn per
task from the seed, and a candidate with t trials uses its first t columns. Every candidate and the
baseline are compared on the same draws.

The fast path of the simulation (the expected best of every candidate, without a loop over
resamples) is `kernel`; the curves it runs on are `curves.TaskCurves`.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd

from .curves import TaskCurves
from .kernel import candidate_means, candidate_outcomes

# Two means closer than this (relative) are a tie; see `best_per_budget`.
TIE_TOLERANCE = 1e-12


ACCOUNTINGS = ("exact", "paper")


def candidates(
    n_points: int, budgets: int, max_start: int, accounting: str = "exact"
) -> pd.DataFrame:
    """Every (budget, t, k, p) of Algorithm 1 with cost exactly `budget` on a grid of `n_points`
    (K) evaluations, 1 <= k < K, p <= t <= max_start.

    accounting "exact": t*k + p*(K - k) = budget*K with p >= 1 (a run stopped after evaluation k
    has trained k of K intervals). "paper" (the authors' simulation): a stopped run is charged
    k + 1 intervals and a full run K + 1 (the evaluation at step 0 counts as one), so
    t*(k + 1) + p*(K - k) = budget*(K + 1), and p = 0 is allowed (nothing continued: the result is
    the best of the partial runs).

    The baseline (t = p = budget, k = K) is not listed. Rows sorted by budget, t, k, p.
    """
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    K = int(n_points)
    paper = accounting == "paper"
    total, p_min = (K + 1, 0) if paper else (K, 1)
    t = np.arange(1, max_start + 1)
    rows = []
    for x in range(1, budgets + 1):
        for k in range(1, K):
            charged = k + 1 if paper else k
            # p = (x*total - t*charged) / (K - k) must be an integer in [p_min, t]
            numerator = x * total - t * charged
            ok = (numerator >= p_min * (K - k)) & (numerator % (K - k) == 0)
            p = numerator // (K - k)
            ok &= p <= t
            rows += [(x, int(a), k, int(b)) for a, b in zip(t[ok], p[ok])]
    table = pd.DataFrame(rows, columns=["budget", "t", "k", "p"], dtype=int)
    return table.sort_values(["budget", "t", "k", "p"], ignore_index=True)


def draw_resamples(n_trials: int, resamples: int, width: int, seed) -> np.ndarray:
    """R x width trial indices drawn uniformly with replacement (the common random numbers)."""
    if n_trials < 1:
        raise ValueError("no trial to resample")
    dtype = np.int16 if n_trials <= np.iinfo(np.int16).max else np.int32
    return np.random.default_rng(seed).integers(0, n_trials, size=(resamples, width), dtype=dtype)


def error_reduction(baseline: float, best: float) -> float:
    """(err_baseline - err_best) / err_baseline with err = 1 - score, the distance from a perfect
    score (1 for every metric of `metrics`: accuracy, F1, MCC, correlations, R^2); 0 when
    err_baseline <= 0 (nothing left to reduce)."""
    err_baseline, err_best = 1.0 - baseline, 1.0 - best
    if err_baseline <= 0:
        return 0.0
    return (err_baseline - err_best) / err_baseline


def best_per_budget(table: pd.DataFrame, baseline_means: np.ndarray) -> pd.DataFrame:
    """Per budget the candidate with the highest expected best score, the baseline included.

    Ties (means within TIE_TOLERANCE, relative): the baseline first, then fewer trials started,
    then a later stop point, then fewer trials continued.
    """
    rows = []
    for x in range(1, len(baseline_means) + 1):
        base = float(baseline_means[x - 1])
        options = [(base, 0, x, math.inf, x)]  # (mean, not baseline, t, k, p)
        group = table[table["budget"] == x]
        options += [
            (float(m), 1, int(t), int(k), int(p))
            for m, t, k, p in zip(group["expected_best"], group["t"], group["k"], group["p"])
        ]
        top = max(option[0] for option in options)
        tolerance = TIE_TOLERANCE * max(1.0, abs(top))
        tied = [option for option in options if option[0] >= top - tolerance]
        mean, is_candidate, t, k, p = min(tied, key=lambda o: (o[1], o[2], -o[3], o[4]))
        rows.append(
            {
                "budget": x,
                "t": t,
                "k": None if k == math.inf else k,
                "p": p,
                "expected_best": mean,
                "baseline": not is_candidate,
                "n_candidates": len(group),
            }
        )
    return pd.DataFrame(rows)


def simulate(
    curves: TaskCurves,
    budgets: int = 30,
    max_start: int = 200,
    resamples: int = 50_000,
    seed=0,
    confidence_level: float = 0.95,
    threads: int = 1,
    draws: np.ndarray | None = None,
    accounting: str = "exact",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Algorithm 1 on one task at budgets 1..budgets.

    Returns (candidates, budgets). candidates: every (budget, started t, stop_index k,
    stop_fraction f, continued p) with cost exactly the budget and its expected best score.
    budgets: per budget the best candidate, or the baseline (started = continued = budget,
    stop_fraction 1) when nothing beats it, with its expected best score, sd and central
    `confidence_level` interval of the best score over the resamples (the spread of what one run
    of the algorithm finds), the same for the baseline, and the relative error reduction.
    `draws` (R x max(max_start, budgets) trial indices) replaces the seeded draws. `accounting`:
    the cost of a candidate and whether p = 0 is allowed (`candidates`); with "paper", pass curves
    prepared by `TaskCurves.without_off_grid_final` (as `load_task_curves` does).
    """
    K = curves.n_points
    width = max(max_start, budgets)
    if draws is None:
        draws = draw_resamples(curves.n_trials, resamples, width, seed)
    if draws.shape[1] < width:
        raise ValueError(f"draws have {draws.shape[1]} columns, {width} needed")
    table = candidates(K, budgets, max_start, accounting)
    means, baseline_means = candidate_means(curves, table, draws, budgets, threads=threads)
    table["expected_best"] = means
    best = best_per_budget(table, baseline_means)

    chosen = best[~best["baseline"]].reset_index(drop=True)
    found_all, baselines = candidate_outcomes(
        curves, chosen[["t", "k", "p"]].astype(int), draws, budgets, threads=threads
    )
    alpha = (1 - confidence_level) / 2
    rows = []
    for row in best.itertuples():
        base = baselines[row.budget - 1]
        if row.baseline:
            found, k = base, K
        else:
            found, k = found_all[int(np.flatnonzero(chosen["budget"] == row.budget)[0])], int(row.k)
        rows.append(
            {
                "task": curves.task,
                "budget": row.budget,
                "started": row.t,
                "stop_index": k,
                "stop_fraction": k / K if K else 1.0,
                "stop_epoch": float(curves.epochs[k]),
                "continued": row.p,
                "early_stopping": not row.baseline,
                "expected_best": float(found.mean()),
                "sd": float(found.std()),
                "lower": float(np.quantile(found, alpha)),
                "upper": float(np.quantile(found, 1 - alpha)),
                "baseline_expected_best": float(base.mean()),
                "baseline_sd": float(base.std()),
                "baseline_lower": float(np.quantile(base, alpha)),
                "baseline_upper": float(np.quantile(base, 1 - alpha)),
                "error_reduction": error_reduction(float(base.mean()), float(found.mean())),
                "n_candidates": row.n_candidates,
                "n_trials": curves.n_trials,
                "n_diverged": curves.n_diverged,
                "n_stopped_left_out": curves.n_stopped,
                "resamples": draws.shape[0],
            }
        )
    table = table.rename(columns={"t": "started", "k": "stop_index", "p": "continued"})
    table.insert(3, "stop_fraction", table["stop_index"] / K)
    table.insert(0, "task", curves.task)
    return table, pd.DataFrame(rows, columns=BUDGET_COLUMNS)


BUDGET_COLUMNS = [
    "task",
    "budget",
    "started",
    "stop_index",
    "stop_fraction",
    "stop_epoch",
    "continued",
    "early_stopping",
    "expected_best",
    "sd",
    "lower",
    "upper",
    "baseline_expected_best",
    "baseline_sd",
    "baseline_lower",
    "baseline_upper",
    "error_reduction",
    "n_candidates",
    "n_trials",
    "n_diverged",
    "n_stopped_left_out",
    "resamples",
]


CANDIDATE_COLUMNS = [
    "task",
    "budget",
    "started",
    "stop_index",
    "stop_fraction",
    "continued",
    "expected_best",
]


def task_seed(seed: int, task: str) -> np.random.SeedSequence:
    """The resampling seed of one task: the analysis seed and the task's name."""
    return np.random.SeedSequence([int(seed), zlib.crc32(task.encode())])


def load_task_curves(
    curves: pd.DataFrame, points: int | None = None, accounting: str = "exact"
) -> tuple[list[TaskCurves], dict[str, str]]:
    """TaskCurves of every task of the aggregate curves table (downsampled to `points`
    evaluations after step 0 where it has more, `TaskCurves.downsample`), and {task: reason} for
    the tasks that cannot be analysed (no completed trial). With accounting "paper" the final
    evaluation is dropped first where it is off the regular grid (`without_off_grid_final`).
    Only the evaluations on the trials' grid are read (`on_grid`: under `evaluation: paper` the
    authors' grid, without the dense epoch-0 and epoch-end evaluations)."""
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
    if "on_grid" in curves:
        curves = curves[curves["on_grid"]]
    task_curves, skipped = [], {}
    for task in sorted(curves["task"].unique()):
        try:
            item = TaskCurves.from_curves(curves, task)
            if accounting == "paper":
                item = item.without_off_grid_final()
            task_curves.append(item.downsample(points))
        except ValueError as error:
            if "no completed trial" not in str(error):
                raise
            skipped[task] = str(error)
    return task_curves, skipped


def simulation_tables(
    task_curves: list[TaskCurves],
    budgets: int = 30,
    max_start: int = 200,
    resamples: int = 50_000,
    seed: int = 0,
    confidence_level: float = 0.95,
    threads: int = 1,
    accounting: str = "exact",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`simulate` on every task (draws seeded by `task_seed`): (candidates, budgets) tables."""
    candidate_frames, budget_frames = [], []
    for item in task_curves:
        table, best = simulate(
            item,
            budgets,
            max_start,
            resamples,
            task_seed(seed, item.task),
            confidence_level,
            threads,
            accounting=accounting,
        )
        candidate_frames.append(table)
        budget_frames.append(best)
    return (
        pd.concat(candidate_frames, ignore_index=True)
        if candidate_frames
        else pd.DataFrame(columns=CANDIDATE_COLUMNS),
        pd.concat(budget_frames, ignore_index=True)
        if budget_frames
        else pd.DataFrame(columns=BUDGET_COLUMNS),
    )


def simulation_note(
    task_curves: list[TaskCurves],
    budgets: int,
    max_start: int,
    resamples: int,
    seed: int,
    confidence_level: float,
    accounting: str = "exact",
) -> str:
    """What was simulated, short enough for a caption."""
    counts = ", ".join(
        f"{c.task} {c.n_completed}+{c.n_diverged}"
        + (f" ({c.n_stopped} stopped left out)" if c.n_stopped else "")
        for c in task_curves
    )
    stopped = sum(c.n_stopped for c in task_curves)
    caveat = "; live early stopping ran: the simulated trials are its survivors" if stopped else ""
    return (
        f"Algorithm 1 at budgets 1..{budgets}, t <= {max_start}, f = k/K, {accounting} accounting; "
        f"{resamples} resamples with replacement (seed {seed}); bands: central "
        f"{confidence_level:.0%} of the best found; best incl. step 0; trials completed+diverged "
        f"(a diverged trial keeps its last score, never continued once diverged): {counts}{caveat}"
    )
