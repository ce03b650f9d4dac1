"""JSON records in and out, shared by ``guardrail score`` (one JSON line per input line), ``guardrail audit`` and
``guardrail serve`` (``POST /v1/check``): how an input line becomes an item (:func:`parse_line`), and the result
record of one checked item, one shape built in one place.

Every record has the keys of :data:`RECORD_KEYS`, in that order; an item that never reached the guard gets
:func:`error_record` (the same keys, nulls where nothing is known).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ._extract import replace_lone_surrogates
from ._policy import Policy, build_verdict
from ._types import Verdict, given_id

BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark, accepted at the start of an input
Parsed = tuple[Any, "dict[str, Any] | None", "str | None"]  # (id to echo, item for the guard, error)

RECORD_KEYS = (
    "id", "error", "consistency", "action", "reasons", "flagged_steps", "decided_by", "answer_found", "model_id",
    "model_version", "latency_ms",
)  # fmt: skip


def encodable(value: Any) -> Any:
    """``value`` with every string (keys too, at any depth) made valid UTF-8: lone surrogates become U+FFFD."""
    if isinstance(value, str):
        return replace_lone_surrogates(value)
    if isinstance(value, dict):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encodable(item) for item in value]
    return value


def verdict_record(echo_id: Any, verdict: Verdict, *, latency_ms: float | None = None) -> dict[str, Any]:
    """The output record of a verdict; ``latency_ms`` defaults to the verdict's own."""
    errors = [r for r in verdict.reasons if r.startswith("input_error")]
    return {
        "id": echo_id,
        "error": errors[0] if errors else None,
        "consistency": verdict.consistency,
        "action": verdict.action.value,
        "reasons": list(verdict.reasons),
        "flagged_steps": list(verdict.flagged_steps),
        "decided_by": list(verdict.decided_by),
        "answer_found": verdict.answer_found,
        "model_id": verdict.model_id,
        "model_version": verdict.model_version,
        "latency_ms": round(verdict.latency_ms if latency_ms is None else latency_ms, 3),
    }


def error_record(echo_id: Any, error: str | None, policy: Policy) -> dict[str, Any]:
    """The record of a line that never reached the guard: the policy's verdict for an item that could not be
    checked, with nulls where nothing is known (it took no time: it was never scored)."""
    verdict = build_verdict(policy, str(echo_id), None, error=error)
    return {**verdict_record(echo_id, verdict), "error": error, "reasons": [error], "latency_ms": None}


def echo_id(data: Any, fallback_id: str) -> Any:
    """The line's id as given (a string or an integer), made encodable; else ``line-N``."""
    given = given_id(data.get("id")) if isinstance(data, dict) else None
    if given is None:
        return fallback_id
    return replace_lone_surrogates(given) if isinstance(given, str) else given


def non_finite_field(data: dict[str, Any]) -> str | None:
    """The first field (other than ``id``) holding NaN or an infinity (``NaN``, ``Infinity``, ``1e999``), at
    any depth; such a number is no answer, and would otherwise be scored as the text "nan" / "inf"."""
    stack: list[tuple[str, Any]] = [(str(key), value) for key, value in data.items() if key != "id"]
    while stack:
        name, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return name
        if isinstance(value, dict):
            stack += [(f"{name}.{key}", item) for key, item in value.items()]
        elif isinstance(value, list):
            stack += [(f"{name}[{index}]", item) for index, item in enumerate(value)]
    return None


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
    echo = echo_id(data, fallback_id)
    field = non_finite_field(data)
    if field is not None:
        return echo, None, f"input_error: non_finite_number: line {number}: {field} is NaN or infinite"
    return echo, {**data, "id": str(echo)}, None


def _recover_id(raw: bytes, fallback_id: str) -> Any:
    """The id of a line that is JSON apart from bad bytes, so its error record still carries it."""
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return fallback_id
    return echo_id(data, fallback_id)
