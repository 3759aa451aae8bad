"""Prepared task data: read (GLUE: `glue`; one's own files: `custom`), check, subsample, tokenize
once, cache on disk.

A prepared task is a folder written by `prepare()`: the tokenized train and dev splits (MNLI:
also `dev_mismatched`) as a `datasets.DatasetDict` (Arrow files) plus `meta.json` recording where
the data came from (file path and SHA-256, or the Hub dataset), the subsample, the scores of the
trivial baseline and a fingerprint of the tokenized content; one's own classification task also
records its label names (`label_names`: the label of each id, sorted) and a regression the
baseline's prediction (`baseline`).

The trivial baseline (the trials' `majority` scores; a run at or below it has *failed*): for a
classification, the constant prediction of the most frequent label of the dev split (ties: the
smaller id); for a regression, the constant prediction of the mean of the train labels, whose
Pearson and Spearman correlation are 0 by definition (`metrics`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import metrics
from ..store.atomic import write_json_atomic
from ..study.model import resolve_model
from ..study.trial import file_fingerprint
from ..tasks import Task, custom_task, get_task, score_suffix
from . import DataError
from .custom import read_custom
from .glue import glue_folder, read_glue_split, source_files

SPLITS = ("train", "dev")


def subsample_indices(n: int, size: int | None, seed: int) -> list[int] | None:
    """A deterministic subsample of `size` of `n` examples (sorted indices), or None for all."""
    if size is None or size >= n:
        return None
    if size <= 0:
        raise ValueError(f"subsample size must be positive, got {size}")
    chosen = np.random.default_rng(seed).permutation(n)[:size]
    return sorted(int(i) for i in chosen)


def _take(columns: dict[str, list], indices: list[int] | None) -> dict[str, list]:
    if indices is None:
        return columns
    return {name: [values[i] for i in indices] for name, values in columns.items()}


def baseline_scores(task: Task, train_labels, dev_labels: dict) -> dict[str, float]:
    """Every score of the task (each dev split's, suffixed) for its trivial predictor: the most
    frequent dev label of a classification, the train mean of a regression."""
    scores = {}
    for split, labels in dev_labels.items():
        if task.is_regression:
            predictions = metrics.mean_predictions(train_labels, len(labels))
        else:
            predictions = metrics.majority_predictions(labels)
        computed = metrics.compute(task.metrics, labels, predictions)
        scores.update({name + score_suffix(split): value for name, value in computed.items()})
    return scores


def split_size(spec: dict, split: str, glue_dir=None) -> int:
    """How many examples of a split `prepare` keeps (all, or its subsample), read from the same
    source as `prepare(spec, ...)` without tokenizing anything."""
    if spec.get("custom") is not None:
        columns = read_custom(spec["task"], spec["custom"]).columns[split]
    else:
        columns = read_glue_split(
            get_task(spec["task"]), split, glue_folder(glue_dir, spec["source"])
        )[0]
    size = spec["train_size"] if split == "train" else spec["dev_size"]
    n_total = len(columns["label"])
    return n_total if size is None else min(n_total, size)


def load_tokenizer(model: str):
    """The tokenizer of a model a study names (`study.model.resolve_model`); one that cannot be
    loaded (no network, an unknown Hub id) is an error naming the model."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(resolve_model(model))
    except OSError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(
            f"model {model!r}: its tokenizer cannot be loaded ({reason}); a Hugging Face Hub id "
            "needs the network or a copy in the local cache, a folder needs its tokenizer files"
        ) from None


def joined_pairs(tokenizer, texts: list[list[str]]) -> list[list[str]]:
    """The text columns as the tokenizer takes them. Sentence pairs for a tokenizer without a
    separator token (a decoder's: GPT-2, Llama, Qwen, Mistral, ...) are joined into one text,
    `first + eos_token + second`, truncated from the end like any single text; a tokenizer with
    a separator token builds its own pair template."""
    if len(texts) != 2 or tokenizer.sep_token is not None or tokenizer.eos_token is None:
        return texts
    eos = tokenizer.eos_token
    return [[f"{first}{eos}{second}" for first, second in zip(*texts)]]


def prepare(
    spec: dict,
    out_dir: str | os.PathLike,
    glue_dir: str | os.PathLike | None = None,
    metric: str | None = None,
) -> dict:
    """Read, check, subsample and tokenize one task; write it to `out_dir`; return its meta.

    `spec` is the task's data spec (`study.trial.data_spec`): task, model, source, train_size,
    dev_size, subsample_seed, max_length, and for one's own data `custom` (its definition,
    `study.trial.custom_definition`) instead of a GLUE task. `glue_dir`: the local GLUE folder
    (None: $GLUE_DIR, else the Hub); `metric`: the study's headline metric, checked against the
    task's classes."""
    import datasets

    datasets.disable_progress_bars()
    task_name, model, custom = spec["task"], spec["model"], spec.get("custom")
    train_size, dev_size, max_length = spec["train_size"], spec["dev_size"], spec["max_length"]
    subsample_seed = spec["subsample_seed"]

    label_names = None
    if custom is not None:
        read = read_custom(task_name, custom)
        raw, files, label_names = read.columns, read.sources, read.label_names
        task = custom_task(task_name, custom, label_names)
    else:
        task = get_task(task_name)
        folder = glue_folder(glue_dir, spec["source"])
        raw, files = {}, {}
        for split in task.splits:
            raw[split], files[split] = read_glue_split(task, split, folder)
    if metric is not None and metric not in task.headline_metrics:
        raise DataError(
            f"metric {metric!r} does not apply to task {task_name!r} ({task.num_labels} classes); "
            f"its metrics: {', '.join(task.headline_metrics)}"
        )
    splits_of_task = task.splits

    # every dev split is subsampled to dev_size
    sizes = {"train": train_size, **{split: dev_size for split in task.dev_splits}}
    subsample = {}
    for split in splits_of_task:
        n_total = len(raw[split]["label"])
        # each split gets its own stream so that changing one size leaves the other subsample alone
        indices = subsample_indices(
            n_total, sizes[split], subsample_seed + splits_of_task.index(split)
        )
        raw[split] = _take(raw[split], indices)
        subsample[split] = {"total": n_total, "used": len(raw[split]["label"]), "indices": indices}

    tokenizer = load_tokenizer(model)

    def tokenize(batch):
        texts = joined_pairs(tokenizer, [batch[name] for name in task.text_fields])
        encoded = tokenizer(*texts, truncation=True, max_length=max_length)
        return {
            "input_ids": encoded["input_ids"],
            "token_type_ids": encoded.get(
                "token_type_ids", [[0] * len(x) for x in encoded["input_ids"]]
            ),
        }

    splits = datasets.DatasetDict(
        {
            split: datasets.Dataset.from_dict(raw[split]).map(
                tokenize, batched=True, batch_size=1000, desc=f"tokenizing {task.name} {split}"
            )
            for split in splits_of_task
        }
    )
    out_dir = Path(out_dir)
    splits.save_to_disk(str(out_dir))

    fingerprint = hashlib.sha256()
    for split in splits_of_task:
        columns = splits[split].to_dict()
        for name in ("input_ids", "token_type_ids", "label"):
            fingerprint.update(json.dumps(columns[name]).encode())
    meta = {
        "task": task.name,
        "model": model,
        "max_length": max_length,
        "source": files,
        "subsample_seed": subsample_seed,
        "subsample": subsample,
        "sizes": {split: len(raw[split]["label"]) for split in splits_of_task},
        "majority": baseline_scores(
            task, raw["train"]["label"], {s: raw[s]["label"] for s in task.dev_splits}
        ),
    }
    if task.is_regression:
        meta["baseline"] = {
            "prediction": "train mean",
            "value": float(np.mean(raw["train"]["label"])),
        }
    else:
        meta["label_counts"] = {
            split: {
                str(k): int(v) for k, v in zip(*np.unique(raw[split]["label"], return_counts=True))
            }
            for split in splits_of_task
        }
    meta["fingerprint"] = fingerprint.hexdigest()
    if label_names is not None:
        meta["label_names"] = list(label_names)
    if custom is not None:
        meta["task_type"] = task.kind
        meta["metrics"] = list(task.metrics)
        meta["custom"] = custom  # its files' SHA-256 among it: `prepared_is_current`
        meta["requested_sizes"] = {"train": train_size, "dev": dev_size}
    write_json_atomic(out_dir / "meta.json", meta)
    return meta


@dataclass
class Split:
    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def read_saved_split(folder: Path) -> dict:
    """One split written by `datasets.Dataset.save_to_disk`, read with pyarrow alone (memory-mapped
    Arrow stream files, in the order of its state.json): the `datasets` import costs ~1 s of every
    trial's start-up."""
    import pyarrow as pa

    state_path = folder / "state.json"
    if not state_path.is_file():
        raise DataError(
            f"{folder}: incomplete prepared data (no state.json); run prepare_data again"
        )
    with open(state_path) as handle:
        files = [entry["filename"] for entry in json.load(handle)["_data_files"]]
    tables = []
    for filename in files:
        with pa.memory_map(str(folder / filename)) as source:
            tables.append(pa.ipc.open_stream(source).read_all())
    return pa.concat_tables(tables).to_pydict()


@dataclass
class PreparedData:
    train: Split
    dev: Split
    meta: dict
    extra_dev: dict[str, Split] = field(
        default_factory=dict
    )  # further dev splits (MNLI: dev_mismatched)

    @property
    def dev_splits(self) -> dict[str, Split]:
        """Every dev split by name, `dev` first."""
        return {"dev": self.dev, **self.extra_dev}


def load_prepared(path: str | os.PathLike) -> PreparedData:
    """Load a folder written by `prepare()`; a clear error if it is missing or incomplete."""
    path = Path(path)
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise DataError(
            f"{path}: not a prepared data folder (no meta.json); run prepare_data first"
        )
    with open(meta_path) as handle:
        meta = json.load(handle)

    def to_split(name):
        columns = read_saved_split(path / name)
        return Split(columns["input_ids"], columns["token_type_ids"], np.asarray(columns["label"]))

    extra = {name: to_split(name) for name in meta["sizes"] if name not in SPLITS}
    return PreparedData(train=to_split("train"), dev=to_split("dev"), meta=meta, extra_dev=extra)


def prepared_fingerprint(data: str | os.PathLike | PreparedData) -> str | None:
    """The fingerprint of prepared data (a folder, or loaded), read from its meta; None if the
    folder has no meta.json."""
    if isinstance(data, PreparedData):
        return data.meta.get("fingerprint")
    meta_path = Path(data) / "meta.json"
    if not meta_path.is_file():
        return None
    with open(meta_path) as handle:
        return json.load(handle).get("fingerprint")


def prepared_is_current(folder: str | os.PathLike, spec: dict, glue_dir=None) -> bool:
    """Whether a prepared folder was made from the data spec as it is now, as far as its meta
    records it: the model, max_length, the subsample (seed and sizes), the source (the Hub or
    files; local GLUE files by path and SHA-256, in the folder `glue_dir` or $GLUE_DIR names
    now) and, for a task of one's own data, its definition with its files' SHA-256. A folder
    not there yet counts as current.

    The workflow gives a trial its prepared data as an `ancient` input only when it is current:
    Snakemake never looks at the parameters of a job below one that reruns through an ancient
    input, so a change that reruns prepare_data (a data file, max_length, a subsample size) must
    rerun the trials through their input, in the same run."""
    meta_path = Path(folder) / "meta.json"
    if not meta_path.is_file():
        return True
    with open(meta_path) as handle:
        meta = json.load(handle)
    if (meta.get("model"), meta.get("max_length"), meta.get("subsample_seed")) != (
        spec["model"],
        spec["max_length"],
        spec["subsample_seed"],
    ):
        return False
    if "custom" in spec:
        wanted = (spec["custom"], {"train": spec["train_size"], "dev": spec["dev_size"]})
        return json.loads(
            json.dumps((meta.get("custom"), meta.get("requested_sizes")))
        ) == json.loads(json.dumps(wanted))
    for split, recorded in meta.get("subsample", {}).items():
        size = spec["train_size"] if split == "train" else spec["dev_size"]
        if recorded["used"] != (
            recorded["total"] if size is None else min(size, recorded["total"])
        ):
            return False
    from_hub = all("hub" in source for source in meta.get("source", {}).values())
    if from_hub != (spec["source"] == "hub"):
        return False
    return from_hub or _same_files(meta.get("source", {}), source_files(spec, glue_dir))


def _same_files(recorded: dict, files: list[Path]) -> bool:
    """Whether the files recorded in a prepared folder's meta (path, SHA-256) are `files` now."""
    now = {str(path.resolve()): file_fingerprint(str(path)) for path in files}
    return {entry.get("path"): entry.get("sha256") for entry in recorded.values()} == now
