"""Best found vs previously reported (paper Table 1): max over trials and evaluations."""

from __future__ import annotations

import pandas as pd

from ..tasks import reported_scores
from .aggregate import finished_trials


def best_found_table(trials: pd.DataFrame, model: str) -> pd.DataFrame:
    """Per task: the best score of any trial at any evaluation (in percent) beside the
    previously reported BERT dev scores, and which model produced ours; how many trials failed,
    and a note where every trial failed (the best found is then no fine-tuned model's). Trials
    stopped by live early stopping are left out (their scores are partial), from the best, the
    mean and n."""
    rows = []
    if "status" in trials:
        trials = finished_trials(trials)
    for task, group in trials.groupby("task", sort=True):
        best = group.loc[group["best"].idxmax()]
        row = {
            "task": task,
            "metric": best["metric"],
            "model": model,
            "best_found": 100 * float(best["best"]),
            "best_init_seed": int(best["init_seed"]),
            "best_order_seed": int(best["order_seed"]),
            "mean_best_found": 100 * float(group["best"].mean()),
            # the trivial baseline: majority class, or the train mean of a regression
            "majority_baseline": 100 * float(group["majority"].iloc[0]),
            "n_trials": len(group),
            "failed_trials": int(group["failed"].sum()) if "failed" in group else 0,
        }
        row["note"] = (
            f"every trial failed ({int(group.get('diverged', group['failed']).sum())} diverged): "
            "the best found is "
            "a failed run's"
            if "failed" in group and group["failed"].all()
            else ""
        )
        for source, value in reported_scores(task).items():
            row[f"reported BERT-large ({source})"] = value
        rows.append(row)
    return pd.DataFrame(rows)
