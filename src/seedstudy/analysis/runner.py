"""Run several analyses in one job: the libraries imported once, the analyses side by side.

Every analysis of the aggregate tables (best found, expected max, seed effects, ...) is a short
script of `workflow/scripts/`. Run as a job of its own, each one would spend most of its seconds
starting Python and importing pandas, matplotlib, seaborn, scipy and statsmodels
(docs/performance.md). `run` imports what the scripts import once, then forks a pool of worker
processes that inherit those modules, and runs each analysis in a worker of its own, the longest
first, so `workers` analyses run at a time. Each analysis is a fresh fork: nothing one of them
sets (a matplotlib setting, a redirected stdout) reaches another.

An analysis that fails does not stop the others; `run` raises at the end, naming every failed
analysis and its log, so that one bad figure does not cost the tables of the rest (the job
`analyses` then writes failure notes in place of the failed analysis's outputs:
`seedstudy.figures.failure_notes`).
"""

from __future__ import annotations

import ast
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    """One analysis: `work()` computes it (in a worker process); `log` is where its output goes;
    `priority`: larger ones start first (the longest analyses, so that a short one ends the job)."""

    name: str
    work: Callable[[], None]
    log: str
    priority: int = 0


class AnalysisFailed(RuntimeError):
    """One or more analyses raised; the message names each one and its log; `failures` maps
    each failed analysis to its traceback (or why its worker died)."""

    def __init__(self, message: str, failures: dict[str, str] | None = None):
        super().__init__(message)
        self.failures = failures or {}


def script_imports(path: str | os.PathLike) -> list[str]:
    """The modules a script imports at its top level (`import a.b`, `from a.b import c`),
    in order."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    modules: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append(node.module)
            # `from package import module` imports a submodule: import it too where it is one
            modules += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(modules))


def preload(modules) -> list[str]:
    """Import `modules` into this process (so that forked workers inherit them). A name that is
    not a module (`from a import function` guesses `a.function`) is skipped, and so is a module
    that is not there: the script that imports it fails with Python's own message when it runs.
    Returns the modules imported."""
    loaded = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise  # a module that is there but fails to import one of its own
            continue
        loaded.append(name)
    return loaded


def _run_one(analysis: Analysis, results) -> None:
    """In the worker: run the analysis and send back (seconds, traceback or None)."""
    started = time.perf_counter()
    error = None
    try:
        analysis.work()
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the job
        error = traceback.format_exc()
        try:
            with open(analysis.log, "a", encoding="utf-8") as handle:
                handle.write(error)
        except OSError:
            pass
    results.send((time.perf_counter() - started, error))
    results.close()


def run(analyses: list[Analysis], workers: int, modules=()) -> dict[str, float]:
    """Import `modules`, then run every analysis in a forked worker, `workers` at a time, the
    highest priority first. Returns each analysis's seconds; raises AnalysisFailed (after every
    analysis has run) if any raised or its worker died."""
    started = time.perf_counter()
    loaded = preload(modules)
    log.info("imported %d modules in %.1f s", len(loaded), time.perf_counter() - started)
    pending = deque(sorted(analyses, key=lambda a: -a.priority))
    context = multiprocessing.get_context("fork")  # the workers inherit the imported modules
    running: dict = {}  # process sentinel -> (process, analysis, result pipe)
    seconds: dict[str, float] = {}
    failed: dict[str, str] = {}
    while pending or running:
        while pending and len(running) < max(1, workers):
            analysis = pending.popleft()
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_run_one, args=(analysis, sender), name=f"analysis {analysis.name}"
            )
            process.start()
            sender.close()
            running[process.sentinel] = (process, analysis, receiver)
        for sentinel in multiprocessing.connection.wait(list(running)):
            process, analysis, receiver = running.pop(sentinel)
            try:
                result = receiver.recv() if receiver.poll() else None
            except EOFError:  # the worker died before it could answer
                result = None
            process.join()
            receiver.close()
            if result is None:
                spent, error = (
                    float("nan"),
                    f"its worker process died (exit code {process.exitcode})",
                )
            else:
                spent, error = result
            seconds[analysis.name] = spent
            if error:
                failed[analysis.name] = error
                log.error(
                    "analysis %s failed after %.1f s (log: %s)", analysis.name, spent, analysis.log
                )
            else:
                log.info("analysis %s finished in %.2f s", analysis.name, spent)
    log.info(
        "%d analyses in %.1f s with %d workers",
        len(analyses),
        time.perf_counter() - started,
        workers,
    )
    if failed:
        logs = {a.name: a.log for a in analyses}
        lines = "\n".join(
            f"  {name} (log: {logs[name]}): {text.strip().splitlines()[-1]}"
            for name, text in failed.items()
        )
        raise AnalysisFailed(
            f"{len(failed)} of {len(analyses)} analyses failed:\n{lines}", failures=failed
        )
    return seconds
