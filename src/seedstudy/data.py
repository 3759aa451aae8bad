"""Task data: read (GLUE TSVs, the Hub, or one's own files: `custom_data`), check, subsample,
tokenize once, cache on disk.

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

from . import metrics
from .store import write_json_atomic
from .tasks import Task, custom_task, get_task, score_suffix

SPLITS = ("train", "dev")
HUB_DATASET = "nyu-mll/glue"


class DataError(ValueError):
    """Bad or missing input data; the message names the file and, where it applies, the line."""


# ------------------------------------------------------------------------------- locating data


def resolve_glue_dir(configured: str | os.PathLike | None) -> Path | None:
    """The local GLUE folder: the configured one, else $GLUE_DIR, else None (use the Hub)."""
    value = configured or os.environ.get("GLUE_DIR")
    return Path(value).expanduser() if value else None


def glue_file(glue_dir: Path, task: Task, split: str) -> Path:
    return Path(glue_dir) / task.glue_dir_name / task.glue_file_name(split)


def check_glue_files(glue_dir: Path, task: Task) -> None:
    """Fail early, naming the missing folder or file, before anything is computed."""
    glue_dir = Path(glue_dir)
    if not glue_dir.is_dir():
        raise DataError(
            f"GLUE folder {glue_dir} does not exist (set `data: glue_dir:` in the config or the "
            f"GLUE_DIR environment variable to a folder holding <TASK>/train.tsv and <TASK>/dev.tsv)"
        )
    for split in task.splits:
        path = glue_file(glue_dir, task, split)
        if not path.is_file():
            raise DataError(f"{path}: GLUE file for task {task.name!r} ({split} split) not found")


# ------------------------------------------------------------------------------ reading TSVs


def read_glue_tsv(path: str | os.PathLike, task: Task, split: str | None = None) -> dict[str, list]:
    """Read one split of the original GLUE TSV layout into columns {text fields..., label}.

    Reads without quote processing (some sentences contain `"`), checks the header (the split's
    own where a task's files differ: MNLI's dev files hold five annotator labels), the number of
    fields on every line, the labels and the encoding; every error names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path}: file is empty")
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    expected_header = task.header(split)
    n_fields = len(expected_header) if expected_header else max(task.tsv_columns.values()) + 1
    columns: dict[str, list] = {name: [] for name in (*task.text_fields, "label")}
    first_data_line = 1
    if expected_header is not None:
        header = _decode(lines[0], path, 1).lstrip("\ufeff").rstrip("\r").split("\t")
        if tuple(header) != expected_header:
            _raise_bad_header(path, header, expected_header)
        first_data_line = 2
    for lineno, line in enumerate(lines[first_data_line - 1 :], start=first_data_line):
        text = _decode(line, path, lineno).rstrip("\r")
        if lineno == 1:
            text = text.lstrip("\ufeff")
        fields = text.split("\t")
        if len(fields) != n_fields:
            hint = " (is the file tab-separated?)" if len(fields) == 1 else ""
            raise DataError(
                f"{path}, line {lineno}: expected {n_fields} tab-separated fields, "
                f"found {len(fields)}{hint}"
            )
        label_text = fields[task.tsv_columns["label"]].strip()
        if task.is_regression:
            columns["label"].append(_score(label_text, path, lineno, task))
        elif label_text not in task.tsv_labels:
            raise DataError(
                f"{path}, line {lineno}: label {label_text!r} is not one of "
                f"{sorted(task.tsv_labels)} for task {task.name!r}"
            )
        else:
            columns["label"].append(task.tsv_labels[label_text])
        for name in task.text_fields:
            columns[name].append(fields[task.tsv_columns[name]])
    if not columns["label"]:
        raise DataError(f"{path}: no examples after the header")
    return columns


