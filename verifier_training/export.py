"""``verifier-train export``: torch checkpoint -> ONNX (optimum) -> int8 dynamic quantisation -> parity check
-> model directory with a sha256 manifest that ``guardrail`` loads.

The parity check tokenises through ``guardrail._encoding.encode_batch`` with the *exported* tokenizer.json,
i.e. exactly the runtime path, and compares calibrated probabilities of the ONNX model with the torch model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guardrail.toolkit import ModelManifest, write_manifest
from guardrail import CheckInput

from ._errors import ExportError, ParityError
from .metrics import softmax_positive
from .train_config import LEGACY_INPUT_FORMAT, TRAIN_CONFIG_NAME

PARITY_TOLERANCE = 1e-2
PARITY_BATCH = 32
# Tried in order until parity holds: fastest first (see benchmarks/bench_verifier_latency.py).
QUANT_LADDER = ("int8", "int8-embeddings", "fp16-embeddings")
DEFAULT_NAME = "rg-minilm"
DEFAULT_VERSION = "0.1.0"
# Keys under which training stores its calibration in the checkpoint's config.json.
TEMPERATURE_KEY = "rg_temperature"
THRESHOLD_KEY = "rg_threshold"
EXPORTED_FILES = ("model.onnx", "tokenizer.json", "config.json", TRAIN_CONFIG_NAME)

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


def read_checkpoint_calibration(checkpoint_dir: Path) -> tuple[float, float]:
    """Temperature and threshold that training wrote into the checkpoint's config.json (defaults 1.0, 0.5)."""
    config = json.loads((checkpoint_dir / "config.json").read_text(encoding="utf-8"))
    return float(config.get(TEMPERATURE_KEY, 1.0)), float(config.get(THRESHOLD_KEY, 0.5))


def input_format_of(model_dir: Path) -> str:
    """The encoding a checkpoint (or an export, which carries its train config) was trained on."""
    return read_train_config(model_dir).get("input_format", LEGACY_INPUT_FORMAT)


def read_train_config(checkpoint_dir: Path) -> dict[str, Any]:
    path = checkpoint_dir / TRAIN_CONFIG_NAME
    if not path.is_file():
        raise ExportError(f"checkpoint {checkpoint_dir} has no {TRAIN_CONFIG_NAME}")
    return json.loads(path.read_text(encoding="utf-8"))


def export_onnx(
    checkpoint_dir: str | Path,
    out_dir: str | Path,
    *,
    quantize: bool | str = True,
    parity_items: Sequence[CheckInput] | None = None,
    name: str = DEFAULT_NAME,
    version: str = DEFAULT_VERSION,
    max_length: int | None = None,
    temperature: float | None = None,
    threshold: float | None = None,
    metrics: dict[str, Any] | None = None,
    overwrite: bool = False,
    tolerance: float = PARITY_TOLERANCE,
) -> ModelManifest:
    """Export ``checkpoint_dir`` to ``out_dir``; ``None`` settings come from the checkpoint (its input format
    always does: the model only understands the encoding it was trained on)."""
    checkpoint = Path(checkpoint_dir)
    out = _prepare_out_dir(Path(out_dir), overwrite)
    train_config = read_train_config(checkpoint)
    ckpt_temperature, ckpt_threshold = read_checkpoint_calibration(checkpoint)
    temperature = ckpt_temperature if temperature is None else float(temperature)
    threshold = ckpt_threshold if threshold is None else float(threshold)
    max_length = int(max_length or train_config.get("max_length") or 256)

    items = list(parity_items) if parity_items else builtin_parity_items()
    for file_name in ("tokenizer.json", "config.json", TRAIN_CONFIG_NAME):
        shutil.copyfile(checkpoint / file_name, out / file_name)
    reference = torch_probabilities(checkpoint, out, items, max_length, temperature)
    with tempfile.TemporaryDirectory(prefix="rg-export-") as scratch:
        fp32_path, cls_only = _optimum_export(checkpoint, Path(scratch))
        parity = _write_first_within_tolerance(fp32_path, out, items, reference, quantize_modes(quantize),
                                               max_length=max_length, temperature=temperature, tolerance=tolerance)
    all_metrics = {**(metrics or {}), "parity": parity, "last_layer_cls_only": cls_only}
    return write_manifest(
        out,
        name=name,
        version=version,
        input_format=input_format_of(out),
        max_length=max_length,
        temperature=temperature,
        threshold=threshold,
        config=train_config,
        metrics=all_metrics,
    )


