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

The fast path never loops over resamples. For a stop index k the trials are pre-ranked once (small
integers), and for each resample the smallest L ranks of the prefix of t draws are kept sorted while t
grows (L = the largest p any later candidate needs; an insertion is two vectorised min/max
passes). With the prefix's sorted ranks a_1 <= a_2 <= ..., the result for p is

    max( max_{i <= p} full(a_i), best of any drawn trial diverged before k ),

all p of one (t, k) at once. A stopped trial still training never decides the result: its partial
best is at most the partial best of every continued trial, which is at most that trial's full best
(`reference_best` in the tests counts the stopped trials literally). Scores are replaced by their
integer codes (position among the sorted distinct scores) and a drawn trial by one integer key
holding its rank and its full best, so everything but the final mean runs on small integers.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .aggregate import SEED_KEYS

# Two means closer than this (relative) are a tie; see `best_per_budget`.
TIE_TOLERANCE = 1e-12


# ------------------------------------------------------------------------------------------------
# 1. Curves of one task
# ------------------------------------------------------------------------------------------------


@dataclass
class TaskCurves:
    """The learning curves of one task's trials on the common evaluation grid.

    scores[i, j]: trial i's headline score at evaluation j (0 = step 0, K = final step); a diverged
    trial's row holds its last score after its last evaluation. n_evals[i]: evaluations recorded
    (K + 1 for a completed trial). Rows follow `trials` (sorted by init, order, dropout seed).
    """

    task: str
    scores: np.ndarray
    n_evals: np.ndarray
    trials: pd.DataFrame
    steps: np.ndarray
    epochs: np.ndarray
    n_stopped: int = 0
    metric: str | None = None

    @property
    def n_trials(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_points(self) -> int:
        """K: evaluations after step 0."""
        return int(self.scores.shape[1]) - 1

    @property
    def n_completed(self) -> int:
        return int(np.sum(self.n_evals == self.n_points + 1))

    @property
    def n_diverged(self) -> int:
        return self.n_trials - self.n_completed

    @property
    def completed_scores(self) -> np.ndarray:
        return self.scores[self.n_evals == self.n_points + 1]

    def downsample(self, points: int | None) -> TaskCurves:
        """The curves on `points` evaluations after step 0 (step 0 and the last kept, the others
        evenly spaced over the grid, nearest index); unchanged when K <= points or points is None."""
        if points is None or self.n_points <= points:
            return self
        if points < 1:
            raise ValueError(f"points must be at least 1, got {points}")
        K = self.n_points
        keep = np.array([0] + [(2 * j * K + points) // (2 * points) for j in range(1, points + 1)])
        # a trial with e evaluations (0..e-1) keeps the kept indices below e
        n_evals = np.searchsorted(keep, self.n_evals, side="left")
        return dataclasses.replace(
            self, scores=self.scores[:, keep], n_evals=n_evals.astype(int),
            steps=self.steps[keep], epochs=self.epochs[keep],
        )

    def final_off_grid(self) -> bool:
        """Whether the final evaluation is off the regular grid: the gap before it differs from
        the grid's first gap (steps[1] - steps[0]) by more than one step. Per-epoch grids round
        their steps (gaps differ by at most one) and end on the grid; an every-N-steps grid whose
        total is not a multiple of N ends with a shorter gap."""
        if self.n_points < 2:
            return False
        spacing = int(self.steps[1] - self.steps[0])
        return abs(int(self.steps[-1] - self.steps[-2]) - spacing) > 1

    def without_off_grid_final(self) -> TaskCurves:
        """The curves without the final evaluation when it is off the regular grid (the
        authors' simulation takes a fully trained run's best over the regular grid only);
        unchanged otherwise. A trial diverged after the last kept point then counts as completed."""
        if not self.final_off_grid():
            return self
        K = self.n_points
        return dataclasses.replace(
            self, scores=self.scores[:, :K], n_evals=np.minimum(self.n_evals, K),
            steps=self.steps[:K], epochs=self.epochs[:K],
        )

    @classmethod
    def from_curves(cls, curves: pd.DataFrame, task: str) -> TaskCurves:
        """The task's completed and diverged trials from the aggregate curves table.

        Raises ValueError when the task has no completed trial (the grid is then unknown), when
        completed trials disagree on the grid, or when a score is not finite.
        """
        rows = curves[curves["task"] == task]
        stopped = rows[rows["status"] == "stopped"]
        n_stopped = int(stopped.groupby(SEED_KEYS, dropna=False).ngroups) if len(stopped) else 0
        rows = rows[rows["status"].isin(["completed", "diverged"])]
        completed = rows[rows["status"] == "completed"]
        if completed.empty:
            raise ValueError(f"task {task!r} has no completed trial: its evaluation grid is unknown")
        grids = completed.sort_values("eval_index").groupby(SEED_KEYS, dropna=False)["step"].apply(tuple)
        if grids.nunique() != 1:
            raise ValueError(f"the completed trials of task {task!r} do not share one evaluation grid")
        steps = np.asarray(grids.iloc[0], dtype=int)
        epochs = completed.drop_duplicates("step").set_index("step")["epoch"].reindex(steps).to_numpy(dtype=float)
        n_points = len(steps)
        rows = rows.sort_values(SEED_KEYS + ["eval_index"], na_position="first")
        trials, score_rows, n_evals = [], [], []
        for key, group in rows.groupby(SEED_KEYS, dropna=False, sort=False):
            group_steps = group["step"].to_numpy(dtype=int)
            values = group["score"].to_numpy(dtype=float)
            label = dict(zip(SEED_KEYS, key))
            if len(values) > n_points or not np.array_equal(group_steps, steps[: len(values)]):
                raise ValueError(f"task {task!r}, trial {label}: evaluations off the task's grid")
            if not np.all(np.isfinite(values)):
                raise ValueError(f"task {task!r}, trial {label}: non-finite score")
            status = group["status"].iloc[0]
            if status == "completed" and len(values) != n_points:
                raise ValueError(
                    f"task {task!r}, trial {label}: completed with {len(values)} of {n_points} evaluations"
                )
            padded = np.full(n_points, values[-1])
            padded[: len(values)] = values
            score_rows.append(padded)
            n_evals.append(len(values))
            trials.append({**label, "status": status})
        metric = None
        if "metric" in rows.columns:
            metric = str(rows["metric"].iloc[0])
        return cls(
            task=task,
            scores=np.array(score_rows, dtype=float).reshape(len(score_rows), n_points),
            n_evals=np.array(n_evals, dtype=int),
            trials=pd.DataFrame(trials),
            steps=steps,
            epochs=epochs,
            n_stopped=n_stopped,
            metric=metric,
        )


# ------------------------------------------------------------------------------------------------
# 2. Candidates at equal budgets
# ------------------------------------------------------------------------------------------------


ACCOUNTINGS = ("exact", "paper")


def candidates(n_points: int, budgets: int, max_start: int, accounting: str = "exact") -> pd.DataFrame:
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


# ------------------------------------------------------------------------------------------------
# 3. The fast simulation
# ------------------------------------------------------------------------------------------------


@dataclass
class _Coded:
    """Scores as integer codes: code c >= 1 is levels[c]; code 0 is 'nothing' (below every score)."""

    levels: np.ndarray  # levels[0] = nan (unused), levels[1:] sorted distinct scores
    partial: np.ndarray  # (N, K+1) codes of the best over evaluations 0..k
    dtype: type

    @classmethod
    def of(cls, scores: np.ndarray) -> _Coded:
        partial = np.maximum.accumulate(scores, axis=1)
        distinct = np.unique(partial)
        dtype = np.int16 if distinct.size + 1 <= np.iinfo(np.int16).max else np.int32
        codes = (np.searchsorted(distinct, partial) + 1).astype(dtype)
        return cls(levels=np.concatenate([[np.nan], distinct]), partial=codes, dtype=dtype)


@dataclass
class _StopPoint:
    """Everything the fast path needs for one stop index k.

    A drawn trial is held as one integer key, rank << bits | code of its full best, so that keys
    sort by rank and the full best comes back with a mask instead of a table look-up. The absent
    key (n_trials << bits) sorts after every trial and has full best code 0.
    """

    k: int
    key_of: np.ndarray  # trial -> key
    diverged_best: np.ndarray | None  # trial -> code of best if diverged before k, else 0
    bits: int
    partial_by_rank: np.ndarray | None = None  # rank -> code of the partial best at k (absent: 0)
    plan: list = field(default_factory=list)  # [(t, [(p, candidate index), ...]), ...] by t


def stop_ranking(partial: np.ndarray, n_evals: np.ndarray, k: int) -> np.ndarray:
    """Trial indices in the order Algorithm 1 continues them at stop index k: trials still training
    first, by partial best descending, ties by trial order; trials diverged before k last."""
    partial = np.asarray(partial, dtype=float)
    diverged_before = np.asarray(n_evals) <= k
    index = np.arange(len(partial))
    return np.lexsort((index, -partial, diverged_before))


def _stop_point(coded: _Coded, n_evals: np.ndarray, k: int) -> _StopPoint:
    K = coded.partial.shape[1] - 1
    n = coded.partial.shape[0]
    order = stop_ranking(coded.partial[:, k], n_evals, k)
    bits = int(len(coded.levels)).bit_length()
    key_dtype = np.int32 if (n + 1) << bits <= np.iinfo(np.int32).max else np.int64
    rank_of = np.empty(n, dtype=np.int64)
    rank_of[order] = np.arange(n)
    key_of = ((rank_of << bits) | coded.partial[:, K].astype(np.int64)).astype(key_dtype)
    diverged = n_evals <= k
    diverged_best = None
    if diverged.any():
        diverged_best = np.where(diverged, coded.partial[:, K], 0).astype(coded.dtype)
    partial_by_rank = np.concatenate([coded.partial[order, k], [0]]).astype(coded.dtype)
    return _StopPoint(k, key_of, diverged_best, bits, partial_by_rank=partial_by_rank)


def _running_max(rows: np.ndarray) -> np.ndarray:
    """Row-wise running maximum down axis 0 (numpy's accumulate is slow along that axis)."""
    out = np.array(rows, copy=True)
    for j in range(1, len(out)):
        np.maximum(out[j - 1], out[j], out=out[j])
    return out


def _chunk_results(draws_t: np.ndarray, coded: _Coded, points: list[_StopPoint], n_candidates: int,
                   budgets: int, collect: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For one chunk of resamples (draws_t: T x C, one column per resample): the sums over the
    chunk of every candidate's best score and of the baseline's for x = 1..budgets; with
    `collect`, the codes of the best scores themselves (n_candidates x C and budgets x C)."""
    levels = coded.levels
    chunk = draws_t.shape[1]
    sums = np.zeros(n_candidates)
    codes = np.zeros((n_candidates, chunk), dtype=coded.dtype) if collect else None
    full = coded.partial[:, -1]
    baseline = _running_max(np.take(full, draws_t[:budgets]))
    baseline_sums = np.array([np.take(levels, row).sum() for row in baseline])
    n_trials = coded.partial.shape[0]
    for point in points:
        if not point.plan:
            continue
        mask = (1 << point.bits) - 1
        keys = np.take(point.key_of, draws_t[: point.plan[-1][0]])
        diverged = None
        # rows needed from each t on: the largest p of any later t
        # (at least 1: p = 0 reads the top-ranked trial's partial best)
        widths = np.maximum.accumulate([max(1, max(p for p, _ in needs)) for _, needs in point.plan][::-1])[::-1]
        state = np.full((int(widths[0]), draws_t.shape[1]), n_trials << point.bits, dtype=keys.dtype)
        scratch = np.empty_like(state)
        t = 0
        for (target, needs), width in zip(point.plan, widths):
            state = state[:width]
            while t < target:
                new = keys[t]
                # insert `new` into every column's sorted keys, dropping the largest
                if width > 1:
                    np.maximum(state[:-1], new, out=scratch[: width - 1])
                    np.minimum(state[1:], scratch[: width - 1], out=state[1:])
                np.minimum(state[0], new, out=state[0])
                if point.diverged_best is not None:
                    best = np.take(point.diverged_best, draws_t[t])
                    diverged = best if diverged is None else np.maximum(diverged, best)
                t += 1
            best_full, done = None, 0
            for p, index in needs:
                if p == 0:
                    # nothing continued: the best partial best, that of the top-ranked trial
                    result = np.take(point.partial_by_rank, state[0] >> point.bits)
                else:
                    block = (state[done:p] & mask).max(axis=0)
                    best_full = block if best_full is None else np.maximum(best_full, block)
                    done = p
                    result = best_full
                if diverged is not None:
                    result = np.maximum(result, diverged)
                if collect:
                    codes[index] = result
                else:
                    sums[index] += np.take(levels, result).sum()
    if collect:
        return codes, baseline
    return sums, baseline_sums


def _plan(table: pd.DataFrame, coded: _Coded, n_evals: np.ndarray) -> list[_StopPoint]:
    points = []
    for k, group in table.groupby("k", sort=True):
        point = _stop_point(coded, n_evals, int(k))
        by_t: dict[int, list] = {}
        for index, t, p in zip(group.index, group["t"], group["p"]):
            by_t.setdefault(int(t), []).append((int(p), int(index)))
        point.plan = [(t, sorted(by_t[t])) for t in sorted(by_t)]
        points.append(point)
    return points


def _by_chunk(curves: TaskCurves, table: pd.DataFrame, draws: np.ndarray, budgets: int, threads: int,
              chunk: int, collect: bool) -> tuple[_Coded, list]:
    table = table.reset_index(drop=True)
    coded = _Coded.of(curves.scores)
    points = _plan(table, coded, curves.n_evals)
    draws_t = np.ascontiguousarray(draws.T)
    bounds = [(start, min(start + chunk, draws.shape[0])) for start in range(0, draws.shape[0], chunk)]

    def run(bound):
        part = np.ascontiguousarray(draws_t[:, bound[0] : bound[1]])
        return _chunk_results(part, coded, points, len(table), budgets, collect)

    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(threads) as pool:
            return coded, list(pool.map(run, bounds))
    return coded, [run(bound) for bound in bounds]


def candidate_means(curves: TaskCurves, table: pd.DataFrame, draws: np.ndarray, budgets: int,
                    threads: int = 1, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the resamples (rows of `draws`) of the best score of every candidate in `table`
    (columns t, k, p) and of the baseline for x = 1..budgets."""
    _, parts = _by_chunk(curves, table, draws, budgets, threads, chunk, collect=False)
    sums = np.sum([part[0] for part in parts], axis=0)
    baseline_sums = np.sum([part[1] for part in parts], axis=0)
    return sums / draws.shape[0], baseline_sums / draws.shape[0]


def candidate_outcomes(curves: TaskCurves, table: pd.DataFrame, draws: np.ndarray, budgets: int,
                       threads: int = 1, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """The best score found in every resample (row of `draws`) by every candidate in `table`
    (len(table) x R) and by the baseline for x = 1..budgets (budgets x R): the fast path of
    `candidate_means`, keeping every value (for a few candidates, not for all)."""
    coded, parts = _by_chunk(curves, table, draws, budgets, threads, chunk, collect=True)
    found = np.concatenate([part[0] for part in parts], axis=1)
    baseline = np.concatenate([part[1] for part in parts], axis=1)
    return np.take(coded.levels, found), np.take(coded.levels, baseline)


def outcomes(curves: TaskCurves, draws: np.ndarray, t: int, k: int, p: int) -> np.ndarray:
    """The best score Algorithm 1 (t, k, p) finds in each resample (row of draws); k = K with
    t = p is the baseline. Sorts each resample's ranks instead of the fast path's insertions: a
    second, simpler implementation, used to check the fast one."""
    K = curves.n_points
    partial = np.maximum.accumulate(curves.scores, axis=1)
    sample = draws[:, :t]
    if k >= K or p >= t:
        return partial[:, K][sample].max(axis=1)
    n = curves.n_trials
    order = stop_ranking(partial[:, k], curves.n_evals, k)
    rank_of = np.empty(n, dtype=np.int16 if n <= np.iinfo(np.int16).max else np.int32)
    rank_of[order] = np.arange(n)
    ranked = np.sort(np.take(rank_of, sample), axis=1)
    if p == 0:
        result = partial[order, k][ranked[:, 0]]
    else:
        result = partial[order, K][ranked[:, :p]].max(axis=1)
    diverged = curves.n_evals <= k
    if diverged.any():
        diverged_best = np.where(diverged, partial[:, K], -np.inf)
        result = np.maximum(result, diverged_best[sample].max(axis=1))
    return result


# ------------------------------------------------------------------------------------------------
# 4. Per budget: the best candidate against the baseline
# ------------------------------------------------------------------------------------------------


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
        options += [(float(m), 1, int(t), int(k), int(p)) for m, t, k, p in
                    zip(group["expected_best"], group["t"], group["k"], group["p"])]
        top = max(option[0] for option in options)
        tolerance = TIE_TOLERANCE * max(1.0, abs(top))
        tied = [option for option in options if option[0] >= top - tolerance]
        mean, is_candidate, t, k, p = min(tied, key=lambda o: (o[1], o[2], -o[3], o[4]))
        rows.append({"budget": x, "t": t, "k": None if k == math.inf else k, "p": p,
                     "expected_best": mean, "baseline": not is_candidate, "n_candidates": len(group)})
    return pd.DataFrame(rows)


def simulate(curves: TaskCurves, budgets: int = 30, max_start: int = 200, resamples: int = 50_000,
             seed=0, confidence_level: float = 0.95, threads: int = 1,
             draws: np.ndarray | None = None, accounting: str = "exact") -> tuple[pd.DataFrame, pd.DataFrame]:
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
    found_all, baselines = candidate_outcomes(curves, chosen[["t", "k", "p"]].astype(int), draws, budgets,
                                              threads=threads)
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
    "task", "budget", "started", "stop_index", "stop_fraction", "stop_epoch", "continued", "early_stopping",
    "expected_best", "sd", "lower", "upper", "baseline_expected_best", "baseline_sd", "baseline_lower",
    "baseline_upper", "error_reduction", "n_candidates", "n_trials", "n_diverged", "n_stopped_left_out", "resamples",
]
CANDIDATE_COLUMNS = ["task", "budget", "started", "stop_index", "stop_fraction", "continued", "expected_best"]


def task_seed(seed: int, task: str) -> np.random.SeedSequence:
    """The resampling seed of one task: the analysis seed and the task's name."""
    return np.random.SeedSequence([int(seed), zlib.crc32(task.encode())])


def load_task_curves(curves: pd.DataFrame, points: int | None = None,
                     accounting: str = "exact") -> tuple[list[TaskCurves], dict[str, str]]:
    """TaskCurves of every task of the aggregate curves table (downsampled to `points`
    evaluations after step 0 where it has more, `TaskCurves.downsample`), and {task: reason} for
    the tasks that cannot be analysed (no completed trial). With accounting "paper" the final
    evaluation is dropped first where it is off the regular grid (`without_off_grid_final`)."""
    if accounting not in ACCOUNTINGS:
        raise ValueError(f"accounting must be one of {ACCOUNTINGS}, got {accounting!r}")
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


def simulation_tables(task_curves: list[TaskCurves], budgets: int = 30, max_start: int = 200,
                      resamples: int = 50_000, seed: int = 0, confidence_level: float = 0.95,
                      threads: int = 1, accounting: str = "exact") -> tuple[pd.DataFrame, pd.DataFrame]:
    """`simulate` on every task (draws seeded by `task_seed`): (candidates, budgets) tables."""
    candidate_frames, budget_frames = [], []
    for item in task_curves:
        table, best = simulate(item, budgets, max_start, resamples, task_seed(seed, item.task),
                               confidence_level, threads, accounting=accounting)
        candidate_frames.append(table)
        budget_frames.append(best)
    return (
        pd.concat(candidate_frames, ignore_index=True) if candidate_frames else pd.DataFrame(columns=CANDIDATE_COLUMNS),
        pd.concat(budget_frames, ignore_index=True) if budget_frames else pd.DataFrame(columns=BUDGET_COLUMNS),
    )


def simulation_note(task_curves: list[TaskCurves], budgets: int, max_start: int, resamples: int, seed: int,
                    confidence_level: float, accounting: str = "exact") -> str:
    """What was simulated, short enough for a caption."""
    counts = ", ".join(
        f"{c.task} {c.n_completed}+{c.n_diverged}" + (f" ({c.n_stopped} stopped left out)" if c.n_stopped else "")
        for c in task_curves
    )
    stopped = sum(c.n_stopped for c in task_curves)
    caveat = "; live early stopping ran: the simulated trials are its survivors" if stopped else ""
    return (
        f"Algorithm 1 at budgets 1..{budgets}, t <= {max_start}, f = k/K, {accounting} accounting; {resamples} resamples with replacement "
        f"(seed {seed}); bands: central {confidence_level:.0%} of the best found; best incl. step 0; "
        f"trials completed+diverged (a diverged trial keeps its last score, never continued once diverged): "
        f"{counts}{caveat}"
    )
