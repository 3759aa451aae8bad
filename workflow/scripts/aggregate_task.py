"""aggregate_task: all trial outputs of a task -> curves, trials and losses tables."""

from pathlib import Path

from seedstudy.analysis.aggregate import aggregate_task
from seedstudy.logs import log_to

log_to(snakemake.log[0])
aggregate_task(
    snakemake.input.trials,
    Path(snakemake.output.trials).parent,
    snakemake.params.failure_tolerance,
    recipe=snakemake.params.recipe,
)
