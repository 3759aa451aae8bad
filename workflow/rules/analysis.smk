# The analyses of the aggregate tables: each reads them and writes table(s) (CSV) and figure(s)
# (PDF), with the script workflow/scripts/<name>.py. Their parameters live under `analysis:` in
# the config and never reach a trial rule.
#
# Each registers with `run_in_analyses_job` (workflow/rules/common.smk) and runs in the one job
# `analyses` (workflow/rules/analyses.smk). `priority`: the longest analyses start first, so that
# a short one ends the job.


run_in_analyses_job(
    "best_found",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        table="results/tables/best_found.csv",
        figure=report(
            "results/figures/best_found.pdf",
            caption="../report/best_found.rst",
            category="Paper",
            subcategory="Table 1",
        ),
    ),
    params=dict(paper_reference=config["analysis"]["paper_grids"]),
    priority=1,
)

run_in_analyses_job(
    "expected_max",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        table="results/tables/expected_max.csv",
        trials_needed="results/tables/trials_needed.csv",
        figure=report(
            "results/figures/expected_max.pdf",
            caption="../report/expected_max.rst",
            category="Paper",
            subcategory="Fig. 1",
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
    ),
    params=dict(
        level=config["analysis"]["confidence_level"],
        probability=config["analysis"]["trials_needed_probability"],
        band_method=config["analysis"]["band_method"],
        paper_grids=config["analysis"]["paper_grids"],
    ),
    priority=5,
)

run_in_analyses_job(
    "seed_effects",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        grid="results/tables/seed_grid.csv",
        within_sd="results/tables/within_seed_sd.csv",
        best_worst="results/tables/best_worst_seeds.csv",
        grid_figure=report(
            "results/figures/seed_grid.pdf",
            caption="../report/seed_grid.rst",
            category="Paper",
            subcategory="Fig. 2",
        ),
        densities_figure=report(
            "results/figures/seed_densities.pdf",
            caption="../report/seed_densities.rst",
            category="Paper",
            subcategory="Fig. 3",
        ),
        tables_figure=report(
            "results/figures/seed_tables.pdf",
            caption="../report/seed_tables.rst",
            category="Paper",
            subcategory="Tables 3-4",
        ),
    ),
    params=dict(paper_reference=config["analysis"]["paper_grids"]),
    priority=8,
)

run_in_analyses_job(
    "variance_components",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
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
    ),
    params=dict(
        level=config["analysis"]["confidence_level"],
        samples=config["analysis"]["bootstrap_samples"],
        seed=config["analysis"]["seed"],
    ),
    priority=7,
)

# with an adapter-seed grid (LoRA, training.adapter_seed a list) in some task of some recipe
if any(
    study.adapter_owner(study.task_training(variant, task)) == "grid"
    for variant in RECIPE_CONFIGS.values()
    for task in TASKS
):

    run_in_analyses_job(
        "adapter_components",
        input=dict(
            trials="results/aggregate/trials.parquet",
            study="results/aggregate/study.json",
        ),
        output=dict(
            table="results/tables/adapter_components.csv",
            figure=report(
                "results/figures/adapter_components.pdf",
                caption="../report/adapter_components.rst",
                category="Variance",
                subcategory="Init x order x adapter seeds",
            ),
        ),
        priority=6,
    )

run_in_analyses_job(
    "seed_transfer",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
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
    ),
    params=dict(
        permutations=config["analysis"]["permutations"],
        seed=config["analysis"]["seed"],
    ),
    priority=3,
)

run_in_analyses_job(
    "divergence",
    input=dict(
        trials="results/aggregate/trials.parquet",
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        failures="results/tables/failures.csv",
        prediction="results/tables/failure_prediction.csv",
        failures_figure=report(
            "results/figures/failures.pdf",
            caption="../report/failures.rst",
            category="Paper",
            subcategory="Table 2",
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
    ),
    params=dict(
        tolerance=config["analysis"]["failure_tolerance"],
        samples=config["analysis"]["curve_samples"],
        seed=config["analysis"]["seed"],
        paper_reference=config["analysis"]["paper_grids"],
    ),
    priority=6,
)

run_in_analyses_job(
    "plan",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        table="results/tables/plan.csv",
        mean="results/tables/plan_mean.csv",
        figure=report(
            "results/figures/plan.pdf",
            caption="../report/plan.rst",
            category="Planning",
            subcategory="How many seeds",
        ),
    ),
    params=dict(
        **config["analysis"]["plan"],
        # the trials' times: their benchmark files under results/benchmarks/finetune/
        results="results",
        resamples=config["analysis"]["bootstrap_samples"],
        seed=config["analysis"]["seed"],
    ),
    priority=2,
)
