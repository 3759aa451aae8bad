"""prepare_data: read, check, subsample and tokenize one task (seedstudy.data.prepare)."""

from seedstudy import study
from seedstudy.data.prepare import prepare
from seedstudy.logs import log_to

log_to(snakemake.log[0])
prepare(
    snakemake.params.spec,
    snakemake.output[0],
    glue_dir=snakemake.params.glue_dir,
    metric=study.task_metric(snakemake.config, snakemake.wildcards.task),
)
