# Live early stopping: trials stopped early for real in the DAG (library: seedstudy.early_stopping_live).
#
# Live early stopping (tasks with `early_stopping: {start, fraction, keep}`): train `start`
# trials to `fraction` of training, keep their checkpoints, select the best `keep` by best score
# so far; only those continue (rule finetune resumes them exactly), the others stay stopped.


rule finetune_partial:
    input:
        data=ancient(data_dir),
    output:
        trial=f"results/early_stopping/{{task}}/partial/{TRIAL_STEM}.json",
        run=f"results/early_stopping/{{task}}/partial/{TRIAL_STEM}.run.json",
    params:
        trial=trial_config,
        checkpoint=checkpoint_path,
        fraction=lambda wildcards: early_stopping(wildcards.task)["fraction"],
    log:
        f"results/logs/finetune_partial/{{task}}/{TRIAL_STEM}.log",
    benchmark:
        f"results/benchmarks/finetune_partial/{{task}}/{TRIAL_STEM}.tsv"
    threads: config["runtime"]["threads"]
    retries: TRIAL_RETRIES
    script:
        "../scripts/finetune.py"


checkpoint select_survivors:
    localrule: True
    input:
        partial_trials,
    output:
        "results/early_stopping/{task}/selection.json",
    params:
        keep=lambda wildcards: early_stopping(wildcards.task)["keep"],
    log:
        "results/logs/select_survivors/{task}.log",
    script:
        "../scripts/select_survivors.py"


rule early_stopping_live:
    localrule: True
    input:
        selection="results/early_stopping/{task}/selection.json",
        partial_runs=lambda w: [f"results/early_stopping/{w.task}/partial/{s}.run.json" for s in grid_stems(w.task)],
        partial_benchmarks=lambda w: [f"results/benchmarks/finetune_partial/{w.task}/{s}.tsv" for s in grid_stems(w.task)],
        survivor_trials=lambda w: survivors(w.task, ".json"),
        survivor_runs=lambda w: survivors(w.task, ".run.json"),
        survivor_benchmarks=lambda w: [p.replace("results/trials/", "results/benchmarks/finetune/") for p in survivors(w.task, ".tsv")],
    output:
        "results/tables/early_stopping_live_{task}.json",
    log:
        "results/logs/early_stopping_live/{task}.log",
    script:
        "../scripts/early_stopping_live.py"


if ES_TASKS:

    rule early_stopping_live_report:
        localrule: True
        input:
            live=expand("results/tables/early_stopping_live_{task}.json", task=ES_TASKS),
            study="results/aggregate/study.json",
        output:
            table="results/tables/early_stopping_live.csv",
            figure=report(
            "results/figures/early_stopping_live.pdf",
            caption="../report/early_stopping_live.rst", category="Early stopping", subcategory="Live"),
        log:
            "results/logs/early_stopping_live/report.log",
        script:
            "../scripts/early_stopping_live_report.py"
