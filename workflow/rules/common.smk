# Config validation, the study's trials, and the input functions of the rules.
import functools
import hashlib
import json
import os
import re
import sys
import uuid
from pathlib import Path

# The library lives in src/: importable here and in every job (also in a conda environment of
# envs/, which holds only the dependencies), whether or not the package is installed.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))
# one id per snakemake invocation, inherited by its jobs (also through sbatch --export=ALL): a
# trial that failed deterministically is not trained again by a retry of the same run
# (seedstudy.training.failures)
if not (workflow.remote_exec or workflow.subprocess_exec) or "SEEDSTUDY_RUN" not in os.environ:
    os.environ.update(SEEDSTUDY_RUN=uuid.uuid4().hex)

from snakemake.exceptions import WorkflowError
from snakemake.io import is_flagged

from seedstudy import preflight, study
from seedstudy.data.glue import source_files
from seedstudy.data.prepare import prepared_is_current
from seedstudy.study.model import slug

# Validate the config before anything runs (seedstudy.preflight.validate: the schema with its defaults
# filled in, then what a schema cannot check: model folder, GLUE files, seed ranges, early-stopping
# settings), with a clear message naming the key or file at fault.
try:
    for configfile in workflow.config_settings.configfiles:
        preflight.read_yaml(configfile)  # a repeated key, which Snakemake's reading drops
    preflight.validate(config)
except (study.ConfigError, ValueError) as error:
    raise WorkflowError(f"invalid configuration: {error}") from None
# finished trials are replaced by trials of another config only deliberately
# (runtime.replace_trials); checked once, by the main process, before any job; not for the
# commands that run no job (`--unlock` after a killed run is given without that run's --config)
NO_JOBS = {"--unlock", "--cleanup-metadata", "--cm", "--lint", "--list-rules", "--list", "-l"}
if not (workflow.remote_exec or workflow.subprocess_exec or NO_JOBS.intersection(sys.argv)):
    try:
        preflight.check_replaced_trials(config, preflight.stale_trials(config))
    except study.ConfigError as error:
        raise WorkflowError(str(error)) from None


TASKS = list(config["tasks"])
CHECKPOINT_DIR = config["runtime"]["checkpoint_dir"]
TRIAL_STEM = study.TRIAL_STEM
# Recipes (`recipes:`): each runs the study's grid with its overrides (study.recipe_config), its
# files under a folder of its own: the `recipe_dir` wildcard is '<recipe>/' (results/trials/
# <recipe>/<task>/...), or '' in a study without recipes, whose paths are those of one recipe.
RECIPES = study.recipe_names(config)
RECIPE_CONFIGS = {recipe: study.recipe_config(config, recipe) for recipe in RECIPES}
RECIPE_DIRS = {recipe: study.recipe_dir(config, recipe) for recipe in RECIPES}
RECIPE_OF_DIR = {folder: recipe for recipe, folder in RECIPE_DIRS.items()}
# the prepared data of each model (a recipe may override `model`): results/data/<slug>/<task>
MODELS = {slug(c["model"]): recipe for recipe, c in reversed(list(RECIPE_CONFIGS.items()))}
# the study's model (of its first recipe, when recipes override it): rules that read the prepared
# data of a task for what every recipe shares (its dev examples and labels) read this one
MODEL = slug(RECIPE_CONFIGS[RECIPES[0]]["model"])


wildcard_constraints:
    task="|".join(TASKS),
    recipe_dir="(?:{})".format("|".join(re.escape(folder) for folder in RECIPE_DIRS.values())),
    model="|".join(re.escape(model) for model in MODELS),
    init_seed=r"\d+",
    order_seed=r"\d+",
    dropout=r"(_dropout\d+)?",
    adapter=r"(_adapter\d+)?",


def recipe_config(wildcards):
    """The study as the recipe of a job's `recipe_dir` runs it."""
    return RECIPE_CONFIGS[RECIPE_OF_DIR[wildcards.recipe_dir]]


def recipe_paths(pattern, **wildcards):
    """`pattern` for every recipe (its `recipe_dir`), other wildcards filled in."""
    return [pattern.format(recipe_dir=folder, **wildcards) for folder in RECIPE_DIRS.values()]


