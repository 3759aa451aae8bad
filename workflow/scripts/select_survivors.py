"""select_survivors: rank the partially trained trials, keep the best (live early stopping)."""

from seedstudy.analysis.early_stopping.live import select_survivors
from seedstudy.logs import log_to
from seedstudy.store.atomic import write_json_atomic

log_to(snakemake.log[0])
write_json_atomic(snakemake.output[0], select_survivors(snakemake.input, snakemake.params.keep))
