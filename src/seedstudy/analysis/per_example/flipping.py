"""Examples that flip with the seed: which dev examples every final model gets right, which none
does, and which depend on the seeds.

From the final predictions of the finished trials of a task ([trials, examples] correct or not):

- per example, the share of final models that get it right;
- the examples right for every seed, wrong for every seed, and the ones that flip most (share
  nearest one half);
- how much of the score difference between two trials comes from the unstable examples: two
  trials' accuracies differ only through the examples on which exactly one of them is right; the
  *unstable* examples are those with a share right strictly between `UNSTABLE` bounds. Averaged
  over all pairs of trials: the share of the disagreements that fall on unstable examples, beside
  the unstable examples' share of the dev set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# an example is unstable when between 10 % and 90 % of the final models get it right
UNSTABLE = (0.1, 0.9)


def correct(predictions, labels) -> np.ndarray:
    """[trials, examples] booleans: the prediction equals the label (classification)."""
    return np.asarray(predictions) == np.asarray(labels)[None, :]


def example_table(correct_matrix: np.ndarray, texts=None, labels=None) -> pd.DataFrame:
    """One row per dev example: share of final models right, its class of stability, the text."""
    correct_matrix = np.asarray(correct_matrix, dtype=bool)
    share = correct_matrix.mean(axis=0)
    kind = np.where(
        share == 1,
        "always right",
        np.where(
            share == 0,
            "always wrong",
            np.where((share > UNSTABLE[0]) & (share < UNSTABLE[1]), "unstable", "mostly stable"),
        ),
    )
    frame = pd.DataFrame(
        {
            "example": np.arange(correct_matrix.shape[1]),
            "share_right": share,
            "kind": kind,
            "flip": 1 - 2 * np.abs(share - 0.5),
        }
    )
    if labels is not None:
        frame["label"] = np.asarray(labels)
    if texts is not None:
        frame["text"] = list(texts)
    return frame


def disagreement_share(correct_matrix: np.ndarray, unstable: np.ndarray) -> float:
    """Over all pairs of trials, the share of their disagreements (examples exactly one of the two
    gets right) that fall on `unstable` examples; NaN when no two trials disagree."""
    c = np.asarray(correct_matrix, dtype=float)
    right = c.sum(axis=0)  # per example, models right
    wrong = c.shape[0] - right
    pairs = right * wrong  # per example, pairs of trials that disagree on it
    total = pairs.sum()
    return float(pairs[unstable].sum() / total) if total > 0 else float("nan")


def summary(correct_matrix: np.ndarray) -> dict:
    """Counts of each kind, the unstable share of the dev set and of the pairwise disagreements."""
    table = example_table(correct_matrix)
    unstable = (table["kind"] == "unstable").to_numpy()
    counts = table["kind"].value_counts()
    return {
        "trials": int(np.asarray(correct_matrix).shape[0]),
        "examples": len(table),
        "always_right": int(counts.get("always right", 0)),
        "always_wrong": int(counts.get("always wrong", 0)),
        "unstable": int(unstable.sum()),
        "unstable_share_of_dev": float(unstable.mean()),
        "unstable_share_of_disagreements": disagreement_share(correct_matrix, unstable),
    }


def most_flipping(table: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """The k examples whose share right is nearest one half (ties: the earlier example)."""
    return table.sort_values(["flip", "example"], ascending=[False, True], kind="stable").head(k)
