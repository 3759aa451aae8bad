"""The resampling and test primitives the analyses share.

- The two-way bootstrap over seeds (Owen 2007's pigeonhole bootstrap): resample the init seeds
  and, independently, the order seeds with replacement and keep every cell they index, with
  multiplicity. A resample is a weight per cell, count(init seed) x count(order seed), so a
  statistic is a weighted mean over the cells and no cell is materialised (`seed_counts`,
  `cell_weights`, `weighted_means`).
- The bootstrap of dev examples (`bootstrap_counts`, stratified or not).
- Percentile intervals and the bootstrap z p-value; P(A > B)'s summand.
- Wilson intervals, McNemar's exact test, Holm's step-down correction.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint


def seed_counts(
    n_init: int, n_order: int, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """How often each init seed and each order seed is drawn in every resample (with
    replacement, independently): arrays (resamples, n_init) and (resamples, n_order)."""
    init = rng.multinomial(n_init, np.full(n_init, 1 / n_init), size=resamples)
    order = rng.multinomial(n_order, np.full(n_order, 1 / n_order), size=resamples)
    return init, order


def cell_weights(init_codes, order_codes, counts: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Weight of every cell in every resample: count(its init seed) x count(its order seed),
    shape (resamples, cells)."""
    init, order = counts
    return init[:, np.asarray(init_codes)] * order[:, np.asarray(order_codes)]


def weighted_means(values, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of `values` per resample (NaN where a resample kept no cell)."""
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ np.asarray(values, dtype=float)) / total


def percentile_interval(boot: np.ndarray, level: float) -> tuple[float, float]:
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return np.nan, np.nan
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def bootstrap_p_value(estimate: float, boot: np.ndarray) -> float:
    """Two-sided p-value of 0 from the bootstrap z statistic: the estimate over the standard
    deviation of its resamples, against the normal. (A p-value counted from the resamples,
    twice the smaller tail at 0, cannot go below 2 / (resamples + 1), which Holm's correction
    over many pairs and tasks would never let pass.)"""
    boot = boot[np.isfinite(boot)]
    if boot.size < 2:
        return np.nan
    se = float(np.std(boot, ddof=1))
    if se == 0:
        return 1.0 if estimate == 0 else 0.0
    return float(2 * stats.norm.sf(abs(estimate) / se))


def outperform_indicator(a, b) -> np.ndarray:
    """1 where A beat B, 1/2 on ties, 0 where B beat A (the summand of P(A > B))."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return (a > b) + 0.5 * (a == b)


def wilson_interval(failed: int, trials: int, level: float) -> tuple[float, float]:
    low, high = proportion_confint(failed, trials, alpha=1 - level, method="wilson")
    return float(low), float(high)


def mcnemar_exact(failed_a, failed_b) -> tuple[int, int, float]:
    """McNemar's exact test on paired cells: b = A failed and B did not, c = the reverse."""
    failed_a, failed_b = np.asarray(failed_a, dtype=bool), np.asarray(failed_b, dtype=bool)
    b = int((failed_a & ~failed_b).sum())
    c = int((~failed_a & failed_b).sum())
    table = [[int((failed_a & failed_b).sum()), b], [c, int((~failed_a & ~failed_b).sum())]]
    return b, c, float(mcnemar(table, exact=True).pvalue)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values, max over j <= i of min(1, (m - j + 1) p_(j)) for the
    i-th smallest (NaN stays NaN and does not count). The same numbers as statsmodels'
    `multipletests(method="holm")`, which runs a full garbage collection on every call
    (0.2 s here: the simulation benchmark calls it per data set)."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    if finite.size:
        order = finite[np.argsort(p[finite], kind="stable")]
        steps = np.minimum(1.0, (finite.size - np.arange(finite.size)) * p[order])
        adjusted[order] = np.maximum.accumulate(steps)
    return adjusted


def bootstrap_counts(n_examples: int, samples: int, seed: int, strata=None) -> np.ndarray:
    """Example counts of `samples` bootstrap resamples of the dev set: [samples, examples].

    With `strata` (e.g. the labels), each stratum is resampled within itself, which keeps the label
    mix of the dev set; without, examples are drawn from the whole set."""
    rng = np.random.default_rng(seed)
    if strata is None:
        return rng.multinomial(
            n_examples, np.full(n_examples, 1.0 / n_examples), size=samples
        ).astype(np.float64)
    strata = np.asarray(strata)
    counts = np.zeros((samples, n_examples))
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        counts[:, members] = rng.multinomial(
            len(members), np.full(len(members), 1.0 / len(members)), size=samples
        )
    return counts
