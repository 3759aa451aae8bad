"""The trial runner: result file, determinism, exact resume, divergence, dropout ownership."""

import json
import logging
import os
import signal
import subprocess
import sys

import pytest
import torch
from conftest import tiny_config

from seedstudy import preflight, study
from seedstudy.store.trials import read_trial
from seedstudy.training import trainer


def trial_of(cfg, init=1, order=2, dropout=None, task="sst2"):
    return study.trial_config(cfg, task, init, order, dropout)


def run(trial, data, tmp_path, name="t", **runtime):
    out = tmp_path / f"{name}.json"
    weights = tmp_path / f"{name}.weights.pt"
    result = trainer.run_trial(
        trial,
        data,
        out_path=out,
        run_path=tmp_path / f"{name}.run.json",
        runtime=trainer.Runtime(save_weights=str(weights), **runtime),
    )
    return result, out, weights


def same_weights(a, b):
    wa, wb = torch.load(a), torch.load(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope="module")
def cfg():
    return tiny_config()


@pytest.fixture(scope="module")
def reference(cfg, tiny_sst2, tmp_path_factory):
    """One uninterrupted trial to compare everything else with."""
    return run(trial_of(cfg), tiny_sst2, tmp_path_factory.mktemp("reference"))


def test_result_holds_the_whole_curve(reference):
    result, out, _ = reference
    trial = read_trial(out)
    assert trial["status"] == "completed"
    assert trial["steps_per_epoch"] == 6 and trial["total_steps"] == 12
    assert trial["eval_steps"] == [0, 3, 6, 9, 12]
    assert [e["step"] for e in trial["evaluations"]] == trial["eval_steps"]
    assert len(trial["train_loss"]) == 12
    assert all({"accuracy", "dev_loss", "epoch"} <= set(e) for e in trial["evaluations"])
    assert trial["init_seed"] == 1 and trial["order_seed"] == 2
    assert trial["dropout_owner"] == "order" and trial["dropout_seed"] == 2
    assert trial["config_hash"] == study.config_hash(trial["config"])
    assert {"torch", "transformers", "device", "threads"} <= set(trial["environment"])
    run_record = json.loads(out.with_suffix(".run.json").read_text())
    assert run_record["wall_s"] > 0 and set(run_record["seconds"]) == {
        "load",
        "train",
        "eval",
        "checkpoint",
    }


def test_same_trial_twice_gives_a_byte_identical_file(cfg, tiny_sst2, tmp_path, reference):
    _, out, weights = run(trial_of(cfg), tiny_sst2, tmp_path)
    assert out.read_bytes() == reference[1].read_bytes()
    assert same_weights(weights, reference[2])


def test_seeds_change_the_result(cfg, tiny_sst2, tmp_path, reference):
    _, out, _ = run(trial_of(cfg, init=2, order=2), tiny_sst2, tmp_path)
    assert (
        json.loads(out.read_text())["train_loss"]
        != json.loads(reference[1].read_text())["train_loss"]
    )


@pytest.mark.parametrize(
    "step", [1, 3, 4, 6, 11]
)  # first step, right after an evaluation, mid-epoch, epoch end, last
def test_resume_after_interruption_is_exact(cfg, tiny_sst2, tmp_path, reference, step):
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted) as stop:
        run(
            trial_of(cfg),
            tiny_sst2,
            tmp_path,
            checkpoint_path=str(checkpoint),
            interrupt_after_step=step,
        )
    assert stop.value.code == trainer.EXIT_PREEMPTED and stop.value.step == step
    assert checkpoint.exists() and not (tmp_path / "t.json").exists()
    result, out, weights = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert result["_run"]["resumed_from_step"] == step
    assert out.read_bytes() == reference[1].read_bytes()
    assert same_weights(weights, reference[2])
    assert not checkpoint.exists()  # removed once the trial is complete


def test_sigusr1_checkpoints_and_exits(cfg, tiny_sst2, tmp_path, reference, monkeypatch):
    calls = []
    evaluate = trainer.evaluate

    def evaluate_then_signal(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # after the evaluation at step 3, as SLURM would before a time limit
            os.kill(os.getpid(), signal.SIGUSR1)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(trainer, "evaluate", evaluate_then_signal)
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted) as stop:
        run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert stop.value.step == 3
    monkeypatch.setattr(trainer, "evaluate", evaluate)
    _, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert out.read_bytes() == reference[1].read_bytes()


