"""Expected validation performance vs number of trials (paper Fig. 1), and tuning curves done right.

With N observed scores sorted v_(1) <= ... <= v_(N):

- with replacement (Dodge et al. 2019): E[max_n] = sum_i v_(i) * [(i/N)^n - ((i-1)/N)^n], with the
  standard deviation of the maximum of n draws from the empirical distribution. It equals opda's
  average tuning curve of the empirical distribution and is biased low for n close to N.
- unbiased for n <= N (Tang et al. 2020; the U-statistic of the maximum of n trials drawn
  without replacement): sum_{j >= n} v_(j) * C(j-1, n-1) / C(N, n).
- median tuning curve (the median of the best of n trials, Lourie et al. 2023) and simultaneous
  confidence bands for the median and the expected tuning curves, from opda's confidence bands
  of the score distribution's CDF.
- trials needed to beat a score theta with probability alpha:
  n* = ceil(ln(1 - alpha) / ln F(theta)), F the empirical CDF (infinite when no trial beat theta),
  with the range that the CDF band gives.

The CDF bands treat the scores as an iid sample of `effective_size` trials. The trials of a seed
grid are not iid: those that share an init or an order seed are correlated, so the tables give
the bands the grid's effective sample size (`crossed.effective_size`, total variance over the
variance of the mean under the crossed seed model) in place of the number of trials: the band of
a sample of that size, at the same empirical CDF levels. The effective size comes from the
variance components of the scores; the indicator 1{score <= t} that a CDF band is about has
smaller seed correlations than the scores (for normal effects), so the bands err on the wide
side (`benchmarks/calibration_recipes.py` measures their coverage).

Trials stopped by live early stopping are excluded (their scores are partial).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from opda.nonparametric import EmpiricalDistribution
from scipy.special import gammaln

from .. import metrics
from ..tasks import reported_scores
from .aggregate import finished_trials
from .crossed import effective_size as crossed_effective_size
from .variance_components import NotEnoughData

# the three evaluation frequencies of the paper: column of the trials table that holds the score
FREQUENCIES = {
    "every evaluation": "best",
    "once per epoch": "best_epoch_end",
    "end of training": "final",
}
# analysis.paper_grids: "once per epoch" and "end of training" on the evaluation grid as the
# authors' notebook took them (`aggregate.paper_epoch_grid_best`, the last grid point)
PAPER_FREQUENCIES = {
    **FREQUENCIES,
    "once per epoch": "best_epoch_grid",
    "end of training": "grid_end",
}
# the range of each metric (the support of the score distribution, for the confidence bands)
# besides the previously reported scores, trials needed to beat these quantiles of our own scores
THRESHOLD_QUANTILES = (0.5, 0.75, 0.9)
# opda's CDF band methods; ks is exact for continuous scores and takes milliseconds, the
# Learned-Miller-DeStefano bands are tighter in the tails but take about a minute for 625 scores
BAND_METHODS = ("ks", "dkw", "ld_equal_tailed", "ld_highest_density")
# the bands that shift the empirical CDF by a constant
SHIFT_BANDS = ("ks", "dkw")


def _finite_sorted(scores) -> np.ndarray:
    values = np.sort(np.asarray(scores, dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("expected_max needs at least one finite score")
    return values


def max_weights(n_scores: int, n: int) -> np.ndarray:
    """P(the maximum of n draws with replacement is the i-th smallest of N scores)."""
    i = np.arange(1, n_scores + 1)
    return (i / n_scores) ** n - ((i - 1) / n_scores) ** n


def unbiased_weights(n_scores: int, n: int) -> np.ndarray:
    """P(the maximum of n draws without replacement is the i-th smallest of N scores):
    C(i-1, n-1) / C(N, n) for i >= n (computed on the log scale)."""
    if not 1 <= n <= n_scores:
        raise ValueError(f"the unbiased estimator needs 1 <= n <= N (n={n}, N={n_scores})")
    i = np.arange(n, n_scores + 1)
    log_weights = (
        gammaln(i)
        - gammaln(n)
        - gammaln(i - n + 1)
        - (gammaln(n_scores + 1) - gammaln(n + 1) - gammaln(n_scores - n + 1))
    )
    weights = np.zeros(n_scores)
    weights[n - 1 :] = np.exp(log_weights)
    return weights


def expected_max(scores, n_max: int | None = None) -> pd.DataFrame:
    """Expected maximum and its sd for n = 1..n_max (default N), drawing with replacement.

    Returns columns n, expected_max, sd, lower, upper (mean -/+ sd clipped to the observed range).
    """
    values = _finite_sorted(scores)
    n_scores = values.size
    n_max = n_max or n_scores
    rows = []
    for n in range(1, n_max + 1):
        weights = max_weights(n_scores, n)
        mean = float(weights @ values)
        variance = max(float(weights @ values**2) - mean**2, 0.0)
        sd = variance**0.5
        rows.append(
            {
                "n": n,
                "expected_max": mean,
                "sd": sd,
                "lower": max(mean - sd, values[0]),
                "upper": min(mean + sd, values[-1]),
            }
        )
    return pd.DataFrame(rows)


def unbiased_expected_max(scores, ns) -> np.ndarray:
    """The unbiased estimate of E[max of n trials] for every n in ns (NaN where n > N)."""
    values = _finite_sorted(scores)
    return np.array(
        [
            float(unbiased_weights(values.size, n) @ values) if n <= values.size else np.nan
            for n in ns
        ]
    )


def cdf_bands(
    values: np.ndarray,
    level: float,
    bounds: tuple[float, float],
    method: str,
    effective_size: float | None = None,
):
    """opda's simultaneous confidence band of the score CDF: (lower, point, upper) distributions.
    With `effective_size` m below the number of scores N, the band of an iid sample of round(m)
    scores at the empirical CDF levels i / N of these scores: F -/+ opda's eps for m scores for
    the `ks` and `dkw` bands, opda's band weights at the levels k / m interpolated for the
    others. Scores on a finite dev set have ties; the bands then stay valid but are conservative
    (opda warns about exact coverage, which needs continuity; the warning is silenced here)."""
    values = np.sort(np.asarray(values, dtype=float))
    size = values.size if effective_size is None else min(effective_size, values.size)
    size = max(1, round(size))
    steps = np.arange(size + 1, dtype=float)
    levels = np.arange(values.size + 1) / values.size
    extended = np.concatenate([[bounds[0]], values, [bounds[1]]])

    def band(distribution, shift: float):
        if method in SHIFT_BANDS:  # F -/+ eps, clipped: exact at every level
            cumulative = np.clip(levels + shift, 0.0, 1.0)
        else:  # interpolated between the levels k / m
            cumulative = np.interp(levels, steps / size, distribution.cdf(steps))
        weights = np.diff(cumulative, prepend=0.0, append=1.0)
        return EmpiricalDistribution(extended, ws=weights, a=bounds[0], b=bounds[1])

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Duplicates detected", category=RuntimeWarning)
        if size == values.size:
            return EmpiricalDistribution.confidence_bands(
                values, level, a=bounds[0], b=bounds[1], method=method, n_jobs=1
            )
        lower, _, upper = EmpiricalDistribution.confidence_bands(
            steps[1:], level, a=0.0, b=size + 1.0, method=method, n_jobs=1
        )
        point = EmpiricalDistribution(values, a=bounds[0], b=bounds[1])
        eps = float(upper.cdf(0.0))  # the upper band at level 0
        return band(lower, -eps), point, band(upper, eps)


def tuning_curves(
    scores,
    level: float = 0.95,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    method: str = "ks",
    n_max: int | None = None,
    effective_size: float | None = None,
) -> pd.DataFrame:
    """Every tuning curve for n = 1..n_max (default N): the with-replacement expected max with
    its sd band (`expected_max`), the unbiased expected max, the median tuning curve, and the
    simultaneous confidence bands (at `level`) of the median and of the expected tuning curve,
    from the CDF band of `effective_size` scores (`cdf_bands`; default: the number of scores)."""
    values = _finite_sorted(scores)
    table = expected_max(values, n_max)
    ns = table["n"].to_numpy()
    table["unbiased"] = unbiased_expected_max(values, ns)
    lower_cdf, point_cdf, upper_cdf = cdf_bands(values, level, bounds, method, effective_size)
    table["median"] = point_cdf.quantile_tuning_curve(ns)
    # the upper CDF band bounds the tuning curve from below, and vice versa
    table["median_lower"] = upper_cdf.quantile_tuning_curve(ns)
    table["median_upper"] = lower_cdf.quantile_tuning_curve(ns)
    if np.isfinite(bounds).all():
        table["expected_lower"] = upper_cdf.average_tuning_curve(ns)
        table["expected_upper"] = lower_cdf.average_tuning_curve(ns)
    else:
        table["expected_lower"] = table["expected_upper"] = np.nan
    return table


def metric_bounds(metric: str) -> tuple[float, float]:
    """The range of a metric's scores (`metrics.bounds`; R^2 has no lower bound)."""
    return metrics.bounds(metric)


