"""The multi-bootstrap (Sellam et al. 2022, MultiBERTs): a recipe comparison whose interval covers
both sources of noise, the seeds and the dev set.

Each resample draws init seeds and order seeds with replacement (the two-way seed bootstrap of
`recipe_comparison`: a weight per paired cell) and, jointly, the dev examples with replacement (a
count per example, `resampling.bootstrap_counts`). Both recipes' trials of a cell are rescored on
the same resampled examples, so the difference stays paired in seeds and in examples. The mean
paired difference and P(A > B) get percentile intervals and the difference a bootstrap p-value,
as in `recipe_comparison.pair_statistics`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..resampling import (
    bootstrap_counts,
    bootstrap_p_value,
    cell_weights,
    outperform_indicator,
    percentile_interval,
    seed_counts,
)
from .scores import weighted_scores


def pair(
    predictions_a,
    predictions_b,
    labels,
    metric: str,
    init_seeds,
    order_seeds,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    n_classes: int | None = None,
) -> dict:
    """The multi-bootstrap comparison of two recipes' predictions on the same cells.

    predictions_a/b: [cells, examples] (the same cell in the same row); init_seeds/order_seeds: the
    cells' seeds."""
    init_codes, init_levels = pd.factorize(np.asarray(init_seeds), sort=True)
    order_codes, order_levels = pd.factorize(np.asarray(order_seeds), sort=True)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    weights = cell_weights(
        init_codes, order_codes, seed_counts(len(init_levels), len(order_levels), resamples, rng)
    )
    examples = bootstrap_counts(len(labels), resamples, seed + 1)
    a = weighted_scores(predictions_a, labels, metric, examples, n_classes)  # [cells, resamples]
    b = weighted_scores(predictions_b, labels, metric, examples, n_classes)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_diff = np.einsum("rc,cr->r", weights, a - b) / total
        boot_p = np.einsum("rc,cr->r", weights, outperform_indicator(a, b)) / total
    observed_a = weighted_scores(predictions_a, labels, metric, n_classes=n_classes)
    observed_b = weighted_scores(predictions_b, labels, metric, n_classes=n_classes)
    mean_diff = float(np.mean(observed_a - observed_b))
    low, high = percentile_interval(boot_diff, level)
    p_low, p_high = percentile_interval(boot_p, level)
    return {
        "n_cells": len(observed_a),
        "mean_diff": mean_diff,
        "multi_low": low,
        "multi_high": high,
        "p_outperform": float(outperform_indicator(observed_a, observed_b).mean()),
        "multi_p_low": p_low,
        "multi_p_high": p_high,
        "multi_p_value": bootstrap_p_value(mean_diff, boot_diff),
    }
