# Every figure, one per page, in results/figures/all.pdf (and `snakemake --report`).


rule all_figures:
    input:
        figures=expand("results/figures/{figure}.pdf", figure=FIGURES),
    output:
        "results/figures/all.pdf",
    benchmark:
        "results/benchmarks/figures/all.tsv",
    log:
        "results/logs/figures/all.log",
    conda:
        "../../envs/seedstudy.yaml"
    script:
        "../scripts/all_figures.py"
