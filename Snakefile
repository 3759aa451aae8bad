# seedstudy: seed-variance studies of language-model fine-tuning (Dodge et al. 2020).
#   snakemake results/figures/all.pdf          the embedded default study (config.yaml), locally
#   snakemake --profile slurm -j 200           the paper grid (config/paper.yaml) on a SLURM cluster
from snakemake.utils import min_version

min_version("9.20")


# the embedded default study, unless a study is given with --configfile (which then replaces it
# rather than being merged into it); --config key=value overrides either
if not workflow.config_settings.configfiles:

    configfile: "config.yaml"


# every rule runs in this one environment under `--sdm conda` (the library itself comes from src/)
conda: "envs/seedstudy.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/per_example.smk"
include: "workflow/rules/early_stopping_simulation.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/early_stopping_live.smk"
include: "workflow/rules/recipe_comparison.smk"
include: "workflow/rules/figures.smk"


onstart:
    check_executor()


onsuccess:
    report_analysis_failures()


onerror:
    forget_no_failure()


rule all:
    default_target: True
    input:
        get_final_output(),
    localrule: True
