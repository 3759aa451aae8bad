"""Everything checked before any job runs: a study config (schema, defaults, what the schema
cannot check), every recipe of it, the model each names and the GLUE files it reads.

`load()` and `validate()` are what the Snakefile and the command line call: one clear message
naming the key (or file) at fault, before anything is computed.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import yaml

from .data import DataError
from .data.glue import check_glue_files, resolve_glue_dir
from .study import (
    ConfigError,
    check,
    check_recipes,
    has_recipes,
    precheck,
    recipe_config,
    recipe_names,
    task_training,
)
from .study.model import ModelError
from .study.schema import SCHEMA, YAML_LOADER
from .study.trial import trial_training
from .tasks import get_task, is_custom
from .training.models import check_lora, check_model, check_reinit


def load(path: str | os.PathLike, check_files: bool = True) -> dict:
    """Read a YAML config file and validate it (defaults filled in); `check_files=False` skips
    the checks of the model folder and GLUE files."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.load(handle, Loader=YAML_LOADER)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: a config file must be a mapping of keys at the top level")
    return validate(config, source=str(path), check_files=check_files)


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
    for task in config["tasks"]:
        training = task_training(config, task)
        key = "training" if "training" not in config["tasks"][task] else f"tasks.{task}.training"
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