def early_stopping(task):
    """The task's live early-stopping settings, or None."""
    return config["tasks"][task].get("early_stopping")


def data_dir(wildcards):
    return f"results/data/{slug(recipe_config(wildcards)['model'])}/{wildcards.task}"


def data_spec(wildcards):
    """The prepared data of a (model, task): every recipe of the model prepares it alike
    (study.check_recipes)."""
    return study.data_spec(RECIPE_CONFIGS[MODELS[wildcards.model]], wildcards.task)


def grid_stems(task, recipe_dir=""):
    """File stems of every trial of the task of a recipe (the first `start` when early stopping is
    on); every recipe runs the same grid (a LoRA recipe may add adapter seeds)."""
    variant = RECIPE_CONFIGS[RECIPE_OF_DIR[recipe_dir]]
    stems = [study.trial_stem(*cell) for cell in study.task_grid(variant, task)]
    es = early_stopping(task)
    return stems[: es["start"]] if es else stems


def stem(wildcards):
    """The trial file stem of a trial job's wildcards."""
    return TRIAL_STEM.format(**wildcards)


def trial_config(wildcards):
    """The trial rule's only parameter: everything that decides the trial's result."""
    dropout = int(wildcards.dropout[len("_dropout") :]) if wildcards.dropout else None
    variant = recipe_config(wildcards)
    if (dropout is None) != (
        study.dropout_owner(study.task_training(variant, wildcards.task)) != "grid"
    ):
        raise WorkflowError(
            f"trial {wildcards.recipe_dir}{wildcards.task}/{stem(wildcards)}: "
            f"a dropout seed belongs in the file name exactly when training.dropout_seed is a seed grid"
        )
    adapter = int(wildcards.adapter[len("_adapter") :]) if wildcards.adapter else None
    if (adapter is None) != (
        study.adapter_owner(study.task_training(variant, wildcards.task)) != "grid"
    ):
        raise WorkflowError(
            f"trial {wildcards.recipe_dir}{wildcards.task}/{stem(wildcards)}: "
            f"an adapter seed belongs in the file name exactly when training.adapter_seed is a seed grid"
        )
    cell = (int(wildcards.init_seed), int(wildcards.order_seed), dropout)
    if (cell if adapter is None else (*cell, adapter)) not in grid_cells(
        wildcards.recipe_dir, wildcards.task
    ):
        raise WorkflowError(
            f"trial {wildcards.recipe_dir}{wildcards.task}/{stem(wildcards)} is not in the "
            f"study's grid (tasks.{wildcards.task}.init_seeds, order_seeds)"
        )
    return study.trial_config(variant, wildcards.task, *cell, adapter)


@functools.cache
def grid_cells(recipe_dir, task):
    """The (init, order, dropout[, adapter]) cells of a recipe's grid of the task."""
    return set(study.task_grid(RECIPE_CONFIGS[RECIPE_OF_DIR[recipe_dir]], task))


def checkpoint_path(wildcards):
    return os.path.join(
        CHECKPOINT_DIR, f"{wildcards.recipe_dir}{wildcards.task}", f"{stem(wildcards)}.pt"
    )


@functools.lru_cache(maxsize=None)
def data_is_current(folder, task, meta_stamp):
    """seedstudy.data.prepared_is_current, once per folder and state of its meta.json (a DAG of
    2,100 trials asked it 4,200 times)."""
    return prepared_is_current(folder, study.data_spec(config, task), config["data"]["glue_dir"])


def trial_data(wildcards):
    """A trial's prepared data, `ancient` (re-preparing identical data reruns no trial) unless
    they are of another data spec than the task's now (seedstudy.data.prepared_is_current)."""
    folder = data_dir(wildcards)
    try:
        meta = (Path(folder) / "meta.json").stat()
        stamp = (meta.st_mtime_ns, meta.st_size)
    except FileNotFoundError:
        stamp = None
    return ancient(folder) if data_is_current(folder, wildcards.task, stamp) else folder


