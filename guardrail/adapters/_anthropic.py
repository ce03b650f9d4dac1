"""Guard ``client.messages.create`` of ``anthropic.Anthropic`` / ``anthropic.AsyncAnthropic``.

``guard_anthropic(client, guard)`` returns a *new* callable with the signature of ``messages.create``; the
client is never modified. Extended thinking (``thinking`` blocks) is the rationale, the ``text`` blocks are
the answer. The result is a :class:`~guardrail.Guarded` whose ``output`` is an ``anthropic.types.Message``:
the original one on pass, a ``model_copy`` with the text replaced by the labelled/annotated rendering
(thinking and tool blocks kept), or holding only the fallback text on block. ``stream=True`` gives a
:class:`~guardrail.adapters.GuardedStream` (or the async one) instead. A message cut at ``max_tokens`` (or the
context window) gets ``output_truncated`` and is never passed; readable thinking beside ``redacted_thinking``
blocks is checked and the verdict says ``partly_redacted``. Stream events may be the SDK's objects or dicts.

``anthropic`` itself is only imported when a text block has to be created from nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._extract import THINKING_JOIN, field_of, message_parts, truncation_reasons
from .._question import last_user_text
from .._types import Action, Guarded
from ._common import (
    Converted,
    Outcome,
    QuestionFn,
    convert_parts,
)
from ._streaming import OnError, Piece
from ._wrap import Provider, wrap_create

if TYPE_CHECKING:
    from .._guard import Guard

FORMAT = "anthropic_thinking"


def guard_anthropic(
    create: Any,
    guard: Guard,
    *,
    question: QuestionFn = last_user_text,
    pass_rationale: bool = True,
    on_error: OnError = "raise",
    is_async: bool | None = None,
) -> Callable[..., Any]:
    """Wrap ``client.messages.create`` (pass the client or the method). Sync vs async is decided here, once.

    ``question(request_kwargs) -> str`` picks the question (default: the last user message's text).
    ``pass_rationale`` / ``on_error`` apply to ``stream=True`` calls (see :mod:`guardrail.adapters._streaming`).
    """
    options = {"question": question, "pass_rationale": pass_rationale, "on_error": on_error, "is_async": is_async}
    return wrap_create(create, guard, ANTHROPIC, **options)


def convert_message(message: Any) -> Converted:
    """A ``Message`` as the Guard sees it, read as ``extract`` reads it (:func:`guardrail._extract.message_parts`):
    thinking blocks = rationale, text blocks = answer."""
    reasoning, text, redacted = message_parts(getattr(message, "content", None) or ())
    return convert_parts(reasoning, text, format=FORMAT, redacted=redacted, reasons=truncation_reasons(message))


def _candidates(message: Any) -> list[Converted]:
    return [convert_message(message)]  # a Message holds one answer


def _rebuild(message: Any, outcomes: Sequence[Outcome]) -> Guarded:
    return guarded_message(message, outcomes[0])


def guarded_message(message: Any, outcome: Outcome) -> Guarded:
    """Rebuild the Message for what the Guard decided; the original stays on ``Guarded.original``."""
    output = message if outcome.text is None else replace_text(message, outcome.text, outcome.verdict.action)
    return Guarded(output=output, original=message, verdict=outcome.verdict, display=outcome.display)


def replace_text(message: Any, text: str, action: Action) -> Any:
    """A copy of ``message`` whose text is ``text``: in the first text block (citations dropped, they
    pointed into the old text), other text blocks removed. A block keeps only the fallback text."""
    content, placed = [], False
    for block in message.content:
        if getattr(block, "type", None) == "text":
            if not placed:
                content.append(block.model_copy(update={"text": text, "citations": None}))
                placed = True
        elif action is not Action.BLOCK:
            content.append(block)
    if not placed:
        content.append(_text_block(text))
    if action is Action.BLOCK:
        content = [block for block in content if getattr(block, "type", None) == "text"]
    return message.model_copy(update={"content": content})


def _text_block(text: str) -> Any:
    from anthropic.types import TextBlock

    return TextBlock(type="text", text=text)


# The raw Messages stream events (the SDK's stream helper adds others, which carry nothing new).
EVENT_TYPES = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


class AnthropicEventParser:
    """Raw Messages stream events (SDK objects or dicts) -> pieces. ``message_stop`` marks a complete stream;
    a ``message_delta`` whose ``stop_reason`` is ``max_tokens`` marks it truncated."""

    def __init__(self) -> None:
        self._thinking_blocks = 0

    def __call__(self, event: Any) -> Iterable[Piece]:
        kind = field_of(event, "type")
        if kind == "content_block_start":
            return self._block_start(field_of(event, "content_block"))
        if kind == "content_block_delta":
            delta = field_of(event, "delta")
            delta_kind = field_of(delta, "type")
            if delta_kind == "thinking_delta":
                return [Piece(kind="rationale", text=field_of(delta, "thinking") or "")]
            if delta_kind == "text_delta":
                return [Piece(kind="answer", text=field_of(delta, "text") or "")]
            return []  # signature_delta, input_json_delta, citations_delta: nothing to check
        if kind == "message_delta":
            return [Piece(kind="truncated", text=r) for r in truncation_reasons(field_of(event, "delta"))]
        if kind == "message_stop":
            return [Piece(kind="end")]
        return []

    def _block_start(self, block: Any) -> list[Piece]:
        kind = field_of(block, "type")
        if kind == "thinking":
            self._thinking_blocks += 1
            separator = THINKING_JOIN if self._thinking_blocks > 1 else ""  # joined as message_parts joins them
            return [Piece(kind="rationale", text=separator + (field_of(block, "thinking") or ""))]
        if kind == "redacted_thinking":
            return [Piece(kind="redacted")]
        text = field_of(block, "text")
        if kind == "text" and text:
            return [Piece(kind="answer", text=text)]
        return []


ANTHROPIC = Provider(
    format=FORMAT, method=("messages", "create"), convert=_candidates, rebuild=_rebuild, parser=AnthropicEventParser
)
