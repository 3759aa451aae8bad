"""prepare_data: read, check, subsample and tokenize one GLUE task (see seedstudy.data.prepare)."""
from seedstudy.data import prepare
from seedstudy.logs import log_to

log_to(snakemake.log[0])
spec = snakemake.params.spec
prepare(
    spec["task"],
    spec["model"],
    snakemake.output[0],
    glue_dir=snakemake.params.glue_dir,
    source=spec["source"],
    train_size=spec["train_size"],
    dev_size=spec["dev_size"],
    subsample_seed=spec["subsample_seed"],
    max_length=spec["max_length"],
)
