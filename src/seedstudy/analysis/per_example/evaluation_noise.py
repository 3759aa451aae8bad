"""Seed noise against evaluation noise: how much of a score's spread comes from the seeds, and how
much a different dev set of the same size would move it.

A trial's score on the dev set is its population score (its score on the population the dev set
is drawn from) plus a sampling error: y_t = theta_t + e_t. Every trial is scored on the same dev
examples, so the errors share a part (the dev set is easy or hard for all models) and each has a
trial-specific part (the examples this model gets right by luck). The example bootstrap (resample
the dev examples with replacement, rescore every trial on the same resamples) gives both: the
variance of a trial's score over resamples, Var(e_t) (Madaan et al. 2024), and the covariance of
a trial's score with the seed-averaged score, whose mean over trials is Var(mean_t e_t).

By the law of total variance, the variance of a trial's score over seeds and dev sets is

    seed variance on one dev set    (init + order + residual: the seed grid's components, method
                                     of moments; the residual holds the trial-specific dev noise)
    + dev-set sampling              (the variance of the seed-averaged score over dev sets)

and the population seed variance, Var(theta), is the seed variance on one dev set less the
trial-specific dev noise, mean_t Var(e_t) - Var(mean_t e_t). Rows of `decomposition`: the
components, `seed total`, `dev-set sampling` (these add up to `total`), and beside them `dev-set
sampling, one trial` (mean_t Var(e_t)), `trial-specific dev noise` and `seed total, population`
(truncated at 0). Intervals: the seed components' from the random-effect bootstrap of
`variance_components`; the dev-set terms' from a two-way bootstrap over init and order seeds of
the per-trial bootstrap moments (the dev set held fixed). The best-found score's evaluation noise
is that of the evaluation chosen on the full dev set, scored on resamples (the choice is not
redone per resample: the figure speaks of the noise of the reported number, not of the
selection).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import variance_components as vc
from ..resampling import bootstrap_counts, cell_weights, seed_counts, weighted_means
from .scores import weighted_scores


def example_bootstrap(
    predictions,
    labels,
    metric: str,
    samples: int,
    seed: int,
    n_classes: int | None = None,
    stratified: bool = True,
) -> np.ndarray:
    """Bootstrap scores [trials, samples]: every trial's predictions (rows of [trials, examples])
    scored on the same `samples` resamples of the dev examples."""
    labels = np.asarray(labels)
    counts = bootstrap_counts(len(labels), samples, seed, strata=labels if stratified else None)
    return weighted_scores(np.atleast_2d(predictions), labels, metric, counts, n_classes)


def example_bootstrap_sd(
    predictions,
    labels,
    metric: str,
    samples: int = 1000,
    seed: int = 0,
    n_classes: int | None = None,
    stratified: bool = True,
) -> np.ndarray:
    """Each trial's evaluation noise: the sd of its score over bootstrap
    resamples of the dev set."""
    return example_bootstrap(predictions, labels, metric, samples, seed, n_classes, stratified).std(
        axis=1, ddof=1
    )


def bootstrap_moments(boot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From bootstrap scores [trials, samples]: each trial's sd over the resamples, and the
    covariance of its score with the mean score of all trials over the same resamples (their
    mean over trials is the variance of the seed-averaged score)."""
    boot = np.atleast_2d(np.asarray(boot, dtype=float))
    centred = boot - boot.mean(axis=1, keepdims=True)
    average = centred.mean(axis=0)
    denominator = max(boot.shape[1] - 1, 1)
    return boot.std(axis=1, ddof=1), centred @ average / denominator


