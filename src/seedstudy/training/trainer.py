"""One trial: fine-tune a pretrained model on one task with one (init seed, order seed).

`run_trial` reads top to bottom, over one explicit state (`TrialState`):

  1. `setup`: load the prepared data and the pretrained model, draw every parameter the
     checkpoint lacks from the init seed; build the batches, the optimizer, the learning-rate
     schedule, the evaluation steps and the order seed's permutations
  2. `start`: resume from a checkpoint if a valid one exists, else reseed dropout and evaluate
     step 0
  3. the loop: `train_step` takes the next batch of the permutation; `evaluate_at` where the
     evaluation schedule says; `checkpoint_if_due` on time or on a signal (SIGTERM/SIGUSR1 from
     SLURM); a non-finite loss stops the trial (recorded as diverged)
  4. `finish`: the predictions, the result (written atomically, a deterministic file) and the run
     record (timing, host) beside it

The result file of a trial is a pure function of its trial config (`study.trial.trial_config`),
the prepared data and the software versions: on CPU the same inputs give a byte-identical file,
whatever else runs beside it. Timing and host go to the separate run record.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__, metrics
from ..data.prepare import PreparedData, load_prepared, prepared_fingerprint
from ..store import predictions
from ..store.atomic import write_bytes_atomic, write_json_atomic
from ..store.trials import TRIAL_FORMAT, done_record_path, load_done_record, write_done_record
from ..study.trial import config_hash, trial_name
from ..tasks import Task, score_suffix, trial_task
from . import adapters, eval_schedule, failures, faults, lr_schedule, optim, packed, seeds
from .batches import batch_labels, dev_batches, make_batch, model_logits, task_loss
from .checkpoints import (
    StopSignals,
    load_checkpoint,
    model_weights,
    restore,
    save_checkpoint,
    save_torch,
)
from .models import is_decoder, load_for_trial, reinit_names, set_pad_token, unwrap

log = logging.getLogger("seedstudy.trainer")

EXIT_PREEMPTED = 75  # checkpoint written on SIGTERM/SIGUSR1: rerun (Snakemake retry) to resume


class Preempted(SystemExit):
    """Raised after a checkpoint was written because the job was asked to stop."""

    def __init__(self, step: int):
        super().__init__(EXIT_PREEMPTED)
        self.step = step


@dataclass
class Runtime:
    """How a trial runs; none of this changes its result on CPU."""

    device: str = "auto"  # auto | cpu | cuda
    threads: int = 1
    checkpoint_path: str | None = None
    checkpoint_every_minutes: float = 10.0
    deterministic: bool = True  # on CUDA: deterministic algorithms (slower), recorded
    reuse_completed: bool = True  # a completed trial config restores its recorded result
    process_start: float | None = None  # time.perf_counter() at process start, for the run record
    # keep the fine-tuned weights (torch state dict) here when the trial ends
    save_weights: str | None = None
    # also write TensorBoard event files (curve and loss) into this folder
    tensorboard_dir: str | None = None
    # test hook: behave as if a stop signal arrived after this many optimizer steps
    interrupt_after_step: int | None = None
    # the workflow run (failures.RUN_ENV): a deterministic failure is not retried within it
    run_id: str | None = field(default_factory=failures.current_run)

    @classmethod
    def from_config(cls, runtime: dict, **overrides) -> Runtime:
        """The runtime of a trial from a study's `runtime:` block; `overrides` (threads, the
        checkpoint path, ...) win. The workflow's trial script and `seedstudy train` both use it."""
        settings = {
            key: runtime[key]
            for key in (
                "device",
                "threads",
                "checkpoint_every_minutes",
                "deterministic",
                "reuse_completed",
            )
        }
        settings.update({key: value for key, value in overrides.items() if value is not None})
        if not runtime.get("tensorboard"):
            settings.pop("tensorboard_dir", None)
        return cls(**settings)


