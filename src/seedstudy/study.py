"""The study configuration: validation (schema + checks), seed grids and per-trial configs.

`validate()` is what the Snakefile and the command line call before anything runs: it gives one
clear message naming the key (or file) at fault, fills in the schema's defaults through
`snakemake.utils.validate`, then checks what a schema cannot (seed ranges, model folders, GLUE
files, early-stopping settings).

`trial_config()` is everything that decides a trial's result and nothing else; its hash is stored
in every trial and checkpoint, and it is the trial rule's only parameter, so that changing an
analysis never reruns a trial and changing a hyperparameter reruns exactly the affected trials.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import os
import re
from importlib import resources
from pathlib import Path

import yaml

from .metrics import CLASSIFICATION
from .tasks import TASKS, Task, custom_task, get_task, is_custom

# the schema of a study config: package data (workflow/schemas/ links to it for the workflow's readers)
SCHEMA = resources.files("seedstudy") / "config.schema.yaml"
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")
TASK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # a folder name and a Snakemake wildcard value
# column names of the prepared data besides the text columns
RESERVED_COLUMNS = ("label", "input_ids", "token_type_ids", "attention_mask")


class ConfigError(ValueError):
    """An invalid configuration; the message names the key (and the file, when known)."""


# ---------------------------------------------------------------------------------- loading


def normalize(config, schema: dict | None = None):
    """Turn strings into the numbers and booleans the schema asks for.

    YAML 1.1 loads `lr: 2e-5` as a string, and Snakemake's `--config key={...}` loads every
    scalar inside a mapping as a string; a string stays a string where the schema allows one.
    """
    schema = schema or _schema()
    return _coerce(config, schema, schema)


def _resolve(node: dict, root: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node if isinstance(node, dict) else {}


def _branches(node: dict, root: dict) -> list[dict]:
    """The node and every schema it is combined with (allOf, oneOf, anyOf), resolved."""
    node = _resolve(node, root)
    found = [node]
    for key in ("allOf", "oneOf", "anyOf"):
        for child in node.get(key, []):
            found += _branches(child, root)
    return found


def _coerce(value, node: dict, root: dict):
    branches = _branches(node, root)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            children = [b["properties"][key] for b in branches if key in b.get("properties", {})]
            children += [b["additionalProperties"] for b in branches
                         if isinstance(b.get("additionalProperties"), dict) and key not in b.get("properties", {})]
            out[key] = _coerce(item, {"allOf": children}, root) if children else item
        return out
    if isinstance(value, list):
        items = [b["items"] for b in branches if isinstance(b.get("items"), dict)]
        return [_coerce(item, {"allOf": items}, root) if items else item for item in value]
    types = set()
    for branch in branches:
        kind = branch.get("type")
        types.update([kind] if isinstance(kind, str) else kind or [])
        types.update(type(e).__name__ for e in branch.get("enum", []))
    if not isinstance(value, str):
        plain_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return str(value) if plain_number and types == {"string"} else value  # study: 2026 -> "2026"
    if "string" in types or "str" in types:
        return value
    text = value.strip()
    if "integer" in types and re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if "number" in types and _NUMBER.match(text):
        return float(text) if not re.fullmatch(r"[-+]?\d+", text) else int(text)
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "null" in types and text.lower() in ("null", "~", ""):
        return None
    return value


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


# libyaml's loader where PyYAML has it (the same YAML, several times faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    """The config schema, read once per process (callers do not modify it)."""
    return yaml.load(SCHEMA.read_text(encoding="utf-8"), Loader=YAML_LOADER)


def _key(path) -> str:
    """A config key as written in YAML terms: tasks.sst2.init_seeds[1]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def validate(config: dict, source: str | None = None, check_files: bool = True) -> dict:
    """Validate `config` in place (and return it): schema, defaults, then semantic checks."""
    from snakemake.utils import validate as snakemake_validate

    precheck(config, source)
    with resources.as_file(SCHEMA) as schema_path:
        snakemake_validate(config, str(schema_path))  # fills in the defaults
    where = f"{source}: " if source else ""
    check(config, where=where, check_files=check_files)
    check_recipes(config, where=where, check_files=check_files)
    return config


