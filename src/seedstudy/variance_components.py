"""How much of the variance of fine-tuning results each seed explains.

`two_way_anova`: crossed two-way ANOVA over all trials of a task with factors init seed and
order seed (statsmodels OLS + anova_lm), with F, p and each factor's share of the total sum of
squares. Without replicate cells, the residual holds the init x order interaction and the noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

SOURCES = {"C(init_seed)": "init", "C(order_seed)": "order", "C(init_seed):C(order_seed)": "init:order", "Residual": "residual"}


def two_way_anova(group: pd.DataFrame, score: str = "best", interaction: bool = False) -> pd.DataFrame:
    """ANOVA table of one task: source, df, sum_sq, mean_sq, F, p, share of the total sum of squares."""
    data = group[["init_seed", "order_seed", score]].rename(columns={score: "y"}).dropna()
    formula = "y ~ C(init_seed) * C(order_seed)" if interaction else "y ~ C(init_seed) + C(order_seed)"
    model = smf.ols(formula, data=data).fit()
    table = anova_lm(model, typ=2)
    total = float(((data["y"] - data["y"].mean()) ** 2).sum())
    out = pd.DataFrame(
        {
            "source": [SOURCES[name] for name in table.index],
            "df": table["df"].to_numpy(),
            "sum_sq": table["sum_sq"].to_numpy(),
            "F": table["F"].to_numpy(),
            "p": table["PR(>F)"].to_numpy(),
        }
    )
    out["mean_sq"] = out["sum_sq"] / out["df"]
    out["share"] = out["sum_sq"] / total if total > 0 else np.nan
    return out[["source", "df", "sum_sq", "mean_sq", "F", "p", "share"]]


def anova_table(trials: pd.DataFrame, scores=("best", "final")) -> pd.DataFrame:
    """Two-way ANOVA of every task and score; with replicate cells the interaction is separated."""
    frames = []
    for task, group in trials.groupby("task", sort=True):
        replicated = group.groupby(["init_seed", "order_seed"]).size().max() > 1
        for score in scores:
            table = two_way_anova(group, score, interaction=bool(replicated))
            table.insert(0, "score", score)
            table.insert(0, "task", task)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)
