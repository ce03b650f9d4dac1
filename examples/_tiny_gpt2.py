"""A tiny random GPT-2 whose output is known: the offline stub of ``local_transformers_guarded.py``, also used by
the transformers adapter's tests (``from examples._tiny_gpt2 import ...``). Built locally; nothing is downloaded.
Needs the ``train`` extra (torch, transformers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