def precheck(config: dict, source: str | None = None) -> None:
    """Normalize numbers, then check against the schema with one short message naming the key."""
    import jsonschema

    where = f"{source}: " if source else ""
    normalized = normalize(config)
    config.clear()
    config.update(normalized)
    _check_task_names(config, where)
    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is None:
        return
    while error.parent is not None:  # best_match dives into oneOf: judge the value as a whole
        error = error.parent
    path, message = error.absolute_path, error.message
    if error.validator in ("oneOf", "anyOf"):
        path, message = _explain_alternatives(error)
    elif "propertyNames" in error.schema_path and list(path) == ["recipes"]:
        message = (f"recipe name {error.instance!r} is not a folder name (letters, digits, _ . -; "
                   f"starting with a letter or digit; at most 64 characters)")
    elif error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        message += f"; allowed keys here: {', '.join(allowed)}"
    raise ConfigError(f"{where}invalid config at `{_key(path)}`: {message}")


def _explain_alternatives(error):
    """A value that fits none of several forms: the specific problem if one form nearly fits
    (a duplicate seed in a list, a negative item), else the forms that are accepted."""
    import jsonschema

    def leaves(e):
        return [leaf for child in e.context for leaf in leaves(child)] if e.context else [e]

    wrong_form = ("type", "enum", "pattern", "const")
    specific = [
        leaf for leaf in leaves(error)
        if not (leaf.validator in wrong_form and list(leaf.absolute_path) == list(error.absolute_path))
    ]
    hint = error.schema.get("description", "").strip() if isinstance(error.schema, dict) else ""
    suffix = f" ({hint})" if hint else ""
    if specific:
        best = jsonschema.exceptions.best_match(specific)
        return best.absolute_path, best.message + suffix
    return error.absolute_path, f"{error.instance!r} is not valid here{suffix}"


def _check_task_names(config: dict, where: str) -> None:
    """A GLUE task's name, or any folder-safe name for a task with its own `data:` or `hub:`."""
    tasks = config.get("tasks")
    if not isinstance(tasks, dict):
        return
    for name, entry in tasks.items():
        custom = isinstance(entry, dict) and is_custom(entry)
        if name in TASKS and custom:
            raise ConfigError(
                f"{where}invalid config at `tasks.{name}`: {name!r} is the GLUE task; give a task of "
                f"your own data another name"
            )
        if name not in TASKS and not custom:
            close = difflib.get_close_matches(str(name), TASKS, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}invalid config at `tasks`: unknown task {name!r}{suggestion}; "
                f"known tasks: {', '.join(sorted(TASKS))}, or a task of your own with `data:` or `hub:`"
            )
        if custom and not TASK_NAME.match(str(name)):
            raise ConfigError(
                f"{where}invalid config at `tasks`: task name {name!r} must start with a letter or "
                f"digit and hold only letters, digits, '_' and '-' (it names folders)"
            )


# ------------------------------------------------------------------------------------ seeds


def parse_seeds(spec, key: str = "seeds") -> list[int]:
    """A seed list from a list of ints or a range "first..last" (inclusive)."""
    if isinstance(spec, str):
        match = _RANGE.match(spec.strip())
        if not match:
            raise ConfigError(f"invalid config at `{key}`: {spec!r} is not a range like '1..25'")
        first, last = int(match.group(1)), int(match.group(2))
        if last < first:
            raise ConfigError(f"invalid config at `{key}`: empty range {spec!r} (last < first)")
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


def task_grid(config: dict, task: str) -> list[tuple[int, int, int | None]]:
    """Every (init seed, order seed, dropout seed or None) of the task, init seed major."""
    spec = config["tasks"][task]
    inits = parse_seeds(spec["init_seeds"], f"tasks.{task}.init_seeds")
    orders = parse_seeds(spec["order_seeds"], f"tasks.{task}.order_seeds")
    training = task_training(config, task)
    if dropout_owner(training) == "grid":
        dropouts = parse_seeds(training["dropout_seed"], f"tasks.{task}.training.dropout_seed")
        return [(i, o, d) for i in inits for o in orders for d in dropouts]
    return [(i, o, None) for i in inits for o in orders]