def finetune_inputs(wildcards):
    inputs = {"data": trial_data(wildcards)}
    if early_stopping(wildcards.task):
        # continue only after the selection: the survivors resume from their partial checkpoints
        inputs["selection"] = (
            f"results/early_stopping/{wildcards.recipe_dir}{wildcards.task}/selection.json"
        )
    return inputs


def partial_trials(wildcards):
    folder = f"results/early_stopping/{wildcards.recipe_dir}{wildcards.task}/partial"
    return [f"{folder}/{stem}.json" for stem in grid_stems(wildcards.task, wildcards.recipe_dir)]


def selection(recipe_dir, task):
    """Live early stopping's choice for a task of a recipe, {"keep": [stems], "stop": [stems], ...}:
    known once the select_survivors checkpoint has run (until then Snakemake waits for it)."""
    import json

    with open(
        checkpoints.select_survivors.get(recipe_dir=recipe_dir, task=task).output[0]
    ) as handle:
        return json.load(handle)


def trial_outputs(recipe_dir, task):
    """Trial outputs of a task of a recipe (result file stems without .json): the whole grid, or
    with live early stopping the continued trials and the stopped ones' partial curves."""
    if not early_stopping(task):
        return [
            f"results/trials/{recipe_dir}{task}/{stem}" for stem in grid_stems(task, recipe_dir)
        ]
    chosen = selection(recipe_dir, task)
    return [f"results/trials/{recipe_dir}{task}/{stem}" for stem in chosen["keep"]] + [
        f"results/early_stopping/{recipe_dir}{task}/partial/{stem}" for stem in chosen["stop"]
    ]


def survivors(wildcards, suffix):
    """The continued trials of a live early-stopping task of a recipe."""
    folder = f"results/trials/{wildcards.recipe_dir}{wildcards.task}"
    return [
        f"{folder}/{stem}{suffix}"
        for stem in selection(wildcards.recipe_dir, wildcards.task)["keep"]
    ]


def trial_folders(recipe_dir, task):
    folders = [f"results/trials/{recipe_dir}{task}"]
    return folders + (
        [f"results/early_stopping/{recipe_dir}{task}/partial"] if early_stopping(task) else []
    )


def task_trials(wildcards):
    """Inputs of aggregate_task: the task's trial outputs, and the folders that hold them.

    Snakemake never looks at a missing intermediate file while the files downstream of it are up
    to date, so a lost trial would stay lost. Deleting a file updates its folder's mtime, though:
    with the folder as an input, the aggregation is out of date, and Snakemake recomputes the
    missing trial (alone) and everything downstream of it."""
    stems = trial_outputs(wildcards.recipe_dir, wildcards.task)
    return {
        "trials": [f"{p}.json" for p in stems],
        "runs": [f"{p}.run.json" for p in stems],
        "folders": trial_folders(wildcards.recipe_dir, wildcards.task),
    }


# the folders exist from the start (an input no rule produces must exist)
for _recipe_dir in RECIPE_DIRS.values():
    for _task in TASKS:
        for _folder in trial_folders(_recipe_dir, _task) + [
            f"results/aggregate/{_recipe_dir}{_task}"
        ]:
            os.makedirs(_folder, exist_ok=True)


# tasks with live early stopping (workflow/rules/early_stopping_live.smk)
ES_TASKS = [task for task in TASKS if early_stopping(task)]


# The analysis registry: every analysis of the aggregate tables registers here, from the .smk
# file of its stage, with `run_in_analyses_job()`; the one job `analyses`
# (workflow/rules/analyses.smk) then runs them all side by side. JOINT_ANALYSES maps an
# analysis's name to the input, output and params that its script workflow/scripts/<name>.py
# reads as snakemake.input, .output and .params, and to its priority (larger: started earlier).
# `analysis.only` (a list of names) keeps the others out of the job and of all.pdf.
JOINT_ANALYSES = {}


def run_in_analyses_job(name, input, output, params=None, priority=0):
    """Register analysis `name` (its script workflow/scripts/<name>.py) with the job `analyses`."""
    only = config["analysis"]["only"]
    if only is None or name in only:
        JOINT_ANALYSES[name] = {
            "input": input,
            "output": output,
            "params": params or {},
            "priority": priority,
        }


