"""Helpers to run the workflow in a scratch folder and read what it planned or ran."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "tests" / "config" / "tiny.yaml"


def snakemake_command(workdir, *args, configfile=TINY, snakefile=REPO / "Snakefile") -> list[str]:
    """The command line that runs the workflow on `workdir` with the given study config."""
    command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir), *args]
    if configfile is not None:
        command += ["--configfile", str(configfile)]
    return command


def snakemake(
    workdir, *args, configfile=TINY, check=True, timeout=900, env=None, snakefile=REPO / "Snakefile"
):
    command = snakemake_command(workdir, *args, configfile=configfile, snakefile=snakefile)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
        )
    return result


def planned(workdir, *args, **kwargs) -> Counter:
    """Jobs per rule that a dry run would execute (empty when there is nothing to do)."""
    result = snakemake(workdir, "-n", *args, **kwargs)
    return job_counts(result.stdout + result.stderr)


def job_counts(text: str) -> Counter:
    """Jobs per rule in the "Job stats:" table of Snakemake's output (empty when there is none)."""
    counts = Counter()
    if "Job stats:" not in text:
        return counts
    table = text.split("Job stats:", 1)[1]
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        if match.group(1) != "total":
            counts[match.group(1)] = int(match.group(2))
    return counts


def planned_outputs(workdir, rule, *args, **kwargs) -> list[str]:
    """The first output of every job of `rule` in a dry run."""
    result = snakemake(workdir, "-n", *args, **kwargs)
    text = result.stdout + result.stderr
    outputs = re.findall(rf"rule {rule}:\n(?:.*\n)*?\s+output: ([^,\n]+)", text)
    return sorted(outputs)
