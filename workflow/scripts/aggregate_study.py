"""aggregate_study: the per-task tables -> tables of the whole study and its summary."""

from pathlib import Path

from seedstudy.analysis.aggregate import combine
from seedstudy.logs import log_to

log_to(snakemake.log[0])
task_dirs = sorted({str(Path(p).parent) for p in snakemake.input if p.endswith(".parquet")})
combine(task_dirs, Path(snakemake.output.trials).parent, snakemake.params.study)
