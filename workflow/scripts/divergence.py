"""divergence: failed/diverged runs (Table 2), learning curves (Fig. 4), densities, early recognition."""
import json

import pandas as pd

from seedstudy import divergence, figures
from seedstudy.figures import divergence as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
curves = pd.read_parquet(snakemake.input.curves)
tolerance, samples, seed = snakemake.params.tolerance, snakemake.params.samples, snakemake.params.seed

failures = divergence.failure_table(trials)
failures.to_csv(snakemake.output.failures, index=False)
prediction = divergence.failure_prediction(trials, curves, tolerance)
prediction.to_csv(snakemake.output.prediction, index=False)

caption = figures.study_caption(study)
failed = (
    f"Failed: diverged (non-finite loss) or final score <= majority-class score + {tolerance}; "
    f"trials stopped by live early stopping excluded."
)
figures.save(
    plots.failure_table_page(failures), snakemake.output.failures_figure,
    "Diverged and failed trials per task (Table 2)", f"{caption}. {failed}",
)
figures.save(
    plots.learning_curves(divergence.sample_curves(trials, curves, samples, seed), trials), snakemake.output.curves_figure,
    "Dev score during training of randomly drawn trials (Fig. 4)",
    f"{caption}. {samples} trials per task drawn with seed {seed}. {failed}",
)
figures.save(
    plots.best_densities(trials), snakemake.output.densities_figure,
    "Best found dev score per trial: failed runs form a mode at the majority-class score", f"{caption}. {failed}",
)
figures.save(
    plots.failure_prediction(prediction), snakemake.output.prediction_figure,
    "How early a failed run shows: 'at or below the baseline now' as a predictor of failing",
    f"{caption}. Predictor at each evaluation: score <= majority + {tolerance}, or diverged before it. {failed}",
)