def analysis_entries(directive):
    """Rule analyses' input or output: every analysis's entries, named <analysis>__<entry>."""
    return {
        f"{name}__{key}": value
        for name, spec in JOINT_ANALYSES.items()
        for key, value in spec[directive].items()
    }


def analysis_order():
    """The analyses, highest priority first."""
    return sorted(JOINT_ANALYSES, key=lambda name: -JOINT_ANALYSES[name]["priority"])


def analysis_code():
    """The first 16 hex digits of the SHA-256 of each analysis's script."""
    scripts = Path(workflow.basedir) / "workflow" / "scripts"
    return {
        name: hashlib.sha256((scripts / f"{name}.py").read_bytes()).hexdigest()[:16]
        for name in JOINT_ANALYSES
    }


def report_figures():
    """The pages of all.pdf: every study-wide figure that a rule declares as report() output, in
    the order the rules are defined (the include order of the Snakefile). A rule that does not
    apply to the study (say live early stopping where no task stops early) is not defined, so
    its figure is not a page. This is the only list of the figures."""
    return [
        str(path)
        for rule in workflow.rules
        for path in rule.output
        if is_flagged(path, "report")
        and str(path).startswith("results/figures/")
        and "{" not in str(path)
    ]


def forget_no_failure():
    """After a failed job: remove all.pdf, which would otherwise look current while showing what
    the failed job was to replace; the next run builds it again (and redoes the failed job)."""
    stale = Path("results/figures/all.pdf")
    if stale.exists():
        stale.unlink()
        print(f"a job failed: removed {stale}, which it would have replaced", file=sys.stderr)


def check_executor():
    """Before the first job: what the executor needs on this machine (seedstudy.preflight)."""
    name = getattr(workflow.executor_plugin, "name", "") or ""
    try:
        preflight.check_cluster_commands(name.rsplit("-", 1)[-1])
    except study.ConfigError as error:
        raise WorkflowError(str(error)) from None


def get_final_output():
    """What `snakemake` with no target builds."""
    return ["results/figures/all.pdf"]


def glue_source_files(wildcards):
    """The local GLUE files a task is prepared from: another folder or a changed file prepares
    it again, and the trials of other data rerun (seedstudy.data.prepare.prepared_is_current)."""
    return [str(path) for path in source_files(data_spec(wildcards), config["data"]["glue_dir"])]


def aggregate_provenance(wildcards):
    """What the current config asks for each trial file of a task (its config hash and seeds),
    and the task's trial config without seeds (to name the keys a foreign trial differs in):
    seedstudy.analysis.aggregate.check_provenance."""
    variant, cells = recipe_config(wildcards), {}
    grid = {study.trial_stem(*cell): cell for cell in study.task_grid(variant, wildcards.task)}
    for prefix in trial_outputs(wildcards.recipe_dir, wildcards.task):
        trial = study.trial_config(variant, wildcards.task, *grid[Path(prefix).name])
        cells[f"{prefix}.json"] = {"hash": study.config_hash(trial), "seeds": trial["seeds"]}
    shared = {key: value for key, value in trial.items() if key != "seeds"}
    return {"config": shared, "trials": cells}


# the analyses job's failures (analyses.smk)
ANALYSIS_FAILURES = "results/logs/analysis/failed.json"


def analysis_failures():
    """The record of the job's last run: {"failed": {name: last line of its error},
    "runs_with_failures": n}."""
    try:
        record = json.loads(Path(ANALYSIS_FAILURES).read_text())
    except (OSError, ValueError):
        record = {}
    record = record if isinstance(record, dict) else {}
    return {
        "failed": record.get("failed") or {},
        "runs_with_failures": record.get("runs_with_failures") or 0,
    }


def report_analysis_failures():
    """After a run: say which analyses failed (their outputs are failure notes)."""
    for name, error in analysis_failures()["failed"].items():
        print(
            f"analysis {name} failed: {error} (log: results/logs/analysis/{name}.log); its "
            "outputs and its pages of all.pdf are failure notes saying so",
            file=sys.stderr,
        )
