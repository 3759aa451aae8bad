"""Provenance: a trial file is aggregated or counted only as the trial that the current config
and data ask for its cell; every other file is named with why, and how to recompute it."""

import json

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
