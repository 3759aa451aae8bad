"""Algorithm 1 under both accountings (analysis.early_stopping.accounting) on a synthetic grid.

    python benchmarks/early_stopping_accounting.py [--trials 625] [--tasks 4] [--evals 30]
        [--budgets 30] [--max-start 200] [--resamples 5000] [--threads 2]

Curves as in benchmarks/early_stopping_simulation.py (each trial rises from the majority score to
its own plateau, 10% stay at the majority, 2% diverge part-way), on an every-10-steps grid whose
final step is off the grid: evaluations at 0, 10, ..., 10*(K-1) and the final step 10*(K-1) + 4
(like SST-2's every-100-steps grid). "paper" then drops that final evaluation (K - 1 points
left), charges a run stopped after evaluation k k + 1 intervals and allows p = 0. Prints per task
and for a few budgets the chosen (t, f, p) and the error reduction under each accounting.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from early_stopping_simulation import synthetic_curves

from seedstudy.analysis.early_stopping.simulation import load_task_curves, simulate, task_seed


def off_grid_final(curves: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """Move the final evaluation (index K) to 4 steps after the last grid point."""
    curves = curves.copy()
    final = curves["eval_index"] == n_points
    curves.loc[final, "step"] = 10 * (n_points - 1) + 4
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=625, help="per task")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--evals", type=int, default=30)
    parser.add_argument("--budgets", type=int, default=30)
    parser.add_argument("--max-start", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, nargs="+", default=[1, 3, 5, 10, 20, 30])
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    tasks = [f"task{i}" for i in range(args.tasks)]
    curves = pd.concat(
        [
            off_grid_final(synthetic_curves(t, args.trials, args.evals, rng), args.evals)
            for t in tasks
        ],
        ignore_index=True,
    )
    print(
        f"synthetic: {args.tasks} tasks x {args.trials} trials x {args.evals} evaluations after "
        f"step 0 (final off the every-10-steps grid); budgets 1..{args.budgets}, t <= "
        f"{args.max_start}, R = {args.resamples}"
    )
    results = {}
    for accounting in ("exact", "paper"):
        for item in load_task_curves(curves, accounting=accounting)[0]:
            _, best = simulate(
                item,
                budgets=args.budgets,
                max_start=args.max_start,
                resamples=args.resamples,
                seed=task_seed(args.seed, item.task),
                threads=args.threads,
                accounting=accounting,
            )
            results[accounting, item.task] = (item.n_points, best.set_index("budget"))
    shown = [x for x in args.show if x <= args.budgets]
    print("task   budget | exact: t   f      p  err.red. | paper: t   f      p  err.red.")
    for task in tasks:
        for x in shown:
            cells = []
            for accounting in ("exact", "paper"):
                K, best = results[accounting, task]
                row = best.loc[x]
                cells.append(
                    f"{row.started:4d} {row.stop_index:2d}/{K:<2d} {row.continued:4d} "
                    f"{row.error_reduction:+.4f}"
                )
            print(f"{task:6s} {x:6d} | {cells[0]}   | {cells[1]}")


if __name__ == "__main__":
    main()