def test_corrupt_checkpoint_is_ignored_with_a_warning(cfg, tiny_sst2, tmp_path, reference, caplog):
    checkpoint = tmp_path / "ckpt.pt"
    checkpoint.write_bytes(b"not a checkpoint, truncated")
    with caplog.at_level(logging.WARNING, logger="seedstudy.trainer"):
        result, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert "ignoring unreadable checkpoint" in caplog.text
    assert result["_run"]["resumed_from_step"] is None
    assert out.read_bytes() == reference[1].read_bytes()


def test_checkpoint_of_another_config_is_ignored(cfg, tiny_sst2, tmp_path, reference, caplog):
    checkpoint = tmp_path / "ckpt.pt"
    other = trial_of(tiny_config(lr=5e-5))
    with pytest.raises(trainer.Preempted):
        run(
            other,
            tiny_sst2,
            tmp_path,
            name="other",
            checkpoint_path=str(checkpoint),
            interrupt_after_step=4,
        )
    with caplog.at_level(logging.WARNING, logger="seedstudy.trainer"):
        result, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert "belongs to config" in caplog.text
    assert result["_run"]["resumed_from_step"] is None
    assert out.read_bytes() == reference[1].read_bytes()


def test_stop_at_fraction_then_continue_equals_an_uninterrupted_trial(
    cfg, tiny_sst2, tmp_path, reference
):
    checkpoint = tmp_path / "ckpt.pt"
    partial = trainer.run_trial(
        trial_of(cfg),
        tiny_sst2,
        out_path=tmp_path / "partial.json",
        runtime=trainer.Runtime(checkpoint_path=str(checkpoint)),
        stop_at_fraction=0.5,
    )
    assert partial["status"] == "stopped" and partial["stopped_at_step"] == 6
    assert [e["step"] for e in partial["evaluations"]] == [0, 3, 6]
    assert checkpoint.exists()  # kept for the continuation
    _, out, weights = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert out.read_bytes() == reference[1].read_bytes()
    assert same_weights(weights, reference[2])


def test_non_finite_loss_stops_the_trial_as_diverged(cfg, tiny_sst2, tmp_path, monkeypatch):
    model_logits = trainer.model_logits
    calls = []

    def logits_turning_nan(model, batch):
        logits = model_logits(model, batch)
        if model.training:
            calls.append(1)
            if len(calls) == 5:
                logits = logits * float("nan")
        return logits

    monkeypatch.setattr(trainer, "model_logits", logits_turning_nan)
    result, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path)
    trial = read_trial(out)
    assert trial["status"] == "diverged"
    assert (
        len(trial["train_loss"]) == 5 and trial["train_loss"][-1] != trial["train_loss"][-1]
    )  # NaN kept
    assert [e["step"] for e in trial["evaluations"]] == [0, 3]  # the curve so far


def test_padded_batches_train_the_same_model(tiny_sst2, tmp_path, reference):
    padded = trial_of(tiny_config(packing=False))
    assert study.config_hash(padded) != reference[0]["config_hash"]
    result, _, _ = run(padded, tiny_sst2, tmp_path)
    # same head and data: the untrained model's evaluation agrees; training then differs only
    # by dropout masks and float rounding
    first, packed_first = result["evaluations"][0], reference[0]["evaluations"][0]
    assert first["accuracy"] == packed_first["accuracy"]
    assert first["dev_loss"] == pytest.approx(packed_first["dev_loss"], rel=1e-5)
    assert result["status"] == "completed" and len(result["train_loss"]) == 12


@pytest.mark.parametrize("owner, expected_seed", [("order", 2), ("init", 1)])
def test_dropout_owner_is_the_seed_that_reseeds_dropout(tiny_sst2, tmp_path, owner, expected_seed):
    owned = trial_of(tiny_config(dropout_seed=owner), init=1, order=2)
    grid = trial_of(
        tiny_config(dropout_seed=[expected_seed, 7]), init=1, order=2, dropout=expected_seed
    )
    assert owned["seeds"]["dropout"] == expected_seed
    a, _, _ = run(owned, tiny_sst2, tmp_path, name="owned")
    b, _, _ = run(grid, tiny_sst2, tmp_path, name="grid")
    assert a["train_loss"] == b["train_loss"] and a["evaluations"] == b["evaluations"]
    assert a["dropout_owner"] == owner and b["dropout_owner"] == "grid"


