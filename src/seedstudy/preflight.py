"""Everything checked before any job runs: a study config (schema, defaults, what the schema
cannot check), every recipe of it, the model each names and the GLUE files it reads.

`load()` and `validate()` are what the Snakefile and the command line call: one clear message
naming the key (or file) at fault, before anything is computed.
"""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path

import yaml

from .data import DataError
from .data.glue import check_glue_files, resolve_glue_dir
from .store.trials import config_differences, read_trial, stored_config_hash
from .study import (
    ConfigError,
    check,
    check_recipes,
    config_hash,
    has_recipes,
    precheck,
    recipe_config,
    recipe_dir,
    recipe_names,
    task_grid,
    task_training,
    trial_config,
    trial_stem,
)
from .study.model import ModelError, looks_like_path, resolve_model
from .study.schema import SCHEMA, UniqueKeyLoader
from .study.trial import trial_training
from .tasks import get_task, is_custom
from .training.models import check_lora, check_model, check_reinit


def load(path: str | os.PathLike, check_files: bool = True) -> dict:
    """Read a YAML config file and validate it (defaults filled in); `check_files=False` skips
    the checks of the model folder and GLUE files."""
    path = Path(path)
    return validate(read_yaml(path), source=str(path), check_files=check_files)


def read_yaml(path: str | os.PathLike) -> dict:
    """A config file's mapping; an error naming the file for a missing file, invalid YAML, a
    repeated key or a top level that is not a mapping."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.load(handle, Loader=UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys at the top level")
    return config


def validate(config: dict, source: str | None = None, check_files: bool = True) -> dict:
    """Validate `config` in place (and return it): schema, defaults, the study's semantics, its
    recipes, then (`check_files`) the model of the study and of each recipe, and its GLUE files."""
    from snakemake.utils import validate as snakemake_validate

    precheck(config, source)
    with resources.as_file(SCHEMA) as schema_path:
        snakemake_validate(config, str(schema_path))  # fills in the defaults
    where = f"{source}: " if source else ""
    if check_files:
        check_model_of(config, where)
    check(config, where=where, check_files=check_files)
    if check_files:
        check_glue(config, where)
        for name in recipe_names(config) if has_recipes(config) else ():
            check_model_of(recipe_config(config, name), where=f"{where}recipe {name!r}: ")
    check_recipes(config, where=where, check_files=check_files)
    return config


def check_model_of(config: dict, where: str = "") -> None:
    """The study's model runs as a sequence classifier here, and its re-initialisation settings
    fit its structure."""
    try:
        check_model(config["model"])  # the folder, the config, a classification head, a tokenizer
    except (ModelError, ImportError) as error:
        raise ConfigError(f"{where}invalid config at `model`: {error}") from None
    positions = model_positions(config["model"])
    for task in config["tasks"]:
        training = task_training(config, task)
        key = "training" if "training" not in config["tasks"][task] else f"tasks.{task}.training"
        if positions is not None and training["max_length"] > positions:
            raise ConfigError(
                f"{where}invalid config at `{key}.max_length`: "
                f"{training['max_length']} is more than the {positions} positions of model "
                f"{config['model']!r}"
            )
        if training["method"] == "lora":
            try:
                check_lora(config["model"], trial_training(training)["lora"])
            except ModelError as error:
                raise ConfigError(f"{where}invalid config at `{key}.lora`: {error}") from None
        if training["reinit_layers"] or training["reinit_pooler"]:
            try:
                check_reinit(config["model"], training["reinit_layers"], training["reinit_pooler"])
            except ModelError as error:
                raise ConfigError(f"{where}invalid config at `{key}`: {error}") from None


# models whose position ids start after the padding index (`padding_idx + 1`): two positions fewer
POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2, "camembert": 2, "longformer": 2}


def model_positions(name: str) -> int | None:
    """How many tokens the model's position embeddings hold, from its config.json (a folder, the
    packaged model or the local Hub cache); None where it is not known without the network."""
    path = Path(resolve_model(name)) / "config.json"
    if not path.is_file():
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(name, "config.json") if not looks_like_path(name) else None
        if not isinstance(cached, str):
            if os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0") and not looks_like_path(
                name
            ):
                raise ConfigError(
                    f"invalid config at `model`: {name!r} is not in the local Hugging Face cache "
                    f"and HF_HUB_OFFLINE is set (download it first: `hf download {name}`)"
                )
            return None
        path = Path(cached)
    config = json.loads(path.read_text(encoding="utf-8"))
    positions = config.get("max_position_embeddings") or config.get("n_positions")
    if not isinstance(positions, int):
        return None
    return positions - POSITION_OFFSET.get(config.get("model_type"), 0)


def check_glue(config: dict, where: str = "") -> None:
    """The GLUE folder and the files of every GLUE task of the study exist."""
    source = config["data"]["source"]
    glue_dir = resolve_glue_dir(config["data"]["glue_dir"])
    if source == "local" and glue_dir is None:
        raise ConfigError(
            f"{where}invalid config at `data.source`: 'local' needs `data.glue_dir` or GLUE_DIR"
        )
    if source == "hub" or glue_dir is None:
        return
    for task in config["tasks"]:
        if is_custom(config["tasks"][task]):
            continue
        try:
            check_glue_files(glue_dir, get_task(task))
        except DataError as error:
            key = "data.glue_dir" if config["data"]["glue_dir"] else "GLUE_DIR"
            raise ConfigError(f"{where}invalid config at `{key}`: {error}") from None


def stale_trials(config: dict, root: str | os.PathLike = ".") -> dict[str, list[str]]:
    """The trial files of the study's grid under `root` that are not the trial the current
    config asks for their cell: {path: the keys that differ, `key: stored -> current`; for an
    unreadable file, its error}."""
    stale = {}
    for recipe in recipe_names(config):
        variant = recipe_config(config, recipe)
        for task in config["tasks"]:
            folder = Path(root) / "results" / "trials" / f"{recipe_dir(config, recipe)}{task}"
            present = {path.name for path in folder.glob("*.json")} if folder.is_dir() else set()
            for cell in task_grid(variant, task) if present else ():
                path = folder / f"{trial_stem(*cell)}.json"
                if path.name not in present:
                    continue
                expected = trial_config(variant, task, *cell)
                if stored_config_hash(path) == config_hash(expected):
                    continue
                try:
                    stale[str(path)] = config_differences(read_trial(path)["config"], expected)
                except (ValueError, KeyError) as error:
                    stale[str(path)] = [f"unreadable: {error}"]
    return stale


def replaced_trials(stale: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of `stale_trials`, those trained with another config: a key differs other than the seeds
    (a trial copied under another cell's name) and the SHA-256 of data files (new data); an
    unreadable file is not a trial of another config (the aggregation names it)."""
    return {
        path: differences
        for path, differences in stale.items()
        if any(
            " -> " in key
            and not key.startswith(("seeds.", "unreadable:"))
            and not key.split(":")[0].endswith(".sha256")
            for key in differences
        )
    }


