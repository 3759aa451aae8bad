"""expected_max: paper Fig. 1 (expected best dev score vs number of trials)."""
import json

import pandas as pd

from seedstudy import figures
from seedstudy.expected_max import expected_max_table
from seedstudy.figures import paper
from seedstudy.logs import log_to

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
table = expected_max_table(pd.read_parquet(snakemake.input.trials))
table.to_csv(snakemake.output.table, index=False)
figures.save(
    paper.expected_max(table),
    snakemake.output.figure,
    "Expected validation performance vs number of trials (Fig. 1; +-1 sd, with replacement)",
    figures.study_caption(study),
)
