"""Padding-free batches for BERT-shaped encoders (BERT, RoBERTa, ELECTRA): every position-wise
layer runs on the real tokens only.

With dynamic padding a batch of 16 random MRPC pairs holds 1.4x as many positions as tokens, a
batch of SST-2 phrases 2.6x; the embeddings, the attention projections, the feed-forward layers
and the LayerNorms (nearly all of a BERT's work) then compute on padding. Here the tokens of a
batch are concatenated into one [tokens, hidden] matrix; only self-attention, which mixes tokens
within an example, sees a per-example layout (padded, masked), and its result is gathered back.

The pretrained modules of a `BertForSequenceClassification` (RoBERTa's, ELECTRA's) are used as they
are (same parameters, same dropout probabilities, same activation); only the order in which they are
applied to the tokens changes. In eval mode the logits equal those of the padded model up to
float rounding (tests/test_packed.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .models import forward_inputs

# the sequence classifiers whose modules are BERT's (embeddings, encoder layers of the same
# attention and feed-forward modules) and whose head reads the first token: packed batches give
# their logits and gradients up to float rounding (tests/test_packed.py)
PACKED_CLASSES = {
    "bert": "BertForSequenceClassification",  # pooler (dense, tanh), dropout, classifier
    "roberta": "RobertaForSequenceClassification",  # positions after the pad id; head on <s>
    "electra": "ElectraForSequenceClassification",  # embeddings_project; head on [CLS]
}


def supports(model) -> bool:
    """Packed batches are implemented for BERT, RoBERTa and ELECTRA sequence classifiers with
    absolute position embeddings (every other model runs on padded batches)."""
    config = model.config
    return (
        PACKED_CLASSES.get(config.model_type) == type(model).__name__
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not config.is_decoder
    )


@dataclass
class PackedBatch:
    input_ids: torch.Tensor  # [T] all tokens of the batch, example after example
    token_type_ids: torch.Tensor  # [T]
    position_ids: torch.Tensor  # [T] position of each token within its example
    starts: torch.Tensor  # [B] index of each example's first ([CLS]) token
    scatter_index: torch.Tensor  # [T] row of each token in the [B * L] per-example layout
    attention_mask: torch.Tensor  # [B, 1, 1, L] True where a key position holds a token
    longest: int
    labels: torch.Tensor | None = None

    def to(self, device) -> PackedBatch:
        moved = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in self.__dict__.items()}
        return PackedBatch(**moved)


def pack(input_ids: list[list[int]], token_type_ids: list[list[int]], labels=None) -> PackedBatch:
    """Concatenate the examples of a batch (lists of token ids) into a packed batch."""
    lengths = np.array([len(ids) for ids in input_ids])
    longest = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    positions = np.concatenate([np.arange(n) for n in lengths])
    rows = np.repeat(np.arange(len(lengths)), lengths)
    mask = np.arange(longest)[None, :] < lengths[:, None]
    return PackedBatch(
        input_ids=torch.from_numpy(np.concatenate(input_ids).astype(np.int64)),
        token_type_ids=torch.from_numpy(np.concatenate(token_type_ids).astype(np.int64)),
        position_ids=torch.from_numpy(positions.astype(np.int64)),
        starts=torch.from_numpy(starts.astype(np.int64)),
        scatter_index=torch.from_numpy((rows * longest + positions).astype(np.int64)),
        attention_mask=torch.from_numpy(mask)[:, None, None, :],
        longest=longest,
        labels=None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long),
    )


def _self_attention(
    attention,
    hidden: torch.Tensor,
    batch: PackedBatch,
    dropout: float,
    queries: torch.Tensor | None = None,
) -> torch.Tensor:
    """Multi-head self-attention of each example over its own tokens; [T, H] -> [T, H].

    With `queries` (the rows of the [CLS] tokens, [B, H]) only those attend: -> [B, H]."""
    n_heads = attention.num_attention_heads
    head_size = attention.attention_head_size
    n_examples = batch.starts.shape[0]
    tokens = hidden.shape[0]

    def per_example(x):  # [T, H] -> [B, heads, L, head]
        layout = x.new_zeros(n_examples * batch.longest, x.shape[-1]).index_copy(
            0, batch.scatter_index, x
        )
        return layout.view(n_examples, batch.longest, n_heads, head_size).transpose(1, 2)

    key = per_example(attention.key(hidden))
    value = per_example(attention.value(hidden))
    if queries is not None:
        query = attention.query(queries).view(n_examples, 1, n_heads, head_size).transpose(1, 2)
        context = F.scaled_dot_product_attention(
            query, key, value, attn_mask=batch.attention_mask, dropout_p=dropout
        )
        return context.transpose(1, 2).reshape(n_examples, n_heads * head_size)
    query = per_example(attention.query(hidden))
    context = F.scaled_dot_product_attention(
        query, key, value, attn_mask=batch.attention_mask, dropout_p=dropout
    )
    context = context.transpose(1, 2).reshape(n_examples * batch.longest, n_heads * head_size)
    return context.index_select(0, batch.scatter_index).view(tokens, n_heads * head_size)


def _positions(model, batch: PackedBatch) -> torch.Tensor:
    """Position ids of the tokens: their place in the example (BERT, ELECTRA), or as RoBERTa
    numbers them, pad id + 1 + the count of non-pad tokens up to it (pad tokens: the pad id)."""
    if model.config.model_type != "roberta":
        return batch.position_ids
    pad = model.base_model.embeddings.padding_idx
    real = (batch.input_ids != pad).long()
    counts = torch.cumsum(real, 0)
    before = (counts - real).index_select(0, batch.starts)  # real tokens before each example
    rows = torch.div(batch.scatter_index, batch.longest, rounding_mode="floor")
    return (counts - before.index_select(0, rows)) * real + pad


def forward(model, batch: PackedBatch) -> torch.Tensor:
    """Logits [B, num_labels] of a BERT, RoBERTa or ELECTRA sequence classifier on a packed batch.

    The classifier reads only the first ([CLS], <s>) token of the last layer, so that layer
    computes keys and values for every token but queries, attention output and feed-forward
    for that token alone (the other tokens' last-layer outputs never reach the loss: the same
    logits and gradients, a sixth less work for a 6-layer model)."""
    encoder = model.base_model
    embeddings = encoder.embeddings
    token_types = (
        batch.token_type_ids
        if "token_type_ids" in forward_inputs(model)
        else torch.zeros_like(batch.input_ids)
    )
    hidden = (
        embeddings.word_embeddings(batch.input_ids)
        + embeddings.position_embeddings(_positions(model, batch))
        + embeddings.token_type_embeddings(token_types)
    )
    hidden = embeddings.dropout(embeddings.LayerNorm(hidden))
    if (
        getattr(encoder, "embeddings_project", None) is not None
    ):  # ELECTRA: embedding size -> hidden size
        hidden = encoder.embeddings_project(hidden)
    attention_dropout = model.config.attention_probs_dropout_prob if model.training else 0.0
    *layers, last = encoder.encoder.layer
    for layer in layers:
        context = _self_attention(layer.attention.self, hidden, batch, attention_dropout)
        attended = layer.attention.output(context, hidden)  # dense, dropout, LayerNorm(+ residual)
        hidden = layer.output(
            layer.intermediate(attended), attended
        )  # feed-forward, LayerNorm(+ residual)
    first = hidden.index_select(0, batch.starts)  # first-token rows, [B, H]
    context = _self_attention(last.attention.self, hidden, batch, attention_dropout, queries=first)
    attended = last.attention.output(context, first)
    first = last.output(last.intermediate(attended), attended)
    if model.config.model_type == "bert":
        pooled = encoder.pooler(first.unsqueeze(1))  # [CLS] -> dense -> tanh
        return model.classifier(model.dropout(pooled))
    return model.classifier(first.unsqueeze(1))  # the head takes the first token of [B, L, H]
