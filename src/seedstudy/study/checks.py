"""What the schema cannot check of a study config: seed ranges, early-stopping settings, own-data
definitions, headline metrics. Every message names the key. The checks of the files a study
names (its model, its GLUE files) are `seedstudy.preflight`'s.
"""

from __future__ import annotations

from pathlib import Path

from ..metrics import CLASSIFICATION
from ..tasks import DATA_SUFFIXES, is_custom
from .grid import grid_size, task_grid, task_training
from .schema import ConfigError
from .trial import custom_definition, task_of

# column names of the prepared data besides the text columns
RESERVED_COLUMNS = ("label", "input_ids", "token_type_ids", "attention_mask")


def check(config: dict, where: str = "", check_files: bool = True) -> None:
    """What the schema cannot express; every message names the key. `check_files`: also check
    that one's own data files exist (their contents are read by `prepare_data`)."""
    check_size(config, where)
    for task in config["tasks"]:
        try:
            grid = task_grid(config, task)  # parses ranges and duplicate seeds
        except ConfigError as error:
            raise ConfigError(f"{where}{error}") from None
        training = task_training(config, task)
        spec = config["tasks"][task]
        check_adapter_seed(config, task, training, where)
        es = spec.get("early_stopping")
        if es:
            prefix = f"{where}invalid config at `tasks.{task}.early_stopping`"
            if es["keep"] >= es["start"]:
                raise ConfigError(
                    f"{prefix}: keep ({es['keep']}) must be smaller than start ({es['start']})"
                )
            if es["start"] > len(grid):
                raise ConfigError(
                    f"{prefix}: start ({es['start']}) exceeds the task's {len(grid)} trials "
                    f"(init_seeds x order_seeds)"
                )
            every = training.get("eval_every_steps")
            if every is None and training["evals_per_epoch"] * training["epochs"] < 2:
                raise ConfigError(
                    f"{prefix}: needs at least one evaluation between the start and the end of "
                    f"training (raise training.evals_per_epoch)"
                )
        if is_custom(spec):
            check_custom(config, task, where, check_files)
        metrics = task_of(config, task).headline_metrics
        if spec.get("metric") and spec["metric"] not in metrics:
            kind = f" (a {spec.get('type', CLASSIFICATION)} task)" if is_custom(spec) else ""
            raise ConfigError(
                f"{where}invalid config at `tasks.{task}.metric`: {spec['metric']!r} is not a "
                f"metric of {task}{kind} ({', '.join(metrics)})"
            )


def check_size(config: dict, where: str = "") -> None:
    """The study's trials (every task's grid, for every recipe) are at most
    `runtime.max_trials`, counted without expanding the grids."""
    try:
        per_task = {task: grid_size(config, task) for task in config["tasks"]}
    except ConfigError as error:
        raise ConfigError(f"{where}{error}") from None
    recipes = max(1, len(config.get("recipes") or {}))
    total = recipes * sum(per_task.values())
    limit = config["runtime"]["max_trials"]
    if total > limit:
        largest = max(per_task, key=per_task.get)
        times = f" x {recipes} recipes" if recipes > 1 else ""
        raise ConfigError(
            f"{where}invalid config at `tasks.{largest}`: the study has {total:,} trials "
            f"({per_task[largest]:,} in the grid of {largest}{times}), more than "
            f"runtime.max_trials ({limit:,}); raise `runtime.max_trials` if you mean it"
        )


def check_adapter_seed(config: dict, task: str, training: dict, where: str) -> None:
    """An adapter seed other than the default needs adapters (`method: lora`)."""
    if training.get("method", "full") != "lora" and training.get("adapter_seed", "init") != "init":
        key = "training" if "training" not in config["tasks"][task] else f"tasks.{task}.training"
        raise ConfigError(
            f"{where}invalid config at `{key}.adapter_seed`: {training['adapter_seed']!r} needs "
            f"LoRA adapters (`method: lora`; method is {training.get('method', 'full')!r})"
        )


def check_custom(config: dict, task: str, where: str, check_files: bool) -> None:
    """A task of one's own data: columns named, files of a known type (and present)."""
    entry = config["tasks"][task]
    key = f"{where}invalid config at `tasks.{task}"
    if "data" in entry and "hub" in entry:
        raise ConfigError(
            f"{key}`: give either `data:` (files) or `hub:` (a Hugging Face dataset), not both"
        )
    for name in ("text", "label"):
        if name not in entry:
            raise ConfigError(
                f"{key}`: a task of your own data needs `{name}:` (the column(s) of its "
                f"{'text' if name == 'text' else 'label'})"
            )
    definition = custom_definition(config, task)
    if definition["label"] in definition["text"]:
        raise ConfigError(f"{key}.label`: column {definition['label']!r} is also a text column")
    for column in definition["text"]:
        if column in RESERVED_COLUMNS:
            raise ConfigError(
                f"{key}.text`: a text column may not be named {column!r} (rename the column)"
            )
    if "data" in entry:
        for split in ("train", "dev"):
            if split not in entry["data"]:
                raise ConfigError(f"{key}.data`: no `{split}:` file")
            path = Path(str(entry["data"][split]))
            if path.suffix.lower() not in DATA_SUFFIXES:
                raise ConfigError(
                    f"{key}.data.{split}`: {str(path)!r} is not "
                    f"one of {', '.join(DATA_SUFFIXES)} (by suffix)"
                )
            if check_files and not path.is_file():
                raise ConfigError(
                    f"{key}.data.{split}`: file {str(path)!r} not found "
                    f"(relative to the working directory {Path.cwd()})"
                )
