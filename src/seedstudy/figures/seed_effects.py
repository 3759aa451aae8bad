"""Fig. 2, Fig. 3 and Tables 3-4 (`seedstudy.analysis.seed_effects`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..analysis.paper_reference import NOT_REPORTED
from ..analysis.seed_effects import best_worst_seeds, factors
from . import panels, task_label


def seed_grid(matrices: dict[str, pd.DataFrame]):
    fig, axes = panels(len(matrices), width=4.6, height=4.0)
    for ax, (task, matrix) in zip(axes, matrices.items()):
        sns.heatmap(matrix, ax=ax, cmap="viridis", cbar_kws={"label": "best dev score"})
        ax.set_xlabel("data order seed (sorted by mean)")
        ax.set_ylabel("weight init seed (sorted by mean)")
        ax.set_title(task_label(task))
    return fig


def seed_densities(trials: pd.DataFrame, score: str = "best"):
    """Fig. 3: per task, the densities of the scores of the best and the worst seed of each
    kind: init and order, and the adapter seed where LoRA trials have an adapter-seed grid."""
    tasks = sorted(trials["task"].unique())
    shown = [
        (task, factor, column)
        for task in tasks
        for factor, column in factors(trials[trials["task"] == task]).items()
    ]
    fig, axes = panels(len(shown), width=3.6, height=3.0)
    for ax, (task, factor, column) in zip(axes, shown):
        group = trials[trials["task"] == task]
        best, worst = best_worst_seeds(group, column, score)
        for seed, label in ((best, "best"), (worst, "worst")):
            values = group.loc[group[column] == seed, score]
            if values.nunique() > 1:
                sns.kdeplot(
                    values,
                    ax=ax,
                    fill=True,
                    label=f"{label} {factor} seed ({seed})",
                    warn_singular=False,
                )
            sns.rugplot(values, ax=ax)
        ax.set_title(f"{task_label(task)}: {factor} seed", fontsize=9)
        ax.set_xlabel(f"{score} dev score")
        ax.legend(fontsize=6)
    return fig


PAPER_TABLE_3 = {
    "paper_within_init_sd": "paper: init",
    "paper_within_order_sd": "paper: order",
    "paper_total_sd": "paper: total",
}
PAPER_TABLE_4 = {"paper_F": "paper: F", "paper_p": "paper: p"}


def paper_columns(table: pd.DataFrame, names: dict[str, str]) -> dict[str, list[str]]:
    """Paper mode: the paper's values as table cells, with the digits the paper gives ("not
    reported" where it has none)."""
    return {
        label: [NOT_REPORTED if pd.isna(v) else f"{v:.4g}" for v in table[column]]
        for column, label in names.items()
        if column in table
    }


def seed_tables(within_sd: pd.DataFrame, best_worst: pd.DataFrame):
    """Table 3 (expected sd within a seed) and Table 4 (best vs worst seed, one-way ANOVA)
    on one page."""
    from .tables import fmt

    table3 = pd.DataFrame(
        {
            "task": within_sd["task"].map(task_label),
            "score": within_sd["score"],
            "sd within init seed": within_sd["within_init_sd"].map(fmt),
            "sd within order seed": within_sd["within_order_sd"].map(fmt),
            "total sd": within_sd["total_sd"].map(fmt),
            "trials": within_sd["n_trials"].map(fmt),
            **paper_columns(within_sd, PAPER_TABLE_3),
        }
    )
    if "within_adapter_sd" in within_sd:  # an adapter-seed grid (LoRA)
        table3.insert(4, "sd within adapter seed", within_sd["within_adapter_sd"].map(fmt))
    table4 = pd.DataFrame(
        {
            "task": best_worst["task"].map(task_label),
            "score": best_worst["score"],
            "seed": best_worst["factor"],
            "best (mean)": [
                f"{s} ({fmt(m)})" for s, m in zip(best_worst["best_seed"], best_worst["best_mean"])
            ],
            "worst (mean)": [
                f"{s} ({fmt(m)})"
                for s, m in zip(best_worst["worst_seed"], best_worst["worst_mean"])
            ],
            "F": best_worst["F"].map(fmt),
            "p, selected": best_worst["p"].map(fmt),
            "max - min": best_worst["max_minus_min"].map(fmt),
            "perm. p": best_worst["p_permutation"].map(fmt),
            **paper_columns(best_worst, PAPER_TABLE_4),
        }
    )
    heights = [len(table3) + 2, len(table4) + 2]
    fig, axes = plt.subplots(
        2,
        1,
        figsize=(9, min(10.5, 1.5 + 0.22 * sum(heights))),
        gridspec_kw={"height_ratios": heights},
    )
    for ax, frame, title in (
        (axes[0], table3, "Table 3: expected standard deviation within a seed (population sds)"),
        (
            axes[1],
            table4,
            "Table 4: best vs worst seed, ANOVA (p post-selection, not a test); "
            "range of seed means, permutation p",
        ),
    ):
        ax.axis("off")
        ax.set_title(title, fontsize=9, loc="left")
        cells = ax.table(
            cellText=frame.astype(str).to_numpy(),
            colLabels=list(frame.columns),
            cellLoc="center",
            bbox=[0, 0, 1, 1],
        )
        cells.auto_set_font_size(False)
        cells.set_fontsize(7)
        for (row, _), cell in cells.get_celld().items():
            cell.set_linewidth(0.3)
            if row == 0:
                cell.set_text_props(fontweight="bold")
    return fig
