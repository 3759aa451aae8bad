"""expected_max: paper Fig. 1, the tuning curves with confidence bands, and the trials needed."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.expected_max import expected_max_table, trials_needed_table
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import expected_max as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
level, method = snakemake.params.level, snakemake.params.band_method

table = per_recipe(
    expected_max_table, trials, level=level, method=method, paper_grids=snakemake.params.paper_grids
)
table.to_csv(snakemake.output.table, index=False)
needed = per_recipe(trials_needed_table, trials, snakemake.params.probability, level, method)
needed.to_csv(snakemake.output.trials_needed, index=False)

figures.save(
    plots.expected_max(facets(table)),
    snakemake.output.figure,
    *figures.captioned(REPORT, "expected_max", snakemake.config, study),
)
figures.save(
    plots.tuning_curves(facets(table)),
    snakemake.output.tuning_figure,
    *figures.captioned(REPORT, "tuning_curves", snakemake.config, study),
)
figures.save(
    plots.trials_needed_page(facets(needed)),
    snakemake.output.trials_needed_figure,
    *figures.captioned(REPORT, "trials_needed", snakemake.config, study),
)
