"""Table 1: best found vs previously reported (`seedstudy.analysis.best_found`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.paper_reference import NOT_REPORTED
from . import task_label

# paper mode (`seedstudy.analysis.paper_reference`): the paper's own numbers
PAPER_BARS = {
    "paper_best_found": "paper: BERT (ours), Dodge et al. 2020 Table 1",
    "paper_mean_best_found": "paper: mean best found (authors' notebook)",
}


def best_found(table: pd.DataFrame):
    reported = [c for c in table.columns if c.startswith("reported")]
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(table))
    bars = [
        ("best_found", f"ours: best found ({table['model'].iloc[0]})"),
        ("mean_best_found", "ours: mean best found"),
    ]
    bars += [(c, c) for c in reported]
    bars += [(c, label) for c, label in PAPER_BARS.items() if c in table]
    width = 0.8 / len(bars)
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
    for column in (c for c in PAPER_BARS if c in table):
        for position in x[table[column].isna().to_numpy()]:
            ax.text(position, 1, f"paper: {NOT_REPORTED}", rotation=90, fontsize=6, ha="center")
    notes = table["note"].fillna("") if "note" in table else [""] * len(table)
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
