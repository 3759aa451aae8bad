"""plan: power, minimum detectable effect and GPU-hours against n from the study as a pilot."""

import json
import logging
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import plan
from seedstudy.figures import plan as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
params = snakemake.params
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
tables, notes = plan.study_plan(
    trials,
    plan.trial_costs(trials, params.results),
    params.effect,
    alpha=params.alpha,
    target=params.power,
    design_name=params.design,
    budget_hours=params.budget_gpu_hours,
    resamples=params.resamples,
    seed=params.seed,
    results_dir=params.results,
)
for note in notes:
    logging.warning(note)
tables["plan"].to_csv(snakemake.output.table, index=False)
tables["mean"].to_csv(snakemake.output.mean, index=False)
figures.save(
    plots.plan_page(tables, params.power),
    snakemake.output.figure,
    *figures.captioned(REPORT, "plan", snakemake.config, study, " ".join(notes)),
)
