# One trial per (task, init seed, order seed[, dropout seed]).
#
# The trial rule's only parameter is the trial config (everything that decides the result):
# changing an analysis setting never reruns a trial, changing a hyperparameter of a task reruns
# exactly that task's trials. The prepared data is `ancient`: re-preparing identical data does
# not rerun trials. Runtime settings (threads, device, checkpoints) are read from the config by
# the script, outside params, so they never rerun trials either.

# Retries are the main Snakemake process's job: it resubmits a failed trial as a new cluster job
# with the next attempt's resources. Inside a cluster job (exec mode remote) a rule's `retries:`
# would rerun the trial within the same allocation and time limit as well
# (snakemake-executor-plugin-slurm#284), so there it is 0.
TRIAL_RETRIES = 0 if workflow.remote_exec else config["runtime"]["trial_retries"]


rule finetune:
    input:
        unpack(finetune_inputs),
    output:
        trial=f"results/trials/{{task}}/{TRIAL_STEM}.json",
        run=f"results/trials/{{task}}/{TRIAL_STEM}.run.json",
    params:
        trial=trial_config,
        checkpoint=checkpoint_path,
    log:
        f"results/logs/finetune/{{task}}/{TRIAL_STEM}.log",
    benchmark:
        f"results/benchmarks/finetune/{{task}}/{TRIAL_STEM}.tsv"
    threads: config["runtime"]["threads"]
    # a preempted trial (SIGTERM/SIGUSR1) checkpoints and exits 75; the retry resumes it exactly
    retries: TRIAL_RETRIES
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/finetune.py"


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
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/finetune.py"


checkpoint select_survivors:
    input:
        partial_trials,
    output:
        "results/early_stopping/{task}/selection.json",
    params:
        keep=lambda wildcards: early_stopping(wildcards.task)["keep"],
    log:
        "results/logs/select_survivors/{task}.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/select_survivors.py"


rule early_stopping_live:
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
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/early_stopping_live.py"


rule early_stopping_live_report:
    input:
        live=expand("results/tables/early_stopping_live_{task}.json", task=ES_TASKS),
        study="results/aggregate/study.json",
    output:
        table="results/tables/early_stopping_live.csv",
        figure=report("results/figures/early_stopping_live.pdf", category="Early stopping", subcategory="Live"),
    log:
        "results/logs/early_stopping_live/report.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/early_stopping_live_report.py"
