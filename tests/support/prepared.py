"""Prepared GLUE data for the tests, from keyword arguments instead of a study's data spec."""

from __future__ import annotations

from seedstudy.data.prepare import prepare


def glue_spec(
    task: str,
    model: str,
    source: str = "auto",
    train_size: int | None = None,
    dev_size: int | None = None,
    subsample_seed: int = 0,
    max_length: int = 128,
) -> dict:
    """The data spec of a GLUE task (`seedstudy.study.trial.data_spec` of a study)."""
    return {
        "task": task,
        "model": model,
        "source": source,
        "train_size": train_size,
        "dev_size": dev_size,
        "subsample_seed": subsample_seed,
        "max_length": max_length,
    }


def prepare_glue(
    task: str, model: str, out_dir, glue_dir=None, metric: str | None = None, **spec
) -> dict:
    """`prepare` of a GLUE task's spec (`glue_spec`'s keywords)."""
    return prepare(glue_spec(task, model, **spec), out_dir, glue_dir=glue_dir, metric=metric)
