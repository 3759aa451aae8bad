"""Checkpoints of a running trial (written on time and on SIGTERM/SIGUSR1, read on resume) and
the stop signals that ask for one. A checkpoint belongs to one trial config hash; anything else
(another config, a truncated or foreign file) is ignored with a warning and the trial starts over.
"""

from __future__ import annotations

import io
import logging
import signal
from pathlib import Path

import torch

from ..store.atomic import write_bytes_atomic
from .adapters import load_trainable, trainable_state

log = logging.getLogger("seedstudy.trainer")

CHECKPOINT_FORMAT = "seedstudy.checkpoint/1"


def save_torch(obj, path) -> None:
    """`torch.save` of `obj` to `path`, atomically."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def save_checkpoint(
    path, trial_config_hash, step, model, optimizer, scheduler, curve, losses, outputs=()
) -> None:
    """Everything training needs to go on exactly: weights (the trainable ones), optimizer and
    schedule state, the RNG states, the curve, the losses and the dev outputs so far."""
    state = {
        "format": CHECKPOINT_FORMAT,
        "config_hash": trial_config_hash,
        "step": step,
        "model": model_weights(model),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "evaluations": curve,
        "train_loss": losses,
        "outputs": [torch.from_numpy(o) for o in outputs],  # dev logits of every evaluation so far
    }
    save_torch(state, path)


def is_adapted(model) -> bool:
    """Whether the model is wrapped with adapters (peft)."""
    return hasattr(model, "peft_config")


def model_weights(model) -> dict:
    """The weights a checkpoint (and `--save-weights`) keeps: the state dict of a fully
    fine-tuned model; of a LoRA trial the trainable tensors only (adapters and head, by peft's
    parameter names), so that its size follows the adapters, not the model."""
    return trainable_state(model) if is_adapted(model) else model.state_dict()


def load_checkpoint(path, trial_config_hash) -> dict | None:
    """A checkpoint of this very trial config, or None (with a warning) if it is unusable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        # weights_only: a checkpoint holds tensors, numbers and lists only,
        # and loading it runs no code
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated, corrupt, wrong format: never trust it
        log.warning("ignoring unreadable checkpoint %s (%s); training from the start", path, error)
        return None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        log.warning("ignoring %s: not a seedstudy checkpoint; training from the start", path)
        return None
    if state.get("config_hash") != trial_config_hash:
        log.warning(
            "ignoring checkpoint %s: it belongs to config %s, "
            "this trial is %s; training from the start",
            path,
            state.get("config_hash"),
            trial_config_hash,
        )
        return None
    return state


def restore(state: dict, model, optimizer, scheduler, device) -> tuple[int, list, list, list]:
    """Put model, optimizer, schedule and RNG back as the checkpoint has them; return the step,
    the curve so far, the losses so far and the dev logits of the evaluations so far."""
    if is_adapted(model):
        load_trainable(model, state["model"])
    else:
        model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng_cpu"])
    if state["rng_cuda"] and device.type == "cuda":
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    return (
        state["step"],
        state["evaluations"],
        state["train_loss"],
        [t.numpy() for t in state.get("outputs", [])],
    )


class StopSignals:
    """Turn SIGTERM/SIGUSR1 (sent by SLURM before a time limit or preemption) into a flag."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.received: int | None = None
        self._previous = {}

    def __enter__(self):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not in the main thread: signals cannot be caught here
                pass
        return self

    def _handle(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
