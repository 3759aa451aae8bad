"""Variance components: stacked shares with intervals per task, and the table with every number."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import task_label
from .tables import fmt, interval, table_page

COLORS = {
    "init": "#1f77b4",
    "order": "#ff7f0e",
    "interaction": "#9467bd",
    "noise": "#7f7f7f",
    "residual": "#7f7f7f",
    "seed pair": "#2ca02c",  # a pairs study: init and order confounded
}
ORDER = ["init", "order", "interaction", "noise", "residual", "seed pair"]


def variance_shares(table: pd.DataFrame, estimator: str = "moments"):
    """One panel per score; per task two stacked bars (all trials, failed excluded) of the
    components' shares of the total variance. Each share's interval is a whisker from the
    segment's bottom + lower to bottom + upper; black ticks mark the REML shares' tops."""
    scores = list(dict.fromkeys(table["score"]))
    tasks = list(dict.fromkeys(table["task"]))
    views = list(dict.fromkeys(table["view"]))
    n_bars = len(tasks) * len(views)
    fig, axes = plt.subplots(
        len(scores),
        1,
        figsize=(max(6.5, 1.0 * n_bars + 2.5), 3.2 * len(scores) + 0.8),
        squeeze=False,
    )
    for ax, score in zip(axes[:, 0], scores):
        labels, x = [], 0
        for task in tasks:
            for view in views:
                rows = table[
                    (table["task"] == task) & (table["score"] == score) & (table["view"] == view)
                ]
                rows = rows[rows["component"] != "total"].set_index("component")
                labels.append(
                    f"{task_label(task)}\n{view}\n"
                    f"(n={int(rows['n_trials'].iloc[0]) if len(rows) else 0})"
                )
                share = rows.get(f"{estimator}_share")
                if share is None or share.isna().all():
                    ax.text(
                        x,
                        0.5,
                        "not enough\ndata",
                        ha="center",
                        va="center",
                        fontsize=7,
                        rotation=90,
                    )
                    x += 1
                    continue
                bottom = reml_bottom = 0.0
                components = [c for c in ORDER if c in rows.index]
                for k, component in enumerate(components):
                    value = float(rows.loc[component, f"{estimator}_share"])
                    ax.bar(
                        x,
                        value,
                        0.7,
                        bottom=bottom,
                        color=COLORS[component],
                        edgecolor="white",
                        linewidth=0.5,
                    )
                    lower = rows.loc[component, f"{estimator}_share_lower"]
                    upper = rows.loc[component, f"{estimator}_share_upper"]
                    if np.isfinite(lower) and np.isfinite(upper):
                        offset = x - 0.25 + 0.5 * k / max(1, len(components) - 1)
                        ax.plot(
                            [offset, offset],
                            [bottom + lower, bottom + upper],
                            color="black",
                            linewidth=1,
                        )
                        ax.plot([offset], [bottom + value], marker="_", color="black", markersize=5)
                    bottom += value
                    reml = rows.loc[component, "reml_share"]
                    if np.isfinite(reml) and component != components[-1]:
                        reml_bottom += float(reml)
                        ax.plot(
                            [x - 0.35, x + 0.35],
                            [reml_bottom, reml_bottom],
                            color="black",
                            linestyle=":",
                            linewidth=1,
                        )
                x += 1
        ax.set_xticks(range(len(labels)), labels, fontsize=6)
        ax.set_ylim(0, 1.0)
        ax.set_ylabel("share of the total variance")
        ax.set_title(f"{score} dev score")
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=COLORS[c]) for c in ORDER if c in set(table["component"])
    ]
    names = [c for c in ORDER if c in set(table["component"])]
    handles.append(plt.Line2D([], [], color="black", linestyle=":"))
    names.append("REML (segment tops)")
    axes[0][0].legend(handles, names, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def variance_table_page(table: pd.DataFrame, anova: pd.DataFrame):
    """Every number: components (moments with bootstrap interval, REML with Wald interval) in
    units of 1e-4 (percentage points squared for scores in [0, 1]), shares in %, and F and p."""
    tests = anova.set_index(["task", "score", "view", "source"]) if "source" in anova else None
    rows = []
    for row in table.itertuples(index=False):
        f = p = np.nan
        key = (row.task, row.score, row.view, row.component)
        if tests is not None and key in tests.index:
            f, p = tests.loc[key, "F"], tests.loc[key, "p"]
        scale = 1e4
        rows.append(
            {
                "task": task_label(row.task),
                "score": row.score,
                "view": row.view,
                "n": fmt(row.n_trials),
                "component": row.component,
                "moments (1e-4)": interval(
                    row.moments * scale, row.moments_lower * scale, row.moments_upper * scale
                ),
                "share % (moments)": interval(
                    100 * row.moments_share,
                    100 * row.moments_share_lower,
                    100 * row.moments_share_upper,
                )
                if row.component != "total"
                else "",
                "REML (1e-4)": interval(
                    row.reml * scale, row.reml_lower * scale, row.reml_upper * scale
                ),
                "share % (REML)": interval(
                    100 * row.reml_share, 100 * row.reml_share_lower, 100 * row.reml_share_upper
                )
                if row.component != "total"
                else "",
                "F": fmt(f),
                "p": fmt(p),
                "note": (row.note or "")[:60] if isinstance(row.note, str) else "",
            }
        )
    return table_page(pd.DataFrame(rows))
