"""GLUE data: read (local TSVs or the Hub), check, subsample, tokenize once, cache on disk.

A prepared task is a folder written by `prepare()`: the tokenized train and dev splits as a
`datasets.DatasetDict` (Arrow files) plus `meta.json` recording where the data came from, the
subsample, the majority-class scores and a fingerprint of the tokenized content.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import metrics
from .store import write_json_atomic
from .tasks import Task, get_task

SPLITS = ("train", "dev")
HUB_DATASET = "nyu-mll/glue"
HUB_SPLIT = {"train": "train", "dev": "validation"}


class DataError(ValueError):
    """Bad or missing input data; the message names the file and, where it applies, the line."""


# ------------------------------------------------------------------------------- locating data


def resolve_glue_dir(configured: str | os.PathLike | None) -> Path | None:
    """The local GLUE folder: the configured one, else $GLUE_DIR, else None (use the Hub)."""
    value = configured or os.environ.get("GLUE_DIR")
    return Path(value).expanduser() if value else None


def glue_file(glue_dir: Path, task: Task, split: str) -> Path:
    return Path(glue_dir) / task.glue_dir_name / f"{split}.tsv"


def check_glue_files(glue_dir: Path, task: Task) -> None:
    """Fail early, naming the missing folder or file, before anything is computed."""
    glue_dir = Path(glue_dir)
    if not glue_dir.is_dir():
        raise DataError(
            f"GLUE folder {glue_dir} does not exist (set `data: glue_dir:` in the config or the "
            f"GLUE_DIR environment variable to a folder holding <TASK>/train.tsv and <TASK>/dev.tsv)"
        )
    for split in SPLITS:
        path = glue_file(glue_dir, task, split)
        if not path.is_file():
            raise DataError(f"{path}: GLUE file for task {task.name!r} ({split} split) not found")


# ------------------------------------------------------------------------------ reading TSVs


def read_glue_tsv(path: str | os.PathLike, task: Task) -> dict[str, list]:
    """Read one split of the original GLUE TSV layout into columns {text fields..., label}.

    Reads without quote processing (some sentences contain `"`), checks the header, the number
    of fields on every line, the labels and the encoding; every error names the file and line.
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
    n_fields = len(task.tsv_header) if task.tsv_header else max(task.tsv_columns.values()) + 1
    columns: dict[str, list] = {name: [] for name in (*task.text_fields, "label")}
    first_data_line = 1
    if task.tsv_header is not None:
        header = _decode(lines[0], path, 1).lstrip("\ufeff").rstrip("\r").split("\t")
        if tuple(header) != task.tsv_header:
            _raise_bad_header(path, header, task)
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
        if label_text not in task.tsv_labels:
            raise DataError(
                f"{path}, line {lineno}: label {label_text!r} is not one of "
                f"{sorted(task.tsv_labels)} for task {task.name!r}"
            )
        columns["label"].append(task.tsv_labels[label_text])
        for name in task.text_fields:
            columns[name].append(fields[task.tsv_columns[name]])
    if not columns["label"]:
        raise DataError(f"{path}: no examples after the header")
    return columns


def _decode(line: bytes, path: Path, lineno: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}, line {lineno}: not valid UTF-8 (byte 0x{line[error.start]:02x} at column "
            f"{error.start + 1}); GLUE files are UTF-8"
        ) from None


def _raise_bad_header(path: Path, header: list[str], task: Task) -> None:
    if len(header) == 1 and ("," in header[0] or ";" in header[0]):
        raise DataError(
            f"{path}, line 1: header {header[0]!r} has no tab; GLUE files are tab-separated"
        )
    missing = [name for name in task.tsv_header if name not in header]
    if missing:
        raise DataError(
            f"{path}, line 1: missing column(s) {missing}; expected header {list(task.tsv_header)}, "
            f"found {header}"
        )
    raise DataError(
        f"{path}, line 1: expected header {list(task.tsv_header)}, found {header}"
    )


