"""The seed grid of a study: per task every (init seed, order seed[, dropout seed][, adapter
seed]), and the file stem that names each trial.
"""

from __future__ import annotations

import copy
import re

from .schema import ConfigError

_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")
SEED_LIMIT = 2**63  # seeds are in [0, 2^63): torch.Generator.manual_seed and numpy take them


def seed_bounds(spec, key: str = "seeds") -> tuple[int, int, int]:
    """(count, smallest, largest) of a seed list or range, without expanding a range; a seed
    outside [0, 2^63) is an error naming the key and the seed."""
    if isinstance(spec, str):
        match = _RANGE.match(spec.strip())
        if not match:
            raise ConfigError(f"invalid config at `{key}`: {spec!r} is not a range like '1..25'")
        first, last = int(match.group(1)), int(match.group(2))
        if last < first:
            raise ConfigError(f"invalid config at `{key}`: empty range {spec!r} (last < first)")
        count = last - first + 1
    else:
        seeds = [int(s) for s in spec]
        count, first, last = len(seeds), min(seeds), max(seeds)
    for seed in (first, last):
        if not 0 <= seed < SEED_LIMIT:
            raise ConfigError(f"invalid config at `{key}`: seed {seed} is outside [0, 2^63)")
    return count, first, last


def parse_seeds(spec, key: str = "seeds") -> list[int]:
    """A seed list from a list of ints or a range "first..last" (inclusive)."""
    count, first, last = seed_bounds(spec, key)
    if isinstance(spec, str):
        return list(range(first, last + 1))
    seeds = [int(s) for s in spec]
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"invalid config at `{key}`: duplicate seeds in {spec}")
    return seeds


def task_training(config: dict, task: str) -> dict:
    """The study's training settings with the task's overrides applied."""
    merged = copy.deepcopy(config["training"])
    merged.update(config["tasks"][task].get("training", {}))
    return merged


def dropout_owner(training: dict) -> str:
    return training["dropout_seed"] if training["dropout_seed"] in ("order", "init") else "grid"


def dropout_seed_for(owner: str, init_seed: int, order_seed: int, dropout_seed: int | None) -> int:
    """The seed of the global RNG that draws dropout masks during training."""
    if owner == "order":
        return int(order_seed)
    if owner == "init":
        return int(init_seed)
    if owner == "grid":
        if dropout_seed is None:
            raise ValueError("dropout owner 'grid' needs a dropout seed")
        return int(dropout_seed)
    raise ValueError(f"dropout owner must be one of order, init, grid; got {owner!r}")


def adapter_owner(training: dict) -> str | None:
    """Who draws a LoRA trial's adapters: init, order or grid; None without adapters."""
    if training.get("method", "full") != "lora":
        return None
    spec = training.get("adapter_seed", "init")
    return spec if spec in ("init", "order") else "grid"


def adapter_seed_for(owner: str, init_seed: int, order_seed: int, adapter_seed: int | None) -> int:
    """The seed that draws the adapters (`training.adapters`)."""
    if owner == "grid" and adapter_seed is None:
        raise ValueError("adapter owner 'grid' needs an adapter seed")
    return int({"init": init_seed, "order": order_seed, "grid": adapter_seed}[owner])


def task_grid(config: dict, task: str) -> list[tuple]:
    """Every (init seed, order seed, dropout seed or None) of the task, init seed major: the
    crossed grid, or with `design: pairs` the k-th init seed with the k-th order seed; with an
    adapter-seed grid every (init, order, dropout or None, adapter seed)."""
    spec = config["tasks"][task]
    inits = parse_seeds(spec["init_seeds"], f"tasks.{task}.init_seeds")
    orders = parse_seeds(spec["order_seeds"], f"tasks.{task}.order_seeds")
    training = task_training(config, task)
    cells = [(i, o) for i in inits for o in orders]
    if spec.get("design", "grid") == "pairs":  # init seed k with order seed k
        if len(inits) != len(orders):
            raise ConfigError(
                f"invalid config at `tasks.{task}.design`: pairs needs init_seeds and order_seeds "
                f"of the same length (got {len(inits)} and {len(orders)})"
            )
        cells = list(zip(inits, orders))
    dropouts = [None]
    if dropout_owner(training) == "grid":
        dropouts = parse_seeds(training["dropout_seed"], f"tasks.{task}.training.dropout_seed")
    if adapter_owner(training) == "grid":
        adapters = parse_seeds(training["adapter_seed"], f"tasks.{task}.training.adapter_seed")
        return [(i, o, d, a) for i, o in cells for d in dropouts for a in adapters]
    return [(i, o, d) for i, o in cells for d in dropouts]


def grid_size(config: dict, task: str) -> int:
    """How many trials the task's grid has, without expanding it."""
    spec = config["tasks"][task]
    inits = seed_bounds(spec["init_seeds"], f"tasks.{task}.init_seeds")[0]
    orders = seed_bounds(spec["order_seeds"], f"tasks.{task}.order_seeds")[0]
    size = min(inits, orders) if spec.get("design", "grid") == "pairs" else inits * orders
    training = task_training(config, task)
    if dropout_owner(training) == "grid":
        size *= seed_bounds(training["dropout_seed"], f"tasks.{task}.training.dropout_seed")[0]
    if adapter_owner(training) == "grid":
        size *= seed_bounds(training["adapter_seed"], f"tasks.{task}.training.adapter_seed")[0]
    return size


def trials(config: dict) -> list[tuple[str, int, int, int | None]]:
    """Every trial of the study as (task, init seed, order seed, dropout seed or None)."""
    return [(task, *cell) for task in config["tasks"] for cell in task_grid(config, task)]


# The file stem of a trial, as a pattern whose fields are the trial rule's wildcards (`dropout`
# is empty, or `_dropout<seed>` with a dropout grid; `adapter` likewise `_adapter<seed>`). The
# only spelling of it.
TRIAL_STEM = "init{init_seed}_order{order_seed}{dropout}{adapter}"


def trial_stem(
    init_seed: int,
    order_seed: int,
    dropout_seed: int | None = None,
    adapter_seed: int | None = None,
) -> str:
    """The file stem of a trial: init3_order7, init3_order7_dropout2 with a dropout grid,
    init3_order7_adapter1 with an adapter-seed grid."""
    dropout = "" if dropout_seed is None else f"_dropout{dropout_seed}"
    adapter = "" if adapter_seed is None else f"_adapter{adapter_seed}"
    return TRIAL_STEM.format(
        init_seed=init_seed, order_seed=order_seed, dropout=dropout, adapter=adapter
    )
