"""divergence: failed/diverged runs (Table 2), learning curves (Fig. 4), densities,
early recognition."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import divergence, paper_reference
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import divergence as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
curves = pd.read_parquet(snakemake.input.curves)
tolerance, samples, seed = (
    snakemake.params.tolerance,
    snakemake.params.samples,
    snakemake.params.seed,
)

failures = per_recipe(
    lambda part: (
        paper_reference.beside_failures(divergence.failure_table(part), part)
        if snakemake.params.paper_reference  # paper mode: the authors' failure thresholds beside it
        else divergence.failure_table(part)
    ),
    trials,
)
failures.to_csv(snakemake.output.failures, index=False)
prediction = per_recipe(divergence.failure_prediction, trials, curves, tolerance)
prediction.to_csv(snakemake.output.prediction, index=False)

figures.save(
    plots.failure_table_page(facets(failures)),
    snakemake.output.failures_figure,
    *figures.captioned(REPORT, "failures", snakemake.config, study),
)
figures.save(
    plots.learning_curves(
        facets(per_recipe(divergence.sample_curves, trials, curves, samples, seed)), facets(trials)
    ),
    snakemake.output.curves_figure,
    *figures.captioned(REPORT, "learning_curves", snakemake.config, study),
)
figures.save(
    plots.best_densities(facets(trials)),
    snakemake.output.densities_figure,
    *figures.captioned(REPORT, "best_densities", snakemake.config, study),
)
figures.save(
    plots.failure_prediction(facets(prediction)),
    snakemake.output.prediction_figure,
    *figures.captioned(REPORT, "failure_prediction", snakemake.config, study),
)
