"""Figure of live early stopping: compute spent against training every started trial fully."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import task_label


def compute_spent(table: pd.DataFrame):
    fig, ax = plt.subplots(figsize=(6, 3.8))
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["trial_steps_fraction"], 0.4, label="trial-steps (exact)")
    ax.bar(x + 0.2, table["wall_fraction_estimated"], 0.4, label="wall time (measured / estimated)")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(
        x,
        [
            f"{task_label(t)}\nstart {s}, keep {k}"
            for t, s, k in zip(table["task"], table["started"], table["kept"])
        ],
    )
    ax.set_ylabel("fraction of training all started trials fully")
    ax.set_ylim(0, 1.1)
    ax.legend(fontsize=7)
    return fig
