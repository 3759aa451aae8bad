"""early_stopping_correlation: Spearman rank correlation between evaluation points (Fig. 5)."""

import json
import logging
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.early_stopping.correlation import correlation_table
from seedstudy.analysis.early_stopping.simulation import load_task_curves
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import early_stopping_correlation as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))


def correlation(curves):
    task_curves, skipped = load_task_curves(curves)
    counts = "; ".join(
        f"{c.task}: {c.n_completed} completed trials, K = {c.n_points}" for c in task_curves
    )
    return correlation_table(task_curves, sigma=snakemake.params.sigma), skipped, counts


table, skipped, counts = per_recipe(
    correlation, pd.read_parquet(snakemake.input.curves)
)  # per recipe
for task, reason in skipped.items():
    logging.warning("early stopping correlation: %s skipped: %s", task, reason)
table.to_csv(snakemake.output.table, index=False)
figures.save(
    plots.rank_correlation(facets(table), skipped),
    snakemake.output.figure,
    *figures.captioned(
        REPORT, "early_stopping_correlation", snakemake.config, study, f"Trials: {counts}."
    ),
)
