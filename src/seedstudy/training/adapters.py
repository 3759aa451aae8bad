"""LoRA trials (`training.method: lora`): the model wrapped with peft's LoRA layers, every random
adapter tensor drawn by seedstudy from the adapter seed, the base frozen, adapters and the task
head trained.

What the adapter seed draws, exactly
------------------------------------
peft draws the adapters from the global torch RNG when it wraps the model; seedstudy then draws
every random adapter tensor anew from a `torch.Generator` of its own, so that the trial does not
depend on the global RNG state before the model was loaded. The generator is seeded with
`adapter_stream(seed)` (the adapter seed mapped through SHA-256, so that with `adapter_seed: init`
the adapters and the head, both of the init seed, are different streams; the head is bitwise the
same with or without adapters). The tensors are drawn in sorted parameter-name order:

- `init: kaiming` (peft's default): each `lora_A` weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
  which is peft's `kaiming_uniform_(a=sqrt(5))`; `lora_B` stays zero;
- `init: gaussian`: each `lora_A` weight ~ N(0, 1/r); `lora_B` stays zero;
- `init: pissa` / `olora`: deterministic (from the base weights' SVD / QR): nothing is drawn, the
  adapter seed changes nothing, and the result records it.

Dropout inside the adapters (`lora.dropout`) draws from the global RNG like every other dropout
layer: it belongs to the trial's dropout seed.
"""

from __future__ import annotations

import hashlib
import math

import torch

from .seeds import values_hash

DRAWN_INITS = ("kaiming", "gaussian")  # pissa, olora: deterministic


class AdapterError(ValueError):
    """LoRA settings the model cannot take (a target module it does not have)."""


def adapter_stream(seed: int) -> int:
    """The seed of the adapters' generator for adapter seed `seed`: the first 63 bits of
    SHA-256("seedstudy.adapters/<seed>")."""
    digest = hashlib.sha256(f"seedstudy.adapters/{int(seed)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def peft_config(lora: dict, exclude: list[str]):
    """peft's `LoraConfig` of the settings; `exclude`: modules never adapted (the task head)."""
    from peft import LoraConfig

    init = lora["init"]
    return LoraConfig(
        r=lora["r"],
        lora_alpha=lora["alpha"],
        lora_dropout=lora["dropout"],
        target_modules=lora["target_modules"],
        exclude_modules=exclude or None,
        init_lora_weights=True if init == "kaiming" else init,
        use_rslora=lora["rslora"],
    )


def module_leaves(model) -> list[str]:
    """The distinct leaf names of the model's modules that hold a weight (what target_modules
    may name)."""
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, module in model.named_modules()
            if name and isinstance(getattr(module, "weight", None), torch.Tensor)
        }
    )


def check_targets(model, lora: dict, head: list[str]) -> None:
    """Refuse target modules the model does not have, naming the ones it has."""
    targets = lora["target_modules"]
    if targets is None or targets == "all-linear":
        return
    leaves = module_leaves(model)
    names = {name for name, _ in model.named_modules()}
    missing = [t for t in targets if t not in leaves and t not in names]
    if missing:
        raise AdapterError(
            f"target_modules {missing} not in {model.config.model_type} "
            f"(its modules: {', '.join(leaves)})"
        )
    heads = {name.rsplit(".", 1)[0] for name in head}
    adapted_head = [t for t in targets if any(h == t or h.endswith("." + t) for h in heads)]
    if adapted_head:
        raise AdapterError(
            f"target_modules {adapted_head} name the task head (trained in full, never adapted)"
        )


def head_modules(model, head: list[str]) -> list[str]:
    """The modules holding the head's parameters (names of parameters the checkpoint lacks)."""
    return sorted({name.rsplit(".", 1)[0] for name in head})


def wrap(model, lora: dict, head: list[str]):
    """The model with LoRA layers (peft), its base frozen, adapters and `head` trainable."""
    from peft import get_peft_model

    check_targets(model, lora, head)
    wrapped = get_peft_model(model, peft_config(lora, head_modules(model, head)))
    trainable = set(head)
    for name, parameter in wrapped.get_base_model().named_parameters():
        if name in trainable:
            parameter.requires_grad_(True)
    return wrapped


def draw_adapters(model, lora: dict, seed: int) -> dict:
    """Draw every random adapter tensor from the adapter seed (module docstring: which, in what
    order); return the record: the drawn names and the hash of the adapter values (all of them,
    lora_B included)."""
    adapters = {n: p for n, p in model.named_parameters() if ".lora_" in n}
    drawn = []
    if lora["init"] in DRAWN_INITS:
        generator = torch.Generator().manual_seed(adapter_stream(seed))
        with torch.no_grad():
            for name in sorted(n for n in adapters if ".lora_A." in n):
                parameter = adapters[name]
                value = torch.empty(parameter.shape, dtype=torch.float32)
                if lora["init"] == "kaiming":
                    bound = 1.0 / math.sqrt(parameter.shape[1])
                    value.uniform_(-bound, bound, generator=generator)
                else:
                    value.normal_(mean=0.0, std=1.0 / lora["r"], generator=generator)
                parameter.copy_(value)
                drawn.append(name)
    return {"drawn": drawn, "hash": values_hash(adapters)}


def parameter_record(model) -> dict:
    """The names and counts of the trainable parameters and the count of all of them."""
    trainable = [(n, p.numel()) for n, p in model.named_parameters() if p.requires_grad]
    return {
        "trainable": [n for n, _ in trainable],
        "trainable_count": sum(c for _, c in trainable),
        "total_count": sum(p.numel() for p in model.parameters()),
        "total_tensors": sum(1 for _ in model.parameters()),
    }


def trainable_state(model) -> dict[str, torch.Tensor]:
    """The trainable tensors by name (a LoRA checkpoint's weights: adapters and head)."""
    return {n: p.detach() for n, p in model.named_parameters() if p.requires_grad}


def load_trainable(model, state: dict[str, torch.Tensor]) -> None:
    """Put saved trainable tensors back; refuse a state whose names are not exactly these."""
    parameters = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if set(state) != set(parameters):
        raise ValueError("checkpoint: its tensors are not this trial's trainable parameters")
    with torch.no_grad():
        for name, value in state.items():
            parameters[name].copy_(value)


def freeze_base_dtype(model, dtype: torch.dtype) -> None:
    """Hold the frozen weight matrices and embeddings in `dtype` (bf16 on a GPU: a 1-3B base in
    half the memory); the trainable tensors, norms and biases stay float32."""
    for parameter in model.parameters():
        if not parameter.requires_grad and parameter.dim() >= 2:
            parameter.data = parameter.data.to(dtype)
