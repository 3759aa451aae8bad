"""Synthetic aggregate tables (trials.parquet / curves.parquet layout) with known seed effects,
for the tests of the analyses: no training needed."""

from __future__ import annotations

import numpy as np
import pandas as pd

METRICS = {"mrpc": "acc_and_f1", "rte": "accuracy", "cola": "mcc", "sst2": "accuracy"}
MAJORITY = {"mrpc": 0.75, "rte": 0.53, "cola": 0.0, "sst2": 0.51}


def make_trials(
    tasks=("rte",),
    n_init: int = 5,
    n_order: int = 5,
    sd_init: float = 0.02,
    sd_order: float = 0.01,
    sd_residual: float = 0.01,
    failed_fraction: float = 0.0,
    replicates: int = 1,
    seed: int = 0,
    init_effects: dict | None = None,
) -> pd.DataFrame:
    """A trials table: best = 0.7 + init effect + order effect + noise (failed trials at the
    majority score); `init_effects` (task -> array) fixes the init effects."""
    rng = np.random.default_rng(seed)
    rows = []
    for task in tasks:
        a = init_effects[task] if init_effects else rng.normal(0, sd_init, n_init)
        b = rng.normal(0, sd_order, n_order)
        majority = MAJORITY[task]
        for i in range(n_init):
            for j in range(n_order):
                for k in range(replicates):
                    best = 0.7 + a[i] + b[j] + rng.normal(0, sd_residual)
                    failed = bool(rng.random() < failed_fraction)
                    diverged = failed and bool(rng.random() < 0.3)
                    final = majority if failed else best - abs(rng.normal(0, 0.005))
                    if failed:
                        best = majority + abs(rng.normal(0, 0.005))
                    rows.append(
                        {
                            "task": task,
                            "init_seed": i + 1,
                            "order_seed": j + 1,
                            "dropout_seed": (k + 1) if replicates > 1 else j + 1,
                            "dropout_owner": "grid" if replicates > 1 else "order",
                            "status": "diverged" if diverged else "completed",
                            "complete": not diverged,
                            "metric": METRICS[task],
                            "best": best,
                            "best_step": 10,
                            "best_epoch_end": best - 0.002,
                            "best_epoch_grid": best - 0.003,
                            "grid_end": final,
                            "final": final,
                            "majority": majority,
                            "diverged": diverged,
                            "failed": failed,
                            "n_evals": 5,
                            "steps_run": 40,
                            "total_steps": 40,
                            "train_size": 100,
                            "dev_size": 50,
                            "config_hash": "x",
                            "data_fingerprint": "y",
                            "wall_s": 1.0,
                            "path": f"results/trials/{task}/init{i + 1}_order{j + 1}.json",
                        }
                    )
    return pd.DataFrame(rows)


def make_curves(trials: pd.DataFrame, n_evals: int = 5, total_steps: int = 40) -> pd.DataFrame:
    """Evaluation curves ending at each trial's final score (failed trials flat at the majority
    score from the second evaluation on; diverged trials cut after the third)."""
    rows = []
    steps = np.linspace(0, total_steps, n_evals).astype(int)
    for trial in trials.itertuples(index=False):
        for index, step in enumerate(steps):
            if trial.diverged and index > 2:
                break
            fraction = index / (n_evals - 1)
            if trial.failed:
                score = trial.majority if index >= 1 else trial.majority + 0.01
            else:
                score = trial.majority + fraction * (trial.final - trial.majority)
            rows.append(
                {
                    "task": trial.task,
                    "init_seed": trial.init_seed,
                    "order_seed": trial.order_seed,
                    "dropout_seed": trial.dropout_seed,
                    "dropout_owner": trial.dropout_owner,
                    "status": trial.status,
                    "eval_index": index,
                    "step": int(step),
                    "epoch": float(step / (total_steps / 2)),
                    "is_epoch_end": bool(step % (total_steps // 2) == 0 and step > 0),
                    "is_final": bool(step == total_steps),
                    "score": score,
                    "dev_loss": 0.5,
                    "train_loss": 0.5,
                }
            )
    return pd.DataFrame(rows)


def study(trials: pd.DataFrame, name: str = "synthetic") -> dict:
    return {
        "study": name,
        "model": "synthetic",
        "trials": {
            task: {
                "n": len(group),
                "init_seeds": int(group["init_seed"].nunique()),
                "order_seeds": int(group["order_seed"].nunique()),
                "train_size": 100,
                "dev_size": 50,
            }
            for task, group in trials.groupby("task")
        },
    }