def read_hub_split(task: Task, split: str) -> dict[str, list]:
    """One split from the Hugging Face Hub (`nyu-mll/glue`); needs network or a warm cache."""
    import datasets

    try:
        dataset = datasets.load_dataset(HUB_DATASET, task.hub_config, split=HUB_SPLIT[split])
    except Exception as error:  # network, missing cache: say what to do instead
        raise DataError(
            f"could not load {HUB_DATASET}/{task.hub_config} ({split}) from the Hugging Face Hub: "
            f"{error}. Point `data: glue_dir:` or GLUE_DIR at a local copy of the GLUE TSVs."
        ) from error
    return {name: list(dataset[name]) for name in (*task.text_fields, "label")}


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


def _local_dir(glue_dir, source: str) -> Path | None:
    """The GLUE folder to read (None: the Hub); 'local' without one is an error."""
    local_dir = resolve_glue_dir(glue_dir) if source in ("auto", "local") else None
    if source == "local" and local_dir is None:
        raise DataError("data source is 'local' but neither `data: glue_dir:` nor GLUE_DIR is set")
    return local_dir


def split_size(task_name: str, split: str, glue_dir=None, source: str = "auto", size: int | None = None) -> int:
    """How many examples of a split `prepare` keeps (all, or its subsample of `size`), read from
    the same source without tokenizing anything."""
    task = get_task(task_name)
    local_dir = _local_dir(glue_dir, source)
    columns = read_glue_tsv(glue_file(local_dir, task, split), task) if local_dir else read_hub_split(task, split)
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
) -> dict:
    """Read, check, subsample and tokenize one task; write it to `out_dir`; return its meta."""
    import datasets

    from .models import load_tokenizer

    datasets.disable_progress_bars()

    task = get_task(task_name)
    local_dir = _local_dir(glue_dir, source)
    raw, files = {}, {}
    for split in SPLITS:
        if local_dir is not None:
            check_glue_files(local_dir, task)
            path = glue_file(local_dir, task, split)
            raw[split] = read_glue_tsv(path, task)
            files[split] = {"path": str(path.resolve()), "sha256": _sha256_file(path)}
        else:
            raw[split] = read_hub_split(task, split)
            files[split] = {"hub": f"{HUB_DATASET}/{task.hub_config}:{HUB_SPLIT[split]}"}

    sizes = {"train": train_size, "dev": dev_size}
    subsample = {}
    for split in SPLITS:
        n_total = len(raw[split]["label"])
        # each split gets its own stream so that changing one size leaves the other subsample alone
        indices = subsample_indices(n_total, sizes[split], subsample_seed + SPLITS.index(split))
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
            for split in SPLITS
        }
    )
    out_dir = Path(out_dir)
    splits.save_to_disk(str(out_dir))

    fingerprint = hashlib.sha256()
    for split in SPLITS:
        columns = splits[split].to_dict()
        for name in ("input_ids", "token_type_ids", "label"):
            fingerprint.update(json.dumps(columns[name]).encode())
    dev_labels = raw["dev"]["label"]
    meta = {
        "task": task.name,
        "model": model,
        "max_length": max_length,
        "source": files,
        "subsample_seed": subsample_seed,
        "subsample": subsample,
        "sizes": {split: len(raw[split]["label"]) for split in SPLITS},
        "majority": majority_scores(task, dev_labels),
        "label_counts": {
            split: {str(k): int(v) for k, v in zip(*np.unique(raw[split]["label"], return_counts=True))}
            for split in SPLITS
        },
        "fingerprint": fingerprint.hexdigest(),
    }
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

    return PreparedData(train=to_split("train"), dev=to_split("dev"), meta=meta)


def prepare_from_spec(spec: dict, out_dir, glue_dir=None) -> dict:
    """`prepare` with a task's data spec (`config.data_spec`): the workflow's data rule and
    `seedstudy prepare` / `train` both call this."""
    return prepare(
        spec["task"], spec["model"], out_dir, glue_dir=glue_dir, source=spec["source"],
        train_size=spec["train_size"], dev_size=spec["dev_size"],
        subsample_seed=spec["subsample_seed"], max_length=spec["max_length"],
    )
