"""Where a study stands, from the files it has written so far (works during a run, and on a login
node while the trials run on a cluster): per task, how many trials are done, running, failed,
diverged and missing; the trial time spent and the median trial time (Snakemake's benchmark
files); and the time left at the current concurrency.

A trial is *done* when its result file exists (`results/trials/<task>/<stem>.json`), *running*
when it has no result but a checkpoint written in the last `fresh_minutes`, *missing* otherwise;
a done trial is *diverged* when its status says so and *failed* when it diverged or its final
score is at or below the majority-class score plus the failure tolerance, as in the aggregate.
Live early stopping's stopped trials are counted as done (their partial result is final).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import study
from .store.trials import benchmark_seconds

COLUMNS = [
    "task",
    "trials",
    "done",
    "running",
    "missing",
    "diverged",
    "failed",
    "trial_hours",
    "median_trial_s",
]


def _outcome(path: Path, tolerance: float) -> tuple[bool, bool]:
    """(diverged, failed) of a finished trial, read from its result file."""
    with open(path) as handle:
        trial = json.load(handle)
    diverged = trial["status"] == "diverged"
    metric = trial["metric"]
    final = trial["evaluations"][-1][metric]
    return diverged, bool(diverged or final <= trial["majority"][metric] + tolerance)


def _benchmark_seconds(path: Path) -> float | None:
    try:
        return benchmark_seconds(path)
    except (OSError, StopIteration, KeyError, ValueError):
        return None


def study_status(
    config: dict, root: str | Path = ".", fresh_minutes: float = 15.0, now: float | None = None
) -> list[dict]:
    """One row per task (see COLUMNS) for the study `config` whose outputs lie under `root`; with
    recipes, one per recipe and task (`task` is then <recipe>/<task>, the folder of its trials)."""
    root = Path(root)
    now = time.time() if now is None else now
    tolerance = config["analysis"]["failure_tolerance"]
    checkpoints = root / config["runtime"]["checkpoint_dir"]
    rows = []
    for recipe, task in ((r, t) for r in study.recipe_names(config) for t in config["tasks"]):
        folder = study.recipe_dir(config, recipe) + task  # <task>, or <recipe>/<task> with recipes
        early = config["tasks"][task].get("early_stopping")
        grid = study.task_grid(study.recipe_config(config, recipe), task)
        stopped = set()
        if (
            early
        ):  # the first `start` trials; those live early stopping stopped are done as they are
            grid = grid[: early["start"]]
            selection = root / "results" / "early_stopping" / folder / "selection.json"
            if selection.exists():
                stopped = set(json.loads(selection.read_text())["stop"])
        counts = dict.fromkeys(["done", "running", "missing", "diverged", "failed"], 0)
        seconds = []
        for cell in grid:
            stem = study.trial_stem(*cell)
            for kind in ("finetune", "finetune_partial"):
                spent = _benchmark_seconds(
                    root / "results" / "benchmarks" / kind / folder / f"{stem}.tsv"
                )
                if spent is not None:
                    seconds.append(spent)
            result = root / "results" / "trials" / folder / f"{stem}.json"
            if stem in stopped:
                result = root / "results" / "early_stopping" / folder / "partial" / f"{stem}.json"
            if result.exists():
                counts["done"] += 1
                diverged, failed = _outcome(result, tolerance)
                counts["diverged"] += diverged
                counts["failed"] += failed
                continue
            checkpoint = checkpoints / folder / f"{stem}.pt"
            fresh = checkpoint.exists() and now - checkpoint.stat().st_mtime < 60 * fresh_minutes
            counts["running" if fresh else "missing"] += 1
        trials = sum(counts[k] for k in ("done", "running", "missing"))
        rows.append(
            {
                "task": folder,
                "trials": trials,
                **counts,
                "trial_hours": sum(seconds) / 3600,
                "median_trial_s": float(np.median(seconds)) if seconds else float("nan"),
            }
        )
    return rows


def time_left_s(rows: list[dict], concurrency: int | None = None) -> float:
    """Seconds until every trial is done, at `concurrency` trials at a time (default: as many as
    run now, at least one), each taking its task's median trial time."""
    running = sum(row["running"] for row in rows)
    concurrency = concurrency or max(running, 1)
    work = sum(
        (row["missing"] + row["running"]) * row["median_trial_s"]
        for row in rows
        if row["missing"] + row["running"]
    )
    return work / concurrency


def format_status(rows: list[dict], concurrency: int | None = None) -> str:
    widths = [max(len(c), 8) for c in COLUMNS]
    lines = ["  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths))]
    for row in rows:
        cells = [
            row["task"],
            *(str(row[c]) for c in COLUMNS[1:7]),
            f"{row['trial_hours']:.2f}",
            f"{row['median_trial_s']:.1f}",
        ]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    left = time_left_s(rows, concurrency)
    running = sum(row["running"] for row in rows)
    at = concurrency or max(running, 1)
    if np.isnan(left):
        lines.append("time left: unknown until a trial of each unfinished task has finished")
    else:
        lines.append(f"time left: {left / 3600:.2f} h at {at} trial(s) at a time")
    return "\n".join(lines)
