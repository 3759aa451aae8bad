"""Early stopping (paper Algorithm 1): start many trials, stop the least promising early.

Live mode (`select_survivors`): trials trained to a fraction of training are ranked by their best
score so far; the best `keep` continue to the end, the others stay stopped with partial curves.
"""

from __future__ import annotations

from pathlib import Path

from .store import read_trial


def select_survivors(partial_paths, keep: int) -> dict:
    """Rank partial trials by best headline score so far (ties: file name); keep the best `keep`."""
    ranking = []
    for path in partial_paths:
        trial = read_trial(path)
        metric = trial["metric"]
        best = max(e[metric] for e in trial["evaluations"])
        ranking.append({"stem": Path(path).name[: -len(".json")], "best_so_far": best,
                        "stopped_at_step": trial["stopped_at_step"], "status": trial["status"]})
    if keep > len(ranking):
        raise ValueError(f"cannot keep {keep} of {len(ranking)} trials")
    # a trial that diverged before the stop point is never continued
    ranking.sort(key=lambda r: (r["status"] != "stopped", -r["best_so_far"], r["stem"]))
    return {
        "keep": [r["stem"] for r in ranking[:keep]],
        "stop": [r["stem"] for r in ranking[keep:]],
        "ranking": ranking,
    }
