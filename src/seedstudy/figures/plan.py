"""Planning: per comparison, power against n at a few effects, the minimum detectable effect
against n for every design (the budget's n marked), and the width of a recipe's mean score
interval against n."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from . import task_label

DESIGN_COLORS = {"grid": "#1f77b4", "pairs": "#2ca02c", "independent": "#d62728"}
PLAN_STYLES = {"estimate": "-", "conservative": "--"}
QUESTION = ["task", "recipe_a", "recipe_b", "assumption"]
MAX_ROWS = 6  # comparisons drawn on the page (every one is in plan.csv)


def _power_panel(ax, curves: pd.DataFrame, target: float) -> None:
    if curves.empty:
        ax.text(
            0.5,
            0.5,
            "no power curve for this design\n(a pairs pilot knows only the sum\n"
            "of the init and order components)",
            ha="center",
            va="center",
            fontsize=7,
        )
        return
    effects = sorted(curves["effect"].unique())
    colors = plt.cm.viridis([i / max(1, len(effects) - 1) for i in range(len(effects))])
    for (design_name, plan_name, effect), rows in curves.groupby(["design", "plan", "effect"]):
        ax.plot(
            rows["n"],
            rows["power"],
            PLAN_STYLES[plan_name],
            color=colors[effects.index(effect)],
            label=f"{design_name}, effect {effect:.3g} ({plan_name})",
            linewidth=1,
        )
    ax.axhline(target, color="grey", linewidth=0.7, linestyle=":")
    ax.set_xlabel("n (seeds per axis, or seed pairs)")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1.02)
    if not curves.empty:
        ax.legend(fontsize=5)


def _mde_panel(ax, table: pd.DataFrame, needed: pd.DataFrame) -> None:
    for (design_name, plan_name), rows in table.groupby(["design", "plan"]):
        ax.plot(
            rows["n"],
            rows["mde"],
            PLAN_STYLES[plan_name],
            marker="o",
            markersize=2,
            color=DESIGN_COLORS[design_name],
            label=f"{design_name} ({plan_name})",
            linewidth=1,
        )
    if "n_budget" in needed:
        for row in needed[needed["plan"] == "estimate"].itertuples():
            if pd.notna(row.n_budget):
                ax.axvline(row.n_budget, color=DESIGN_COLORS[row.design], linewidth=0.7)
                ax.annotate(
                    "budget",
                    (row.n_budget, 0.98),
                    xycoords=("data", "axes fraction"),
                    fontsize=5,
                    rotation=90,
                    va="top",
                    color=DESIGN_COLORS[row.design],
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("minimum detectable effect")
    ax.legend(fontsize=5)


def _mean_panel(ax, mean: pd.DataFrame, best: pd.DataFrame) -> None:
    for (recipe, design_name, plan_name), rows in mean.groupby(["recipe", "design", "plan"]):
        ax.plot(
            rows["n"],
            rows["interval_width"],
            PLAN_STYLES[plan_name],
            color=DESIGN_COLORS[design_name],
            label=f"{recipe}: {design_name} ({plan_name})",
            linewidth=1,
        )
    ax.set_yscale("log")
    ax.set_xlabel("n")
    ax.set_ylabel("width of the mean score's interval")
    lines = [
        f"{row.recipe}: best of {row.n} within {row.epsilon:.3g} of best of {row.n_max}"
        for row in best.itertuples()
    ]
    ax.set_title("\n".join(lines), fontsize=6)
    ax.legend(fontsize=5)


def plan_page(tables: dict[str, pd.DataFrame], target: float):
    """One row per comparison (at most MAX_ROWS): power against n, MDE against n, and the
    task's mean-score interval width against n."""
    table = tables["plan"]
    table = table[table["evaluation"] == "same dev set"]
    questions = table[QUESTION].drop_duplicates().head(MAX_ROWS)
    rows = max(1, len(questions))
    fig, axes = plt.subplots(rows, 3, figsize=(11, 3.0 * rows), squeeze=False)
    if questions.empty:
        axes[0][0].text(0.5, 0.5, "no task could be planned", ha="center")
        return fig
    for ax_row, question in zip(axes, questions.itertuples(index=False)):
        keys = dict(zip(QUESTION, question))

        def mine(frame, columns=QUESTION, keys=keys):
            present = [c for c in columns if c in frame]
            if frame.empty or not present:
                return frame
            return frame[(frame[present] == [keys[c] for c in present]).all(axis=1)]

        _power_panel(ax_row[0], mine(tables["power_curves"]), target)
        ax_row[0].set_title(
            f"{task_label(keys['task'])}: {keys['recipe_a']} - {keys['recipe_b']}\n"
            f"({keys['assumption']})",
            fontsize=7,
        )
        _mde_panel(ax_row[1], mine(table), mine(tables["needed"]))
        task_keys = {"task": keys["task"]}
        _mean_panel(
            ax_row[2],
            tables["mean"][tables["mean"]["task"] == task_keys["task"]],
            tables["expected_max"][tables["expected_max"]["task"] == task_keys["task"]]
            if not tables["expected_max"].empty
            else tables["expected_max"],
        )
    fig.tight_layout()
    return fig
