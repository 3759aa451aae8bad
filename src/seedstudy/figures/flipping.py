"""Examples that flip with the seed: how many final models get each dev example right, and the
examples that flip most, with their text."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from . import empty_panel, panels, task_label
from .tables import fmt, table_page


def histogram_page(
    examples: pd.DataFrame, summary: pd.DataFrame, tasks: list[str], skipped: dict[str, str]
):
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        ax.set_title(task_label(task))
        data = examples[examples["task"] == task] if len(examples) else examples
        if len(data) == 0:
            empty_panel(ax, skipped.get(task, "no predictions"))
            continue
        s = summary[summary["task"] == task].iloc[0]
        ax.hist(data["share_right"], bins=np.linspace(0, 1, 21), color="C0")
        ax.set_xlabel("share of final models right")
        ax.set_ylabel("dev examples")
        ax.text(
            0.02,
            0.98,
            f"always right {s['always_right']}, always wrong {s['always_wrong']}\n"
            f"unstable {s['unstable']} ({fmt(100 * s['unstable_share_of_dev'], 2)}% of dev) hold "
            f"{fmt(100 * s['unstable_share_of_disagreements'], 2)}%\nof the pairwise disagreements",
            transform=ax.transAxes,
            va="top",
            fontsize=6,
        )
    return fig


def most_flipping_page(examples: pd.DataFrame, k: int = 8, width: int = 90):
    from ..analysis.per_example.flipping import most_flipping

    if examples.empty:
        return table_page(pd.DataFrame(), note="no task has predictions of a classification")
    rows = []
    for task, group in examples.groupby("task", sort=True):
        for _, row in most_flipping(group, k).iterrows():
            rows.append(
                {
                    "task": task_label(task),
                    "example": str(row["example"]),
                    "label": str(row.get("label", "")),
                    "share right": fmt(row["share_right"]),
                    "text": textwrap.shorten(str(row.get("text", "")), width),
                }
            )
    return table_page(pd.DataFrame(rows))
