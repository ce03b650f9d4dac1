"""``guardrail``: score a JSONL file of model outputs, or check one example.

``guardrail score FILE.jsonl [--output OUT.jsonl]`` reads one JSON object per line, either
``{"id", "question", "rationale", "answer"}`` or ``{"id", "question", "output"}`` (the output is split into
rationale and answer first), and writes one JSON object per input line, in the same order::

    {"id": ..., "consistency": 0.93, "action": "pass", "reasons": [...], "flagged_steps": [...],
     "decided_by": [...], "answer_found": true, "model_id": ..., "model_version": ..., "latency_ms": ...}

A line that cannot be checked (invalid UTF-8, not JSON, not an object, missing or mistyped fields, empty or
oversized text) gets an error record ``{"id": <its id, or "line-N">, "error": "...", "consistency": null,
"action": <the policy's on_error action>, "reasons": [...]}``; the run carries on and exits 0. The id of a
line with bad bytes is still recovered when the rest of it parses. Blank lines are skipped. ``id`` is echoed
exactly as given (string or integer). Exit 1: the model could not be loaded
or the input file could not be opened; exit 2: bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from ._errors import InputError, ModelError
from ._extract import MAX_INPUT_CHARS, extract, from_fields
from ._guard import Guard
from ._policy import Policy
from ._types import Action, Extraction, Verdict

CHUNK_LINES = 256  # lines read, scored and written at a time: memory stays flat on huge files


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail", description="Check that an LLM's stated reasoning supports its answer."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score a JSONL file, one result line per input line")
    score.add_argument("file", help="input JSONL ('-' for stdin)")
    score.add_argument("--output", "-o", help="output JSONL (default: stdout)")
    score.add_argument(
        "--fallback", choices=("none", "claude"), default="none", help="escalate uncertain cases to Claude"
    )
    score.add_argument(
        "--band", nargs=2, type=float, default=(0.2, 0.8), metavar=("LO", "HI"), help="scores escalated to the judge"
    )
    score.add_argument(
        "--judge-concurrency", type=_positive_int, default=4, metavar="N", help="parallel judge requests"
    )
    score.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    score.set_defaults(func=run_score)
    check = commands.add_parser("check", help="check one example given as flags or on stdin")
    check.add_argument("--question", "-q", help="the question / prompt")
    check.add_argument("--output", help="the full model output (rationale and answer are extracted)")
    check.add_argument("--rationale", help="the rationale (with --answer)")
    check.add_argument("--answer", help="the answer (with --rationale)")
    check.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check.set_defaults(func=run_check)
    for sub in (score, check):
        _add_common(sub)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", metavar="DIR", help="model directory (default: the shipped model, or $GUARDRAIL_MODEL_DIR)"
    )
    parser.add_argument("--batch-size", type=_positive_int, default=16, metavar="N", help="inputs per onnxruntime call")
    parser.add_argument("--threads", type=_positive_int, default=2, metavar="N", help="onnxruntime intra-op threads")
    parser.add_argument("--pass-above", type=float, default=0.8, metavar="P", help="consistency >= P: pass")
    parser.add_argument("--label-above", type=float, default=0.5, metavar="P", help=">= P: label (else annotate)")
    parser.add_argument("--annotate-above", type=float, default=0.2, metavar="P", help=">= P: annotate (else block)")
    parser.add_argument(
        "--no-answer", choices=[a.value for a in Action], default="label", help="action when no answer is found"
    )
    parser.add_argument(
        "--on-error",
        choices=("fail_open", "fail_closed"),
        default="fail_open",
        help="unusable input or verifier failure: fail_open labels the output, fail_closed blocks it",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log every verdict to stderr")
    parser.add_argument("--log-json", action="store_true", help="log events as JSON lines")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    from ._logging import configure_cli_logging

    args = build_parser().parse_args(argv)
    configure_cli_logging(verbose=args.verbose, json_logs=args.log_json)
    try:
        policy = Policy(
            pass_above=args.pass_above,
            label_above=args.label_above,
            annotate_above=args.annotate_above,
            no_answer=args.no_answer,
            on_error=args.on_error,
        )
    except ValueError as exc:  # pydantic's ValidationError: thresholds out of range or out of order
        print(f"guardrail: invalid policy arguments: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, policy) or 0)
    except ModelError as exc:
        print(f"guardrail: cannot load the verifier model: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `guardrail score big.jsonl | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("guardrail: interrupted", file=sys.stderr)
        return 130


def _load_verifier(args: argparse.Namespace) -> Any:
    from ._onnx import OnnxVerifier

    return OnnxVerifier(args.model, threads=args.threads, batch_size=args.batch_size)


# --- score ----------------------------------------------------------------------------------------------


def run_score(args: argparse.Namespace, policy: Policy) -> int:
    verifier = _load_verifier(args)
    judge = _claude_judge(args) if args.fallback == "claude" else None
    guard = Guard(verifier, policy=policy, judge=judge, escalate="cascade" if judge else "never", band=tuple(args.band))
    try:
        # Closed in the finally below; a with-block would close stdin/stdout too.
        source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"guardrail: cannot read the input: {exc}", file=sys.stderr)
        return 1
    try:
        sink = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    except OSError as exc:
        print(f"guardrail: cannot write the output: {exc}", file=sys.stderr)
        source.close()
        return 1
    progress = Progress(_size(source), enabled=sys.stderr.isatty() and not args.no_progress)
    try:
        if judge is not None:
            asyncio.run(_score_async(guard, source, sink, progress))
        else:
            for chunk in _chunks(source):
                _write(sink, chunk, guard.check_many([item for _, item, _ in chunk if item is not None]), policy)
                progress.update(source.tell() if source.seekable() else None, len(chunk))
    finally:
        progress.close()
        if source is not sys.stdin.buffer:
            source.close()
        if sink is not sys.stdout:
            sink.close()
    return 0


async def _score_async(guard: Guard, source: IO[bytes], sink: IO[str], progress: Progress) -> None:
    for chunk in _chunks(source):
        verdicts = await guard.acheck_many([item for _, item, _ in chunk if item is not None])
        _write(sink, chunk, verdicts, guard.policy)
        progress.update(source.tell() if source.seekable() else None, len(chunk))


def _claude_judge(args: argparse.Namespace) -> Any:
    from ._judge import ClaudeJudge

    judge = ClaudeJudge.from_env(max_concurrency=args.judge_concurrency)
    if not judge.available:
        print(f"claude judge off: {judge.unavailable_reason}; scoring with the ONNX verifier only", file=sys.stderr)
        return None
    return judge


Parsed = tuple[Any, "dict[str, Any] | None", "str | None"]  # (id to echo, item for the guard, error)


def _chunks(source: IO[bytes]) -> Iterator[list[Parsed]]:
    chunk: list[Parsed] = []
    for number, raw in enumerate(source, start=1):
        if not raw.strip():
            continue
        chunk.append(parse_line(raw, number))
        if len(chunk) >= CHUNK_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def parse_line(raw: bytes, number: int) -> Parsed:
    """One input line -> (id to echo, guard item) or (id, None, error). Decoded per line: one bad line stays one."""
    fallback_id = f"line-{number}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = f"input_error: not_utf8: line {number} is not valid UTF-8 (byte {exc.start})"
        return _recover_id(raw, fallback_id), None, error
    try:
        data = json.loads(text)
    except ValueError as exc:
        return fallback_id, None, f"input_error: invalid_json: line {number}: {exc}"
    except RecursionError:  # the stdlib parser recurses per nesting level
        return fallback_id, None, f"input_error: invalid_json: line {number} is nested too deeply"
    if not isinstance(data, dict):
        return fallback_id, None, f"input_error: not_an_object: line {number} is a JSON {type(data).__name__}"
    raw_id = data.get("id")
    echo_id = raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else fallback_id
    return echo_id, {**data, "id": str(echo_id)}, None


def _recover_id(raw: bytes, fallback_id: str) -> Any:
    """The id of a line that is JSON apart from bad bytes, so its error record still carries it."""
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return fallback_id
    raw_id = data.get("id") if isinstance(data, dict) else None
    return raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else fallback_id


def _write(sink: IO[str], chunk: list[Parsed], verdicts: list[Verdict], policy: Policy) -> None:
    pending = iter(verdicts)
    lines = []
    for echo_id, item, error in chunk:
        record = error_record(echo_id, error, policy) if item is None else verdict_record(echo_id, next(pending))
        lines.append(json.dumps(record, ensure_ascii=False))
    sink.write("\n".join(lines) + "\n")
    sink.flush()


def verdict_record(echo_id: Any, verdict: Verdict) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": echo_id,
        "consistency": verdict.consistency,
        "action": verdict.action.value,
        "reasons": list(verdict.reasons),
        "flagged_steps": list(verdict.flagged_steps),
        "decided_by": list(verdict.decided_by),
        "answer_found": verdict.answer_found,
        "model_id": verdict.model_id,
        "model_version": verdict.model_version,
        "latency_ms": round(verdict.latency_ms, 3),
    }
    errors = [r for r in verdict.reasons if r.startswith("input_error")]
    if errors:
        record["error"] = errors[0]
    return record


def error_record(echo_id: Any, error: str | None, policy: Policy) -> dict[str, Any]:
    return {
        "id": echo_id,
        "error": error,
        "consistency": None,
        "action": policy.error_action().value,
        "reasons": [error],
        "answer_found": False,
    }


def _size(source: IO[bytes]) -> int | None:
    try:
        return os.fstat(source.fileno()).st_size if source.seekable() else None
    except (OSError, ValueError):
        return None


class Progress:
    """A one-line progress bar on stderr (only on a terminal): bytes read of the file, lines done, rate."""

    def __init__(self, total_bytes: int | None, *, enabled: bool, stream: IO[str] | None = None) -> None:
        self.total, self.enabled = total_bytes, enabled
        self.stream = stream or sys.stderr
        self.lines, self.started, self.last = 0, time.monotonic(), 0.0

    def update(self, done_bytes: int | None, lines: int) -> None:
        self.lines += lines
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        rate = self.lines / max(now - self.started, 1e-9)
        if self.total and done_bytes is not None:
            frac = min(1.0, done_bytes / self.total)
            bar = "#" * int(frac * 30)
            self.stream.write(f"\r[{bar:<30}] {frac:6.1%} {self.lines} lines {rate:.1f}/s")
        else:
            self.stream.write(f"\r{self.lines} lines {rate:.1f}/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.last = 0.0
            self.update(self.total, 0)
            self.stream.write("\n")
            self.stream.flush()


# --- check ----------------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace, policy: Policy) -> int:
    question, output, rationale, answer = _check_input(args)
    try:
        shown: Extraction | None = extract(output) if output is not None else from_fields(rationale, answer)
    except (InputError, TypeError):
        shown = None  # the guard reports the same problem as an input_error verdict
    guard = Guard(_load_verifier(args), policy=policy)
    if shown is not None:
        verdict = guard.check(question, shown, id="cli")
    else:
        verdict = guard.check(question, output, rationale=rationale, answer=answer, id="cli")
    if args.json:
        print(json.dumps({**verdict_record("cli", verdict), **_extraction_fields(shown)}, ensure_ascii=False))
    else:
        print(describe(verdict, shown))
    return 0


def _check_input(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """(question, output, rationale, answer) from the flags, else from stdin (a JSON object or plain text)."""
    question: Any = args.question if args.question is not None else ""
    if args.output is not None:
        return question, args.output, None, None
    if args.rationale is not None or args.answer is not None:
        return question, None, args.rationale if args.rationale is not None else "", args.answer
    raw = sys.stdin.buffer.read(4 * MAX_INPUT_CHARS + 1)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        question = args.question if args.question is not None else data.get("question", "")
        if data.get("output") is not None:
            return question, data["output"], None, None
        return question, None, data.get("rationale"), data.get("answer")
    return question, raw, None, None


def _extraction_fields(extraction: Extraction | None) -> dict[str, Any]:
    if extraction is None:
        return {}
    return {"answer": extraction.answer, "format": extraction.format, "steps": len(extraction.steps)}


def describe(verdict: Verdict, extraction: Extraction | None) -> str:
    score = "n/a" if verdict.consistency is None else f"{verdict.consistency:.3f}"
    lines = [
        f"action:       {verdict.action.value}",
        f"consistency:  {score}  (probability the rationale supports the answer)",
    ]
    if extraction is not None:
        lines.append(
            f"answer:       {extraction.answer!r}  (found as: {extraction.format}, {len(extraction.steps)} steps)"
        )
    lines.append("reasons:")
    lines += [f"  - {reason}" for reason in verdict.reasons]
    steps = extraction.steps if extraction is not None else ()
    for index in verdict.flagged_steps:
        text = steps[index].text if index < len(steps) else ""
        lines.append(f"flagged step {index + 1}: {' '.join(text.split())[:160]}")
    if verdict.decided_by:
        lines.append(f"decided by:   {', '.join(verdict.decided_by)} ({verdict.model_id} {verdict.model_version})")
    lines.append(f"latency:      {verdict.latency_ms:.1f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
