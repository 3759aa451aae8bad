"""all_figures: every figure, one per page, into results/figures/all.pdf."""

from seedstudy.figures import merge
from seedstudy.logs import log_to

log_to(snakemake.log[0])
merge(snakemake.input.figures, snakemake.output[0])
