"""The trial's files: the result format and its reader (with errors that name the file and how
to recompute it), and the completion records kept beside a trial's checkpoint."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
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


_STORED_HASH = re.compile(rb'"config_hash":\s*"([0-9a-f]+)"')


def stored_config_hash(path: str | os.PathLike) -> str | None:
    """The config hash a trial file records (read from the file's head: the keys are sorted, and
    only its config comes before it), or None if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            found = _STORED_HASH.search(handle.read(1 << 16))
        if found:
            return found.group(1).decode()
        with open(path) as handle:
            recorded = json.load(handle)
    except (OSError, ValueError):
        return None
    return recorded.get("config_hash") if isinstance(recorded, dict) else None


def config_differences(stored: dict, expected: dict, prefix: str = "") -> list[str]:
    """`key: stored -> expected` for every (dotted) key where two trial configs differ."""
    differences = []
    for key in sorted(set(stored) | set(expected), key=str):
        old, new = stored.get(key, "(absent)"), expected.get(key, "(absent)")
        if isinstance(old, dict) and isinstance(new, dict):
            differences += config_differences(old, new, f"{prefix}{key}.")
        elif old != new:
            differences.append(f"{prefix}{key}: {old!r} -> {new!r}")
    return differences


def provenance_problem(
    trial: dict, expected_hash: str, expected_config: dict, data_fingerprint: str | None
) -> str | None:
    """Why a trial file is not the trial that the current config asks for its cell (another
    config hash: the keys that differ; other prepared data: the fingerprints), or None."""
    if trial.get("config_hash") != expected_hash:
        differences = config_differences(trial.get("config") or {}, expected_config)
        shown = "; ".join(differences[:4]) + ("; ..." if len(differences) > 4 else "")
        return (
            f"trained with another config (config_hash {trial.get('config_hash')}, "
            f"the current config's {expected_hash}: {shown or 'keys not recorded'})"
        )
    recorded = (trial.get("data") or {}).get("fingerprint")
    if data_fingerprint is not None and recorded != data_fingerprint:
        return (
            f"trained on other data (prepared-data fingerprint {str(recorded)[:12]}, "
            f"the task's prepared data now {data_fingerprint[:12]})"
        )
    return None


def stale_trials_error(problems: dict[str, str], what: str = "aggregated") -> TrialFileError:
    """The error for trial files that are not what the current config asks for: each file with
    why, and how to recompute exactly these trials."""
    paths = list(problems)
    shown = "\n".join(f"  {path}: {why}" for path, why in list(problems.items())[:10])
    more = f"\n  ... and {len(paths) - 10} more" if len(paths) > 10 else ""
    return TrialFileError(
        f"{len(paths)} trial file(s) cannot be {what}: they are not the trials the current "
        f"config asks for their cells:\n{shown}{more}\n"
        "Delete them and rerun the workflow, which recomputes exactly these trials (a trial "
        "that completed earlier with the current config is restored from its completion "
        f"record): rm {' '.join(paths[:10])}{' ...' if len(paths) > 10 else ''}"
    )


DONE_FORMAT = "seedstudy.done/1"


def done_record_path(checkpoint_path, trial_config_hash: str) -> Path:
    """Where a completed trial keeps a copy of its result: beside its checkpoint, one record per
    config hash (`<stem>.<hash>.done.json`), so that switching a study to another config and
    back restores the trials of the first config instead of training them again."""
    path = Path(checkpoint_path)
    return path.with_name(f"{path.stem}.{trial_config_hash}.done.json")


def _recorded_path(checkpoint_path, trial_config_hash: str) -> Path:
    """The record of a config hash, or the single record of a trial (`<stem>.done.json`) that
    older versions kept."""
    path = done_record_path(checkpoint_path, trial_config_hash)
    single = Path(checkpoint_path).with_name(Path(checkpoint_path).stem + ".done.json")
    return path if path.exists() or not single.exists() else single


def write_done_record(checkpoint_path, trial_config_hash, result: dict, run_record: dict) -> None:
    """Keep a copy of a completed trial's outputs beside its checkpoint (see `load_done_record`)."""
    write_json_atomic(
        done_record_path(checkpoint_path, trial_config_hash),
        {
            "format": DONE_FORMAT,
            "config_hash": trial_config_hash,
            "result": result,
            "run": run_record,
        },
    )


def load_done_record(
    checkpoint_path,
    trial_config_hash,
    software: dict | None = None,
    data_fingerprint: str | None = None,
) -> dict | None:
    """The completed result of an earlier attempt of this very trial config, or None.

    A trial writes this record (in the checkpoint folder) before its outputs. When Snakemake
    reruns a trial that had completed with the same config (the workflow was killed after the
    trial finished but before Snakemake recorded it; the prepared data were rebuilt; an output was
    deleted), the rerun restores the outputs from the record instead of training again
    (`runtime.reuse_completed`). A record made by other versions of the libraries that compute a
    trial (`software`: name -> version, compared with the result's `environment`) is not reused:
    after an upgrade, a rerun trains again. Nor is a record of other prepared data than
    `data_fingerprint` (the data files changed under the same data spec).
    """
    path = _recorded_path(checkpoint_path, trial_config_hash)
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
    used = record.get("result", {}).get("data", {}).get("fingerprint")
    if data_fingerprint is not None and used != data_fingerprint:
        log.warning("ignoring completion record %s of other prepared data: training again", path)
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
