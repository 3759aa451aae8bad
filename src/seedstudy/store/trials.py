"""The trial's files: the result format and its reader (with errors that name the file and how
to recompute it), and the completion records kept beside a trial's checkpoint."""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path

from .atomic import write_json_atomic

log = logging.getLogger("seedstudy.store")


class TrialFileError(ValueError):
    """A trial output that cannot be used; the message names the file and how to recompute it."""


TRIAL_FORMAT = "seedstudy.trial/1"


REQUIRED_TRIAL_KEYS = (
    "format",
    "task",
    "init_seed",
    "order_seed",
    "status",
    "config_hash",
    "metric",
    "eval_steps",
    "evaluations",
    "train_loss",
)


def read_trial(path: str | os.PathLike) -> dict:
    """Read and check one trial output (complete, parseable, curve consistent with its status)."""
    path = Path(path)
    how = (
        f"delete it and rerun the workflow to recompute just this trial (`rm {path}` then "
        f"`snakemake ...`), or run `snakemake ... --forcerun {path}`"
    )
    try:
        with open(path) as handle:
            trial = json.load(handle)
    except FileNotFoundError:
        raise TrialFileError(f"{path}: trial output missing; {how}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TrialFileError(f"{path}: trial output is corrupt ({error}); {how}") from None
    if not isinstance(trial, dict) or trial.get("format") != TRIAL_FORMAT:
        raise TrialFileError(f"{path}: not a {TRIAL_FORMAT} file; {how}")
    missing = [key for key in REQUIRED_TRIAL_KEYS if key not in trial]
    if missing:
        raise TrialFileError(f"{path}: trial output lacks {missing}; {how}")
    evaluations = trial["evaluations"]
    if not evaluations or evaluations[0].get("step") != 0:
        raise TrialFileError(f"{path}: trial output has no evaluation at step 0; {how}")
    if trial["status"] == "completed":
        evaluated = [e["step"] for e in evaluations]
        if evaluated != trial["eval_steps"]:
            raise TrialFileError(
                f"{path}: completed trial has evaluations at {len(evaluated)} of "
                f"{len(trial['eval_steps'])} scheduled steps; {how}"
            )
    return trial


DONE_FORMAT = "seedstudy.done/1"


def done_record_path(checkpoint_path) -> Path:
    """Where a completed trial keeps a copy of its result (beside its checkpoint)."""
    path = Path(checkpoint_path)
    return path.with_name(path.stem + ".done.json")


def write_done_record(checkpoint_path, trial_config_hash, result: dict, run_record: dict) -> None:
    """Keep a copy of a completed trial's outputs beside its checkpoint (see `load_done_record`)."""
    write_json_atomic(
        done_record_path(checkpoint_path),
        {
            "format": DONE_FORMAT,
            "config_hash": trial_config_hash,
            "result": result,
            "run": run_record,
        },
    )


def load_done_record(
    checkpoint_path, trial_config_hash, software: dict | None = None
) -> dict | None:
    """The completed result of an earlier attempt of this very trial config, or None.

    A trial writes this record (in the checkpoint folder) before its outputs. When Snakemake
    reruns a trial that had completed with the same config (the workflow was killed after the
    trial finished but before Snakemake recorded it; the prepared data were rebuilt; an output was
    deleted), the rerun restores the outputs from the record instead of training again
    (`runtime.reuse_completed`). A record made by other versions of the libraries that compute a
    trial (`software`: name -> version, compared with the result's `environment`) is not reused:
    after an upgrade, a rerun trains again.
    """
    path = done_record_path(checkpoint_path)
    if not path.exists():
        return None
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        log.warning("ignoring unreadable completion record %s (%s)", path, error)
        return None
    if record.get("format") != DONE_FORMAT or record.get("config_hash") != trial_config_hash:
        log.warning("ignoring completion record %s of another config", path)
        return None
    recorded = record.get("result", {}).get("environment", {})
    changed = {
        name: (recorded.get(name), version)
        for name, version in (software or {}).items()
        if recorded.get(name) != version
    }
    if changed:
        described = ", ".join(
            f"{name} {old} -> {new}" for name, (old, new) in sorted(changed.items())
        )
        log.warning(
            "ignoring completion record %s made with other software (%s): training again",
            path,
            described,
        )
        return None
    return record


# ------------------------------------------------------------------------ job benchmarks


def benchmark_seconds(path: str | os.PathLike) -> float:
    """Wall seconds of a job from its Snakemake `benchmark:` file (the `s` column of its first
    row); OSError, KeyError, ValueError or StopIteration for a missing or malformed file."""
    with open(path, newline="") as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))["s"])
