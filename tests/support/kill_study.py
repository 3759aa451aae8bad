"""Kill the tiny study at seeded moments, rerun each time, and check that nothing is lost and no
completed trial is ever trained twice.

    GLUE_DIR=../shared/data/glue python tests/support/kill_study.py --points 10 --seed 1 --seeds 3

Each point starts `snakemake results/figures/all.pdf` (the tiny study, with 32 steps per trial) in
its own process group, waits for a moment (while a trial trains, while a task is aggregated, while
an analysis runs, at a random time; offsets drawn from the seed), and kills the whole group with
SIGKILL; then `snakemake --unlock` (what Snakemake asks a user to
do after a killed run) and the checks: every trial file present parses and holds a complete curve.
A final run must finish; a trial ledger (SEEDSTUDY_TRIAL_LEDGER) then shows every trial trained to
completion exactly once: trials started = trials + trials interrupted.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent / "src"))

from seedstudy.store.trials import read_trial  # noqa: E402
from support.snakemake_runs import planned, snakemake, snakemake_command  # noqa: E402

TARGETS = ("mid-trial", "random", "mid-aggregation", "mid-analysis")
NOT_ANALYSES = {"finetune", "prepare_data", "aggregate_task", "aggregate_study", "all_figures"}


def study_overrides(seeds: int) -> list[str]:
    """The tiny study with an n x n seed grid and longer trials (32 steps instead of 4), so that
    kills land mid-training and there is work left for many kill points."""
    return [
        "--config",
        "training={'epochs': 2, 'batch_size': 2, "
        "'lr': 1.0e-4, 'evals_per_epoch': 2, 'max_length': 32}",
        f"tasks={{'sst2': {{'init_seeds': '1..{seeds}', "
        f"'order_seeds': '1..{seeds}', 'train_size': 32, 'dev_size': 32}}}}",
    ]


def plan(points: int) -> list[str]:
    """The kinds of moment, in an order that leaves work to interrupt: trials (and random moments
    among them) first, then the aggregation, then the analyses (each needs the stage before)."""
    if points < 3:
        return ["mid-trial"] * points
    analyses = max(1, (points - 1) // 4)
    early = points - 1 - analyses
    trials = (early + 1) // 2
    mixed = [
        kind
        for pair in zip(["mid-trial"] * trials, ["random"] * (early - trials) + [None])
        for kind in pair
        if kind
    ]
    return mixed + ["mid-aggregation"] + ["mid-analysis"] * analyses


def running_scripts(group: int) -> set[str]:
    """Names of the workflow scripts running in a process group (finetune, aggregate_task, ...)."""
    names = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != group:
                continue
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue
        for part in command:
            text = part.decode(errors="replace")
            if text.endswith(".py") and ".snakemake/scripts/" in text:
                names.add(text.rsplit(".", 2)[-2])  # tmpXXXX.finetune.py -> finetune
    return names


def trial_starts(ledger: Path) -> int:
    return (
        sum(line.startswith("start") for line in ledger.read_text().splitlines())
        if ledger.exists()
        else 0
    )


def run_and_kill(
    workdir: Path,
    target: str,
    rng: random.Random,
    env: dict,
    overrides: list[str],
    timeout: float = 300,
) -> str:
    """Start the study, kill its process group at the target moment; what was running then."""
    command = snakemake_command(workdir, "results/figures/all.pdf", *overrides)
    ledger = Path(env["SEEDSTUDY_TRIAL_LEDGER"])
    started_before = trial_starts(ledger)
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    group = process.pid
    start = time.monotonic()
    random_at = start + rng.uniform(2.0, 10.0)
    extra = rng.uniform(0.0, 1.5)
    while process.poll() is None and time.monotonic() - start < timeout:
        scripts = running_scripts(group)
        hit = (
            # a trial has started training in this run (its ledger line), not just its process
            (
                target == "mid-trial"
                and "finetune" in scripts
                and trial_starts(ledger) > started_before
            )
            or (target == "mid-aggregation" and "aggregate_task" in scripts)
            or (target == "mid-analysis" and scripts - NOT_ANALYSES)
            or (target == "random" and time.monotonic() >= random_at)
        )
        if hit:
            if target == "mid-trial":
                time.sleep(extra)  # somewhere inside the trial's training, not at its very start
                scripts = running_scripts(group) or scripts
            os.killpg(group, signal.SIGKILL)
            process.wait()
            return ",".join(sorted(scripts)) or "snakemake only"
        time.sleep(0.05)
    process.wait()
    return "finished before the kill"


def check_trial_files(workdir: Path) -> int:
    files = sorted((workdir / "results" / "trials").rglob("*.json"))
    trials = [f for f in files if not f.name.endswith(".run.json")]
    for path in trials:
        trial = read_trial(path)  # raises on a partial or corrupt file
        assert trial["status"] == "completed", path
        assert [e["step"] for e in trial["evaluations"]] == trial["eval_steps"], path
    return len(trials)


def ledger_counts(path: Path) -> tuple[Counter, Counter, int]:
    """Starts and completions per trial, and how many starts never completed (interrupted)."""
    starts, dones = Counter(), Counter()
    open_attempts = {}
    for line in path.read_text().splitlines():
        event, name, pid = line.split()
        if event == "start":
            starts[name] += 1
            open_attempts[(name, pid)] = True
        elif event == "done":
            dones[name] += 1
            open_attempts.pop((name, pid), None)
    return starts, dones, len(open_attempts)


def kill_study(workdir: Path, points: int, seed: int, seeds: int = 2, log=print) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    ledger = workdir / "trial-ledger.txt"
    env = {**os.environ, "SEEDSTUDY_TRIAL_LEDGER": str(ledger)}
    rng = random.Random(seed)
    targets = plan(points)
    hits = []
    for point, target in enumerate(targets, start=1):
        what = run_and_kill(workdir, target, rng, env, study_overrides(seeds))
        snakemake(workdir, "--unlock")
        present = check_trial_files(workdir)
        hits.append((target, what))
        log(
            f"kill {point}/{points} ({target}): running {what}; "
            f"{present} complete trial files, none partial"
        )
    snakemake(
        workdir,
        "results/figures/all.pdf",
        *study_overrides(seeds),
        env={"SEEDSTUDY_TRIAL_LEDGER": str(ledger)},
    )
    n_trials = check_trial_files(workdir)
    assert planned(workdir, *study_overrides(seeds)) == {}, "the final run left work to do"
    starts, dones, interrupted = ledger_counts(ledger)
    summary = {
        "points": hits,
        "trials": n_trials,
        "started": sum(starts.values()),
        "interrupted": interrupted,
        "completed_twice": sorted(name for name, n in dones.items() if n > 1),
        "restored": sum(
            1 for line in ledger.read_text().splitlines() if line.startswith("restore")
        ),
    }
    log(
        f"{n_trials} trials; {summary['started']} trial starts = {n_trials} trials + {interrupted} "
        f"interrupted; completed twice: {summary['completed_twice'] or 'none'}; restored from "
        f"completion records: {summary['restored']}"
    )
    assert (workdir / "results" / "figures" / "all.pdf").exists()
    assert set(dones) == set(starts) and len(dones) == n_trials
    assert not summary["completed_twice"], summary
    assert summary["started"] == n_trials + interrupted, summary
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seeds", type=int, default=3, help="an n x n seed grid (more trials, more to interrupt)"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if not os.environ.get("GLUE_DIR"):
        sys.exit("set GLUE_DIR to a folder of the GLUE TSVs (e.g. ../shared/data/glue)")
    # the runs below work in temporary folders: a relative GLUE_DIR is taken from here
    os.environ["GLUE_DIR"] = str(Path(os.environ["GLUE_DIR"]).resolve())
    import tempfile

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kill-study-"))
    kill_study(workdir, args.points, args.seed, args.seeds)
    print(f"ok ({workdir})")


if __name__ == "__main__":
    main()
