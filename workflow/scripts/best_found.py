"""best_found: paper Table 1 (max over trials and evaluations vs previously reported)."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import paper_reference
from seedstudy.analysis.best_found import best_found_table
from seedstudy.analysis.recipes import facets, model_of, per_recipe
from seedstudy.figures import best_found as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
table = per_recipe(
    lambda trials: best_found_table(trials, model_of(study, trials)),
    pd.read_parquet(snakemake.input.trials),
)
if snakemake.params.paper_reference:  # paper mode: the paper's Table 1 beside the study's
    table = paper_reference.beside_best_found(table)
table.to_csv(snakemake.output.table, index=False)
figures.save(
    plots.best_found(facets(table)),
    snakemake.output.figure,
    *figures.captioned(REPORT, "best_found", snakemake.config, study),
)
