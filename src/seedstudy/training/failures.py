"""Deterministic failures are not retried within a run.

The workflow retries a failed trial job (`runtime.trial_retries`) so that a preempted or crashed
trial resumes. An error that a retry cannot change (one of `DETERMINISTIC`: an error in the data,
the config or the code) would fail the same way each time, each a GPU job on a cluster. Such a
failure is recorded beside the trial's checkpoint (`<stem>.<config hash>.failed.json`) with the
run it happened in (`SEEDSTUDY_RUN`, one id per `snakemake` invocation, set by the workflow and
inherited by its jobs); a retry of the same trial config in the same run fails at once with the
first attempt's error, before loading anything. The next run tries again (the cause may be fixed),
and a trial that completes removes its record. Errors a retry can cure (preemption, I/O, CUDA and
out-of-memory `RuntimeError`s) are not recorded, nor is anything without a run id (a trial run by
hand) or without a checkpoint path.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from ..store.atomic import write_json_atomic

RUN_ENV = "SEEDSTUDY_RUN"
# errors of the inputs or the code, the same at every attempt (LookupError: KeyError,
# IndexError; ArithmeticError: OverflowError, ZeroDivisionError)
DETERMINISTIC = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    AssertionError,
    NotImplementedError,
    ImportError,
)


class RepeatedFailure(RuntimeError):
    """A retry of a trial that failed deterministically earlier in the same run."""


def current_run() -> str | None:
    """The id of the workflow run this process belongs to, or None."""
    return os.environ.get(RUN_ENV) or None


def failure_record_path(checkpoint_path, trial_config_hash: str) -> Path:
    """Where a deterministic failure of a trial config is recorded: beside its checkpoint."""
    path = Path(checkpoint_path)
    return path.with_name(f"{path.stem}.{trial_config_hash}.failed.json")


def refuse_repeat(checkpoint_path, trial_config_hash: str, run: str | None, name: str) -> None:
    """Raise RepeatedFailure when this trial config failed deterministically earlier in `run`."""
    if not (checkpoint_path and run):
        return
    path = failure_record_path(checkpoint_path, trial_config_hash)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no record, or one cut short: try the trial
    if record.get("run") == run:
        raise RepeatedFailure(
            f"trial {name} failed earlier in this run with {record.get('error')}; a retry would "
            f"fail the same way, so it is not trained again (record: {path}). Fix the cause and "
            "run the workflow again: the next run retries it"
        )


@contextlib.contextmanager
def recorded(checkpoint_path, trial_config_hash: str, run: str | None):
    """Record a deterministic error raised inside the block (then re-raise it); on success,
    remove any earlier record of this trial config."""
    try:
        yield
    except DETERMINISTIC as error:
        if checkpoint_path and run:
            write_json_atomic(
                failure_record_path(checkpoint_path, trial_config_hash),
                {
                    "run": run,
                    "config_hash": trial_config_hash,
                    "error": f"{type(error).__name__}: {error}",
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                },
            )
        raise
    if checkpoint_path:
        failure_record_path(checkpoint_path, trial_config_hash).unlink(missing_ok=True)
