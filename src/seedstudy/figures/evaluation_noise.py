"""Seed noise against evaluation noise: the variance of final and best-found scores split into the
seeds' components and dev-set sampling, per task."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import empty_panel, panels, task_label

PARTS = ("init", "order", "residual", "interaction", "noise", "dev-set sampling")
COLORS = {
    "init": "C0",
    "order": "C1",
    "residual": "C2",
    "interaction": "C4",
    "noise": "C2",
    "dev-set sampling": "C3",
}


def decomposition_page(table: pd.DataFrame, tasks: list[str], skipped: dict[str, str]):
    """Per task, a bar per score: the standard deviation of each source (sqrt of its variance),
    with its interval."""
    fig, axes = panels(max(1, len(tasks)))
    for ax, task in zip(axes, tasks):
        data = table[table["task"] == task] if len(table) else table
        ax.set_title(task_label(task))
        if len(data) == 0:
            empty_panel(ax, skipped.get(task, "no predictions"))
            continue
        scores = list(dict.fromkeys(data["score"]))
        parts = [p for p in PARTS if p in set(data["component"])]
        width = 0.8 / len(parts)
        for k, part in enumerate(parts):
            rows = data[data["component"] == part].set_index("score").reindex(scores)
            x = np.arange(len(scores)) + (k - (len(parts) - 1) / 2) * width
            sd = np.sqrt(rows["variance"].to_numpy(dtype=float))
            low = np.sqrt(np.clip(rows["lower"].to_numpy(dtype=float), 0, None))
            high = np.sqrt(np.clip(rows["upper"].to_numpy(dtype=float), 0, None))
            yerr = np.vstack([sd - low, high - sd])
            ax.bar(
                x,
                sd,
                width,
                color=COLORS[part],
                label=part,
                yerr=np.where(np.isfinite(yerr), yerr, 0),
                capsize=2,
                error_kw={"linewidth": 0.7},
            )
        ax.set_xticks(np.arange(len(scores)), [f"{s} score" for s in scores])
        ax.set_ylabel("standard deviation")
        ax.legend(fontsize=6)
    return fig
