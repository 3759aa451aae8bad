"""Failed runs: Table 2 as a page, learning curves (Fig. 4), densities of the best found score,
and how early a failed run can be recognised."""

from __future__ import annotations

import pandas as pd
import seaborn as sns

from ..analysis.aggregate import finished_trials, seed_keys
from . import panels, task_label
from .tables import fmt, table_page


def failure_table_page(table: pd.DataFrame):
    """Table 2 as a page (the failure definition goes into the caption)."""
    rows = pd.DataFrame(
        {
            "task": table["task"].map(task_label),
            "metric": table["metric"],
            "majority": table["majority"].map(fmt),
            "trials": table["n_trials"].astype(str),
            "diverged": [
                f"{d} ({fmt(100 * f, 3)}%)" if n else ""
                for d, f, n in zip(table["diverged"], table["diverged_fraction"], table["n_trials"])
            ],
            "failed": [
                f"{d} ({fmt(100 * f, 3)}%)" if n else ""
                for d, f, n in zip(table["failed"], table["failed_fraction"], table["n_trials"])
            ],
            "mean best (failed)": table["mean_best_failed"].map(fmt),
            "mean best (others)": table["mean_best_not_failed"].map(fmt),
            "stopped (excluded)": table["n_stopped"].astype(str),
        }
    )
    if "failed_paper_threshold" in table:  # paper mode: the authors' thresholds on best found
        rows["failed (paper: best <= threshold)"] = [
            "none" if pd.isna(t) else f"{int(n)} (<= {t:g})"
            for t, n in zip(table["paper_threshold"], table["failed_paper_threshold"])
        ]
    return table_page(rows)


def learning_curves(sample: pd.DataFrame, trials: pd.DataFrame):
    """Dev score vs epoch of the sampled trials per task, failed ones in red, with the
    trivial baseline's score (majority class; train mean for a regression)."""
    tasks = sorted(trials["task"].unique())
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        curves = sample[sample["task"] == task]
        for _, curve in curves.groupby(seed_keys(curves)):
            failed = bool(curve["failed"].iloc[0])
            ax.plot(
                curve["epoch"],
                curve["score"],
                color="tab:red" if failed else "tab:blue",
                alpha=0.8 if failed else 0.5,
                linewidth=0.9,
            )
        majority = trials.loc[trials["task"] == task, "majority"].iloc[0]
        ax.axhline(majority, color="black", linestyle="--", linewidth=1, label="trivial baseline")
        ax.plot([], [], color="tab:red", label="failed")
        ax.plot([], [], color="tab:blue", label="not failed")
        n = curves.groupby(seed_keys(curves)).ngroups
        ax.set_title(f"{task_label(task)}: {n} random trials")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"dev {trials.loc[trials['task'] == task, 'metric'].iloc[0]}")
    axes[0].legend(fontsize=7)
    return fig


def best_densities(trials: pd.DataFrame, score: str = "best"):
    """Density (and rug) of the best found score per task, with the trivial baseline's score: the
    failed runs form a second mode at the baseline."""
    tasks = sorted(trials["task"].unique())
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        group = finished_trials(trials[trials["task"] == task])
        values = group[score].dropna()
        if values.nunique() > 1:
            sns.kdeplot(
                values, ax=ax, fill=True, bw_adjust=0.5, warn_singular=False, label="all trials"
            )
        sns.rugplot(
            x=values,
            ax=ax,
            hue=group.loc[values.index, "failed"].map({True: "failed", False: "not failed"}),
            palette={"failed": "tab:red", "not failed": "tab:blue"},
            height=0.06,
        )
        ax.axvline(
            group["majority"].iloc[0] if len(group) else float("nan"),
            color="black",
            linestyle="--",
            linewidth=1,
            label="trivial baseline",
        )
        ax.set_title(f"{task_label(task)} (n={len(values)})")
        ax.set_xlabel(f"{score} dev score")
        ax.legend(fontsize=7)
    return fig


def failure_prediction(table: pd.DataFrame):
    """Precision and recall, per evaluation point, of "at or below the baseline now" as a
    predictor of failing at the end."""
    tasks = sorted(table["task"].unique()) if len(table) else []
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        rows = table[table["task"] == task]
        ax.plot(rows["epoch"], rows["precision"], marker="o", markersize=3, label="precision")
        ax.plot(rows["epoch"], rows["recall"], marker="s", markersize=3, label="recall")
        n_failed = int(rows["n_failed"].iloc[0])
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("epoch of the evaluation")
        ax.set_title(
            f"{task_label(task)}: {n_failed} of {int(rows['n_trials'].iloc[0])} trials failed",
            fontsize=9,
        )
        if n_failed == 0:
            ax.text(
                0.5,
                0.5,
                "no failed trials:\nrecall undefined",
                transform=ax.transAxes,
                ha="center",
                fontsize=8,
            )
    if not tasks:
        axes[0].text(0.5, 0.5, "no finished trials", transform=axes[0].transAxes, ha="center")
    axes[0].legend(fontsize=7)
    return fig
