# Data preparation: read and check the GLUE split, subsample, tokenize once per (model, task).
from seedstudy.data.glue import source_files


def glue_source_files(wildcards):
    """The local GLUE files a task is prepared from: another folder or a changed file prepares
    it again, and the trials of other data rerun (seedstudy.data.prepare.prepared_is_current)."""
    return [str(path) for path in source_files(data_spec(wildcards), config["data"]["glue_dir"])]


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
