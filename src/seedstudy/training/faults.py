"""Hooks for the reliability tests, in one place; the trainer calls them, and each does nothing
unless a test switches it on.

- SEEDSTUDY_FAIL_ONCE=<folder> (with SEEDSTUDY_FAIL_TRIALS=<glob>): a trial fails on its first
  attempt and runs normally on the next (retries);
- SEEDSTUDY_FAIL_ALWAYS=<glob>: a trial whose name matches raises a ValueError at every
  attempt (a deterministic error: not retried within a run, `training.failures`);
- SEEDSTUDY_TRIAL_LEDGER=<file>: every trial appends `start`, `restore` or `done` (how often
  each trial was trained, for the kill tests);
- `Runtime.interrupt_after_step`: behave as if a stop signal arrived after that many steps.
"""

from __future__ import annotations

import fnmatch
import os
import socket
from pathlib import Path


def ledger(event: str, name: str) -> None:
    """Audit trail for the fault tests: with SEEDSTUDY_TRIAL_LEDGER=<file> set, every trial
    appends `start`, `restore` or `done` with its name and process id (one short O_APPEND write,
    atomic on POSIX), so that a test can count how often each trial was trained."""
    path = os.environ.get("SEEDSTUDY_TRIAL_LEDGER")
    if path:
        with open(path, "a") as handle:
            handle.write(f"{event} {name} {os.getpid()}\n")


def inject_fault(name: str) -> None:
    """Fail a trial once, for tests of retries: with SEEDSTUDY_FAIL_ONCE=<folder> set, a trial
    whose name (`task/stem`) matches SEEDSTUDY_FAIL_TRIALS (a glob, default all) fails on its
    first attempt, leaving a marker in the folder, and runs normally on the next."""
    folder = os.environ.get("SEEDSTUDY_FAIL_ONCE")
    if not folder or not fnmatch.fnmatch(name, os.environ.get("SEEDSTUDY_FAIL_TRIALS", "*")):
        return
    marker = Path(folder) / (name.replace("/", "__") + ".failed")
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    raise RuntimeError(
        f"injected fault in trial {name} (SEEDSTUDY_FAIL_ONCE={folder}); a retry will succeed"
    )


def inject_error(name: str) -> None:
    """With SEEDSTUDY_FAIL_ALWAYS=<glob> set, a trial whose name (`task/stem`) matches raises a
    ValueError at every attempt, as an error in its data or config would."""
    pattern = os.environ.get("SEEDSTUDY_FAIL_ALWAYS")
    if pattern and fnmatch.fnmatch(name, pattern):
        raise ValueError(f"injected deterministic error in trial {name} (SEEDSTUDY_FAIL_ALWAYS)")


def stop_asked(signal_received, step: int, interrupt_after_step: int | None) -> bool:
    """A stop signal arrived, or the test hook asks for one at this step."""
    return signal_received is not None or step == interrupt_after_step