def test_dropout_grid_seeds_give_replicates(tiny_sst2, tmp_path):
    cfg = tiny_config(dropout_seed=[5, 6])
    a, _, _ = run(trial_of(cfg, dropout=5), tiny_sst2, tmp_path, name="a")
    b, _, _ = run(trial_of(cfg, dropout=6), tiny_sst2, tmp_path, name="b")
    assert a["train_loss"][0] != b["train_loss"][0]  # different dropout masks from the first step
    assert (
        a["evaluations"][0] == b["evaluations"][0]
    )  # same head, same data: same step-0 evaluation


def test_sigterm_to_the_command_line_trial_checkpoints_and_resumes(glue, tiny_sst2, tmp_path):
    cfg_file = tmp_path / "study.yaml"
    cfg_file.write_text(
        "tasks:\n  sst2: {init_seeds: [1], order_seeds: [2], train_size: 48, dev_size: 32}\n"
        "training: {epochs: 2, batch_size: 2, lr: 1.0e-4, evals_per_epoch: 4, max_length: 32}\n"
        f"runtime: {{checkpoint_dir: {tmp_path / 'ckpt'}, checkpoint_every_minutes: 0}}\n"
    )
    command = [
        sys.executable,
        "-m",
        "seedstudy",
        "train",
        "--config",
        str(cfg_file),
        "--task",
        "sst2",
        "--init-seed",
        "1",
        "--order-seed",
        "2",
        "--data",
        str(tiny_sst2),
        "--out",
        str(tmp_path / "t.json"),
    ]
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "step 6/48" in line:
            process.send_signal(signal.SIGTERM)
            break
    rest, _ = process.communicate(timeout=120)
    assert process.returncode == trainer.EXIT_PREEMPTED, "".join(seen) + rest
    assert (tmp_path / "ckpt" / "sst2" / "init1_order2.pt").exists()
    assert not (tmp_path / "t.json").exists()
    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stderr
    reference = trainer.run_trial(
        study.trial_config(preflight.load(cfg_file), "sst2", 1, 2),
        tiny_sst2,
        out_path=tmp_path / "ref.json",
    )
    assert reference["status"] == "completed"
    assert (tmp_path / "t.json").read_bytes() == (tmp_path / "ref.json").read_bytes()


def test_a_completed_trial_is_restored_from_its_record_not_trained_again(
    cfg, tiny_sst2, tmp_path, reference, monkeypatch
):
    """Killed after the trial finished but before Snakemake recorded it: the rerun restores."""
    from seedstudy.store.trials import done_record_path

    checkpoint = tmp_path / "ckpt.pt"
    ledger = tmp_path / "ledger.txt"
    monkeypatch.setenv("SEEDSTUDY_TRIAL_LEDGER", str(ledger))
    _, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert done_record_path(checkpoint, study.config_hash(trial_of(cfg))).exists()
    assert not checkpoint.exists()
    out.unlink()  # what Snakemake does to the outputs of a job it considers incomplete
    restored = trainer.run_trial(
        trial_of(cfg),
        tiny_sst2,
        out_path=out,
        run_path=tmp_path / "t.run.json",
        runtime=trainer.Runtime(checkpoint_path=str(checkpoint)),
    )
    assert out.read_bytes() == reference[1].read_bytes()
    assert restored["status"] == "completed"
    assert json.loads((tmp_path / "t.run.json").read_text())["restored"] is True
    assert [line.split()[0] for line in ledger.read_text().splitlines()] == [
        "start",
        "done",
        "restore",
    ]
    # a record made by another version of the software is not reused: the trial trains again
    monkeypatch.setattr(trainer, "__version__", "0.0.0+other")
    again = trainer.run_trial(
        trial_of(cfg),
        tiny_sst2,
        out_path=tmp_path / "v.json",
        runtime=trainer.Runtime(checkpoint_path=str(checkpoint)),
    )
    assert [line.split()[0] for line in ledger.read_text().splitlines()][-2:] == ["start", "done"]
    assert again["environment"]["seedstudy"] == "0.0.0+other" and "restored" not in again["_run"]
    assert (
        json.loads((tmp_path / "v.json").read_text())["evaluations"]
        == json.loads(out.read_text())["evaluations"]
    )
    # a record of another config is not trusted
    other = trial_of(tiny_config(lr=5e-5))
    result = trainer.run_trial(
        other,
        tiny_sst2,
        out_path=tmp_path / "o.json",
        runtime=trainer.Runtime(checkpoint_path=str(checkpoint)),
    )
    assert result["config_hash"] == study.config_hash(other) and "restored" not in result["_run"]