def _score(text: str, path: Path, lineno: int, task: Task) -> float:
    """A regression label: a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value):
        raise DataError(f"{path}, line {lineno}: score {text!r} is not a finite number (task {task.name!r} is a regression)")
    return value


def _decode(line: bytes, path: Path, lineno: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}, line {lineno}: not valid UTF-8 (byte 0x{line[error.start]:02x} at column "
            f"{error.start + 1}); GLUE files are UTF-8"
        ) from None


def _raise_bad_header(path: Path, header: list[str], expected: tuple[str, ...]) -> None:
    if len(header) == 1 and ("," in header[0] or ";" in header[0]):
        raise DataError(
            f"{path}, line 1: header {header[0]!r} has no tab; GLUE files are tab-separated"
        )
    missing = [name for name in expected if name not in header]
    if missing:
        raise DataError(
            f"{path}, line 1: missing column(s) {missing}; expected header {list(expected)}, "
            f"found {header}"
        )
    raise DataError(
        f"{path}, line 1: expected header {list(expected)}, found {header}"
    )


def read_hub_split(task: Task, split: str) -> dict[str, list]:
    """One split from the Hugging Face Hub (`nyu-mll/glue`); needs network or a warm cache."""
    import datasets

    try:
        dataset = datasets.load_dataset(HUB_DATASET, task.hub_config, split=task.hub_split(split))
    except Exception as error:  # network, missing cache: say what to do instead
        raise DataError(
            f"could not load {HUB_DATASET}/{task.hub_config} ({split}) from the Hugging Face Hub: "
            f"{error}. Point `data: glue_dir:` or GLUE_DIR at a local copy of the GLUE TSVs."
        ) from error
    return {name: list(dataset[name]) for name in (*task.text_fields, "label")}


def read_glue_split(task: Task, split: str, local_dir: Path | None) -> tuple[dict[str, list], dict]:
    """One split of a GLUE task (the folder's TSV, or the Hub without one) and where it came from."""
    if local_dir is None:
        return read_hub_split(task, split), {"hub": f"{HUB_DATASET}/{task.hub_config}:{task.hub_split(split)}"}
    check_glue_files(local_dir, task)
    path = glue_file(local_dir, task, split)
    return read_glue_tsv(path, task, split), {"path": str(path.resolve()), "sha256": _sha256_file(path)}


# ----------------------------------------------------------------------------- subsampling


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


# ------------------------------------------------------------------------------- preparing


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def majority_scores(task: Task, labels) -> dict[str, float]:
    """Every metric of the task for the constant prediction of the most frequent dev label."""
    return metrics.compute(task.metrics, labels, metrics.majority_predictions(labels))


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


def _local_dir(glue_dir, source: str) -> Path | None:
    """The GLUE folder to read (None: the Hub); 'local' without one is an error."""
    local_dir = resolve_glue_dir(glue_dir) if source in ("auto", "local") else None
    if source == "local" and local_dir is None:
        raise DataError("data source is 'local' but neither `data: glue_dir:` nor GLUE_DIR is set")
    return local_dir


def split_size(task_name: str, split: str, glue_dir=None, source: str = "auto", size: int | None = None,
               custom: dict | None = None) -> int:
    """How many examples of a split `prepare` keeps (all, or its subsample of `size`), read from
    the same source without tokenizing anything (`custom`: one's own task's definition)."""
    if custom is not None:
        from .custom_data import read_custom

        columns = read_custom(task_name, custom).columns[split]
    else:
        columns = read_glue_split(get_task(task_name), split, _local_dir(glue_dir, source))[0]
    n_total = len(columns["label"])
    return n_total if size is None else min(n_total, size)


def prepare(
    task_name: str,
    model: str,
    out_dir: str | os.PathLike,
    glue_dir: str | os.PathLike | None = None,
    source: str = "auto",
    train_size: int | None = None,
    dev_size: int | None = None,
    subsample_seed: int = 0,
    max_length: int = 128,
    custom: dict | None = None,
    metric: str | None = None,
) -> dict:
    """Read, check, subsample and tokenize one task; write it to `out_dir`; return its meta.

    `custom`: one's own task's definition (`study.custom_definition`) instead of a GLUE task;
    `metric`: the study's headline metric, checked against the task's classes."""
    import datasets

    from .models import load_tokenizer

    datasets.disable_progress_bars()

    label_names = None
    if custom is not None:
        from .custom_data import read_custom

        read = read_custom(task_name, custom)
        raw, files, label_names = read.columns, read.sources, read.label_names
        task = custom_task(task_name, custom, label_names)
    else:
        task = get_task(task_name)
        local_dir = _local_dir(glue_dir, source)
        raw, files = {}, {}
        for split in task.splits:
            raw[split], files[split] = read_glue_split(task, split, local_dir)
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
        indices = subsample_indices(n_total, sizes[split], subsample_seed + splits_of_task.index(split))
        raw[split] = _take(raw[split], indices)
        subsample[split] = {"total": n_total, "used": len(raw[split]["label"]), "indices": indices}

    tokenizer = load_tokenizer(model)

    def tokenize(batch):
        texts = [batch[name] for name in task.text_fields]
        encoded = tokenizer(*texts, truncation=True, max_length=max_length)
        return {
            "input_ids": encoded["input_ids"],
            "token_type_ids": encoded.get("token_type_ids", [[0] * len(x) for x in encoded["input_ids"]]),
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
        "majority": baseline_scores(task, raw["train"]["label"], {s: raw[s]["label"] for s in task.dev_splits}),
    }
    if task.is_regression:
        meta["baseline"] = {"prediction": "train mean", "value": float(np.mean(raw["train"]["label"]))}
    else:
        meta["label_counts"] = {
            split: {str(k): int(v) for k, v in zip(*np.unique(raw[split]["label"], return_counts=True))}
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


# -------------------------------------------------------------------------------- loading


@dataclass
class Split:
    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def _read_saved_split(folder: Path) -> dict:
    """One split written by `datasets.Dataset.save_to_disk`, read with pyarrow alone (memory-mapped
    Arrow stream files, in the order of its state.json): the `datasets` import costs ~1 s of every
    trial's start-up."""
    import pyarrow as pa

    state_path = folder / "state.json"
    if not state_path.is_file():
        raise DataError(f"{folder}: incomplete prepared data (no state.json); run prepare_data again")
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
    extra_dev: dict[str, Split] = field(default_factory=dict)  # further dev splits (MNLI: dev_mismatched)

    @property
    def dev_splits(self) -> dict[str, Split]:
        """Every dev split by name, `dev` first."""
        return {"dev": self.dev, **self.extra_dev}


def load_prepared(path: str | os.PathLike) -> PreparedData:
    """Load a folder written by `prepare()`; a clear error if it is missing or incomplete."""
    path = Path(path)
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise DataError(f"{path}: not a prepared data folder (no meta.json); run prepare_data first")
    with open(meta_path) as handle:
        meta = json.load(handle)

    def to_split(name):
        columns = _read_saved_split(path / name)
        return Split(columns["input_ids"], columns["token_type_ids"], np.asarray(columns["label"]))

    extra = {name: to_split(name) for name in meta["sizes"] if name not in SPLITS}
    return PreparedData(train=to_split("train"), dev=to_split("dev"), meta=meta, extra_dev=extra)


def prepared_is_current(folder: str | os.PathLike, spec: dict) -> bool:
    """Whether a prepared folder was made from the data spec as it is now, as far as its meta
    records it: the model, max_length, the subsample (seed and sizes), the source (the Hub or
    files) and, for a task of one's own data, its definition with its files' SHA-256. A folder
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
            spec["model"], spec["max_length"], spec["subsample_seed"]):
        return False
    if "custom" in spec:
        wanted = (spec["custom"], {"train": spec["train_size"], "dev": spec["dev_size"]})
        return json.loads(json.dumps((meta.get("custom"), meta.get("requested_sizes")))) == json.loads(json.dumps(wanted))
    for split, recorded in meta.get("subsample", {}).items():
        size = spec["train_size"] if split == "train" else spec["dev_size"]
        if recorded["used"] != (recorded["total"] if size is None else min(size, recorded["total"])):
            return False
    from_hub = all("hub" in source for source in meta.get("source", {}).values())
    return from_hub == (spec["source"] == "hub")


def prepare_from_spec(spec: dict, out_dir, glue_dir=None, metric: str | None = None) -> dict:
    """`prepare` with a task's data spec (`study.data_spec`): the workflow's data rule and
    `seedstudy prepare` / `train` both call this (`metric`: the headline metric to check)."""
    return prepare(
        spec["task"], spec["model"], out_dir, glue_dir=glue_dir, source=spec["source"],
        train_size=spec["train_size"], dev_size=spec["dev_size"],
        subsample_seed=spec["subsample_seed"], max_length=spec["max_length"],
        custom=spec.get("custom"), metric=metric,
    )
