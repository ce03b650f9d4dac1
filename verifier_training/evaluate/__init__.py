"""``verifier-train evaluate``: score a labelled JSONL split with the EXPORTED model through the runtime
(``guardrail.OnnxVerifier``: same encoding, same onnxruntime session, same temperature), compare with the
string-match baseline in the same run, and write a JSON report (``--report``). A model card is rendered only
where ``--write-card PATH`` says: evaluating a model never touches the files in its directory. Every scored set
is labelled by its name (``--data-name``, ``--also NAME=PATH``), never assumed to be a held-out test split.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .report import evaluate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="evaluate an exported model; write a JSON report (and a model card where told)"
    )
    parser.add_argument("--model", type=Path, required=True, help="exported model directory (only read)")
    parser.add_argument("--data", type=Path, required=True, help="labelled JSONL split (e.g. test)")
    parser.add_argument("--data-name", metavar="NAME",
                        help="what --data is, as the report and card name it (default: the file's stem)")
    parser.add_argument("--report", type=Path, required=True, help="where to write the JSON report")
    parser.add_argument("--write-card", "--card", dest="card", type=Path, metavar="PATH",
                        help="also render the model card to PATH (nothing is written into --model unless PATH "
                        "is there)")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N rows (0: all)")
    parser.add_argument("--latency-n", type=int, default=200, help="single checks timed for latency")
    parser.add_argument("--predictions", type=Path, help="also write per-item scores (JSONL, no text)")
    parser.add_argument("--also", action="append", default=[], metavar="NAME=PATH",
                        help="another labelled JSONL set to score and report under NAME (may repeat)")
    parser.add_argument("--validation", type=Path, metavar="FILE",
                        help="a `verifier-train validate` JSON to include in the report and card")
    parser.set_defaults(func=_run)


def _named_path(spec: str) -> tuple[str, Path]:
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise SystemExit(f"--also takes NAME=PATH, got {spec!r}")
    return name, Path(path)


def _run(args: argparse.Namespace) -> int:
    import structlog

    from .model_card import write_model_card

    also = dict(_named_path(spec) for spec in args.also)
    report = evaluate(args.model, args.data, threads=args.threads, limit=args.limit, latency_n=args.latency_n,
                      predictions=args.predictions, also=also, data_name=args.data_name)
    if args.validation is not None:
        from .validate import summary

        report["validation"] = summary(json.loads(args.validation.read_text(encoding="utf-8")))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    card = write_model_card(args.model, report, args.card) if args.card is not None else None
    structlog.get_logger().info(
        "evaluated", report=str(args.report), card=str(card) if card else None, auroc=report["overall"]["auroc"],
        baseline_auroc=report["baseline"]["auroc"], ece=report["overall"]["ece"],
        p50_ms=report["latency"]["single_check"]["p50_ms"],
    )
    return 0