def test_two_processes_side_by_side_give_the_reference_file(glue, tiny_sst2, tmp_path, reference):
    """The same trial in two processes running at the same time: byte-identical results."""
    cfg_file = tmp_path / "study.yaml"
    cfg_file.write_text(
        "tasks:\n  sst2: {init_seeds: [1], order_seeds: [2], train_size: 48, dev_size: 32}\n"
        "training: {epochs: 2, batch_size: 8, lr: 1.0e-4, evals_per_epoch: 2, max_length: 32}\n"
    )
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seedstudy",
                "train",
                "--config",
                str(cfg_file),
                "--task",
                "sst2",
                "--init-seed",
                "1",
                "--order-seed",
                "2",
                "--data",
                str(tiny_sst2),
                "--out",
                str(tmp_path / f"p{i}.json"),
                "--checkpoint",
                str(tmp_path / f"p{i}.pt"),
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert (tmp_path / "p0.json").read_bytes() == reference[1].read_bytes()
    assert (tmp_path / "p1.json").read_bytes() == reference[1].read_bytes()
    for i in range(
        2
    ):  # start-up (process start to first optimizer step) goes to the run record only
        record = json.loads((tmp_path / f"p{i}.run.json").read_text())
        assert 0 < record["startup_s"] < record["process_s"]
    assert "startup_s" not in (tmp_path / "p0.json").read_text()


@pytest.mark.parametrize("precision", ["bf16", "tf32"])
def test_precision_modes_are_recorded(tiny_sst2, tmp_path, precision):
    trial = trial_of(tiny_config(precision=precision))
    result, out, _ = run(trial, tiny_sst2, tmp_path)
    stored = json.loads(out.read_text())
    assert stored["config"]["training"]["precision"] == precision
    assert stored["config_hash"] != study.config_hash(trial_of(tiny_config()))
    assert result["status"] == "completed" and len(result["train_loss"]) == 12


def test_progress_line_per_evaluation():
    line = trainer.progress_line(
        "sst2/init1_order2", 30, 90, 30, "accuracy", 0.8125, [0.5, 0.7], 12.0
    )
    assert line == (
        "sst2/init1_order2 step 30/90 epoch 1.00: accuracy 0.8125, loss 0.6000, "
        "elapsed 12.0 s, left 24 s"
    )
    # resumed at step 20: the pace is that of the 10 steps trained here
    assert trainer.progress_line("t", 30, 90, 30, "accuracy", 0.5, [], 5.0, resumed_at=20).endswith(
        "loss -, elapsed 5.0 s, left 30 s"
    )


def test_tensorboard_events_hold_the_curve_and_leave_the_result_alone(
    cfg, tiny_sst2, tmp_path, reference
):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    board = tmp_path / "board"
    _, out, _ = run(trial_of(cfg), tiny_sst2, tmp_path, tensorboard_dir=str(board))
    assert out.read_bytes() == reference[1].read_bytes()
    events = EventAccumulator(str(board))
    events.Reload()
    trial = read_trial(out)
    accuracy = [(e.step, e.value) for e in events.Scalars("dev/accuracy")]
    assert [s for s, _ in accuracy] == trial["eval_steps"]
    assert [v for _, v in accuracy] == pytest.approx([e["accuracy"] for e in trial["evaluations"]])
    assert len(events.Scalars("train/loss")) == len(trial["train_loss"])


def test_runtime_from_config_writes_tensorboard_only_when_asked():
    runtime = {
        "device": "cpu",
        "threads": 1,
        "checkpoint_every_minutes": 10,
        "deterministic": True,
        "reuse_completed": True,
        "tensorboard": False,
    }
    assert trainer.Runtime.from_config(runtime, tensorboard_dir="tb").tensorboard_dir is None
    on = trainer.Runtime.from_config(
        {**runtime, "tensorboard": True}, tensorboard_dir="tb", threads=2
    )
    assert on.tensorboard_dir == "tb" and on.threads == 2 and on.device == "cpu"


