"""`tasks.<task>.design: pairs`: the seed grid, its checks, trial hashes, and the analyses."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from support.synthetic_trials import make_trials

from seedstudy import preflight, study
from seedstudy.analysis import crossed
from seedstudy.analysis.variance_components import PAIRS_NOTE, variance_components

BASE = {"tasks": {"sst2": {"init_seeds": "1..3", "order_seeds": [4, 5, 6]}}}


def valid(design=None, **training):
    cfg = copy.deepcopy(BASE)
    if design:
        cfg["tasks"]["sst2"]["design"] = design
    if training:
        cfg["training"] = training
    return preflight.validate(cfg, check_files=False)


def test_grid_is_the_default_and_pairs_zip_the_seeds():
    assert valid()["tasks"]["sst2"]["design"] == "grid"
    assert len(study.task_grid(valid(), "sst2")) == 9
    assert study.task_grid(valid("pairs"), "sst2") == [(1, 4, None), (2, 5, None), (3, 6, None)]
    dropout = study.task_grid(valid("pairs", dropout_seed=[7, 8]), "sst2")
    assert dropout[:2] == [(1, 4, 7), (1, 4, 8)] and len(dropout) == 6


def test_pairs_of_unequal_lengths_are_refused():
    cfg = copy.deepcopy(BASE)
    cfg["tasks"]["sst2"].update(design="pairs", order_seeds=[4, 5])
    with pytest.raises(study.ConfigError, match=r"tasks\.sst2\.design.*3 and 2"):
        preflight.validate(cfg, check_files=False)


def test_the_design_is_not_part_of_a_trial_config():
    grid = study.trial_config(valid(), "sst2", 2, 5)
    assert study.config_hash(grid) == study.config_hash(
        study.trial_config(valid("pairs"), "sst2", 2, 5)
    )
    assert study.config_hash(grid) == "294066082339e498"  # the default study's trials keep theirs


def test_variance_components_of_a_pairs_study_report_the_seed_pair_variance():
    grid = make_trials(n_init=6, n_order=6)
    pairs = grid[grid["init_seed"] == grid["order_seed"]]
    table = variance_components(pairs, "best", level=0.9)
    assert list(table["component"]) == ["seed pair", "total"]
    assert table["moments"].iloc[0] == pytest.approx(np.var(pairs["best"], ddof=1))
    assert (
        table["moments_lower"].iloc[0] < table["moments"].iloc[0] < table["moments_upper"].iloc[0]
    )
    assert (table["note"] == PAIRS_NOTE).all() and "confounded" in PAIRS_NOTE
    # the mean's SE of a pairs study is the one-factor SE over the seed pairs
    result = crossed.mean_se(pairs["best"], pairs["init_seed"], pairs["order_seed"])
    assert result.method == "one-factor" and result.df == 5


@pytest.mark.workflow
def test_a_pairs_study_plans_one_trial_per_seed_pair(tmp_path, glue):
    import yaml
    from support.snakemake_runs import TINY, planned

    settings = yaml.safe_load(TINY.read_text())
    settings["tasks"]["sst2"]["design"] = "pairs"
    configfile = tmp_path / "pairs.yaml"
    configfile.write_text(yaml.safe_dump(settings))
    assert planned(tmp_path, configfile=configfile)["finetune"] == 2  # 2 pairs, not 2 x 2
