"""seedstudy status: a study's trials counted from the files it has written."""

import json
import os
import re
import time

import pytest

from seedstudy import preflight, study
from seedstudy.cli import main
from seedstudy.status import study_status, time_left_s


def _config():
    cfg = {
        "tasks": {"sst2": {"init_seeds": [1, 2], "order_seeds": [1, 2, 3]}},
        "analysis": {"failure_tolerance": 0.0},
    }
    return preflight.validate(cfg, check_files=False)


def _provenance(cfg, stem, recipe=None):
    """The config hash and config that `cfg` asks for the trial `stem` of sst2."""
    init, order = (int(part) for part in re.findall(r"\d+", stem))
    variant = study.recipe_config(cfg, recipe) if recipe else cfg
    trial = study.trial_config(variant, "sst2", init, order)
    return {"config_hash": study.config_hash(trial), "config": trial}


def _result(root, stem, status="completed", final=0.8, majority=0.5, cfg=None, folder="sst2"):
    path = root / "results" / "trials" / folder / f"{stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                **_provenance(
                    cfg or _config(), stem, folder.split("/")[0] if "/" in folder else None
                ),
                "status": status,
                "metric": "accuracy",
                "majority": {"accuracy": majority},
                "evaluations": [{"accuracy": 0.5}, {"accuracy": final}],
            }
        )
    )


def _benchmark(root, stem, seconds):
    path = root / "results" / "benchmarks" / "finetune" / "sst2" / f"{stem}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:{seconds}\t100\n")


def test_counts_and_time_left(tmp_path):
    cfg = _config()
    _result(tmp_path, "init1_order1")
    _result(tmp_path, "init1_order2", final=0.5)  # at the majority score: failed
    _result(tmp_path, "init1_order3", status="diverged", final=0.7)
    for stem, seconds in [("init1_order1", 10), ("init1_order2", 20), ("init1_order3", 60)]:
        _benchmark(tmp_path, stem, seconds)
    checkpoints = tmp_path / cfg["runtime"]["checkpoint_dir"] / "sst2"
    checkpoints.mkdir(parents=True)
    (checkpoints / "init2_order1.pt").write_bytes(b"x")  # fresh: running
    (checkpoints / "init2_order2.pt").write_bytes(b"x")
    old = time.time() - 3600
    os.utime(checkpoints / "init2_order2.pt", (old, old))  # an hour old: a dead job, missing
    [row] = study_status(cfg, tmp_path)
    assert row["trials"] == 6 and row["done"] == 3 and row["running"] == 1 and row["missing"] == 2
    assert row["diverged"] == 1 and row["failed"] == 2
    assert row["median_trial_s"] == 20 and abs(row["trial_hours"] - 90 / 3600) < 1e-12
    assert time_left_s([row]) == 3 * 20  # one running now: one at a time
    assert time_left_s([row], concurrency=3) == 20


def test_command_prints_the_table(tmp_path, capsys):
    config_file = tmp_path / "study.yaml"
    config_file.write_text(
        "study: status test\ntasks:\n  sst2: {init_seeds: 1..2, order_seeds: 1..2}\n"
    )
    _result(tmp_path, "init1_order1")
    assert main(["status", "--config", str(config_file), "-d", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "status test" in out and "unknown" in out
    line = next(line for line in out.splitlines() if line.strip().startswith("sst2"))
    assert line.split()[1:5] == ["4", "1", "0", "3"]


def test_with_recipes_a_row_per_recipe_and_task(tmp_path):
    cfg = preflight.validate(
        {
            "tasks": {"sst2": {"init_seeds": [1, 2], "order_seeds": [1, 2, 3]}},
            "recipes": {"paper": {"training": {"optimizer": "bertadam"}}, "debiased": {}},
        },
        check_files=False,
    )
    _result(tmp_path, "init1_order1", cfg=cfg, folder="paper/sst2")
    _result(tmp_path, "init1_order2")  # results/trials/sst2/: not a trial of a study with recipes
    rows = study_status(cfg, tmp_path)
    assert [(r["task"], r["trials"], r["done"]) for r in rows] == [
        ("paper/sst2", 6, 1),
        ("debiased/sst2", 6, 0),
    ]


def test_jobs_must_be_positive(tmp_path, capsys):
    config_file = tmp_path / "study.yaml"
    config_file.write_text("tasks:\n  sst2: {init_seeds: 1..2, order_seeds: 1..2}\n")
    with pytest.raises(SystemExit):
        main(["status", "--config", str(config_file), "-d", str(tmp_path), "-j", "-5"])
    assert "must be at least 1, got -5" in capsys.readouterr().err
