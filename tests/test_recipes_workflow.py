"""Recipes in the workflow: the tiny recipes study for real to all.pdf, what changing or adding a
recipe recomputes, and the DAG of config/recipes.yaml (3 recipes x 2 tasks x 625 trials)."""

import copy
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader
from support.snakemake_runs import REPO, planned, planned_outputs, snakemake

from seedstudy import preflight
from seedstudy import study as studies

pytestmark = pytest.mark.workflow

TINY_RECIPES = REPO / "tests" / "config" / "tiny_recipes.yaml"
RECIPES_CONFIG = REPO / "config" / "recipes.yaml"


def variant(tmp_path, name, change):
    """tiny_recipes.yaml with `change(config)` applied, as a file."""
    config = yaml.safe_load(TINY_RECIPES.read_text())
    change(config)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory, glue):
    """The tiny recipes study (2 recipes x 2x2 seeds of SST-2), run once for real to all.pdf."""
    workdir = tmp_path_factory.mktemp("recipes")
    snakemake(workdir, "results/figures/all.pdf", configfile=TINY_RECIPES)
    return workdir


@pytest.mark.slow
def test_tiny_recipes_study_runs_to_all_pdf(study):
    results = study / "results"
    for recipe in ("paper", "debiased"):
        assert len(list((results / "trials" / recipe / "sst2").glob("init?_order?.json"))) == 4
        assert (results / "aggregate" / recipe / "sst2" / "trials.parquet").exists()
        assert (results / "logs" / "finetune" / recipe / "sst2" / "init1_order1.log").exists()
    assert not (results / "trials" / "sst2").exists()
    trials = pd.read_parquet(results / "aggregate" / "trials.parquet")
    assert sorted(trials["recipe"].unique()) == ["debiased", "paper"]
    assert trials.groupby("recipe").size().to_dict() == {"debiased": 4, "paper": 4}
    # the same cells under each recipe (paired), and different trials
    cells = {
        r: set(map(tuple, g[["init_seed", "order_seed"]].to_numpy()))
        for r, g in trials.groupby("recipe")
    }
    assert cells["paper"] == cells["debiased"] == {(1, 1), (1, 2), (2, 1), (2, 2)}
    assert trials["config_hash"].nunique() == 8
    curves = pd.read_parquet(results / "aggregate" / "curves.parquet")
    assert set(curves["recipe"]) == {"paper", "debiased"}
    # every table of an analysis has a row group per recipe
    best = pd.read_csv(results / "tables" / "best_found.csv")
    assert sorted(best["recipe"]) == ["debiased", "paper"]
    expected = pd.read_csv(results / "tables" / "expected_max.csv")
    assert set(expected["recipe"]) == {"paper", "debiased"} and set(expected["task"]) == {"sst2"}
    pdf = PdfReader(results / "figures" / "all.pdf")
    pages = [p for p in (results / "figures").glob("*.pdf") if p.name != "all.pdf"]
    assert len(pdf.pages) == len(pages) >= 5
    text = pdf.pages[0].extract_text()
    assert "recipes" in text and "paper" in text and "debiased" in text
    assert planned(study, configfile=TINY_RECIPES) == {}  # nothing left to do


@pytest.mark.slow
def test_changing_one_recipe_reruns_only_its_trials(study, tmp_path):
    def change(config):
        config["recipes"]["paper"]["training"].update(lr=5.0e-5)
        config.setdefault("runtime", {})["replace_trials"] = True

    changed = variant(tmp_path, "changed", change)
    jobs = planned(study, configfile=changed)
    assert jobs["finetune"] == 4 and jobs["prepare_data"] == 0, jobs
    assert jobs["aggregate_task"] == 1, jobs
    outputs = planned_outputs(study, "finetune", configfile=changed)
    assert len(outputs) == 4 and all(p.startswith("results/trials/paper/sst2/") for p in outputs), (
        outputs
    )


@pytest.mark.slow
def test_adding_a_recipe_reruns_none_of_the_others(study, tmp_path):
    added = variant(
        tmp_path, "added", lambda c: c["recipes"].update(slow={"training": {"lr": 1.0e-5}})
    )
    outputs = planned_outputs(study, "finetune", configfile=added)
    assert len(outputs) == 4 and all(p.startswith("results/trials/slow/sst2/") for p in outputs), (
        outputs
    )
    jobs = planned(study, configfile=added)
    assert jobs["aggregate_task"] == 1 and jobs["prepare_data"] == 0, jobs


@pytest.mark.slow
def test_a_study_without_recipes_keeps_its_paths(tmp_path, glue):
    """The tiny study's trials where they always were (results/trials/<task>/<stem>.json)."""
    outputs = planned_outputs(tmp_path, "finetune")
    assert outputs == [f"results/trials/sst2/init{i}_order{o}.json" for i in (1, 2) for o in (1, 2)]
    assert planned_outputs(tmp_path, "aggregate_task") == ["results/aggregate/sst2/curves.parquet"]


def test_live_early_stopping_selects_within_each_recipe(tmp_path, glue):
    """Each recipe stops and continues its own trials: a selection per recipe and task."""
    config = yaml.safe_load((REPO / "tests" / "config" / "tiny_early_stopping.yaml").read_text())
    config["recipes"] = {"paper": {"training": {"optimizer": "bertadam"}}, "debiased": {}}
    path = tmp_path / "es_recipes.yaml"
    path.write_text(yaml.safe_dump(config))
    jobs = planned(tmp_path, configfile=path)
    assert (
        jobs["finetune_partial"] == 8
        and jobs["select_survivors"] == 2
        and jobs["early_stopping_live"] == 2
    ), jobs
    partial = planned_outputs(tmp_path, "finetune_partial", configfile=path)
    assert {p.split("/")[2] for p in partial} == {"paper", "debiased"}
    assert all(
        re.match(r"results/early_stopping/(paper|debiased)/sst2/partial/init\d_order\d.json$", p)
        for p in partial
    )


