# Data preparation: read and check the GLUE split, subsample, tokenize once per (model, task).
rule prepare_data:
    input:
        glue_source_files,
    output:
        directory("results/data/{model}/{task}"),
    log:
        "results/logs/prepare_data/{model}/{task}.log",
    # before any trial: a data error stops the study before compute is spent
    priority: 100
    localrule: True
    threads: 1
    params:
        spec=data_spec,
        glue_dir=config["data"]["glue_dir"],
    script:
        "../scripts/prepare_data.py"
