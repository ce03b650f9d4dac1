"""torch checkpoint -> ONNX (optimum) -> quantisation -> parity check -> model directory with a sha256 manifest
that ``guardrail`` loads. The checkpoint's layout is :mod:`verifier_training.checkpoint`'s; the parity check is
:mod:`.parity`'s."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from guardrail import CheckInput
from guardrail.toolkit import ModelManifest, write_manifest

from ..checkpoint import TRAIN_CONFIG_NAME, input_format_of, read_checkpoint_calibration, read_train_config
from ..errors import ExportError, ParityError
from .parity import PARITY_TOLERANCE, builtin_parity_items, onnx_probabilities, torch_probabilities

# Tried in order until parity holds: fastest first (see benchmarks/bench_verifier_latency.py).
QUANT_LADDER = ("int8", "int8-embeddings", "fp16-embeddings")
DEFAULT_NAME = "rg-minilm"
DEFAULT_VERSION = "0.1.0"


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
    (see ``train.cls_only``); returns (path, whether the last layer was rewritten)."""
    from optimum.exporters.onnx import onnx_export_from_model

    from ..train.cls_only import load_for_export

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
        from .rowquant import quantize_word_embeddings

        quantize_word_embeddings(fp32_path, out_path, storage=mode.split("-")[0])
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # per_channel: one scale per output column of each weight (measured: lower error than per-tensor).
        quantize_dynamic(fp32_path, out_path, weight_type=QuantType.QInt8, per_channel=True)

