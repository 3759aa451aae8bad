"""The two optimizers differ exactly where bias correction and clipping differ."""

import numpy as np
import pytest
import torch

from seedstudy.training import lr_schedule, optim

TRAINING = {
    "lr": 0.01,
    "adam_beta1": 0.9,
    "adam_beta2": 0.999,
    "adam_eps": 1e-6,
    "bertadam_eps": 1e-6,
    "weight_decay": 0.01,
    "max_grad_norm": 1.0,
}


def toy(seed=0):
    """Two weight tensors and a bias, like a tiny layer."""
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    return model


def gradients(steps, model, seed=1, scale=3.0):
    generator = torch.Generator().manual_seed(seed)
    return [
        [scale * torch.randn(p.shape, generator=generator) for p in model.parameters()]
        for _ in range(steps)
    ]


def run(name, grads, **overrides):
    model = toy()
    training = {**TRAINING, "optimizer": name, **overrides}
    optimizer = optim.build_optimizer(model, training)
    params = list(model.parameters())
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g.clone()
        optim.clip_gradients(params, training)
        optimizer.step()
    return [p.detach().clone() for p in params], params


def reference_bertadam(grads, lr, b1, b2, eps, wd, clip):
    """Plain numpy: Adam without bias correction, per-tensor clipping, decoupled decay
    on weights only (the biases are in the no-decay group)."""
    model = toy()
    names = [n for n, _ in model.named_parameters()]
    params = [p.detach().numpy().astype(np.float64).copy() for p in model.parameters()]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            g = g.numpy().astype(np.float64)
            norm = np.linalg.norm(g)
            if clip > 0 and norm > clip:
                g = g * clip / (norm + 1e-6)
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            update = m[i] / (np.sqrt(v[i]) + eps)
            if not names[i].endswith("bias"):
                update = update + wd * params[i]
            params[i] = params[i] - lr * update
    return params


def test_bertadam_matches_a_plain_reference():
    grads = gradients(5, toy())
    ours, _ = run("bertadam", grads)
    ref = reference_bertadam(grads, 0.01, 0.9, 0.999, 1e-6, 0.01, 1.0)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)


def test_identical_when_bias_correction_and_clipping_cannot_differ():
    # betas 0: bias correction factors 1 - 0^t are exactly 1; no clipping: both step alike
    grads = gradients(4, toy())
    same = {"adam_beta1": 0.0, "adam_beta2": 0.0, "max_grad_norm": 0.0}
    adamw, _ = run("adamw", grads, **same)
    bertadam, _ = run("bertadam", grads, **same)
    for a, b in zip(adamw, bertadam):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_first_step_differs_by_the_bias_correction_factor():
    # one step, gradients too small to be clipped, eps negligible: AdamW moves each weight by
    # lr (|m_hat / sqrt(v_hat)| = 1), BertAdam by lr * (1 - b1) / sqrt(1 - b2) = 3.16 lr
    grads = gradients(1, toy(), scale=1e-3)
    start = [p.detach().clone() for p in toy().parameters()]
    settings = {"weight_decay": 0.0, "adam_eps": 1e-12, "bertadam_eps": 1e-12}
    adamw, _ = run("adamw", grads, **settings)
    bertadam, _ = run("bertadam", grads, **settings)
    for s, a, b in zip(start, adamw, bertadam):
        np.testing.assert_allclose((a - s).abs().numpy(), 0.01, rtol=1e-4)
        np.testing.assert_allclose((b - s).abs().numpy(), 0.01 * 0.1 / np.sqrt(0.001), rtol=1e-4)


def test_clipping_global_norm_vs_per_tensor():
    grads = gradients(1, toy(), scale=10.0)
    _, adamw_params = run("adamw", grads)
    _, bert_params = run("bertadam", grads)
    adamw_norms = [p.grad.norm().item() for p in adamw_params]
    bert_norms = [p.grad.norm().item() for p in bert_params]
    assert np.sqrt(sum(n * n for n in adamw_norms)) == pytest.approx(1.0, rel=1e-4)  # global
    assert bert_norms == pytest.approx([1.0] * len(bert_norms), rel=1e-4)  # each tensor


def test_no_decay_on_bias_and_layernorm(tiny_model):
    groups = optim.parameter_groups(tiny_model, 0.01)
    decayed = {id(p) for p in groups[0]["params"]}
    for name, p in tiny_model.named_parameters():
        expected = not (name.endswith("bias") or "LayerNorm" in name)
        assert (id(p) in decayed) == expected, name


def test_linear_schedule_warmup_then_decay():
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=1.0)
    scheduler = lr_schedule.linear_schedule(optimizer, total_steps=100, warmup_fraction=0.1)
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == 0.0 and lrs[5] == pytest.approx(0.5) and lrs[10] == pytest.approx(1.0)
    assert lrs[55] == pytest.approx(0.5) and lrs[99] == pytest.approx(1 / 90)


def test_first_step_time_is_recorded_once():
    model = toy()
    optimizer = optim.build_optimizer(model, {**TRAINING, "optimizer": "adamw"})
    assert optimizer.first_step_at is None
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    optimizer.step()
    first = optimizer.first_step_at
    assert first is not None
    optimizer.step()
    assert optimizer.first_step_at == first
