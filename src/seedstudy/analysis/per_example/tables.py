"""The analyses of per-example predictions, per task: held-out selection, evaluation noise and
the examples that flip with the seed (the library behind the `per_example` rule).

Only finished trials with a predictions file take part (stopped trials are partial; trials run
before predictions were kept, or with `store_predictions: none`, have none): the coverage table
says how many trials each task has with predictions, and why a task's pages are left out.
A diverged trial's predictions end at its last evaluation; its rows are padded with that last
evaluation, which leaves its best and final scores as the trials table has them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.prepare import read_saved_split
from ...metrics import CONFUSION_METRICS
from ...store import predictions
from ..aggregate import finished_trials, seed_keys
from . import evaluation_noise, flipping, held_out, multi_bootstrap
from .scores import REGRESSION_METRICS, weighted_scores

# the columns of every table, also when no task has predictions
COLUMNS = {
    "coverage": ["task", "finished_trials", "with_predictions", "without_predictions", "note"],
    "held_out": [
        "task",
        "metric",
        "trials",
        "selection_split",
        "selection_examples",
        "report_examples",
        "best_paper",
        "best_same_data",
        "best_held_out",
        "optimism",
    ],
    "held_out_curves": ["task", "n", "paper", "same_data", "held_out", "optimism"],
    "trial_noise": [
        "task",
        "init_seed",
        "order_seed",
        "dropout_seed",
        "dev_size",
        "final",
        "best",
        "final_eval_sd",
        "best_eval_sd",
        "final_eval_cov",
        "best_eval_cov",
    ],
    "evaluation_noise": [
        "task",
        "score",
        "component",
        "variance",
        "lower",
        "upper",
        "note",
        "share",
        "sd",
        "n_trials",
        "dev_size",
    ],
    "flipping_examples": ["task", "example", "share_right", "kind", "flip", "label", "text"],
    "flipping_summary": [
        "task",
        "trials",
        "examples",
        "always_right",
        "always_wrong",
        "unstable",
        "unstable_share_of_dev",
        "unstable_share_of_disagreements",
    ],
    "multi_bootstrap": [
        "task",
        "score",
        "recipe_a",
        "recipe_b",
        "n_cells",
        "mean_diff",
        "multi_low",
        "multi_high",
        "p_outperform",
        "multi_p_low",
        "multi_p_high",
        "multi_p_value",
    ],
}
TABLES = tuple(name for name in COLUMNS if name != "multi_bootstrap") + (
    "evaluation_noise",
    "evaluation_noise_sentences",
)


@dataclass
class TaskPredictions:
    """The predictions of one task's finished trials:
    [trials, evaluations, examples] (+ classes)."""

    trials: pd.DataFrame  # the trials' rows of the trials table, in the order of `array`
    array: np.ndarray
    missing: int  # finished trials without a predictions file


def dev_examples(data_dir) -> dict:
    """Labels and texts (the text fields joined by ' || ') of a prepared dev split."""
    columns = read_saved_split(Path(data_dir) / "dev")
    fields = [
        name for name in columns if name not in ("input_ids", "token_type_ids", "label", "idx")
    ]
    texts = [" || ".join(str(columns[f][i]) for f in fields) for i in range(len(columns["label"]))]
    return {"labels": np.asarray(columns["label"]), "texts": texts}


def load_task(trials: pd.DataFrame) -> TaskPredictions:
    """Read the predictions of a task's finished trials (the `path` column locates each result)."""
    kept = finished_trials(trials)
    kept = kept.sort_values(seed_keys(kept), kind="stable")
    rows, arrays, missing = [], [], 0
    for index, row in kept.iterrows():
        path = predictions.path_for(row["path"])
        if not path.exists():
            missing += 1
            continue
        array = np.asarray(predictions.as_labels(predictions.read(path, mmap=False)))
        predictions.check_shape(array, int(row["n_evals"]), int(row["dev_size"]), path)
        rows.append(index)
        arrays.append(array)
    if not arrays:
        return TaskPredictions(kept.iloc[0:0], np.empty((0, 0, 0)), missing)
    n_evals = max(a.shape[0] for a in arrays)
    padded = np.stack(
        [np.concatenate([a, np.repeat(a[-1:], n_evals - a.shape[0], axis=0)]) for a in arrays]
    )
    return TaskPredictions(kept.loc[rows].reset_index(drop=True), padded, missing)


