"""Recipe comparison (`seedstudy.analysis.recipe_comparison`):
a page per task and the decisions table."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis import recipe_comparison as rc
from ..analysis.aggregate import finished_trials
from ..analysis.expected_max import expected_max
from . import empty_panel, task_label
from .tables import fmt, interval
from .tables import table_page as _table_page


def _pairs(differences: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(differences["recipe_a"], differences["recipe_b"])))


def task_page(trials: pd.DataFrame, tables: dict[str, pd.DataFrame], task: str):
    """One row per score (best found, final): the cell differences A - B of every pair (points,
    jittered) with the mean, its two-way seed bootstrap interval (thick) and its crossed t
    interval (thin, the decision's test); P(A > B) with its bootstrap interval; and the expected
    best of n trials of every recipe on the same axes (the study's estimator with its sd band,
    `expected_max`, and the intervals at the trial budgets that have one as whiskers)."""
    group = finished_trials(trials) if "status" in trials.columns else trials
    group = group[group["task"] == task].assign(recipe=lambda frame: frame["recipe"].astype(str))
    differences = tables["differences"][tables["differences"]["task"] == task]
    budgets = tables["expected_max"][tables["expected_max"]["task"] == task]
    scores = [score for score in rc.SCORES if score in set(differences["score"])] or list(rc.SCORES)
    pairs = _pairs(differences)
    recipes = list(pd.unique(group["recipe"]))
    colors = {recipe: f"C{index % 10}" for index, recipe in enumerate(recipes)}
    fig, axes = plt.subplots(
        len(scores),
        3,
        figsize=(13.5, 3.6 * len(scores) + 0.9),
        squeeze=False,
        gridspec_kw={"width_ratios": [1.4, 0.8, 1.2]},
    )
    rng = np.random.default_rng(0)
    for row, score in zip(axes, scores):
        cells_ax, p_ax, max_ax = row
        rows = differences[differences["score"] == score].set_index(["recipe_a", "recipe_b"])
        if rows.empty:
            for ax in row:
                empty_panel(ax, "fewer than two recipes")
            continue
        labels = []
        for y, (recipe_a, recipe_b) in enumerate(pairs):
            cells = rc.paired_cells(group, recipe_a, recipe_b)
            diff = (cells[f"{score}_a"] - cells[f"{score}_b"]).dropna().to_numpy()
            stat = rows.loc[(recipe_a, recipe_b)]
            cells_ax.scatter(
                diff,
                y + rng.uniform(-0.25, 0.25, diff.size),
                s=4,
                alpha=0.35,
                color="0.4",
                linewidths=0,
            )
            cells_ax.plot(
                [stat["boot_low"], stat["boot_high"]],
                [y, y],
                color="tab:red",
                linewidth=4,
                solid_capstyle="butt",
            )
            cells_ax.plot(
                [stat["t_low"], stat["t_high"]],
                [y + 0.32, y + 0.32],
                color="tab:blue",
                linewidth=1.2,
            )
            cells_ax.plot([stat["mean_diff"]], [y], marker="|", color="black", markersize=14)
            labels.append(f"{recipe_a} - {recipe_b}\n{stat['decision']}")
            p_ax.plot(
                [stat["p_low"], stat["p_high"]],
                [y, y],
                color="tab:red",
                linewidth=4,
                solid_capstyle="butt",
            )
            p_ax.plot([stat["p_outperform"]], [y], marker="o", color="black", markersize=4)
        cells_ax.axvline(0, color="black", linewidth=0.6)
        cells_ax.set_yticks(range(len(pairs)), labels, fontsize=7)
        cells_ax.set_ylim(len(pairs) - 0.5, -0.5)
        cells_ax.set_xlabel(f"{score} score, A - B per paired cell")
        cells_ax.set_title(f"{task_label(task)}, {score}: paired differences", fontsize=9)
        cells_ax.plot(
            [], [], color="tab:red", linewidth=4, label="mean, two-way seed bootstrap interval"
        )
        cells_ax.plot(
            [],
            [],
            color="tab:blue",
            linewidth=1.2,
            label="t interval, crossed moment SE (decision)",
        )
        cells_ax.legend(fontsize=6, loc="lower right")
        p_ax.axvline(0.5, color="black", linewidth=0.6)
        p_ax.set_xlim(0, 1)
        p_ax.set_yticks(range(len(pairs)), [f"{a} > {b}" for a, b in pairs], fontsize=7)
        p_ax.set_ylim(len(pairs) - 0.5, -0.5)
        p_ax.set_xlabel("P(A > B) over paired cells")
        p_ax.set_title("probability of outperformance", fontsize=9)
        for recipe in recipes:
            values = group.loc[group["recipe"] == recipe, score].dropna()
            if values.empty:
                continue
            curve = expected_max(values)
            max_ax.plot(
                curve["n"],
                curve["expected_max"],
                color=colors[recipe],
                label=f"{recipe} (N={len(values)})",
            )
            max_ax.fill_between(
                curve["n"], curve["lower"], curve["upper"], color=colors[recipe], alpha=0.15
            )
            points = budgets[(budgets["score"] == score) & (budgets["recipe"] == recipe)]
            points = points[points["low"].notna()]
            # the interval is bias-corrected: it need not hold the estimate
            max_ax.vlines(points["n"], points["low"], points["high"], color=colors[recipe])
        max_ax.set_xscale("log")
        max_ax.set_xlabel("number of trials n")
        max_ax.set_ylabel(f"expected best {score} score")
        max_ax.set_title("expected max (band: sd; whiskers: interval)", fontsize=9)
        max_ax.legend(fontsize=7)
    return fig


def table_page(tables: dict[str, pd.DataFrame]):
    """The decisions: every pair, task and score with the mean difference and its two-way seed
    bootstrap interval, its crossed t interval, P(A > B), with predictions the multi-bootstrap
    intervals (seeds and dev examples resampled together), ASO's eps_min, the p-value before and
    after Holm, the decision, and the expected-max difference at the largest budget below N;
    the decision rule above the table."""
    differences = tables["differences"]
    emax = tables["expected_max_differences"]
    rows = []
    for row in differences.itertuples(index=False):
        diffs = emax[
            (emax["task"] == row.task)
            & (emax["score"] == row.score)
            & (emax["recipe_a"] == row.recipe_a)
            & (emax["recipe_b"] == row.recipe_b)
        ].sort_values("n")
        budget = diffs[diffs["n"] < diffs["n"].max()].tail(1) if len(diffs) > 1 else diffs
        rows.append(
            {
                "task": task_label(row.task),
                "score": row.score,
                "A vs B": f"{row.recipe_a} vs {row.recipe_b}",
                "cells": fmt(row.n_cells),
                "mean A - B [bootstrap]": interval(row.mean_diff, row.boot_low, row.boot_high),
                "t interval (crossed)": f"[{fmt(row.t_low)}, {fmt(row.t_high)}]",
                "P(A > B)": interval(row.p_outperform, row.p_low, row.p_high),
                **(
                    {
                        "seeds + dev examples": interval(
                            row.mean_diff, row.multi_low, row.multi_high
                        )
                        + f"; P {interval(row.p_outperform, row.multi_p_low, row.multi_p_high)}"
                    }
                    if "multi_low" in differences
                    else {}
                ),
                "ASO eps_min": fmt(row.aso_eps_min),
                "p": fmt(row.p_value),
                "p Holm": fmt(row.p_holm),
                "decision": row.decision,
                "E[max] A - B": (
                    f"n={int(budget['n'].iloc[0])}: "
                    + interval(
                        budget["diff"].iloc[0], budget["low"].iloc[0], budget["high"].iloc[0]
                    )
                    if len(budget)
                    else ""
                ),
            }
        )
    fig = _table_page(pd.DataFrame(rows), note="fewer than two recipes: nothing to compare")
    fig.axes[0].set_title(
        textwrap.fill(rc.DECISION_RULE, width=int(fig.get_figwidth() * 16)), fontsize=7
    )
    return fig
