"""Streams that arrive without an adapter: what ``@guard.wrap`` gets back from a ``stream=True`` call.

A wrapped function may return the SDK's stream (``anthropic.Stream`` / ``AsyncStream``, ``openai.Stream`` /
``AsyncStream``, the Anthropic ``MessageStream`` helper) or any (async) iterator of provider events. Such an
output is never checked as a whole object (there is nothing to check until it has been read) and never
passed through: :func:`guard_returned_stream` guards it exactly as the adapters guard ``stream=True``
(:class:`~guardrail.adapters.GuardedStream`), with :class:`ProviderEventParser` picking the provider from the
events themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .._extract import field_of
from ._anthropic import EVENT_TYPES, AnthropicEventParser
from ._openai import OpenAIChunkParser
from ._streaming import AsyncGuardedStream, GuardedStream, Piece, guard_stream

if TYPE_CHECKING:
    from .._guard import Guard

_NOT_STREAMS = (str, bytes, bytearray, Mapping, list, tuple, BaseModel)


def is_stream(output: Any) -> bool:
    """An (async) iterator: something read event by event (an SDK stream, a generator), not a finished output.
    Finished outputs (text, dicts, lists of blocks, SDK message models) are iterable but not iterators."""
    if isinstance(output, _NOT_STREAMS):
        return False
    return hasattr(output, "__next__") or hasattr(output, "__anext__") or hasattr(output, "__aiter__")


def is_stream_manager(output: Any) -> bool:
    """A context manager that opens a stream when entered (``client.messages.stream(...)``'s
    ``MessageStreamManager``, openai's ``ChatCompletionStreamManager``): not a stream yet, nor an output."""
    if isinstance(output, _NOT_STREAMS) or is_stream(output):
        return False
    opens = hasattr(output, "__enter__") or hasattr(output, "__aenter__")
    return opens and "stream" in type(output).__name__.lower()


def guard_returned_stream(
    upstream: Any, guard: Guard, question: str, **options: Any
) -> GuardedStream | AsyncGuardedStream:
    """Guard a stream a wrapped call returned; sync or async follows the stream object."""
    return guard_stream(upstream, ProviderEventParser(), guard, question, **{"format": "stream", **options})


class ProviderEventParser:
    """Anthropic Messages events or OpenAI chat-completion chunks (SDK objects or dicts), whichever the stream
    carries: the first event that is recognisably one of them picks that provider's parser for the rest.
    Events before that carry nothing to check; a stream with none never gets an end marker, so its verdict is
    ``stream_interrupted`` and it is never passed."""

    def __init__(self) -> None:
        self._parser: Any = None

    def __call__(self, event: Any) -> Iterable[Piece]:
        if self._parser is None:
            self._parser = _parser_for(event)
            if self._parser is None:
                return []
        return self._parser(event)

    def flush(self) -> Iterable[Piece]:
        flush = getattr(self._parser, "flush", None)
        return flush() if flush is not None else []


def _parser_for(event: Any) -> Any:
    if field_of(event, "object") == "chat.completion.chunk" or isinstance(field_of(event, "choices"), (list, tuple)):
        return OpenAIChunkParser()
    if field_of(event, "type") in EVENT_TYPES:
        return AnthropicEventParser()
    return None
