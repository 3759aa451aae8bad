"""Recipes in the analyses and figures.

A study with several recipes (`recipes:` in its config, `seedstudy.study.recipe_config`) has one
aggregate with a `recipe` column. Every analysis runs once per recipe, on that recipe's rows
(`per_recipe`): its tables get a first column `recipe`, and its random draws are the same for
every recipe (common random numbers, as the seed grid is). Every figure draws all recipes on its
usual page, a recipe per facet (`facets`: the panel of a task becomes one panel per recipe,
labelled "SST-2 · paper"). A study of one recipe (also the implicit `default`): every analysis and
figure exactly as without recipes.
"""

from __future__ import annotations

import pandas as pd

from ..tasks import task_label

RECIPE = "recipe"
TASK_COLUMNS = (
    "task",
    "other_task",
    "task_a",
    "task_b",
)  # the columns that name a task in the analyses' tables


def recipes(table: pd.DataFrame) -> list[str]:
    """The recipes of a table in the order they appear ([] without a `recipe` column)."""
    return list(pd.unique(table[RECIPE])) if RECIPE in table else []


def several(table: pd.DataFrame) -> bool:
    return len(recipes(table)) > 1


def facet_label(task: str, recipe: str) -> str:
    """The panel title of a task's facet of one recipe: "SST-2 · paper"."""
    return f"{task_label(task)} · {recipe}"


def per_recipe(analysis, *tables, **kwargs):
    """`analysis(*tables, **kwargs)` once per recipe of the first table, each time on that
    recipe's rows of every table with a `recipe` column (other arguments as they are).

    What it returns is put together over the recipes: a table gets a first column `recipe`; a
    {task: value} dict (the tasks an analysis skipped and why) becomes {facet label: value}; a
    string (a caption's note) becomes "recipe: note; ..."; a tuple, element by element. With one
    recipe, the analysis's result as it is."""
    names = recipes(tables[0]) if tables and isinstance(tables[0], pd.DataFrame) else []
    if len(names) <= 1:
        return analysis(*tables, **kwargs)
    results = []
    for name in names:
        parts = [
            table[table[RECIPE] == name]
            if isinstance(table, pd.DataFrame) and RECIPE in table
            else table
            for table in tables
        ]
        results.append(analysis(*parts, **kwargs))
    return _combine(names, results)


def _combine(names: list[str], results: list):
    first = results[0]
    if isinstance(first, tuple):
        return tuple(_combine(names, [result[i] for result in results]) for i in range(len(first)))
    if isinstance(first, pd.DataFrame):
        frames = []
        for name, frame in zip(names, results):
            frame = frame.drop(columns=RECIPE, errors="ignore")
            frame.insert(0, RECIPE, name)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
    if isinstance(first, dict):
        return {
            facet_label(key, name): value
            for name, result in zip(names, results)
            for key, value in result.items()
        }
    if isinstance(first, str):
        return "; ".join(f"{name}: {result}" for name, result in zip(names, results) if result)
    raise TypeError(f"per_recipe cannot combine results of type {type(first).__name__}")


def facets(table: pd.DataFrame) -> pd.DataFrame:
    """A table for a figure: with several recipes, each task becomes one facet per recipe (its task
    columns hold the facet label, `facet_label`), so that the figure draws every recipe on its usual
    page; with one recipe, the table unchanged."""
    if not several(table):
        return table
    out = table.copy()
    for column in TASK_COLUMNS:
        if column in out:
            out[column] = [
                facet_label(task, recipe) for task, recipe in zip(out[column], out[RECIPE])
            ]
    return out


def model_of(study: dict, table: pd.DataFrame) -> str:
    """The model of the recipe of a table's rows (study.json's `models`), else the study's."""
    names = recipes(table)
    models = study.get("models") or {}
    return models.get(names[0], study["model"]) if len(names) == 1 else study["model"]
