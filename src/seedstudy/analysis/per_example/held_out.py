"""Held-out selection (`analysis.selection_split`): choose on one part of the dev set, report on
the other.

The paper's best-found numbers (Table 1, the expected-max curves) choose the best evaluation of a
trial, and the best trial of n, on the same dev examples that then report the score: the number is
optimistic, more so the more evaluations and trials there are. Here the dev set is split once,
deterministically and stratified by label, into a *selection* part (a `selection_split` share of
each label's examples) and a *report* part:

- held out: the best evaluation of a trial (and the best trial of n) is chosen on the selection
  part and scored on the report part;
- same data, report part: chosen and scored on the report part (the paper's procedure on the same
  examples as the held-out number, so the two differ only by where the choice was made);
- the optimism gap is same data minus held out.

Ties: the first evaluation with the best selection score is chosen (as the trials table does);
among trials tied on the selection score, the expected report score is their mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..expected_max import max_weights
from .scores import weighted_scores

# a regression task is stratified by label quantile: this many bins
REGRESSION_STRATA = 10


def strata(labels, regression: bool = False) -> np.ndarray:
    """The stratum of every dev example: its label, or its label's decile for a regression task."""
    labels = np.asarray(labels)
    if not regression:
        return labels
    ranks = pd.Series(labels).rank(method="first").to_numpy() - 1
    return np.floor(ranks * REGRESSION_STRATA / len(labels)).astype(int)


def selection_mask(labels, fraction: float, seed: int, regression: bool = False) -> np.ndarray:
    """True for the dev examples of the selection part: round(fraction · n_label) examples of each
    stratum, drawn without replacement from a generator of `seed`; the same labels, fraction and
    seed give the same split."""
    if not 0 < fraction < 1:
        raise ValueError(
            f"analysis.selection_split must lie strictly between 0 and 1, not {fraction}"
        )
    groups = strata(labels, regression)
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(groups), dtype=bool)
    for value in np.unique(groups):
        members = np.flatnonzero(groups == value)
        take = int(round(fraction * len(members)))
        mask[rng.permutation(members)[:take]] = True
    if mask.all() or not mask.any():
        raise ValueError(
            f"selection_split {fraction} leaves one part of the {len(groups)} dev examples empty"
        )
    return mask


def evaluation_scores(
    predictions, labels, mask, metric: str, n_classes: int | None = None
) -> dict[str, np.ndarray]:
    """Scores of every evaluation of every trial on the whole dev set, the selection part and the
    report part: arrays shaped like predictions without the example axis."""
    weights = np.stack([np.ones(len(mask)), mask, ~mask]).astype(float)
    scores = weighted_scores(predictions, labels, metric, weights, n_classes)
    return {"full": scores[..., 0], "selection": scores[..., 1], "report": scores[..., 2]}


def trial_best(scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per trial (rows of the [trials, evaluations] arrays): the best evaluation chosen and scored
    on the whole dev set (the paper's), chosen and scored on the report part, and chosen on the
    selection part and scored on the report part (held out)."""
    trial = np.arange(scores["full"].shape[0])
    chosen = np.argmax(scores["selection"], axis=1)
    report_chosen = np.argmax(scores["report"], axis=1)
    return pd.DataFrame(
        {
            "paper": scores["full"].max(axis=1),
            "selection": scores["selection"][trial, chosen],
            "same_data": scores["report"][trial, report_chosen],
            "held_out": scores["report"][trial, chosen],
            "held_out_step_index": chosen,
        }
    )


def expected_held_out_max(selection, report, n: int) -> float:
    """E[report score of the trial with the best selection score among n trials drawn with
    replacement] (the expected-max estimator with the choice made on the selection scores)."""
    selection = np.asarray(selection, dtype=float)
    report = np.asarray(report, dtype=float)
    order = np.argsort(selection, kind="stable")
    sel, rep = selection[order], report[order]
    # trials tied on the selection score are chosen at random among themselves: their mean
    _, start, counts = np.unique(sel, return_index=True, return_counts=True)
    rep = np.repeat(np.add.reduceat(rep, start) / counts, counts)
    return float(np.dot(max_weights(len(sel), n), rep))


def expected_max_curves(best: pd.DataFrame, n_max: int | None = None) -> pd.DataFrame:
    """Expected best of n trials, n = 1..N: the paper's (chosen and scored on the whole dev set),
    same data on the report part, and held out (chosen on selection, scored on report)."""
    n_trials = len(best)
    rows = []
    for n in range(1, (n_max or n_trials) + 1):
        weights = max_weights(n_trials, n)
        rows.append(
            {
                "n": n,
                "paper": float(np.dot(weights, np.sort(best["paper"].to_numpy()))),
                "same_data": float(np.dot(weights, np.sort(best["same_data"].to_numpy()))),
                "held_out": expected_held_out_max(best["selection"], best["held_out"], n),
            }
        )
    frame = pd.DataFrame(rows)
    frame["optimism"] = frame["same_data"] - frame["held_out"]
    return frame


def table_1_row(best: pd.DataFrame) -> dict:
    """Table 1 for one task: the best trial found, chosen and scored on the same data
    vs held out."""
    chosen = int(np.argmax(best["selection"].to_numpy()))
    return {
        "best_paper": float(best["paper"].max()),
        "best_same_data": float(best["same_data"].max()),
        "best_held_out": float(best["held_out"].iloc[chosen]),
        "optimism": float(best["same_data"].max() - best["held_out"].iloc[chosen]),
    }
