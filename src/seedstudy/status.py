"""Where a study stands, from the files it has written so far (works during a run, and on a login
node while the trials run on a cluster): per task, how many trials are done, running, failed,
diverged and missing; the trial time spent and the median trial time (Snakemake's benchmark
files); and the time left at the current concurrency.

A trial is *done* when its result file exists (`results/trials/<task>/<stem>.json`) and holds
the trial that the current config and prepared data ask for its cell, *stale* when its file is
unreadable or of another config, cell or data (`store.trials.provenance_problem`), *running*
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
from .store.trials import benchmark_seconds, provenance_problem

COLUMNS = [
    "task",
    "trials",
    "done",
    "running",
    "missing",
    "stale",
    "diverged",
    "failed",
    "trial_hours",
    "median_trial_s",
]


def _read(path: Path) -> tuple[dict | None, str | None]:
    """A result file's content, or None and why it cannot be read."""
    try:
        with open(path) as handle:
            return json.load(handle), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, f"unreadable ({error})"


def _data_fingerprint(root: Path, config: dict, task: str) -> str | None:
    """The fingerprint of the task's prepared data of the study's model, if prepared."""
    meta = root / "results" / "data" / study.slug(config["model"]) / task / "meta.json"
    recorded, _ = _read(meta) if meta.exists() else (None, None)
    return recorded.get("fingerprint") if recorded else None


def _outcome(trial: dict, tolerance: float) -> tuple[bool, bool]:
    """(diverged, failed) of a finished trial, from its result."""
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
        variant = study.recipe_config(config, recipe)
        fingerprint = _data_fingerprint(root, variant, task)
        problems = {}
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
        counts = dict.fromkeys(["done", "running", "missing", "stale", "diverged", "failed"], 0)
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
                trial, why = _read(result)
                if trial is not None:
                    expected = study.trial_config(variant, task, *cell)
                    why = provenance_problem(
                        trial, study.config_hash(expected), expected, fingerprint
                    )
                if why:
                    counts["stale"] += 1
                    problems[str(result)] = why
                    continue
                counts["done"] += 1
                diverged, failed = _outcome(trial, tolerance)
                counts["diverged"] += diverged
                counts["failed"] += failed
                continue
            checkpoint = checkpoints / folder / f"{stem}.pt"
            fresh = checkpoint.exists() and now - checkpoint.stat().st_mtime < 60 * fresh_minutes
            counts["running" if fresh else "missing"] += 1
        trials = sum(counts[k] for k in ("done", "running", "missing", "stale"))
        rows.append(
            {
                "task": folder,
                "trials": trials,
                **counts,
                "trial_hours": sum(seconds) / 3600,
                "median_trial_s": float(np.median(seconds)) if seconds else float("nan"),
                "problems": problems,
            }
        )
    return rows


def time_left_s(rows: list[dict], concurrency: int | None = None) -> float:
    """Seconds until every trial is done, at `concurrency` trials at a time (default: as many as
    run now, at least one), each taking its task's median trial time."""
    running = sum(row["running"] for row in rows)
    concurrency = concurrency or max(running, 1)
    work = sum(
        (row["missing"] + row["running"] + row["stale"]) * row["median_trial_s"]
        for row in rows
        if row["missing"] + row["running"] + row["stale"]
    )
    return work / concurrency


def format_status(rows: list[dict], concurrency: int | None = None) -> str:
    widths = [max(len(c), 8) for c in COLUMNS]
    lines = ["  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths))]
    for row in rows:
        cells = [
            row["task"],
            *(str(row[c]) for c in COLUMNS[1:8]),
            f"{row['trial_hours']:.2f}",
            f"{row['median_trial_s']:.1f}",
        ]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths)))
    stale = {path: why for row in rows for path, why in row["problems"].items()}
    for path, why in list(stale.items())[:10]:
        lines.append(f"stale: {path}: {why}")
    if len(stale) > 10:
        lines.append(f"stale: ... and {len(stale) - 10} more")
    if stale:
        lines.append("the workflow refuses to aggregate stale trials: delete them and rerun it")
    left = time_left_s(rows, concurrency)
    running = sum(row["running"] for row in rows)
    at = concurrency or max(running, 1)
    if np.isnan(left):
        lines.append("time left: unknown until a trial of each unfinished task has finished")
    else:
        lines.append(f"time left: {left / 3600:.2f} h at {at} trial(s) at a time")
    return "\n".join(lines)
