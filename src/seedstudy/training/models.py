"""Pretrained models for a trial: load a sequence classifier with the parameters its checkpoint
does not provide, the inputs its forward takes, the layers a recipe re-initialises, and the checks
of a model a study names (cheap: config and tokenizer files, no weights, no network)."""

from __future__ import annotations

from pathlib import Path

from ..study.model import PACKAGED_MODELS, ModelError, looks_like_path, resolve_model


def load_classifier(name: str, num_labels: int):
    """The pretrained encoder with a classification head of `num_labels` outputs (see
    `load_for_trial`, which also says which parameters the checkpoint did not provide)."""
    return load_for_trial(name, num_labels)[0]


def load_for_trial(name: str, num_labels: int):
    """The model and the sorted names of the parameters the checkpoint does not provide.

    Those (the new head; with some architectures a pooler or a pre-classifier layer too; any
    tensor whose shape differs from the checkpoint's) hold whatever transformers drew: the trial
    replaces them with values drawn from the init seed (`seeds.set_init`).
    """
    import transformers
    from transformers import AutoModelForSequenceClassification

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the "newly initialized head" notice is expected
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(
            resolve_model(name),
            num_labels=num_labels,
            output_loading_info=True,
            ignore_mismatched_sizes=True,  # a fine-tuned head of another label count: drawn anew
        )
    finally:
        transformers.logging.set_verbosity(verbosity)
    names = set(info["missing_keys"]) | {_key_name(key) for key in info["mismatched_keys"]}
    parameters = dict(model.named_parameters())
    return model, sorted(key for key in names if key in parameters)


def unwrap(model):
    """The transformers model of a trial's model (a LoRA trial's is wrapped by peft)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def is_decoder(config) -> bool:
    """Whether the architecture is a decoder (a causal LM that is not also a masked LM): its
    classifier reads the last real token of each example."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    model_type = config.model_type
    return bool(getattr(config, "is_decoder", False)) or (
        model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
        and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
    )


def set_pad_token(model) -> dict:
    """The pad token of the model's batches: its config's pad_token_id, or (a decoder without
    one) its EOS token, then set as the config's pad_token_id. Returns the record: the id and
    where it came from (config | eos)."""
    config = model.config
    if config.pad_token_id is not None:
        return {"pad_token_id": int(config.pad_token_id), "pad_source": "config"}
    eos = config.eos_token_id
    eos = eos[0] if isinstance(eos, (list, tuple)) else eos
    if eos is None:
        raise ModelError(f"{config.model_type}: neither a pad token nor an EOS token to pad with")
    config.pad_token_id = int(eos)
    return {"pad_token_id": int(eos), "pad_source": "eos"}


def _key_name(key) -> str:
    return (
        key[0] if isinstance(key, (tuple, list)) else key
    )  # (name, checkpoint shape, model shape)


def forward_inputs(model) -> tuple[str, ...]:
    """The batch tensors the model's forward takes: input_ids and attention_mask, and
    token_type_ids where the forward takes them and the model has more than one segment type
    (RoBERTa's single type and DistilBERT's or ModernBERT's none: not passed)."""
    import inspect

    model = unwrap(model)
    accepted = inspect.signature(model.forward).parameters
    inputs = ("input_ids", "attention_mask")
    if "token_type_ids" in accepted and (getattr(model.config, "type_vocab_size", 0) or 0) > 1:
        inputs += ("token_type_ids",)
    return inputs


# files any of which holds a tokenizer transformers can load from a folder
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "tokenizer.model",
    "sentencepiece.bpe.model",
    "spm.model",
)