@dataclass
class Timer:
    seconds: dict = field(
        default_factory=lambda: {"load": 0.0, "train": 0.0, "eval": 0.0, "checkpoint": 0.0}
    )

    def add(self, key: str, start: float) -> float:
        now = time.perf_counter()
        self.seconds[key] += now - start
        return now


# ----------------------------------------------------------------------------- evaluation


def progress_line(
    name, step, total_steps, per_epoch, metric, score, interval_losses, elapsed, resumed_at=0
) -> str:
    """One log line per evaluation, for `tail -f` on a trial's log: step, epoch, the headline
    score, the mean training loss since the previous evaluation, time spent and time left (at
    the pace of the steps this process has trained)."""
    loss = f"{np.mean(interval_losses):.4f}" if len(interval_losses) else "-"
    done = step - resumed_at
    left = elapsed / done * (total_steps - step) if done > 0 else float("nan")
    return (
        f"{name} step {step}/{total_steps} epoch {step / per_epoch:.2f}: {metric} {score:.4f}, "
        f"loss {loss}, elapsed {elapsed:.1f} s, left {left:.0f} s"
    )


def autocast(device_type: str, precision: str):
    if precision == "bf16":
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
    return torch.autocast(device_type=device_type, enabled=False)


@torch.inference_mode()
def evaluate(
    model, batches, order, labels, metric_names, precision, device_type, regression: bool = False
) -> tuple[dict[str, float], np.ndarray]:
    """Every metric on one dev split and its mean loss, and the outputs (logits; a regression's
    value) of every dev example in the prepared data's order; a regression's prediction is its
    output."""
    model.eval()
    outputs = None
    loss_sum = 0.0
    position = 0
    for batch in batches:
        with autocast(device_type, precision):
            logits = model_logits(model, batch).float()
        n = logits.shape[0]
        rows = order[position : position + n]
        loss_sum += task_loss(logits, batch_labels(batch), regression, reduction="sum").item()
        if outputs is None:
            outputs = np.empty((len(order), logits.shape[-1]), dtype=np.float32)
        outputs[rows] = logits.cpu().numpy()
        position += n
    model.train()
    predictions = outputs[:, 0].astype(np.float64) if regression else outputs.argmax(-1)
    scores = metrics.compute(metric_names, labels, predictions)
    scores["dev_loss"] = loss_sum / len(order)
    return scores, outputs


def tensorboard_writer(folder):
    """A TensorBoard SummaryWriter into `folder` (None: no event files). On resume the events of
    the steps before the checkpoint are already there; TensorBoard shows the latest per step."""
    if not folder:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise RuntimeError(
            "runtime.tensorboard needs the tensorboard "
            "package: pip install 'seedstudy[tensorboard]'"
        ) from error
    return SummaryWriter(log_dir=str(folder))


# ---------------------------------------------------------------------------- environment


def pick_device(requested: str) -> torch.device:
    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' requested but CUDA is not available")
        return torch.device("cuda")
    return torch.device("cpu")


def configure_numerics(device: torch.device, precision: str, deterministic: bool) -> list[str]:
    """Set precision and determinism switches; return what is known not to be deterministic."""
    notes = []
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if device.type == "cuda":
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.benchmark = False
            notes.append(
                "cuda: deterministic algorithms requested (warn_only); results are "
                "repeatable on the same GPU model, driver and library versions only"
            )
        else:
            notes.append(
                "cuda: nondeterministic kernels allowed (atomic adds in backward); "
                "repeated runs may differ in the last bits"
            )
    return notes


def software_versions() -> dict:
    """The versions of what computes a trial;
    a completion record of other versions is not reused."""
    import transformers

    return {
        "seedstudy": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }


def environment(device: torch.device, threads: int, notes: list[str]) -> dict:
    name = "cpu" if device.type == "cpu" else f"cuda:{torch.cuda.get_device_name(device)}"
    return {
        **software_versions(),
        "device": name,
        "threads": threads,
        "nondeterminism": notes,
    }


# ------------------------------------------------------------------------------ the trial


