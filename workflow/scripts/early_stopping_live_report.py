"""early_stopping_live_report: the live early-stopping tasks' compute in one table and figure."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.recipes import facets
from seedstudy.figures.early_stopping_live import compute_spent
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
table = pd.DataFrame([json.load(open(path)) for path in snakemake.input.live])
table.to_csv(snakemake.output.table, index=False)
figures.save(
    compute_spent(facets(table)),
    snakemake.output.figure,
    *figures.captioned(
        REPORT, "early_stopping_live", snakemake.config, json.load(open(snakemake.input.study))
    ),
)