def test_paper_schedule_trial_resumes_exactly_and_evaluates_every_n_steps(tiny_sst2, tmp_path):
    paper = tiny_config(schedule="paper", optimizer="bertadam", eval_every_steps=2)
    trial = trial_of(paper)
    assert trial["training"]["schedule"] == "paper"
    full, out, weights = run(trial, tiny_sst2, tmp_path, name="full")
    assert full["total_steps"] == 12  # 48 examples / batch 8, 2 epochs
    assert [e["step"] for e in full["evaluations"]] == [0, 2, 4, 6, 8, 10, 12]
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted):
        run(trial, tiny_sst2, tmp_path, checkpoint_path=str(checkpoint), interrupt_after_step=3)
    _, resumed_out, resumed_weights = run(
        trial, tiny_sst2, tmp_path, checkpoint_path=str(checkpoint)
    )
    assert resumed_out.read_bytes() == out.read_bytes()
    assert same_weights(resumed_weights, weights)


def test_paper_cadence_trial_evaluates_at_the_authors_steps(tiny_sst2, tmp_path):
    trial = trial_of(tiny_config(evaluation="paper"))
    assert trial["training"]["evaluation"] == "paper"
    result, _, _ = run(trial, tiny_sst2, tmp_path, name="paper")
    # 6 steps per epoch, 2 epochs: tenth = 1, so every step, step 0 and the epoch ends
    assert [e["step"] for e in result["evaluations"]] == list(range(13))
    assert result["grid_steps"] == list(range(1, 13))
    assert "grid_steps" not in run(trial_of(tiny_config()), tiny_sst2, tmp_path, name="plain")[0]


def test_a_deterministic_failure_is_not_trained_again_in_the_same_run(
    cfg, tiny_sst2, tmp_path, monkeypatch
):
    """An error a retry cannot change fails the retries of the same run at once, before loading
    anything; another run (or a trial run by hand) tries again; a success removes the record."""
    from seedstudy.training import failures

    checkpoint = tmp_path / "ckpt.pt"
    ledger = tmp_path / "ledger.txt"
    monkeypatch.setenv("SEEDSTUDY_TRIAL_LEDGER", str(ledger))
    monkeypatch.setenv("SEEDSTUDY_FAIL_ALWAYS", "sst2/init1_order2")

    def attempt(run_id):
        runtime = trainer.Runtime(checkpoint_path=str(checkpoint), run_id=run_id)
        return trainer.run_trial(
            trial_of(cfg), tiny_sst2, out_path=tmp_path / "t.json", runtime=runtime
        )

    with pytest.raises(ValueError, match="injected deterministic error"):
        attempt("run-1")
    record = failures.failure_record_path(checkpoint, study.config_hash(trial_of(cfg)))
    assert json.loads(record.read_text())["run"] == "run-1"
    with pytest.raises(failures.RepeatedFailure, match=r"failed earlier in this run with Value"):
        attempt("run-1")
    starts = lambda: [line.split()[0] for line in ledger.read_text().splitlines()].count("start")  # noqa: E731
    assert starts() == 1  # the retry did not start training
    with pytest.raises(ValueError):
        attempt("run-2")  # the next run tries again
    with pytest.raises(ValueError):
        attempt(None)  # so does a trial without a run id
    assert starts() == 3
    monkeypatch.delenv("SEEDSTUDY_FAIL_ALWAYS")
    assert attempt("run-3")["status"] == "completed"
    assert not record.exists()


def test_errors_a_retry_can_cure_are_not_recorded(tmp_path):
    from seedstudy.training import failures

    checkpoint = tmp_path / "ckpt.pt"
    for error in (
        RuntimeError("CUDA error: an illegal memory access"),
        OSError("disk"),
        MemoryError(),
    ):
        with pytest.raises(type(error)):
            with failures.recorded(checkpoint, "abc", "run-1"):
                raise error
        failures.refuse_repeat(checkpoint, "abc", "run-1", "t")  # nothing recorded: no raise
    with pytest.raises(KeyError):
        with failures.recorded(checkpoint, "abc", "run-1"):
            raise KeyError("label")
    failures.refuse_repeat(checkpoint, "other-hash", "run-1", "t")  # another config: tried
    with pytest.raises(failures.RepeatedFailure, match="KeyError: 'label'"):
        failures.refuse_repeat(checkpoint, "abc", "run-1", "t")
