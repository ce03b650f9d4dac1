"""The guarding proxies: ``POST /v1/chat/completions`` (OpenAI-compatible) and ``POST /v1/messages``
(Anthropic Messages), in front of a configured upstream.

The request is forwarded unchanged; the reply is guarded by the adapters themselves: ``guard_openai`` /
``guard_anthropic`` wrap a ``create`` that calls the upstream, so extraction (``reasoning_content``,
``<think>``, thinking blocks), the policy and its rendering are the library's, and a ``stream: true`` reply
is an :class:`~guardrail.AsyncGuardedStream`: the rationale may stream, the answer is held until the verdict;
an interrupted or length-truncated stream is never passed. The stream's events are written back in the
provider's own SSE format; the verdict rides in a ``guardrail`` field the SDKs ignore (JSON replies: also the
``x-guardrail-*`` headers; streams: the last chunk / the ``message_delta`` event).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .._errors import InputError, OutputBlocked
from .._types import Verdict, reason_code
from ..adapters import guard_anthropic, guard_openai
from ._errors import BadRequest, Blocked, InvalidShape, RequestTimeout, ServerError, UpstreamError

Provider = Literal["openai", "anthropic"]
VERDICT_FIELD = "guardrail"


class NotConfigured(ServerError):
    status = 404
    code = "no_upstream"


def verdict_summary(verdict: Verdict) -> dict[str, Any]:
    """The verdict as it travels in a reply (the caller's own output: full reasons are fine here)."""
    return {
        "id": verdict.id,
        "action": verdict.action.value,
        "consistency": verdict.consistency,
        "reasons": list(verdict.reasons),
        "flagged_steps": list(verdict.flagged_steps),
        "model_id": verdict.model_id,
        "model_version": verdict.model_version,
    }


def verdict_headers(verdict: Verdict) -> dict[str, str]:
    """``x-guardrail-*`` headers: action, score, reason codes (no text)."""
    score = "none" if verdict.consistency is None else f"{verdict.consistency:.4f}"
    codes = ",".join(dict.fromkeys(reason_code(reason).strip() for reason in verdict.reasons))
    return {"x-guardrail-action": verdict.action.value, "x-guardrail-consistency": score, "x-guardrail-reasons": codes}


class _Meta:
    """What passes by in the upstream stream and is needed to write it back (ids, stop reason, usage)."""

    def __init__(self) -> None:
        self.first: dict[str, Any] | None = None
        self.message: dict[str, Any] | None = None
        self.finish_reason: str | None = None
        self.stop: dict[str, Any] = {}
        self.usage: Any = None
        self.signatures: list[str] = []  # of the thinking blocks, in order (Anthropic)
        self.redacted: list[dict[str, Any]] = []  # redacted_thinking blocks, as they came (Anthropic)

    def see(self, event: dict[str, Any]) -> None:
        if self.first is None:
            self.first = event
        kind = event.get("type")
        block = event.get("content_block")
        if kind == "content_block_start" and isinstance(block, dict):
            if block.get("type") == "thinking":
                self.signatures.append(str(block.get("signature") or ""))
            elif block.get("type") == "redacted_thinking":
                self.redacted.append(block)
        delta = event.get("delta")
        if kind == "content_block_delta" and isinstance(delta, dict) and delta.get("type") == "signature_delta":
            if self.signatures:
                self.signatures[-1] += str(delta.get("signature") or "")
        if kind == "message_start" and isinstance(event.get("message"), dict):
            self.message = event["message"]
        elif kind == "message_delta":
            delta = event.get("delta")
            if isinstance(delta, dict):
                self.stop = {k: delta.get(k) for k in ("stop_reason", "stop_sequence")}
            self.usage = event.get("usage", self.usage)
        for choice in event.get("choices") or ():
            if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                self.finish_reason = choice["finish_reason"]
        if event.get("usage") is not None and kind is None:
            self.usage = event["usage"]


class Proxy:
    """One provider's proxy route."""

    def __init__(self, provider: Provider, app_state: Any) -> None:
        self.provider = provider
        self.state = app_state
        self.route = "/v1/chat/completions" if provider == "openai" else "/v1/messages"

    @property
    def _config(self) -> Any:
        return self.state.config

    def _url(self) -> str:
        config = self._config
        base = config.openai_upstream if self.provider == "openai" else config.anthropic_upstream
        if not base:
            raise NotConfigured(f"no {self.provider} upstream is configured for {self.route}")
        base = base.rstrip("/")
        if self.provider == "openai":
            return f"{base}/chat/completions"
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"

    def _headers(self, request: Request) -> dict[str, str]:
        """Upstream headers: an explicit ``x-upstream-api-key``, else the configured environment variable, else
        (without service keys, when allowed) the caller's own credential. Never logged."""
        config, incoming = self._config, request.headers
        key = incoming.get("x-upstream-api-key") or config.upstream_key(self.provider)
        headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
        passthrough = key is None and config.pass_through_auth and not self.state.api_keys
        if self.provider == "openai":
            if key:
                headers["authorization"] = f"Bearer {key}"
            elif passthrough and "authorization" in incoming:
                headers["authorization"] = incoming["authorization"]
        else:
            for name in ("anthropic-version", "anthropic-beta"):
                if name in incoming:
                    headers[name] = incoming[name]
            headers.setdefault("anthropic-version", "2023-06-01")
            if key:
                headers["x-api-key"] = key
            elif passthrough:
                for name in ("x-api-key", "authorization"):
                    if name in incoming:
                        headers[name] = incoming[name]
        return headers

    async def handle(self, request: Request, body: dict[str, Any]) -> Response:
        url = self._url()
        if not isinstance(body.get("messages"), list):
            raise InvalidShape("messages: must be a list of messages")
        if "stream" in body and not isinstance(body["stream"], bool):
            raise InvalidShape("stream: must be true or false")
        state, config = self.state, self._config
        headers = self._headers(request)
        started = time.monotonic()
        deadline = started + config.request_timeout_s
        meta = _Meta()
        streamed = bool(body.get("stream"))
        added: list[bool] = []

        async def create(**kwargs: Any) -> Any:
            if streamed:
                return await state.upstream.open_stream(
                    self.provider, url, kwargs, headers, deadline=deadline, on_event=meta.see
                )
            reply = await state.upstream.post_json(self.provider, url, kwargs, headers)
            if not isinstance(reply, dict):
                raise UpstreamError("the upstream reply is not a JSON object")
            message = _loose(reply)
            if self.provider == "anthropic":
                added.append(_with_text_block(message))
            return message

        wrap = guard_openai if self.provider == "openai" else guard_anthropic
        guarded_create = wrap(
            create, state.guard, pass_rationale=config.pass_rationale, on_error="report", is_async=True
        )
        state.admission.acquire(1)
        release = True
        try:
            try:
                result = await asyncio.wait_for(guarded_create(**body), max(0.001, deadline - time.monotonic()))
            except asyncio.TimeoutError as exc:
                raise RequestTimeout(f"no verdict within {config.request_timeout_s:g} s") from exc
            except InputError as exc:
                raise BadRequest(str(exc)) from exc
            except OutputBlocked as exc:
                state.metrics.observe_verdict(exc.verdict, self.route)
                raise Blocked(_blocked_message(exc.verdict), verdict=exc.verdict) from exc
            if streamed:
                release = False  # the response does, when it is done (sent, failed or never started)
                encode = self._openai_sse if self.provider == "openai" else self._anthropic_sse
                return _SSEResponse(encode(result, meta, body), result, state.admission)
            state.metrics.check_seconds.labels(route=self.route).observe(time.monotonic() - started)
            state.metrics.observe_verdict(result.verdict, self.route)
            payload = _plain(result.output)
            if any(added):
                payload = _without_empty_text(payload)
            payload[VERDICT_FIELD] = verdict_summary(result.verdict)
            return JSONResponse(payload, headers=verdict_headers(result.verdict))
        finally:
            if release:
                state.admission.release(1)

    # --- streams ---------------------------------------------------------------------------------------

    async def _events(self, stream: Any) -> AsyncIterator[tuple[str, Any]]:
        """("rationale"|"answer", text) as the guarded stream releases them, then ("verdict", (verdict, blocked))."""
        verdict, blocked = None, False
        try:
            async for event in stream:
                if event.type == "verdict":
                    verdict = event.verdict
                else:
                    yield event.type, event.text
        except OutputBlocked as exc:
            verdict, blocked = exc.verdict, True
        if verdict is not None:
            self.state.metrics.observe_verdict(verdict, self.route)
        yield "verdict", (verdict, blocked)

    async def _openai_sse(self, stream: Any, meta: _Meta, body: dict[str, Any]) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            first = meta.first or {}
            data = {
                "id": first.get("id", "chatcmpl-guardrail"),
                "object": "chat.completion.chunk",
                "created": first.get("created", int(time.time())),
                "model": first.get("model", body.get("model", "")),
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                **extra,
            }
            return _sse(data)

        started = False
        async for kind, value in self._events(stream):
            if not started:
                started = True
                yield chunk({"role": "assistant", "content": ""})
            if kind == "rationale":
                yield chunk({"reasoning_content": value})
            elif kind == "answer":
                yield chunk({"content": value})
            else:
                verdict, blocked = value
                extra: dict[str, Any] = {VERDICT_FIELD: verdict_summary(verdict) if verdict else None}
                if meta.usage is not None:
                    extra["usage"] = meta.usage
                yield chunk({}, meta.finish_reason if stream.error is None else None, **extra)
                problem = _stream_problem(stream, verdict, blocked)
                if problem is not None:
                    yield _sse({"error": {"message": problem[1], "type": problem[0], "code": problem[0]}})
        yield b"data: [DONE]\n\n"

    async def _anthropic_sse(self, stream: Any, meta: _Meta, body: dict[str, Any]) -> AsyncIterator[bytes]:
        index, open_kind, started = -1, None, False

        def message_start() -> bytes:
            message = dict(meta.message or {})
            message.update(content=[], stop_reason=None, stop_sequence=None)
            message.setdefault("id", "msg_guardrail")
            message.setdefault("type", "message")
            message.setdefault("role", "assistant")
            message.setdefault("model", body.get("model", ""))
            message.setdefault("usage", {"input_tokens": 0, "output_tokens": 0})
            return _sse({"type": "message_start", "message": message}, event="message_start")

        def close() -> list[bytes]:
            """End the open block; a thinking block gets the upstream's signature when it was one block (a
            client sends thinking back in tool loops, and the signature must match)."""
            out = []
            if open_kind == "thinking" and len(meta.signatures) == 1 and meta.signatures[0]:
                delta = {"type": "signature_delta", "signature": meta.signatures[0]}
                out.append(_sse({"type": "content_block_delta", "index": index, "delta": delta},
                                event="content_block_delta"))  # fmt: skip
            if open_kind:
                out.append(_sse({"type": "content_block_stop", "index": index}, event="content_block_stop"))
            return out

        def block(kind: str) -> list[bytes]:
            nonlocal index, open_kind
            out = close()
            if kind == "text":  # redacted reasoning is passed on as it came, before the answer
                for redacted in meta.redacted:
                    index += 1
                    out.append(_sse({"type": "content_block_start", "index": index, "content_block": redacted},
                                    event="content_block_start"))  # fmt: skip
                    out.append(_sse({"type": "content_block_stop", "index": index}, event="content_block_stop"))
                meta.redacted = []
            index += 1
            open_kind = kind
            start = {"type": "thinking", "thinking": "", "signature": ""} if kind == "thinking" else {
                "type": "text", "text": ""}  # fmt: skip
            out.append(_sse({"type": "content_block_start", "index": index, "content_block": start},
                            event="content_block_start"))  # fmt: skip
            return out

        async for kind, value in self._events(stream):
            if not started:
                started = True
                yield message_start()
            if kind == "rationale":
                for item in block("thinking") if open_kind != "thinking" else []:
                    yield item
                delta = {"type": "thinking_delta", "thinking": value}
                yield _sse({"type": "content_block_delta", "index": index, "delta": delta}, event="content_block_delta")
            elif kind == "answer":
                for item in block("text") if open_kind != "text" else []:
                    yield item
                delta = {"type": "text_delta", "text": value}
                yield _sse({"type": "content_block_delta", "index": index, "delta": delta}, event="content_block_delta")
            else:
                verdict, blocked = value
                for item in close():
                    yield item
                stop = dict(meta.stop) if stream.error is None else {"stop_reason": None, "stop_sequence": None}
                event = {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop.get("stop_reason"), "stop_sequence": stop.get("stop_sequence")},
                    "usage": meta.usage if isinstance(meta.usage, dict) else {"output_tokens": 0},
                    VERDICT_FIELD: verdict_summary(verdict) if verdict else None,
                }
                yield _sse(event, event="message_delta")
                problem = _stream_problem(stream, verdict, blocked)
                if problem is None:
                    yield _sse({"type": "message_stop"}, event="message_stop")
                else:
                    error = {"type": "error", "error": {"type": problem[0], "message": problem[1]}}
                    yield _sse(error, event="error")


