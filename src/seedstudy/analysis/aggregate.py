"""All trial outputs of a task -> tidy tables.

- curves: one row per (task, init_seed, order_seed, dropout_seed, evaluation) with every metric,
  the headline `score`, the dev loss and the mean training loss since the previous evaluation.
- trials: one row per trial with its best found score (over all evaluations, over epoch ends
  only), its final score, and the diverged / failed / complete flags.
- losses: one row per optimizer step with the training loss.

A trial is *diverged* when its loss became non-finite (its scores are those of the last
evaluation before that), *stopped* when live early stopping ended it early (partial curve), and
*failed* when it diverged or its final score is at or below the score of the trivial baseline
plus a tolerance (column `majority`: the most frequent dev label of a classification, the train
mean of a regression; every metric is higher-is-better).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..store.atomic import write_json_atomic
from ..store.trials import TrialFileError, provenance_problem, read_trial, stale_trials_error
from ..study.recipes import DEFAULT_RECIPE

SEED_KEYS = ["init_seed", "order_seed", "dropout_seed"]  # one trial within a task
KEYS = ["task", *SEED_KEYS]


def seed_keys(table: pd.DataFrame) -> list[str]:
    """The columns that tell a table's trials of a task apart: SEED_KEYS, and `adapter_seed`
    where LoRA trials have one."""
    if "adapter_seed" in table and table["adapter_seed"].notna().any():
        return [*SEED_KEYS, "adapter_seed"]
    return SEED_KEYS


def finished_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """Rows of a trials table with full-length scores: live early stopping's stopped trials are
    partial and left out of the analyses that need a whole run."""
    return trials[trials["status"] != "stopped"]


def load_trials(paths) -> list[dict]:
    """Read every trial output; the first unusable one stops with a message naming it."""
    trials = []
    for path in paths:
        trial = read_trial(path)
        trial["_path"] = str(path)
        run_path = Path(str(path)[: -len(".json")] + ".run.json")
        if run_path.exists():
            try:
                with open(run_path) as handle:
                    trial["_run"] = json.load(handle)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise TrialFileError(
                    f"{run_path}: run record is corrupt ({error}); delete it and its trial "
                    f"(`rm {run_path} {path}`) and rerun the workflow to recompute this trial"
                ) from None
        trials.append(trial)
    return trials


def _key(trial: dict) -> dict:
    """The trial's seeds; a LoRA trial's also its adapter seed and owner (columns `adapter_seed`,
    `adapter_owner`, empty for fully fine-tuned trials)."""
    key = {
        "task": trial["task"],
        "init_seed": trial["init_seed"],
        "order_seed": trial["order_seed"],
        "dropout_seed": trial["dropout_seed"],
    }
    seeds = trial.get("config", {}).get("seeds", {})
    if "adapter" in seeds:
        key.update(adapter_seed=seeds["adapter"], adapter_owner=seeds["adapter_owner"])
    return key


def curves_table(trials: list[dict]) -> pd.DataFrame:
    rows = []
    for trial in trials:
        losses = np.asarray(trial["train_loss"], dtype=float)
        epoch_ends = set(trial.get("epoch_end_steps", []))
        grid = set(trial.get("grid_steps") or [e["step"] for e in trial["evaluations"]])
        previous = 0
        for index, evaluation in enumerate(trial["evaluations"]):
            step = evaluation["step"]
            interval = losses[previous:step]
            row = {
                **_key(trial),
                "dropout_owner": trial["dropout_owner"],
                "status": trial["status"],
                "eval_index": index,
                "step": step,
                "epoch": evaluation["epoch"],
                "is_epoch_end": step in epoch_ends,
                "is_final": step == trial["total_steps"],
                "on_grid": step in grid,  # `grid_mask`: the evaluation grid of the trial
                **{k: v for k, v in evaluation.items() if k not in ("step", "epoch")},
                "score": evaluation[trial["metric"]],
                "train_loss": float(np.mean(interval)) if len(interval) else np.nan,
            }
            rows.append(row)
            previous = step
    return pd.DataFrame(rows)


def paper_epoch_grid_best(grid_scores) -> float:
    """ "Once per epoch" as in the authors' notebook: `max(max(d[::10]), d[-1])` over the scores
    `d` of the evaluation grid. On a grid of step 0 and 10 evaluations per epoch that is step 0
    and the epoch ends; on SST-2's every-100-steps grid every 1,000th step and the last point."""
    scores = np.asarray(grid_scores, dtype=float)
    return float(max(scores[::10].max(), scores[-1]))