def check_replaced_trials(config: dict, stale: dict[str, list[str]]) -> None:
    """Stop before any job when the study would replace more finished trials than
    `runtime.replace_trials` allows (false: none; true: any; a number: up to that many) by trials
    of another config (`stale_trials`), saying how many, the keys that changed, and how to go
    on."""
    allowed = config["runtime"]["replace_trials"]
    replaced = replaced_trials(stale)
    if allowed is True or len(replaced) <= int(allowed):
        return
    keys = {
        key: None for found in replaced.values() for key in found if not key.startswith("seeds.")
    }
    per_folder: dict[str, int] = {}
    for path in replaced:
        folder = str(Path(path).parent)
        per_folder[folder] = per_folder.get(folder, 0) + 1
    counts = ", ".join(f"{n} in {folder}" for folder, n in per_folder.items())
    raise ConfigError(
        f"this run would replace {len(replaced)} finished trial(s) by trials of another config "
        f"({counts}); changed: {'; '.join(list(keys)[:8])}. Nothing was run. To keep them, run "
        "the changed study in a results folder of its own (`snakemake -d <folder> --configfile "
        "<study>`); to replace them, set `runtime.replace_trials: true` (a number: replace up to "
        "that many). Completed trials stay restorable: switching back to their config restores "
        "them instead of training them again."
    )


def check_cluster_commands(executor: str) -> None:
    """Before any job: the SLURM executor (`--profile slurm`) submits and watches jobs with
    `sbatch` and `sacct`, which must be on this machine's PATH (a SLURM login node)."""
    if executor != "slurm":
        return
    missing = [command for command in ("sbatch", "sacct") if shutil.which(command) is None]
    if missing:
        raise ConfigError(
            f"the SLURM executor (--profile slurm) needs {' and '.join(missing)}, not found on "
            "this machine's PATH: run it on a SLURM login node, or run the study here without "
            "--profile slurm"
        )
