"""variance_components: two-way ANOVA, variance components (moments and REML) with intervals."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.analysis.variance_components import anova_table, variance_components_table
from seedstudy.figures import variance_components as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
level, samples = snakemake.params.level, snakemake.params.samples

anova = per_recipe(anova_table, trials)
anova.to_csv(snakemake.output.anova, index=False)
table = per_recipe(
    variance_components_table, trials, level=level, samples=samples, seed=snakemake.params.seed
)
table.to_csv(snakemake.output.table, index=False)

figures.save(
    plots.variance_shares(facets(table)),
    snakemake.output.figure,
    *figures.captioned(REPORT, "variance_components", snakemake.config, study),
)
figures.save(
    plots.variance_table_page(facets(table), facets(anova)),
    snakemake.output.table_figure,
    *figures.captioned(REPORT, "variance_components_table", snakemake.config, study),
)
