# Every figure, one per page, in results/figures/all.pdf (and `snakemake --report`).
rule all_figures:
    input:
        figures=lambda wildcards: report_figures(),
    output:
        "results/figures/all.pdf",
    log:
        "results/logs/figures/all.log",
    benchmark:
        "results/benchmarks/figures/all.tsv"
    localrule: True
    script:
        "../scripts/all_figures.py"
