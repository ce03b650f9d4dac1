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
- Reasons the adapters add: ``rationale_redacted`` (only redacted thinking: the policy's no-rationale action,
  nothing is scored) and ``stream_interrupted`` (the stream ended early or raised; what arrived was checked).

The transformers adapter lives in ``verifier_training.hf_adapter`` (it needs torch).
"""

from ._anthropic import AnthropicEventParser, guard_anthropic
from ._common import RATIONALE_REDACTED, STREAM_INTERRUPTED, last_user_text
from ._openai import OpenAIChunkParser, ThinkTagSplitter, guard_openai
from ._streaming import AsyncGuardedStream, GuardedStream, Piece, StreamEvent, guard_stream

__all__ = [
    "RATIONALE_REDACTED",
    "STREAM_INTERRUPTED",
    "AnthropicEventParser",
    "AsyncGuardedStream",
    "GuardedStream",
    "OpenAIChunkParser",
    "Piece",
    "StreamEvent",
    "ThinkTagSplitter",
    "guard_anthropic",
    "guard_openai",
    "guard_stream",
    "last_user_text",
]
