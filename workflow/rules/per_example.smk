# Per-example predictions: held-out selection (Table 1 and the expected-max curves chosen on one
# part of the dev set and scored on the other), seed noise against evaluation noise, and the
# examples that flip with the seed; with several recipes, each recipe on its own, and every pair
# compared by the multi-bootstrap (seeds and dev examples resampled together). Trials without a
# predictions file (store_predictions: none) are left out, and the coverage table says so.


run_in_analyses_job(
    "per_example",
    input=dict(
        trials="results/aggregate/trials.parquet",
        study="results/aggregate/study.json",
        data=[f"results/data/{MODEL}/{task}" for task in TASKS],
    ),
    output=dict(
        coverage="results/tables/predictions_coverage.csv",
        held_out="results/tables/held_out.csv",
        held_out_curves="results/tables/held_out_expected_max.csv",
        trial_noise="results/tables/evaluation_noise_trials.csv",
        noise="results/tables/evaluation_noise.csv",
        flipping="results/tables/flipping_examples.csv",
        flipping_summary="results/tables/flipping_summary.csv",
        multi_bootstrap="results/tables/multi_bootstrap.csv",
        held_out_figure=report(
            "results/figures/held_out_table.pdf",
            caption="../report/held_out_table.rst",
            category="Per-example predictions",
            subcategory="Held-out Table 1",
        ),
        held_out_curves_figure=report(
            "results/figures/held_out_expected_max.pdf",
            caption="../report/held_out_expected_max.rst",
            category="Per-example predictions",
            subcategory="Held-out expected max",
        ),
        noise_figure=report(
            "results/figures/evaluation_noise.pdf",
            caption="../report/evaluation_noise.rst",
            category="Per-example predictions",
            subcategory="Evaluation noise",
        ),
        flipping_figure=report(
            "results/figures/flipping_examples.pdf",
            caption="../report/flipping_examples.rst",
            category="Per-example predictions",
            subcategory="Flipping examples",
        ),
        flipping_table_figure=report(
            "results/figures/flipping_table.pdf",
            caption="../report/flipping_table.rst",
            category="Per-example predictions",
            subcategory="Most flipping examples",
        ),
    ),
    params=dict(
        tasks=TASKS,
        selection_split=config["analysis"]["selection_split"],
        level=config["analysis"]["confidence_level"],
        samples=config["analysis"]["bootstrap_samples"],
        seed=config["analysis"]["seed"],
    ),
    priority=9,
)
