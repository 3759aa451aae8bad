"""anova: two-way ANOVA (init seed x order seed) of best and final scores per task."""
import json

import pandas as pd

from seedstudy import figures
from seedstudy.figures import paper
from seedstudy.logs import log_to
from seedstudy.variance_components import anova_table

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
table = anova_table(pd.read_parquet(snakemake.input.trials))
table.to_csv(snakemake.output.table, index=False)
figures.save(
    paper.anova_shares(table), snakemake.output.figure,
    "Share of the sum of squares per seed factor (two-way ANOVA)", figures.study_caption(study),
)
