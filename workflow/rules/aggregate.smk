# All trials -> tidy tables per task, then for the whole study.


rule aggregate_task:
    input:
        unpack(task_trials),
    output:
        curves="results/aggregate/{task}/curves.parquet",
        trials="results/aggregate/{task}/trials.parquet",
        losses="results/aggregate/{task}/losses.parquet",
    log:
        "results/logs/aggregate/{task}.log",
    benchmark:
        "results/benchmarks/aggregate/{task}.tsv"
    localrule: True
    params:
        failure_tolerance=config["analysis"]["failure_tolerance"],
    script:
        "../scripts/aggregate_task.py"


rule aggregate_study:
    input:
        expand("results/aggregate/{task}/trials.parquet", task=TASKS),
        expand("results/aggregate/{task}/curves.parquet", task=TASKS),
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
        study={"study": config["study"], "model": config["model"], "tasks": TASKS},
    script:
        "../scripts/aggregate_study.py"
