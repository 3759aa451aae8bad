"""GLUE data: the original TSVs of a local folder (`data.glue_dir` or $GLUE_DIR), or the Hugging
Face Hub (`nyu-mll/glue`) without one. Every error names the file and, where it applies, the line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..store.atomic import sha256_file
from ..tasks import Task, get_task
from . import DataError

HUB_DATASET = "nyu-mll/glue"


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
            "GLUE_DIR environment variable to a folder holding <TASK>/train.tsv and <TASK>/dev.tsv)"
        )
    for split in task.splits:
        path = glue_file(glue_dir, task, split)
        if not path.is_file():
            raise DataError(f"{path}: GLUE file for task {task.name!r} ({split} split) not found")


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
    while lines and not lines[-1].strip():  # blank lines at the end of the file
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
            value = fields[task.tsv_columns[name]]
            if not value.strip():
                raise DataError(
                    f"{path}, line {lineno}: field {name!r} is empty (a GLUE example needs its "
                    "text)"
                )
            columns[name].append(value)
    if not columns["label"]:
        raise DataError(f"{path}: no examples after the header")
    if split == "train" and not task.is_regression and len(set(columns["label"])) < 2:
        raise DataError(
            f"{path}: only one label in the train split; a classification needs two or more"
        )
    return columns


def _score(text: str, path: Path, lineno: int, task: Task) -> float:
    """A regression label: a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not np.isfinite(value):
        raise DataError(
            f"{path}, line {lineno}: score {text!r} is not a "
            f"finite number (task {task.name!r} is a regression)"
        )
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
    raise DataError(f"{path}, line 1: expected header {list(expected)}, found {header}")


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
    """One split of a GLUE task (the folder's TSV, or the Hub without one)
    and where it came from."""
    if local_dir is None:
        return read_hub_split(task, split), {
            "hub": f"{HUB_DATASET}/{task.hub_config}:{task.hub_split(split)}"
        }
    check_glue_files(local_dir, task)
    path = glue_file(local_dir, task, split)
    return read_glue_tsv(path, task, split), {
        "path": str(path.resolve()),
        "sha256": sha256_file(path),
    }


def source_files(spec: dict, glue_dir=None) -> list[Path]:
    """The local GLUE files that the data spec of a GLUE task is prepared from (none for the Hub
    or one's own data, whose files are in the spec with their SHA-256)."""
    if spec.get("custom") is not None:
        return []
    local_dir = glue_folder(glue_dir, spec["source"])
    if local_dir is None:
        return []
    task = get_task(spec["task"])
    return [glue_file(local_dir, task, split) for split in task.splits]


def glue_folder(glue_dir, source: str) -> Path | None:
    """The GLUE folder to read (None: the Hub); 'local' without one is an error."""
    local_dir = resolve_glue_dir(glue_dir) if source in ("auto", "local") else None
    if source == "local" and local_dir is None:
        raise DataError("data source is 'local' but neither `data: glue_dir:` nor GLUE_DIR is set")
    return local_dir
