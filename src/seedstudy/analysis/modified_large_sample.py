"""Modified large-sample (MLS) intervals for the variance components of a balanced crossed grid.

On a balanced I x J grid with r trials per cell the ANOVA mean squares are independent and
scaled chi-squares, MS_q ~ E[MS_q] chi2(n_q) / n_q, and each component is a difference of two
expected mean squares,

    init = (E MS_init - E MS_against) / (J r),   order = (E MS_order - E MS_against) / (I r),
    interaction = (E MS_interaction - E MS_noise) / r,

MS_against being the interaction's with replicate cells and the residual's without. The residual
(or noise) is a single mean square: its interval is the exact chi-square one. A difference
theta = c1 theta1 - c2 theta2 gets the MLS interval of Ting, Burdick, Graybill, Jeyaratnam and
Lu (1990) (Burdick and Graybill 1992, sec. 3.3), which holds its level closely down to a few
degrees of freedom where the bootstrap of the moments falls short (`benchmarks/calibration.py`).
The lower bound is truncated at 0.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def mls_difference(
    c1: float, s1: float, n1: int, c2: float, s2: float, n2: int, level: float
) -> tuple[float, float]:
    """MLS interval at `level` for c1 theta1 - c2 theta2, from mean squares s1, s2 with n1, n2
    degrees of freedom (c1, c2 > 0)."""
    alpha = (1 - level) / 2
    chi2 = stats.chi2
    g1, g2 = 1 - n1 / chi2.ppf(1 - alpha, n1), 1 - n2 / chi2.ppf(1 - alpha, n2)
    h1, h2 = n1 / chi2.ppf(alpha, n1) - 1, n2 / chi2.ppf(alpha, n2) - 1
    f_hi, f_lo = stats.f.ppf(1 - alpha, n1, n2), stats.f.ppf(alpha, n1, n2)
    g12 = ((f_hi - 1) ** 2 - g1**2 * f_hi**2 - h2**2) / f_hi
    h12 = ((1 - f_lo) ** 2 - h1**2 * f_lo**2 - g2**2) / f_lo
    a, b = c1 * s1, c2 * s2
    estimate = a - b
    lower = estimate - np.sqrt(max(g1**2 * a**2 + h2**2 * b**2 + g12 * a * b, 0.0))
    upper = estimate + np.sqrt(max(h1**2 * a**2 + g2**2 * b**2 + h12 * a * b, 0.0))
    return max(lower, 0.0), max(upper, 0.0)


def chi2_interval(s: float, n: int, level: float) -> tuple[float, float]:
    """Exact interval for the expected value of a mean square s with n degrees of freedom."""
    alpha = (1 - level) / 2
    return n * s / stats.chi2.ppf(1 - alpha, n), n * s / stats.chi2.ppf(alpha, n)


def mean_squares(cube: np.ndarray) -> dict[str, tuple[float, int]]:
    """ANOVA mean squares and degrees of freedom of a balanced I x J x r array of scores:
    init, order, interaction (the residual when r = 1) and, with r > 1, noise."""
    n_i, n_j, r = cube.shape
    cell = cube.mean(axis=2)
    grand = cell.mean()
    rows, columns = cell.mean(axis=1), cell.mean(axis=0)
    interaction = cell - rows[:, None] - columns[None, :] + grand
    out = {
        "init": (n_j * r * float(np.sum((rows - grand) ** 2)) / (n_i - 1), n_i - 1),
        "order": (n_i * r * float(np.sum((columns - grand) ** 2)) / (n_j - 1), n_j - 1),
        "interaction": (
            r * float(np.sum(interaction**2)) / ((n_i - 1) * (n_j - 1)),
            (n_i - 1) * (n_j - 1),
        ),
    }
    if r > 1:
        out["noise"] = (
            float(np.sum((cube - cell[:, :, None]) ** 2)) / (n_i * n_j * (r - 1)),
            n_i * n_j * (r - 1),
        )
    return out


def component_intervals(cube: np.ndarray, level: float) -> dict[str, tuple[float, float]]:
    """MLS intervals of every component of a balanced I x J x r grid (module docstring): init,
    order and residual (r = 1), or init, order, interaction and noise (r > 1)."""
    n_i, n_j, r = cube.shape
    ms = mean_squares(cube)
    against, df = ms["interaction"]
    out = {
        "init": mls_difference(1 / (n_j * r), *ms["init"], 1 / (n_j * r), against, df, level),
        "order": mls_difference(1 / (n_i * r), *ms["order"], 1 / (n_i * r), against, df, level),
    }
    if r == 1:
        out["residual"] = chi2_interval(against, df, level)
    else:
        noise, noise_df = ms["noise"]
        out["interaction"] = mls_difference(1 / r, against, df, 1 / r, noise, noise_df, level)
        out["noise"] = chi2_interval(noise, noise_df, level)
    return out
