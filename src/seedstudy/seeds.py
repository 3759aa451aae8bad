"""What each seed draws: the init seed draws the task head, the order seed the training order.

Every draw comes from its own `torch.Generator`, so that one seed's draws never depend on how
many random numbers anything else consumed. Dropout masks come from the global torch RNG, which
is reseeded right before training with the seed that owns dropout
(`config.dropout_seed_for`).
"""

from __future__ import annotations

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


def set_head(model, init_seed: int) -> None:
    """Replace the model's classification head with the one drawn from `init_seed`."""
    classifier = model.classifier
    weight, bias = draw_head(
        classifier.out_features, classifier.in_features, model.config.initializer_range, init_seed
    )
    with torch.no_grad():
        classifier.weight.copy_(weight)
        classifier.bias.copy_(bias)


def epoch_permutations(n_examples: int, order_seed: int, n_epochs: int) -> list[torch.Tensor]:
    """The training order: one permutation of the examples per epoch, all from one generator."""
    generator = torch.Generator().manual_seed(int(order_seed))
    return [torch.randperm(n_examples, generator=generator) for _ in range(n_epochs)]


def reseed_dropout(seed: int) -> None:
    """Reseed the global RNGs (CPU and every CUDA device) that dropout draws from."""
    torch.manual_seed(int(seed))
