# Every figure, one per page, in results/figures/all.pdf (and `snakemake --report`).
rule all_figures:
    localrule: True
    input:
        figures=lambda wildcards: report_figures(),
    output:
        "results/figures/all.pdf",
    benchmark:
        "results/benchmarks/figures/all.tsv",
    log:
        "results/logs/figures/all.log",
    script:
        "../scripts/all_figures.py"
