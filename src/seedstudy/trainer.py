"""One trial: fine-tune a pretrained encoder on one task with one (init seed, order seed).

Read it top to bottom:

  1. load the prepared data and the pretrained model; draw the head from the init seed
  2. build the optimizer and the learning-rate schedule, the evaluation schedule
  3. resume from a checkpoint if a valid one exists, else reseed dropout and evaluate step 0
  4. train: the order seed's permutation gives every batch; after each step, evaluate where the
     schedule says, checkpoint on time or on a signal (SIGTERM/SIGUSR1 from SLURM), stop on a
     non-finite loss (the trial is then recorded as diverged)
  5. write the result atomically (deterministic file) and the run record (timing, host) beside it

The result file of a trial is a pure function of its trial config (see `config.trial_config`),
the prepared data and the software versions: on CPU the same inputs give a byte-identical file,
whatever else runs beside it. Timing and host go to the separate run record.
"""

from __future__ import annotations

import fnmatch
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

from . import __version__, metrics, optim, packed, schedule, seeds
from .data import PreparedData, Split, load_prepared
from .store import (
    TRIAL_FORMAT, done_record_path, load_done_record, write_bytes_atomic, write_done_record, write_json_atomic,
)
from .tasks import get_task

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
    # test hook: behave as if a stop signal arrived after this many optimizer steps
    interrupt_after_step: int | None = None


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
        "labels": torch.as_tensor(split.labels[rows], dtype=torch.long),
    }


def make_batch(split: Split, indices, packing: bool, pad_id: int, device):
    """A batch of the examples at `indices`: packed (no padding) or padded to its longest."""
    rows = [int(i) for i in indices]
    if packing:
        batch = packed.pack([split.input_ids[i] for i in rows], [split.token_type_ids[i] for i in rows], split.labels[rows])
        return batch.to(device)
    return {k: v.to(device) for k, v in collate(split, rows, pad_id).items()}


def model_logits(model, batch) -> torch.Tensor:
    if isinstance(batch, packed.PackedBatch):
        return packed.forward(model, batch)
    return model(input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"],
                 attention_mask=batch["attention_mask"]).logits


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


def autocast(device_type: str, precision: str):
    if precision == "bf16":
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
    return torch.autocast(device_type=device_type, enabled=False)


@torch.inference_mode()
def evaluate(model, batches, order, labels, metric_names, precision, device_type) -> dict[str, float]:
    model.eval()
    predictions = np.empty(len(order), dtype=np.int64)
    loss_sum = 0.0
    position = 0
    for batch in batches:
        with autocast(device_type, precision):
            logits = model_logits(model, batch).float()
        n = logits.shape[0]
        rows = order[position : position + n]
        loss_sum += torch.nn.functional.cross_entropy(logits, batch_labels(batch), reduction="sum").item()
        predictions[rows] = logits.argmax(-1).cpu().numpy()
        position += n
    model.train()
    scores = metrics.compute(metric_names, labels, predictions)
    scores["dev_loss"] = loss_sum / len(order)
    return scores


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


def save_checkpoint(path, trial_config_hash, step, model, optimizer, scheduler, curve, losses) -> None:
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
    }
    _save(state, path)


