"""early_stopping_simulation: the paper's Algorithm 1 at equal budgets (Figs. 6 and 7)."""

import json
import logging
import time
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis import paper_reference
from seedstudy.analysis.early_stopping.cross_fit import cross_fitted_table
from seedstudy.analysis.early_stopping.simulation import (
    load_task_curves,
    simulation_note,
    simulation_tables,
)
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import early_stopping_simulation as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
settings = dict(snakemake.params.settings)
points = settings.pop("points", None)  # downsampling of the curves, not a simulation setting
accounting = settings.get("accounting", "exact")
study = json.load(open(snakemake.input.study))


def simulation(curves):
    task_curves, skipped = load_task_curves(curves, points, accounting)
    for task, reason in skipped.items():
        logging.warning("early stopping simulation: %s skipped: %s", task, reason)
    started = time.perf_counter()
    candidates, budgets = simulation_tables(task_curves, threads=snakemake.threads, **settings)
    budgets = cross_fitted_table(task_curves, budgets, **settings)
    logging.info(
        "simulated %d candidates of %d tasks in %.1f s",
        len(candidates),
        len(task_curves),
        time.perf_counter() - started,
    )
    return candidates, budgets, skipped, simulation_note(task_curves, **settings)


# per recipe (each with the same draws)
candidates, budgets, skipped, note = per_recipe(simulation, pd.read_parquet(snakemake.input.curves))
candidates.to_csv(snakemake.output.candidates, index=False)
if snakemake.params.paper_reference:  # paper mode: the paper's error reductions beside them
    budgets = paper_reference.beside_error_reduction(budgets)
budgets.to_csv(snakemake.output.budgets, index=False)
figures.save(
    plots.best_settings(facets(budgets), skipped),
    snakemake.output.settings_figure,
    *figures.captioned(REPORT, "early_stopping_settings", snakemake.config, study, note),
)
figures.save(
    plots.error_reduction(facets(budgets), skipped),
    snakemake.output.error_reduction_figure,
    *figures.captioned(REPORT, "early_stopping_error_reduction", snakemake.config, study, note),
)