class _SSEResponse(StreamingResponse):
    """The guarded stream written back as server-sent events. However the response ends (sent, the client
    gone, never started), the upstream stream is closed and the request's admission released, once."""

    def __init__(self, content: AsyncIterator[bytes], stream: Any, admission: Any) -> None:
        super().__init__(content, media_type="text/event-stream", headers={"cache-control": "no-cache"})
        self._stream, self._admission = stream, admission

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self.body_iterator.aclose()  # type: ignore[attr-defined]
                await self._stream.close()
            finally:
                self._admission.release(1)


def _stream_problem(stream: Any, verdict: Verdict | None, blocked: bool) -> tuple[str, str] | None:
    """(type, message) of the error event that ends a stream that was blocked (error mode) or interrupted."""
    if blocked and verdict is not None:
        return "output_blocked", _blocked_message(verdict)
    if stream.error is not None:
        return "upstream_interrupted", "the upstream stream was interrupted; the answer was checked but not passed"
    return None


def _blocked_message(verdict: Verdict) -> str:
    codes = ", ".join(dict.fromkeys(reason_code(reason) for reason in verdict.reasons))
    return f"output blocked by rationale-guard ({codes})"


def _sse(data: dict[str, Any], *, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _loose(reply: dict[str, Any]) -> Any:
    from ._upstream import loose

    return loose(reply)


def _plain(value: Any) -> Any:
    from ._upstream import plain

    return plain(value)


def _with_text_block(message: Any) -> bool:
    """Give a Message without a text block an empty one for the adapter to put a rendering in (it would
    otherwise need the anthropic SDK to make one); True when added (an unused one is removed again)."""
    from ._upstream import Loose

    content = getattr(message, "content", None)
    if isinstance(content, list) and not any(getattr(b, "type", None) == "text" for b in content):
        content.append(Loose.model_validate({"type": "text", "text": ""}))
        return True
    return False


def _without_empty_text(payload: dict[str, Any]) -> dict[str, Any]:
    content = payload.get("content")
    if isinstance(content, list):
        payload["content"] = [b for b in content if not (isinstance(b, dict) and b.get("type") == "text" and
                                                         not b.get("text"))]  # fmt: skip
    return payload
