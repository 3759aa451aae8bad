"""One's own task data: read the train and dev tables (files, or a Hugging Face dataset), check
them, and map the labels to ids.

A task of one's own is defined in the study config (`tasks.<name>.data` or `.hub`, `text`,
`label`, `type`; `study.trial.custom_definition` normalizes it). Files are read by their suffix:
`.csv`, `.tsv`, `.json` (an array of records), `.jsonl` (one record per line) and `.parquet`; a
relative path is relative to the working directory. Every check runs before any training, on the
whole file, and its message names the file, the row (1-based, the header not counted) and the
column: a missing or empty file, a missing column, a missing (NaN) label, a regression label that is
not a number, a dev label that never occurs in train, and a text column empty (or missing) in more
than `max_empty_text` of its rows.

Classification labels (strings or integers) are mapped to ids in sorted order (integers
numerically, anything else as text); the prepared data records the label of each id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import REGRESSION
from ..store.atomic import sha256_file
from ..tasks import DATA_SUFFIXES
from . import DataError

SPLITS = ("train", "dev")
# a label cell holding one of these is missing (pandas' default NA strings); text stays as written
NA_STRINGS = {
    "",
    "nan",
    "NaN",
    "NAN",
    "-nan",
    "NA",
    "N/A",
    "n/a",
    "<NA>",
    "null",
    "NULL",
    "None",
    "#N/A",
}


@dataclass
class CustomData:
    columns: dict[str, dict[str, list]]  # split -> {text columns..., "label"}
    sources: dict[str, dict]  # split -> {"path", "sha256"} or {"hub"}
    label_names: list | None  # the label of each id (classification), None for a regression


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A data file as a table, by its suffix;
    a clear error for a missing, empty or unreadable file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        raise DataError(
            f"{path}: unknown file type {path.suffix!r}; use one of {', '.join(DATA_SUFFIXES)}"
        )
    if not path.is_file():
        raise DataError(
            f"{path}: file not found (a relative path is "
            f"relative to the working directory {Path.cwd()})"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    try:
        if suffix in (".csv", ".tsv"):
            # every cell as text: labels are converted below, texts stay as written ("007", "1e3")
            frame = pd.read_csv(
                path,
                sep="," if suffix == ".csv" else "\t",
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
            )
            frame = frame.replace("", np.nan)  # an empty cell is missing
        elif suffix == ".json":
            frame = pd.read_json(path, orient="records", dtype=False)
        elif suffix == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"{path}: cannot read it as {suffix[1:]} ({error})") from None
    if len(frame) == 0:
        raise DataError(
            f"{path}: file is empty "
            f"(no rows{' after the header' if suffix in ('.csv', '.tsv') else ''})"
        )
    return frame.reset_index(drop=True)


def read_hub(spec: dict, split: str) -> pd.DataFrame:
    """One split of a Hugging Face dataset (`hub: {path, name, train, dev}`) as a table."""
    import datasets

    try:
        dataset = datasets.load_dataset(spec["path"], spec.get("name"), split=spec[split])
    except Exception as error:  # network, missing cache, unknown split
        raise DataError(
            f"{hub_source(spec, split)}: could not load it from the Hugging Face Hub ({error})"
        ) from error
    return dataset.to_pandas()


def hub_source(spec: dict, split: str) -> str:
    name = f"/{spec['name']}" if spec.get("name") else ""
    return f"{spec['path']}{name}:{spec[split]}"


def _is_missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _missing_label_cell(value) -> bool:
    return _is_missing(value) or (isinstance(value, str) and value.strip() in NA_STRINGS)


def check_columns(frame: pd.DataFrame, where: str, definition: dict) -> None:
    for column in (*definition["text"], definition["label"]):
        if column not in frame.columns:
            raise DataError(
                f"{where}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})"
            )


def texts(frame: pd.DataFrame, where: str, column: str, max_empty: float) -> list[str]:
    """A text column as strings; missing or blank cells become "" unless there are too many."""
    values = frame[column].tolist()
    empty = [i for i, v in enumerate(values) if _is_missing(v) or not str(v).strip()]
    if len(empty) > max_empty * len(values):
        raise DataError(
            f"{where}, row {empty[0] + 1}, column {column!r}: text is empty; {len(empty)} of "
            f"{len(values)} rows ({100 * len(empty) / len(values):.1f}%) have an empty {column!r}, "
            f"more than the {100 * max_empty:g}% allowed (max_empty_text)"
        )
    blank = set(empty)
    return ["" if i in blank else str(v) for i, v in enumerate(values)]


def _missing_label(where: str, row: int, column: str):
    return DataError(f"{where}, row {row + 1}, column {column!r}: label is missing (empty or NaN)")


def regression_labels(frame: pd.DataFrame, where: str, column: str) -> list[float]:
    out = []
    for row, value in enumerate(frame[column].tolist()):
        if _missing_label_cell(value):
            raise _missing_label(where, row, column)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(
                f"{where}, row {row + 1}, column {column!r}: "
                f"{value!r} is not a number (type: regression)"
            ) from None
        if isinstance(value, bool) or not np.isfinite(number):
            raise DataError(
                f"{where}, row {row + 1}, column {column!r}: "
                f"{value!r} is not a finite number (type: regression)"
            )
        out.append(number)
    return out


def _as_class(value):
    """A class label as a sortable value: an integer (also "3", 3.0), else its text."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def _real_valued(value) -> bool:
    """A number with a fraction (1.5, "1.5", "2.5e-1"): not a class label."""
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(number)) and not number.is_integer()


