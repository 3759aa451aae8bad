"""The trial config: everything that decides a trial's result, and nothing else; and its hash.

What makes a trial rerun
------------------------
`trial_config()` is the trial rule's only parameter, and `config_hash()` of it is stored in every
trial result, checkpoint and completion record. So:

- a change to anything in the trial config reruns exactly the trials whose config it changes: the
  task, the model, the headline metric, the data spec (`data_spec`: source, subsample sizes and
  seed, max_length, one's own files with their SHA-256), the training settings of
  `TRIAL_TRAINING_KEYS` (and of `TRIAL_TRAINING_OPTIONAL` where they differ from their
  defaults), and the seeds (init, order, dropout owner and seed; with `method: lora` the
  adapters' owner and seed);
- nothing else reruns a trial: analysis parameters (`analysis:`), runtime settings (`runtime:`:
  device, threads, checkpoints) and the recipe's name are not in it;
- re-prepared data of the same data spec are an `ancient` input of the trials
  (`seedstudy.data.prepare.prepared_is_current`), so they rerun no trial;
- a trial that completed earlier with the same config hash and software versions is restored
  from its completion record instead of trained again (`runtime.reuse_completed`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os

from ..metrics import CLASSIFICATION
from ..store.atomic import sha256_file
from ..tasks import Task, custom_task, get_task, is_custom
from .grid import (
    adapter_owner,
    adapter_seed_for,
    dropout_owner,
    dropout_seed_for,
    task_training,
    trial_stem,
)


def task_metric(config: dict, task: str) -> str:
    return config["tasks"][task].get("metric") or task_of(config, task).default_metric


def task_of(config: dict, task: str) -> Task:
    """The task of a study: a GLUE task, or one of its own data (classes not yet known)."""
    entry = config["tasks"][task]
    return (
        custom_task(task, custom_definition(config, task)) if is_custom(entry) else get_task(task)
    )


@functools.lru_cache(maxsize=256)
def _fingerprint(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(path)


def file_fingerprint(path: str) -> str | None:
    """SHA-256 of a data file (cached per path, modification time and size); None if missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _fingerprint(os.path.abspath(path), stat.st_mtime_ns, stat.st_size)


def custom_definition(config: dict, task: str) -> dict:
    """What defines a task of one's own data: its type, text and label columns, the empty-text
    share allowed, and its files with their SHA-256 (changing a file reruns the task) or its Hub
    dataset. Part of the task's data spec, so of its prepared data and trial configs."""
    entry = config["tasks"][task]
    text = entry.get("text")
    definition = {
        "type": entry.get("type", CLASSIFICATION),
        "text": [text] if isinstance(text, str) else list(text or []),
        "label": entry.get("label"),
        "max_empty_text": entry.get("max_empty_text", 0.0),
    }
    if "hub" in entry:
        definition["hub"] = {key: entry["hub"].get(key) for key in ("path", "name", "train", "dev")}
    else:
        definition["data"] = {
            split: {
                "path": str(entry["data"][split]),
                "sha256": file_fingerprint(str(entry["data"][split])),
            }
            for split in ("train", "dev")
            if split in entry["data"]
        }
    return definition


def data_spec(config: dict, task: str) -> dict:
    """What decides the prepared (tokenized) data of a task."""
    spec = config["tasks"][task]
    if is_custom(spec):
        return {
            "task": task,
            "model": config["model"],
            "source": "hub" if "hub" in spec else "files",
            "train_size": spec.get("train_size"),
            "dev_size": spec.get("dev_size"),
            "subsample_seed": config["data"]["subsample_seed"],
            "max_length": task_training(config, task)["max_length"],
            "custom": custom_definition(config, task),
        }
    source = config["data"]["source"]
    if source == "auto":
        source = "local" if (config["data"]["glue_dir"] or os.environ.get("GLUE_DIR")) else "hub"
    return {
        "task": task,
        "model": config["model"],
        "source": source,
        "train_size": spec.get("train_size"),
        "dev_size": spec.get("dev_size"),
        "subsample_seed": config["data"]["subsample_seed"],
        "max_length": task_training(config, task)["max_length"],
    }


TRIAL_TRAINING_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "warmup_fraction",
    "weight_decay",
    "max_grad_norm",
    "optimizer",
    "adam_beta1",
    "adam_beta2",
    "adam_eps",
    "bertadam_eps",
    "evals_per_epoch",
    "eval_batch_size",
    "precision",
    "packing",
)


# The LoRA settings of `method: lora` (`training.lora` over these), in its trial config.
LORA_DEFAULTS = {
    "r": 8,
    "alpha": 16,
    "dropout": 0.05,
    "target_modules": None,  # peft's default for the architecture
    "init": "kaiming",
    "rslora": False,
}

# Optional keys: in the trial config (and its hash) only when they differ from these defaults, so
# that the trials of a study that does not use them keep their hashes.
TRIAL_TRAINING_OPTIONAL = {
    "schedule": "linear",
    "eval_every_steps": None,
    "evaluation": "regular",
    "reinit_layers": 0,
    "reinit_pooler": False,
    "store_predictions": "labels",
    "method": "full",
    "gradient_checkpointing": False,
}


def trial_config(
    config: dict,
    task: str,
    init_seed: int,
    order_seed: int,
    dropout_seed: int | None = None,
    adapter_seed: int | None = None,
) -> dict:
    """Everything that decides the result of one trial, and nothing else (a LoRA trial's seeds
    also name the adapters' owner and seed)."""
    training = task_training(config, task)
    owner = dropout_owner(training)
    adapters = adapter_owner(training)
    if adapters != "grid" and adapter_seed is not None:
        raise ValueError(
            "an adapter seed is given only with an adapter-seed grid "
            "(training.method: lora, training.adapter_seed a list of seeds)"
        )
    trial = {
        "task": task,
        "model": config["model"],
        "metric": task_metric(config, task),
        "data": data_spec(config, task),
        "training": trial_training(training),
        "seeds": {
            "init": int(init_seed),
            "order": int(order_seed),
            "dropout_owner": owner,
            "dropout": dropout_seed_for(owner, init_seed, order_seed, dropout_seed),
        },
    }
    if adapters is not None:
        trial["seeds"]["adapter_owner"] = adapters
        trial["seeds"]["adapter"] = adapter_seed_for(adapters, init_seed, order_seed, adapter_seed)
    return trial


def trial_training(training: dict) -> dict:
    """The training settings of a trial config; optional keys only where not at their default."""
    out = {key: training[key] for key in TRIAL_TRAINING_KEYS}
    for key, default in TRIAL_TRAINING_OPTIONAL.items():
        value = training.get(key, default)
        if value != default:
            out[key] = value
    if out.get("method") == "lora":
        out["lora"] = {**LORA_DEFAULTS, **(training.get("lora") or {})}
    return out


def trial_name(trial: dict) -> str:
    """`task/stem` of a trial config, as in results/trials/<task>/<stem>.json."""
    seeds = trial["seeds"]
    dropout = seeds["dropout"] if seeds["dropout_owner"] == "grid" else None
    adapter = seeds["adapter"] if seeds.get("adapter_owner") == "grid" else None
    return f"{trial['task']}/{trial_stem(seeds['init'], seeds['order'], dropout, adapter)}"


def config_hash(trial: dict) -> str:
    """A short stable hash of a trial config (canonical JSON, SHA-256)."""
    canonical = json.dumps(trial, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
