"""A fake Anthropic Messages API for the judge tests: scripted replies behind the real SDK.

Faults are injected at the transport (``httpx2.MockTransport``; anthropic>=2 is built on httpx2) or
by a real HTTP server on 127.0.0.1, so the SDK's request building, error mapping and response parsing
all run for real.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import httpx2

from examples._support import anthropic_message
from guardrail import CheckInput, RetryPolicy
from guardrail._judge import TOOL_NAME

Reply = Callable[[httpx2.Request], httpx2.Response]


def report(consistency: float = 0.9, **overrides: Any) -> dict[str, Any]:
    body = {
        "supports_answer": consistency >= 0.5,
        "consistency": consistency,
        "decision_steps": [1],
        "uses_outside_information": False,
        "skips_decisive_step": False,
        "answer_follows_unmentioned_cue": False,
        "explanation": "The last step computes the answer.",
    }
    body.update(overrides)
    return body


def message_body(content: list[dict[str, Any]], stop_reason: str = "tool_use") -> dict[str, Any]:
    return anthropic_message(content, stop_reason)


def tool_message(payload: dict[str, Any], name: str = TOOL_NAME) -> dict[str, Any]:
    return message_body([{"type": "tool_use", "id": "toolu_1", "name": name, "input": payload}])


def text_message(text: str = "The rationale supports the answer.") -> dict[str, Any]:
    return message_body([{"type": "text", "text": text}], stop_reason="end_turn")


def error_body(status: int) -> dict[str, Any]:
    kinds = {429: "rate_limit_error", 529: "overloaded_error", 400: "invalid_request_error"}
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": f"fake {status}"}}


# --- scripted replies (each a function of the request) --------------------------------------------


def ok(consistency: float = 0.9, **overrides: Any) -> Reply:
    return lambda request: httpx2.Response(200, json=tool_message(report(consistency, **overrides)))


def raw_tool(payload: dict[str, Any]) -> Reply:
    return lambda request: httpx2.Response(200, json=tool_message(payload))


def text_only() -> Reply:
    return lambda request: httpx2.Response(200, json=text_message())


def status(code: int, headers: dict[str, str] | None = None) -> Reply:
    return lambda request: httpx2.Response(code, json=error_body(code), headers=headers or {})


def drop(exc_type: type[Exception] = httpx2.RemoteProtocolError) -> Reply:
    def reply(request: httpx2.Request) -> httpx2.Response:
        raise exc_type("server disconnected without sending a response", request=request)

    return reply


class FakeMessagesAPI:
    """Replays ``script`` in order (the last reply repeats) and records every request body."""

    def __init__(self, *script: Reply, delay: float = 0.0) -> None:
        self.script = list(script)
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.requests)

    def next_reply(self, request: httpx2.Request) -> Reply:
        with self._lock:
            self.requests.append(json.loads(request.content))
            self.times.append(time.monotonic())
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        reply = self.next_reply(request)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            return reply(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def async_handler(self, request: httpx2.Request) -> httpx2.Response:
        import asyncio

        reply = self.next_reply(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return reply(request)
        finally:
            self.in_flight -= 1

    def client(self, **kwargs: Any) -> anthropic.Anthropic:
        # max_retries=5 on purpose: the judge must turn the SDK's own retries off.
        http = httpx2.Client(transport=httpx2.MockTransport(self.handler))
        return anthropic.Anthropic(api_key="sk-test", base_url="http://fake.test", http_client=http, max_retries=5)

    def async_client(self) -> anthropic.AsyncAnthropic:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.async_handler))
        return anthropic.AsyncAnthropic(
            api_key="sk-test", base_url="http://fake.test", http_client=http, max_retries=5
        )


def fast_retry(max_attempts: int = 3) -> RetryPolicy:
    return RetryPolicy(max_attempts=max_attempts, backoff_base=0.01, max_backoff=0.02, max_retry_after=0.5)


def item(
    i: int | str = 0, rationale: str | None = None, answer: str = "4", question: str = "What is 2+2?"
) -> CheckInput:
    return CheckInput(
        id=str(i),
        question=question,
        rationale=rationale if rationale is not None else f"We add 2 and 2.\nSo the result is {answer}. ({i})",
        answer=answer,
    )


# --- a real HTTP server on 127.0.0.1 ---------------------------------------------------------------


class LocalMessagesServer:
    """A real HTTP server in a thread. ``behaviour`` is "ok", "500", "hang", "drop" or "no_tool"."""

    def __init__(self, behaviour: str = "ok", hang_seconds: float = 1.0) -> None:
        self.behaviour = behaviour
        self.hang_seconds = hang_seconds
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                server.paths.append(self.path)
                server.requests.append(json.loads(body or b"{}"))
                server.respond(self)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        if self.behaviour == "hang":
            time.sleep(self.hang_seconds)
        if self.behaviour == "drop":  # close the socket without a response
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif self.behaviour == "500":
            self._send(handler, 500, error_body(500))
        elif self.behaviour == "no_tool":
            self._send(handler, 200, text_message())
        else:
            self._send(handler, 200, tool_message(report(0.85)))

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(code)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def __enter__(self) -> LocalMessagesServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
