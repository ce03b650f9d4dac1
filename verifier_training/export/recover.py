"""``verifier-train recover``: rebuild a torch checkpoint from an exported model, to fine-tune it further.

An export (``models/<name>/``) keeps every weight: the ONNX initializers are named after the torch
parameters, except the linear layers' weights, which the exporter stores transposed under ``onnx::MatMul_N``
names (the MatMul node that reads each one is named after its module), and the word-embedding table, which
may be stored fp16 (``<name>_fp16``) or per-row int8 (``<name>_int8`` times ``<name>_row_scale``). So a
shipped model can be the ``base_model`` of a new training run even when its training checkpoint is gone.
The rebuilt checkpoint is written, then checked against the ONNX model (``export.parity.check_parity``): a
``ParityError`` means the files in ``out_dir`` do not reproduce the export and must not be trained on.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from guardrail.toolkit import load_verified_manifest

from ..checkpoint import TRAIN_CONFIG_NAME
from ..errors import ExportError
from .parity import PARITY_TOLERANCE, builtin_parity_items, check_parity, load_parity_items
from .rowquant import WORD_EMBEDDINGS


# Which parameter of a module an initializer is, by the op reading it and the input slot it fills.
_PARAMETER_BY_SLOT = {
    ("MatMul", 1): "weight",  # stored transposed: x @ W.T
    ("Gemm", 1): "weight",  # transB=1 (checked below)
    ("Gemm", 2): "bias",
    ("Add", 0): "bias",
    ("Add", 1): "bias",
    ("LayerNormalization", 1): "weight",
    ("LayerNormalization", 2): "bias",
    ("Gather", 0): "weight",
}


_INT8_COMPUTE_OPS = frozenset({"MatMulInteger", "DynamicQuantizeLinear", "QLinearMatMul"})


def onnx_state_dict(onnx_path: Path) -> dict[str, np.ndarray]:
    """Torch parameter name -> float32 array, read from an exported model's initializers.

    Every parameter is named after the node that reads it ("/bert/encoder/layer.0/attention/self/query/MatMul"
    reads the query weight), not after its initializer: the exporter stores linear weights as ``onnx::MatMul_N``
    and shares one initializer (through Identity nodes) between parameters with identical values, e.g. freshly
    initialised biases."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    if any(node.op_type in _INT8_COMPUTE_OPS for node in graph.node):
        raise ExportError(f"{onnx_path}: its linear layers are int8 (dynamic quantisation), which cannot be turned back "
                          "into the trained weights; recover reads fp32, fp16-embeddings and int8-embeddings exports")
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for node in graph.node:  # shared initializers reach their other users through Identity nodes
        if node.op_type == "Identity" and node.input[0] in arrays:
            arrays[node.output[0]] = arrays[node.input[0]]
    table = _word_embeddings(arrays)
    state = {WORD_EMBEDDINGS: table} if table is not None else {}
    for node in graph.node:
        module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
        for slot, name in enumerate(node.input):
            parameter = _PARAMETER_BY_SLOT.get((node.op_type, slot))
            stored_apart = name.startswith(f"{WORD_EMBEDDINGS}_")  # fp16 / int8 table and its row scales
            if name not in arrays or parameter is None or stored_apart or arrays[name].dtype != np.float32:
                continue
            value = arrays[name]
            transposed = node.op_type == "MatMul" or (node.op_type == "Gemm" and not _attribute(node, "transB"))
            state[f"{module}.{parameter}"] = np.ascontiguousarray(value.T if transposed else value)
    return state


def _word_embeddings(arrays: dict[str, np.ndarray]) -> np.ndarray | None:
    """The table stored fp16 or per-row int8 by ``rowquant`` (fp32 tables are read like any Gather)."""
    if f"{WORD_EMBEDDINGS}_fp16" in arrays:
        return arrays[f"{WORD_EMBEDDINGS}_fp16"].astype(np.float32)
    if f"{WORD_EMBEDDINGS}_int8" in arrays:
        return arrays[f"{WORD_EMBEDDINGS}_int8"].astype(np.float32) * arrays[f"{WORD_EMBEDDINGS}_row_scale"]
    return None


def _attribute(node: Any, name: str) -> int:
    return next((attribute.i for attribute in node.attribute if attribute.name == name), 0)


def recover_checkpoint(model_dir: Path, out_dir: Path, parity_items: Any = None,
                       tolerance: float = PARITY_TOLERANCE) -> dict[str, Any]:
    """Write a ``BertForSequenceClassification`` checkpoint equal to ``model_dir``'s ONNX model to ``out_dir``
    and return the parity result; raises ``ExportError`` when weights are missing or do not fit."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    manifest = load_verified_manifest(model_dir)
    model = BertForSequenceClassification(BertConfig.from_pretrained(str(model_dir)))
    arrays = onnx_state_dict(model_dir / manifest.onnx_file)
    state = {name: torch.from_numpy(value.copy()) for name, value in arrays.items()}  # onnx arrays are read-only
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # a shape mismatch: config.json does not describe this graph
        raise ExportError(f"{model_dir}: ONNX weights do not fit its config.json: {exc}") from exc
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise ExportError(f"{model_dir}: cannot rebuild the checkpoint (missing {missing}, unexpected {unexpected})")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    for name in (manifest.tokenizer_file, TRAIN_CONFIG_NAME):
        shutil.copyfile(model_dir / name, out_dir / name)
    return check_parity(out_dir, model_dir, parity_items or builtin_parity_items(), max_length=manifest.max_length,
                        temperature=manifest.temperature, tolerance=tolerance)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("recover", help="rebuild a torch checkpoint from an exported model")
    parser.add_argument("--model", type=Path, required=True, help="exported model directory (e.g. models/default)")
    parser.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    parser.add_argument("--parity-data", type=Path, help="JSONL of items for the parity check (e.g. dev)")
    parser.add_argument("--parity-n", type=int, default=256, help="how many parity items to read")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import structlog

    items = load_parity_items(args.parity_data, args.parity_n) if args.parity_data else None
    parity = recover_checkpoint(args.model, args.out, items)
    structlog.get_logger().info("recovered", out=str(args.out), parity=parity)
    return 0