def _two_way_mean_bootstrap(
    values: np.ndarray, init: np.ndarray, order: np.ndarray, samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Means of `values` over two-way resamples: init seeds and order seeds resampled with
    replacement independently; a trial enters as often as its init seed times its order seed
    (the recipe comparison's seed bootstrap)."""
    init_codes, init_levels = pd.factorize(init, sort=True)
    order_codes, order_levels = pd.factorize(order, sort=True)
    counts = seed_counts(len(init_levels), len(order_levels), samples, rng)
    return weighted_means(values, cell_weights(init_codes, order_codes, counts))


def _seed_mean_interval(
    values: np.ndarray, data: pd.DataFrame, level: float, samples: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of the mean of per-trial `values` over two-way seed resamples."""
    if len(values) < 2 or data["init_seed"].nunique() < 2 or data["order_seed"].nunique() < 2:
        return np.nan, np.nan
    boot = _two_way_mean_bootstrap(
        values,
        data["init_seed"].to_numpy(),
        data["order_seed"].to_numpy(),
        samples,
        np.random.default_rng(seed),
    )
    alpha = (1 - level) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return float(low), float(high)


def _row(component: str, variance: float, lower=np.nan, upper=np.nan, note: str = "") -> dict:
    return {
        "component": component,
        "variance": variance,
        "lower": lower,
        "upper": upper,
        "note": note,
    }


def decomposition(
    trials: pd.DataFrame,
    score: str,
    sd_column: str,
    cov_column: str,
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """One task's variance of `score` split into init, order, residual and dev-set sampling by
    the law of total variance (module docstring).

    `trials` has init_seed, order_seed, `score`, `sd_column` (the trial's example-bootstrap sd)
    and `cov_column` (the covariance of its bootstrap scores with the seed-averaged score's,
    `bootstrap_moments`). Rows: the components, `seed total`, `dev-set sampling` and `total`,
    then `dev-set sampling, one trial`, `trial-specific dev noise` and `seed total, population`,
    with estimate, interval, share of the total and the sd (square root)."""
    data = trials[["init_seed", "order_seed", score, sd_column, cov_column]].dropna()
    rows = []
    seed_rows = vc.variance_components(data, score, level, samples, seed)
    usable = seed_rows["moments"].notna().all()
    for _, row in seed_rows.iterrows():
        name = "seed total" if row["component"] == "total" else row["component"]
        rows.append(
            _row(name, row["moments"], row["moments_lower"], row["moments_upper"], row["note"])
        )
    one_trial = data[sd_column].to_numpy(dtype=float) ** 2
    shared = data[cov_column].to_numpy(dtype=float)
    sampling = float(shared.mean()) if len(shared) else np.nan
    rows.append(
        _row(
            "dev-set sampling",
            sampling,
            *_seed_mean_interval(shared, data, level, samples, seed + 1),
        )
    )
    seed_total = rows[-2]["variance"] if usable else np.nan
    total = seed_total + sampling
    rows.append(_row("total", total))
    specific = one_trial - shared
    rows.append(
        _row(
            "dev-set sampling, one trial",
            float(one_trial.mean()) if len(one_trial) else np.nan,
            *_seed_mean_interval(one_trial, data, level, samples, seed + 2),
        )
    )
    trial_specific = float(specific.mean()) if len(specific) else np.nan
    rows.append(
        _row(
            "trial-specific dev noise",
            trial_specific,
            *_seed_mean_interval(specific, data, level, samples, seed + 3),
            note="part of the residual",
        )
    )
    population = seed_total - trial_specific
    rows.append(
        _row(
            "seed total, population",
            max(population, 0.0) if np.isfinite(population) else np.nan,
            note="seed total less the trial-specific dev noise"
            + (" (truncated at 0)" if population < 0 else ""),
        )
    )
    frame = pd.DataFrame(rows)
    frame["share"] = frame["variance"] / total if np.isfinite(total) and total > 0 else np.nan
    frame["sd"] = np.sqrt(frame["variance"])
    frame["n_trials"] = len(data)
    frame["dev_size"] = (
        int(trials["dev_size"].iloc[0]) if "dev_size" in trials and len(trials) else np.nan
    )
    return frame


def decomposition_table(
    trials: pd.DataFrame,
    scores=("final", "best"),
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """`decomposition` of every task and score; `trials` has `<score>_eval_sd` and
    `<score>_eval_cov` columns."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        for score in scores:
            frame = decomposition(
                group, score, f"{score}_eval_sd", f"{score}_eval_cov", level, samples, seed
            )
            frame.insert(0, "score", score)
            frame.insert(0, "task", task)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sentence(
    table: pd.DataFrame, task: str, score: str = "final", scale: float = 100.0, unit: str = "points"
) -> str:
    """The comparison in one sentence the user can quote: the population seed sd (net of the
    trial-specific dev noise) against the evaluation noise of one trial."""
    rows = table[(table["task"] == task) & (table["score"] == score)].set_index("component")
    population = rows.loc["seed total, population", "sd"]
    seed_sd = rows.loc["seed total", "sd"]
    eval_sd = rows.loc["dev-set sampling, one trial", "sd"]
    shared_sd = rows.loc["dev-set sampling", "sd"]
    parts = ", ".join(
        f"{c} {scale * rows.loc[c, 'sd']:.2f}"
        for c in ("init", "order", "residual")
        if c in rows.index
    )
    if not (np.isfinite(population) and np.isfinite(eval_sd)) or eval_sd == 0:
        return f"{task}: not enough trials to set seed noise against evaluation noise."
    label = "final" if score == "final" else "best-found"
    return (
        f"{task}: the seeds move the {label} score by sd {scale * population:.2f} {unit} "
        f"net of dev-set noise (on this dev set sd {scale * seed_sd:.2f}: {parts}); resampling "
        f"its {int(rows.loc['total', 'dev_size'])} dev examples moves a trial's score by sd "
        f"{scale * eval_sd:.2f} {unit} and the seed-averaged score by sd "
        f"{scale * shared_sd:.2f}: seed noise is {population / eval_sd:.2f}x the evaluation noise."
    )
