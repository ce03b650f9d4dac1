"""``guardrail``: score a JSONL file of model outputs, or check one example.

``guardrail score FILE.jsonl [--output OUT.jsonl]`` reads one JSON object per line, either
``{"id", "question", "rationale", "answer"}`` or ``{"id", "question", "output"}`` (the output is split into
rationale and answer first), and writes one JSON object per input line, in the same order. Every record has
the same keys::

    {"id": ..., "error": null, "consistency": 0.93, "action": "pass", "reasons": [...], "flagged_steps": [...],
     "decided_by": [...], "answer_found": true, "model_id": ..., "model_version": ..., "latency_ms": ...}

A line that cannot be checked (invalid UTF-8, not JSON, not an object, missing or mistyped fields, both
``output`` and ``rationale``/``answer``, a NaN or infinite number, empty or oversized text) gets an error
record: the same keys, ``error`` set, ``consistency`` null, ``action`` the policy's on_error action and nulls
where nothing is known; the run carries on and exits 0. The id of a line with bad bytes is still recovered when
the rest of it parses. Blank lines are skipped; a UTF-8 byte order mark is accepted. ``id`` is echoed as given
(string or integer; a lone surrogate in it, from an escaped ``"\\ud800"``, is echoed as U+FFFD). ``latency_ms``
is per item: the time of the batch the line was scored in, divided by the items in that batch.

The output file is written to a temporary file beside it and renamed into place at the end; naming the input
as the output is refused. Exit codes: 0 done; 1 the model, the input or the output could not be opened or
written; 2 bad arguments; 3 (``check`` only) the policy blocked the output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._arguments import Band, HelpFormatter, bounded_int, positive_int, probability
from ._cascade import scorer_for
from ._errors import InputError, ModelError
from ._extract import MAX_INPUT_CHARS, extract, from_fields, replace_lone_surrogates
from ._guard import Guard
from ._policy import Policy
from ._records import (  # noqa: F401 - RECORD_KEYS re-exported
    BOM, RECORD_KEYS, Parsed, encodable, error_record, parse_line, verdict_record,
)  # fmt: skip
from ._records import non_finite_field as _non_finite_field
from ._types import Action, Extraction, Verdict

CHUNK_LINES = 256  # at most this many lines are read, scored and written at a time
CHUNK_BYTES = 4 << 20  # ... and at most about this many bytes of input: memory stays flat on huge files
MAX_THREADS = 64  # onnxruntime intra-op threads: past the cores they only contend, and each costs load time
EXIT_BLOCKED = 3  # `guardrail check`: the policy blocked the output


def build_parser() -> argparse.ArgumentParser:
    from ._version import package_version

    formatter = HelpFormatter
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Check that an LLM's stated reasoning supports its answer.",
        epilog="exit codes: 0 done, 1 model or files could not be opened or written, 2 bad arguments, "
        f"{EXIT_BLOCKED} (check) the output was blocked",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser(
        "score",
        help="score a JSONL file, one result line per input line",
        description="Score a JSONL file: one result line per input line, in order; a summary line on stderr.",
        epilog="exit codes: 0 done (bad lines get error records), 1 the model, the input or the output could not "
        "be opened or written, 2 bad arguments (also: the output file is the input file)",
        formatter_class=formatter,
    )
    score.add_argument("file", help="input JSONL ('-' for stdin)")
    score.add_argument(
        "--output", "-o", help="output JSONL (default: stdout); written to a temporary file, renamed at the end"
    )
    score.add_argument(
        "--fallback", choices=("none", "claude"), default="none", help="escalate uncertain cases to Claude"
    )
    score.add_argument(
        "--band",
        nargs=2,
        type=probability,
        action=Band,
        default=(0.2, 0.8),
        metavar=("LO", "HI"),
        help="scores escalated to the judge (0 <= LO <= HI <= 1)",
    )
    score.add_argument(
        "--judge-concurrency", type=positive_int, default=4, metavar="N", help="parallel judge requests"
    )
    score.add_argument(
        "--batch-bytes",
        type=positive_int,
        default=CHUNK_BYTES,
        metavar="N",
        help=f"a batch ends after {CHUNK_LINES} lines or once it holds N bytes of input, whichever comes first",
    )
    score.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    score.set_defaults(func=run_score)
    check = commands.add_parser(
        "check",
        help="check one example given as flags or on stdin",
        description="Check one example: --output TEXT, or --rationale R --answer A, or a JSON object / plain "
        "text on stdin.",
        epilog=f"exit codes: 0 checked (not blocked), 1 the model could not be loaded, 2 bad arguments or input, "
        f"{EXIT_BLOCKED} the policy blocked the output",
        formatter_class=formatter,
    )
    check.add_argument("--question", "-q", help="the question / prompt")
    check.add_argument("--output", help="the full model output (rationale and answer are extracted)")
    check.add_argument("--rationale", help="the rationale (with --answer)")
    check.add_argument("--answer", help="the answer (with --rationale)")
    check.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check.set_defaults(func=run_check)
    from .audit._command import add_parser as add_audit_parser  # `guardrail audit` (extra: ray)

    audit = add_audit_parser(commands, formatter)
    serve = _serve_parser(commands, formatter)
    for sub in (score, check, audit, serve):
        _add_common(sub)
    return parser


def _serve_parser(commands: Any, formatter: type[argparse.HelpFormatter]) -> argparse.ArgumentParser:
    """``guardrail serve``: the HTTP check API and guarding proxies (the ``server`` extra)."""
    serve = commands.add_parser(
        "serve",
        help="serve the check API and the OpenAI/Anthropic guarding proxies over HTTP (the server extra)",
        description="Serve POST /v1/check, /v1/check/batch, the guarding proxies /v1/chat/completions and "
        "/v1/messages, and /healthz, /readyz, /metrics. Settings: --config FILE (JSON or TOML, the fields of "
        "guardrail.server.ServerConfig); the serve flags override it, while the file overrides --threads, "
        "--batch-size and the policy flags (a 'policy' object in the file). "
        "Service API keys: $GUARDRAIL_API_KEYS (comma-separated). Logs access and verdicts (never user text).",
        epilog="SIGTERM / Ctrl-C stop accepting and drain in-flight requests, then the process ends by that signal. "
        "exit codes: 1 the server extra is missing or the config cannot be read, 2 bad arguments or settings",
        formatter_class=formatter,
    )
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=bounded_int(0, 65535), help="port (default 8000)")
    serve.add_argument("--config", metavar="FILE", help="JSON or TOML settings (guardrail.server.ServerConfig)")
    serve.add_argument("--upstream-openai", metavar="URL", help="OpenAI-compatible upstream base URL (.../v1)")
    serve.add_argument("--upstream-anthropic", metavar="URL", help="Anthropic Messages upstream base URL")
    serve.add_argument("--batch-wait-ms", type=float, metavar="MS", help="micro-batch wait, 0 to 2 (default 2)")
    serve.add_argument("--max-batch", type=positive_int, metavar="N", help="items per micro-batch (default 64)")
    serve.add_argument("--queue-size", type=positive_int, metavar="N", help="pending items before 429 (1024)")
    serve.add_argument("--block-response", choices=("fallback", "error"), help="a proxied block: fallback text "
                       "(default) or an error response")  # fmt: skip
    serve.set_defaults(func=run_serve)
    return serve


def run_serve(args: argparse.Namespace, policy: Policy) -> int:
    """Build the settings (file, then flags) and run the server until it is stopped (SIGTERM drains)."""
    try:
        from .server import ServerConfig, serve
    except ImportError as exc:
        print(f"guardrail: serve needs the server extra (pip install 'rationale-guard[server]'): {exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    from ._errors import GuardrailError
    from ._logging import configure_cli_logging

    configure_cli_logging(verbose=True, json_logs=args.log_json)  # access logs and verdicts: no user text
    # flags with a default give way to the file; the serve flags (default None) override it when given
    defaults = {"threads": args.threads, "onnx_batch_size": args.batch_size, "policy": policy}
    flags = {
        "host": args.host, "port": args.port, "model_dir": args.model, "openai_upstream": args.upstream_openai,
        "anthropic_upstream": args.upstream_anthropic, "batch_wait_ms": args.batch_wait_ms,
        "max_batch": args.max_batch, "queue_size": args.queue_size, "block_response": args.block_response,
    }  # fmt: skip
    try:
        if args.config:
            config = ServerConfig.from_file(args.config, defaults=defaults, **flags)
        else:
            config = ServerConfig(**defaults, **{key: value for key, value in flags.items() if value is not None})
    except ValueError as exc:  # pydantic's ValidationError: a setting out of range
        print(f"guardrail: invalid server settings: {exc}", file=sys.stderr)
        return 2
    except GuardrailError as exc:
        print(f"guardrail: {exc}", file=sys.stderr)
        return 1
    serve(config)
    return 0


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", metavar="DIR", help="model directory (default: the shipped model, or $GUARDRAIL_MODEL_DIR)"
    )
    parser.add_argument("--batch-size", type=positive_int, default=16, metavar="N", help="inputs per onnxruntime call")
    parser.add_argument(
        "--threads",
        type=bounded_int(1, MAX_THREADS),
        default=2,
        metavar="N",
        help=f"onnxruntime intra-op threads, 1 to {MAX_THREADS} (more than the CPU cores only slows it down)",
    )
    parser.add_argument("--pass-above", type=probability, default=0.8, metavar="P", help="consistency >= P: pass")
    parser.add_argument(
        "--label-above", type=probability, default=0.5, metavar="P", help=">= P: label (else annotate)"
    )
    parser.add_argument(
        "--annotate-above", type=probability, default=0.2, metavar="P", help=">= P: annotate (else block)"
    )
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


def main(argv: list[str] | None = None) -> int:
    from ._logging import configure_cli_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        _check_usage(parser, args)
    configure_cli_logging(verbose=args.verbose, json_logs=args.log_json)
    try:
        policy = Policy(
            pass_above=args.pass_above,
            label_above=args.label_above,
            annotate_above=args.annotate_above,
            no_answer=args.no_answer,
            on_error=args.on_error,
        )
    except ValueError as exc:  # pydantic's ValidationError: thresholds out of order
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
    except OutputFailed as exc:
        print(f"guardrail: cannot write the output: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("guardrail: interrupted", file=sys.stderr)
        return 130


def _load_verifier(args: argparse.Namespace) -> Any:
    from ._onnx import OnnxVerifier

    return OnnxVerifier(args.model, threads=args.threads, batch_size=args.batch_size)


# --- score ----------------------------------------------------------------------------------------------


class OutputFailed(Exception):
    """Writing the output failed (disk full, device error); the message says what was kept."""


def run_score(args: argparse.Namespace, policy: Policy) -> int:
    try:
        # Closed in the finally below; a with-block would close stdin/stdout too.
        source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"guardrail: cannot read the input: {exc}", file=sys.stderr)
        return 1
    try:
        if _same_file(source, args.output if args.output else sys.stdout):
            shown = args.output or "stdout"
            print(f"guardrail: the output ({shown}) is the input file; it would be overwritten", file=sys.stderr)
            return 2
        verifier = _load_verifier(args)
        judge = _claude_judge(args) if args.fallback == "claude" else None
        guard = Guard(scorer=scorer_for(judge, band=tuple(args.band))(verifier), policy=policy)
        try:
            sink = Sink.open(args.output)
        except OSError as exc:
            print(f"guardrail: cannot write the output: {exc}", file=sys.stderr)
            return 1
        progress = Progress(_size(source), enabled=sys.stderr.isatty() and not args.no_progress)
        counts: Counter[str] = Counter()
        try:
            chunks = _chunks(source, max_bytes=args.batch_bytes)
            if judge is not None:
                asyncio.run(_score_async(guard, chunks, sink, counts, progress, source))
            else:
                for chunk in chunks:
                    started = time.perf_counter()
                    verdicts = guard.check_many([item for _, item, _ in chunk if item is not None])
                    _write(sink, chunk, verdicts, policy, started, counts)
                    progress.update(_position(source), len(chunk))
        except BaseException as exc:
            progress.close()
            sink.abort(_written(counts), keep=not isinstance(exc, OutputFailed))
            raise
        progress.close()
        sink.commit()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    print(summary(counts), file=sys.stderr)
    return 0


async def _score_async(
    guard: Guard, chunks: Iterator[list[Parsed]], sink: Sink, counts: Counter[str], progress: Progress,
    source: IO[bytes],
) -> None:
    for chunk in chunks:
        started = time.perf_counter()
        verdicts = await guard.acheck_many([item for _, item, _ in chunk if item is not None])
        _write(sink, chunk, verdicts, guard.policy, started, counts)
        progress.update(_position(source), len(chunk))


def _claude_judge(args: argparse.Namespace) -> Any:
    """The judge, even when it cannot be asked: it is kept in the cascade so that every escalated verdict
    carries the cascade's ``judge_unavailable`` reason (one rule, in the cascade) instead of silently not
    escalating; the run is told once, here."""
    from ._judge import ClaudeJudge

    judge = ClaudeJudge.from_env(max_concurrency=args.judge_concurrency)
    if not judge.available:
        print(f"claude judge off: {judge.unavailable_reason}; scoring with the ONNX verifier only", file=sys.stderr)
    return judge


def _same_file(source: IO[bytes], output: str | IO[str]) -> bool:
    """Whether ``output`` (a path, or stdout) is the file being read (same device and inode: hard links and
    symlinks included; ``score s.jsonl >> s.jsonl`` too). Only regular files: a terminal or a pipe can be both."""
    try:
        read = os.fstat(source.fileno())
        written = os.stat(output) if isinstance(output, str) else os.fstat(output.fileno())
    except (OSError, ValueError, AttributeError):  # no such output yet, or a stream without a descriptor
        return False
    return stat.S_ISREG(read.st_mode) and os.path.samestat(read, written)


class Sink:
    """Where records go: stdout, or a file written through a temporary file in the same directory that is
    renamed over the destination when the run ends (also when it stops early: what was written is kept, and
    the message says how much). A path that is not a regular file (``/dev/stdout``, a FIFO) is written
    directly."""

    def __init__(self, stream: IO[str], path: str | None = None, temp: str | None = None) -> None:
        self.stream, self.path, self.temp = stream, path, temp
        self.ascii_only = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-") not in (
            "utf-8", "utf8",
        )  # fmt: skip

    @classmethod
    def open(cls, path: str | None) -> Sink:
        if path is None:
            return cls(sys.stdout)
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except FileNotFoundError:
            regular = True
        if not regular:
            return cls(open(path, "w", encoding="utf-8"), path)  # noqa: SIM115 (closed in commit/abort)
        target = Path(os.path.realpath(path))  # through a symlink: the file it names is replaced, not the link
        temp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            os.chmod(fd, stat.S_IMODE(os.stat(target).st_mode))  # an existing output keeps its permissions
        except FileNotFoundError:
            pass
        return cls(os.fdopen(fd, "w", encoding="utf-8"), str(target), str(temp))

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(f"{self.path or 'stdout'}: {exc.strerror or exc}") from exc

    def commit(self) -> None:
        if self.path is None:
            self.stream.flush()
            return
        try:
            self.stream.close()
            if self.temp is not None:
                os.replace(self.temp, self.path)
        except OSError as exc:
            self._discard()
            raise OutputFailed(f"{self.path}: {exc.strerror or exc}") from exc

    def abort(self, records: int, *, keep: bool) -> None:
        """The run stopped early: keep the records written so far at the destination and say so, or (after a
        failed write, which may have left half a line) remove the temporary file."""
        if self.path is None:
            return
        if not keep:
            self._discard()
            return
        try:
            self.stream.close()
            if self.temp is not None:
                os.replace(self.temp, self.path)
            print(f"guardrail: stopped early; the {records} records written are in {self.path}", file=sys.stderr)
        except OSError:
            self._discard()
            print(f"guardrail: stopped early; {self.path} was not written", file=sys.stderr)

    def _discard(self) -> None:
        try:
            self.stream.close()
        except OSError:
            pass
        if self.temp is not None:
            try:
                os.unlink(self.temp)
            except OSError:
                pass


def _chunks(source: IO[bytes], *, max_lines: int = CHUNK_LINES, max_bytes: int = CHUNK_BYTES) -> Iterator[list[Parsed]]:
    """Parsed lines in batches of at most ``max_lines`` lines and (a line past) ``max_bytes`` bytes."""
    chunk: list[Parsed] = []
    size = 0
    for number, raw in enumerate(source, start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if not raw.strip():
            continue
        chunk.append(parse_line(raw, number))  # the batch keeps the parsed line, not its raw bytes
        size += len(raw)
        if len(chunk) >= max_lines or size >= max_bytes:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _write(
    sink: Sink, chunk: list[Parsed], verdicts: list[Verdict], policy: Policy, started: float, counts: Counter[str]
) -> None:
    """One record per line of the chunk; ``latency_ms`` is the chunk's scoring time shared by its items."""
    latency_ms = (time.perf_counter() - started) * 1000.0 / max(1, len(verdicts))
    pending = iter(verdicts)
    lines = []
    written: Counter[str] = Counter()
    for echo_id, item, error in chunk:
        if item is None:
            record = error_record(echo_id, error, policy)
        else:
            record = verdict_record(echo_id, next(pending), latency_ms=latency_ms)
        written[record["action"]] += 1
        written["error"] += record["error"] is not None
        lines.append(json.dumps(encodable(record), ensure_ascii=sink.ascii_only))
    sink.write("\n".join(lines) + "\n")
    counts.update(written)