@dataclass
class Trial:
    """What one trial is built from (`setup`); nothing here changes while it trains."""

    config: dict  # the trial config
    name: str  # task/stem, for logs
    hash: str  # config_hash(config)
    runtime: Runtime
    device: torch.device
    nondeterminism: list[str]
    prepared: PreparedData
    task: Task
    model: torch.nn.Module
    init: dict  # what the init seed drew (names, counts, hash)
    model_record: dict  # decoder padding, LoRA adapters and parameters (none for a full encoder)
    packing: bool  # padding-free batches (else padded)
    pad_id: int
    dev: tuple[list, np.ndarray]  # the dev split's batches and their order
    extra_dev: dict[str, tuple[list, np.ndarray]]  # further dev splits (MNLI's mismatched)
    per_epoch: int
    total_steps: int
    eval_steps: list[int]
    stop_at_step: int | None  # live early stopping: stop after this evaluation
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    permutations: list[torch.Tensor]  # one order of the training examples per epoch
    parameters: list[torch.nn.Parameter]  # the trainable ones
    board: object | None  # a TensorBoard writer, or None
    timer: Timer
    started: float  # time.perf_counter() when the trial started
    wall_started: float  # time.time() likewise

    @property
    def training(self) -> dict:
        return self.config["training"]


@dataclass
class TrialState:
    """What a trial changes as it trains; a checkpoint holds it."""

    step: int = 0
    curve: list[dict] = field(default_factory=list)  # one entry per evaluation
    losses: list[float] = field(default_factory=list)  # one per optimizer step
    outputs: list[np.ndarray] = field(default_factory=list)  # dev logits of every evaluation
    status: str = "completed"  # completed | diverged | stopped
    resumed_from: int | None = None  # the step this process resumed at
    last_checkpoint: float = 0.0  # time.perf_counter() of the last checkpoint (or of the start)


def setup(trial: dict, data, runtime: Runtime, stop_at_fraction: float | None) -> Trial:
    """Data, model (every parameter the checkpoint lacks drawn from the init seed), batches,
    optimizer, schedules and the order seed's permutations."""
    started, wall_started = time.perf_counter(), time.time()
    name = trial_name(trial)
    torch.set_num_threads(runtime.threads)
    training = trial["training"]
    device = pick_device(runtime.device)
    nondeterminism = configure_numerics(device, training["precision"], runtime.deterministic)

    prepared = data if isinstance(data, PreparedData) else load_prepared(data)
    task = trial_task(trial, prepared.meta)
    if trial["metric"] not in task.headline_metrics:
        raise ValueError(
            f"metric {trial['metric']!r} does not apply to task {task.name!r}: "
            f"its metrics are {', '.join(task.headline_metrics)}"
        )
    model, not_provided = load_for_trial(trial["model"], task.num_labels)
    reinit = reinit_names(
        model, training.get("reinit_layers", 0), training.get("reinit_pooler", False)
    )
    init = seeds.set_init(model, not_provided, trial["seeds"]["init"], reinit)
    if not init["drawn"]:
        log.warning(
            "%s: %s provides every parameter (a fine-tuned head): the init seed draws nothing",
            name,
            trial["model"],
        )
    pad = set_pad_token(model) if is_decoder(model.config) else None
    if training.get("method", "full") == "lora":
        model, drawn = with_adapters(model, trial, sorted(set(not_provided) | set(reinit)))
    else:
        drawn = None
    if training.get("gradient_checkpointing"):
        unwrap(model).gradient_checkpointing_enable({"use_reentrant": False})
    if drawn is not None and training["precision"] == "bf16" and device.type == "cuda":
        adapters.freeze_base_dtype(model, torch.bfloat16)  # the frozen base in bf16
    model.to(device)
    model.train()
    pad_id = model.config.pad_token_id or 0
    # packing: true runs padding-free where that is exact for the architecture, padded elsewhere
    packing = training["packing"] and packed.supports(unwrap(model))
    if training["packing"] and not packing:
        log.info(
            "%s: %s has no padding-free forward; batches are padded", name, model.config.model_type
        )
    dev = dev_batches(prepared.dev, training["eval_batch_size"], packing, pad_id, device)
    extra_dev = {
        split: dev_batches(data_split, training["eval_batch_size"], packing, pad_id, device)
        for split, data_split in prepared.extra_dev.items()
    }

    n_train = len(prepared.train)
    per_epoch = eval_schedule.steps_per_epoch(n_train, training["batch_size"])
    eval_steps = eval_schedule.trial_evaluation_steps(training, per_epoch)
    optimizer = optim.build_optimizer(model, training, device.type)
    return Trial(
        config=trial,
        name=name,
        hash=config_hash(trial),
        runtime=runtime,
        device=device,
        nondeterminism=nondeterminism,
        prepared=prepared,
        task=task,
        model=model,
        init=init,
        model_record=model_record(model, pad, drawn),
        packing=packing,
        pad_id=pad_id,
        dev=dev,
        extra_dev=extra_dev,
        per_epoch=per_epoch,
        total_steps=per_epoch * training["epochs"],
        eval_steps=eval_steps,
        stop_at_step=eval_schedule.stop_step(
            eval_schedule.ranking_steps(training, per_epoch), stop_at_fraction
        )
        if stop_at_fraction
        else None,
        optimizer=optimizer,
        scheduler=lr_schedule.build_schedule(optimizer, training, n_train),
        permutations=seeds.epoch_permutations(n_train, trial["seeds"]["order"], training["epochs"]),
        parameters=[p for p in model.parameters() if p.requires_grad],
        board=tensorboard_writer(runtime.tensorboard_dir),
        timer=Timer(),
        started=started,
        wall_started=wall_started,
    )


