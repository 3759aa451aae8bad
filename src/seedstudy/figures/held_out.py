"""Held-out selection: Table 1 chosen and scored on the same dev examples beside chosen on one part
and scored on the other, and the expected-max curves both ways."""

from __future__ import annotations

import pandas as pd

from . import empty_panel, panels, task_label
from .tables import fmt, table_page


def table_1_page(table: pd.DataFrame, note: str = ""):
    """Table 1 with the held-out number and the optimism gap beside the paper's."""
    if table.empty:
        return table_page(pd.DataFrame(), note=note or "no task has predictions")
    rows = pd.DataFrame(
        {
            "task": table["task"].map(task_label),
            "metric": table["metric"],
            "trials": table["trials"].astype(str),
            "selection / report examples": [
                f"{s} / {r}" for s, r in zip(table["selection_examples"], table["report_examples"])
            ],
            "best, whole dev (paper)": table["best_paper"].map(fmt),
            "best, same data (report part)": table["best_same_data"].map(fmt),
            "best, held out": table["best_held_out"].map(fmt),
            "optimism": table["optimism"].map(fmt),
        }
    )
    return table_page(rows)


def curves_page(curves: pd.DataFrame, tasks: list[str], skipped: dict[str, str]):
    """Expected best of n trials: the paper's, same data on the report part, and held out."""
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        data = curves[curves["task"] == task]
        if data.empty:
            empty_panel(ax, skipped.get(task, "no predictions"))
            ax.set_title(task_label(task))
            continue
        ax.plot(data["n"], data["paper"], label="whole dev (paper)", color="0.5", linestyle=":")
        ax.plot(
            data["n"], data["same_data"], label="chosen and scored on the report part", color="C0"
        )
        ax.plot(
            data["n"], data["held_out"], label="chosen on selection, scored on report", color="C3"
        )
        ax.fill_between(
            data["n"], data["held_out"], data["same_data"], color="C3", alpha=0.15, linewidth=0
        )
        ax.set_xscale("log")
        ax.set_xlabel("trials")
        ax.set_ylabel("expected best dev score")
        ax.set_title(task_label(task))
        ax.legend(fontsize=6)
    return fig
