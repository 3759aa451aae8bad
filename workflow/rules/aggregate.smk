# All trials -> tidy tables per task, then for the whole study.


rule aggregate_task:
    localrule: True
    input:
        unpack(task_trials),
    output:
        curves="results/aggregate/{task}/curves.parquet",
        trials="results/aggregate/{task}/trials.parquet",
        losses="results/aggregate/{task}/losses.parquet",
    params:
        failure_tolerance=config["analysis"]["failure_tolerance"],
    benchmark:
        "results/benchmarks/aggregate/{task}.tsv",
    log:
        "results/logs/aggregate/{task}.log",
    script:
        "../scripts/aggregate_task.py"


rule aggregate_study:
    localrule: True
    input:
        expand("results/aggregate/{task}/trials.parquet", task=TASKS),
        expand("results/aggregate/{task}/curves.parquet", task=TASKS),
    output:
        trials="results/aggregate/trials.parquet",
        curves="results/aggregate/curves.parquet",
        study="results/aggregate/study.json",
    params:
        study={"study": config["study"], "model": config["model"], "tasks": TASKS},
    benchmark:
        "results/benchmarks/aggregate/study.tsv",
    log:
        "results/logs/aggregate/study.log",
    script:
        "../scripts/aggregate_study.py"