def with_adapters(model, trial: dict, head: list[str]):
    """A LoRA trial's model (`adapters.wrap`: base frozen, adapters and `head` trained) with its
    adapters drawn from the adapter seed; and the record of what was drawn."""
    lora, seeds_ = trial["training"]["lora"], trial["seeds"]
    model = adapters.wrap(model, lora, head)
    drawn = adapters.draw_adapters(model, lora, seeds_["adapter"])
    return model, {
        "seed": seeds_["adapter"],
        "owner": seeds_["adapter_owner"],
        "init": lora["init"],
        "drawn": drawn["drawn"],
        "hash": drawn["hash"],
    }


def model_record(model, pad: dict | None, drawn: dict | None) -> dict:
    """What a trial's result records of its model beyond the init seed's draws: a decoder's pad
    token, a LoRA trial's method, adapters and parameters (nothing for a fully fine-tuned
    encoder, whose result stays as it is)."""
    record = {} if pad is None else {"padding": pad}
    if drawn is not None:
        record.update(method="lora", adapters=drawn, parameters=adapters.parameter_record(model))
    return record


def evaluate_at(run: Trial, state: TrialState) -> dict:
    """Evaluate every dev split at the current step: the curve's entry (the (matched) dev split's
    outputs are kept for the predictions file), one progress line, TensorBoard scalars."""
    start = time.perf_counter()
    training, step = run.training, state.step
    batches, order = run.dev
    scores, logits = evaluate(
        run.model,
        batches,
        order,
        run.prepared.dev.labels,
        run.task.metrics,
        training["precision"],
        run.device.type,
        run.task.is_regression,
    )
    if training.get("store_predictions", "labels") != "none":
        state.outputs.append(logits)
    for split, (batches, order) in run.extra_dev.items():
        extra, _ = evaluate(
            run.model,
            batches,
            order,
            run.prepared.extra_dev[split].labels,
            run.task.metrics,
            training["precision"],
            run.device.type,
            run.task.is_regression,
        )
        scores.update({key + score_suffix(split): value for key, value in extra.items()})
    run.timer.add("eval", start)
    previous = state.curve[-1]["step"] if state.curve else 0
    log.info(
        progress_line(
            run.name,
            step,
            run.total_steps,
            run.per_epoch,
            run.config["metric"],
            scores[run.config["metric"]],
            state.losses[previous:step],
            time.perf_counter() - run.started,
            state.resumed_from or 0,
        )
    )
    if run.board is not None:
        for key, value in scores.items():
            run.board.add_scalar(f"dev/{key}", value, step)
        run.board.flush()
    return {"step": step, "epoch": step / run.per_epoch, **scores}


