# The job `analyses`: every analysis registered with `run_in_analyses_job` (analysis.smk,
# per_example.smk, early_stopping_simulation.smk, included before this file) in one job. It
# imports pandas, matplotlib, seaborn, scipy and statsmodels once and runs the analyses in forked
# worker processes, `threads` at a time (seedstudy.analysis.runner): the imports, most of a
# short analysis's seconds, are paid once (docs/performance.md). Changing one analysis's
# parameter reruns them all (seconds); it never reruns a trial.
#
# An analysis that fails takes nothing else with it: the job writes failure notes in place of its
# outputs (all.pdf shows which analysis failed and why, where its figures would be) and records
# them in ANALYSIS_FAILURES (common.smk), with a count of the job's runs that had failures; that
# count is a parameter of the job, so the run after a failure retries the failed analyses (and,
# failing again, says so again), and the run after a success reruns nothing.
rule analyses:
    input:
        **analysis_entries("input"),
    output:
        **analysis_entries("output"),
    log:
        **{name: f"results/logs/analysis/{name}.log" for name in JOINT_ANALYSES},
        main="results/logs/analysis/analyses.log",
    benchmark:
        "results/benchmarks/analysis/analyses.tsv"
    localrule: True
    # analyses side by side (scaled down to --cores; on a cluster's login node, --local-cores)
    threads: 4
    params:
        **{name: spec["params"] for name, spec in JOINT_ANALYSES.items()},
        order=analysis_order(),
        # an edited analysis script reruns the analyses (Snakemake's code trigger sees this script only)
        code=analysis_code(),
        retry=analysis_failures()["runs_with_failures"],
        record=ANALYSIS_FAILURES,
    script:
        "../scripts/analyses.py"
