"""seed_transfer: do good init (and, as a control, order) seeds stay good across tasks."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import seed_transfer
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import seed_transfer as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
permutations, seed = snakemake.params.permutations, snakemake.params.seed

per_recipe(seed_transfer.seed_means_table, trials).to_csv(snakemake.output.means, index=False)
pairs = per_recipe(seed_transfer.pairs_table, trials, permutations, seed)
pairs.to_csv(snakemake.output.pairs, index=False)
concordance = per_recipe(seed_transfer.concordance_table, trials, permutations, seed)
concordance.to_csv(snakemake.output.concordance, index=False)
best = per_recipe(seed_transfer.best_seed_ranks, trials)
best.to_csv(snakemake.output.best_seeds, index=False)

# the tasks of the heat maps: with several recipes a row per task and recipe (pairs within a recipe)
drawn = facets(pairs)
tasks = (
    sorted(set(drawn["task_a"]) | set(drawn["task_b"]))
    if "task_a" in drawn
    else trials["task"].unique()
)
figures.save(
    plots.transfer_matrices(drawn, facets(concordance), tasks),
    snakemake.output.figure,
    *figures.captioned(REPORT, "seed_transfer", snakemake.config, study),
)
figures.save(
    plots.transfer_table_page(facets(pairs), facets(best)),
    snakemake.output.table_figure,
    *figures.captioned(REPORT, "seed_transfer_table", snakemake.config, study),
)
