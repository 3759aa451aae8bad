"""`--profile slurm/shared-gpu` for real: several trials of the tiny study at once
on one GPU's shards.

Needs the test cluster with sharded fake GPUs (`.ci/slurm.sh start`: 4 GPUs x 4 shards, 2 CPUs);
skipped otherwise (failed with SEEDSTUDY_REQUIRE_SLURM=1). Two trials of the tiny study (k = 2:
the node's 2 CPUs, one per trial; a GPU's 4 shards would take 4) run twice, in two scratch folders:

1. together, through sbatch with the shared-GPU profile: each job asks for `--gres=shard:1`.
   While they run, the test reads every running job's allocation from `scontrol -d show job`
   (`GRES=shard:1(IDX:<gpu>)`): both trials run at the same time on the shards of one GPU, and
   their run records' start and wall times overlap.
2. alone: the same two trials run one after the other on this machine (`snakemake -j 1`, no
   SLURM: each SLURM job costs ~30 s of status polling here, and the trial does not care).

The trials' result files are byte-identical between the two runs: the fake GPUs are /dev/null, so
the trials compute on the CPU, where a result is a pure function of the trial config and the data
(tests/test_trainer.py), whatever runs beside it. On a real shared GPU the same holds with
`runtime.deterministic: true` on one GPU model and software stack: sharing changes when kernels
run, not what they compute.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.snakemake_runs import REPO, TINY
from test_slurm import (
    PROFILES,
    RUN_TIMEOUT,
    TRIALS,
    cancel_all,
    job_info,
    our_jobs,
    require_cluster,
    submissions,
)

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

TOGETHER = TRIALS[:2]  # two seed pairs of the tiny study
K = len(TOGETHER)

SHARED_PROFILES = [
    *PROFILES[:2],
    "--profile",
    str(REPO / "slurm" / "shared-gpu"),
    *PROFILES[2:],
    "--profile",
    str(REPO / "tests" / "slurm" / "shared-gpu"),
]


def require_shards() -> None:
    require_cluster()
    gres = subprocess.run(
        ["sinfo", "-h", "-o", "%G"], capture_output=True, text=True, timeout=30
    ).stdout
    if "shard" not in gres:
        message = (
            f"the cluster's nodes have no GPU shards (sinfo: {gres.strip()!r}); "
            "restart it with `bash .ci/slurm.sh start`"
        )
        if os.environ.get("SEEDSTUDY_REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)


def allocations(workdir: Path) -> dict[str, str]:
    """SLURM job id -> the GPU index of its shard, for the running jobs of `workdir`."""
    found = {}
    for job in our_jobs(workdir):
        if job["state"] != "RUNNING":
            continue
        out = subprocess.run(
            ["scontrol", "-d", "-o", "show", "job", job["id"]], capture_output=True, text=True
        ).stdout
        match = re.search(r"\bGRES=shard:\d+\(IDX:([\d,-]+)\)", out)
        if match:
            found[job["id"]] = match.group(1)
    return found


def run_trials(work: Path, slurm: bool) -> dict:
    """The K trials: through slurm/shared-gpu, all at once, sampling which jobs run at the same time
    and on which GPU's shards; or (`slurm=False`) one after the other on this machine."""
    log = work / "run.log"
    targets = [f"results/trials/sst2/{stem}.json" for stem in TOGETHER]
    profiles = SHARED_PROFILES if slurm else []
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *targets,
        "-s",
        str(REPO / "Snakefile"),
        *profiles,
        "--configfile",
        str(TINY),
        "-j",
        str(len(TOGETHER) if slurm else 1),
    ]
    started = time.time()
    with open(log, "w") as handle:
        process = subprocess.Popen(
            command, cwd=work, stdout=handle, stderr=subprocess.STDOUT, text=True
        )
    samples = []  # {job id: gpu index} of the jobs running at one moment
    try:
        while process.poll() is None:
            if time.time() - started > RUN_TIMEOUT:
                raise AssertionError(f"snakemake ran longer than {RUN_TIMEOUT} s; see {log}")
            running = allocations(work) if slurm else {}
            if running:
                samples.append(running)
            time.sleep(0.3)
    except BaseException:
        process.kill()
        cancel_all(work)
        raise
    assert process.returncode == 0, log.read_text()[-3000:]
    trials = work / "results" / "trials" / "sst2"
    records = {stem: json.loads((trials / f"{stem}.run.json").read_text()) for stem in TOGETHER}
    return dict(
        work=work,
        log=log,
        seconds=time.time() - started,
        samples=samples,
        records=records,
        results={stem: (trials / f"{stem}.json").read_bytes() for stem in TOGETHER},
    )


def most_at_once(records: dict) -> int:
    """The most trials training at the same moment, from their run records' start and wall time."""
    events = sorted(
        (t, delta)
        for r in records.values()
        for t, delta in ((r["started_unix"], 1), (r["started_unix"] + r["wall_s"], -1))
    )
    level = peak = 0
    for (
        _,
        delta,
    ) in events:  # an end sorts before a start at the same instant: touching is not overlap
        level += delta
        peak = max(peak, level)
    return peak


@pytest.fixture(scope="module")
def shared(tmp_path_factory, glue):
    require_shards()
    together = run_trials(tmp_path_factory.mktemp("shared-gpu-together"), slurm=True)
    alone = run_trials(tmp_path_factory.mktemp("shared-gpu-alone"), slurm=False)
    print(
        f"together: {together['seconds']:.1f} s, alone: {alone['seconds']:.1f} s; "
        f"most trials at once: {most_at_once(together['records'])} vs "
        f"{most_at_once(alone['records'])}"
    )
    return dict(together=together, alone=alone)


def test_every_trial_asked_for_a_shard_not_a_gpu(shared):
    together = shared["together"]
    submitted = submissions(together["log"])
    assert sorted(r["slurm_job_id"] for r in together["records"].values()) == sorted(
        j for j, _ in submitted
    )
    assert len(submitted) == K
    for jobid, _ in submitted:
        job = job_info(jobid)
        assert job["TresPerNode"] == "gres:shard:1", job
        assert "gpu" not in job.get("TresPerJob", "") and "gpu" not in job.get("TresPerNode", ""), (
            job
        )
        assert job["NumCPUs"] == "1" and job["MinMemoryNode"] == "2000M", job


def test_trials_ran_at_the_same_time_on_one_gpu(shared):
    together = shared["together"]
    # SLURM's view: the K trial jobs running at one moment, all on shards of the same GPU
    full = [sample for sample in together["samples"] if len(sample) == K]
    assert full, f"never saw {K} jobs running at once: {together['samples']}"
    assert all(len(set(sample.values())) == 1 for sample in full), full
    # the trials' own view: their training overlapped (the run records' start and wall time)
    assert most_at_once(together["records"]) == K, together["records"]


def test_alone_means_one_trial_at_a_time(shared):
    alone = shared["alone"]
    assert most_at_once(alone["records"]) == 1, alone["records"]
    assert all(record["slurm_job_id"] is None for record in alone["records"].values())


def test_results_are_byte_identical_to_the_trials_run_alone(shared):
    together, alone = shared["together"]["results"], shared["alone"]["results"]
    assert together == alone
    # and they are real trials: full curves, distinct per seed pair
    assert len(set(together.values())) == K
    assert all(len(json.loads(data)["evaluations"]) == 3 for data in together.values())