def cached_hub_config(name: str) -> bool:
    """Whether the config of Hub id `name` is in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def model_config(name: str):
    """The model's config, or None for a Hub id not in the local cache: without the network its
    architecture is unknown until `prepare_data` downloads it (or fails, naming the model)."""
    path = resolve_model(name)
    local = looks_like_path(name) or name in PACKAGED_MODELS
    if not local and not cached_hub_config(name):
        return None
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(path, local_files_only=not local)
    except (OSError, ValueError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelError(f"model {name!r}: its config cannot be loaded ({reason})") from None


def check_model(name: str) -> None:
    """Refuse, naming the model and the reason, a model that cannot run as a sequence
    classifier here; cheap (the config and the tokenizer files, no weights, no network)."""
    path = resolve_model(name)
    if name in PACKAGED_MODELS:
        # a BERT with its tokenizer: runs (and the check would cost a torch import per parse)
        return
    config = model_config(name)
    if config is None:
        return
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES,
    )

    model_type = config.model_type
    if model_type not in MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES:
        raise ModelError(
            f"model {name!r} ({model_type}): transformers has no sequence-classification head for "
            f"this architecture (AutoModelForSequenceClassification cannot load it)"
        )
    if looks_like_path(name):
        folder = Path(path)
        if not any((folder / file).is_file() for file in TOKENIZER_FILES):
            raise ModelError(
                f"model {name!r}: the folder {folder} has no "
                f"tokenizer (none of {', '.join(TOKENIZER_FILES)})"
            )


def check_reinit(name: str, layers: int, pooler: bool) -> None:
    """Refuse re-initialisation settings the model's structure does not allow (more layers than
    it has, a pooler it lacks): the model is built from its config on the meta device (no
    weights, no memory). A Hub id not in the local cache is checked when its trial loads it."""
    config = model_config(name)
    if config is None:
        return
    import torch
    from transformers import AutoModelForSequenceClassification

    with torch.device("meta"):
        model = AutoModelForSequenceClassification.from_config(config)
    try:
        reinit_names(model, layers, pooler)
    except ModelError as error:
        raise ModelError(f"model {name!r}: {error}") from None


def check_lora(name: str, lora: dict) -> None:
    """Refuse LoRA settings the model's structure does not take (a target module it does not
    have, listing those it has; no target modules given for an architecture peft has no default
    for): the model is built from its config on the meta device. A Hub id not in the local cache
    is checked when its trial loads it."""
    config = model_config(name)
    if config is None:
        return
    import torch
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    from transformers import AutoModelForSequenceClassification

    from .adapters import AdapterError, check_targets, module_leaves

    with torch.device("meta"):
        model = AutoModelForSequenceClassification.from_config(config)
    defaults = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
    if lora["target_modules"] is None and config.model_type not in defaults:
        raise ModelError(
            f"model {name!r} ({config.model_type}): peft has no default target_modules for it; "
            f"name them (its modules: {', '.join(module_leaves(model))}) or use 'all-linear'"
        )
    try:
        check_targets(model, lora, [])
    except AdapterError as error:
        raise ModelError(f"model {name!r}: {error}") from None


def encoder_layers(model):
    """(qualified name, ModuleList) of the model's stack of encoder layers: the ModuleList of
    `layer_count` layers nearest the top (bert.encoder.layer, distilbert.transformer.layer,
    model.layers, ...)."""
    import torch

    count = next(
        (
            getattr(model.config, key)
            for key in ("num_hidden_layers", "n_layers", "num_layers")
            if getattr(model.config, key, None) is not None
        ),
        None,
    )
    stacks = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.ModuleList) and len(module) == count
    ]
    if not stacks:
        raise ModelError(f"{model.config.model_type}: no stack of {count} encoder layers found")
    return min(stacks, key=lambda item: item[0].count("."))


# the layer between the first token's hidden state and the classifier, by architecture
POOLER_NAMES = ("pooler", "pre_classifier", "head")


def pooler_name(model) -> str | None:
    """The qualified name of the model's pooler (BERT's pooler, DeBERTa's ContextPooler,
    DistilBERT's pre_classifier, ModernBERT's head), or None where the head alone pools
    (RoBERTa, ELECTRA: their head's dense layer is new and drawn anyway)."""
    modules = dict(model.named_modules())
    for leaf in POOLER_NAMES:
        found = sorted(
            (name for name in modules if name.rsplit(".", 1)[-1] == leaf),
            key=lambda n: n.count("."),
        )
        if (
            found
            and modules[found[0]] is not None
            and any(True for _ in modules[found[0]].parameters())
        ):
            return found[0]
    return None


def reinit_names(model, layers: int = 0, pooler: bool = False) -> list[str]:
    """The sorted names of the parameters of the top `layers` encoder layers and (`pooler`) of
    the pooler: re-drawn from the init seed (Zhang et al. 2021)."""
    names: set[str] = set()
    kind = model.config.model_type
    if layers:
        stack_name, stack = encoder_layers(model)
        if layers > len(stack):
            raise ModelError(
                f"{kind} has {len(stack)} encoder layers, fewer than reinit_layers {layers}"
            )
        for index in range(len(stack) - layers, len(stack)):
            names.update(f"{stack_name}.{index}.{n}" for n, _ in stack[index].named_parameters())
    if pooler:
        found = pooler_name(model)
        if found is None:
            raise ModelError(
                f"{kind} has no pooler to re-draw (its classification head's layers are new "
                f"and drawn from the init seed anyway); set training.reinit_pooler: false"
            )
        names.update(
            f"{found}.{n}" for n, _ in dict(model.named_modules())[found].named_parameters()
        )
    return sorted(names)
