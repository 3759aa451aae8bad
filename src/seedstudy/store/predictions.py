"""Per-example dev predictions: the file a trial writes beside its result (scored by
`seedstudy.analysis.per_example.scores`).

A trial's predictions are one array, one row per evaluation in the order of the trial's
`evaluations`, one column per dev example in the prepared data's order:

- `labels`: the predicted class id (int8, or int16 beyond 127 classes), or the predicted value
  (float32) for a regression task;
- `probabilities`: the softmax of the logits, float16, shape [evaluations, examples, classes]
  (a regression task stores its values as with `labels`).

The file is a plain `.npy` (numpy's format: a fixed header and the raw array), written atomically
before the trial result, so a result on disk always has its predictions; the same predictions give
the same bytes. It is not a declared output of the trial rule: a trial without predictions
(`training.store_predictions: none`) is not rerun for them, and the analyses that need
predictions say which trials lack them.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np

from .atomic import write_bytes_atomic

SUFFIX = ".predictions.npy"
KINDS = ("labels", "probabilities", "none")


def path_for(trial_path: str | os.PathLike) -> Path:
    """The predictions file of the trial result at `trial_path` (….json -> ….predictions.npy)."""
    trial_path = Path(trial_path)
    return trial_path.with_name(trial_path.name.removesuffix(".json") + SUFFIX)


def encode(rows: list[np.ndarray], kind: str, regression: bool = False) -> np.ndarray:
    """Stack the per-evaluation predictions of a trial into the stored array.

    `rows` holds, per evaluation, the logits [examples, classes] (or the values [examples] of a
    regression task)."""
    if kind not in KINDS or kind == "none":
        raise ValueError(f"predictions kind must be 'labels' or 'probabilities', not {kind!r}")
    if regression:
        return np.stack([np.asarray(r, dtype=np.float32).reshape(-1) for r in rows])
    logits = np.stack([np.asarray(r, dtype=np.float64) for r in rows])  # [evals, examples, classes]
    if kind == "labels":
        dtype = np.int8 if logits.shape[-1] <= 127 else np.int16
        return logits.argmax(-1).astype(dtype)
    shifted = logits - logits.max(-1, keepdims=True)
    probabilities = np.exp(shifted)
    probabilities /= probabilities.sum(-1, keepdims=True)
    return probabilities.astype(np.float16)


def to_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def describe(array: np.ndarray, data: bytes, kind: str) -> dict:
    """What the trial result records about its predictions file (kind, shape, hash; not its name,
    which is the result's own with SUFFIX: a result is a function of the trial config only)."""
    return {
        "kind": kind,
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def write(path: str | os.PathLike, array: np.ndarray, kind: str = "labels") -> dict:
    """Write the array atomically; return what the trial result records about it."""
    data = to_bytes(array)
    write_bytes_atomic(path, data)
    return describe(array, data, kind)


def read(path: str | os.PathLike, mmap: bool = True) -> np.ndarray:
    """A predictions file; an unreadable one (truncated, not .npy) is an error naming it."""
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, EOFError, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"{path}: predictions file is unreadable ({error}); delete it and its trial "
            f"result and rerun the workflow to recompute the trial"
        ) from None


def as_labels(array: np.ndarray) -> np.ndarray:
    """Predicted class ids of a stored array of either kind (values pass through for regression)."""
    array = np.asarray(array)
    return array.argmax(-1) if array.ndim == 3 else array


def check_shape(array: np.ndarray, n_evals: int, n_examples: int, path) -> None:
    if array.shape[0] != n_evals or array.shape[1] != n_examples:
        raise ValueError(
            f"{path}: predictions have shape {tuple(array.shape)}, expected {n_evals} evaluations "
            f"x {n_examples} dev examples; the trial and its predictions do not belong together "
            f"(recompute: rm {path} and the trial result beside it)"
        )
