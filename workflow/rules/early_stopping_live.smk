# Live early stopping: trials stopped early for real in the DAG (library: seedstudy.analysis.early_stopping.live).
#
# Live early stopping (tasks with `early_stopping: {start, fraction, keep}`): train `start`
# trials to `fraction` of training, keep their checkpoints, select the best `keep` by best score
# so far; only those continue (rule finetune resumes them exactly), the others stay stopped.


rule finetune_partial:
    input:
        data=trial_data,
    output:
        trial=f"results/early_stopping/{{recipe_dir}}{{task}}/partial/{TRIAL_STEM}.json",
        run=f"results/early_stopping/{{recipe_dir}}{{task}}/partial/{TRIAL_STEM}.run.json",
    log:
        f"results/logs/finetune_partial/{{recipe_dir}}{{task}}/{TRIAL_STEM}.log",
    benchmark:
        f"results/benchmarks/finetune_partial/{{recipe_dir}}{{task}}/{TRIAL_STEM}.tsv"
    retries: TRIAL_RETRIES
    threads: config["runtime"]["threads"]
    params:
        trial=trial_config,
        checkpoint=checkpoint_path,
        fraction=lambda wildcards: early_stopping(wildcards.task)["fraction"],
    script:
        "../scripts/finetune.py"


checkpoint select_survivors:
    input:
        partial_trials,
    output:
        "results/early_stopping/{recipe_dir}{task}/selection.json",
    log:
        "results/logs/select_survivors/{recipe_dir}{task}.log",
    localrule: True
    params:
        keep=lambda wildcards: early_stopping(wildcards.task)["keep"],
    script:
        "../scripts/select_survivors.py"


rule early_stopping_live:
    input:
        selection="results/early_stopping/{recipe_dir}{task}/selection.json",
        partial_runs=lambda w: [
            f"results/early_stopping/{w.recipe_dir}{w.task}/partial/{s}.run.json"
            for s in grid_stems(w.task, w.recipe_dir)
        ],
        partial_benchmarks=lambda w: [
            f"results/benchmarks/finetune_partial/{w.recipe_dir}{w.task}/{s}.tsv"
            for s in grid_stems(w.task, w.recipe_dir)
        ],
        survivor_trials=lambda w: survivors(w, ".json"),
        survivor_runs=lambda w: survivors(w, ".run.json"),
        survivor_benchmarks=lambda w: [
            p.replace("results/trials/", "results/benchmarks/finetune/")
            for p in survivors(w, ".tsv")
        ],
    output:
        "results/tables/{recipe_dir}early_stopping_live_{task}.json",
    log:
        "results/logs/early_stopping_live/{recipe_dir}{task}.log",
    localrule: True
    params:
        # a study with recipes: each row of the live table names its recipe
        recipe=lambda wildcards: (
            RECIPE_OF_DIR[wildcards.recipe_dir] if study.has_recipes(config) else None
        ),
    script:
        "../scripts/early_stopping_live.py"


if ES_TASKS:

    rule early_stopping_live_report:
        input:
            live=expand(
                "results/tables/{recipe_dir}early_stopping_live_{task}.json",
                recipe_dir=RECIPE_DIRS.values(),
                task=ES_TASKS,
            ),
            study="results/aggregate/study.json",
        output:
            table="results/tables/early_stopping_live.csv",
            figure=report(
                "results/figures/early_stopping_live.pdf",
                caption="../report/early_stopping_live.rst",
                category="Early stopping",
                subcategory="Live",
            ),
        log:
            "results/logs/early_stopping_live/report.log",
        localrule: True
        script:
            "../scripts/early_stopping_live_report.py"
