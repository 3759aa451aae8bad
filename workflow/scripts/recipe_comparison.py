"""recipe_comparison: every pair of recipes per task on the paired seed grid (tables and pages)."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.adapter_components import adapter_cell_means
from seedstudy.analysis.recipe_comparison import compare, merge_multi_bootstrap
from seedstudy.figures import recipe_comparison as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
TABLES = (
    "differences",
    "expected_max",
    "expected_max_differences",
    "mixed_model",
    "failures",
    "failure_tests",
)
study = json.load(open(snakemake.input.study))
# a LoRA recipe's adapter seeds: one row per paired cell, their means
trials = adapter_cell_means(pd.read_parquet(snakemake.input.trials))
tables = compare(
    trials,
    level=snakemake.params.level,
    resamples=snakemake.params.resamples,
    seed=snakemake.params.seed,
)
# with predictions, the multi-bootstrap (the analysis per_example)
# covers the dev set's noise as well
tables["differences"] = merge_multi_bootstrap(
    tables["differences"], pd.read_csv(snakemake.input.multi_bootstrap)
)
for name in TABLES:
    tables[name].to_csv(getattr(snakemake.output, name), index=False)

tasks = snakemake.params.tasks
for task, path in zip(tasks, snakemake.output[: len(tasks)]):
    figures.save(
        plots.task_page(trials, tables, task),
        path,
        *figures.captioned(
            REPORT,
            "recipe_comparison_task",
            snakemake.config,
            study,
            f"Task: {figures.task_label(task)}.",
        ),
    )
figures.save(
    plots.table_page(tables),
    snakemake.output.figure,
    *figures.captioned(REPORT, "recipe_comparison", snakemake.config, study),
)