def _written(counts: Counter[str]) -> int:
    return sum(counts[action.value] for action in Action)


def summary(counts: Counter[str]) -> str:
    """The closing stderr line of ``score``: records per action, and how many were input errors."""
    total = _written(counts)
    per_action = ", ".join(f"{action.value} {counts[action.value]}" for action in Action)
    return f"guardrail: {total} records: {per_action}; {counts['error']} with errors"


def _position(source: IO[bytes]) -> int | None:
    try:
        return source.tell() if source.seekable() else None
    except (OSError, ValueError):
        return None


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
        self.closed = False

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
        if self.enabled and not self.closed:
            self.closed = True
            self.last = 0.0
            self.update(self.total, 0)
            self.stream.write("\n")
            self.stream.flush()


# --- check ----------------------------------------------------------------------------------------------


def _check_usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--output`` alone, or ``--rationale`` with ``--answer``: anything else is ambiguous (exit 2)."""
    fields = args.rationale is not None or args.answer is not None
    if args.output is not None and fields:
        parser.error("check: give --output, or --rationale with --answer, not both")
    if fields and (args.rationale is None or args.answer is None):
        parser.error("check: --rationale and --answer go together")


def run_check(args: argparse.Namespace, policy: Policy) -> int:
    try:
        question, output, rationale, answer = _check_input(args)
    except InputError as exc:
        print(f"guardrail: {exc}", file=sys.stderr)
        return 2
    guard = Guard(_load_verifier(args), policy=policy)
    # The guard gets the fields as given (its rules decide what is ambiguous or missing); the extraction is
    # only redone here to show what was found.
    verdict = guard.check(question, output, rationale=rationale, answer=answer, id="cli")
    shown: Extraction | None = None
    if not any(reason.startswith("input_error") for reason in verdict.reasons):
        try:
            shown = extract(output) if output is not None else from_fields(rationale, answer)
        except (InputError, TypeError):
            shown = None
    if args.json:
        record = encodable({**verdict_record("cli", verdict), **_extraction_fields(shown)})
        print(json.dumps(record, ensure_ascii=Sink(sys.stdout).ascii_only))
    else:
        print(describe(verdict, shown))
    return EXIT_BLOCKED if verdict.action is Action.BLOCK else 0


def _check_input(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """(question, output, rationale, answer) from the flags, else from stdin (a JSON object or plain text)."""
    question: Any = args.question if args.question is not None else ""
    if args.output is not None:
        return question, args.output, None, None
    if args.rationale is not None:  # with --answer: _check_usage
        return question, None, args.rationale, args.answer
    raw = sys.stdin.buffer.read(4 * MAX_INPUT_CHARS + 1)
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        question = args.question if args.question is not None else data.get("question", "")
        field = _non_finite_field(data)
        if field is not None:
            raise InputError(f"input_error: non_finite_number: {field} is NaN or infinite")
        return question, data.get("output"), data.get("rationale"), data.get("answer")
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
    return replace_lone_surrogates("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
