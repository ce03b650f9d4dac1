"""Put the Guard in front of the calls teams already make: Anthropic, OpenAI-compatible chat completions
and their streams. Importing this does not import ``anthropic`` or ``openai``; the wrappers work on the SDK
objects they are given and never modify the client.

- :func:`guard_anthropic` wraps ``client.messages.create`` (``Anthropic`` or ``AsyncAnthropic``): returns a
  :class:`~guardrail.Guarded` whose ``output`` is an ``anthropic.types.Message``.
- :func:`guard_openai` wraps ``client.chat.completions.create`` (OpenAI, vLLM, DeepSeek, ...): ``output`` is a
  ``ChatCompletion``.
- ``stream=True`` through either gives a :class:`GuardedStream` / :class:`AsyncGuardedStream` of
  :class:`StreamEvent` (rationale as it arrives, the checked answer, then always a verdict).
  :func:`guard_stream` guards any other event stream given a parser, e.g. the Anthropic SDK's
  ``client.messages.stream(...)`` helper with :class:`AnthropicEventParser`.
- ``@guard.wrap`` around a call that returns a stream guards it the same way, with
  :class:`ProviderEventParser` (Anthropic events or OpenAI chunks, whichever arrive).
- Reasons about the output: ``rationale_redacted`` (only redacted thinking: the policy's no-rationale action,
  nothing is scored), ``partly_redacted`` (readable thinking beside redacted blocks: the readable part is
  checked), ``stream_interrupted`` (the stream ended early or raised) and ``output_truncated`` (``stop_reason``
  ``max_tokens`` / ``finish_reason`` ``length``). What arrived of an interrupted or truncated output is
  checked, but it is never passed: it gets the policy's ``on_error`` action (or a stricter scored one).
- OpenAI ``n>1``: every choice is checked (``Guarded.verdicts``, one per choice); ``stream=True`` with
  ``n>1`` is refused (:class:`~guardrail.InputError`) before the request is sent.
- :func:`guard_pipeline` / :func:`guard_generate` guard a local ``transformers`` text-generation pipeline (every
  returned sequence) or ``model.generate`` (``output_truncated`` when it stopped at its token limit);
  :func:`generate_completion` / :func:`generate_text` run one prompt. Neither torch nor transformers is
  imported: they only call the objects they are given.

Every adapter asks the Guard (``Guard.check``, then ``Guard.deliver``); none applies the policy itself.
"""

from .._types import OUTPUT_TRUNCATED, PARTLY_REDACTED, RATIONALE_REDACTED, STREAM_INTERRUPTED
from ._anthropic import AnthropicEventParser, guard_anthropic
from .._question import last_user_text
from ._events import ProviderEventParser
from ._openai import OpenAIChunkParser, ThinkTagSplitter, guard_openai
from ._streaming import AsyncGuardedStream, GuardedStream, Piece, StreamEvent, guard_stream
from ._transformers import generate_completion, generate_text, guard_generate, guard_pipeline

__all__ = [
    "OUTPUT_TRUNCATED",
    "PARTLY_REDACTED",
    "RATIONALE_REDACTED",
    "STREAM_INTERRUPTED",
    "AnthropicEventParser",
    "AsyncGuardedStream",
    "GuardedStream",
    "OpenAIChunkParser",
    "Piece",
    "ProviderEventParser",
    "StreamEvent",
    "ThinkTagSplitter",
    "generate_completion",
    "generate_text",
    "guard_anthropic",
    "guard_generate",
    "guard_openai",
    "guard_pipeline",
    "guard_stream",
    "last_user_text",
]
