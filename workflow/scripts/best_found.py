"""best_found: paper Table 1 (max over trials and evaluations vs previously reported)."""
import json

import pandas as pd

from seedstudy import figures
from seedstudy.best_found import best_found_table
from seedstudy.figures import paper
from seedstudy.logs import log_to

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
table = best_found_table(pd.read_parquet(snakemake.input.trials), study["model"])
table.to_csv(snakemake.output.table, index=False)
figures.save(
    paper.best_found(table),
    snakemake.output.figure,
    "Best found vs previously reported BERT-large (Table 1)",
    figures.study_caption(study),
)
