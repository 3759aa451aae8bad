"""adapter_components: variance over init x order x adapter seeds (LoRA adapter-seed grids)."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.adapter_components import adapter_components_table
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import adapter_components as plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)

table = per_recipe(adapter_components_table, trials)
table.to_csv(snakemake.output.table, index=False)
figures.save(
    plots.adapter_shares(facets(table)),
    snakemake.output.figure,
    *figures.captioned(REPORT, "adapter_components", snakemake.config, study),
)
