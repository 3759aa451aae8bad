# Early stopping offline (paper Figs. 5-7): rank correlation between evaluation points, and the
# paper's Algorithm 1 ("start t, stop after a fraction f, continue the best p") simulated on the
# observed curves at equal compute budgets. Parameters under `analysis.early_stopping`.


run_in_analyses_job(
    "early_stopping_correlation",
    input=dict(
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        table="results/tables/early_stopping_correlation.csv",
        figure=report(
            "results/figures/early_stopping_correlation.pdf",
            caption="../report/early_stopping_correlation.rst",
            category="Paper",
            subcategory="Fig. 5",
        ),
    ),
    params=dict(
        sigma=config["analysis"]["correlation_smoothing"],
    ),
    priority=4,
)

run_in_analyses_job(
    "early_stopping_simulation",
    input=dict(
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    ),
    output=dict(
        candidates="results/tables/early_stopping_candidates.csv",
        budgets="results/tables/early_stopping_budgets.csv",
        settings_figure=report(
            "results/figures/early_stopping_settings.pdf",
            caption="../report/early_stopping_settings.rst",
            category="Paper",
            subcategory="Fig. 6",
        ),
        error_reduction_figure=report(
            "results/figures/early_stopping_error_reduction.pdf",
            caption="../report/early_stopping_error_reduction.rst",
            category="Paper",
            subcategory="Fig. 7",
        ),
    ),
    params=dict(
        settings={
            **config["analysis"]["early_stopping"],
            "seed": config["analysis"]["seed"],
            "confidence_level": config["analysis"]["confidence_level"],
        },
        paper_reference=config["analysis"]["paper_grids"],
    ),
    priority=10,
)
