"""Faults: killed runs, corrupt trial files, completion records."""

import json

import pytest

from kill_study import kill_study
from workflow import planned, snakemake

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