def start(run: Trial) -> TrialState:
    """Resume from this trial's checkpoint if a valid one exists; else reseed dropout and
    evaluate step 0."""
    state = TrialState()
    saved = (
        load_checkpoint(run.runtime.checkpoint_path, run.hash)
        if run.runtime.checkpoint_path
        else None
    )
    if saved is not None:
        state.step, state.curve, state.losses, state.outputs = restore(
            saved, run.model, run.optimizer, run.scheduler, run.device
        )
        state.resumed_from = state.step
        log.info("resumed %s from checkpoint at step %d", run.runtime.checkpoint_path, state.step)
    else:
        seeds.reseed_dropout(run.config["seeds"]["dropout"])
        state.curve.append(evaluate_at(run, state))
    run.timer.add("load", run.started)
    state.last_checkpoint = time.perf_counter()
    return state


def train_step(run: Trial, state: TrialState) -> bool:
    """One optimizer step on the next batch of the order seed's permutation; False (and no
    update) when the loss is not finite."""
    start = time.perf_counter()
    training = run.training
    epoch, position = divmod(state.step, run.per_epoch)
    indices = run.permutations[epoch][
        position * training["batch_size"] : (position + 1) * training["batch_size"]
    ]
    batch = make_batch(run.prepared.train, indices, run.packing, run.pad_id, run.device)
    with autocast(run.device.type, training["precision"]):
        logits = model_logits(run.model, batch)
    loss = task_loss(logits.float(), batch_labels(batch), run.task.is_regression)
    loss_value = loss.item()
    state.losses.append(loss_value)
    if run.board is not None:
        run.board.add_scalar("train/loss", loss_value, state.step + 1)
    if not np.isfinite(loss_value):
        run.timer.add("train", start)
        return False
    loss.backward()
    optim.clip_gradients(run.parameters, training)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    state.step += 1
    run.timer.add("train", start)
    return True


def checkpoint_if_due(run: Trial, state: TrialState, signals: StopSignals) -> None:
    """Checkpoint when a stop signal arrived (then raise `Preempted`), when
    `checkpoint_every_minutes` have passed, or at live early stopping's stop step."""
    runtime = run.runtime
    if not runtime.checkpoint_path or state.step >= run.total_steps:
        return
    asked = faults.stop_asked(signals.received, state.step, runtime.interrupt_after_step)
    due = (time.perf_counter() - state.last_checkpoint) > 60 * runtime.checkpoint_every_minutes > 0
    if asked or due or state.step == run.stop_at_step:
        start = time.perf_counter()
        save_checkpoint(
            runtime.checkpoint_path,
            run.hash,
            state.step,
            run.model,
            run.optimizer,
            run.scheduler,
            state.curve,
            state.losses,
            state.outputs,
        )
        run.timer.add("checkpoint", start)
        state.last_checkpoint = time.perf_counter()
    if asked:
        log.warning(
            "stop requested at step %d: checkpoint written to %s, exiting with %d",
            state.step,
            runtime.checkpoint_path,
            EXIT_PREEMPTED,
        )
        raise Preempted(state.step)


