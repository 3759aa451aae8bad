"""The study: what a config says and what follows from it, with no file or model read.

- `schema`: YAML reading, normalisation of scalars, the schema check (`ConfigError`);
- `checks`: what the schema cannot check (seed ranges, early stopping, own-data definitions);
- `grid`: the seed grid of each task and the file stem of each trial;
- `trial`: the trial config, everything that decides a trial's result, and its hash (what makes
  a trial rerun is written there);
- `recipes`: the variants of a study that run its grid;
- `model`: the model a study names, resolved to what transformers loads.

Loading and validating a config file, with the checks of the files it names, is
`seedstudy.preflight`. The names below are the study's public interface.
"""

from .checks import check, check_custom
from .grid import (
    TRIAL_STEM,
    adapter_owner,
    dropout_owner,
    dropout_seed_for,
    parse_seeds,
    task_grid,
    task_training,
    trial_stem,
    trials,
)
from .model import ModelError, resolve_model, slug
from .recipes import (
    DEFAULT_RECIPE,
    check_recipes,
    has_recipes,
    recipe_config,
    recipe_dir,
    recipe_names,
    recipe_trials,
)
from .schema import YAML_LOADER, ConfigError, normalize, precheck
from .trial import (
    TRIAL_TRAINING_KEYS,
    TRIAL_TRAINING_OPTIONAL,
    config_hash,
    custom_definition,
    data_spec,
    file_fingerprint,
    task_metric,
    task_of,
    trial_config,
    trial_name,
    trial_training,
)

__all__ = [
    "DEFAULT_RECIPE",
    "TRIAL_STEM",
    "TRIAL_TRAINING_KEYS",
    "TRIAL_TRAINING_OPTIONAL",
    "YAML_LOADER",
    "ConfigError",
    "ModelError",
    "check",
    "check_custom",
    "check_recipes",
    "config_hash",
    "custom_definition",
    "data_spec",
    "adapter_owner",
    "dropout_owner",
    "dropout_seed_for",
    "file_fingerprint",
    "has_recipes",
    "normalize",
    "parse_seeds",
    "precheck",
    "recipe_config",
    "recipe_dir",
    "recipe_names",
    "recipe_trials",
    "resolve_model",
    "slug",
    "task_grid",
    "task_metric",
    "task_of",
    "task_training",
    "trial_config",
    "trial_name",
    "trial_stem",
    "trial_training",
    "trials",
]
