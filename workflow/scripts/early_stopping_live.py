"""early_stopping_live: compute spent by live early stopping vs training every trial fully."""

import json

from seedstudy.analysis.early_stopping.live import live_compute
from seedstudy.logs import log_to
from seedstudy.store.atomic import write_json_atomic

log_to(snakemake.log[0])
with open(snakemake.input.selection) as handle:
    selection = json.load(handle)
live = live_compute(
    snakemake.wildcards.task,
    selection,
    snakemake.input.partial_runs,
    snakemake.input.survivor_runs,
    snakemake.input.partial_benchmarks,
    snakemake.input.survivor_benchmarks,
    snakemake.input.survivor_trials,
)
if snakemake.params.recipe is not None:
    live = {"recipe": snakemake.params.recipe, **live}
write_json_atomic(snakemake.output[0], live)