def grid_mask(trial: dict, steps: np.ndarray) -> np.ndarray:
    """The evaluations on the trial's evaluation grid: those at its `grid_steps` (recorded under
    `evaluation: paper`: the authors' grid, without the dense epoch-0 and epoch-end ones), else
    every evaluation."""
    grid = trial.get("grid_steps")
    return np.isin(steps, grid) if grid else np.ones(len(steps), dtype=bool)


def trials_table(trials: list[dict], failure_tolerance: float = 0.0) -> pd.DataFrame:
    rows = []
    for trial in trials:
        metric = trial["metric"]
        evaluations = trial["evaluations"]
        scores = np.array([e[metric] for e in evaluations], dtype=float)
        steps = np.array([e["step"] for e in evaluations])
        epoch_end = np.isin(steps, trial.get("epoch_end_steps", []))
        grid = scores[grid_mask(trial, steps)]
        best_index = int(np.argmax(scores))
        majority = trial["majority"][metric]
        diverged = trial["status"] == "diverged"
        final = float(scores[-1])
        run = trial.get("_run", {})
        rows.append(
            {
                **_key(trial),
                "dropout_owner": trial["dropout_owner"],
                "status": trial["status"],
                "complete": trial["status"] == "completed",
                "metric": metric,
                "best": float(scores[best_index]),
                "best_step": int(steps[best_index]),
                "best_epoch_end": float(scores[epoch_end].max()) if epoch_end.any() else np.nan,
                "best_epoch_grid": paper_epoch_grid_best(grid),
                "grid_end": float(grid[-1]),  # "end of training" in the authors' notebook
                "final": final,
                "majority": majority,
                "diverged": diverged,
                "failed": bool(diverged or final <= majority + failure_tolerance),
                "n_evals": len(evaluations),
                "steps_run": int(steps[-1]) if not diverged else len(trial["train_loss"]) - 1,
                "total_steps": trial["total_steps"],
                "train_size": trial["data"]["train_size"],
                "dev_size": trial["data"]["dev_size"],
                "config_hash": trial["config_hash"],
                "data_fingerprint": trial["data"]["fingerprint"],
                "wall_s": run.get("wall_s", np.nan),
                "path": trial["_path"],
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        keys = [*KEYS, "adapter_seed"] if "adapter_seed" in table else KEYS
        table = table.sort_values(keys, na_position="first").reset_index(drop=True)
    return table


def losses_table(trials: list[dict]) -> pd.DataFrame:
    losses = [np.asarray(trial["train_loss"], dtype=float) for trial in trials]
    lengths = np.array([len(loss) for loss in losses], dtype=int)
    if not trials:
        return pd.DataFrame(columns=KEYS + ["step", "train_loss"])
    # one column at a time for all trials (a frame per trial cost a second per thousand trials)
    keys = [*KEYS, "adapter_seed"] if "adapter_seed" in _key(trials[0]) else KEYS
    columns = {
        key: np.repeat(np.array([_key(trial).get(key) for trial in trials]), lengths)
        for key in keys
    }
    columns["step"] = np.concatenate([np.arange(1, n + 1) for n in lengths])
    columns["train_loss"] = np.concatenate(losses)
    return pd.DataFrame(columns)


def check_consistent(trials: list[dict]) -> None:
    """Trials of one task must share their data and training settings (but for the seeds)."""
    by_task: dict[str, set] = {}
    for trial in trials:
        config = dict(trial["config"])
        config.pop("seeds", None)
        signature = json.dumps([config, trial["data"]["fingerprint"]], sort_keys=True)
        by_task.setdefault(trial["task"], set()).add(signature)
    for task, signatures in by_task.items():
        if len(signatures) > 1:
            raise TrialFileError(
                f"the trials of task {task!r} were run with {len(signatures)} different settings "
                "or data versions; rerun the workflow so that "
                "every trial is recomputed with the current config"
            )


def check_provenance(
    trials: list[dict], expected: dict, data_fingerprint: str | None = None
) -> None:
    """Every trial file must hold the trial that the current config asks for its cell.

    `expected`: {"config": the task's trial config without its seeds, "trials": {path: {"hash":
    config hash, "seeds": seeds}}} (the workflow's `aggregate_provenance`); `data_fingerprint`:
    the fingerprint of the task's prepared data now. Raises TrialFileError naming every file
    of another config, cell or data, and how to recompute exactly those trials."""
    problems = {}
    for trial in trials:
        cell = expected["trials"].get(trial["_path"])
        if cell is None:
            problems[trial["_path"]] = "not a trial of the study's grid"
            continue
        why = provenance_problem(
            trial, cell["hash"], {**expected["config"], "seeds": cell["seeds"]}, data_fingerprint
        )
        if why:
            problems[trial["_path"]] = why
    if problems:
        raise stale_trials_error(problems)


def check_unique_cells(trials: list[dict]) -> None:
    """No two trial files of one cell (a trial copied under another seed's file name)."""
    seen: dict[tuple, str] = {}
    for trial in trials:
        key = tuple(_key(trial).values())
        if key in seen:
            raise TrialFileError(
                f"{seen[key]} and {trial['_path']} hold the same trial {_key(trial)}; delete "
                "the one whose file name is not its seeds and rerun the workflow"
            )
        seen[key] = trial["_path"]


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Parquet (the declared output; `pd.read_parquet` or `duckdb` for a quick look)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path, index=False)


def aggregate_task(
    trial_paths,
    out_dir,
    failure_tolerance: float = 0.0,
    recipe: str = DEFAULT_RECIPE,
    expected: dict | None = None,
    data_fingerprint: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of one task of one recipe; each has a first column `recipe` (the implicit
    recipe's name, "default", in a study without recipes), so that the study's tables hold every
    recipe and every analysis can group by it. With `expected` (`check_provenance`), every trial
    file must be the trial the current config and data ask for its cell."""
    trials = load_trials(trial_paths)
    if expected is not None:
        check_provenance(trials, expected, data_fingerprint)
    check_unique_cells(trials)
    check_consistent(trials)
    tables = {
        "curves": curves_table(trials),
        "trials": trials_table(trials, failure_tolerance),
        "losses": losses_table(trials),
    }
    for name, table in tables.items():
        table.insert(0, "recipe", recipe)
        write_table(table, Path(out_dir) / f"{name}.parquet")
    return tables


def adapter_summary(group: pd.DataFrame) -> dict:
    """A task's adapter seeds and their owner (init, order, grid), where its trials are LoRA."""
    if "adapter_owner" not in group or group["adapter_owner"].isna().all():
        return {}
    owners = sorted(group["adapter_owner"].dropna().unique())
    return {
        "adapter_seeds": int(group["adapter_seed"].nunique()),
        "adapter_owner": owners[0] if len(owners) == 1 else "mixed",
    }


def combine(task_dirs, out_dir, study: dict) -> None:
    """Concatenate the per-task tables and write the study summary used by captions."""
    out_dir = Path(out_dir)
    for name in ("curves", "trials"):
        frames = [pd.read_parquet(Path(d) / f"{name}.parquet") for d in task_dirs]
        write_table(pd.concat(frames, ignore_index=True), out_dir / f"{name}.parquet")
    trials = pd.read_parquet(out_dir / "trials.parquet")
    summary = dict(study)
    summary.setdefault(
        "recipes", sorted(trials["recipe"].unique()) if "recipe" in trials else [DEFAULT_RECIPE]
    )
    summary["trials"] = {
        task: {
            "n": int(len(group)),
            "per_recipe": {
                str(k): int(v) for k, v in group["recipe"].value_counts(sort=False).items()
            }
            if "recipe" in group
            else {},
            "init_seeds": int(group["init_seed"].nunique()),
            "order_seeds": int(group["order_seed"].nunique()),
            **adapter_summary(group),
            "status": {str(k): int(v) for k, v in group["status"].value_counts().items()},
            "train_size": int(group["train_size"].iloc[0]),
            "dev_size": int(group["dev_size"].iloc[0]),
        }
        for task, group in trials.groupby("task", sort=True)
    }
    write_json_atomic(out_dir / "study.json", summary)
