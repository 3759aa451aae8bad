"""Early stopping (paper Algorithm 1): start many trials, stop the least promising early.

Live mode (`select_survivors`): trials trained to a fraction of training are ranked by their best
score so far; the best `keep` continue to the end, the others stay stopped with partial curves.
"""

from __future__ import annotations

from pathlib import Path

from ...store.trials import benchmark_seconds, read_trial


def select_survivors(partial_paths, keep: int) -> dict:
    """Rank partial trials by best headline score so far (ties: file name); keep the best `keep`.
    A trial of the authors' cadence (`grid_steps` recorded) is ranked on its grid evaluations,
    as their Algorithm 1 is."""
    ranking = []
    for path in partial_paths:
        trial = read_trial(path)
        metric = trial["metric"]
        grid = set(trial.get("grid_steps") or [])
        best = max(e[metric] for e in trial["evaluations"] if not grid or e["step"] in grid)
        ranking.append(
            {
                "stem": Path(path).name[: -len(".json")],
                "best_so_far": best,
                "stopped_at_step": trial["stopped_at_step"],
                "status": trial["status"],
            }
        )
    if keep > len(ranking):
        raise ValueError(f"cannot keep {keep} of {len(ranking)} trials")
    # a trial that diverged before the stop point is never continued
    ranking.sort(key=lambda r: (r["status"] != "stopped", -r["best_so_far"], r["stem"]))
    return {
        "keep": [r["stem"] for r in ranking[:keep]],
        "stop": [r["stem"] for r in ranking[keep:]],
        "ranking": ranking,
    }


def live_compute(
    task: str,
    selection: dict,
    partial_runs,
    survivor_runs,
    partial_benchmarks,
    survivor_benchmarks,
    survivor_trials,
) -> dict:
    """Compute spent by live early stopping against training every started trial fully.

    Trial-steps are counted from the run records (optimizer steps each job actually ran, so a
    continuation that had to start over is charged in full); training all trials fully costs
    started x total steps. Wall time is measured from Snakemake's benchmark files of the partial
    runs and of the continuations; for all trials trained fully it is estimated as every partial
    run plus, per started trial, the survivors' mean continuation time.
    """
    import json

    def load(path):
        with open(path) as handle:
            return json.load(handle)

    partials = [load(p) for p in partial_runs]
    continuations = [load(p) for p in survivor_runs]
    survivors = [read_trial(p) for p in survivor_trials]
    total = survivors[0]["total_steps"]
    started, kept = len(partials), len(continuations)
    spent_steps = sum(r["train_steps_run"] for r in partials + continuations)
    partial_seconds = sum(benchmark_seconds(p) for p in partial_benchmarks)
    continuation_seconds = [benchmark_seconds(p) for p in survivor_benchmarks]
    spent_seconds = partial_seconds + sum(continuation_seconds)
    all_seconds = partial_seconds + started * sum(continuation_seconds) / kept
    return {
        "task": task,
        "started": started,
        "kept": kept,
        "stop_step": next(
            (r["stopped_at_step"] for r in selection["ranking"] if r["status"] == "stopped"), None
        ),
        "total_steps": total,
        "trial_steps_spent": spent_steps,
        "trial_steps_all_full": started * total,
        "trial_steps_fraction": spent_steps / (started * total),
        "wall_s_spent": spent_seconds,
        "wall_s_all_full_estimated": all_seconds,
        "wall_fraction_estimated": spent_seconds / all_seconds,
        "resumed_continuations": sum(r["resumed_from_step"] is not None for r in continuations),
        "kept_trials": " ".join(selection["keep"]),
    }
