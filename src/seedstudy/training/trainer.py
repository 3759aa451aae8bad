"""One trial: fine-tune a pretrained encoder on one task with one (init seed, order seed).

Read it top to bottom:

  1. load the prepared data and the pretrained model; draw the head from the init seed
  2. build the optimizer and the learning-rate schedule, the evaluation schedule
  3. resume from a checkpoint if a valid one exists, else reseed dropout and evaluate step 0
  4. train: the order seed's permutation gives every batch; after each step, evaluate where the
     schedule says, checkpoint on time or on a signal (SIGTERM/SIGUSR1 from SLURM), stop on a
     non-finite loss (the trial is then recorded as diverged)
  5. write the result atomically (deterministic file) and the run record (timing, host) beside it

The result file of a trial is a pure function of its trial config (see `study.trial_config`),
the prepared data and the software versions: on CPU the same inputs give a byte-identical file,
whatever else runs beside it. Timing and host go to the separate run record.
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__, metrics
from ..data.prepare import PreparedData, Split, load_prepared
from ..store import predictions
from ..store.atomic import write_bytes_atomic, write_json_atomic
from ..store.trials import TRIAL_FORMAT, done_record_path, load_done_record, write_done_record
from ..study.trial import config_hash, trial_name
from ..tasks import score_suffix, trial_task
from . import eval_schedule, faults, lr_schedule, optim, packed, seeds
from .models import forward_inputs, load_for_trial, reinit_names

log = logging.getLogger("seedstudy.trainer")

EXIT_PREEMPTED = 75  # checkpoint written on SIGTERM/SIGUSR1: rerun (Snakemake retry) to resume
CHECKPOINT_FORMAT = "seedstudy.checkpoint/1"


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

    @classmethod
    def from_config(cls, runtime: dict, **overrides) -> Runtime:
        """The runtime of a trial from a study's `runtime:` block; `overrides` (threads, the
        checkpoint path, ...) win. The workflow's trial script and `seedstudy train` both use it."""
        settings = {key: runtime[key] for key in ("device", "threads", "checkpoint_every_minutes",
                                                  "deterministic", "reuse_completed")}
        settings.update({key: value for key, value in overrides.items() if value is not None})
        if not runtime.get("tensorboard"):
            settings.pop("tensorboard_dir", None)
        return cls(**settings)


@dataclass
class Timer:
    seconds: dict = field(default_factory=lambda: {"load": 0.0, "train": 0.0, "eval": 0.0, "checkpoint": 0.0})

    def add(self, key: str, start: float) -> float:
        now = time.perf_counter()
        self.seconds[key] += now - start
        return now


# ------------------------------------------------------------------------------- batches


