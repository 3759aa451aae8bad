"""aggregate_task: all trial outputs of a task -> curves, trials and losses tables."""
from pathlib import Path

from seedstudy.aggregate import aggregate_task
from seedstudy.logs import log_to
from seedstudy.store import release_done_records

log_to(snakemake.log[0])
aggregate_task(snakemake.input.trials, Path(snakemake.output.trials).parent, snakemake.params.failure_tolerance)
# the trials are read: their completion records (kept against a kill in Snakemake's bookkeeping) can go
release_done_records(snakemake.input.trials, snakemake.config["runtime"]["checkpoint_dir"])
