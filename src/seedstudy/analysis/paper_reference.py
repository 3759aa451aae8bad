"""The numbers Dodge et al. 2020 reported, beside a study's own (paper mode).

The values and their sources live in `paper_reference.yaml` (package data), one entry per table:
Table 1's best found, the notebook's mean best found, Table 3's within-seed sds, Table 4's best vs
worst seed ANOVA, Algorithm 1's error reduction per budget, and the failure thresholds of the
authors' analysis. Each `beside_*` function takes a
study's table and returns it with the paper's values in `paper_*` columns on the matching rows
(task, and factor or budget) and their source in `paper_source`; a row the paper has no number for
gets NaN there, which the figures show as "not reported".
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

NOT_REPORTED = "not reported"
# Table 3 and Table 4 are of the best-found score (max over evaluations)
PAPER_SCORE = "best"


@cache
def reference() -> dict:
    """The parsed `paper_reference.yaml`."""
    text = resources.files(__package__).joinpath("paper_reference.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _lookup(values: dict, *keys):
    for key in keys:
        if not isinstance(values, dict) or key not in values:
            return np.nan
        values = values[key]
    return float(values)


def _with(table: pd.DataFrame, columns: dict[str, list], source: str) -> pd.DataFrame:
    out = table.copy()
    for name, column in columns.items():
        out[name] = column
    reported = pd.DataFrame(columns).notna().any(axis=1).to_numpy()
    out["paper_source"] = np.where(reported, source, NOT_REPORTED)
    return out


def beside_best_found(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 (`best_found_table`, percent) with `paper_best_found` (Table 1, "BERT (ours)")
    and `paper_mean_best_found` (the notebook's mean best found), both in percent."""
    entry, mean = reference()["best_found"], reference()["mean_best_found"]
    tasks = list(table["task"])
    columns = {
        "paper_best_found": [_lookup(entry["values"], task) for task in tasks],
        "paper_mean_best_found": [100 * _lookup(mean["values"], task) for task in tasks],
    }
    return _with(table, columns, f"{entry['source']}; mean: {mean['source']}")


def beside_within_seed_sd(table: pd.DataFrame) -> pd.DataFrame:
    """Table 3 (`within_seed_sd`) with the paper's `paper_within_init_sd`,
    `paper_within_order_sd`, `paper_total_sd` on the rows of the best-found score."""
    entry = reference()["within_seed_sd"]
    keys = ("within_init_sd", "within_order_sd", "total_sd")
    columns = {
        f"paper_{key}": [
            _lookup(entry["values"], task, key) if score == PAPER_SCORE else np.nan
            for task, score in zip(table["task"], table["score"])
        ]
        for key in keys
    }
    return _with(table, columns, entry["source"])


def beside_best_worst_anova(table: pd.DataFrame) -> pd.DataFrame:
    """Table 4 (`best_worst_anova`) with the paper's `paper_F` and `paper_p` on the rows of the
    best-found score. The paper's seed ids are not given: they name other heads than a study's."""
    entry = reference()["best_worst_anova"]
    rows = list(zip(table["task"], table["factor"], table["score"]))
    columns = {
        f"paper_{key}": [
            _lookup(entry["values"], task, factor, key) if score == PAPER_SCORE else np.nan
            for task, factor, score in rows
        ]
        for key in ("F", "p")
    }
    return _with(table, columns, entry["source"])


def beside_error_reduction(budgets: pd.DataFrame) -> pd.DataFrame:
    """Algorithm 1's budgets table with the paper's `paper_error_reduction` at its budgets, and
    `paper_started`, `paper_stop_fraction`, `paper_continued` where the paper gives the setting."""
    entry = reference()["early_stopping_error_reduction"]
    rows = list(zip(budgets["task"], budgets["budget"].astype(int)))
    columns = {
        "paper_error_reduction": [_lookup(entry["values"], task, b) for task, b in rows],
        "paper_started": [_lookup(entry["settings"], task, b, "started") for task, b in rows],
        "paper_stop_fraction": [
            _lookup(entry["settings"], task, b, "fraction") for task, b in rows
        ],
        "paper_continued": [_lookup(entry["settings"], task, b, "continued") for task, b in rows],
    }
    return _with(budgets, columns, entry["source"])


def beside_failures(failures: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Table 2 (`divergence.failure_table`) with the authors' failure rule beside the
    majority-class one: `paper_threshold` and `failed_paper_threshold`, the finished trials whose
    best-found score is at or below it (or that diverged); NaN for a task without a threshold."""
    from .aggregate import finished_trials

    entry = reference()["failure_thresholds"]
    thresholds = [_lookup(entry["values"], task) for task in failures["task"]]
    counts = []
    for task, threshold in zip(failures["task"], thresholds):
        done = finished_trials(trials[trials["task"] == task])
        failed = done["diverged"] | (done["best"] <= threshold)
        counts.append(float(failed.sum()) if not np.isnan(threshold) else np.nan)
    columns = {"paper_threshold": thresholds, "failed_paper_threshold": counts}
    return _with(failures, columns, entry["source"])
