"""The mean of trials that share seeds: its standard error and degrees of freedom on the crossed
init x order grid, and the same for the designs a study can run.

Trials that share an init seed or an order seed are correlated, so the mean of N trials does
not have variance s2 / N. Under the random-effects model of `variance_components`,

    y = mu + a_init + b_order (+ c_cell) + e,

the mean of the trials has variance

    Var(mean) = sum over components k of s2_k * sum over levels l of k of (n_l / N)^2,

n_l the number of trials at level l (each trial is its own level of the residual / noise). On a
balanced I x J grid of cell means this is s2_init / I + s2_order / J + s2_residual / (I J), whose
moment estimate is (MS_init + MS_order - MS_residual) / (I J). The components are the study's
truncated moment estimates (`moment_estimates`, Henderson's Method I on an unbalanced grid).

The test of a zero mean uses t with min(I, J) - 1 degrees of freedom: the estimated variance is
dominated by the seed axis with fewer levels wherever the seed effects matter, and with that
many degrees of freedom the interval holds its level whether the seed effects are large or
absent (`benchmarks/calibration.py` measures it).

Designs with no crossing: a *pairs* study (init seed i trained with order seed i only, so init
and order are confounded) and a grid with a single seed of one kind are one-factor designs: the
mean of the n seed-pair (or seed) means, with the t test on n - 1 degrees of freedom.

`effective_size` is the number of independent trials whose mean is as precise as the mean of
these: the total variance (the sum of the components) over Var(mean). Intervals that need an
iid sample size (the CDF bands of `expected_max`) take it in place of the number of trials.

`design_variance` / `design_df` state the same model for a planned study of n seeds per axis,
which the planner and the recipe comparison's decision share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .variance_components import NotEnoughData, design, moment_estimates

DESIGNS = ("grid", "pairs", "independent")


@dataclass(frozen=True)
class MeanSE:
    """The mean of some trials, its standard error and the degrees of freedom of its t test."""

    mean: float
    se: float
    df: int
    method: str  # "crossed" (init x order moments) or "one-factor"

    def test(self, level: float = 0.95) -> dict:
        """Two-sided t test of a zero mean and the t interval at `level`."""
        q = stats.t.ppf((1 + level) / 2, self.df)
        if self.se > 0:
            t = self.mean / self.se
            p = float(2 * stats.t.sf(abs(t), self.df))
        else:
            t, p = (np.nan, np.nan) if self.mean == 0 else (np.sign(self.mean) * np.inf, 0.0)
        return {
            "mean": self.mean,
            "se": self.se,
            "df": self.df,
            "t": float(t),
            "p_value": p,
            "low": self.mean - q * self.se,
            "high": self.mean + q * self.se,
        }


def _one_factor(values: np.ndarray, groups: np.ndarray) -> MeanSE:
    """The mean of the group means (groups: seeds, or seed pairs) and its iid standard error."""
    means = pd.Series(values).groupby(groups, sort=False).mean().to_numpy()
    if means.size < 2:
        raise NotEnoughData(f"not enough data: {means.size} seed(s); the mean's SE needs >= 2")
    se = float(np.std(means, ddof=1) / np.sqrt(means.size))
    return MeanSE(float(means.mean()), se, means.size - 1, "one-factor")


def mean_se(values, init_seeds, order_seeds) -> MeanSE:
    """The mean of `values` (one per trial) with its standard error under the crossed seed model
    (see the module docstring). Grids with one seed of a kind, and designs where every init seed
    meets a single order seed (pairs), are one-factor designs; with replicate cells the one
    factor is the cell. Raises NotEnoughData when fewer than two seeds can be told apart."""
    values = np.asarray(values, dtype=float)
    init = pd.factorize(np.asarray(init_seeds), sort=True)[0]
    order = pd.factorize(np.asarray(order_seeds), sort=True)[0]
    n_init, n_order = init.max() + 1, order.max() + 1
    cells = pd.factorize(pd.Series(init) * n_order + order, sort=True)[0]
    n_cells = cells.max() + 1
    if n_init == 1 and n_order == 1:
        return _one_factor(values, np.arange(values.size))
    if n_init == 1:
        return _one_factor(values, order)
    if n_order == 1:
        return _one_factor(values, init)
    if n_cells == n_init == n_order:
        return _one_factor(values, cells)
    d = design(init_seeds, order_seeds)
    components = moment_estimates(values, d)
    variance = 0.0
    for component, s2 in zip(d.components, components):
        counts = np.bincount(d.codes(component)).astype(float)
        variance += s2 * float(np.sum((counts / d.n) ** 2))
    df = int(min(d.n_init, d.n_order) - 1)
    return MeanSE(float(values.mean()), float(np.sqrt(variance)), df, "crossed")


def effective_size(values, init_seeds, order_seeds) -> float:
    """The trials' effective sample size, total variance / Var(mean) (module docstring), between
    1 and the number of trials. The total variance is the sum of the moment components on a
    crossed grid and the sample variance of a one-factor design; with no variance at all the
    trials count as independent."""
    values = np.asarray(values, dtype=float)
    mean = mean_se(values, init_seeds, order_seeds)
    if mean.method == "crossed":
        total = float(np.sum(moment_estimates(values, design(init_seeds, order_seeds))))
    else:
        total = float(np.var(values, ddof=1))
    if mean.se <= 0 or total <= 0:
        return float(values.size)
    return float(np.clip(total / mean.se**2, 1.0, values.size))


def design_variance(
    design_name: str, n: int, sd_init: float, sd_order: float, sd_residual: float
) -> float:
    """Var of the mean under the crossed model for a study of n seeds per axis: `grid` (n x n
    cells), `pairs` (n seed pairs) or `independent` (the difference of two unpaired means of n
    seed pairs each, both with these components)."""
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    s2 = np.array([sd_init, sd_order, sd_residual], dtype=float) ** 2
    if design_name == "grid":
        return float(s2[0] / n + s2[1] / n + s2[2] / n**2)
    if design_name == "pairs":
        return float(s2.sum() / n)
    if design_name == "independent":
        return float(2 * s2.sum() / n)
    raise ValueError(f"design must be one of {DESIGNS}, got {design_name!r}")


def design_df(design_name: str, n: int) -> int:
    """Degrees of freedom of the t test `mean_se` gives for that design: n - 1 on a grid (the
    smaller axis) and for pairs, 2 n - 2 for two independent samples."""
    if design_name not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design_name!r}")
    return 2 * n - 2 if design_name == "independent" else n - 1