def grid_effective_size(trials: pd.DataFrame, column: str) -> float:
    """The effective sample size of the scores in `column` of one task's trials on their seed
    grid (`crossed.effective_size`); the number of trials where the seeds cannot be told apart
    (a single trial, or no seed columns)."""
    scores = trials[column].to_numpy(dtype=float)
    if scores.size < 2 or not {"init_seed", "order_seed"} <= set(trials.columns):
        return float(scores.size)
    try:
        return crossed_effective_size(scores, trials["init_seed"], trials["order_seed"])
    except NotEnoughData:
        return float(scores.size)


def expected_max_table(
    trials: pd.DataFrame,
    n_max: int | None = None,
    level: float = 0.95,
    method: str = "ks",
    paper_grids: bool = False,
) -> pd.DataFrame:
    """Fig. 1's data and the tuning curves: per task, evaluation frequency and n.
    `paper_grids`: the frequencies as in the authors' notebook (PAPER_FREQUENCIES)."""
    frames = []
    for task, group in finished_trials(trials).groupby("task", sort=True):
        bounds = metric_bounds(group["metric"].iloc[0])
        for frequency, column in (PAPER_FREQUENCIES if paper_grids else FREQUENCIES).items():
            scores = group[column].dropna()
            if scores.empty:
                continue
            size = grid_effective_size(group.loc[scores.index], column)
            table = tuning_curves(scores, level, bounds, method, n_max, size)
            table.insert(0, "frequency", frequency)
            table.insert(0, "task", task)
            table.insert(2, "n_trials", len(scores))
            table.insert(3, "effective_size", size)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def trials_needed(
    scores,
    threshold: float,
    probability: float = 0.95,
    level: float = 0.95,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    method: str = "ks",
    effective_size: float | None = None,
) -> dict:
    """Trials needed to beat `threshold` (score > threshold) with `probability`:
    n* = ceil(ln(1 - probability) / ln F(threshold)), F the empirical CDF; and the range of n*
    over the simultaneous CDF band at `level` of `effective_size` scores (`cdf_bands`). Infinite
    when the CDF is 1 at the threshold."""
    values = _finite_sorted(scores)
    lower_cdf, point_cdf, upper_cdf = cdf_bands(values, level, bounds, method, effective_size)

    def needed(cdf: float) -> float:
        if cdf >= 1:
            return math.inf
        if cdf <= 0:
            return 1.0
        # (a ratio that is an integer up to rounding stays that integer)
        return float(math.ceil(math.log(1 - probability) / math.log(cdf) - 1e-9))

    cdf = float(point_cdf.cdf(threshold))
    return {
        "threshold": threshold,
        "cdf": cdf,
        "p_beat_one_trial": 1 - cdf,
        "trials_needed": needed(cdf),
        # a smaller CDF (lower band) needs fewer trials
        "trials_needed_lower": needed(float(lower_cdf.cdf(threshold))),
        "trials_needed_upper": needed(float(upper_cdf.cdf(threshold))),
        "n_beating": int((values > threshold).sum()),
        "n_trials": values.size,
    }


def trials_needed_table(
    trials: pd.DataFrame,
    probability: float = 0.95,
    level: float = 0.95,
    method: str = "ks",
    quantiles=THRESHOLD_QUANTILES,
    score: str = "best",
) -> pd.DataFrame:
    """Per task: trials needed to beat the previously reported BERT scores and some quantiles
    of our own best found scores, with probability `probability`."""
    rows = []
    for task, group in finished_trials(trials).groupby("task", sort=True):
        scores = group[score].dropna()
        if scores.empty:
            continue
        bounds = metric_bounds(group["metric"].iloc[0])
        size = grid_effective_size(group.loc[scores.index], score)
        thresholds = {
            f"reported: {source}": value / 100 for source, value in reported_scores(task).items()
        }
        thresholds.update(
            {f"our q{round(100 * q)}": float(np.quantile(scores, q)) for q in quantiles}
        )
        for name, threshold in thresholds.items():
            rows.append(
                {
                    "task": task,
                    "score": score,
                    "metric": group["metric"].iloc[0],
                    "threshold_name": name,
                    "probability": probability,
                    **trials_needed(scores, threshold, probability, level, bounds, method, size),
                    "effective_size": size,
                }
            )
    return pd.DataFrame(rows)
