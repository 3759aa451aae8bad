"""Early-stopping figures: rank correlation between evaluation points (Fig. 5), the best
Algorithm 1 settings per budget (Fig. 6) and the relative error reduction (Fig. 7)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from . import panels, task_label


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=8, transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _tasks(table: pd.DataFrame, skipped: dict) -> list[str]:
    return sorted(set(table["task"]) | set(skipped))


MEASURES = (("spearman", "Spearman rank correlation"), ("pearson", "Pearson correlation"))


def rank_correlation(table: pd.DataFrame, skipped: dict | None = None):
    """One row per task: the Spearman and the Pearson matrix between evaluation points side by
    side (diverging colours, -1..1), and the correlation of each point with the final score vs
    epoch (one line per measure)."""
    skipped = skipped or {}
    tasks = _tasks(table, skipped)
    if not tasks:
        fig, axes = panels(1, width=4.0, height=3.4)
        _empty(axes[0], "no task to show")
        return fig
    # one row of 3 panels per task (panels() would fill rows of 4)
    fig, grid = plt.subplots(len(tasks), 3, figsize=(12.0, 3.4 * len(tasks) + 0.9), squeeze=False)
    axes = list(grid.flat)
    for index, task in enumerate(tasks):
        matrix_axes, line_ax = axes[3 * index : 3 * index + 2], axes[3 * index + 2]
        group = table[table["task"] == task]
        if task in skipped or group.empty:
            _empty(matrix_axes[0], f"{task_label(task)}: {skipped.get(task, 'no data')}")
            matrix_axes[1].set_visible(False)
            line_ax.set_visible(False)
            continue
        n = int(group["eval_a"].max()) + 1
        epochs = group.drop_duplicates("eval_a").sort_values("eval_a")["epoch_a"].to_numpy()
        n_trials = int(group["n_trials"].iloc[0])
        half = (epochs[1] - epochs[0]) / 2 if n > 1 else 0.5
        extent = (epochs[0] - half, epochs[-1] + half, epochs[0] - half, epochs[-1] + half)
        final = group[group["with_final"]].sort_values("eval_a")
        for matrix_ax, (column, label) in zip(matrix_axes, MEASURES):
            matrix = np.full((n, n), np.nan)
            matrix[group["eval_a"], group["eval_b"]] = group[column]
            image = matrix_ax.imshow(np.ma.masked_invalid(matrix), origin="lower", extent=extent, cmap="RdBu_r",
                                     norm=TwoSlopeNorm(vcenter=0, vmin=-1, vmax=1), interpolation="nearest")
            matrix_ax.figure.colorbar(image, ax=matrix_ax, label=label, fraction=0.046)
            matrix_ax.set_xlabel("epoch")
            matrix_ax.set_ylabel("epoch")
            matrix_ax.set_title(f"{task_label(task)}: {column.capitalize()} between evaluations "
                                f"({n_trials} trials)", fontsize=9)
            line_ax.plot(final["epoch_a"], final[column], marker=".", label=column.capitalize())
        line_ax.axhline(0, color="grey", lw=0.6)
        line_ax.set_ylim(-1.05, 1.05)
        line_ax.set_xlabel("epoch")
        line_ax.set_ylabel("correlation with final score")
        line_ax.set_title(f"{task_label(task)}: with the final score", fontsize=9)
        line_ax.legend(fontsize=7)
        if n_trials < 2:
            _empty(line_ax, "fewer than 2 completed trials")
    return fig


def best_settings(budgets: pd.DataFrame, skipped: dict | None = None):
    """Per task and budget: trials started (t) and continued (p) on the left axis (log scale beyond 20), the
    fraction of training after which all are evaluated (f) on the right; t = p = budget and f = 1
    where training every trial fully wins."""
    skipped = skipped or {}
    tasks = _tasks(budgets, skipped)
    fig, axes = panels(max(len(tasks), 1), width=4.4, height=3.4)
    if not tasks:
        _empty(axes[0], "no task to show")
        return fig
    for ax, task in zip(axes, tasks):
        group = budgets[budgets["task"] == task].sort_values("budget")
        if task in skipped or group.empty:
            _empty(ax, f"{task_label(task)}: {skipped.get(task, 'no data')}")
            continue
        ax.plot(group["budget"], group["started"], marker="o", ms=3, label="t: trials started")
        ax.plot(group["budget"], group["continued"], marker="s", ms=3, label="p: trials continued")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("budget (full trainings)")
        if group["started"].max() > 20:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_ylabel("trials (log scale)")
        else:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("trials")
        ax.set_title(task_label(task))
        fraction_ax = ax.twinx()
        fraction_ax.plot(group["budget"], group["stop_fraction"], marker="^", ms=3, color="C2", ls=":",
                         label="f: fraction trained before stopping")
        fraction_ax.set_ylim(0, 1.05)
        fraction_ax.set_ylabel("f")
        handles = ax.get_legend_handles_labels()
        extra = fraction_ax.get_legend_handles_labels()
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], fontsize=6, loc="upper left")
    return fig


def error_reduction(budgets: pd.DataFrame, skipped: dict | None = None):
    """First panel: relative error reduction of the best Algorithm 1 setting over the baseline vs
    budget, every task. Then per task: expected best score of both with their intervals."""
    skipped = skipped or {}
    tasks = _tasks(budgets, skipped)
    fig, axes = panels(1 + len(tasks), width=4.2, height=3.4)
    summary = axes[0]
    for task in tasks:
        group = budgets[budgets["task"] == task].sort_values("budget")
        if not group.empty:
            summary.plot(group["budget"], group["error_reduction"], marker=".", label=task_label(task))
    summary.axhline(0, color="grey", lw=0.6)
    summary.xaxis.set_major_locator(MaxNLocator(integer=True))
    summary.set_xlabel("budget (full trainings)")
    summary.set_ylabel("relative error reduction")
    summary.set_title("best early stopping vs full training")
    if summary.get_legend_handles_labels()[0]:
        summary.legend(fontsize=7)
    else:
        _empty(summary, "no task to show")
    for ax, task in zip(axes[1:], tasks):
        group = budgets[budgets["task"] == task].sort_values("budget")
        if task in skipped or group.empty:
            _empty(ax, f"{task_label(task)}: {skipped.get(task, 'no data')}")
            continue
        ax.plot(group["budget"], group["baseline_expected_best"], label="train x trials fully", color="C0")
        ax.fill_between(group["budget"], group["baseline_lower"], group["baseline_upper"], color="C0", alpha=0.15)
        ax.plot(group["budget"], group["expected_best"], label="best Algorithm 1 setting", color="C3")
        ax.fill_between(group["budget"], group["lower"], group["upper"], color="C3", alpha=0.15)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("budget x (full trainings)")
        ax.set_ylabel("expected best dev score")
        ax.set_title(task_label(task))
        ax.legend(fontsize=6, loc="lower right")
    return fig
