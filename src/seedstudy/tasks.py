"""The tasks of a study: the nine GLUE tasks (columns, labels, metrics, previously reported
scores) and a study's own tasks (`custom_task`, from the `data:` or `hub:` entry of its config).

A task has a train split and one or more dev splits: `dev`, and for MNLI also `dev_mismatched`,
evaluated at every evaluation beside it; its scores carry the suffix `_mismatched`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .metrics import CLASSIFICATION, DEFAULT_METRIC, REGRESSION, valid_metrics


@dataclass(frozen=True)
class Task:
    """One task as the study sees it (a GLUE task, or one of the study's own data)."""

    name: str  # the study's name: mrpc, rte, cola, sst2, mnli, ..., or a task of one's own
    glue_dir_name: str  # folder in a GLUE download: MRPC, RTE, CoLA, SST-2 ("" for one's own)
    hub_config: str  # configuration of the `nyu-mll/glue` dataset on the Hub
    text_fields: tuple[str, ...]  # one field (single sentence) or two (pair)
    num_labels: int  # classes; 1 for a regression (one output)
    metrics: tuple[str, ...]  # every metric recorded at every evaluation (of every dev split)
    default_metric: str  # the headline metric (configurable per study)
    # original TSV layout: header (None when the file has none), column of each field
    # (negative: from the end of the line)
    tsv_header: tuple[str, ...] | None
    tsv_columns: dict[str, int] = field(default_factory=dict)
    tsv_labels: dict[str, int] = field(default_factory=dict)  # label text -> id ({} for regression)
    # previously reported BERT dev scores (paper Table 1), in percent of the headline metric
    reported: dict[str, float] = field(default_factory=dict)
    kind: str = CLASSIFICATION  # classification | regression
    extra_dev: tuple[str, ...] = ()  # further dev splits (dev_<name>), scores suffixed _<name>
    glue_files: dict[str, str] = field(
        default_factory=dict
    )  # split -> file name (default <split>.tsv)
    hub_splits: dict[str, str] = field(
        default_factory=dict
    )  # split -> Hub split (default train, validation)
    tsv_split_headers: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # split -> its own header
    # one's own task: its definition (`study.data_spec`'s "custom") and the label of each id
    custom: dict | None = None
    label_names: tuple = ()

    @property
    def is_pair(self) -> bool:
        return len(self.text_fields) == 2

    @property
    def is_regression(self) -> bool:
        return self.kind == REGRESSION

    @property
    def dev_splits(self) -> tuple[str, ...]:
        return ("dev", *(f"dev_{name}" for name in self.extra_dev))

    @property
    def splits(self) -> tuple[str, ...]:
        return ("train", *self.dev_splits)

    @property
    def headline_metrics(self) -> tuple[str, ...]:
        """What `tasks.<task>.metric` may name: a metric of the task on any of its dev splits."""
        return tuple(
            name + score_suffix(split) for split in self.dev_splits for name in self.metrics
        )

    def glue_file_name(self, split: str) -> str:
        return self.glue_files.get(split, f"{split}.tsv")

    def hub_split(self, split: str) -> str:
        return self.hub_splits.get(split, {"train": "train", "dev": "validation"}.get(split, split))

    def header(self, split: str | None) -> tuple[str, ...] | None:
        return self.tsv_split_headers.get(split, self.tsv_header)


def score_suffix(split: str) -> str:
    """The suffix of the scores of a dev split: "" for dev, "_mismatched" for dev_mismatched."""
    return "" if split == "dev" else "_" + split.removeprefix("dev_")


MNLI_TRAIN_HEADER = (
    "index",
    "promptID",
    "pairID",
    "genre",
    "sentence1_binary_parse",
    "sentence2_binary_parse",
    "sentence1_parse",
    "sentence2_parse",
    "sentence1",
    "sentence2",
    "label1",
    "gold_label",
)
MNLI_DEV_HEADER = (*MNLI_TRAIN_HEADER[:-1], "label2", "label3", "label4", "label5", "gold_label")


TASKS: dict[str, Task] = {
    "mrpc": Task(
        name="mrpc",
        glue_dir_name="MRPC",
        hub_config="mrpc",
        text_fields=("sentence1", "sentence2"),
        num_labels=2,
        metrics=("accuracy", "f1", "acc_and_f1"),
        default_metric="acc_and_f1",
        tsv_header=("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"),
        tsv_columns={"label": 0, "sentence1": 3, "sentence2": 4},
        tsv_labels={"0": 0, "1": 1},
        reported={"Phang et al. 2018": 90.7, "Liu et al. 2019": 88.0},
    ),
    "rte": Task(
        name="rte",
        glue_dir_name="RTE",
        hub_config="rte",
        text_fields=("sentence1", "sentence2"),
        num_labels=2,
        metrics=("accuracy",),
        default_metric="accuracy",
        tsv_header=("index", "sentence1", "sentence2", "label"),
        tsv_columns={"sentence1": 1, "sentence2": 2, "label": 3},
        tsv_labels={"entailment": 0, "not_entailment": 1},
        reported={"Phang et al. 2018": 70.0, "Liu et al. 2019": 70.4},
    ),
    "cola": Task(
        name="cola",
        glue_dir_name="CoLA",
        hub_config="cola",
        text_fields=("sentence",),
        num_labels=2,
        metrics=("mcc", "accuracy"),
        default_metric="mcc",
        tsv_header=None,
        tsv_columns={"label": 1, "sentence": 3},
        tsv_labels={"0": 0, "1": 1},
        reported={"Phang et al. 2018": 62.1, "Liu et al. 2019": 60.6},
    ),
    "sst2": Task(
        name="sst2",
        glue_dir_name="SST-2",
        hub_config="sst2",
        text_fields=("sentence",),
        num_labels=2,
        metrics=("accuracy",),
        default_metric="accuracy",
        tsv_header=("sentence", "label"),
        tsv_columns={"sentence": 0, "label": 1},
        tsv_labels={"0": 0, "1": 1},
        reported={"Phang et al. 2018": 92.5, "Liu et al. 2019": 93.2},
    ),
    "mnli": Task(
        name="mnli",
        glue_dir_name="MNLI",
        hub_config="mnli",
        text_fields=("premise", "hypothesis"),
        num_labels=3,
        metrics=("accuracy",),
        default_metric="accuracy",  # matched; accuracy_mismatched is recorded beside it
        tsv_header=MNLI_TRAIN_HEADER,
        tsv_split_headers={"dev": MNLI_DEV_HEADER, "dev_mismatched": MNLI_DEV_HEADER},
        tsv_columns={"premise": 8, "hypothesis": 9, "label": -1},
        tsv_labels={"entailment": 0, "neutral": 1, "contradiction": 2},  # the Hub's ids
        extra_dev=("mismatched",),
        glue_files={
            "train": "train.tsv",
            "dev": "dev_matched.tsv",
            "dev_mismatched": "dev_mismatched.tsv",
        },
        hub_splits={
            "train": "train",
            "dev": "validation_matched",
            "dev_mismatched": "validation_mismatched",
        },
    ),
    "qqp": Task(
        name="qqp",
        glue_dir_name="QQP",
        hub_config="qqp",
        text_fields=("question1", "question2"),
        num_labels=2,
        metrics=("accuracy", "f1", "acc_and_f1"),
        default_metric="acc_and_f1",
        tsv_header=("id", "qid1", "qid2", "question1", "question2", "is_duplicate"),
        tsv_columns={"question1": 3, "question2": 4, "label": 5},
        tsv_labels={"0": 0, "1": 1},
    ),
    "qnli": Task(
        name="qnli",
        glue_dir_name="QNLI",
        hub_config="qnli",
        text_fields=("question", "sentence"),
        num_labels=2,
        metrics=("accuracy",),
        default_metric="accuracy",
        tsv_header=("index", "question", "sentence", "label"),
        tsv_columns={"question": 1, "sentence": 2, "label": 3},
        tsv_labels={"entailment": 0, "not_entailment": 1},
    ),
    "stsb": Task(
        name="stsb",
        glue_dir_name="STS-B",
        hub_config="stsb",
        text_fields=("sentence1", "sentence2"),
        num_labels=1,
        kind=REGRESSION,
        metrics=("pearson", "spearman", "pearson_and_spearman"),
        default_metric="pearson_and_spearman",  # GLUE's STS-B score: the mean of both
        tsv_header=(
            "index",
            "genre",
            "filename",
            "year",
            "old_index",
            "source1",
            "source2",
            "sentence1",
            "sentence2",
            "score",
        ),
        tsv_columns={"sentence1": 7, "sentence2": 8, "label": 9},
    ),
    "wnli": Task(
        name="wnli",
        glue_dir_name="WNLI",
        hub_config="wnli",
        text_fields=("sentence1", "sentence2"),
        num_labels=2,
        metrics=("accuracy",),
        default_metric="accuracy",
        tsv_header=("index", "sentence1", "sentence2", "label"),
        tsv_columns={"sentence1": 1, "sentence2": 2, "label": 3},
        tsv_labels={"0": 0, "1": 1},
    ),
}


def get_task(name: str) -> Task:
    """The GLUE task called `name`; a clear error listing the known tasks otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


# the files of one's own data, read by their suffix (`seedstudy.data.custom`)
DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".parquet")

# how tables and figures name the GLUE tasks; a task of one's own is labelled with its name
TASK_LABELS = {
    "mrpc": "MRPC",
    "rte": "RTE",
    "cola": "CoLA",
    "sst2": "SST-2",
    "stsb": "STS-B",
    "qqp": "QQP",
    "mnli": "MNLI",
    "qnli": "QNLI",
    "wnli": "WNLI",
}


def task_label(task: str) -> str:
    return TASK_LABELS.get(task, task)


def is_custom(entry: dict) -> bool:
    """Whether a task entry of a study config brings its own data (`data:` or `hub:`)."""
    return "data" in entry or "hub" in entry


def custom_task(name: str, definition: dict, label_names=None) -> Task:
    """One's own task from its definition (`study.trial.custom_definition`: type, text, label, ...).

    `label_names` (a classification's label of each id, sorted, as the prepared data records
    them) fixes the number of classes and so the metrics recorded; without them the task knows
    every metric of its type (the binary-only ones included)."""
    kind = definition["type"]
    label_names = tuple(label_names or ())
    num_labels = 1 if kind == REGRESSION else len(label_names)
    return Task(
        name=name,
        glue_dir_name="",
        hub_config="",
        text_fields=tuple(definition["text"]),
        num_labels=num_labels,
        metrics=valid_metrics(kind, num_labels if label_names or kind == REGRESSION else None),
        default_metric=DEFAULT_METRIC[kind],
        tsv_header=None,
        kind=kind,
        custom=definition,
        label_names=label_names,
    )


def trial_task(trial: dict, meta: dict | None = None) -> Task:
    """The task of a trial config; one's own gets its classes from the prepared data's meta."""
    definition = trial["data"].get("custom")
    if definition is None:
        return get_task(trial["task"])
    return custom_task(trial["task"], definition, (meta or {}).get("label_names"))


def reported_scores(name: str) -> dict[str, float]:
    """Previously reported BERT-large dev scores of a GLUE task (percent); none for the others."""
    return TASKS[name].reported if name in TASKS else {}
