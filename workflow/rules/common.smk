# Config validation, the study's trials, and the input functions of the rules.
import os
import sys

# The library lives in src/: importable here and in every job (also in a conda environment of
# envs/, which holds only the dependencies), whether or not the package is installed.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])))

from snakemake.exceptions import WorkflowError
from snakemake.io import is_flagged

from seedstudy import study
from seedstudy.data import prepared_is_current
from seedstudy.models import slug

# Validate the config before anything runs (seedstudy.study.validate: the schema with its defaults
# filled in, then what a schema cannot check: model folder, GLUE files, seed ranges, early-stopping
# settings), with a clear message naming the key or file at fault.
try:
    study.validate(config)
except (study.ConfigError, ValueError) as error:
    raise WorkflowError(f"invalid configuration: {error}") from None


TASKS = list(config["tasks"])
MODEL = slug(config["model"])
CHECKPOINT_DIR = config["runtime"]["checkpoint_dir"]
TRIAL_STEM = study.TRIAL_STEM


wildcard_constraints:
    task="|".join(TASKS),
    init_seed=r"\d+",
    order_seed=r"\d+",
    dropout=r"(_dropout\d+)?",


def early_stopping(task):
    """The task's live early-stopping settings, or None."""
    return config["tasks"][task].get("early_stopping")


def data_dir(wildcards):
    return f"results/data/{MODEL}/{wildcards.task}"


def grid_stems(task):
    """File stems of every trial of the task (the first `start` when early stopping is on)."""
    stems = [study.trial_stem(*cell) for cell in study.task_grid(config, task)]
    es = early_stopping(task)
    return stems[: es["start"]] if es else stems


def stem(wildcards):
    """The trial file stem of a trial job's wildcards."""
    return TRIAL_STEM.format(**wildcards)


def trial_config(wildcards):
    """The trial rule's only parameter: everything that decides the trial's result."""
    dropout = int(wildcards.dropout[len("_dropout") :]) if wildcards.dropout else None
    if (dropout is None) != (study.dropout_owner(study.task_training(config, wildcards.task)) != "grid"):
        raise WorkflowError(
            f"trial {wildcards.task}/{stem(wildcards)}: "
            f"a dropout seed belongs in the file name exactly when training.dropout_seed is a seed grid"
        )
    return study.trial_config(config, wildcards.task, int(wildcards.init_seed), int(wildcards.order_seed), dropout)


def checkpoint_path(wildcards):
    return os.path.join(CHECKPOINT_DIR, wildcards.task, f"{stem(wildcards)}.pt")


def trial_data(wildcards):
    """A trial's prepared data, `ancient` (re-preparing identical data reruns no trial) unless
    they are of another data spec than the task's now (seedstudy.data.prepared_is_current)."""
    folder = data_dir(wildcards)
    current = prepared_is_current(folder, study.data_spec(config, wildcards.task))
    return ancient(folder) if current else folder


def finetune_inputs(wildcards):
    inputs = {"data": trial_data(wildcards)}
    if early_stopping(wildcards.task):
        # continue only after the selection: the survivors resume from their partial checkpoints
        inputs["selection"] = f"results/early_stopping/{wildcards.task}/selection.json"
    return inputs


def partial_trials(wildcards):
    return [f"results/early_stopping/{wildcards.task}/partial/{stem}.json" for stem in grid_stems(wildcards.task)]


def selection(task):
    """Live early stopping's choice for a task, {"keep": [stems], "stop": [stems], ...}: known
    once the select_survivors checkpoint has run (until then Snakemake waits for it)."""
    import json

    with open(checkpoints.select_survivors.get(task=task).output[0]) as handle:
        return json.load(handle)


def trial_outputs(task):
    """Trial outputs of a task (result file stems without .json): the whole grid, or with live
    early stopping the continued trials and the stopped ones' partial curves."""
    if not early_stopping(task):
        return [f"results/trials/{task}/{stem}" for stem in grid_stems(task)]
    chosen = selection(task)
    return [f"results/trials/{task}/{stem}" for stem in chosen["keep"]] + [
        f"results/early_stopping/{task}/partial/{stem}" for stem in chosen["stop"]
    ]


def survivors(task, suffix):
    """The continued trials of a live early-stopping task."""
    return [f"results/trials/{task}/{stem}{suffix}" for stem in selection(task)["keep"]]


def trial_folders(task):
    folders = [f"results/trials/{task}"]
    return folders + ([f"results/early_stopping/{task}/partial"] if early_stopping(task) else [])


def task_trials(wildcards):
    """Inputs of aggregate_task: the task's trial outputs, and the folders that hold them.

    Snakemake never looks at a missing intermediate file while the files downstream of it are up
    to date, so a lost trial would stay lost. Deleting a file updates its folder's mtime, though:
    with the folder as an input, the aggregation is out of date, and Snakemake recomputes the
    missing trial (alone) and everything downstream of it."""
    stems = trial_outputs(wildcards.task)
    return {
        "trials": [f"{p}.json" for p in stems],
        "runs": [f"{p}.run.json" for p in stems],
        "folders": trial_folders(wildcards.task),
    }


# the folders exist from the start (an input no rule produces must exist)
for _task in TASKS:
    for _folder in trial_folders(_task):
        os.makedirs(_folder, exist_ok=True)


# tasks with live early stopping (workflow/rules/early_stopping_live.smk)
ES_TASKS = [task for task in TASKS if early_stopping(task)]


def report_figures():
    """The pages of all.pdf: every study-wide figure that a rule declares as report() output, in
    the order the rules are defined (the include order of the Snakefile). A rule that does not
    apply to the study (say live early stopping where no task stops early) is not defined, so
    its figure is not a page. This is the only list of the figures."""
    return [
        str(path)
        for rule in workflow.rules
        for path in rule.output
        if is_flagged(path, "report") and str(path).startswith("results/figures/") and "{" not in str(path)
    ]


def get_final_output():
    """What `snakemake` with no target builds."""
    return ["results/figures/all.pdf"]
