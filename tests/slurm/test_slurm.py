"""`snakemake --profile slurm` for real: the tiny study through sbatch on a SLURM cluster.

Needs a cluster that answers `sinfo` and has a node with GPUs (the one-node test cluster:
`.ci/slurm.sh start`, as root); skipped otherwise. The study runs in a scratch folder, twice, with
the main profile slurm/ and the test cluster's overlay tests/slurm/profile/:

1. the whole study with trial retries off. Once one trial (KILLED) is training, its SLURM job is
   `scancel`ed: the SIGTERM reaches the trial through sbatch, Snakemake and srun, and the trial
   writes a checkpoint and stops. The other three trials finish; the run fails, as the aggregates
   need every trial.
2. the same command with a fault injected into that trial (SEEDSTUDY_FAIL_ONCE, exported to the
   jobs by sbatch) and the retries of the study config: only that trial is submitted again, its
   first attempt fails, Snakemake resubmits it, the second attempt resumes from the checkpoint and
   completes; the aggregates, analyses and figures follow on this machine (localrules).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from support.snakemake_runs import REPO, TINY

PROFILES = [
    "--profile",
    str(REPO / "slurm"),
    "--profile",
    str(REPO / "tests" / "slurm" / "profile"),
]
TRIALS = ["init1_order1", "init1_order2", "init2_order1", "init2_order2"]
KILLED = "init2_order2"  # cancelled in run 1, injected fault in run 2
# the plugin's name for its jobs: wildcard values joined by "_" (recipe_dir, empty in a study
# without recipes, then task, init seed, order seed, dropout, adapter: empty without their grids)
KILLED_WILDCARDS = "_sst2_2_2__"
RUN_TIMEOUT = 600  # seconds per snakemake invocation

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def require_cluster() -> None:
    """Skip when no usable cluster answers; fail instead with SEEDSTUDY_REQUIRE_SLURM=1 (CI)."""
    problem = cluster_problem()
    if problem:
        message = (
            f"no SLURM cluster: {problem}; "
            "start the test cluster with `bash .ci/slurm.sh start` (root)"
        )
        if os.environ.get("SEEDSTUDY_REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)


def cluster_problem() -> str | None:
    """Why no usable SLURM cluster answers here, or None."""
    if shutil.which("sinfo") is None:
        return "sinfo is not installed"
    try:
        result = subprocess.run(
            ["sinfo", "-h", "-o", "%T %G"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 30 s (no slurmctld running?)"
    if result.returncode != 0:
        return f"sinfo failed: {result.stderr.strip()}"
    nodes = [line.split() for line in result.stdout.splitlines() if line.strip()]
    if not any(
        state.rstrip("*") in {"idle", "mixed", "allocated", "completing"} and "gpu" in gres
        for state, gres in nodes
    ):
        return f"no node is up with GPUs (sinfo: {result.stdout.strip()!r})"
    return None


# ------------------------------------------------------------------------------- helpers


def our_jobs(workdir: Path) -> list[dict]:
    """The SLURM jobs whose working directory is `workdir`
    (squeue keeps finished ones MinJobAge)."""
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "-o", "%i|%T|%k|%V|%S|%e|%Z"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    jobs = []
    for line in out.splitlines():
        jobid, state, comment, submitted, started, ended, directory = line.split("|")
        if Path(directory).resolve() == workdir.resolve():
            jobs.append(
                dict(
                    id=jobid,
                    state=state,
                    comment=comment,
                    submitted=submitted,
                    started=started,
                    ended=ended,
                )
            )
    return jobs


def cancel_all(workdir: Path) -> None:
    ids = [
        job["id"]
        for job in our_jobs(workdir)
        if job["state"] in {"PENDING", "RUNNING", "CONFIGURING"}
    ]
    if ids:
        subprocess.run(["scancel", *ids], check=False)


SLURM_COMMANDS = ("sbatch", "squeue", "sacct", "scontrol", "scancel")


def timing_shims(folder: Path, calls: Path) -> Path:
    """Wrappers of the SLURM client commands that append `start end exit-code caller command args`
    to `calls` (caller: a SLURM job id, or `main` for the Snakemake process on this machine): put
    first on PATH, they show what the plugin asks of slurmctld and how long each call takes."""
    folder.mkdir()
    for name in SLURM_COMMANDS:
        real = shutil.which(name)
        if real:
            shim = folder / name
            shim.write_text(
                "#!/bin/bash\n"
                "start=$(date +%s.%N)\n"
                f'{real} "$@"\n'
                "rc=$?\n"
                f'echo "$start $(date +%s.%N) $rc ${{SLURM_JOB_ID:-main}} {name} $*" >> {calls}\n'
                "exit $rc\n"
            )
            shim.chmod(0o755)
    return folder


def start_snakemake(
    workdir: Path,
    log: Path,
    configfiles: list[Path],
    *args: str,
    targets=(),
    env: dict | None = None,
    profiles=(),
) -> subprocess.Popen:
    """`snakemake --profile slurm [--profile P ...] --profile tests/slurm/profile` in `workdir`."""
    extra = [arg for profile in profiles for arg in ("--profile", str(REPO / profile))]
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "-s",
        str(REPO / "Snakefile"),
        *PROFILES[:2],
        *extra,
        *PROFILES[2:],
        "--configfile",
        *map(str, configfiles),
        *args,
    ]
    handle = open(log, "w")
    return subprocess.Popen(
        command,
        cwd=workdir,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait(process: subprocess.Popen, workdir: Path) -> int:
    try:
        return process.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        cancel_all(workdir)
        raise AssertionError(
            f"snakemake ran longer than {RUN_TIMEOUT} s; see {process.args}"
        ) from None


def submissions(log: Path) -> list[tuple[str, str]]:
    """(SLURM job id, SLURM log path) of every job the plugin submitted, in order."""
    return re.findall(
        r"has been submitted with SLURM jobid (\d+) \(log: ([^)]+)\)", log.read_text()
    )


def slurm_calls(calls: Path) -> list[dict]:
    rows = []
    for line in calls.read_text().splitlines():
        start, end, rc, caller, command, *args = line.split(" ")
        rows.append(
            dict(
                start=float(start),
                seconds=float(end) - float(start),
                rc=int(rc),
                caller=caller,
                command=command,
                args=args,
            )
        )
    return rows


def job_info(jobid: str) -> dict[str, str]:
    """`scontrol show job` as a dict (finished jobs stay visible for MinJobAge)."""
    out = subprocess.run(
        ["scontrol", "-o", "show", "job", jobid], capture_output=True, text=True, check=True
    ).stdout
    return dict(field.split("=", 1) for field in out.split() if "=" in field)


def finished_at(log: Path) -> dict[str, float]:
    """Snakemake job id -> when Snakemake saw it finish (its log's timestamps, 1 s resolution)."""
    stamps = {}
    when = None
    for line in log.read_text().splitlines():
        match = re.match(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$", line)
        if match:
            when = datetime.strptime(match.group(1), "%a %b %d %H:%M:%S %Y").timestamp()
        match = re.match(r"^Finished jobid: (\S+) \(Rule: (\w+)\)", line)
        if match and when is not None:
            stamps[match.group(1)] = when
    return stamps


def trial_log_path(workdir: Path, stem: str) -> Path:
    return workdir / "results" / "logs" / "finetune" / "sst2" / f"{stem}.log"


def trial_files(workdir: Path, stem: str) -> list[Path]:
    return [
        workdir / "results" / "trials" / "sst2" / f"{stem}.json",
        workdir / "results" / "trials" / "sst2" / f"{stem}.run.json",
        workdir / "results" / "benchmarks" / "finetune" / "sst2" / f"{stem}.tsv",
    ]


def slurm_time(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S").timestamp()
    except ValueError:
        return None


def summary(rows: list[dict]) -> dict:
    seconds = sorted(row["seconds"] for row in rows)
    if not seconds:
        return {"calls": 0}
    return {
        "calls": len(seconds),
        "median_s": round(seconds[len(seconds) // 2], 3),
        "max_s": round(seconds[-1], 3),
        "total_s": round(sum(seconds), 3),
    }


# ------------------------------------------------------------------------------- the runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory, glue):
    require_cluster()
    work = tmp_path_factory.mktemp("slurm-study")
    # 12 optimizer steps per trial instead of 4: time to catch the trial mid-training
    longer = work / "longer.yaml"
    longer.write_text(yaml.safe_dump({"tasks": {"sst2": {"train_size": 96}}}))
    no_retries = work / "no-retries.yaml"
    no_retries.write_text(yaml.safe_dump({"runtime": {"trial_retries": 0}}))
    calls = work / "slurm-calls.txt"
    shims = timing_shims(work / "shims", calls)
    path = {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    timings = {}

    # run 1: kill one trial's job with scancel once it is training ----------------------------
    log1 = work / "run1.log"
    started = time.time()
    process = start_snakemake(work, log1, [TINY, longer, no_retries], env=path)
    comment = f"rule_finetune_wildcards_{KILLED_WILDCARDS}"
    killed = None
    try:
        while killed is None and process.poll() is None and time.time() - started < RUN_TIMEOUT:
            running = [
                job
                for job in our_jobs(work)
                if job["comment"] == comment and job["state"] == "RUNNING"
            ]
            trial_log = trial_log_path(work, KILLED)
            # the trainer logs the step-0 evaluation just before the first optimizer step
            if running and trial_log.exists() and re.search(r"\bstep 0/", trial_log.read_text()):
                killed = running[0]["id"]
                subprocess.run(["scancel", killed], check=True)
                timings["scancel_after_s"] = round(time.time() - started, 1)
            else:
                time.sleep(0.2)
    except BaseException:
        process.kill()
        cancel_all(work)
        raise
    rc1 = wait(process, work)
    timings["run1_s"] = round(time.time() - started, 1)
    after_run1 = {
        p: p.stat().st_mtime_ns
        for stem in TRIALS
        if stem != KILLED
        for p in trial_files(work, stem)
        if p.exists()
    }
    checkpoint = work / "checkpoints" / "sst2" / f"{KILLED}.pt"
    checkpoint_after_run1 = checkpoint.exists()
    killed_done_after_run1 = any(p.exists() for p in trial_files(work, KILLED)[:2])

    # run 2: the same command, with a fault injected into the killed trial ---------------------
    log2 = work / "run2.log"
    faults = work / "faults"
    started = time.time()
    process = start_snakemake(
        work,
        log2,
        [TINY, longer],
        env={**path, "SEEDSTUDY_FAIL_ONCE": str(faults), "SEEDSTUDY_FAIL_TRIALS": f"sst2/{KILLED}"},
    )
    rc2 = wait(process, work)
    timings["run2_s"] = round(time.time() - started, 1)

    # informational: queue wait, run time and the delay until Snakemake noticed, per SLURM job
    jobs = {job["id"]: job for job in our_jobs(work)}
    per_job = []
    for log in (log1, log2):
        seen = finished_at(log)
        for jobid, slurm_id in re.findall(
            r"Job (\S+) has been submitted with SLURM jobid (\d+)", log.read_text()
        ):
            job = jobs.get(slurm_id, {})
            submitted, start, end = (
                slurm_time(job.get(k, "")) for k in ("submitted", "started", "ended")
            )
            if submitted and start and end:
                per_job.append(
                    {
                        "slurm_job": slurm_id,
                        "state": job["state"],
                        "queued_s": start - submitted,
                        "ran_s": end - start,
                        # when Snakemake logged it as finished (1 s resolution)
                        "noticed_after_s": seen[jobid] - end
                        if job["state"] == "COMPLETED"
                        else None,
                    }
                )
    timings["jobs"] = per_job
    # what the two Snakemake processes on this machine (not the jobs, not this test) asked of SLURM
    ours = [
        row for row in slurm_calls(calls) if row["caller"] == "main" and row["command"] != "scancel"
    ]
    timings["slurm_client_calls"] = {
        name: summary([row for row in ours if row["command"] == name])
        for name in SLURM_COMMANDS[:-1]
    }
    print(json.dumps(timings, indent=1))
    (work / "timings.json").write_text(json.dumps(timings, indent=1))
    return dict(
        work=work,
        log1=log1,
        log2=log2,
        rc1=rc1,
        rc2=rc2,
        killed=killed,
        faults=faults,
        calls=calls,
        after_run1=after_run1,
        checkpoint=checkpoint,
        checkpoint_after_run1=checkpoint_after_run1,
        killed_done_after_run1=killed_done_after_run1,
    )


# ------------------------------------------------------------------------------- checks


def test_run1_fails_only_for_the_cancelled_trial(runs):
    work = runs["work"]
    assert runs["killed"] is not None, f"never saw trial {KILLED} training; see {runs['log1']}"
    assert runs["rc1"] != 0, (
        "run 1 should fail: a cancelled trial leaves the aggregates without input"
    )
    text = runs["log1"].read_text()
    assert f"SLURM-job '{runs['killed']}' failed" in text and "CANCELLED" in text
    assert set(runs["after_run1"]) == {
        p for s in TRIALS if s != KILLED for p in trial_files(work, s)
    }
    assert not runs["killed_done_after_run1"], "the cancelled trial left a result"


def test_cancelled_trial_checkpointed_on_sigterm(runs):
    # SIGTERM from scancel reached the trial (sbatch -> snakemake -> srun -> snakemake -> python)
    assert runs["checkpoint_after_run1"], f"no checkpoint {runs['checkpoint']} after scancel"
    run = json.loads(
        (runs["work"] / "results" / "trials" / "sst2" / f"{KILLED}.run.json").read_text()
    )
    assert 0 < run["resumed_from_step"] < 12, run
    assert not runs["checkpoint"].exists(), "a completed trial removes its checkpoint"


def test_run2_recomputes_only_the_cancelled_trial_and_retries_the_fault(runs):
    work = runs["work"]
    assert runs["rc2"] == 0, runs["log2"].read_text()[-3000:]
    resubmitted = submissions(runs["log2"])
    # attempt 1 failed (injected fault), Snakemake resubmitted it, attempt 2 succeeded
    assert len(resubmitted) == 2, resubmitted
    assert all(f"/rule_finetune/{KILLED_WILDCARDS}/" in path for _, path in resubmitted)
    assert (runs["faults"] / f"sst2__{KILLED}.failed").exists()
    assert "injected fault in trial sst2/" + KILLED in runs["log2"].read_text()
    run = json.loads((work / "results" / "trials" / "sst2" / f"{KILLED}.run.json").read_text())
    assert run["slurm_job_id"] == resubmitted[-1][0]
    # nothing else was recomputed
    assert {p: p.stat().st_mtime_ns for p in runs["after_run1"]} == runs["after_run1"]


def test_every_trial_went_through_sbatch_with_a_gpu(runs):
    work = runs["work"]
    submitted = {
        jobid: path for log in (runs["log1"], runs["log2"]) for jobid, path in submissions(log)
    }
    for stem in TRIALS:
        run = json.loads((work / "results" / "trials" / "sst2" / f"{stem}.run.json").read_text())
        jobid = run["slurm_job_id"]  # $SLURM_JOB_ID seen by the trial
        assert jobid in submitted, (stem, jobid, submitted)
        assert Path(submitted[jobid]).exists()  # SLURM's log of the job, kept
    sbatch = [row for row in slurm_calls(runs["calls"]) if row["command"] == "sbatch"]
    assert len(sbatch) == len(submitted) == 6 and all(row["rc"] == 0 for row in sbatch)
    for jobid in submitted:
        job = job_info(jobid)
        assert job["Comment"].startswith("rule_finetune_wildcards__sst2_"), (
            job
        )  # recipe_dir (empty), task, ...
        assert job["TresPerJob"] == "gres:gpu:1" and job["CpusPerTres"] == "gres:gpu:1", job
        assert job["MinMemoryNode"] == "2000M", job


def test_runtime_grows_with_the_attempt(runs):
    first, second = (job_info(jobid) for jobid, _ in submissions(runs["log2"]))
    assert (first["TimeLimit"], second["TimeLimit"]) == ("00:10:00", "00:20:00")


def test_light_rules_ran_on_this_machine(runs):
    # only trials were submitted (above); the rest ran here as localrules
    text = runs["log1"].read_text() + runs["log2"].read_text()
    for rule in ("prepare_data", "aggregate_task", "aggregate_study", "analyses", "all_figures"):
        assert f"localrule {rule}:" in text, rule


def test_figures_are_made(runs):
    results = runs["work"] / "results"
    assert (results / "figures" / "all.pdf").stat().st_size > 0
    for stem in TRIALS:
        result = json.loads((results / "trials" / "sst2" / f"{stem}.json").read_text())
        assert result["status"] in {"completed", "failed"} and len(result["evaluations"]) == 3


# ------------------------------------------------------------ the options: packs and arrays


def trial_targets():
    return [f"results/trials/sst2/{stem}.json" for stem in TRIALS]


def run_option(tmp_path_factory, name: str, profile: str, *args: str) -> dict:
    """The tiny study's four trials with an optional profile stacked on slurm/."""
    require_cluster()
    work = tmp_path_factory.mktemp(f"slurm-{name}")
    log = work / "run.log"
    started = time.time()
    process = start_snakemake(work, log, [TINY], *args, targets=trial_targets(), profiles=[profile])
    rc = wait(process, work)
    print(f"{name}: {time.time() - started:.1f} s")
    assert rc == 0, log.read_text()[-3000:]
    jobs = {
        stem: json.loads((work / "results" / "trials" / "sst2" / f"{stem}.run.json").read_text())[
            "slurm_job_id"
        ]
        for stem in TRIALS
    }
    return dict(work=work, log=log, jobs=jobs)


def test_packed_trials_share_a_gpu_job(tmp_path_factory, glue):
    # two trials per SLURM job: one GPU, one trial's memory, the two trials' runtimes added up
    packed = run_option(
        tmp_path_factory, "packed", "slurm/packed", "--group-components", "trials=2"
    )
    submitted = submissions(packed["log"])
    assert len(submitted) == 2 and all(
        "/group_trials_finetune/" in path for _, path in submitted
    ), submitted
    assert sorted(packed["jobs"].values()) == sorted(2 * [jobid for jobid, _ in submitted])
    for jobid, _ in submitted:
        job = job_info(jobid)
        assert job["TresPerJob"] == "gres:gpu:1" and job["MinMemoryNode"] == "2000M", job
        assert job["TimeLimit"] == "00:20:00", job


def test_array_job_runs_every_trial(tmp_path_factory, glue):
    array = run_option(tmp_path_factory, "array", "slurm/array")
    text = array["log"].read_text()
    master = re.findall(r"Submitted array job with Snakemake IDs \S+ and SLURM job ID (\d+)", text)
    assert len(master) == 1, text[-3000:]
    tasks = {job["id"]: job for job in our_jobs(array["work"])}
    assert sorted(tasks) == [f"{master[0]}_{i}" for i in range(1, 5)]
    assert {job["state"] for job in tasks.values()} == {"COMPLETED"}
    assert job_info(master[0] + "_1")["TresPerJob"] == "gres:gpu:1"
    assert len(set(array["jobs"].values())) == 4  # each task is a job of its own
