"""Variance over init x order x adapter seeds: stacked shares per task and view."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from . import empty_panel, task_label

COLORS = {
    "init": "#1f77b4",
    "order": "#ff7f0e",
    "adapter": "#2ca02c",
    "init:order": "#9467bd",
    "init:adapter": "#17becf",
    "order:adapter": "#bcbd22",
    "residual": "#7f7f7f",
}


def adapter_shares(table: pd.DataFrame):
    """One panel per score; per task (and recipe facet) and view a bar stacking the shares of
    the seven components (`analysis.adapter_components`)."""
    scores = list(dict.fromkeys(table["score"])) or ["best"]
    fig, axes = plt.subplots(len(scores), 1, figsize=(7.5, 3.0 * len(scores) + 0.8), squeeze=False)
    for ax, score in zip(axes[:, 0], scores):
        rows = table[table["score"] == score]
        if rows.empty:
            empty_panel(ax, "no task with an adapter-seed grid")
            continue
        bars = list(dict.fromkeys(zip(rows["task"], rows["view"])))
        for x, (task, view) in enumerate(bars):
            bar = rows[(rows["task"] == task) & (rows["view"] == view)].set_index("component")
            bottom = 0.0
            for component, color in COLORS.items():
                share = float(bar["share"].get(component, 0.0))
                label = component if x == 0 else None
                ax.bar(x, share, bottom=bottom, color=color, label=label, width=0.7)
                bottom += share
        methods = rows.groupby(["task", "view"], sort=False)["method"].first()
        labels = [f"{task_label(t)}\n{v}\n({methods[(t, v)]})" for t, v in bars]
        ax.set_xticks(range(len(bars)), labels, fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"share of variance ({score})")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig
