"""The workflow's structure: which rules run on the login node, and the pages of all.pdf."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.snakemake_runs import REPO, planned

pytestmark = pytest.mark.workflow

EARLY_STOPPING = REPO / "tests" / "config" / "tiny_early_stopping.yaml"
TRIAL_RULES = {"finetune", "finetune_partial"}

# The rules of the workflow as Snakemake sees them (Snakemake's own API, in a subprocess: it
# parses the Snakefile): name -> local (run by the Snakemake process itself) or not, and the
# figures that rule all_figures merges into all.pdf.
_INSPECT = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings
repo, configfile = Path(sys.argv[1]), Path(sys.argv[2])
with SnakemakeApi(OutputSettings(quiet=True)) as api:
    workflow = api.workflow(resource_settings=ResourceSettings(), snakefile=repo / "Snakefile",
                            config_settings=ConfigSettings(configfiles=[configfile]), \
workdir=Path("."))
    inner = workflow._workflow
    local = {rule.name: rule.name in inner._localrules for rule in inner.rules}
    pages = inner.globals["report_figures"]()
    analyses = list(inner.globals["JOINT_ANALYSES"])
print(json.dumps({"local": local, "pages": pages, "analyses": analyses}))
"""


def inspect(workdir, configfile) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _INSPECT, str(REPO), str(configfile)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_only_trials_are_submitted_to_slurm(tmp_path, glue):
    """With --profile slurm every job but a trial runs on the login node: each rule says so
    where it is defined (`localrule: True`), and a study with live early stopping, the one
    with the most kinds of jobs, plans no other non-local job."""
    rules = inspect(tmp_path, EARLY_STOPPING)["local"]
    jobs = planned(tmp_path, "--profile", str(REPO / "slurm"), configfile=EARLY_STOPPING)
    assert "early_stopping_live_report" in jobs and "finetune_partial" in jobs
    submitted = {rule for rule in jobs if not rules[rule]}
    assert submitted == TRIAL_RULES & set(jobs)
    assert {rule for rule, local in rules.items() if not local} == TRIAL_RULES


def test_all_pdf_pages_come_from_the_rules_outputs(tmp_path, glue):
    plain = inspect(tmp_path, REPO / "tests" / "config" / "tiny.yaml")["pages"]
    live = inspect(tmp_path, EARLY_STOPPING)["pages"]
    assert plain[0] == "results/figures/best_found.pdf"
    assert "results/figures/early_stopping_settings.pdf" in plain
    # live early stopping's page exists only where a task stops early, after the other analyses
    assert "results/figures/early_stopping_live.pdf" not in plain
    assert live.index("results/figures/early_stopping_live.pdf") > live.index(
        "results/figures/failure_prediction.pdf"
    )
    assert len(set(live)) == len(live) == len(plain) + 1
    assert all(page.startswith("results/figures/") and page.endswith(".pdf") for page in live)


def test_every_analysis_can_be_named_in_analysis_only(tmp_path, glue):
    """The schema's list of analyses (`analysis.only`) is the list the rule files register; with
    `only`, the other analyses' figures are no pages of all.pdf."""
    import yaml

    from seedstudy.study.schema import _schema

    registered = inspect(tmp_path, REPO / "tests" / "config" / "tiny.yaml")["analyses"]
    known = _schema()["properties"]["analysis"]["properties"]["only"]["items"]["enum"]
    # adapter_components is registered where it applies: a LoRA recipe with adapter seeds
    assert registered == [name for name in known if name != "adapter_components"]
    assert inspect(tmp_path, REPO / "tests" / "config" / "tiny_lora.yaml")["analyses"] == known
    settings = yaml.safe_load((REPO / "tests" / "config" / "tiny.yaml").read_text())
    settings.setdefault("analysis", {})["only"] = ["seed_effects", "best_found"]
    configfile = tmp_path / "only.yaml"
    configfile.write_text(yaml.safe_dump(settings))
    only = inspect(tmp_path, configfile)
    assert only["analyses"] == ["best_found", "seed_effects"]
    assert only["pages"] == [
        "results/figures/best_found.pdf",
        "results/figures/seed_grid.pdf",
        "results/figures/seed_densities.pdf",
        "results/figures/seed_tables.pdf",
    ]
