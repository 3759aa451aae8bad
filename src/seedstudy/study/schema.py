"""The schema of a study config: YAML reading, normalisation of scalars, and the schema check
with one short message naming the key.

The schema (`config.schema.yaml`, package data; `workflow/schemas/` links to it) also fills in
the defaults, through `snakemake.utils.validate` (`seedstudy.preflight.validate`).
"""

from __future__ import annotations

import difflib
import functools
import re
from importlib import resources

import yaml

from ..tasks import TASKS, is_custom

# the schema of a study config: package data
# (workflow/schemas/ links to it for the workflow's readers)
SCHEMA = resources.files("seedstudy.study") / "config.schema.yaml"


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


TASK_NAME = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
)  # a folder name and a Snakemake wildcard value


class ConfigError(ValueError):
    """An invalid configuration; the message names the key (and the file, when known)."""


# libyaml's loader where PyYAML has it
# (the same YAML, several times faster than the pure-Python one)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(YAML_LOADER):
    """YAML_LOADER that refuses a key repeated in one mapping (YAML keeps only the last),
    naming the key and its line."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} repeated (first on line {seen[key] + 1}; YAML would keep only "
                    "the last)",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    """The config schema, read once per process (callers do not modify it)."""
    return yaml.load(SCHEMA.read_text(encoding="utf-8"), Loader=YAML_LOADER)


def normalize(config, schema: dict | None = None):
    """Turn strings into the numbers and booleans the schema asks for.

    YAML 1.1 loads `lr: 2e-5` as a string, and Snakemake's `--config key={...}` loads every
    scalar inside a mapping as a string; a string stays a string where the schema allows one. A
    whole float where the schema asks for an integer (not a number) is that integer.
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
            children += [
                b["additionalProperties"]
                for b in branches
                if isinstance(b.get("additionalProperties"), dict)
                and key not in b.get("properties", {})
            ]
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
    if isinstance(value, float) and value.is_integer() and "integer" in types - {"number"}:
        return int(value)  # epochs: 1.0 is epochs: 1 (and its trials keep their config hash)
    if not isinstance(value, str):
        plain_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return (
            str(value) if plain_number and types == {"string"} else value
        )  # study: 2026 -> "2026"
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


def _key(path) -> str:
    """A config key as written in YAML terms: tasks.sst2.init_seeds[1]."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


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
        message = (
            f"recipe name {error.instance!r} is not a folder name (letters, digits, _ . -; "
            f"starting with a letter or digit; at most 64 characters)"
        )
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
        leaf
        for leaf in leaves(error)
        if not (
            leaf.validator in wrong_form and list(leaf.absolute_path) == list(error.absolute_path)
        )
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
                f"{where}invalid config at `tasks.{name}`: {name!r} is "
                "the GLUE task; give a task of your own data another name"
            )
        if name not in TASKS and not custom:
            close = difflib.get_close_matches(str(name), TASKS, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}invalid config at `tasks`: unknown task {name!r}{suggestion}; "
                f"known tasks: {', '.join(sorted(TASKS))}, "
                "or a task of your own with `data:` or `hub:`"
            )
        if custom and not TASK_NAME.match(str(name)):
            raise ConfigError(
                f"{where}invalid config at `tasks`: task name {name!r} must start with a letter or "
                f"digit and hold only letters, digits, '_' and '-' (it names folders)"
            )
