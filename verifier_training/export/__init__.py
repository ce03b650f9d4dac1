"""``verifier-train export``: torch checkpoint -> ONNX (optimum) -> int8 dynamic quantisation -> parity check
-> model directory with a sha256 manifest that ``guardrail`` loads (:mod:`.onnx`, :mod:`.parity`).
``verifier-train recover`` (:mod:`.recover`) goes the other way.

onnx, optimum and torch are imported when the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .onnx import DEFAULT_NAME, DEFAULT_VERSION, QUANT_LADDER
from .parity import PARITY_TOLERANCE, load_parity_items


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

    from .onnx import export_onnx

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
