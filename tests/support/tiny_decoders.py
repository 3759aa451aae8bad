"""Tiny random-weight decoder checkpoints (Llama, Qwen2, Mistral, GPT-2: 2 layers, hidden size
64), each with a byte-level BPE tokenizer trained here by `tokenizers` on SST-2 sentences, with
an EOS token and no pad token (as the real ones ship)."""

from __future__ import annotations

from pathlib import Path

EOS = "<|endoftext|>"
SIZES = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "max_position_embeddings": 128,
}
DECODERS = ("llama", "qwen2", "mistral", "gpt2")


def train_tokenizer(corpus: list[str], vocab_size: int = 400):
    """A byte-level BPE tokenizer (GPT-2's kind) with EOS and without a pad token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=EOS)


def decoder_config(family: str, vocab_size: int, eos: int):
    """The config of a tiny decoder of `family`, without a pad token."""
    import transformers as tf

    if family == "gpt2":
        return tf.GPT2Config(
            vocab_size=vocab_size,
            n_embd=SIZES["hidden_size"],
            n_layer=SIZES["num_hidden_layers"],
            n_head=SIZES["num_attention_heads"],
            n_positions=SIZES["max_position_embeddings"],
            bos_token_id=eos,
            eos_token_id=eos,
            pad_token_id=None,
        )
    make = {"llama": tf.LlamaConfig, "qwen2": tf.Qwen2Config, "mistral": tf.MistralConfig}[family]
    ids = {"eos_token_id": eos, "bos_token_id": eos, "pad_token_id": None}
    return make(**SIZES, vocab_size=vocab_size, **ids)


def corpus(glue_dir: Path, lines: int = 2000) -> list[str]:
    rows = (Path(glue_dir) / "SST-2" / "train.tsv").read_text(encoding="utf-8").splitlines()
    return [row.split("\t")[0] for row in rows[1 : lines + 1]]


def build(root: Path, glue_dir: Path, families=DECODERS) -> dict[str, Path]:
    """Save each family's tiny decoder (base model, no head) with the trained tokenizer."""
    import torch
    from transformers import AutoModel

    tokenizer = train_tokenizer(corpus(glue_dir))
    folders = {}
    for family in families:
        folder = Path(root) / family
        torch.manual_seed(0)
        config = decoder_config(family, len(tokenizer), tokenizer.eos_token_id)
        AutoModel.from_config(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        folders[family] = folder
    return folders
