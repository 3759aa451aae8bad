# Recipes compared on the paired seed grid (seedstudy.analysis.recipe_comparison): per task and pair of
# recipes the paired differences with their intervals, P(A > B), ASO, expected max per recipe, a
# mixed model and failure rates. Only a study with two recipes or more has the rule (and its pages).

if len(RECIPES) >= 2:

    rule recipe_comparison:
        input:
            trials="results/aggregate/trials.parquet",
            study="results/aggregate/study.json",
            # seeds and dev examples resampled together, where the trials have predictions
            multi_bootstrap="results/tables/multi_bootstrap.csv",
        output:
            # a page per task (the pairs of recipes on it), then the decisions of every task and pair
            *[
                report(
                    f"results/figures/recipe_comparison_{task}.pdf",
                    caption="../report/recipe_comparison_task.rst",
                    category="Recipes",
                    subcategory="Per task",
                )
                for task in TASKS
            ],
            figure=report(
                "results/figures/recipe_comparison.pdf",
                caption="../report/recipe_comparison.rst",
                category="Recipes",
                subcategory="Decisions",
            ),
            differences="results/tables/recipe_comparison_differences.csv",
            expected_max="results/tables/recipe_comparison_expected_max.csv",
            expected_max_differences="results/tables/recipe_comparison_expected_max_differences.csv",
            mixed_model="results/tables/recipe_comparison_mixed_model.csv",
            failures="results/tables/recipe_comparison_failures.csv",
            failure_tests="results/tables/recipe_comparison_failure_tests.csv",
        log:
            "results/logs/analysis/recipe_comparison.log",
        benchmark:
            "results/benchmarks/analysis/recipe_comparison.tsv"
        localrule: True
        params:
            tasks=TASKS,
            level=config["analysis"]["confidence_level"],
            resamples=config["analysis"]["bootstrap_samples"],
            seed=config["analysis"]["seed"],
        script:
            "../scripts/recipe_comparison.py"
