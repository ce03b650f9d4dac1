"""A tiny randomly initialised BERT sequence classifier with the real MiniLM tokenizer, for tests.

Same vocabulary and tokenizer files as the shipped model, so every code path (encoding, export, runtime)
is exercised exactly; only the weights are tiny and random. Builds in about a second.

``build_tiny_gpt2`` is the causal-LM counterpart: a random 1-layer GPT-2 with a word-level tokenizer, for the
transformers adapter's tests and its offline example.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .train_config import TrainConfig, default_base_model

TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
TINY_MAX_LENGTH = 128


def copy_tokenizer_files(source_dir: str | Path, out_dir: str | Path) -> None:
    for name in TOKENIZER_FILES:
        source = Path(source_dir) / name
        if source.is_file():
            shutil.copyfile(source, Path(out_dir) / name)


def build_tiny_checkpoint(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a random 2-layer, hidden-32 BertForSequenceClassification checkpoint to ``out_dir``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        num_labels=2,
    )
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(out)
    copy_tokenizer_files(default_base_model(), out)
    TrainConfig(base_model="tiny", num_layers=2, max_length=TINY_MAX_LENGTH, seed=seed).save(out)
    return out


# A word-level vocabulary for a tiny GPT-2 that can be made to say "<think> 6 * 7 = 42 </think> Final answer: 42".
TINY_GPT2_WORDS = (
    "[UNK]",
    "[PAD]",
    "[EOS]",
    "<think>",
    "</think>",
    "Q:",
    "what",
    "is",
    "6",
    "*",
    "7",
    "?",
    "=",
    "42",
    "41",
    "Final",
    "answer:",
    "so",
    "rows",
    "of",
)


def build_tiny_gpt2(words: Sequence[str] = TINY_GPT2_WORDS, seed: int = 0) -> tuple[Any, Any]:
    """A random 1-layer GPT2LMHeadModel (eval mode) and a whitespace word-level PreTrainedTokenizerFast over
    ``words`` (the first three are [UNK], [PAD], [EOS]); built here, nothing is downloaded."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    torch.manual_seed(seed)
    config = transformers.GPT2Config(
        vocab_size=len(words),
        n_positions=64,
        n_embd=32,
        n_layer=1,
        n_head=2,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return transformers.GPT2LMHeadModel(config).eval(), tokenizer


def forced_generation(tokenizer: Any, prompt: str, text: str) -> dict[str, Any]:
    """``generate()`` kwargs that make a model emit exactly ``text`` then EOS after ``prompt`` (greedy, one
    allowed token per step), so a random model's output is known."""
    prompt_len = len(tokenizer(prompt)["input_ids"])
    target = tokenizer(text)["input_ids"] + [tokenizer.eos_token_id]

    def allowed(batch_id: int, input_ids: Any) -> list[int]:
        step = input_ids.shape[-1] - prompt_len
        return [target[min(step, len(target) - 1)]]

    return {
        "prefix_allowed_tokens_fn": allowed,
        "do_sample": False,
        "max_new_tokens": len(target),
        "pad_token_id": tokenizer.pad_token_id,
    }
