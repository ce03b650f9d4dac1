"""Finding the question a call asked: one rule for ``@guard.wrap``, the provider adapters and the transformers
adapter, and one rule for a question finder that fails (the output is still checked, against "")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from ._extract import field_of

QuestionFrom = Callable[..., str]

_log = structlog.get_logger("guardrail")


def question_from_call(*args: Any, **kwargs: Any) -> str:
    """Default question finder: ``question``/``prompt``/``query``/``input`` keyword, the last user message of
    ``messages`` (keyword or first positional list), else the first positional string; ``""`` if none."""
    for key in ("question", "prompt", "query", "input"):
        if isinstance(kwargs.get(key), str):
            return kwargs[key]
    messages = kwargs.get("messages")
    if messages is None:
        messages = next((a for a in args if isinstance(a, (list, tuple))), None)
    if isinstance(messages, (list, tuple)):
        for message in reversed(messages):
            if field_of(message, "role") == "user":
                return _content_text(field_of(message, "content"))
    return next((a for a in args if isinstance(a, str)), "")


def last_user_text(request: Mapping[str, Any]) -> str:
    """The adapters' default question: the text of the last ``user`` message of the request's ``messages``
    (the same rule as :func:`question_from_call`, given the request's keyword arguments)."""
    return question_from_call(**request)


def ask(find: QuestionFrom, *args: Any, **kwargs: Any) -> str:
    """``find(*args, **kwargs)``; a finder that raises or returns something other than text gives ``""``, because
    a failing question finder must not lose the output it was asked about."""
    try:
        question = find(*args, **kwargs)
    except Exception as exc:
        _log.warning("guardrail.question_error", error_type=type(exc).__name__)
        return ""
    return question if isinstance(question, str) else ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "\n".join(
            t
            for t in (field_of(b, "text") for b in content if field_of(b, "type") in ("text", "input_text"))
            if isinstance(t, str)
        )
    return ""