def task_metric(config: dict, task: str) -> str:
    return config["tasks"][task].get("metric") or task_of(config, task).default_metric


def task_of(config: dict, task: str) -> Task:
    """The task of a study: a GLUE task, or one of its own data (classes not yet known)."""
    entry = config["tasks"][task]
    return custom_task(task, custom_definition(config, task)) if is_custom(entry) else get_task(task)


@functools.lru_cache(maxsize=256)
def _fingerprint(path: str, mtime_ns: int, size: int) -> str:
    from .custom_data import sha256_file

    return sha256_file(path)


def file_fingerprint(path: str) -> str | None:
    """SHA-256 of a data file (cached per path, modification time and size); None if missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _fingerprint(os.path.abspath(path), stat.st_mtime_ns, stat.st_size)


def custom_definition(config: dict, task: str) -> dict:
    """What defines a task of one's own data: its type, text and label columns, the empty-text
    share allowed, and its files with their SHA-256 (changing a file reruns the task) or its Hub
    dataset. Part of the task's data spec, so of its prepared data and trial configs."""
    entry = config["tasks"][task]
    text = entry.get("text")
    definition = {
        "type": entry.get("type", CLASSIFICATION),
        "text": [text] if isinstance(text, str) else list(text or []),
        "label": entry.get("label"),
        "max_empty_text": entry.get("max_empty_text", 0.0),
    }
    if "hub" in entry:
        definition["hub"] = {key: entry["hub"].get(key) for key in ("path", "name", "train", "dev")}
    else:
        definition["data"] = {
            split: {"path": str(entry["data"][split]), "sha256": file_fingerprint(str(entry["data"][split]))}
            for split in ("train", "dev") if split in entry["data"]
        }
    return definition


def data_spec(config: dict, task: str) -> dict:
    """What decides the prepared (tokenized) data of a task."""
    spec = config["tasks"][task]
    if is_custom(spec):
        return {
            "task": task,
            "model": config["model"],
            "source": "hub" if "hub" in spec else "files",
            "train_size": spec.get("train_size"),
            "dev_size": spec.get("dev_size"),
            "subsample_seed": config["data"]["subsample_seed"],
            "max_length": task_training(config, task)["max_length"],
            "custom": custom_definition(config, task),
        }
    source = config["data"]["source"]
    if source == "auto":
        source = "local" if (config["data"]["glue_dir"] or os.environ.get("GLUE_DIR")) else "hub"
    return {
        "task": task,
        "model": config["model"],
        "source": source,
        "train_size": spec.get("train_size"),
        "dev_size": spec.get("dev_size"),
        "subsample_seed": config["data"]["subsample_seed"],
        "max_length": task_training(config, task)["max_length"],
    }


TRIAL_TRAINING_KEYS = (
    "epochs", "batch_size", "lr", "warmup_fraction", "weight_decay", "max_grad_norm", "optimizer",
    "adam_beta1", "adam_beta2", "adam_eps", "bertadam_eps", "evals_per_epoch", "eval_batch_size",
    "precision", "packing",
)
# Keys added after trials were run: in the trial config (and its hash) only when they differ from
# these defaults, so that the trials of a study that does not use them keep their hashes.
TRIAL_TRAINING_OPTIONAL = {"schedule": "linear", "eval_every_steps": None, "reinit_layers": 0, "reinit_pooler": False,
                           "store_predictions": "labels"}


def trial_config(config: dict, task: str, init_seed: int, order_seed: int, dropout_seed: int | None = None) -> dict:
    """Everything that decides the result of one trial, and nothing else."""
    training = task_training(config, task)
    owner = dropout_owner(training)
    return {
        "task": task,
        "model": config["model"],
        "metric": task_metric(config, task),
        "data": data_spec(config, task),
        "training": trial_training(training),
        "seeds": {
            "init": int(init_seed),
            "order": int(order_seed),
            "dropout_owner": owner,
            "dropout": dropout_seed_for(owner, init_seed, order_seed, dropout_seed),
        },
    }


