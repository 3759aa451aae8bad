"""What each seed draws: the init seed draws every parameter the checkpoint lacks (the task
head, and the layers `training.reinit_layers`/`reinit_pooler` re-draw), the order seed the
training order.

Every draw comes from its own `torch.Generator`, so that one seed's draws never depend on how
many random numbers anything else consumed. Dropout masks come from the global torch RNG, which
is reseeded right before training with the seed that owns dropout
(`study.grid.dropout_seed_for`).
"""

from __future__ import annotations

import hashlib

import torch


def draw_head(
    num_labels: int, hidden_size: int, initializer_range: float, init_seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The classifier `Linear(hidden, num_labels)`: weight ~ N(0, initializer_range), bias 0.

    Same init seed -> bitwise the same head, for every task with the same number of labels.
    """
    generator = torch.Generator().manual_seed(int(init_seed))
    weight = torch.empty(num_labels, hidden_size, dtype=torch.float32)
    weight.normal_(mean=0.0, std=initializer_range, generator=generator)
    bias = torch.zeros(num_labels, dtype=torch.float32)
    return weight, bias


NORM_CLASSES = ("LayerNorm", "RMSNorm")


def _is_norm(module) -> bool:
    return isinstance(module, (torch.nn.LayerNorm, torch.nn.RMSNorm)) or type(
        module
    ).__name__.endswith(NORM_CLASSES)


def draw_parameters(model, names, init_seed: int) -> dict[str, torch.Tensor]:
    """Values for the named parameters of `model`, drawn from the init seed's own generator in
    sorted name order: a weight matrix (or embedding) ~ N(0, initializer_range), a bias 0, a
    LayerNorm's weight 1 and bias 0 (the initialisation of BERT-family encoders).

    For a BERT the missing parameters are classifier.bias, classifier.weight: in this order the
    values are bitwise those of `draw_head`.
    """
    generator = torch.Generator().manual_seed(int(init_seed))
    std = initializer_range(model.config)
    modules = dict(model.named_modules())
    parameters = dict(model.named_parameters())
    drawn = {}
    for name in sorted(names):
        parameter = parameters[name]
        owner_name, _, leaf = name.rpartition(".")
        owner = modules[owner_name]
        value = torch.empty(parameter.shape, dtype=torch.float32)
        if _is_norm(owner):
            value.fill_(1.0 if leaf == "weight" else 0.0)
        elif leaf == "bias":
            value.zero_()
        elif parameter.dim() >= 2:
            value.normal_(mean=0.0, std=std, generator=generator)
            padding = (
                getattr(owner, "padding_idx", None)
                if isinstance(owner, torch.nn.Embedding)
                else None
            )
            if padding is not None:
                value[padding].zero_()
        else:
            raise ValueError(
                f"{model.config.model_type}: no initialisation known for parameter {name!r} "
                f"({tuple(parameter.shape)}) of {type(owner).__name__}"
            )
        drawn[name] = value
    return drawn


def initializer_range(config) -> float:
    value = getattr(config, "initializer_range", None)
    return 0.02 if value is None else float(value)


def values_hash(values: dict[str, torch.Tensor]) -> str:
    """SHA-256 of named tensors: name, shape and float32 bytes of each, in sorted name order."""
    digest = hashlib.sha256()
    for name in sorted(values):
        tensor = values[name].detach().to("cpu", torch.float32).contiguous()
        digest.update(f"{name}:{list(tensor.shape)};".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def set_init(model, not_provided, init_seed: int, reinit=()) -> dict:
    """Draw from `init_seed` every parameter the checkpoint did not provide (`not_provided`)
    and those to re-initialise (`reinit`: `models.reinit_names`), copy them into the model and
    return what was drawn: names, the hash of the values, the re-drawn names, the std."""
    names = sorted(set(not_provided) | set(reinit))
    values = draw_parameters(model, names, init_seed)
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in values.items():
            parameters[name].copy_(value)
    return {
        "drawn": names,
        "hash": values_hash(values),
        "reinit": sorted(reinit),
        "std": initializer_range(model.config),
    }


def epoch_permutations(n_examples: int, order_seed: int, n_epochs: int) -> list[torch.Tensor]:
    """The training order: one permutation of the examples per epoch, all from one generator."""
    generator = torch.Generator().manual_seed(int(order_seed))
    return [torch.randperm(n_examples, generator=generator) for _ in range(n_epochs)]


def reseed_dropout(seed: int) -> None:
    """Reseed the global RNGs (CPU and every CUDA device) that dropout draws from."""
    torch.manual_seed(int(seed))
