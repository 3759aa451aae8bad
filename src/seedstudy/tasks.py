"""The GLUE tasks of the study: columns, labels, metrics and previously reported scores."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Task:
    """One GLUE classification task as the study sees it."""

    name: str  # the study's name: mrpc, rte, cola, sst2
    glue_dir_name: str  # folder in a GLUE download: MRPC, RTE, CoLA, SST-2
    hub_config: str  # configuration of the `nyu-mll/glue` dataset on the Hub
    text_fields: tuple[str, ...]  # one field (single sentence) or two (pair)
    num_labels: int
    metrics: tuple[str, ...]  # every metric recorded at every evaluation
    default_metric: str  # the headline metric (configurable per study)
    # original TSV layout: header (None when the file has none), column of each field
    tsv_header: tuple[str, ...] | None
    tsv_columns: dict[str, int] = field(default_factory=dict)
    tsv_labels: dict[str, int] = field(default_factory=dict)  # label text -> id
    # previously reported BERT dev scores (paper Table 1), in percent of the headline metric
    reported: dict[str, float] = field(default_factory=dict)

    @property
    def is_pair(self) -> bool:
        return len(self.text_fields) == 2


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
}


def get_task(name: str) -> Task:
    """The task called `name`; a clear error listing the known tasks otherwise."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(
            f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}"
        ) from None
