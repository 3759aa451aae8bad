"""The optimizers of a trial (the update rule; the learning-rate schedule is `lr_schedule`).

- `adamw` (default): bias-corrected AdamW (torch, fused where available), clipping of the global
  gradient norm.
- `bertadam`: the optimizer of the paper's code (BERT's original `BertAdam`): Adam without bias
  correction, eps 1e-6, decoupled weight decay, gradient clipping per parameter tensor.

Both use weight decay on all weights except biases and LayerNorm parameters. Neither applies any
warm-up itself (this BertAdam has no `warmup`/`t_total`): the schedule is applied exactly once, by
the LambdaLR scheduler of `lr_schedule`.
"""

from __future__ import annotations

import time

import torch

OPTIMIZERS = ("adamw", "bertadam")


NO_DECAY = ("bias", "LayerNorm.weight", "LayerNorm.bias", "layer_norm.weight", "layer_norm.bias")


class BertAdam(torch.optim.Optimizer):
    """Adam without bias correction and with per-tensor gradient clipping (BERT's `BertAdam`).

    For each parameter p with gradient g (clipped to norm `max_grad_norm` on its own):
        m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
        p <- p - lr * (m / (sqrt(v) + eps) + weight_decay * p)
    """

    def __init__(
        self, params, lr=2e-5, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, max_grad_norm=1.0
    ):
        if lr < 0:
            raise ValueError(f"invalid learning rate {lr}")
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, max_grad_norm=max_grad_norm
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["max_grad_norm"] > 0:
                    torch.nn.utils.clip_grad_norm_(p, group["max_grad_norm"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["next_m"] = torch.zeros_like(p)
                    state["next_v"] = torch.zeros_like(p)
                next_m, next_v = state["next_m"], state["next_v"]
                next_m.mul_(beta1).add_(grad, alpha=1 - beta1)
                next_v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                update = next_m / (next_v.sqrt() + group["eps"])
                if group["weight_decay"] > 0:
                    update.add_(p, alpha=group["weight_decay"])
                p.add_(update, alpha=-group["lr"])
                state["step"] += 1
        return loss


def parameter_groups(model, weight_decay: float) -> list[dict]:
    """Weight decay on every parameter except biases and LayerNorm weights."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if any(key in name for key in NO_DECAY) else decay).append(parameter)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def build_optimizer(model, training: dict, device_type: str = "cpu") -> torch.optim.Optimizer:
    """The trial's optimizer; its `first_step_at` is the `time.perf_counter()` of its first step
    (None before it), for the run record's start-up time."""
    optimizer = _make_optimizer(model, training, device_type)
    optimizer.first_step_at = None

    def mark(opt, args, kwargs):
        opt.first_step_at = time.perf_counter()
        handle.remove()

    handle = optimizer.register_step_pre_hook(mark)
    return optimizer


def _make_optimizer(model, training: dict, device_type: str) -> torch.optim.Optimizer:
    groups = parameter_groups(model, training["weight_decay"])
    name = training["optimizer"]
    if name == "adamw":
        return torch.optim.AdamW(
            groups,
            lr=training["lr"],
            betas=(training["adam_beta1"], training["adam_beta2"]),
            eps=training["adam_eps"],
            fused=_fused_supported(device_type),
        )
    if name == "bertadam":
        return BertAdam(
            groups,
            lr=training["lr"],
            betas=(training["adam_beta1"], training["adam_beta2"]),
            eps=training["bertadam_eps"],
            max_grad_norm=training["max_grad_norm"],
        )
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def _fused_supported(device_type: str) -> bool:
    return device_type in ("cpu", "cuda")


def clip_gradients(parameters, training: dict) -> None:
    """Before `optimizer.step()`: AdamW clips the global gradient norm here; BertAdam clips each
    tensor on its own inside its step."""
    if training["optimizer"] == "adamw" and training["max_grad_norm"] > 0:
        torch.nn.utils.clip_grad_norm_(parameters, training["max_grad_norm"])
