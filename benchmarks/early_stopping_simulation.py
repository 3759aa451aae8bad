"""Time the early-stopping simulation on a synthetic study of the paper's size.

    python benchmarks/early_stopping_simulation.py [--trials 2100] [--tasks 4] [--evals 30]
        [--budgets 30] [--max-start 200] [--resamples 50000] [--threads 2]

Synthetic curves: per task, trials/tasks trials with K evaluations after step 0; each trial rises
from a majority-class score towards its own plateau with evaluation noise, scores rounded to a
dev set of 408 examples; 10% never leave the majority class and 2% diverge part-way (curve ends
early). Prints the time of the whole simulation (all tasks, every budget, the intervals of the
chosen settings included; building the curves matrices included) and per task, with the load
average.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from seedstudy.analysis.early_stopping.simulation import load_task_curves, simulate, task_seed


def synthetic_curves(
    task: str, n_trials: int, n_points: int, rng: np.random.Generator, dev_size: int = 408
) -> pd.DataFrame:
    majority = 0.68
    plateau = rng.normal(0.84, 0.02, n_trials)
    failed = rng.random(n_trials) < 0.10
    plateau[failed] = majority
    speed = rng.uniform(2.0, 8.0, n_trials)
    progress = np.arange(n_points + 1) / n_points
    mean = majority + (plateau - majority)[:, None] * (
        1 - np.exp(-speed[:, None] * progress[None, :])
    )
    scores = np.clip(mean + rng.normal(0, 0.012, mean.shape), 0, 1)
    scores = np.round(scores * dev_size) / dev_size
    scores[:, 0] = majority
    n_evals = np.full(n_trials, n_points + 1)
    diverged = rng.random(n_trials) < 0.02
    n_evals[diverged] = rng.integers(1, n_points + 1, diverged.sum())
    init = np.arange(n_trials) // 25
    order = np.arange(n_trials) % 25
    rows = []
    for i in range(n_trials):
        n = n_evals[i]
        rows.append(
            pd.DataFrame(
                {
                    "task": task,
                    "init_seed": init[i],
                    "order_seed": order[i],
                    "dropout_seed": order[i],
                    "status": "completed" if n == n_points + 1 else "diverged",
                    "eval_index": np.arange(n),
                    "step": np.arange(n) * 10,
                    "epoch": np.arange(n) * 3 / n_points,
                    "score": scores[i, :n],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2100)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--evals", type=int, default=30)
    parser.add_argument("--budgets", type=int, default=30)
    parser.add_argument("--max-start", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    per_task = args.trials // args.tasks
    tasks = [f"task{i}" for i in range(args.tasks)]
    curves = pd.concat(
        [synthetic_curves(t, per_task, args.evals, rng) for t in tasks], ignore_index=True
    )
    print(
        f"synthetic study: {args.tasks} tasks x {per_task} trials, {args.evals} evaluations after "
        f"step 0; budgets 1..{args.budgets}, t <= {args.max_start}, R = {args.resamples}, "
        f"{args.threads} thread(s); load average before: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    task_curves, _ = load_task_curves(curves)
    for item in task_curves:
        task_started = time.perf_counter()
        table, best = simulate(
            item,
            budgets=args.budgets,
            max_start=args.max_start,
            resamples=args.resamples,
            seed=task_seed(args.seed, item.task),
            threads=args.threads,
        )
        last = best.iloc[-1]
        print(
            f"  {item.task}: {len(table)} candidates, {time.perf_counter() - task_started:.2f} s; "
            f"budget {args.budgets}: start {last.started}, stop at {last.stop_fraction:.2f}, "
            f"continue {last.continued}: relative error reduction {last.error_reduction:.3f}"
        )
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"total: {total:.2f} s wall, {cpu:.2f} s CPU for {args.trials} trials; load average after: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
