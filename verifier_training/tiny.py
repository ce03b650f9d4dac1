"""A tiny randomly initialised BERT sequence classifier with the real MiniLM tokenizer, for tests.

Same vocabulary and tokenizer files as the shipped model, so every code path (encoding, export, runtime)
is exercised exactly; only the weights are tiny and random. Builds in about a second.
"""

from __future__ import annotations

import shutil
from pathlib import Path

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
