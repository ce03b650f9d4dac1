"""Test fixture: a tiny randomly initialised BERT sequence classifier with the real MiniLM tokenizer.

Same vocabulary and tokenizer files as the shipped model, so every code path (encoding, export, runtime)
is exercised exactly; only the weights are tiny and random. Builds in about a second. (Its causal-LM
counterpart for the transformers adapter, a tiny GPT-2, lives in ``examples/_tiny_gpt2.py``: an example uses it.)
"""

from __future__ import annotations

from pathlib import Path

from verifier_training.checkpoint import copy_tokenizer_files
from verifier_training.train.config import TrainConfig, default_base_model

TINY_MAX_LENGTH = 128


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