def finish(run: Trial, state: TrialState, out_path, run_path) -> dict:
    """The per-example predictions of every evaluation, the result and the run record, written
    (the completion record first); returns the result with the run record under `_run`."""
    store = run.training.get("store_predictions", "labels")
    predicted = None
    if store != "none" and state.outputs:
        array = predictions.encode(state.outputs, store, regression=run.task.is_regression)
        predicted = predictions.to_bytes(array)
    result = trial_result(
        run.config,
        run.hash,
        state.status,
        run.prepared,
        state.curve,
        state.losses,
        steps={
            "steps_per_epoch": run.per_epoch,
            "total_steps": run.total_steps,
            "eval_steps": run.eval_steps,
            "epoch_end_steps": eval_schedule.epoch_end_steps(run.per_epoch, run.training["epochs"]),
            "stopped_at_step": state.step if state.status != "completed" else None,
            **paper_grid_record(run.training, run.per_epoch),
        },
        environment=environment(run.device, run.runtime.threads, run.nondeterminism),
        model_record={
            "init": run.init,
            "batching": "packed" if run.packing else "padded",
            **run.model_record,
        },
    )
    if predicted is not None:
        result["predictions"] = predictions.describe(array, predicted, store)
    record = run_record(
        run.name,
        run.runtime,
        run.timer,
        run.started,
        run.wall_started,
        state.resumed_from,
        state.step,
        run.optimizer.first_step_at,
    )
    if run.runtime.save_weights:
        save_torch(
            {k: v.detach().cpu() for k, v in model_weights(run.model).items()},
            run.runtime.save_weights,
        )
    if run.board is not None:
        run.board.close()
    write_outputs(
        run.runtime,
        run.hash,
        result,
        record,
        out_path,
        run_path,
        keep_checkpoint=state.status == "stopped",
        predicted=predicted,
    )
    faults.ledger("done", run.name)
    return {**result, "_run": record}  # `_run` for callers in this process; never in the file


def run_trial(
    trial: dict,
    data: str | os.PathLike | PreparedData,
    out_path: str | os.PathLike | None = None,
    run_path: str | os.PathLike | None = None,
    runtime: Runtime | None = None,
    stop_at_fraction: float | None = None,
) -> dict:
    """Run (or resume) one trial and return its result.

    `trial` is the trial config (`study.trial.trial_config`). `stop_at_fraction`: live early
    stopping, stop after the evaluation nearest this fraction of training
    (`eval_schedule.stop_step`), keep the checkpoint and return a result with status "stopped".
    Raises `Preempted` (exit code 75) after checkpointing on SIGTERM/SIGUSR1, and
    `failures.RepeatedFailure` at once where the trial failed deterministically earlier in the
    same workflow run.
    """
    runtime = runtime or Runtime()
    name = trial_name(trial)
    trial_hash = config_hash(trial)
    faults.inject_fault(name)
    if stop_at_fraction is None:
        restored = restore_completed(
            runtime, trial_hash, name, out_path, run_path, prepared_fingerprint(data)
        )
        if restored is not None:
            return restored
    failures.refuse_repeat(runtime.checkpoint_path, trial_hash, runtime.run_id, name)
    faults.ledger("start", name)
    with failures.recorded(runtime.checkpoint_path, trial_hash, runtime.run_id):
        faults.inject_error(name)
        run = setup(trial, data, runtime, stop_at_fraction)
        state = start(run)
        with StopSignals() as signals:
            while state.step < run.total_steps:
                if run.stop_at_step is not None and state.step >= run.stop_at_step:
                    state.status = "stopped"
                    break
                if not train_step(run, state):
                    state.status = "diverged"
                    break
                if state.step in run.eval_steps:
                    state.curve.append(evaluate_at(run, state))
                checkpoint_if_due(run, state, signals)
        return finish(run, state, out_path, run_path)


# ------------------------------------------------------------------------- completion and files


def restore_completed(
    runtime: Runtime, trial_hash: str, name: str, out_path, run_path, data_fingerprint=None
) -> dict | None:
    """A trial completed in an earlier attempt (its completion record beside the checkpoint, of
    the same config, prepared data and software versions): write its outputs again and return
    its result."""
    if not (runtime.checkpoint_path and runtime.reuse_completed):
        return None
    done = load_done_record(
        runtime.checkpoint_path, trial_hash, software_versions(), data_fingerprint
    )
    if done is not None:
        log.info(
            "%s completed in an earlier attempt: outputs restored from %s",
            name,
            done_record_path(runtime.checkpoint_path, trial_hash),
        )
        faults.ledger("restore", name)
        kept = predictions.path_for(done_record_path(runtime.checkpoint_path, trial_hash))
        if out_path is not None and done["result"].get("predictions") and kept.exists():
            write_bytes_atomic(predictions.path_for(out_path), kept.read_bytes())
        _write_outputs(out_path, run_path, done["result"], {**done["run"], "restored": True})
        return {**done["result"], "_run": done["run"]}
    return None


