"""Helpers of the tests (and of some benchmarks): synthetic trials, tiny random-weight
checkpoints, GLUE fixtures, running Snakemake on a tiny study, killing a study mid-run, and the
reference implementation of the early-stopping simulation."""
