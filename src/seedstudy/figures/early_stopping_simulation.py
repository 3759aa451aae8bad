"""Figs. 6 and 7: Algorithm 1 at equal budgets (`seedstudy.analysis.early_stopping.simulation`)."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from . import drawn_tasks, empty_panel, panels, task_label


def best_settings(budgets: pd.DataFrame, skipped: dict | None = None):
    """Per task and budget: trials started (t) and continued (p) on the left axis (log scale beyond
    20), the fraction of training after which all are evaluated (f) on the right; t = p = budget and
    f = 1 where training every trial fully wins."""
    skipped = skipped or {}
    tasks = drawn_tasks(budgets, skipped)
    fig, axes = panels(max(len(tasks), 1), width=4.4, height=3.4)
    if not tasks:
        empty_panel(axes[0], "no task to show")
        return fig
    for ax, task in zip(axes, tasks):
        group = budgets[budgets["task"] == task].sort_values("budget")
        if task in skipped or group.empty:
            empty_panel(ax, f"{task_label(task)}: {skipped.get(task, 'no data')}")
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
        fraction_ax.plot(
            group["budget"],
            group["stop_fraction"],
            marker="^",
            ms=3,
            color="C2",
            ls=":",
            label="f: fraction trained before stopping",
        )
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
    tasks = drawn_tasks(budgets, skipped)
    fig, axes = panels(1 + len(tasks), width=4.2, height=3.4)
    summary = axes[0]
    for task in tasks:
        group = budgets[budgets["task"] == task].sort_values("budget")
        if not group.empty:
            line = summary.plot(
                group["budget"], group["error_reduction"], marker=".", label=task_label(task)
            )[0]
            if "error_reduction_cross_fitted" in group:
                summary.plot(
                    group["budget"],
                    group["error_reduction_cross_fitted"],
                    ls="--",
                    color=line.get_color(),
                    label=f"{task_label(task)}, cross-fitted",
                )
                summary.fill_between(
                    group["budget"],
                    group["cross_fitted_lower"],
                    group["cross_fitted_upper"],
                    color=line.get_color(),
                    alpha=0.12,
                )
            if "paper_error_reduction" in group:  # paper mode: the paper's points, same colour
                summary.plot(
                    group["budget"],
                    group["paper_error_reduction"],
                    "x",
                    color=line.get_color(),
                    label=f"{task_label(task)}: paper",
                )
    summary.axhline(0, color="grey", lw=0.6)
    summary.xaxis.set_major_locator(MaxNLocator(integer=True))
    summary.set_xlabel("budget (full trainings)")
    summary.set_ylabel("relative error reduction")
    summary.set_title("best early stopping vs full training")
    if summary.get_legend_handles_labels()[0]:
        summary.legend(fontsize=7)
    else:
        empty_panel(summary, "no task to show")
    for ax, task in zip(axes[1:], tasks):
        group = budgets[budgets["task"] == task].sort_values("budget")
        if task in skipped or group.empty:
            empty_panel(ax, f"{task_label(task)}: {skipped.get(task, 'no data')}")
            continue
        ax.plot(
            group["budget"],
            group["baseline_expected_best"],
            label="train x trials fully",
            color="C0",
        )
        ax.fill_between(
            group["budget"],
            group["baseline_lower"],
            group["baseline_upper"],
            color="C0",
            alpha=0.15,
        )
        ax.plot(
            group["budget"], group["expected_best"], label="best Algorithm 1 setting", color="C3"
        )
        ax.fill_between(group["budget"], group["lower"], group["upper"], color="C3", alpha=0.15)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("budget x (full trainings)")
        ax.set_ylabel("expected best dev score")
        ax.set_title(task_label(task))
        ax.legend(fontsize=6, loc="lower right")
    return fig
