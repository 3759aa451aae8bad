"""Table 1: best found vs previously reported (`seedstudy.analysis.best_found`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import task_label


def best_found(table: pd.DataFrame):
    reported = [c for c in table.columns if c.startswith("reported")]
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(table))
    width = 0.8 / (2 + len(reported))
    bars = [
        ("best_found", f"ours: best found ({table['model'].iloc[0]})"),
        ("mean_best_found", "ours: mean best found"),
    ]
    bars += [(c, c) for c in reported]
    for k, (column, label) in enumerate(bars):
        ax.bar(x + (k - (len(bars) - 1) / 2) * width, table[column], width, label=label)
    ax.scatter(
        x,
        table["majority_baseline"],
        marker="_",
        s=600,
        color="black",
        zorder=3,
        label="trivial baseline (majority class; train mean)",
    )
    notes = table["note"] if "note" in table else [""] * len(table)
    ax.set_xticks(
        x,
        [
            f"{task_label(t)}\n({m})" + ("\nevery trial failed" if note else "")
            for t, m, note in zip(table["task"], table["metric"], notes)
        ],
    )
    ax.set_ylabel("dev score (%)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
