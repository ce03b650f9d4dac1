"""``verifier-train validate``: score an exported model on the cross-domain validation suite.

The suite (``shared/validation`` beside the repository: real chains from other models, formats and domains)
is for **choosing** models, never for training: its sets and sources are not read by any data stage. This
stage runs the suite's own scorer (``score.py``) on the model through the ``guardrail score`` command line,
exactly as a user would, and writes the scorer's JSON (AUROC, ECE, escalated share, confident error per set,
and their macro average). ``evaluate --validation FILE`` puts that JSON into the report, so the model card
shows it next to the test split.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import VerifierTrainingError

# shared/validation beside the repository (this file is verifier_training/evaluate/validate.py in it)
DEFAULT_SUITE = Path(__file__).resolve().parents[3] / "shared" / "validation"
SUMMARY_KEYS = ("auroc", "confident_error", "escalated_share", "ece", "baseline_auroc")


def validate(model_dir: Path, suite: Path, out: Path, limit: int = 0, sets: str = "") -> dict[str, Any]:
    scorer = suite / "score.py"
    if not scorer.is_file():
        raise VerifierTrainingError(f"no validation suite at {suite} (expected {scorer})")
    command = f"{shlex.quote(sys.executable)} -m guardrail score --no-progress --model {shlex.quote(str(model_dir))}"
    argv = [sys.executable, str(scorer), "--cmd", command, "--json", str(out)]
    if limit:
        argv += ["--limit", str(limit)]
    if sets:
        argv += ["--sets", sets]
    out.parent.mkdir(parents=True, exist_ok=True)
    finished = subprocess.run(argv, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise VerifierTrainingError(f"the validation scorer failed (exit {finished.returncode}): "
                                    f"{finished.stderr.strip().splitlines()[-1:] or 'no message'}")
    return json.loads(out.read_text(encoding="utf-8"))


def summary(result: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per set and macro: the figures the model card and README report."""
    rows = {name: {k: data[k] for k in SUMMARY_KEYS} for name, data in result["sets"].items()}
    rows["macro"] = {k: result["macro"][k] for k in SUMMARY_KEYS}
    return rows


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate", help="score a model on the cross-domain validation suite (model selection, never training)"
    )
    parser.add_argument("--model", type=Path, required=True, help="exported model directory")
    parser.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="the validation suite's folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the scorer's JSON")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N rows of each set (0: all)")
    parser.add_argument("--sets", default="", help="comma-separated set names (default: every set)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    result = validate(args.model, args.suite, args.out, args.limit, args.sets)
    for name, row in summary(result).items():
        print(f"{name:16s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))
    return 0
