"""Canned Anthropic / OpenAI responses and SSE streams served through the SDKs' own HTTP layer
(``MockTransport``), plus a fake verifier, for the adapter and streaming tests. Nothing touches the network.

The SDKs pick their HTTP package (anthropic 2.x and openai 3.x use ``httpx2``, older ones ``httpx``);
``http_module`` finds the one the installed SDK uses so its ``MockTransport`` is accepted.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# The Anthropic bodies are the example server's own, so tests and examples speak the same API subset.
from examples._support import anthropic_message, anthropic_stream_events  # noqa: F401 - re-exported
from guardrail import CheckInput, Opinion


class FixedVerifier:
    """A verifier that returns one set consistency and records what it was asked."""

    def __init__(self, consistency: float) -> None:
        self.name = "fake:fixed"
        self.consistency = consistency
        self.seen: list[CheckInput] = []

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        self.seen.extend(items)
        return [Opinion(verifier=self.name, consistency=self.consistency) for _ in items]


def http_module(sdk: Any) -> Any:
    """The HTTP package the SDK's client is built on (``httpx2`` or ``httpx``)."""
    base = importlib.import_module(f"{sdk.__name__}._base_client")
    return getattr(base, "httpx2", None) or importlib.import_module("httpx")


# --- bodies ---------------------------------------------------------------------------------------------------


def sse(events: Iterable[dict[str, Any]], *, named: bool = True) -> bytes:
    """Server-sent events; Anthropic names each event (``event: type``), OpenAI sends ``data:`` lines only."""
    lines = []
    for event in events:
        head = f"event: {event['type']}\n" if named else ""
        lines.append(f"{head}data: {json.dumps(event)}\n\n")
    return "".join(lines).encode()


def openai_completion(content: str | None, *, finish_reason: str = "stop", **message_extra: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": content, **message_extra}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


def openai_choices(*messages: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    """A completion with one choice per message (``n=len(messages)``); each message is ``{"content", ...}``."""
    body = openai_completion(None)
    body["choices"] = [
        {"index": i, "message": {"role": "assistant", **m}, "finish_reason": finish_reason, "logprobs": None}
        for i, m in enumerate(messages)
    ]
    return body


def openai_chunks(
    deltas: Sequence[dict[str, Any]], *, complete: bool = True, finish: str = "stop", index: int = 0
) -> list[dict[str, Any]]:
    """One chunk per delta (``{"content": ...}`` / ``{"reasoning_content": ...}``), then a finish chunk."""

    def chunk(delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "test-model",
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}],
        }

    chunks = [chunk({"role": "assistant", "content": ""}, None)]
    chunks += [chunk(delta, None) for delta in deltas]
    if complete:
        chunks.append(chunk({}, finish))
    return chunks


def with_stop_reason(events: list[dict[str, Any]], stop_reason: str) -> list[dict[str, Any]]:
    """Anthropic stream events whose ``message_delta`` carries ``stop_reason`` (e.g. ``max_tokens``)."""
    return [
        {**e, "delta": {**e["delta"], "stop_reason": stop_reason}} if e["type"] == "message_delta" else e
        for e in events
    ]


def anthropic_error_event(kind: str = "overloaded_error", message: str = "Overloaded") -> dict[str, Any]:
    """The ``event: error`` the Messages API sends mid-stream (e.g. when overloaded)."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def openai_sse(chunks: Sequence[dict[str, Any]], *, done: bool = True) -> bytes:
    return sse(chunks, named=False) + (b"data: [DONE]\n\n" if done else b"")


# --- transports -----------------------------------------------------------------------------------------------


class RecordingHandler:
    """A MockTransport handler that answers every request with one canned body and keeps the requests."""

    def __init__(self, http: Any, body: bytes, *, event_stream: bool, fail_after: int | None = None) -> None:
        self.http, self.body, self.event_stream, self.fail_after = http, body, event_stream, fail_after
        self.requests: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        kind = "text/event-stream" if self.event_stream else "application/json"
        headers = {"content-type": kind}
        if self.fail_after is None:
            return self.http.Response(200, headers=headers, content=self.body)
        return self.http.Response(200, headers=headers, stream=_BrokenStream(self.http, self.body, self.fail_after))


def _broken_stream_class(http: Any) -> type:
    class BrokenStream(http.SyncByteStream, http.AsyncByteStream):
        """Sends the first ``fail_after`` bytes, then the connection drops."""

        def __init__(self, body: bytes, fail_after: int) -> None:
            self.body, self.fail_after = body, fail_after

        def __iter__(self):
            yield self.body[: self.fail_after]
            raise http.ReadError("connection reset by peer (test)")

        async def __aiter__(self):
            yield self.body[: self.fail_after]
            raise http.ReadError("connection reset by peer (test)")

    return BrokenStream


def _BrokenStream(http: Any, body: bytes, fail_after: int) -> Any:  # noqa: N802 - reads like a class
    return _broken_stream_class(http)(body, fail_after)


def anthropic_client(handler: Callable[[Any], Any], *, is_async: bool = False) -> Any:
    import anthropic

    http = http_module(anthropic)
    if is_async:
        return anthropic.AsyncAnthropic(
            api_key="test-key", max_retries=0, http_client=http.AsyncClient(transport=http.MockTransport(handler))
        )
    return anthropic.Anthropic(
        api_key="test-key", max_retries=0, http_client=http.Client(transport=http.MockTransport(handler))
    )


def openai_client(handler: Callable[[Any], Any], *, is_async: bool = False) -> Any:
    import openai

    http = http_module(openai)
    base_url = "http://vllm.test/v1"  # an OpenAI-compatible server; never contacted (MockTransport)
    if is_async:
        return openai.AsyncOpenAI(
            api_key="test-key",
            base_url=base_url,
            max_retries=0,
            http_client=http.AsyncClient(transport=http.MockTransport(handler)),
        )
    return openai.OpenAI(
        api_key="test-key",
        base_url=base_url,
        max_retries=0,
        http_client=http.Client(transport=http.MockTransport(handler)),
    )
