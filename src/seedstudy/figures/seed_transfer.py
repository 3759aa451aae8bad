"""Seed transfer: task x task Spearman correlations of per-seed mean scores, init vs order seeds,
and the table of pairs, concordance and best-seed ranks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..analysis.seed_transfer import FACTORS, correlation_matrix
from . import panels, task_label
from .tables import fmt, table_page


def transfer_matrices(pairs: pd.DataFrame, concordance: pd.DataFrame, tasks):
    """One heat map per factor (init seeds, order seeds as the control), annotated with rho and
    the permutation p-value; Kendall's W in the title. With one task: a page saying so."""
    tasks = sorted(tasks)
    if len(tasks) < 2:
        fig, ax = plt.subplots(figsize=(7, 3))
        ax.axis("off")
        note = (
            pairs["note"].iloc[0]
            if "note" in pairs and len(pairs)
            else "seed transfer needs >= 2 tasks"
        )
        ax.text(
            0.5,
            0.5,
            f"Not enough data: {note}.\nThe per-seed means of every task are in the table.",
            ha="center",
            va="center",
            fontsize=11,
            wrap=True,
        )
        return fig
    fig, axes = panels(len(FACTORS), width=4.8, height=4.2)
    labels = [task_label(t) for t in tasks]
    for ax, factor in zip(axes, FACTORS):
        matrix = correlation_matrix(pairs, factor, tasks)
        annotations = matrix.map(lambda v: f"{v:.2f}")
        for row in pairs[(pairs["factor"] == factor)].itertuples():
            if getattr(row, "spearman", None) is not None and pd.notna(
                getattr(row, "spearman", None)
            ):
                text = f"{row.spearman:.2f}\np={fmt(row.p_permutation, 2)}"
            else:
                text = "n/a"
            annotations.loc[row.task_a, row.task_b] = annotations.loc[row.task_b, row.task_a] = text
        sns.heatmap(
            matrix.to_numpy(),
            ax=ax,
            vmin=-1,
            vmax=1,
            cmap="RdBu_r",
            annot=annotations.to_numpy(),
            fmt="",
            annot_kws={"fontsize": 7},
            xticklabels=labels,
            yticklabels=labels,
            cbar_kws={"label": "Spearman correlation"},
        )
        title = f"{factor} seeds"
        found = concordance[concordance["factor"] == factor]
        if "kendalls_w" in found and found["kendalls_w"].notna().any():
            row = found.iloc[0]
            title += (
                f": Kendall's W={row['kendalls_w']:.2f} "
                f"(perm. p={fmt(row['p_permutation'], 2)}, {int(row['n_seeds'])} seeds)"
            )
        ax.set_title(title, fontsize=9)
    return fig


def transfer_table_page(pairs: pd.DataFrame, best: pd.DataFrame):
    """Pairs (rho, p) and each task's best seed's rank elsewhere, as one page."""
    if "rank_on_other" not in best or best["rank_on_other"].isna().all():
        note = best["note"].iloc[0] if "note" in best and len(best) else "not enough data"
        return table_page(pd.DataFrame(), note=f"Not enough data: {note}.")
    rows = []
    for row in best.itertuples(index=False):
        pair = pairs[
            (pairs["factor"] == row.factor)
            & (
                ((pairs["task_a"] == row.task) & (pairs["task_b"] == row.other_task))
                | ((pairs["task_b"] == row.task) & (pairs["task_a"] == row.other_task))
            )
        ]
        rho = pair["spearman"].iloc[0] if "spearman" in pair and len(pair) else float("nan")
        p = pair["p_permutation"].iloc[0] if "p_permutation" in pair and len(pair) else float("nan")
        rows.append(
            {
                "factor": row.factor,
                "task": task_label(row.task),
                "best seed": str(row.best_seed),
                "its mean": fmt(row.best_mean),
                "other task": task_label(row.other_task),
                "rank there": f"{row.rank_on_other} / {row.n_seeds}",
                "its mean there": fmt(row.mean_on_other),
                "Spearman rho": fmt(rho),
                "perm. p": fmt(p),
            }
        )
    return table_page(pd.DataFrame(rows))
