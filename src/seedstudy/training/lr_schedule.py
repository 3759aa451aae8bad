"""The learning-rate schedule of a trial (`training.schedule`), as a LambdaLR over the optimizer:

- `linear` (default): linear warm-up over `warmup_fraction` of the steps, then linear decay to 0.
- `paper`: the schedule of the paper's code (`paper_lr_factor`), which applies warm-up twice.
"""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import LambdaLR

from .eval_schedule import steps_per_epoch, trial_evaluation_steps

SCHEDULES = ("linear", "paper")


def warmup_linear(x: float, warmup: float) -> float:
    """BERT's `warmup_linear`: x / warmup during warm-up, then 1 - x (negative past x = 1)."""
    return x / warmup if x < warmup else 1.0 - x


def paper_t_total(n_train: int, batch_size: int, epochs: int) -> int:
    """The paper's t_total: int(n_train / batch_size * epochs), fewer than the steps it runs
    (ceil(n_train / batch_size) * epochs) when the last batch of an epoch is partial."""
    return int(n_train / batch_size * epochs)


def paper_lr_factor(step: int, steps_per_epoch: int, t_total: int, warmup_fraction: float) -> float:
    """The lr factor of (0-based) optimizer step `step` in the paper's code: the runner sets
    lr * warmup_linear(epoch-local step / t_total), then BertAdam multiplies by
    warmup_linear(global step / t_total) with its own counter."""
    local = step % steps_per_epoch
    return warmup_linear(local / t_total, warmup_fraction) * warmup_linear(
        step / t_total, warmup_fraction
    )


def paper_schedule(
    optimizer, steps_per_epoch: int, t_total: int, warmup_fraction: float
) -> LambdaLR:
    """The paper's schedule as a LambdaLR (resumes from its state dict like the linear one)."""
    return LambdaLR(
        optimizer, lambda step: paper_lr_factor(step, steps_per_epoch, t_total, warmup_fraction)
    )


def linear_schedule(optimizer, total_steps: int, warmup_fraction: float) -> LambdaLR:
    """Linear warm-up from 0 over `warmup_fraction` of the steps, then linear decay to 0."""
    warmup_steps = int(round(warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return LambdaLR(optimizer, factor)


def build_schedule(optimizer, training: dict, n_train: int) -> LambdaLR:
    """The scheduler of `training["schedule"]` (linear when absent: `schedule` is an optional
    key of the trial config)."""
    per_epoch = steps_per_epoch(n_train, training["batch_size"])
    name = training.get("schedule", "linear")
    if name == "linear":
        return linear_schedule(
            optimizer, per_epoch * training["epochs"], training["warmup_fraction"]
        )
    if name == "paper":
        t_total = paper_t_total(n_train, training["batch_size"], training["epochs"])
        return paper_schedule(optimizer, per_epoch, t_total, training["warmup_fraction"])
    raise ValueError(f"schedule must be one of {SCHEDULES}, got {name!r}")


def lr_factors(training: dict, n_train: int) -> list[float]:
    """The lr factor of every optimizer step of a trial (step 0 first), without a model."""
    per_epoch = steps_per_epoch(n_train, training["batch_size"])
    total = per_epoch * training["epochs"]
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = build_schedule(optimizer, training, n_train)
    factors = []
    for _ in range(total):
        factors.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return factors


def step_table(training: dict, n_train: int) -> list[dict]:
    """One row per optimizer step of a trial (0-based): its epoch, the effective lr of that update
    (every factor of the schedule applied) and whether an evaluation follows it."""
    per_epoch = steps_per_epoch(n_train, training["batch_size"])
    evaluated = set(trial_evaluation_steps(training, per_epoch))
    return [
        {
            "step": step,
            "epoch": step // per_epoch,
            "lr": training["lr"] * factor,
            "evaluate": int(step + 1 in evaluated),
        }
        for step, factor in enumerate(lr_factors(training, n_train))
    ]