def class_labels(frame: pd.DataFrame, where: str, column: str, spelled=None) -> list:
    """A label column as classes; `spelled` (label -> first spelling and where, shared between
    the splits) refuses two spellings of one class ("01" and "1")."""
    out, spelled = [], {} if spelled is None else spelled
    for row, value in enumerate(frame[column].tolist()):
        if _missing_label_cell(value):
            raise _missing_label(where, row, column)
        if not isinstance(value, (bool, np.bool_)) and _real_valued(value):
            raise DataError(
                f"{where}, row {row + 1}, column {column!r}: {value!r} is not a class label "
                f"(a real-valued label needs type: regression)"
            )
        label = _as_class(value)
        spelling = str(value).strip() if isinstance(value, str) else None
        first = spelled.setdefault(label, (spelling, f"{where}, row {row + 1}"))
        if spelling is not None and first[0] is not None and first[0] != spelling:
            raise DataError(
                f"{where}, row {row + 1}, column {column!r}: label {spelling!r} is the same "
                f"class as {first[0]!r} ({first[1]}); write each class one way"
            )
        out.append(label)
    kinds = {type(v) for v in out}
    if len(kinds) > 1:  # integers and text mixed: all as text
        out = [str(v) for v in out]
    return out


def label_order(values) -> list:
    """The labels in id order: sorted (integers numerically, text as text)."""
    return sorted(set(values))


def read_custom(task_name: str, definition: dict) -> CustomData:
    """Read and check the train and dev data of one's own task; labels mapped to ids."""
    text_columns, label = definition["text"], definition["label"]
    frames, sources, where = {}, {}, {}
    for split in SPLITS:
        if "hub" in definition:
            where[split] = f"Hub dataset {hub_source(definition['hub'], split)}"
            frames[split] = read_hub(definition["hub"], split)
            sources[split] = {"hub": hub_source(definition["hub"], split)}
        else:
            path = Path(definition["data"][split]["path"])
            where[split] = str(path)
            frames[split] = read_table(path)
            sources[split] = {"path": str(path.resolve()), "sha256": sha256_file(path)}
        check_columns(frames[split], where[split], definition)

    columns = {}
    for split in SPLITS:
        frame = frames[split]
        columns[split] = {
            name: texts(frame, where[split], name, definition["max_empty_text"])
            for name in text_columns
        }
    if definition["type"] == REGRESSION:
        for split in SPLITS:
            columns[split]["label"] = regression_labels(frames[split], where[split], label)
        if len(set(columns["dev"]["label"])) < 2:
            raise DataError(
                f"{where['dev']}, column {label!r}: every dev label is "
                f"{columns['dev']['label'][0]!r}; the correlations of a regression are undefined "
                "for constant labels"
            )
        return CustomData(columns, sources, None)

    spelled: dict = {}
    raw = {split: class_labels(frames[split], where[split], label, spelled) for split in SPLITS}
    if {type(v) for v in raw["train"]} != {
        type(v) for v in raw["dev"]
    }:  # "1" in one file, 1 in the other
        raw = {split: [str(v) for v in values] for split, values in raw.items()}
    names = label_order(raw["train"])
    if len(names) < 2:
        raise DataError(
            f"{where['train']}, column {label!r}: only one label ({names[0]!r}) in train; a "
            "classification needs two or more"
        )
    ids = {name: i for i, name in enumerate(names)}
    for row, value in enumerate(raw["dev"]):
        if value not in ids:
            raise DataError(
                f"{where['dev']}, row {row + 1}, column {label!r}: label {value!r} never occurs in "
                f"train ({where['train']}: {', '.join(map(repr, names))})"
            )
    for split in SPLITS:
        columns[split]["label"] = [ids[v] for v in raw[split]]
    return CustomData(columns, sources, names)
