"""The result record of one checked item, shared by ``guardrail score`` (one JSON line per input line) and
``guardrail serve`` (``POST /v1/check``): one shape, built in one place.

Every record has the keys of :data:`RECORD_KEYS`, in that order; an item that never reached the guard gets
:func:`error_record` (the same keys, nulls where nothing is known).
"""

from __future__ import annotations

import math
from typing import Any

from ._extract import replace_lone_surrogates
from ._policy import Policy
from ._types import Verdict

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
    """The record of a line that never reached the guard: the keys of :func:`verdict_record`, nulls where
    nothing is known."""
    return {
        "id": echo_id,
        "error": error,
        "consistency": None,
        "action": policy.error_action().value,
        "reasons": [error],
        "flagged_steps": [],
        "decided_by": [],
        "answer_found": False,
        "model_id": None,
        "model_version": None,
        "latency_ms": None,
    }


def echo_id(data: Any, fallback_id: str) -> Any:
    """The line's id as given (a string or an integer), made encodable; else ``line-N``."""
    raw_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(raw_id, str):
        return replace_lone_surrogates(raw_id)
    return raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else fallback_id


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
