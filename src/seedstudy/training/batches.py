"""Batches of a trial: padded to their longest example (`packing: false`) or padding-free
(`packed`), their labels, the task's loss, and the model's logits for either kind."""

from __future__ import annotations

import numpy as np
import torch

from ..data.prepare import Split
from . import packed
from .models import forward_inputs, is_decoder, unwrap


def collate(split: Split, indices, pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch dynamically to its longest example (the batches of `packing: false`)."""
    rows = [int(i) for i in indices]
    length = max(len(split.input_ids[i]) for i in rows)
    input_ids = torch.full((len(rows), length), pad_id, dtype=torch.long)
    token_type_ids = torch.zeros((len(rows), length), dtype=torch.long)
    attention_mask = torch.zeros((len(rows), length), dtype=torch.long)
    for r, i in enumerate(rows):
        n = len(split.input_ids[i])
        input_ids[r, :n] = torch.tensor(split.input_ids[i])
        token_type_ids[r, :n] = torch.tensor(split.token_type_ids[i])
        attention_mask[r, :n] = 1
    return {
        "input_ids": input_ids,
        "token_type_ids": token_type_ids,
        "attention_mask": attention_mask,
        "labels": label_tensor(split.labels[rows]),
    }


def label_tensor(labels) -> torch.Tensor:
    """Class ids as long, a regression's real-valued labels as float32."""
    labels = np.asarray(labels)
    return torch.as_tensor(labels, dtype=torch.float32 if labels.dtype.kind == "f" else torch.long)


def task_loss(
    logits: torch.Tensor, labels: torch.Tensor, regression: bool, reduction: str = "mean"
) -> torch.Tensor:
    """Cross-entropy of a classification; a regression's mean squared error of its one output
    (what a Hugging Face model computes with num_labels=1, problem_type "regression")."""
    if regression:
        return torch.nn.functional.mse_loss(logits[:, 0], labels.float(), reduction=reduction)
    return torch.nn.functional.cross_entropy(logits, labels, reduction=reduction)


def make_batch(split: Split, indices, packing: bool, pad_id: int, device):
    """A batch of the examples at `indices`: packed (no padding) or padded to its longest."""
    rows = [int(i) for i in indices]
    if packing:
        batch = packed.pack(
            [split.input_ids[i] for i in rows], [split.token_type_ids[i] for i in rows]
        )
        batch.labels = label_tensor(split.labels[rows])
        return batch.to(device)
    return {k: v.to(device) for k, v in collate(split, rows, pad_id).items()}


def model_logits(model, batch) -> torch.Tensor:
    """Logits of a batch; a padded batch passes the inputs the model's forward takes (a
    decoder's: `last_token_logits`)."""
    if isinstance(batch, packed.PackedBatch):
        return packed.forward(unwrap(model), batch)
    inputs = {key: batch[key] for key in forward_inputs(model)}
    if is_decoder(model.config):
        return last_token_logits(model, inputs)
    return model(**inputs).logits


def last_token_logits(model, inputs: dict) -> torch.Tensor:
    """A decoder classifier's logits: its head on the hidden state of each example's last real
    token (by the attention mask, so with padding on either side, and whatever the token: EOS
    as pad included), the positions of the real tokens counted from 0 as in the unpadded
    example."""
    classifier = unwrap(model)
    mask = inputs["attention_mask"]
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    hidden = classifier.base_model(
        input_ids=inputs["input_ids"], attention_mask=mask, position_ids=positions
    )[0]
    last = (torch.arange(mask.shape[1], device=mask.device) * mask).argmax(-1)
    rows = torch.arange(mask.shape[0], device=mask.device)
    return classifier.score(hidden[rows, last])


def batch_labels(batch) -> torch.Tensor:
    return batch.labels if isinstance(batch, packed.PackedBatch) else batch["labels"]


def dev_batches(
    split: Split, batch_size: int, packing: bool, pad_id: int, device
) -> tuple[list, np.ndarray]:
    """Dev batches sorted by length (less padding, same predictions), built once per trial."""
    order = np.argsort([len(ids) for ids in split.input_ids], kind="stable")
    batches = [
        make_batch(split, order[start : start + batch_size], packing, pad_id, device)
        for start in range(0, len(order), batch_size)
    ]
    return batches, order
