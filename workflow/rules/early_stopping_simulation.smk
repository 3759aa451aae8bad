# Early stopping offline (paper Figs. 5-7): rank correlation between evaluation points, and the
# paper's Algorithm 1 ("start t, stop after a fraction f, continue the best p") simulated on the
# observed curves at equal compute budgets. Parameters under `analysis.early_stopping`.


rule early_stopping_correlation:
    input:
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    output:
        table="results/tables/early_stopping_correlation.csv",
        figure=report(
            "results/figures/early_stopping_correlation.pdf",
            caption="../report/early_stopping_correlation.rst",
            category="Paper",
            subcategory="Fig. 5",
        ),
    log:
        "results/logs/analysis/early_stopping_correlation.log",
    benchmark:
        "results/benchmarks/analysis/early_stopping_correlation.tsv"
    priority: 4
    localrule: True
    params:
        sigma=config["analysis"]["correlation_smoothing"],
    script:
        "../scripts/early_stopping_correlation.py"


rule early_stopping_simulation:
    input:
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    output:
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
    log:
        "results/logs/analysis/early_stopping_simulation.log",
    benchmark:
        "results/benchmarks/analysis/early_stopping_simulation.tsv"
    # the longest analysis (16 s of 49 s at the paper grid's size, run last it was the critical path)
    priority: 10
    localrule: True
    # one thread: the other analyses run beside it rather than wait for it (at the paper grid's
    # size it took 8.6 s with two threads, 9.8 s with one, but two kept a core from the others)
    threads: 1
    params:
        settings={
            **config["analysis"]["early_stopping"],
            "seed": config["analysis"]["seed"],
            "confidence_level": config["analysis"]["confidence_level"],
        },
    script:
        "../scripts/early_stopping_simulation.py"
