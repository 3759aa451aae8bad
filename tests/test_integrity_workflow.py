"""A finished tiny study against foreign trials, changed data and failing jobs: nothing in
all.pdf that the current config and data did not produce, no failure forgotten, no failure that
deletes another job's outputs."""

import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from support.snakemake_runs import planned, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def study(tmp_path_factory, glue):
    workdir = tmp_path_factory.mktemp("integrity")
    snakemake(workdir, "results/figures/all.pdf")
    return workdir


def _pdf_text(path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_a_foreign_trial_is_refused_by_name_and_the_failure_is_not_forgotten(study):
    trials = Path(study) / "results" / "trials" / "sst2"
    all_pdf = Path(study) / "results" / "figures" / "all.pdf"
    shutil.copy(trials / "init1_order1.json", trials / "init1_order2.json")
    failed = snakemake(study, check=False)
    assert failed.returncode != 0
    text = failed.stdout + failed.stderr
    assert "results/trials/sst2/init1_order2.json: trained with another config" in text
    assert "seeds.order: 1 -> 2" in text
    assert not all_pdf.exists()  # never a stale all.pdf that looks current
    jobs = planned(study)
    assert jobs["aggregate_task"] == 1 and jobs["all_figures"] == 1  # redone, not forgotten
    (trials / "init1_order2.json").unlink()  # what the error advises
    jobs = planned(study)
    assert jobs["finetune"] == 1 and jobs["aggregate_task"] == 1
    snakemake(study)
    assert json.loads((trials / "init1_order2.run.json").read_text())["restored"] is True
    assert planned(study) == {}


def test_a_failing_analysis_keeps_the_others_and_all_pdf_names_it(study):
    results = Path(study) / "results"
    override = ["--config", "analysis={'selection_split': 0.99, 'bootstrap_samples': 50}"]
    snakemake(study, *override)
    record = results / "logs" / "analysis" / "failed.json"
    failures = json.loads(record.read_text())["failed"]
    assert list(failures) == ["per_example"] and "selection_split 0.99" in failures["per_example"]
    assert (results / "tables" / "best_found.csv").exists()
    assert "failed_analysis" in (results / "tables" / "held_out.csv").read_text()
    text = _pdf_text(results / "figures" / "all.pdf")
    assert "Analysis per_example failed: ValueError: selection_split 0.99" in text
    assert "Table 1" in text
    assert planned(study, *override)["analyses"] == 1  # a failure is retried by the next run
    again = snakemake(study, *override)
    assert "analysis per_example failed: ValueError: selection_split 0.99" in again.stderr
    snakemake(study)
    assert json.loads(record.read_text())["failed"] == {}
    assert "failed_analysis" not in (results / "tables" / "held_out.csv").read_text()
    assert planned(study) == {}  # after a success, nothing is retried


def test_a_trial_outside_the_grid_is_refused(study):
    result = snakemake(study, "-n", "results/trials/sst2/init9_order9.json", check=False)
    assert result.returncode != 0
    assert "trial sst2/init9_order9 is not in the study's grid" in result.stdout + result.stderr


def test_other_glue_files_reprepare_the_data_and_rerun_its_trials(study, glue, tmp_path):
    copy = tmp_path / "glue"
    (copy / "SST-2").mkdir(parents=True)
    shutil.copy(glue / "SST-2" / "train.tsv", copy / "SST-2" / "train.tsv")
    dev = (glue / "SST-2" / "dev.tsv").read_text().splitlines()
    label = dev[1][-1]
    dev[1] = dev[1][:-1] + ("0" if label == "1" else "1")  # one dev label changed
    (copy / "SST-2" / "dev.tsv").write_text("\n".join(dev) + "\n")
    jobs = planned(study, env={"GLUE_DIR": str(copy)})
    assert jobs["prepare_data"] == 1 and jobs["finetune"] == 4
    assert planned(study) == {}  # the files the study was prepared from: nothing to do
