"""Fig. 5: the correlation between evaluation points
(`seedstudy.analysis.early_stopping.correlation`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm

from . import drawn_tasks, empty_panel, panels, task_label

MEASURES = (("spearman", "Spearman rank correlation"), ("pearson", "Pearson correlation"))


def rank_correlation(table: pd.DataFrame, skipped: dict | None = None):
    """One row per task: the Spearman and the Pearson matrix between evaluation points side by
    side (diverging colours, -1..1), and the correlation of each point with the final score vs
    epoch (one line per measure)."""
    skipped = skipped or {}
    tasks = drawn_tasks(table, skipped)
    if not tasks:
        fig, axes = panels(1, width=4.0, height=3.4)
        empty_panel(axes[0], "no task to show")
        return fig
    # one row of 3 panels per task (panels() would fill rows of 4)
    fig, grid = plt.subplots(len(tasks), 3, figsize=(12.0, 3.4 * len(tasks) + 0.9), squeeze=False)
    axes = list(grid.flat)
    for index, task in enumerate(tasks):
        matrix_axes, line_ax = axes[3 * index : 3 * index + 2], axes[3 * index + 2]
        group = table[table["task"] == task]
        if task in skipped or group.empty:
            empty_panel(matrix_axes[0], f"{task_label(task)}: {skipped.get(task, 'no data')}")
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
            image = matrix_ax.imshow(
                np.ma.masked_invalid(matrix),
                origin="lower",
                extent=extent,
                cmap="RdBu_r",
                norm=TwoSlopeNorm(vcenter=0, vmin=-1, vmax=1),
                interpolation="nearest",
            )
            matrix_ax.figure.colorbar(image, ax=matrix_ax, label=label, fraction=0.046)
            matrix_ax.set_xlabel("epoch")
            matrix_ax.set_ylabel("epoch")
            matrix_ax.set_title(
                f"{task_label(task)}: {column.capitalize()} between evaluations "
                f"({n_trials} trials)",
                fontsize=9,
            )
            line = line_ax.plot(
                final["epoch_a"], final[column], marker=".", label=column.capitalize()
            )
            if f"{column}_smoothed" in final:  # analysis.correlation_smoothing, as the notebook
                line_ax.plot(
                    final["epoch_a"],
                    final[f"{column}_smoothed"],
                    ls="--",
                    color=line[0].get_color(),
                    label=f"{column.capitalize()}, smoothed",
                )
        line_ax.axhline(0, color="grey", lw=0.6)
        line_ax.set_ylim(-1.05, 1.05)
        line_ax.set_xlabel("epoch")
        line_ax.set_ylabel("correlation with final score")
        line_ax.set_title(f"{task_label(task)}: with the final score", fontsize=9)
        line_ax.legend(fontsize=7)
        if n_trials < 2:
            empty_panel(line_ax, "fewer than 2 completed trials")
    return fig
