"""The evaluation schedule of a trial: step 0, `evals_per_epoch` evenly spaced steps
per epoch, final.

The exact global steps are recorded in every trial so that analyses can select "every
evaluation", "once per epoch" (the epoch ends) and "end of training" without guessing.
"""

from __future__ import annotations

import math


def steps_per_epoch(n_examples: int, batch_size: int) -> int:
    """Optimizer steps per epoch; the last batch of an epoch may be smaller (nothing dropped)."""
    return math.ceil(n_examples / batch_size)


def evaluation_steps(
    steps_per_epoch: int, epochs: int, evals_per_epoch: int, eval_every_steps: int | None = None
) -> list[int]:
    """Global steps after which the dev set is evaluated.

    With `eval_every_steps` N (it takes precedence over `evals_per_epoch`): step 0, every
    multiple of N, and the final step.

    Step 0 (before training), then for each epoch e and j = 1..K the step e*S + round(j*S/K)
    (half rounds up), so the last evaluation of every epoch is at its end and the final step is
    always evaluated. With K > S some coincide and are evaluated once.
    """
    if steps_per_epoch < 1 or epochs < 1 or evals_per_epoch < 1:
        raise ValueError("steps_per_epoch, epochs and evals_per_epoch must all be at least 1")
    if eval_every_steps is not None:
        if eval_every_steps < 1:
            raise ValueError("eval_every_steps must be at least 1")
        total = steps_per_epoch * epochs
        return sorted({0, total, *range(eval_every_steps, total, eval_every_steps)})
    steps = {0}
    for epoch in range(epochs):
        for j in range(1, evals_per_epoch + 1):
            steps.add(
                epoch * steps_per_epoch
                + (2 * j * steps_per_epoch + evals_per_epoch) // (2 * evals_per_epoch)
            )
    return sorted(steps)


def paper_grid_steps(steps_per_epoch: int, epochs: int) -> list[int]:
    """The regular evaluation grid of the authors' runner (`glue/runners.py`,
    `run_train_epoch_and_val`): after the optimizer step of the epoch-local batch s with
    s % min(int(S / 10), 100) == 0 (the counter restarts every epoch), as global steps."""
    tenth = max(1, min(steps_per_epoch // 10, 100))
    return [
        epoch * steps_per_epoch + s + 1
        for epoch in range(epochs)
        for s in range(0, steps_per_epoch, tenth)
    ]


def paper_evaluation_steps(steps_per_epoch: int, epochs: int) -> list[int]:
    """`training.evaluation: paper`, the cadence of the authors' runner: its grid
    (`paper_grid_steps`), plus in epoch 0 every step of s < 50 and every s < 300 with
    s % (tenth / 10) == 0 (Python's float modulo, as the runner computes it), plus the
    evaluation after every epoch (the runner's `run_val` at each epoch end) and step 0."""
    tenth = max(1, min(steps_per_epoch // 10, 100))
    dense = [s + 1 for s in range(min(steps_per_epoch, 300)) if s < 50 or s % (tenth / 10) == 0]
    ends = epoch_end_steps(steps_per_epoch, epochs)
    return sorted({0, *dense, *paper_grid_steps(steps_per_epoch, epochs), *ends})


def trial_evaluation_steps(training: dict, steps_per_epoch: int) -> list[int]:
    """The evaluation steps of a trial's training settings: the authors' cadence under
    `evaluation: paper`, else eval_every_steps when set, else evals_per_epoch."""
    if training.get("evaluation", "regular") == "paper":
        return paper_evaluation_steps(steps_per_epoch, training["epochs"])
    return evaluation_steps(
        steps_per_epoch,
        training["epochs"],
        training["evals_per_epoch"],
        training.get("eval_every_steps"),
    )


def ranking_steps(training: dict, steps_per_epoch: int) -> list[int]:
    """The evaluation steps at which live early stopping may rank trials: under `evaluation:
    paper` only the authors' grid (`paper_grid_steps`, the points their Algorithm 1 analysed)
    with step 0 and the final step around it, else every evaluation step."""
    if training.get("evaluation", "regular") == "paper":
        total = steps_per_epoch * training["epochs"]
        return sorted({0, *paper_grid_steps(steps_per_epoch, training["epochs"]), total})
    return trial_evaluation_steps(training, steps_per_epoch)


def epoch_end_steps(steps_per_epoch: int, epochs: int) -> list[int]:
    return [steps_per_epoch * (e + 1) for e in range(epochs)]


def stop_step(eval_steps: list[int], fraction: float) -> int:
    """The evaluation step closest to `fraction` of training (the point at which live early
    stopping ranks trials); never step 0 and never the final step."""
    total = eval_steps[-1]
    candidates = eval_steps[1:-1]
    if not candidates:
        raise ValueError("early stopping needs at least one evaluation between step 0 and the end")
    return min(candidates, key=lambda step: (abs(step - fraction * total), step))
