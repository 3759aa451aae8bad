# The analyses: each reads the aggregate tables and writes table(s) (CSV) and figure(s) (PDF).
# Their parameters live under `analysis:` in the config and never reach a trial rule.
# `priority:` starts the longest analyses first (seconds per rule at the paper grid's size:
# README, Speed), so that the last one to finish is a short one; the early-stopping simulation,
# the longest, has the highest (workflow/rules/early_stopping_simulation.smk).


rule best_found:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/best_found.csv",
        figure=report(
            "results/figures/best_found.pdf", caption="../report/best_found.rst", category="Paper", subcategory="Table 1"
        ),
    log:
        "results/logs/analysis/best_found.log",
    benchmark:
        "results/benchmarks/analysis/best_found.tsv"
    priority: 1
    localrule: True
    script:
        "../scripts/best_found.py"


rule expected_max:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/expected_max.csv",
        trials_needed="results/tables/trials_needed.csv",
        figure=report(
            "results/figures/expected_max.pdf", caption="../report/expected_max.rst", category="Paper", subcategory="Fig. 1"
        ),
        tuning_figure=report(
            "results/figures/tuning_curves.pdf",
            caption="../report/tuning_curves.rst",
            category="Expected max",
            subcategory="Tuning curves",
        ),
        trials_needed_figure=report(
            "results/figures/trials_needed.pdf",
            caption="../report/trials_needed.rst",
            category="Expected max",
            subcategory="Trials needed",
        ),
    log:
        "results/logs/analysis/expected_max.log",
    benchmark:
        "results/benchmarks/analysis/expected_max.tsv"
    priority: 5
    localrule: True
    params:
        level=config["analysis"]["confidence_level"],
        probability=config["analysis"]["trials_needed_probability"],
        band_method=config["analysis"]["band_method"],
        paper_grids=config["analysis"]["paper_grids"],
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
        grid_figure=report(
            "results/figures/seed_grid.pdf", caption="../report/seed_grid.rst", category="Paper", subcategory="Fig. 2"
        ),
        densities_figure=report(
            "results/figures/seed_densities.pdf", caption="../report/seed_densities.rst", category="Paper", subcategory="Fig. 3"
        ),
        tables_figure=report(
            "results/figures/seed_tables.pdf", caption="../report/seed_tables.rst", category="Paper", subcategory="Tables 3-4"
        ),
    log:
        "results/logs/analysis/seed_effects.log",
    benchmark:
        "results/benchmarks/analysis/seed_effects.tsv"
    priority: 8
    localrule: True
    script:
        "../scripts/seed_effects.py"


rule variance_components:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        anova="results/tables/anova.csv",
        table="results/tables/variance_components.csv",
        figure=report(
            "results/figures/variance_components.pdf",
            caption="../report/variance_components.rst",
            category="Variance",
            subcategory="Variance components",
        ),
        table_figure=report(
            "results/figures/variance_components_table.pdf",
            caption="../report/variance_components_table.rst",
            category="Variance",
            subcategory="Variance components",
        ),
    log:
        "results/logs/analysis/variance_components.log",
    benchmark:
        "results/benchmarks/analysis/variance_components.tsv"
    priority: 7
    localrule: True
    params:
        level=config["analysis"]["confidence_level"],
        samples=config["analysis"]["bootstrap_samples"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/variance_components.py"


rule seed_transfer:
    input:
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    output:
        means="results/tables/seed_means.csv",
        pairs="results/tables/seed_transfer_pairs.csv",
        concordance="results/tables/seed_transfer_concordance.csv",
        best_seeds="results/tables/seed_transfer_best_seeds.csv",
        figure=report(
            "results/figures/seed_transfer.pdf",
            caption="../report/seed_transfer.rst",
            category="Seed transfer",
            subcategory="Correlations",
        ),
        table_figure=report(
            "results/figures/seed_transfer_table.pdf",
            caption="../report/seed_transfer_table.rst",
            category="Seed transfer",
            subcategory="Best seeds",
        ),
    log:
        "results/logs/analysis/seed_transfer.log",
    benchmark:
        "results/benchmarks/analysis/seed_transfer.tsv"
    priority: 3
    localrule: True
    params:
        permutations=config["analysis"]["permutations"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/seed_transfer.py"


rule divergence:
    input:
        trials="results/aggregate/trials.parquet",
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    output:
        failures="results/tables/failures.csv",
        prediction="results/tables/failure_prediction.csv",
        failures_figure=report(
            "results/figures/failures.pdf", caption="../report/failures.rst", category="Paper", subcategory="Table 2"
        ),
        curves_figure=report(
            "results/figures/learning_curves.pdf",
            caption="../report/learning_curves.rst",
            category="Paper",
            subcategory="Fig. 4",
        ),
        densities_figure=report(
            "results/figures/best_densities.pdf",
            caption="../report/best_densities.rst",
            category="Divergence",
            subcategory="Best found densities",
        ),
        prediction_figure=report(
            "results/figures/failure_prediction.pdf",
            caption="../report/failure_prediction.rst",
            category="Divergence",
            subcategory="Early recognition",
        ),
    log:
        "results/logs/analysis/divergence.log",
    benchmark:
        "results/benchmarks/analysis/divergence.tsv"
    priority: 6
    localrule: True
    params:
        tolerance=config["analysis"]["failure_tolerance"],
        samples=config["analysis"]["curve_samples"],
        seed=config["analysis"]["seed"],
    script:
        "../scripts/divergence.py"
