# All trials -> tidy tables per task, then for the whole study.
rule aggregate_task:
    input:
        unpack(task_trials),
    output:
        curves="results/aggregate/{recipe_dir}{task}/curves.parquet",
        trials="results/aggregate/{recipe_dir}{task}/trials.parquet",
        losses="results/aggregate/{recipe_dir}{task}/losses.parquet",
    log:
        "results/logs/aggregate/{recipe_dir}{task}.log",
    benchmark:
        "results/benchmarks/aggregate/{recipe_dir}{task}.tsv"
    localrule: True
    params:
        failure_tolerance=config["analysis"]["failure_tolerance"],
        recipe=lambda wildcards: RECIPE_OF_DIR[wildcards.recipe_dir],
        provenance=aggregate_provenance,
        data=data_dir,
    script:
        "../scripts/aggregate_task.py"


rule aggregate_study:
    input:
        # the folders too: a failed aggregate_task's outputs are deleted, which updates its
        # folder's mtime, so that the next run redoes it and everything below it
        expand("results/aggregate/{recipe_dir}{task}", recipe_dir=RECIPE_DIRS.values(), task=TASKS),
        expand(
            "results/aggregate/{recipe_dir}{task}/trials.parquet",
            recipe_dir=RECIPE_DIRS.values(),
            task=TASKS,
        ),
        expand(
            "results/aggregate/{recipe_dir}{task}/curves.parquet",
            recipe_dir=RECIPE_DIRS.values(),
            task=TASKS,
        ),
    output:
        trials="results/aggregate/trials.parquet",
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    log:
        "results/logs/aggregate/study.log",
    benchmark:
        "results/benchmarks/aggregate/study.tsv"
    localrule: True
    params:
        study={
            "study": config["study"],
            "model": config["model"],
            "tasks": TASKS,
            "recipes": RECIPES,
            "models": {recipe: variant["model"] for recipe, variant in RECIPE_CONFIGS.items()},
        },
    script:
        "../scripts/aggregate_study.py"