def paper_grid_record(training: dict, per_epoch: int) -> dict:
    """Under `evaluation: paper`, the authors' regular grid among the evaluations (`grid_steps`,
    the points their notebook analysed); nothing otherwise."""
    if training.get("evaluation", "regular") != "paper":
        return {}
    return {"grid_steps": eval_schedule.paper_grid_steps(per_epoch, training["epochs"])}


def trial_result(
    trial: dict,
    trial_hash: str,
    status: str,
    prepared: PreparedData,
    curve: list,
    losses: list,
    steps: dict,
    environment: dict,
    model_record: dict | None = None,
) -> dict:
    """The trial's result file: a pure function of the trial config, the data and the software."""
    return {
        "format": TRIAL_FORMAT,
        "task": trial["task"],
        "init_seed": trial["seeds"]["init"],
        "order_seed": trial["seeds"]["order"],
        "dropout_seed": trial["seeds"]["dropout"],
        "dropout_owner": trial["seeds"]["dropout_owner"],
        "config_hash": trial_hash,
        "config": trial,
        "status": status,
        "metric": trial["metric"],
        "majority": prepared.meta["majority"],
        "data": {
            "fingerprint": prepared.meta["fingerprint"],
            "train_size": len(prepared.train),
            "dev_size": len(prepared.dev),
        },
        **(model_record or {}),  # init: what the init seed drew; batching: packed | padded
        **steps,
        "evaluations": curve,
        "train_loss": losses,
        "environment": environment,
    }


def run_record(
    name: str,
    runtime: Runtime,
    timer: Timer,
    started: float,
    wall_started: float,
    resumed_from: int | None,
    step: int,
    first_step_at: float | None = None,
) -> dict:
    """How this run went (timing, host, job): beside the result, never part of it."""
    finished = time.perf_counter()
    return {
        "trial": name,
        "host": socket.gethostname(),
        "started_unix": wall_started,
        "wall_s": finished - started,
        "process_s": finished - runtime.process_start if runtime.process_start else None,
        # process start to the first optimizer step
        # (None when resumed at the end or not started here)
        "startup_s": (
            first_step_at - runtime.process_start
            if runtime.process_start and first_step_at
            else None
        ),
        "seconds": timer.seconds,
        "resumed_from_step": resumed_from,
        "train_steps_run": step - (resumed_from or 0),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "argv": sys.argv,
    }


def write_outputs(
    runtime: Runtime,
    trial_hash: str,
    result: dict,
    record: dict,
    out_path,
    run_path,
    keep_checkpoint: bool,
    predicted: bytes | None = None,
) -> None:
    """First the completion record, then the outputs (the predictions before the result), then the
    resumable checkpoint goes (a stopped trial keeps it: live early stopping may continue it)."""
    if runtime.checkpoint_path and not keep_checkpoint:
        if predicted is not None:
            write_bytes_atomic(
                predictions.path_for(done_record_path(runtime.checkpoint_path, trial_hash)),
                predicted,
            )
        write_done_record(runtime.checkpoint_path, trial_hash, result, record)
    if predicted is not None and out_path is not None:
        write_bytes_atomic(predictions.path_for(out_path), predicted)
    _write_outputs(out_path, run_path, result, record)
    if runtime.checkpoint_path and not keep_checkpoint:
        Path(runtime.checkpoint_path).unlink(missing_ok=True)


def _write_outputs(out_path, run_path, result: dict, run_record: dict) -> None:
    if out_path is None:
        return
    if run_path is not None:
        write_json_atomic(run_path, run_record)
    write_json_atomic(out_path, result)  # last: its presence means the trial is done
