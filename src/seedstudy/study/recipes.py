"""Recipes: variants of a study (`recipes:` in its config) that run its seed grid with their own
model or training settings, each in a folder of its own.
"""

from __future__ import annotations

import copy

from .checks import check
from .grid import task_grid, trials
from .model import slug
from .schema import ConfigError
from .trial import config_hash, data_spec, trial_config

# The name of a study's one implicit recipe when it has no `recipes`
# (the `recipe` column of its tables)
DEFAULT_RECIPE = "default"


def has_recipes(config: dict) -> bool:
    return bool(config.get("recipes"))


def recipe_names(config: dict) -> list[str]:
    """The study's recipes in the order of the config; [DEFAULT_RECIPE] without `recipes`."""
    return list(config["recipes"]) if has_recipes(config) else [DEFAULT_RECIPE]


def recipe_dir(config: dict, recipe: str) -> str:
    """The folder prefix of a recipe's files: '' without `recipes` (every path as in a study of
    one recipe), else '<recipe>/' (results/trials/<recipe>/<task>/...)."""
    if not has_recipes(config):
        if recipe != DEFAULT_RECIPE:
            raise ValueError(f"the study has no recipes; got recipe {recipe!r}")
        return ""
    if recipe not in config["recipes"]:
        raise ValueError(f"unknown recipe {recipe!r}; recipes: {', '.join(config['recipes'])}")
    return f"{recipe}/"


def recipe_config(config: dict, recipe: str) -> dict:
    """The study as one recipe runs it: the recipe's `model`, and its `training` and per-task
    `training` applied over the study's training and each task's overrides. Without `recipes`,
    the study itself (as a copy)."""
    config = copy.deepcopy(config)
    recipes = config.pop("recipes", None) or {}
    if not recipes:
        recipe_dir(config, recipe)  # only the implicit recipe
        return config
    if recipe not in recipes:
        raise ValueError(f"unknown recipe {recipe!r}; recipes: {', '.join(recipes)}")
    overrides = recipes[recipe]
    if "model" in overrides:
        config["model"] = overrides["model"]
    for task, spec in config["tasks"].items():
        spec["training"] = {
            **spec.get("training", {}),
            **overrides.get("training", {}),
            **overrides.get("tasks", {}).get(task, {}).get("training", {}),
        }
        if not spec["training"]:
            del spec["training"]
    return config


def shared_cells(grid: list[tuple]) -> list[tuple]:
    """The (init, order, dropout) cells of a grid, in order: what every recipe shares (a LoRA
    recipe's adapter-seed grid holds several trials per cell)."""
    return list(dict.fromkeys(cell[:3] for cell in grid))


def check_recipes(config: dict, where: str = "", check_files: bool = True) -> None:
    """What the schema cannot check of `recipes`: tasks of the study, one seed grid per task for
    every recipe, no two recipes with the same trials, one prepared data set per (model, task),
    and every recipe a valid study (its model, its early-stopping settings)."""
    if not has_recipes(config):
        return
    recipes = config["recipes"]
    for name, overrides in recipes.items():
        for task in overrides.get("tasks", {}):
            if task not in config["tasks"]:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}.tasks.{task}`: {task!r} is not a "
                    f"task of the study ({', '.join(config['tasks'])})"
                )
    configs = {name: recipe_config(config, name) for name in recipes}
    for name, variant in configs.items():
        # every recipe is a study of its own: its training, early stopping (its model: preflight)
        check(variant, where=f"{where}recipe {name!r}: ", check_files=check_files)
    for task in config["tasks"]:
        grid = shared_cells(task_grid(config, task))
        seen: dict[str, str] = {}
        data: dict[str, tuple[str, dict]] = {}
        for name, variant in configs.items():
            cells = task_grid(variant, task)
            if shared_cells(cells) != grid:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}`: its training.dropout_seed changes "
                    f"the seed grid of task {task}; every recipe runs "
                    "on the same grid (init x order x dropout seeds; a LoRA recipe may add "
                    "adapter seeds)"
                )
            digest = config_hash(
                trial_config(variant, task, *cells[0])
            )  # the same cell for every recipe
            if digest in seen:
                raise ConfigError(
                    f"{where}invalid config at `recipes`: recipes {seen[digest]!r} and {name!r} "
                    f"have identical trial configs on task {task} (the "
                    "same trials twice); make them differ or drop one"
                )
            seen[digest] = name
            spec, folder = data_spec(variant, task), slug(variant["model"])
            if folder in data and data[folder][1] != spec:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}`: recipes {data[folder][0]!r} and "
                    f"{name!r} prepare task {task} with model {variant['model']} differently "
                    "(training.max_length); recipes of one model share "
                    f"its prepared data results/data/{folder}/{task}"
                )
            data.setdefault(folder, (name, spec))


def recipe_trials(config: dict) -> list[tuple[str, str, int, int, int | None]]:
    """Every trial of the study as (recipe, task, init seed, order seed, dropout seed or None[,
    adapter seed])."""
    return [
        (recipe, *trial)
        for recipe in recipe_names(config)
        for trial in trials(recipe_config(config, recipe))
    ]
