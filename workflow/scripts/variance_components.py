"""variance_components: two-way ANOVA, variance components (moments and REML) with intervals."""
import json

import pandas as pd

from seedstudy import figures
from seedstudy.figures import variance
from seedstudy.logs import log_to
from seedstudy.variance_components import anova_table, variance_components_table

log_to(snakemake.log[0])
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
level, samples = snakemake.params.level, snakemake.params.samples

anova = anova_table(trials)
anova.to_csv(snakemake.output.anova, index=False)
table = variance_components_table(trials, level=level, samples=samples, seed=snakemake.params.seed)
table.to_csv(snakemake.output.table, index=False)

methods = (
    f"Intervals at {level:.0%}: moments (ANOVA estimators; Henderson I when unbalanced) with a random-effect "
    f"bootstrap ({samples} resamples of the estimated init effects, order effects and residuals, each rescaled to "
    f"its estimated component; pivotal intervals on the log scale, shares on the logit scale), REML (statsmodels "
    f"MixedLM) with Wald intervals from the REML information (log scale; shares logit). 'without failed': diverged "
    f"or at-baseline runs excluded. Stopped runs (live early stopping) excluded."
)
caption = f"{figures.study_caption(study)}. {methods}"
figures.save(
    variance.variance_shares(table), snakemake.output.figure,
    "Share of the variance due to init seed, order seed and the rest (moments, bootstrap intervals)", caption,
)
figures.save(
    variance.variance_table_page(table, anova), snakemake.output.table_figure,
    "Variance components of the best found and final dev scores (units 1e-4 = pt^2; F: two-way ANOVA)", caption,
)