def test_an_invalid_recipe_stops_before_any_job(tmp_path, glue):
    bad = variant(
        tmp_path, "bad", lambda c: c["recipes"]["paper"]["training"].update(optimiser="adamw")
    )
    result = snakemake(tmp_path, "-n", configfile=bad, check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert "recipes.paper.training" in text and "'optimiser'" in text, text[-2000:]
    assert "Job stats" not in text


@pytest.mark.slow
def test_recipes_config_dag_asks_for_a_gpu_per_trial(tmp_path, glue):
    """config/recipes.yaml with the SLURM profile: 3 recipes x (RTE, MRPC) x 25 x 25 = 3,750 trial
    jobs, each asking for one GPU; BERT-large's data prepared once per task for all recipes."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "--profile",
            str(REPO / "slurm"),
            "--configfile",
            str(RECIPES_CONFIG),
            "-n",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-3000:]
    blocks = re.split(r"\n(?=\[[^\n]*\]\n(?:local)?rule \w+:)", text)
    trials = [b for b in blocks if re.search(r"^rule finetune:", b, re.M)]
    assert len(trials) == 3750
    folders = {re.search(r"output: results/trials/(\w+)/(\w+)/", b).groups() for b in trials}
    assert folders == {(r, t) for r in ("paper", "debiased", "reinit") for t in ("rte", "mrpc")}
    for block in trials:
        resources = dict(
            re.findall(r"(\w+)=([^,\n]+)", re.search(r"resources: (.*)", block).group(1))
        )
        assert resources["gpu"] == "1", block
    prepared = [b for b in blocks if re.search(r"^(local)?rule prepare_data:", b, re.M)]
    assert len(prepared) == 2 and all("results/data/bert-large-uncased/" in b for b in prepared)


def test_recipes_config_is_the_classic_comparison():
    config = yaml.safe_load(RECIPES_CONFIG.read_text())
    assert config["model"] == "bert-large-uncased" and set(config["tasks"]) == {"rte", "mrpc"}
    assert {name: r["training"]["optimizer"] for name, r in config["recipes"].items()} == {
        "paper": "bertadam",
        "debiased": "adamw",
        "reinit": "adamw",
    }
    assert config["recipes"]["reinit"]["training"]["reinit_layers"] == 2
    for task in config["tasks"].values():
        assert (
            studies.parse_seeds(task["init_seeds"])
            == studies.parse_seeds(task["order_seeds"])
            == list(range(1, 26))
        )
    validated = preflight.validate(copy.deepcopy(config), check_files=False)
    assert len(studies.recipe_trials(validated)) == 3750


def test_the_comparison_runs_only_with_two_recipes_or_more(tmp_path, glue):
    assert planned(tmp_path / "recipes", configfile=TINY_RECIPES)["recipe_comparison"] == 1
    assert "recipe_comparison" not in planned(tmp_path / "plain")
    one = variant(tmp_path, "one", lambda c: c["recipes"].pop("paper"))
    assert "recipe_comparison" not in planned(tmp_path / "one", configfile=one)


@pytest.mark.slow
def test_the_comparison_tables_and_pages_are_in_all_pdf(study):
    results = study / "results"
    differences = pd.read_csv(results / "tables" / "recipe_comparison_differences.csv")
    assert set(differences["task"]) == {"sst2"} and set(differences["score"]) == {"best", "final"}
    assert {frozenset(p) for p in differences[["recipe_a", "recipe_b"]].to_numpy()} == {
        frozenset({"paper", "debiased"})
    }
    assert (differences["n_cells"] == 4).all()
    for name in (
        "expected_max",
        "expected_max_differences",
        "mixed_model",
        "failures",
        "failure_tests",
    ):
        assert (results / "tables" / f"recipe_comparison_{name}.csv").exists(), name
    pdf = PdfReader(results / "figures" / "all.pdf")
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert (
        "Recipes compared on the paired seed grid" in text and "Recipes compared: decisions" in text
    )


@pytest.mark.slow
def test_per_example_analyses_run_per_recipe_with_the_multi_bootstrap(study):
    """With recipes, the per-example tables have a row per recipe (not the recipes pooled), and
    every pair of recipes gets the multi-bootstrap over seeds and dev examples together."""
    tables = study / "results" / "tables"
    coverage = pd.read_csv(tables / "predictions_coverage.csv")
    assert (
        sorted(coverage["recipe"]) == ["debiased", "paper"]
        and (coverage["with_predictions"] == 4).all()
    )
    noise = pd.read_csv(tables / "evaluation_noise_trials.csv")
    assert noise.groupby("recipe").size().to_dict() == {"debiased": 4, "paper": 4}
    multi = pd.read_csv(tables / "multi_bootstrap.csv")
    assert set(multi["score"]) == {"best", "final"} and (multi["n_cells"] == 4).all()
    differences = pd.read_csv(tables / "recipe_comparison_differences.csv")
    merged = multi.merge(
        differences, on=["task", "score", "recipe_a", "recipe_b"], suffixes=("_multi", "")
    )
    assert len(merged) == 2  # the same pairs, the same way round
    assert (merged["mean_diff_multi"] - merged["mean_diff"]).abs().max() < 1e-12
    assert (
        merged["multi_low"] == merged["multi_low_multi"]
    ).all()  # beside the seeds-only interval
