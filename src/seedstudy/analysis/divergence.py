"""Divergence and failed runs (paper Table 2 and Fig. 4).

A trial *diverged* when its training loss became non-finite; it *failed* when it diverged or its
final dev score is at or below the score of the trivial baseline plus a tolerance (both flags are
set by aggregation, `aggregate`; the baseline, the `majority` column, is the most
frequent dev label of a classification and the train mean of a regression,
`seedstudy.data.prepare`). Every metric is higher-is-better, so "at or below" means no better than
the baseline. Here:

- `failure_table`: per task, counts and fractions of diverged and failed trials (Table 2).
- `sample_curves`: the learning curves of a fixed-seed random sample of trials per task (Fig. 4).
- `failure_prediction`: how early a failed run can be recognised. At every evaluation point, the
  predictor "the score is at or below the baseline's score plus the tolerance (or the run
  has already diverged)" is compared with failing at the end: precision and recall.

Trials stopped by live early stopping have no end and are left out of all three.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .aggregate import finished_trials, seed_keys


def failure_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Per task: trials, diverged, failed (diverged or at the majority baseline at the end) and
    the fractions, with the trivial baseline's score."""
    rows = []
    for task, group in trials.groupby("task", sort=True):
        done = finished_trials(group)
        n = len(done)
        diverged = int(done["diverged"].sum())
        failed = int(done["failed"].sum())
        rows.append(
            {
                "task": task,
                "metric": group["metric"].iloc[0],
                "majority": float(group["majority"].iloc[0]),
                "n_trials": n,
                "n_stopped": int((group["status"] == "stopped").sum()),
                "diverged": diverged,
                "failed": failed,
                "failed_not_diverged": failed - diverged,
                "diverged_fraction": diverged / n if n else np.nan,
                "failed_fraction": failed / n if n else np.nan,
                "mean_best_failed": float(done.loc[done["failed"], "best"].mean())
                if failed
                else np.nan,
                "mean_best_not_failed": float(done.loc[~done["failed"], "best"].mean())
                if failed < n
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def sample_curves(
    trials: pd.DataFrame, curves: pd.DataFrame, samples: int = 20, seed: int = 0
) -> pd.DataFrame:
    """The evaluation curves of `samples` finished trials per task, drawn at random with `seed`
    (all of them when a task has fewer), with the trials' failed flag and majority score."""
    frames = []
    keys = ["task", *seed_keys(trials)]
    for _task, group in finished_trials(trials).groupby("task", sort=True):
        chosen = group.sample(n=min(samples, len(group)), random_state=seed)
        frames.append(chosen[keys + ["failed", "diverged", "majority"]])
    if not frames:
        return curves.iloc[0:0]
    chosen = pd.concat(frames, ignore_index=True)
    return curves.merge(chosen, on=keys, how="inner", validate="many_to_one")


def failure_prediction(
    trials: pd.DataFrame, curves: pd.DataFrame, tolerance: float = 0.0
) -> pd.DataFrame:
    """Per task and evaluation point: precision and recall of "score <= majority + tolerance at
    this point, or diverged before it" as a predictor of the trial failing at the end."""
    rows = []
    for task, group in finished_trials(trials).groupby("task", sort=True):
        outcome = group.set_index(seed_keys(trials))[["failed", "majority"]]
        task_curves = curves[curves["task"] == task].set_index(seed_keys(trials))
        points = (
            task_curves[["eval_index", "step", "epoch"]]
            .drop_duplicates("eval_index")
            .sort_values("eval_index")
        )
        for point in points.itertuples(index=False):
            at_point = task_curves.loc[task_curves["eval_index"] == point.eval_index, "score"]
            score = at_point.reindex(outcome.index)
            majority = outcome["majority"]
            # a trial without this evaluation diverged before it: recognised as failing
            predicted = score.isna() | (score <= majority + tolerance)
            failed = outcome["failed"].astype(bool)
            true_positive = int((predicted & failed).sum())
            n_predicted = int(predicted.sum())
            n_failed = int(failed.sum())
            rows.append(
                {
                    "task": task,
                    "eval_index": int(point.eval_index),
                    "step": int(point.step),
                    "epoch": float(point.epoch),
                    "n_trials": len(outcome),
                    "n_failed": n_failed,
                    "n_predicted": n_predicted,
                    "true_positive": true_positive,
                    "precision": true_positive / n_predicted if n_predicted else np.nan,
                    "recall": true_positive / n_failed if n_failed else np.nan,
                }
            )
    return pd.DataFrame(rows)
