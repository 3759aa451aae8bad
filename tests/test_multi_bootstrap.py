"""The multi-bootstrap: seeds and dev examples resampled together for a recipe comparison."""

import numpy as np
import pandas as pd
import pytest

from seedstudy import metrics
from seedstudy.analysis import recipe_comparison, resampling
from seedstudy.analysis.per_example import multi_bootstrap


def _cells(rng, n_init, n_order, n_examples, shift):
    labels = rng.integers(0, 2, n_examples)
    init = np.repeat(np.arange(1, n_init + 1), n_order)
    order = np.tile(np.arange(1, n_order + 1), n_init)
    skill = (
        0.7 + 0.03 * rng.normal(size=n_init)[init - 1] + 0.02 * rng.normal(size=n_order)[order - 1]
    )
    a = np.where(rng.random((len(init), n_examples)) < (skill + shift)[:, None], labels, 1 - labels)
    b = np.where(rng.random((len(init), n_examples)) < skill[:, None], labels, 1 - labels)
    return labels, init, order, a, b


def test_equals_a_loop_over_materialised_resamples():
    rng = np.random.default_rng(0)
    labels, init, order, a, b = _cells(rng, 3, 3, 30, 0.05)
    got = multi_bootstrap.pair(a, b, labels, "accuracy", init, order, resamples=40, seed=5)
    # the same draws, materialised: seeds by their counts, examples by theirs, scored one by one
    draws = np.random.default_rng(5)
    init_counts, order_counts = resampling.seed_counts(3, 3, 40, draws)
    examples = resampling.bootstrap_counts(30, 40, 6)
    diffs = []
    for r in range(40):
        index = np.repeat(np.arange(30), examples[r].astype(int))
        total = weighted = 0.0
        for c in range(len(init)):
            w = init_counts[r, init[c] - 1] * order_counts[r, order[c] - 1]
            score_a = metrics.compute(["accuracy"], labels[index], a[c, index])["accuracy"]
            score_b = metrics.compute(["accuracy"], labels[index], b[c, index])["accuracy"]
            weighted += w * (score_a - score_b)
            total += w
        diffs.append(weighted / total)
    low, high = np.quantile(diffs, [0.025, 0.975])
    assert (got["multi_low"], got["multi_high"]) == pytest.approx((low, high))
    assert got["mean_diff"] == pytest.approx(((a == labels).mean(1) - (b == labels).mean(1)).mean())


def test_wider_than_the_seed_only_interval_and_covers_the_effect():
    """Dev-set noise adds to seed noise: the multi-bootstrap interval is wider than the seed-only
    one on the same cells, and over simulated studies it covers the true difference."""
    rng = np.random.default_rng(1)
    covered, wider = 0, 0
    runs = 40
    for run in range(runs):
        labels, init, order, a, b = _cells(rng, 5, 5, 200, 0.03)
        multi = multi_bootstrap.pair(a, b, labels, "accuracy", init, order, resamples=300, seed=run)
        scores = pd.DataFrame({"a": (a == labels).mean(1), "b": (b == labels).mean(1)})
        weights = resampling.cell_weights(
            pd.factorize(init, sort=True)[0],
            pd.factorize(order, sort=True)[0],
            resampling.seed_counts(5, 5, 300, np.random.default_rng(run)),
        )
        seeds_only = recipe_comparison.pair_statistics(
            scores["a"], scores["b"], init, order, weights, 0.95
        )
        wider += (multi["multi_high"] - multi["multi_low"]) > (
            seeds_only["boot_high"] - seeds_only["boot_low"]
        )
        covered += multi["multi_low"] <= 0.03 <= multi["multi_high"]
    assert wider >= 0.9 * runs
    assert covered >= 0.85 * runs


def test_differences_get_the_multi_bootstrap_beside_the_seed_intervals():
    differences = pd.DataFrame(
        {
            "task": ["sst2", "sst2"],
            "score": ["best", "final"],
            "recipe_a": "a",
            "recipe_b": "b",
            "mean_diff": [0.1, 0.2],
        }
    )
    multi = pd.DataFrame(
        {
            "task": ["sst2"],
            "score": ["final"],
            "recipe_a": ["a"],
            "recipe_b": ["b"],
            "multi_low": [-0.1],
            "multi_high": [0.5],
            "multi_p_low": [0.4],
            "multi_p_high": [0.9],
            "multi_p_value": [0.3],
        }
    )
    merged = recipe_comparison.merge_multi_bootstrap(differences, multi)
    assert merged["multi_low"].tolist()[1] == -0.1 and np.isnan(merged["multi_low"].iloc[0])
    empty = recipe_comparison.merge_multi_bootstrap(differences, pd.DataFrame())
    assert (
        list(empty.columns) == list(differences.columns) + recipe_comparison.MULTI_BOOTSTRAP
        and empty["multi_low"].isna().all()
    )
