"""Shared by the adapter examples: a local fake LLM server and a Guard that works offline.

``FakeLLMServer`` is a stdlib HTTP server on 127.0.0.1 that speaks just enough of the Anthropic Messages API
(``POST /v1/messages``) and the OpenAI chat completions API (``POST /v1/chat/completions``), streamed (SSE)
or not, for the examples to run with the real SDKs and no network. Its "model" reasons about 6 * 7; when
the user message contains "(inconsistent)" its answer contradicts its reasoning, so a block can be seen.
OpenAI requests for a model whose name contains "think" get ``<think>`` tags in the content (vLLM/DeepSeek
style) instead of a ``reasoning_content`` field.

``make_guard()`` uses the shipped ONNX verifier; where none is installed (a fresh checkout before the model
is trained) it falls back to the string-match baseline, and says so.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Sequence
from typing import Any

from guardrail import CheckInput, Guard, ModelError, Opinion, Policy
from guardrail.adapters import last_user_text

REASONING = ["There are 6 rows of eggs.", "\nEach row holds 7 eggs.", "\n6 * 7 = 42 eggs in the box."]


def model_reply(user_text: str) -> tuple[str, str]:
    """(reasoning, visible answer) of the fake model."""
    answer = "41" if "(inconsistent)" in user_text else "42"
    return "".join(REASONING), f"The box holds {answer} eggs.\nFinal answer: {answer}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        user = last_user_text({"messages": request.get("messages", [])})  # the adapters' own rule
        reasoning, answer = model_reply(user)
        if self.path.endswith("/messages"):
            if request.get("stream"):
                words = answer.split(" ")
                body: Any = anthropic_stream_events(REASONING, words[:1] + [" " + w for w in words[1:]])
            else:
                thinking = {"type": "thinking", "thinking": reasoning, "signature": "sig"}
                body = anthropic_message([thinking, {"type": "text", "text": answer}])
        elif self.path.endswith("/chat/completions"):
            think = "think" in str(request.get("model", ""))
            chunks = _openai_chunks(reasoning, answer, think)
            body = chunks if request.get("stream") else _openai_completion(reasoning, answer, think)
        else:
            self.send_error(404)
            return
        self._send(body, stream=bool(request.get("stream")), named=self.path.endswith("/messages"))

    def _send(self, body: Any, *, stream: bool, named: bool) -> None:
        if stream:
            data = "".join((f"event: {e['type']}\n" if named else "") + f"data: {json.dumps(e)}\n\n" for e in body)
            payload = (data + ("" if named else "data: [DONE]\n\n")).encode()
        else:
            payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream" if stream else "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:  # keep the example output readable
        pass


class FakeLLMServer:
    """``with FakeLLMServer() as url:`` serves on a free port of 127.0.0.1 in a background thread."""

    def __enter__(self) -> str:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc_info: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


class BaselineVerifier:
    """The string-match baseline as a Verifier: only for running the examples without a trained model."""

    name = "baseline:string-match"

    def __call__(self, items: list[CheckInput]) -> list[Opinion]:
        from verifier_training.evaluate.baseline import string_match_baseline

        return [
            Opinion(verifier=self.name, consistency=string_match_baseline(i.question, i.rationale, i.answer))
            for i in items
        ]


def make_guard(policy: Policy | None = None) -> Guard:
    from guardrail.toolkit import configure_cli_logging

    configure_cli_logging()  # scripts configure logging (warnings to stderr); the library never does
    try:
        return Guard(policy=policy).warmup()
    except ModelError as exc:
        print(
            f"(no shipped verifier model: {exc.__class__.__name__}; using the string-match baseline)", file=sys.stderr
        )
        return Guard(verifier=BaselineVerifier(), policy=policy)


def show(label: str, guarded: Any, text: str) -> None:
    verdict = guarded.verdict
    score = "n/a" if verdict.consistency is None else f"{verdict.consistency:.2f}"
    print(f"--- {label}: action={verdict.action.value} consistency={score} reasons={list(verdict.reasons)}")
    print(text)


# --- canned bodies ------------------------------------------------------------------------------------------


def anthropic_message(content: list[dict[str, Any]], stop_reason: str = "end_turn") -> dict[str, Any]:
    """A Messages API response body holding ``content`` (the tests' fakes build theirs with this too)."""
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "fake-claude",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 20},
    }


def anthropic_stream_events(
    thinking: Sequence[str], text: Sequence[str], *, redacted: bool = False, complete: bool = True
) -> list[dict[str, Any]]:
    """message_start, a thinking block (or a redacted one) streamed in ``thinking`` deltas with a signature,
    a text block streamed in ``text`` deltas, message_delta and message_stop (left out when not ``complete``)."""
    start = anthropic_message([]) | {"stop_reason": None}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    if redacted:
        block = {"type": "redacted_thinking", "data": "EncryptedOpaque=="}
        events += [
            {"type": "content_block_start", "index": 0, "content_block": block},
            {"type": "content_block_stop", "index": 0},
        ]
    else:
        events.append(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
        )
        events += [
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": t}}
            for t in thinking
        ]
        events += [
            {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
            {"type": "content_block_stop", "index": 0},
        ]
    events.append({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}})
    events += [{"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": t}} for t in text]
    if complete:
        events += [
            {"type": "content_block_stop", "index": 1},
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 20},
            },
            {"type": "message_stop"},
        ]
    return events


def _openai_completion(reasoning: str, answer: str, think: bool) -> dict[str, Any]:
    message: dict[str, Any] = (
        {"role": "assistant", "content": f"<think>{reasoning}</think>\n\n{answer}"}
        if think
        else {"role": "assistant", "content": answer, "reasoning_content": reasoning}
    )
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _openai_chunks(reasoning: str, answer: str, think: bool) -> list[dict[str, Any]]:
    if think:
        text = f"<think>{reasoning}</think>\n\n{answer}"
        deltas = [{"content": text[i : i + 8]} for i in range(0, len(text), 8)]
    else:
        words = answer.split(" ")
        deltas = [{"reasoning_content": part} for part in REASONING]
        deltas += [{"content": (" " if i else "") + word} for i, word in enumerate(words)]
    chunks = [{"index": 0, "delta": delta, "finish_reason": None} for delta in deltas]
    chunks.append({"index": 0, "delta": {}, "finish_reason": "stop"})
    return [
        {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake", "choices": [c]}
        for c in chunks
    ]