def _prepare_out_dir(out: Path, overwrite: bool) -> Path:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ExportError(f"output directory {out} is not empty (pass overwrite=True / --overwrite)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _optimum_export(checkpoint: Path, scratch: Path) -> tuple[Path, bool]:
    """ONNX of the checkpoint through optimum, with the last layer computed for [CLS] only where that is exact
    (see ``_cls_only``); returns (path, whether the last layer was rewritten)."""
    from optimum.exporters.onnx import onnx_export_from_model

    from ._cls_only import load_for_export

    model, cls_only = load_for_export(checkpoint)
    try:
        # Our own parity check below replaces optimum's validation (it also covers quantisation), and compares
        # against the checkpoint as trained, not against the rewritten model.
        onnx_export_from_model(model, scratch, task="text-classification", do_validation=False)
    except Exception as exc:  # optimum raises a mix of ValueError/RuntimeError/onnx errors
        raise ExportError(f"optimum ONNX export of {checkpoint} failed: {exc}") from exc
    path = scratch / "model.onnx"
    if not path.is_file():
        raise ExportError(f"optimum produced no model.onnx for {checkpoint}")
    return path, cls_only


def quantize_modes(quantize: bool | str) -> tuple[str, ...]:
    """The modes to try, in order: ``True`` walks the ladder from fastest to most exact."""
    if quantize is True:
        return QUANT_LADDER
    if quantize is False:
        return ("fp32",)
    if quantize not in (*QUANT_LADDER, "fp32"):
        raise ExportError(f"unknown quantisation mode {quantize!r}; use one of {(*QUANT_LADDER, 'fp32')}")
    return (quantize,)


def _write_first_within_tolerance(
    fp32_path: Path, out: Path, items: Sequence[CheckInput], reference: Any, modes: Sequence[str], *,
    max_length: int, temperature: float, tolerance: float,
) -> dict[str, Any]:
    """Write each mode's model.onnx in turn and keep the first whose probabilities match torch."""
    attempts: dict[str, float] = {}
    for mode in modes:
        write_onnx_model(fp32_path, out / "model.onnx", mode)
        probs = onnx_probabilities(out, items, max_length, temperature)
        diff = np.abs(probs - reference)
        attempts[mode] = float(diff.max())
        if diff.max() <= tolerance:
            return {"n": len(items), "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
                    "p99_abs_diff": float(np.percentile(diff, 99)), "tolerance": tolerance, "mode": mode,
                    "quantized": mode != "fp32", "attempts": attempts}
    worst = int(diff.argmax())
    raise ParityError(
        f"ONNX and torch probabilities differ beyond {tolerance} in every mode tried {attempts} "
        f"(item {items[worst].id}: torch {reference[worst]:.4f}, onnx {probs[worst]:.4f})"
    )


def write_onnx_model(fp32_path: Path, out_path: Path, mode: str) -> None:
    """``fp32`` as exported; ``int8``: onnxruntime dynamic int8 over every MatMul and embedding Gather (weights
    int8, activations quantised per call: fastest); ``int8-embeddings``: only the word-embedding table stored
    int8 per row, all compute fp32 (exact to ~1e-3, about half the fp32 file, fp32 speed); ``fp16-embeddings``:
    that table stored fp16 (for checkpoints that per-row int8 moves by more than the tolerance)."""
    if mode == "fp32":
        shutil.copyfile(fp32_path, out_path)
    elif mode in ("int8-embeddings", "fp16-embeddings"):
        from ._rowquant import quantize_word_embeddings

        quantize_word_embeddings(fp32_path, out_path, storage=mode.split("-")[0])
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # per_channel: one scale per output column of each weight (measured: lower error than per-tensor).
        quantize_dynamic(fp32_path, out_path, weight_type=QuantType.QInt8, per_channel=True)


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
    items = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and len(items) < limit:
                row = json.loads(line)
                items.append(
                    CheckInput(
                        id=str(row.get("id", len(items))),
                        question=row["question"],
                        rationale=row["rationale"],
                        answer=row["answer"],
                    )
                )
    return items


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export a checkpoint to ONNX (int8) with a sha256 manifest")
    parser.add_argument("--checkpoint", required=True, help="torch checkpoint directory (from train)")
    parser.add_argument("--out", required=True, help="model directory to write (e.g. models/default)")
    parser.add_argument("--name", default=DEFAULT_NAME, help="model name in manifest.json (verdicts' model_id)")
    parser.add_argument("--version", default=DEFAULT_VERSION,
                        help="model version in manifest.json (verdicts' model_version)")
    parser.add_argument(
        "--quantize", default="auto", choices=("auto", *QUANT_LADDER, "fp32"),
        help="auto: the fastest int8 mode that passes the parity check; or force one mode",
    )
    parser.add_argument("--parity-data", type=Path, help="JSONL of items for the parity check (e.g. dev)")
    parser.add_argument("--parity-n", type=int, default=256, help="how many parity items to read")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --out directory")
    parser.add_argument("--parity-tolerance", type=float, default=PARITY_TOLERANCE,
                        help="max |p_onnx - p_torch| allowed (recorded in the manifest)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import structlog

    items = load_parity_items(args.parity_data, args.parity_n) if args.parity_data else None
    manifest = export_onnx(
        args.checkpoint,
        args.out,
        quantize=True if args.quantize == "auto" else args.quantize,
        parity_items=items,
        name=args.name,
        version=args.version,
        overwrite=args.overwrite,
        tolerance=args.parity_tolerance,
    )
    structlog.get_logger().info("exported", out=str(args.out), parity=manifest.metrics["parity"])
    return 0
