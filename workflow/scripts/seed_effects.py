"""seed_effects: WI x DO grid (Fig. 2), within-seed sds (Table 3),
best vs worst seeds (Table 4, Fig. 3)."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import paper_reference, seed_effects
from seedstudy.analysis.aggregate import finished_trials
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import seed_effects as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = finished_trials(pd.read_parquet(snakemake.input.trials))  # Fig. 3 too


def matrices_of(trials):
    return {
        task: seed_effects.seed_matrix(group) for task, group in trials.groupby("task", sort=True)
    }


per_recipe(lambda part: seed_effects.seed_grid_table(matrices_of(part)), trials).to_csv(
    snakemake.output.grid, index=False
)
matrices = matrices_of(facets(trials))  # a matrix per task and recipe
within_sd = per_recipe(
    lambda part: pd.concat(
        [seed_effects.within_seed_sd(part, score) for score in ("best", "final")]
    ),
    trials,
)
if snakemake.params.paper_reference:  # paper mode: the paper's Tables 3 and 4 beside them
    within_sd = paper_reference.beside_within_seed_sd(within_sd)
within_sd.to_csv(snakemake.output.within_sd, index=False)
best_worst = per_recipe(
    lambda part: pd.concat(
        [seed_effects.best_worst_anova(part, score) for score in ("best", "final")]
    ),
    trials,
)
if snakemake.params.paper_reference:
    best_worst = paper_reference.beside_best_worst_anova(best_worst)
best_worst.to_csv(snakemake.output.best_worst, index=False)
figures.save(
    plots.seed_grid(matrices),
    snakemake.output.grid_figure,
    *figures.captioned(REPORT, "seed_grid", snakemake.config, study),
)
figures.save(
    plots.seed_densities(facets(trials)),
    snakemake.output.densities_figure,
    *figures.captioned(REPORT, "seed_densities", snakemake.config, study),
)
figures.save(
    plots.seed_tables(facets(within_sd), facets(best_worst)),
    snakemake.output.tables_figure,
    *figures.captioned(REPORT, "seed_tables", snakemake.config, study),
)
