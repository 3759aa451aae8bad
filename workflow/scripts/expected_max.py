"""expected_max: paper Fig. 1, the tuning curves with confidence bands, and the trials needed."""
import json

import pandas as pd

from seedstudy import figures
from seedstudy.expected_max import expected_max_table, trials_needed_table
from seedstudy.figures import paper, tuning_curves
from seedstudy.logs import log_to

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
level, method = snakemake.params.level, snakemake.params.band_method
caption = figures.study_caption(study)
stopped = "Trials stopped by live early stopping are excluded."

table = expected_max_table(trials, level=level, method=method, paper_grids=snakemake.params.paper_grids)
table.to_csv(snakemake.output.table, index=False)
needed = trials_needed_table(trials, snakemake.params.probability, level, method)
needed.to_csv(snakemake.output.trials_needed, index=False)

figures.save(
    paper.expected_max(table),
    snakemake.output.figure,
    "Expected validation performance vs number of trials (Fig. 1; +-1 sd, with replacement)",
    f"{caption}. {stopped}",
)
figures.save(
    tuning_curves.tuning_curves(table),
    snakemake.output.tuning_figure,
    "Tuning curves: expected and median best of n trials, with simultaneous bands",
    f"{caption}. Scores: best over every evaluation. Bands at {level:.0%}, simultaneous over n, from opda's "
    f"'{method}' band of the score CDF. {stopped}",
)
figures.save(
    tuning_curves.trials_needed_page(needed),
    snakemake.output.trials_needed_figure,
    f"Trials needed to beat a score with probability {snakemake.params.probability}",
    f"{caption}. n* = ceil(ln(1 - {snakemake.params.probability}) / ln F(theta)), F the empirical CDF of the best "
    f"found scores (inf: no trial beat theta); band range: n* over the simultaneous {level:.0%} CDF band "
    f"('{method}'). {stopped}",
)
