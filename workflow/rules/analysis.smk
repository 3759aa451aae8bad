# The analyses: each reads the aggregate tables and writes table(s) (CSV) and figure(s) (PDF).
# Their parameters live under `analysis:` in the config and never reach a trial rule.


rule best_found:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/best_found.csv",
        figure=report("results/figures/best_found.pdf", category="Paper", subcategory="Table 1"),
    log:
        "results/logs/analysis/best_found.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/best_found.py"


rule expected_max:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/expected_max.csv",
        figure=report("results/figures/expected_max.pdf", category="Paper", subcategory="Fig. 1"),
    log:
        "results/logs/analysis/expected_max.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/expected_max.py"


rule seed_effects:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        grid="results/tables/seed_grid.csv",
        within_sd="results/tables/within_seed_sd.csv",
        best_worst="results/tables/best_worst_seeds.csv",
        grid_figure=report("results/figures/seed_grid.pdf", category="Paper", subcategory="Fig. 2"),
        densities_figure=report("results/figures/seed_densities.pdf", category="Paper", subcategory="Fig. 3"),
    log:
        "results/logs/analysis/seed_effects.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/seed_effects.py"


rule anova:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/anova.csv",
        figure=report("results/figures/anova.pdf", category="Variance", subcategory="Two-way ANOVA"),
    log:
        "results/logs/analysis/anova.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/anova.py"
