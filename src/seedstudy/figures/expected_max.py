"""Fig. 1, tuning curves and trials needed (`seedstudy.analysis.expected_max`)."""

from __future__ import annotations

import pandas as pd

from . import panels, task_label
from .tables import fmt, table_page


def expected_max(table: pd.DataFrame):
    tasks = list(dict.fromkeys(table["task"]))
    fig, axes = panels(len(tasks))
    for ax, task in zip(axes, tasks):
        for frequency, curve in table[table["task"] == task].groupby("frequency", sort=False):
            ax.plot(curve["n"], curve["expected_max"], label=frequency)
            ax.fill_between(curve["n"], curve["lower"], curve["upper"], alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("number of trials n")
        ax.set_ylabel("expected best dev score")
        ax.set_title(task_label(task))
    axes[0].legend(fontsize=7, title="evaluated", title_fontsize=7)
    return fig


def tuning_curves(table: pd.DataFrame, frequency: str = "every evaluation"):
    """One panel per task: the expected best score of n trials with replacement (Dodge et al.
    2019), the unbiased estimate, the median tuning curve, and simultaneous bands for the median
    and the expected curve."""
    data = table[table["frequency"] == frequency]
    tasks = list(dict.fromkeys(data["task"]))
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        curve = data[data["task"] == task]
        n = curve["n"]
        ax.fill_between(
            n,
            curve["median_lower"],
            curve["median_upper"],
            color="tab:green",
            alpha=0.15,
            label="median: simultaneous band",
        )
        if curve["expected_lower"].notna().any():
            ax.plot(n, curve["expected_lower"], color="tab:blue", linestyle=":", linewidth=1)
            ax.plot(
                n,
                curve["expected_upper"],
                color="tab:blue",
                linestyle=":",
                linewidth=1,
                label="expected: simultaneous band",
            )
        ax.plot(n, curve["expected_max"], color="tab:blue", label="expected, with replacement")
        ax.plot(
            n,
            curve["unbiased"],
            color="tab:red",
            linestyle="--",
            label="expected, unbiased (n <= N)",
        )
        ax.plot(n, curve["median"], color="tab:green", label="median")
        ax.set_xscale("log")
        ax.set_xlabel("number of trials n")
        ax.set_ylabel("best dev score of n trials")
        ax.set_title(f"{task_label(task)} (N={int(curve['n_trials'].iloc[0])})")
    axes[0].legend(fontsize=6)
    return fig


def trials_needed_page(table: pd.DataFrame):
    """The trials-needed table as a page (the formula goes into the caption)."""
    if table.empty:
        return table_page(table, note="no finished trials")
    rows = pd.DataFrame(
        {
            "task": table["task"].map(task_label),
            "metric": table["metric"],
            "threshold": table["threshold_name"],
            "theta": table["threshold"].map(lambda v: fmt(v, 4)),
            "P(beat) one trial": table["p_beat_one_trial"].map(fmt),
            "trials beating": table["n_beating"].astype(str)
            + " / "
            + table["n_trials"].astype(str),
            "trials needed": table["trials_needed"].map(fmt),
            "band range": [
                f"{fmt(lo)} - {fmt(hi)}"
                for lo, hi in zip(table["trials_needed_lower"], table["trials_needed_upper"])
            ],
        }
    )
    return table_page(rows)
