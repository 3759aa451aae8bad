"""The learning curves of one task's trials on their common evaluation grid, as the early-stopping
analyses read them (Algorithm 1's simulation, the correlation between evaluation points).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..aggregate import seed_keys


@dataclass
class TaskCurves:
    """The learning curves of one task's trials on the common evaluation grid.

    scores[i, j]: trial i's headline score at evaluation j (0 = step 0, K = final step); a diverged
    trial's row holds its last score after its last evaluation. n_evals[i]: evaluations recorded
    (K + 1 for a completed trial). Rows follow `trials` (sorted by init, order, dropout seed).
    """

    task: str
    scores: np.ndarray
    n_evals: np.ndarray
    trials: pd.DataFrame
    steps: np.ndarray
    epochs: np.ndarray
    n_stopped: int = 0
    metric: str | None = None

    @property
    def n_trials(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_points(self) -> int:
        """K: evaluations after step 0."""
        return int(self.scores.shape[1]) - 1

    @property
    def n_completed(self) -> int:
        return int(np.sum(self.n_evals == self.n_points + 1))

    @property
    def n_diverged(self) -> int:
        return self.n_trials - self.n_completed

    @property
    def completed_scores(self) -> np.ndarray:
        return self.scores[self.n_evals == self.n_points + 1]

    def downsample(self, points: int | None) -> TaskCurves:
        """The curves on `points` evaluations after step 0 (step 0 and the last kept, the others
        evenly spaced over the grid, nearest index);
        unchanged when K <= points or points is None."""
        if points is None or self.n_points <= points:
            return self
        if points < 1:
            raise ValueError(f"points must be at least 1, got {points}")
        K = self.n_points
        keep = np.array([0] + [(2 * j * K + points) // (2 * points) for j in range(1, points + 1)])
        # a trial with e evaluations (0..e-1) keeps the kept indices below e
        n_evals = np.searchsorted(keep, self.n_evals, side="left")
        return dataclasses.replace(
            self,
            scores=self.scores[:, keep],
            n_evals=n_evals.astype(int),
            steps=self.steps[keep],
            epochs=self.epochs[keep],
        )

    def final_off_grid(self) -> bool:
        """Whether the final evaluation is off the regular grid: the gap before it differs from
        the grid's first gap (steps[1] - steps[0]) by more than one step. Per-epoch grids round
        their steps (gaps differ by at most one) and end on the grid; an every-N-steps grid whose
        total is not a multiple of N ends with a shorter gap."""
        if self.n_points < 2:
            return False
        spacing = int(self.steps[1] - self.steps[0])
        return abs(int(self.steps[-1] - self.steps[-2]) - spacing) > 1

    def without_off_grid_final(self) -> TaskCurves:
        """The curves without the final evaluation when it is off the regular grid (the
        authors' simulation takes a fully trained run's best over the regular grid only);
        unchanged otherwise. A trial diverged after the last kept point then counts as completed."""
        if not self.final_off_grid():
            return self
        K = self.n_points
        return dataclasses.replace(
            self,
            scores=self.scores[:, :K],
            n_evals=np.minimum(self.n_evals, K),
            steps=self.steps[:K],
            epochs=self.epochs[:K],
        )

    @classmethod
    def from_curves(cls, curves: pd.DataFrame, task: str) -> TaskCurves:
        """The task's completed and diverged trials from the aggregate curves table.

        Raises ValueError when the task has no completed trial (the grid is then unknown), when
        completed trials disagree on the grid, or when a score is not finite.
        """
        rows = curves[curves["task"] == task]
        keys = seed_keys(rows)
        stopped = rows[rows["status"] == "stopped"]
        n_stopped = int(stopped.groupby(keys, dropna=False).ngroups) if len(stopped) else 0
        rows = rows[rows["status"].isin(["completed", "diverged"])]
        completed = rows[rows["status"] == "completed"]
        if completed.empty:
            raise ValueError(
                f"task {task!r} has no completed trial: its evaluation grid is unknown"
            )
        grids = completed.sort_values("eval_index").groupby(keys, dropna=False)["step"].apply(tuple)
        if grids.nunique() != 1:
            raise ValueError(
                f"the completed trials of task {task!r} do not share one evaluation grid"
            )
        steps = np.asarray(grids.iloc[0], dtype=int)
        epochs = (
            completed.drop_duplicates("step")
            .set_index("step")["epoch"]
            .reindex(steps)
            .to_numpy(dtype=float)
        )
        n_points = len(steps)
        rows = rows.sort_values(keys + ["eval_index"], na_position="first")
        trials, score_rows, n_evals = [], [], []
        for key, group in rows.groupby(keys, dropna=False, sort=False):
            group_steps = group["step"].to_numpy(dtype=int)
            values = group["score"].to_numpy(dtype=float)
            label = dict(zip(keys, key))
            if len(values) > n_points or not np.array_equal(group_steps, steps[: len(values)]):
                raise ValueError(f"task {task!r}, trial {label}: evaluations off the task's grid")
            if not np.all(np.isfinite(values)):
                raise ValueError(f"task {task!r}, trial {label}: non-finite score")
            status = group["status"].iloc[0]
            if status == "completed" and len(values) != n_points:
                raise ValueError(
                    f"task {task!r}, trial {label}: completed "
                    f"with {len(values)} of {n_points} evaluations"
                )
            padded = np.full(n_points, values[-1])
            padded[: len(values)] = values
            score_rows.append(padded)
            n_evals.append(len(values))
            trials.append({**label, "status": status})
        metric = None
        if "metric" in rows.columns:
            metric = str(rows["metric"].iloc[0])
        return cls(
            task=task,
            scores=np.array(score_rows, dtype=float).reshape(len(score_rows), n_points),
            n_evals=np.array(n_evals, dtype=int),
            trials=pd.DataFrame(trials),
            steps=steps,
            epochs=epochs,
            n_stopped=n_stopped,
            metric=metric,
        )