def load_checkpoint(path, trial_config_hash) -> dict | None:
    """A checkpoint of this very trial config, or None (with a warning) if it is unusable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
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


def ledger(event: str, name: str) -> None:
    """Audit trail for the fault tests: with SEEDSTUDY_TRIAL_LEDGER=<file> set, every trial
    appends `start`, `restore` or `done` with its name and process id (one short O_APPEND write,
    atomic on POSIX), so that a test can count how often each trial was trained."""
    path = os.environ.get("SEEDSTUDY_TRIAL_LEDGER")
    if path:
        with open(path, "a") as handle:
            handle.write(f"{event} {name} {os.getpid()}\n")


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


# ---------------------------------------------------------------------------- fault tests


def inject_fault(name: str) -> None:
    """Fail a trial once, for tests of retries: with SEEDSTUDY_FAIL_ONCE=<folder> set, a trial
    whose name (`task/stem`) matches SEEDSTUDY_FAIL_TRIALS (a glob, default all) fails on its
    first attempt, leaving a marker in the folder, and runs normally on the next."""
    folder = os.environ.get("SEEDSTUDY_FAIL_ONCE")
    if not folder or not fnmatch.fnmatch(name, os.environ.get("SEEDSTUDY_FAIL_TRIALS", "*")):
        return
    marker = Path(folder) / (name.replace("/", "__") + ".failed")
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{socket.gethostname()} {os.getpid()}\n")
    raise RuntimeError(f"injected fault in trial {name} (SEEDSTUDY_FAIL_ONCE={folder}); a retry will succeed")


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

    `trial` is the trial config (`config.trial_config`). `stop_at_fraction`: live early stopping,
    stop after the evaluation nearest this fraction of training (`schedule.stop_step`), keep the
    checkpoint and return a result with status "stopped". Raises `Preempted` (exit code 75) after checkpointing on SIGTERM/SIGUSR1.
    """
    from .config import config_hash, trial_name

    runtime = runtime or Runtime()
    name = trial_name(trial)
    inject_fault(name)
    timer = Timer()
    started = time.perf_counter()
    wall_started = time.time()
    trial_hash = config_hash(trial)
    if runtime.checkpoint_path and runtime.reuse_completed and stop_at_fraction is None:
        done = load_done_record(runtime.checkpoint_path, trial_hash, software_versions())
        if done is not None:
            log.info("%s completed in an earlier attempt: outputs restored from %s", name,
                     done_record_path(runtime.checkpoint_path))
            ledger("restore", name)
            _write_outputs(out_path, run_path, done["result"], {**done["run"], "restored": True})
            return {**done["result"], "_run": done["run"]}
    ledger("start", name)
    torch.set_num_threads(runtime.threads)
    task = get_task(trial["task"])
    training = trial["training"]
    device = pick_device(runtime.device)
    nondeterminism = configure_numerics(device, training["precision"], runtime.deterministic)

    # 1. data, model, head drawn from the init seed ---------------------------------------
    prepared = data if isinstance(data, PreparedData) else load_prepared(data)
    from .models import load_classifier

    model = load_classifier(trial["model"], task.num_labels)
    seeds.set_head(model, trial["seeds"]["init"])
    model.to(device)
    model.train()
    pad_id = model.config.pad_token_id or 0
    packing = training["packing"]
    if packing and not packed.supports(model):
        raise ValueError(
            f"model {trial['model']!r} ({model.config.model_type}) has no packed (padding-free) forward; "
            f"set training.packing: false to pad each batch instead"
        )
    batches_dev, dev_order = dev_batches(prepared.dev, training["eval_batch_size"], packing, pad_id, device)

    # 2. optimizer, schedule, evaluation steps -----------------------------------------------
    n_train = len(prepared.train)
    per_epoch = schedule.steps_per_epoch(n_train, training["batch_size"])
    total_steps = per_epoch * training["epochs"]
    eval_steps = schedule.evaluation_steps(per_epoch, training["epochs"], training["evals_per_epoch"])
    stop_at_step = schedule.stop_step(eval_steps, stop_at_fraction) if stop_at_fraction else None
    optimizer = optim.build_optimizer(model, training, device.type)
    scheduler = optim.linear_schedule(optimizer, total_steps, training["warmup_fraction"])
    permutations = seeds.epoch_permutations(n_train, trial["seeds"]["order"], training["epochs"])
    parameters = [p for p in model.parameters() if p.requires_grad]
    metric_names = task.metrics

    def run_eval(step):
        start = time.perf_counter()
        scores = evaluate(model, batches_dev, dev_order, prepared.dev.labels, metric_names,
                          training["precision"], device.type)
        timer.add("eval", start)
        log.info("%s step %d/%d: %s %.4f", name, step, total_steps, trial["metric"], scores[trial["metric"]])
        return {"step": step, "epoch": step / per_epoch, **scores}

    # 3. resume or start -------------------------------------------------------------------------
    step, curve, losses = 0, [], []
    resumed_from = None
    state = load_checkpoint(runtime.checkpoint_path, trial_hash) if runtime.checkpoint_path else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] and device.type == "cuda":
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        step, curve, losses = state["step"], state["evaluations"], state["train_loss"]
        resumed_from = step
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
        save_checkpoint(runtime.checkpoint_path, trial_hash, step, model, optimizer, scheduler, curve, losses)
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
            loss = torch.nn.functional.cross_entropy(logits.float(), batch_labels(batch))
            loss_value = loss.item()
            losses.append(loss_value)
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
                asked = signals.received is not None or step == runtime.interrupt_after_step
                due = (time.perf_counter() - last_checkpoint) > 60 * runtime.checkpoint_every_minutes > 0
                if asked or due or step == stop_at_step:
                    checkpoint()
                    last_checkpoint = time.perf_counter()
                if asked:
                    log.warning("stop requested at step %d: checkpoint written to %s, exiting with %d",
                                step, runtime.checkpoint_path, EXIT_PREEMPTED)
                    raise Preempted(step)

    # 5. result ---------------------------------------------------------------------------------
    result = {
        "format": TRIAL_FORMAT,
        "task": task.name,
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
            "train_size": n_train,
            "dev_size": len(prepared.dev),
        },
        "steps_per_epoch": per_epoch,
        "total_steps": total_steps,
        "eval_steps": eval_steps,
        "epoch_end_steps": schedule.epoch_end_steps(per_epoch, training["epochs"]),
        "stopped_at_step": step if status != "completed" else None,
        "evaluations": curve,
        "train_loss": losses,
        "environment": environment(device, runtime.threads, nondeterminism),
    }
    finished = time.perf_counter()
    run_record = {
        "trial": name,
        "host": socket.gethostname(),
        "started_unix": wall_started,
        "wall_s": finished - started,
        "process_s": finished - runtime.process_start if runtime.process_start else None,
        # process start to the first optimizer step (None when resumed at the end or not started here)
        "startup_s": (optimizer.first_step_at - runtime.process_start
                      if runtime.process_start and optimizer.first_step_at else None),
        "seconds": timer.seconds,
        "resumed_from_step": resumed_from,
        "train_steps_run": step - (resumed_from or 0),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "argv": sys.argv,
    }
    if runtime.save_weights:
        _save({k: v.detach().cpu() for k, v in model.state_dict().items()}, runtime.save_weights)
    if runtime.checkpoint_path and status != "stopped":
        # first the completion record, then the outputs, then the resumable checkpoint goes
        write_done_record(runtime.checkpoint_path, trial_hash, result, run_record)
    _write_outputs(out_path, run_path, result, run_record)
    if runtime.checkpoint_path and status != "stopped":
        Path(runtime.checkpoint_path).unlink(missing_ok=True)
    ledger("done", name)
    return {**result, "_run": run_record}  # `_run` for callers in this process; never in the file


def _write_outputs(out_path, run_path, result: dict, run_record: dict) -> None:
    if out_path is None:
        return
    if run_path is not None:
        write_json_atomic(run_path, run_record)
    write_json_atomic(out_path, result)  # last: its presence means the trial is done
