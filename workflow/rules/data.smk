# Data preparation: read and check the GLUE split, subsample, tokenize once per (model, task).


rule prepare_data:
    localrule: True
    output:
        directory("results/data/{model}/{task}"),
    params:
        spec=lambda wildcards: study.data_spec(config, wildcards.task),
        glue_dir=config["data"]["glue_dir"],
    log:
        "results/logs/prepare_data/{model}/{task}.log",
    threads: 1
    # before any trial: a data error stops the study before compute is spent
    priority: 100
    script:
        "../scripts/prepare_data.py"
