"""Training examples: labelled rows encoded once with the runtime's encoding, then batched by length.

Inputs are tokenised with ``guardrail.toolkit.encode_batch`` and the checkpoint's own tokenizer.json, i.e. exactly
what the runtime feeds the exported model.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from tqdm import tqdm

from guardrail.toolkit import INPUT_FORMAT, encode_batch

from ..rows import Row, read_rows

ENCODE_CHUNK = 256


@dataclass(frozen=True)
class Example:
    ids: np.ndarray  # int64 token ids, unpadded
    type_ids: np.ndarray
    label: int


def read_jsonl(path: str | Path, limit: int = 0, seed: int = 0) -> list[Row]:
    """Rows of a labelled JSONL file; ``limit`` > 0 keeps a seeded random subsample of that size."""
    rows = read_rows(path)
    if 0 < limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def encode_rows(
    tokenizer: Tokenizer, rows: Sequence[Row], max_length: int, input_format: str = INPUT_FORMAT
) -> list[Example]:
    """Tokenise once up front (the runtime encoding), keeping each example unpadded for dynamic padding."""
    examples: list[Example] = []
    for start in tqdm(range(0, len(rows), ENCODE_CHUNK), desc="encode", leave=False, mininterval=5):
        chunk = rows[start : start + ENCODE_CHUNK]
        items = [row.check_input(start + i) for i, row in enumerate(chunk)]
        batch = encode_batch(tokenizer, items, max_length, input_format)
        lengths = batch["attention_mask"].sum(axis=1)
        for row, ids, types, n in zip(chunk, batch["input_ids"], batch["token_type_ids"], lengths):
            examples.append(Example(ids=ids[:n].copy(), type_ids=types[:n].copy(), label=int(row.label)))
    return examples


def collate(examples: Sequence[Example]) -> dict[str, torch.Tensor]:
    width = max(len(e.ids) for e in examples)
    input_ids = torch.zeros((len(examples), width), dtype=torch.long)  # [PAD] is id 0 in the MiniLM vocab
    attention = torch.zeros_like(input_ids)
    types = torch.zeros_like(input_ids)
    for row, example in enumerate(examples):
        n = len(example.ids)
        input_ids[row, :n] = torch.from_numpy(example.ids)
        attention[row, :n] = 1
        types[row, :n] = torch.from_numpy(example.type_ids)
    labels = torch.tensor([e.label for e in examples], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": attention, "token_type_ids": types, "labels": labels}


def batch_indices_forever(examples: Sequence[Example], batch_size: int, seed: int) -> Iterator[list[int]]:
    """Shuffled batches of example indices, epoch after epoch. Within windows of 50 batches examples are
    sorted by length so a batch pads little (CPU time is spent on real tokens), then the batches themselves
    are shuffled. Deterministic in ``seed``: a resumed run skips the batches it has already trained on."""
    rng = random.Random(seed)
    window = batch_size * 50
    while True:
        order = list(range(len(examples)))
        rng.shuffle(order)
        batches = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lambda i: len(examples[i].ids))
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        yield from batches


def batches_forever(
    examples: Sequence[Example], batch_size: int, seed: int, skip: int = 0
) -> Iterator[dict[str, torch.Tensor]]:
    """Collated batches of :func:`batch_indices_forever`, after skipping the first ``skip``."""
    indices = batch_indices_forever(examples, batch_size, seed)
    for _ in range(skip):
        next(indices)
    for batch in indices:
        yield collate([examples[i] for i in batch])
