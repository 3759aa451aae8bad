# One trial per (task, init seed, order seed[, dropout seed]).
#
# The trial rule's only parameter is the trial config (everything that decides the result):
# changing an analysis setting never reruns a trial, changing a hyperparameter of a task reruns
# exactly that task's trials. The prepared data is `ancient` (`trial_data`): re-preparing identical
# data does not rerun trials, re-preparing it for another data spec does. Runtime settings (threads, device, checkpoints) are read from the config by
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
        trial=f"results/trials/{{recipe_dir}}{{task}}/{TRIAL_STEM}.json",
        run=f"results/trials/{{recipe_dir}}{{task}}/{TRIAL_STEM}.run.json",
    log:
        f"results/logs/finetune/{{recipe_dir}}{{task}}/{TRIAL_STEM}.log",
    benchmark:
        f"results/benchmarks/finetune/{{recipe_dir}}{{task}}/{TRIAL_STEM}.tsv"
    # a preempted trial (SIGTERM/SIGUSR1) checkpoints and exits 75; the retry resumes it exactly
    retries: TRIAL_RETRIES
    threads: config["runtime"]["threads"]
    params:
        trial=trial_config,
        checkpoint=checkpoint_path,
    script:
        "../scripts/finetune.py"
