"""``guardrail audit``: the CLI over :func:`~guardrail.audit.audit_files` (added to ``guardrail``'s parser)."""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from ._options import PART_BYTES

DESCRIPTION = """\
Audit JSONL or Parquet logs on Ray Data: one record per input row, with the fields and meaning of
`guardrail score`'s records, in part files in DIR; then DIR/_summary.json (records per action, errors,
rows/s) and an empty DIR/_SUCCESS marker. Inputs: files, folders (their .jsonl/.json/.ndjson/.parquet
files) or globs, on any filesystem pyarrow reads (local, s3://, gs://, hdfs://). Bad rows get error
records; the job carries on. Each of --actors actors holds one verified ONNX verifier with --threads
threads and reserves that many CPUs.

Resume: each part file is named after the input part it holds (input path and size, byte range or row
group) and is written under a temporary name, then renamed; a part whose file exists is never checked
again. Rerun the same command (same inputs, --output, options and --part-bytes) after a stop or a crash:
only the missing parts are checked. A folder written by a different audit is refused (exit 1). A task that
Ray retries after an actor died writes its part once, so no row is lost or written twice.
"""

EPILOG = (
    "exit codes: 0 done (bad rows get error records), 1 an input is missing or unreadable, the output folder "
    "cannot be written or holds another audit, the model cannot be loaded, or Ray is missing; 2 bad arguments"
)


def add_parser(commands: Any, formatter: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    """Add ``audit`` to ``guardrail``'s subcommands (the common options are added by the caller)."""
    from .._arguments import Band, bounded_int, positive_int, probability

    audit = commands.add_parser(
        "audit",
        help="audit JSONL/Parquet logs on a Ray cluster, into a folder of part files",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=type("AuditHelpFormatter", (argparse.RawDescriptionHelpFormatter, formatter), {}),
    )
    audit.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL or Parquet files, folders or globs")
    audit.add_argument("--output", "-o", required=True, metavar="DIR", help="output folder (created; resumable)")
    audit.add_argument("--address", metavar="ADDR", help="join this Ray cluster (e.g. 'auto', 'ray://head:10001'; "
                       "default: $RAY_ADDRESS, else a local cluster started for the run)")  # fmt: skip
    audit.add_argument("--actors", type=positive_int, metavar="N",
                       help="actors, each with one ONNX verifier (default: cluster CPUs / --threads)")  # fmt: skip
    audit.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="output part format")
    audit.add_argument("--part-bytes", type=positive_int, default=PART_BYTES, metavar="N",
                       help="JSONL inputs are cut into parts of about N bytes (Parquet: a row group)")  # fmt: skip
    audit.add_argument("--fallback", choices=("none", "claude"), default="none",
                       help="escalate uncertain cases to Claude")  # fmt: skip
    audit.add_argument("--band", nargs=2, type=probability, action=Band, default=(0.2, 0.8), metavar=("LO", "HI"),
                       help="scores escalated to the judge (0 <= LO <= HI <= 1)")  # fmt: skip
    audit.add_argument("--judge-concurrency", type=positive_int, default=4, metavar="N",
                       help="judge requests in flight, across the whole cluster")  # fmt: skip
    audit.add_argument("--judge-budget", type=bounded_int(0, None), metavar="N",
                       help="at most N judge requests for the whole audit (default: no limit)")  # fmt: skip
    audit.set_defaults(func=run_audit)
    return audit


def run_audit(args: argparse.Namespace, policy: Any) -> int:
    from .._logging import configure_cli_logging
    from ._files import expand_inputs
    from ._options import AuditError, AuditOptions
    from ._run import _ray, audit_files

    options = AuditOptions(
        model=args.model, threads=args.threads, batch_size=args.batch_size, policy=policy, fallback=args.fallback,
        band=tuple(args.band), judge_concurrency=args.judge_concurrency, judge_budget=args.judge_budget,
    )  # fmt: skip
    if args.fallback == "claude":
        from .._judge import ClaudeJudge

        judge = ClaudeJudge.from_env()
        if not judge.available:
            print(f"claude judge off: {judge.unavailable_reason}; scoring with the ONNX verifier only", file=sys.stderr)
    try:
        _ray()
        expand_inputs(args.inputs)  # a missing input is said before anything loads
    except AuditError as exc:
        print(f"guardrail: {exc}", file=sys.stderr)
        return 1
    if not _model_loads(options):
        return 1
    try:
        summary = audit_files(
            args.inputs, args.output, options, address=args.address, actors=args.actors,
            output_format=args.format, part_bytes=args.part_bytes,
            actor_setup=functools.partial(configure_cli_logging, verbose=args.verbose, json_logs=args.log_json),
        )  # fmt: skip
    except AuditError as exc:
        print(f"guardrail: {exc}", file=sys.stderr)
        return 1
    print(summary.line(), file=sys.stderr)
    return 0


def _model_loads(options: Any) -> bool:
    """Load the model once here: a missing or tampered model is one clear error (exit 1), not a crash of every
    actor. (Each actor loads and verifies its own copy again.)"""
    from .._errors import ModelError
    from .._onnx import OnnxVerifier

    try:
        OnnxVerifier(options.model, threads=1, batch_size=1)
    except ModelError as exc:
        print(f"guardrail: cannot load the verifier model: {exc}", file=sys.stderr)
        return False
    return True
