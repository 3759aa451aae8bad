"""aggregate_task: all trial outputs of a task -> curves, trials and losses tables."""

import json
from pathlib import Path

from seedstudy.analysis.aggregate import aggregate_task
from seedstudy.logs import log_to

log_to(snakemake.log[0])
meta = Path(snakemake.params.data) / "meta.json"
aggregate_task(
    snakemake.input.trials,
    Path(snakemake.output.trials).parent,
    snakemake.params.failure_tolerance,
    recipe=snakemake.params.recipe,
    expected=snakemake.params.provenance,
    data_fingerprint=json.loads(meta.read_text())["fingerprint"] if meta.exists() else None,
)
