"""The paper's core figures: best found (Table 1), expected max (Fig. 1), seed grid (Fig. 2) and
best/worst seed densities (Fig. 3). The variance decomposition is in `figures.variance`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import panels, task_label
from ..seed_effects import FACTORS, best_worst_seeds


def best_found(table: pd.DataFrame):
    reported = [c for c in table.columns if c.startswith("reported")]
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(table))
    width = 0.8 / (2 + len(reported))
    bars = [("best_found", f"ours: best found ({table['model'].iloc[0]})"), ("mean_best_found", "ours: mean best found")]
    bars += [(c, c) for c in reported]
    for k, (column, label) in enumerate(bars):
        ax.bar(x + (k - (len(bars) - 1) / 2) * width, table[column], width, label=label)
    ax.scatter(x, table["majority_baseline"], marker="_", s=600, color="black", zorder=3, label="majority class")
    ax.set_xticks(x, [f"{task_label(t)}\n({m})" for t, m in zip(table["task"], table["metric"])])
    ax.set_ylabel("dev score (%)")
    ax.legend(fontsize=7, loc="lower right")
    return fig


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


def seed_grid(matrices: dict[str, pd.DataFrame]):
    fig, axes = panels(len(matrices), width=4.6, height=4.0)
    for ax, (task, matrix) in zip(axes, matrices.items()):
        sns.heatmap(matrix, ax=ax, cmap="viridis", cbar_kws={"label": "best dev score"})
        ax.set_xlabel("data order seed (sorted by mean)")
        ax.set_ylabel("weight init seed (sorted by mean)")
        ax.set_title(task_label(task))
    return fig


def seed_densities(trials: pd.DataFrame, score: str = "best"):
    tasks = sorted(trials["task"].unique())
    fig, axes = panels(len(tasks) * 2, width=3.6, height=3.0)
    for row, task in enumerate(tasks):
        group = trials[trials["task"] == task]
        for col, (factor, column) in enumerate(FACTORS.items()):
            ax = axes[2 * row + col]
            best, worst = best_worst_seeds(group, column, score)
            for seed, label in ((best, "best"), (worst, "worst")):
                values = group.loc[group[column] == seed, score]
                if values.nunique() > 1:
                    sns.kdeplot(values, ax=ax, fill=True, label=f"{label} {factor} seed ({seed})", warn_singular=False)
                sns.rugplot(values, ax=ax)
            ax.set_title(f"{task_label(task)}: {factor} seed", fontsize=9)
            ax.set_xlabel(f"{score} dev score")
            ax.legend(fontsize=6)
    return fig

