"""Shared by the ``guardrail serve`` tests (no tests here): ``running(app)`` (``serve_in_thread``: uvicorn on a
free port of 127.0.0.1, in a thread) and a fake upstream model server (stdlib, also on 127.0.0.1) whose
behaviour is picked by the request's ``model``:

- anything else: the examples' fake model (reasoning about 6 * 7; "(inconsistent)" in the user message gives
  an answer that contradicts it), JSON or SSE, OpenAI (``reasoning_content``) or Anthropic (thinking blocks);
- ``rate-limited`` (429 with Retry-After), ``broken`` (500), ``hang`` (no answer until the test ends);
- ``cut``: a stream whose connection drops before the end; ``truncated``: finish/stop reason length/max_tokens;
  ``redacted`` (Anthropic streams): the thinking comes as one redacted_thinking block;
- ``gated``: streams the reasoning and the answer, then waits for ``upstream.gate`` before ending.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from examples._support import REASONING, anthropic_message, anthropic_stream_events, model_reply
from provider_fakes import openai_chunks, openai_completion, sse, with_stop_reason

from guardrail.server import serve_in_thread as running  # noqa: F401 - the tests' server runner

QUESTION = "A box has 6 rows of 7 eggs. How many eggs are in the box?"


class FakeUpstream:
    """``with FakeUpstream() as up:`` serves on ``up.url``; ``up.requests`` keeps (path, headers, body)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.release = threading.Event()  # set at exit: hanging handlers return
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.sent_end_at: float | None = None

    def __enter__(self) -> FakeUpstream:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                body = json.loads(raw or b"{}")
                upstream.requests.append((self.path, dict(self.headers), body))
                upstream.handle(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    # --- behaviours --------------------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        anthropic = h.path.endswith("/messages")
        if model == "rate-limited":
            return self._send(h, 429, {"error": {"message": "slow down", "type": "rate_limit_error"}},
                              {"retry-after": "7"})  # fmt: skip
        if model == "broken":
            return self._send(h, 500, {"error": {"message": "upstream exploded", "type": "server_error"}})
        if model == "hang":
            self.release.wait(20)
            return None
        user = _last_user(body.get("messages") or [])
        reasoning, answer = model_reply(user)
        stream = bool(body.get("stream"))
        if anthropic:
            if not stream:
                thinking = {"type": "thinking", "thinking": reasoning, "signature": "sig"}
                stop = "max_tokens" if model == "truncated" else "end_turn"
                return self._send(h, 200, anthropic_message([thinking, {"type": "text", "text": answer}], stop))
            events = anthropic_stream_events(REASONING, _words(answer), redacted=model == "redacted")
            if model == "truncated":
                events = with_stop_reason(events, "max_tokens")
            return self._stream(h, sse(events), model)
        if not stream:
            finish = "length" if model == "truncated" else "stop"
            return self._send(h, 200, openai_completion(answer, finish_reason=finish, reasoning_content=reasoning))
        deltas = [{"reasoning_content": part} for part in REASONING] + [{"content": w} for w in _words(answer)]
        chunks = openai_chunks(deltas, finish="length" if model == "truncated" else "stop")
        return self._stream(h, sse(chunks, named=False) + b"data: [DONE]\n\n", model)

    def _stream(self, h: BaseHTTPRequestHandler, payload: bytes, model: str) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        if model == "cut":  # promise the whole body, send half of it, drop the connection
            h.send_header("content-length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload[: len(payload) // 2])
            h.wfile.flush()
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.end_headers()
        if model == "gated":  # everything but the last event (the end marker), then wait for the test
            events = payload.split(b"\n\n")
            tail = b"\n\n".join(events[-3:])  # finish chunk / message_stop, [DONE], ""
            h.wfile.write(payload[: len(payload) - len(tail)])
            h.wfile.flush()
            self.gate.wait(10)
            self.sent_end_at = time.monotonic()
            h.wfile.write(tail)
            return
        h.wfile.write(payload)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("content-type", "application/json")
        h.send_header("content-length", str(len(payload)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(payload)


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return words[:1] + [" " + w for w in words[1:]]


def _last_user(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""
