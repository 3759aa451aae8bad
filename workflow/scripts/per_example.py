"""per_example: held-out selection, evaluation noise and flipping examples
from the trials' predictions."""

import json
from pathlib import Path

import pandas as pd

from seedstudy import figures
from seedstudy.analysis.per_example import tables as per_example
from seedstudy.analysis.recipes import facets, per_recipe
from seedstudy.figures import evaluation_noise as noise_plots
from seedstudy.figures import flipping as flipping_plots
from seedstudy.figures import held_out as held_out_plots
from seedstudy.logs import log_to

log_to(snakemake.log[0])
REPORT = Path(__file__).resolve().parents[1] / "report"  # captions, shared with the report
study = json.load(open(snakemake.input.study))
trials = pd.read_parquet(snakemake.input.trials)
dev = {
    task: per_example.dev_examples(folder)
    for task, folder in zip(snakemake.params.tasks, snakemake.input.data)
}
p = snakemake.params


def analyse(recipe_trials):
    """Every per-example table of one recipe's trials, in the order of per_example.TABLES."""
    tables = per_example.analyse(recipe_trials, dev, p.selection_split, p.level, p.samples, p.seed)
    return tuple(tables[name] for name in per_example.TABLES)


# once per recipe (a first column `recipe` with several), then every pair of recipes with seeds
# and dev examples resampled together
tables = dict(zip(per_example.TABLES, per_recipe(analyse, trials)))
tables["multi_bootstrap"] = per_example.multi_bootstrap_table(
    trials, dev, p.level, p.samples, p.seed
)

out = snakemake.output
for name, path in [
    ("coverage", out.coverage),
    ("held_out", out.held_out),
    ("held_out_curves", out.held_out_curves),
    ("trial_noise", out.trial_noise),
    ("evaluation_noise", out.noise),
    ("flipping_examples", out.flipping),
    ("flipping_summary", out.flipping_summary),
    ("multi_bootstrap", out.multi_bootstrap),
]:
    tables[name].to_csv(path, index=False)
# the figures draw a facet per task (and recipe, with several)
tables = {name: facets(table) if "task" in table else table for name, table in tables.items()}

coverage = tables["coverage"]
skipped = {row.task: row.note for row in coverage.itertuples() if row.with_predictions == 0}
left_out = "; ".join(
    f"{task}: {note}" for task, note in zip(coverage["task"], coverage["note"]) if note
)
tasks = sorted(coverage["task"])
extra = f"Left out: {left_out}." if left_out else ""
off = "analysis.selection_split is off (null): set it, e.g. to 0.5, for the held-out numbers"
selection = "" if p.selection_split is not None else off

figures.save(
    held_out_plots.table_1_page(tables["held_out"], note=selection or left_out),
    out.held_out_figure,
    *figures.captioned(REPORT, "held_out_table", snakemake.config, study, extra),
)
figures.save(
    held_out_plots.curves_page(
        tables["held_out_curves"],
        tasks,
        skipped if p.selection_split is not None else dict.fromkeys(tasks, off),
    ),
    out.held_out_curves_figure,
    *figures.captioned(REPORT, "held_out_expected_max", snakemake.config, study, extra),
)
sentences = " ".join(tables["evaluation_noise_sentences"].query("score == 'final'")["sentence"])
figures.save(
    noise_plots.decomposition_page(tables["evaluation_noise"], tasks, skipped),
    out.noise_figure,
    *figures.captioned(
        REPORT,
        "evaluation_noise",
        snakemake.config,
        study,
        " ".join(filter(None, [sentences, extra])),
    ),
)
figures.save(
    flipping_plots.histogram_page(
        tables["flipping_examples"], tables["flipping_summary"], tasks, skipped
    ),
    out.flipping_figure,
    *figures.captioned(REPORT, "flipping_examples", snakemake.config, study, extra),
)
figures.save(
    flipping_plots.most_flipping_page(tables["flipping_examples"]),
    out.flipping_table_figure,
    *figures.captioned(REPORT, "flipping_table", snakemake.config, study, extra),
)
