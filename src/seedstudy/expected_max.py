"""Expected validation performance vs number of trials (paper Fig. 1).

With N observed scores sorted v_(1) <= ... <= v_(N), the expected maximum of n trials drawn with
replacement (Dodge et al. 2019) is

    E[max_n] = sum_i v_(i) * [(i/N)^n - ((i-1)/N)^n]

and its standard deviation follows from the same weights (the distribution of the maximum of n
draws from the empirical distribution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# the three evaluation frequencies of the paper: column of the trials table that holds the score
FREQUENCIES = {
    "every evaluation": "best",
    "once per epoch": "best_epoch_end",
    "end of training": "final",
}


def max_weights(n_scores: int, n: int) -> np.ndarray:
    """P(the maximum of n draws with replacement is the i-th smallest of N scores)."""
    i = np.arange(1, n_scores + 1)
    return (i / n_scores) ** n - ((i - 1) / n_scores) ** n


def expected_max(scores, n_max: int | None = None) -> pd.DataFrame:
    """Expected maximum and its sd for n = 1..n_max (default N), drawing with replacement.

    Returns columns n, expected_max, sd, lower, upper (mean -/+ sd clipped to the observed range).
    """
    values = np.sort(np.asarray(scores, dtype=float))
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("expected_max needs at least one finite score")
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


def expected_max_table(trials: pd.DataFrame, n_max: int | None = None) -> pd.DataFrame:
    """Fig. 1's data: expected max vs n per task and evaluation frequency."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        for frequency, column in FREQUENCIES.items():
            scores = group[column].dropna()
            if scores.empty:
                continue
            table = expected_max(scores, n_max)
            table.insert(0, "frequency", frequency)
            table.insert(0, "task", task)
            table.insert(2, "n_trials", len(scores))
            frames.append(table)
    return pd.concat(frames, ignore_index=True)