def collate(split: Split, indices, pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch dynamically to its longest example (the batches of `packing: false`)."""
    rows = [int(i) for i in indices]
    length = max(len(split.input_ids[i]) for i in rows)
    input_ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    token_type_ids = torch.zeros((len(rows), length), dtype=torch.long)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
    for r, i in enumerate(rows):
        n = len(split.input_ids[i])
        input_ids[r, :n] = torch.tensor(split.input_ids[i])
        token_type_ids[r, :n] = torch.tensor(split.token_type_ids[i])
        attention_mask[r, :n] = 1
    return {
        "input_ids": input_ids,
        "token_type_ids": token_type_ids,
        "attention_mask": attention_mask,
        "labels": label_tensor(split.labels[rows]),
    }


def label_tensor(labels) -> torch.Tensor:
    """Class ids as long, a regression's real-valued labels as float32."""
    labels = np.asarray(labels)
    return torch.as_tensor(labels, dtype=torch.float32 if labels.dtype.kind == "f" else torch.long)


def task_loss(logits: torch.Tensor, labels: torch.Tensor, regression: bool, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy of a classification; a regression's mean squared error of its one output
    (what a Hugging Face model computes with num_labels=1, problem_type "regression")."""
    if regression:
        return torch.nn.functional.mse_loss(logits[:, 0], labels.float(), reduction=reduction)
    return torch.nn.functional.cross_entropy(logits, labels, reduction=reduction)


def make_batch(split: Split, indices, packing: bool, pad_id: int, device):
    """A batch of the examples at `indices`: packed (no padding) or padded to its longest."""
    rows = [int(i) for i in indices]
    if packing:
        batch = packed.pack([split.input_ids[i] for i in rows], [split.token_type_ids[i] for i in rows])
        batch.labels = label_tensor(split.labels[rows])
        return batch.to(device)
    return {k: v.to(device) for k, v in collate(split, rows, pad_id).items()}


def model_logits(model, batch) -> torch.Tensor:
    """Logits of a batch; a padded batch passes the inputs the model's forward takes."""
    if isinstance(batch, packed.PackedBatch):
        return packed.forward(model, batch)
    return model(**{key: batch[key] for key in forward_inputs(model)}).logits


def batch_labels(batch) -> torch.Tensor:
    return batch.labels if isinstance(batch, packed.PackedBatch) else batch["labels"]


def dev_batches(split: Split, batch_size: int, packing: bool, pad_id: int, device) -> tuple[list, np.ndarray]:
    """Dev batches sorted by length (less padding, same predictions), built once per trial."""
    order = np.argsort([len(ids) for ids in split.input_ids], kind="stable")
    batches = [
        make_batch(split, order[start : start + batch_size], packing, pad_id, device)
        for start in range(0, len(order), batch_size)
    ]
    return batches, order


# ----------------------------------------------------------------------------- evaluation


def progress_line(name, step, total_steps, per_epoch, metric, score, interval_losses, elapsed, resumed_at=0) -> str:
    """One log line per evaluation, for `tail -f` on a trial's log: step, epoch, the headline
    score, the mean training loss since the previous evaluation, time spent and time left (at
    the pace of the steps this process has trained)."""
    loss = f"{np.mean(interval_losses):.4f}" if len(interval_losses) else "-"
    done = step - resumed_at
    left = elapsed / done * (total_steps - step) if done > 0 else float("nan")
    return (f"{name} step {step}/{total_steps} epoch {step / per_epoch:.2f}: {metric} {score:.4f}, "
            f"loss {loss}, elapsed {elapsed:.1f} s, left {left:.0f} s")


def autocast(device_type: str, precision: str):
    if precision == "bf16":
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
    return torch.autocast(device_type=device_type, enabled=False)


@torch.inference_mode()
def evaluate(model, batches, order, labels, metric_names, precision, device_type,
             regression: bool = False) -> tuple[dict[str, float], np.ndarray]:
    """Every metric on one dev split and its mean loss, and the outputs (logits; a regression's
    value) of every dev example in the prepared data's order; a regression's prediction is its output."""
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
        raise RuntimeError("runtime.tensorboard needs the tensorboard package: pip install 'seedstudy[tensorboard]'") from error
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
            notes.append("cuda: deterministic algorithms requested (warn_only); results are "
                         "repeatable on the same GPU model, driver and library versions only")
        else:
            notes.append("cuda: nondeterministic kernels allowed (atomic adds in backward); "
                         "repeated runs may differ in the last bits")
    return notes


def software_versions() -> dict:
    """The versions of what computes a trial; a completion record of other versions is not reused."""
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


# ----------------------------------------------------------------------------- checkpoints


def _save(obj, path) -> None:
    import io

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def save_checkpoint(path, trial_config_hash, step, model, optimizer, scheduler, curve, losses, outputs=()) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "config_hash": trial_config_hash,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "evaluations": curve,
        "train_loss": losses,
        "outputs": [torch.from_numpy(o) for o in outputs],  # dev logits of every evaluation so far
    }
    _save(state, path)


def load_checkpoint(path, trial_config_hash) -> dict | None:
    """A checkpoint of this very trial config, or None (with a warning) if it is unusable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        # weights_only: a checkpoint holds tensors, numbers and lists only, and loading it runs no code
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated, corrupt, wrong format: never trust it
        log.warning("ignoring unreadable checkpoint %s (%s); training from the start", path, error)
        return None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        log.warning("ignoring %s: not a seedstudy checkpoint; training from the start", path)
        return None
    if state.get("config_hash") != trial_config_hash:
        log.warning(
            "ignoring checkpoint %s: it belongs to config %s, this trial is %s; training from the start",
            path, state.get("config_hash"), trial_config_hash,
        )
        return None
    return state


class StopSignals:
    """Turn SIGTERM/SIGUSR1 (sent by SLURM before a time limit or preemption) into a flag."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.received: int | None = None
        self._previous = {}

    def __enter__(self):
        for sig in self.SIGNALS:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not in the main thread: signals cannot be caught here
                pass
        return self

    def _handle(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


# ------------------------------------------------------------------------- trial parts


def restore_completed(runtime: Runtime, trial_hash: str, name: str, out_path, run_path) -> dict | None:
    """A trial completed in an earlier attempt (its completion record beside the checkpoint, of
    the same config and software versions): write its outputs again and return its result."""
    if not (runtime.checkpoint_path and runtime.reuse_completed):
        return None
    done = load_done_record(runtime.checkpoint_path, trial_hash, software_versions())
    if done is not None:
        log.info("%s completed in an earlier attempt: outputs restored from %s", name,
                 done_record_path(runtime.checkpoint_path))
        faults.ledger("restore", name)
        kept = predictions.path_for(done_record_path(runtime.checkpoint_path))
        if out_path is not None and done["result"].get("predictions") and kept.exists():
            write_bytes_atomic(predictions.path_for(out_path), kept.read_bytes())
        _write_outputs(out_path, run_path, done["result"], {**done["run"], "restored": True})
        return {**done["result"], "_run": done["run"]}
    return None


def resume(state: dict, model, optimizer, scheduler, device) -> tuple[int, list, list, list]:
    """Put model, optimizer, schedule and RNG back as the checkpoint has them; return the step,
    the curve so far, the losses so far and the dev logits of the evaluations so far."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng_cpu"])
    if state["rng_cuda"] and device.type == "cuda":
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    return state["step"], state["evaluations"], state["train_loss"], [t.numpy() for t in state.get("outputs", [])]


def trial_result(trial: dict, trial_hash: str, status: str, prepared: PreparedData, curve: list, losses: list,
                 steps: dict, environment: dict, model_record: dict | None = None) -> dict:
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


def run_record(name: str, runtime: Runtime, timer: Timer, started: float, wall_started: float,
               resumed_from: int | None, step: int, first_step_at: float | None = None) -> dict:
    """How this run went (timing, host, job): beside the result, never part of it."""
    finished = time.perf_counter()
    return {
        "trial": name,
        "host": socket.gethostname(),
        "started_unix": wall_started,
        "wall_s": finished - started,
        "process_s": finished - runtime.process_start if runtime.process_start else None,
        # process start to the first optimizer step (None when resumed at the end or not started here)
        "startup_s": (first_step_at - runtime.process_start if runtime.process_start and first_step_at else None),
        "seconds": timer.seconds,
        "resumed_from_step": resumed_from,
        "train_steps_run": step - (resumed_from or 0),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "argv": sys.argv,
    }


def write_outputs(runtime: Runtime, trial_hash: str, result: dict, record: dict, out_path, run_path,
                  keep_checkpoint: bool, predicted: bytes | None = None) -> None:
    """First the completion record, then the outputs (the predictions before the result), then the
    resumable checkpoint goes (a stopped trial keeps it: live early stopping may continue it)."""
    if runtime.checkpoint_path and not keep_checkpoint:
        if predicted is not None:
            write_bytes_atomic(predictions.path_for(done_record_path(runtime.checkpoint_path)), predicted)
        write_done_record(runtime.checkpoint_path, trial_hash, result, record)
    if predicted is not None and out_path is not None:
        write_bytes_atomic(predictions.path_for(out_path), predicted)
    _write_outputs(out_path, run_path, result, record)
    if runtime.checkpoint_path and not keep_checkpoint:
        Path(runtime.checkpoint_path).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- trial


def run_trial(
    trial: dict,
    data: str | os.PathLike | PreparedData,
    out_path: str | os.PathLike | None = None,
    run_path: str | os.PathLike | None = None,
    runtime: Runtime | None = None,
    stop_at_fraction: float | None = None,
) -> dict:
    """Run (or resume) one trial and return its result.

    `trial` is the trial config (`study.trial_config`). `stop_at_fraction`: live early stopping,
    stop after the evaluation nearest this fraction of training (`eval_schedule.stop_step`), keep the
    checkpoint and return a result with status "stopped". Raises `Preempted` (exit code 75) after checkpointing on SIGTERM/SIGUSR1.
    """
    runtime = runtime or Runtime()
    name = trial_name(trial)
    faults.inject_fault(name)
    timer = Timer()
    started = time.perf_counter()
    wall_started = time.time()
    trial_hash = config_hash(trial)
    if stop_at_fraction is None:
        restored = restore_completed(runtime, trial_hash, name, out_path, run_path)
        if restored is not None:
            return restored
    faults.ledger("start", name)
    torch.set_num_threads(runtime.threads)
    training = trial["training"]
    device = pick_device(runtime.device)
    nondeterminism = configure_numerics(device, training["precision"], runtime.deterministic)

    # 1. data, model, every parameter the checkpoint lacks drawn from the init seed ----------
    prepared = data if isinstance(data, PreparedData) else load_prepared(data)
    task = trial_task(trial, prepared.meta)
    if trial["metric"] not in task.headline_metrics:
        raise ValueError(f"metric {trial['metric']!r} does not apply to task {task.name!r}: "
                         f"its metrics are {', '.join(task.headline_metrics)}")
    model, not_provided = load_for_trial(trial["model"], task.num_labels)
    reinit = reinit_names(model, training.get("reinit_layers", 0), training.get("reinit_pooler", False))
    init = seeds.set_init(model, not_provided, trial["seeds"]["init"], reinit)
    if not init["drawn"]:
        log.warning("%s: %s provides every parameter (a fine-tuned head): the init seed draws nothing",
                    name, trial["model"])
    model.to(device)
    model.train()
    pad_id = model.config.pad_token_id or 0
    # packing: true runs padding-free where that is exact for the architecture, padded elsewhere
    packing = training["packing"] and packed.supports(model)
    if training["packing"] and not packing:
        log.info("%s: %s has no padding-free forward; batches are padded", name, model.config.model_type)
    batches_dev, dev_order = dev_batches(prepared.dev, training["eval_batch_size"], packing, pad_id, device)
    # further dev splits (MNLI's mismatched), evaluated at every evaluation beside dev
    extra_dev = {split: dev_batches(data_split, training["eval_batch_size"], packing, pad_id, device)
                 for split, data_split in prepared.extra_dev.items()}

    # 2. optimizer, schedule, evaluation steps -----------------------------------------------
    n_train = len(prepared.train)
    per_epoch = eval_schedule.steps_per_epoch(n_train, training["batch_size"])
    total_steps = per_epoch * training["epochs"]
    eval_steps = eval_schedule.trial_evaluation_steps(training, per_epoch)
    stop_at_step = eval_schedule.stop_step(eval_steps, stop_at_fraction) if stop_at_fraction else None
    optimizer = optim.build_optimizer(model, training, device.type)
    scheduler = lr_schedule.build_schedule(optimizer, training, n_train)
    permutations = seeds.epoch_permutations(n_train, trial["seeds"]["order"], training["epochs"])
    parameters = [p for p in model.parameters() if p.requires_grad]
    metric_names = task.metrics

    store = training.get("store_predictions", "labels")

    def run_eval(step):
        start = time.perf_counter()
        scores, logits = evaluate(model, batches_dev, dev_order, prepared.dev.labels, metric_names,
                                  training["precision"], device.type, task.is_regression)
        if store != "none":
            outputs.append(logits)  # the predictions file keeps the (matched) dev split's
        for split, (batches, order) in extra_dev.items():
            extra, _ = evaluate(model, batches, order, prepared.extra_dev[split].labels, metric_names,
                                training["precision"], device.type, task.is_regression)
            scores.update({key + score_suffix(split): value for key, value in extra.items()})
        timer.add("eval", start)
        previous = curve[-1]["step"] if curve else 0
        log.info(progress_line(name, step, total_steps, per_epoch, trial["metric"], scores[trial["metric"]],
                               losses[previous:step], time.perf_counter() - started, resumed_at))
        if board is not None:
            for key, value in scores.items():
                board.add_scalar(f"dev/{key}", value, step)
            board.flush()
        return {"step": step, "epoch": step / per_epoch, **scores}

    board = tensorboard_writer(runtime.tensorboard_dir)

    # 3. resume or start -------------------------------------------------------------------------
    step, curve, losses, outputs = 0, [], [], []
    resumed_from = None
    resumed_at = 0  # the step this process started training from (for the time-left estimate)
    state = load_checkpoint(runtime.checkpoint_path, trial_hash) if runtime.checkpoint_path else None
    if state is not None:
        step, curve, losses, outputs = resume(state, model, optimizer, scheduler, device)
        resumed_from = resumed_at = step
        log.info("resumed %s from checkpoint at step %d", runtime.checkpoint_path, step)
        del state
    else:
        seeds.reseed_dropout(trial["seeds"]["dropout"])
        curve.append(run_eval(0))
    timer.add("load", started)

    # 4. train ---------------------------------------------------------------------------------
    status = "completed"
    last_checkpoint = time.perf_counter()

    def checkpoint():
        start = time.perf_counter()
        save_checkpoint(runtime.checkpoint_path, trial_hash, step, model, optimizer, scheduler, curve, losses, outputs)
        timer.add("checkpoint", start)

    with StopSignals() as signals:
        while step < total_steps and status == "completed":
            if stop_at_step is not None and step >= stop_at_step:
                status = "stopped"
                break
            start = time.perf_counter()
            epoch, position = divmod(step, per_epoch)
            indices = permutations[epoch][position * training["batch_size"] : (position + 1) * training["batch_size"]]
            batch = make_batch(prepared.train, indices, packing, pad_id, device)
            with autocast(device.type, training["precision"]):
                logits = model_logits(model, batch)
            loss = task_loss(logits.float(), batch_labels(batch), task.is_regression)
            loss_value = loss.item()
            losses.append(loss_value)
            if board is not None:
                board.add_scalar("train/loss", loss_value, step + 1)
            if not np.isfinite(loss_value):
                status = "diverged"
                timer.add("train", start)
                break
            loss.backward()
            optim.clip_gradients(parameters, training)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            timer.add("train", start)

            if step in eval_steps:
                curve.append(run_eval(step))
            if runtime.checkpoint_path and step < total_steps:
                asked = faults.stop_asked(signals.received, step, runtime.interrupt_after_step)
                due = (time.perf_counter() - last_checkpoint) > 60 * runtime.checkpoint_every_minutes > 0
                if asked or due or step == stop_at_step:
                    checkpoint()
                    last_checkpoint = time.perf_counter()
                if asked:
                    log.warning("stop requested at step %d: checkpoint written to %s, exiting with %d",
                                step, runtime.checkpoint_path, EXIT_PREEMPTED)
                    raise Preempted(step)

    # 5. result: the per-example predictions of every evaluation, then the scores -----------
    predicted = None
    if store != "none" and outputs:
        array = predictions.encode(outputs, store, regression=task.is_regression)
        predicted = predictions.to_bytes(array)
    result = trial_result(
        trial, trial_hash, status, prepared, curve, losses,
        steps={"steps_per_epoch": per_epoch, "total_steps": total_steps, "eval_steps": eval_steps,
               "epoch_end_steps": eval_schedule.epoch_end_steps(per_epoch, training["epochs"]),
               "stopped_at_step": step if status != "completed" else None},
        environment=environment(device, runtime.threads, nondeterminism),
        model_record={"init": init, "batching": "packed" if packing else "padded"},
    )
    if predicted is not None:
        result["predictions"] = predictions.describe(array, predicted, store)
    record = run_record(name, runtime, timer, started, wall_started, resumed_from, step,
                        optimizer.first_step_at)
    if runtime.save_weights:
        _save({k: v.detach().cpu() for k, v in model.state_dict().items()}, runtime.save_weights)
    if board is not None:
        board.close()
    write_outputs(runtime, trial_hash, result, record, out_path, run_path, keep_checkpoint=status == "stopped",
                  predicted=predicted)
    faults.ledger("done", name)
    return {**result, "_run": record}  # `_run` for callers in this process; never in the file


def _write_outputs(out_path, run_path, result: dict, run_record: dict) -> None:
    if out_path is None:
        return
    if run_path is not None:
        write_json_atomic(run_path, run_record)
    write_json_atomic(out_path, result)  # last: its presence means the trial is done