def trial_training(training: dict) -> dict:
    """The training settings of a trial config; optional keys only where not at their default."""
    out = {key: training[key] for key in TRIAL_TRAINING_KEYS}
    for key, default in TRIAL_TRAINING_OPTIONAL.items():
        value = training.get(key, default)
        if value != default:
            out[key] = value
    return out


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


# The file stem of a trial, as a pattern whose fields are the trial rule's wildcards (`dropout`
# is empty, or `_dropout<seed>` with a dropout grid). The only spelling of it.
TRIAL_STEM = "init{init_seed}_order{order_seed}{dropout}"


def trial_stem(init_seed: int, order_seed: int, dropout_seed: int | None = None) -> str:
    """The file stem of a trial: init3_order7, or init3_order7_dropout2 with a dropout grid."""
    dropout = "" if dropout_seed is None else f"_dropout{dropout_seed}"
    return TRIAL_STEM.format(init_seed=init_seed, order_seed=order_seed, dropout=dropout)


def trial_name(trial: dict) -> str:
    """`task/stem` of a trial config, as in results/trials/<task>/<stem>.json."""
    seeds = trial["seeds"]
    dropout = seeds["dropout"] if seeds["dropout_owner"] == "grid" else None
    return f"{trial['task']}/{trial_stem(seeds['init'], seeds['order'], dropout)}"


def config_hash(trial: dict) -> str:
    """A short stable hash of a trial config (canonical JSON, SHA-256)."""
    canonical = json.dumps(trial, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------- checks


def check(config: dict, where: str = "", check_files: bool = True) -> None:
    """What the schema cannot express; every message names the key."""
    from .models import ModelError, check_model, check_reinit

    if check_files:
        try:
            check_model(config["model"])  # the folder, the config, a classification head, a tokenizer
        except (ModelError, ImportError) as error:
            raise ConfigError(f"{where}invalid config at `model`: {error}") from None
        for task in config["tasks"]:
            training = task_training(config, task)
            if training["reinit_layers"] or training["reinit_pooler"]:
                key = "training" if "training" not in config["tasks"][task] else f"tasks.{task}.training"
                try:
                    check_reinit(config["model"], training["reinit_layers"], training["reinit_pooler"])
                except ModelError as error:
                    raise ConfigError(f"{where}invalid config at `{key}`: {error}") from None

    for task in config["tasks"]:
        try:
            grid = task_grid(config, task)  # parses ranges and duplicate seeds
        except ConfigError as error:
            raise ConfigError(f"{where}{error}") from None
        training = task_training(config, task)
        spec = config["tasks"][task]
        es = spec.get("early_stopping")
        if es:
            prefix = f"{where}invalid config at `tasks.{task}.early_stopping`"
            if es["keep"] >= es["start"]:
                raise ConfigError(f"{prefix}: keep ({es['keep']}) must be smaller than start ({es['start']})")
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
                f"{where}invalid config at `tasks.{task}.metric`: {spec['metric']!r} is not a metric "
                f"of {task}{kind} ({', '.join(metrics)})"
            )

    if check_files:
        from .data import DataError, check_glue_files, resolve_glue_dir

        source = config["data"]["source"]
        glue_dir = resolve_glue_dir(config["data"]["glue_dir"])
        if source == "local" and glue_dir is None:
            raise ConfigError(
                f"{where}invalid config at `data.source`: 'local' needs `data.glue_dir` or GLUE_DIR"
            )
        if source != "hub" and glue_dir is not None:
            for task in config["tasks"]:
                if is_custom(config["tasks"][task]):
                    continue
                try:
                    check_glue_files(glue_dir, get_task(task))
                except DataError as error:
                    key = "data.glue_dir" if config["data"]["glue_dir"] else "GLUE_DIR"
                    raise ConfigError(f"{where}invalid config at `{key}`: {error}") from None


