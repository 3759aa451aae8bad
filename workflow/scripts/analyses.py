"""analyses: every analysis of the aggregate tables in one job (seedstudy.analysis.runner).

Each analysis is the script workflow/scripts/<name>.py, run as Snakemake would run it on its own:
it sees a `snakemake` object with its own input, output, params and log (the entries of rule
analyses named <name>__<entry>, without the prefix), the config, and one thread.
"""

import json
import logging
import runpy
import sys
from functools import partial
from pathlib import Path

from seedstudy.analysis import runner
from seedstudy.figures import failure_notes
from seedstudy.logs import log_to

log_to(snakemake.log.main)
SCRIPTS = Path(__file__).resolve().parent
Namedlist = type(snakemake.params)  # Snakemake's named list, whatever module defines it


def own(entries, name):
    """The entries <name>__<entry> of rule analyses, as <entry>."""
    prefix = f"{name}__"
    return Namedlist(
        fromdict={
            key[len(prefix) :]: value for key, value in entries.items() if key.startswith(prefix)
        }
    )


class AnalysisJob:
    """The `snakemake` object of one analysis script."""

    def __init__(self, name):
        self.input, self.output = own(snakemake.input, name), own(snakemake.output, name)
        self.params = Namedlist(fromdict=dict(getattr(snakemake.params, name)))
        self.log = Namedlist(fromdict={"log": getattr(snakemake.log, name)})
        self.config, self.wildcards, self.rule = snakemake.config, Namedlist(), name
        self.threads, self.resources = 1, snakemake.resources


jobs = [
    runner.Analysis(
        name,
        partial(
            runpy.run_path,
            str(SCRIPTS / f"{name}.py"),
            init_globals={"snakemake": AnalysisJob(name)},
            run_name="__main__",
        ),
        log=getattr(snakemake.log, name),
        priority=-rank,
    )
    for rank, name in enumerate(snakemake.params.order)
]
# what the scripts import, and matplotlib's PDF backend, which each figures.save would otherwise
# import (with fontTools) on its first savefig
modules = [
    module
    for name in snakemake.params.order
    for module in runner.script_imports(SCRIPTS / f"{name}.py")
]
# (and what pandas imports on a first read_parquet or DataFrame.style)
modules += [
    "matplotlib.backends.backend_pdf",
    "pyarrow.parquet",
    "pyarrow.dataset",
    "pandas.io.formats.style",
]
failures = {}
try:
    seconds = runner.run(jobs, workers=snakemake.threads, modules=modules)
    logging.info(
        "seconds per analysis: %s",
        ", ".join(f"{name} {value:.2f}" for name, value in seconds.items()),
    )
except runner.AnalysisFailed as failed:
    # the others' outputs stay; the failed ones' outputs say why (all.pdf shows it), and the
    # record makes the next run retry them (params.retry of rule analyses)
    logging.error("%s", failed)
    print(f"analyses: {failed}", file=sys.stderr)
    failures = failed.failures
    for name, error in failures.items():
        failure_notes(list(own(snakemake.output, name)), name, error, getattr(snakemake.log, name))
record = Path(snakemake.params.record)
record.parent.mkdir(parents=True, exist_ok=True)
record.write_text(
    json.dumps(
        {
            "failed": {name: error.strip().splitlines()[-1] for name, error in failures.items()},
            "runs_with_failures": snakemake.params.retry + bool(failures),
        }
    )
    + "\n"
)