def coverage_row(task: str, trials: pd.DataFrame, loaded: TaskPredictions) -> dict:
    finished = len(finished_trials(trials))
    with_predictions = len(loaded.trials)
    if with_predictions == 0:
        reason = (
            "no finished trial has predictions (trials run before predictions were kept, or "
            "training.store_predictions: none): the per-example pages leave this task out"
        )
    elif loaded.missing:
        reason = f"{loaded.missing} finished trial(s) without predictions are left out"
    else:
        reason = ""
    return {
        "task": task,
        "finished_trials": finished,
        "with_predictions": with_predictions,
        "without_predictions": loaded.missing,
        "note": reason,
    }


def analyse(
    trials: pd.DataFrame,
    dev: dict[str, dict],
    selection_split: float | None = None,
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Every per-example table of the study. `dev` maps a task to `dev_examples` of its data."""
    tables = {
        name: []
        for name in (
            "coverage",
            "held_out",
            "held_out_curves",
            "trial_noise",
            "flipping_examples",
            "flipping_summary",
        )
    }
    for task, group in trials.groupby("task", sort=True):
        loaded = load_task(group)
        tables["coverage"].append(pd.DataFrame([coverage_row(task, group, loaded)]))
        if len(loaded.trials) == 0:
            continue
        metric = str(loaded.trials["metric"].iloc[0])
        if metric not in CONFUSION_METRICS + REGRESSION_METRICS:  # e.g. MNLI's accuracy_mismatched
            tables["coverage"][-1]["note"] = (
                f"headline metric {metric} is not a metric of the stored predictions "
                f"(those of the first dev split): the per-example pages leave this task out"
            )
            continue
        labels = dev[task]["labels"]
        regression = metric in REGRESSION_METRICS
        classes = None if regression else int(max(labels.max(), loaded.array.max())) + 1
        scores = weighted_scores(loaded.array, labels, metric, n_classes=classes)  # [trials, evals]
        best_index = np.argmax(scores, axis=1)
        t = np.arange(len(best_index))

        # evaluation noise of the final and of the best evaluation of every trial
        noise_samples = (
            samples if metric not in ("spearman", "pearson_and_spearman") else min(samples, 200)
        )
        final_sd, final_cov = evaluation_noise.bootstrap_moments(
            evaluation_noise.example_bootstrap(
                loaded.array[:, -1], labels, metric, noise_samples, seed, classes, False
            )
        )
        best_sd, best_cov = evaluation_noise.bootstrap_moments(
            evaluation_noise.example_bootstrap(
                loaded.array[t, best_index], labels, metric, noise_samples, seed, classes, False
            )
        )
        # with an adapter-seed grid, the adapter seed tells a cell's trials apart
        noise = loaded.trials[["task", *seed_keys(loaded.trials), "dev_size"]].copy()
        noise["final"], noise["best"] = scores[:, -1], scores[t, best_index]
        noise["final_eval_sd"], noise["best_eval_sd"] = final_sd, best_sd
        noise["final_eval_cov"], noise["best_eval_cov"] = final_cov, best_cov
        tables["trial_noise"].append(noise)

        if selection_split is not None:
            mask = held_out.selection_mask(labels, selection_split, seed, regression)
            best = held_out.trial_best(
                held_out.evaluation_scores(loaded.array, labels, mask, metric, classes)
            )
            tables["held_out"].append(
                pd.DataFrame(
                    [
                        {
                            "task": task,
                            "metric": metric,
                            "trials": len(best),
                            "selection_split": selection_split,
                            "selection_examples": int(mask.sum()),
                            "report_examples": int((~mask).sum()),
                            **held_out.table_1_row(best),
                        }
                    ]
                )
            )
            curves = held_out.expected_max_curves(best)
            curves.insert(0, "task", task)
            tables["held_out_curves"].append(curves)

        if not regression:
            correct = flipping.correct(loaded.array[:, -1], labels)
            examples = flipping.example_table(correct, dev[task]["texts"], labels)
            examples.insert(0, "task", task)
            tables["flipping_examples"].append(examples)
            tables["flipping_summary"].append(
                pd.DataFrame([{"task": task, **flipping.summary(correct)}])
            )

    out = {
        name: pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=COLUMNS[name])
        for name, frames in tables.items()
    }
    out["evaluation_noise"] = (
        evaluation_noise.decomposition_table(
            out["trial_noise"], ("final", "best"), level, samples, seed
        )
        if len(out["trial_noise"])
        else pd.DataFrame(columns=COLUMNS["evaluation_noise"])
    )
    if len(out["evaluation_noise"]):
        out["evaluation_noise_sentences"] = pd.DataFrame(
            [
                {
                    "task": task,
                    "score": score,
                    "sentence": evaluation_noise.sentence(out["evaluation_noise"], task, score),
                }
                for task, score in out["evaluation_noise"][["task", "score"]]
                .drop_duplicates()
                .itertuples(index=False)
            ]
        )
    else:
        out["evaluation_noise_sentences"] = pd.DataFrame(columns=["task", "score", "sentence"])
    return out


def _scored(loaded: TaskPredictions, labels) -> dict[str, np.ndarray]:
    """The final predictions and those of the best evaluation (chosen on the whole dev set) of
    every trial: [trials, examples] each."""
    metric = str(loaded.trials["metric"].iloc[0])
    regression = metric in REGRESSION_METRICS
    classes = None if regression else int(max(labels.max(), loaded.array.max())) + 1
    best = np.argmax(weighted_scores(loaded.array, labels, metric, n_classes=classes), axis=1)
    return {"final": loaded.array[:, -1], "best": loaded.array[np.arange(len(best)), best]}


def multi_bootstrap_table(
    trials: pd.DataFrame,
    dev: dict[str, dict],
    level: float = 0.95,
    samples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Every pair of recipes per task, on final and best-found score: the multi-bootstrap of the
    paired difference (seeds and dev examples resampled together) over the cells both recipes have
    predictions for. Empty (with its columns) for a study of one recipe."""
    rows = []
    if "recipe" not in trials or trials["recipe"].nunique() < 2:
        return pd.DataFrame(columns=COLUMNS["multi_bootstrap"])
    keys = ["init_seed", "order_seed", "dropout_seed"]
    for task, group in trials.groupby("task", sort=True):
        names = list(pd.unique(group["recipe"]))
        loaded = {name: load_task(group[group["recipe"] == name]) for name in names}
        labels = dev[task]["labels"]
        for a, b in itertools.combinations(names, 2):
            if len(loaded[a].trials) == 0 or len(loaded[b].trials) == 0:
                continue
            metric = str(loaded[a].trials["metric"].iloc[0])
            cells = (
                loaded[a]
                .trials[keys]
                .reset_index()
                .merge(loaded[b].trials[keys].reset_index(), on=keys, suffixes=("_a", "_b"))
            )
            if len(cells) < 2:
                continue
            scored_a, scored_b = _scored(loaded[a], labels), _scored(loaded[b], labels)
            classes = (
                None
                if metric in REGRESSION_METRICS
                else int(max(labels.max(), loaded[a].array.max(), loaded[b].array.max())) + 1
            )
            for score in ("best", "final"):
                result = multi_bootstrap.pair(
                    scored_a[score][cells["index_a"]],
                    scored_b[score][cells["index_b"]],
                    labels,
                    metric,
                    cells["init_seed"],
                    cells["order_seed"],
                    samples,
                    seed,
                    level,
                    classes,
                )
                # the cells, not the rows: a LoRA recipe's adapter seeds pair with one trial
                result["n_cells"] = len(cells[keys].drop_duplicates())
                rows.append({"task": task, "score": score, "recipe_a": a, "recipe_b": b, **result})
    return pd.DataFrame(rows, columns=COLUMNS["multi_bootstrap"])
