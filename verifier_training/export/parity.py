"""The parity check: the exported ONNX model and the torch checkpoint must give the same calibrated
probabilities on the same items, tokenised through ``guardrail.toolkit.encode_batch`` with the *exported*
tokenizer.json, i.e. exactly the runtime path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guardrail import CheckInput

from ..checkpoint import input_format_of
from ..errors import ParityError
from ..metrics import softmax_positive
from ..rows import read_rows

PARITY_TOLERANCE = 1e-2
PARITY_BATCH = 32

# Used when the caller passes no parity items: a few varied triples so parity is never skipped.
_BUILTIN_PARITY_ITEMS = (
    ("Tom has 3 apples and buys 4 more. How many apples?", "3 + 4 = 7. So he has 7 apples.", "7"),
    ("Tom has 3 apples and buys 4 more. How many apples?", "3 + 4 = 7. So he has 7 apples.", "12"),
    ("Is the sun a star?", "The sun is a G-type main-sequence star.", "yes"),
    ("Is the sun a star?", "The sun is a G-type main-sequence star.", "no"),
    ("Which is largest? (A) 2 (B) 9 (C) 5", "9 is larger than 2 and 5, so the answer is B.", "B"),
    ("Which is largest? (A) 2 (B) 9 (C) 5", "9 is larger than 2 and 5, so the answer is B.", "C"),
    ("What colour is the sky?", "On a clear day scattering makes it look blue.", "blue"),
    ("A shirt costs $20 and is 25% off. Price?", "25% of 20 is 5. 20 - 5 = 15.", "$15.00"),
)


def builtin_parity_items() -> list[CheckInput]:
    return [
        CheckInput(id=f"parity-{i}", question=q, rationale=r, answer=a)
        for i, (q, r, a) in enumerate(_BUILTIN_PARITY_ITEMS)
    ]


def check_parity(
    checkpoint: Path,
    model_dir: Path,
    items: Sequence[CheckInput],
    *,
    max_length: int,
    temperature: float,
    tolerance: float = PARITY_TOLERANCE,
) -> dict[str, Any]:
    """Compare torch and ONNX probabilities on ``items`` tokenised through the runtime encoding."""
    torch_probs = torch_probabilities(checkpoint, model_dir, items, max_length, temperature)
    onnx_probs = onnx_probabilities(model_dir, items, max_length, temperature)
    diff = abs(torch_probs - onnx_probs)
    result = {"n": len(items), "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean())}
    result["tolerance"] = tolerance
    if result["max_abs_diff"] > tolerance:
        worst = int(diff.argmax())
        raise ParityError(
            f"ONNX and torch probabilities differ by {result['max_abs_diff']:.4f} > {tolerance} "
            f"(item {items[worst].id}: torch {torch_probs[worst]:.4f}, onnx {onnx_probs[worst]:.4f})"
        )
    return result


def encode_items(model_dir: Path, items: Sequence[CheckInput], max_length: int) -> dict[str, Any]:
    from tokenizers import Tokenizer

    from guardrail.toolkit import encode_batch

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    return encode_batch(tokenizer, items, max_length, input_format_of(model_dir))


def torch_probabilities(
    checkpoint: Path, model_dir: Path, items: Sequence[CheckInput], max_length: int, temperature: float
) -> Any:
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(checkpoint)).eval()
    parts = []
    for start in range(0, len(items), PARITY_BATCH):
        batch = encode_items(model_dir, items[start : start + PARITY_BATCH], max_length)
        with torch.no_grad():
            parts.append(model(**{k: torch.from_numpy(v) for k, v in batch.items()}).logits.numpy())
    return softmax_positive(np.concatenate(parts), temperature)


def onnx_session(model_dir: Path, threads: int = 2) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])


def onnx_logits(session: Any, batch: dict[str, Any]) -> Any:
    wanted = {node.name for node in session.get_inputs()}
    return session.run(None, {k: v for k, v in batch.items() if k in wanted})[0]


def onnx_probabilities(model_dir: Path, items: Sequence[CheckInput], max_length: int, temperature: float) -> Any:
    session = onnx_session(model_dir)
    parts = [
        onnx_logits(session, encode_items(model_dir, items[start : start + PARITY_BATCH], max_length))
        for start in range(0, len(items), PARITY_BATCH)
    ]
    return softmax_positive(np.concatenate(parts), temperature)


def load_parity_items(path: Path, limit: int) -> list[CheckInput]:
    """The first ``limit`` rows of a JSONL file as check inputs (labels are not needed)."""
    return [row.check_input(index) for index, row in enumerate(read_rows(path, limit))]