def check_custom(config: dict, task: str, where: str, check_files: bool) -> None:
    """A task of one's own data: columns named, files of a known type (and present)."""
    from .custom_data import SUFFIXES

    entry = config["tasks"][task]
    key = f"{where}invalid config at `tasks.{task}"
    if "data" in entry and "hub" in entry:
        raise ConfigError(f"{key}`: give either `data:` (files) or `hub:` (a Hugging Face dataset), not both")
    for name in ("text", "label"):
        if name not in entry:
            raise ConfigError(f"{key}`: a task of your own data needs `{name}:` (the column(s) of its "
                              f"{'text' if name == 'text' else 'label'})")
    definition = custom_definition(config, task)
    if definition["label"] in definition["text"]:
        raise ConfigError(f"{key}.label`: column {definition['label']!r} is also a text column")
    for column in definition["text"]:
        if column in RESERVED_COLUMNS:
            raise ConfigError(f"{key}.text`: a text column may not be named {column!r} (rename the column)")
    if "data" in entry:
        for split in ("train", "dev"):
            if split not in entry["data"]:
                raise ConfigError(f"{key}.data`: no `{split}:` file")
            path = Path(str(entry["data"][split]))
            if path.suffix.lower() not in SUFFIXES:
                raise ConfigError(f"{key}.data.{split}`: {str(path)!r} is not one of {', '.join(SUFFIXES)} (by suffix)")
            if check_files and not path.is_file():
                raise ConfigError(
                    f"{key}.data.{split}`: file {str(path)!r} not found (relative to the working directory {Path.cwd()})"
                )


def trials(config: dict) -> list[tuple[str, int, int, int | None]]:
    """Every trial of the study as (task, init seed, order seed, dropout seed or None)."""
    return [(task, *cell) for task in config["tasks"] for cell in task_grid(config, task)]


# ---------------------------------------------------------------------------------- recipes

# The name of a study's one implicit recipe when it has no `recipes` (the `recipe` column of its tables)
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


def check_recipes(config: dict, where: str = "", check_files: bool = True) -> None:
    """What the schema cannot check of `recipes`: tasks of the study, one seed grid per task for
    every recipe, no two recipes with the same trials, one prepared data set per (model, task),
    and every recipe a valid study (its model, its early-stopping settings)."""
    from .models import slug

    if not has_recipes(config):
        return
    recipes = config["recipes"]
    for name, overrides in recipes.items():
        for task in overrides.get("tasks", {}):
            if task not in config["tasks"]:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}.tasks.{task}`: {task!r} is not a task of the "
                    f"study ({', '.join(config['tasks'])})"
                )
    configs = {name: recipe_config(config, name) for name in recipes}
    for name, variant in configs.items():
        # every recipe is a study of its own: its model, its training with that model, early stopping
        check(variant, where=f"{where}recipe {name!r}: ", check_files=check_files)
    for task in config["tasks"]:
        grid = task_grid(config, task)
        seen: dict[str, str] = {}
        data: dict[str, tuple[str, dict]] = {}
        for name, variant in configs.items():
            if task_grid(variant, task) != grid:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}`: its training.dropout_seed changes the seed "
                    f"grid of task {task}; every recipe runs on the same grid (init x order x dropout seeds)"
                )
            digest = config_hash(trial_config(variant, task, *grid[0]))  # the same cell for every recipe
            if digest in seen:
                raise ConfigError(
                    f"{where}invalid config at `recipes`: recipes {seen[digest]!r} and {name!r} have identical "
                    f"trial configs on task {task} (the same trials twice); make them differ or drop one"
                )
            seen[digest] = name
            spec, folder = data_spec(variant, task), slug(variant["model"])
            if folder in data and data[folder][1] != spec:
                raise ConfigError(
                    f"{where}invalid config at `recipes.{name}`: recipes {data[folder][0]!r} and {name!r} prepare "
                    f"task {task} with model {variant['model']} differently (training.max_length); recipes of "
                    f"one model share its prepared data results/data/{folder}/{task}"
                )
            data.setdefault(folder, (name, spec))


def recipe_trials(config: dict) -> list[tuple[str, str, int, int, int | None]]:
    """Every trial of the study as (recipe, task, init seed, order seed, dropout seed or None)."""
    return [(recipe, *trial) for recipe in recipe_names(config) for trial in trials(config)]
