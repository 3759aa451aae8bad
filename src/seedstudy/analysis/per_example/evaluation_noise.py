"""Seed noise against evaluation noise: how much of a score's spread comes from the seeds, and how
much a different dev set of the same size would move it.

Every trial of a task is scored on the same dev examples, so the spread of scores across trials is
seed noise only (init seed, order seed and what neither explains). A dev set is itself a sample:
the example bootstrap (resample the dev examples with replacement, stratified by label, rescore)
gives each trial's evaluation noise, the standard deviation its score would have over dev sets of
the same size (Madaan et al. 2024). Per task and score (final, best found) the total variance is

    init + order + residual  (the variance components of the seed grid, method of moments)
    + dev-set sampling       (the mean over trials of the example-bootstrap variance)

with intervals: the seed components' from the random-effect bootstrap of `variance_components`,
the sampling variance's from a two-way bootstrap over init and order seeds of the per-trial
bootstrap variances. The best-found score's evaluation noise is that of the evaluation chosen on
the full dev set, scored on resamples (the choice is not redone per resample: the figure speaks of
the noise of the reported number, not of the selection).
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


def decomposition(
    trials: pd.DataFrame,
    score: str,
    sd_column: str,
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """One task's variance of `score` split into init, order, residual and dev-set sampling.

    `trials` has init_seed, order_seed, `score` and `sd_column` (the trial's example-bootstrap sd).
    Rows: the components, `seed total`, `dev-set sampling` and `total`, with estimate, interval,
    share of the total and the sd (square root)."""
    data = trials[["init_seed", "order_seed", score, sd_column]].dropna()
    alpha = (1 - level) / 2
    rows = []
    seed_rows = vc.variance_components(data, score, level, samples, seed)
    usable = seed_rows["moments"].notna().all()
    for _, row in seed_rows.iterrows():
        name = "seed total" if row["component"] == "total" else row["component"]
        rows.append(
            {
                "component": name,
                "variance": row["moments"],
                "lower": row["moments_lower"],
                "upper": row["moments_upper"],
                "note": row["note"],
            }
        )
    boot_var = data[sd_column].to_numpy(dtype=float) ** 2
    sampling = float(boot_var.mean()) if len(boot_var) else np.nan
    if len(boot_var) > 1 and data["init_seed"].nunique() > 1 and data["order_seed"].nunique() > 1:
        boot = _two_way_mean_bootstrap(
            boot_var,
            data["init_seed"].to_numpy(),
            data["order_seed"].to_numpy(),
            samples,
            np.random.default_rng(seed + 1),
        )
        low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    else:
        low = high = np.nan
    rows.append(
        {
            "component": "dev-set sampling",
            "variance": sampling,
            "lower": low,
            "upper": high,
            "note": "",
        }
    )
    seed_total = rows[-2]["variance"] if usable else np.nan
    total = seed_total + sampling
    rows.append(
        {"component": "total", "variance": total, "lower": np.nan, "upper": np.nan, "note": ""}
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
    """`decomposition` of every task and score; `trials` has `<score>_eval_sd` columns."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        for score in scores:
            frame = decomposition(group, score, f"{score}_eval_sd", level, samples, seed)
            frame.insert(0, "score", score)
            frame.insert(0, "task", task)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sentence(
    table: pd.DataFrame, task: str, score: str = "final", scale: float = 100.0, unit: str = "points"
) -> str:
    """The comparison in one sentence the user can quote."""
    rows = table[(table["task"] == task) & (table["score"] == score)].set_index("component")
    seed_sd, eval_sd = rows.loc["seed total", "sd"], rows.loc["dev-set sampling", "sd"]
    parts = ", ".join(
        f"{c} {scale * rows.loc[c, 'sd']:.2f}"
        for c in ("init", "order", "residual")
        if c in rows.index
    )
    if not (np.isfinite(seed_sd) and np.isfinite(eval_sd)) or eval_sd == 0:
        return f"{task}: not enough trials to set seed noise against evaluation noise."
    label = "final" if score == "final" else "best-found"
    return (
        f"{task}: the seeds move the {label} score by sd {scale * seed_sd:.2f} {unit} ({parts}); "
        f"resampling its {int(rows.loc['total', 'dev_size'])} dev examples moves a trial's score "
        f"by sd {scale * eval_sd:.2f} {unit}: seed noise "
        f"is {seed_sd / eval_sd:.2f}x the evaluation noise."
    )
